// The few behaviours pages need beyond HTML, from a file of ours (strict CSP: no inline script).
// Without this script every page still works: the menu stays unfolded and forms submit unasked.
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", function () {
  // The header folds into a menu button on a phone.
  var toggle = document.querySelector(".menu-toggle");
  var menu = document.getElementById("site-menu");
  if (toggle && menu) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
  }
  // A form that came back with errors: the summary takes focus, so it is read first.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // A "choose all" box ticks or clears every box of its name (without the script, tick them one by one).
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var boxes = document.querySelectorAll('input[type="checkbox"][name="' + all.dataset.selectAll + '"]');
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
  });
  // Destruction asks once, in the words the page gave (data-confirm on the form or its button).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.dataset.confirm) || form.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
});
