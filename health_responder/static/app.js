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
  // Enter in a field sends the form's main action (its primary button), whatever order its buttons come
  // in; in a scan field (data-scan-submit) it presses that field's own button, as a USB scanner's Enter
  // does. Not while an input method is composing (Korean, Japanese …): that Enter confirms the word.
  // Without the script, a form whose first button is not its main one starts with a hidden copy of it.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.isComposing || event.keyCode === 229 || event.defaultPrevented) { return; }
    if (field.tagName !== "INPUT" || !field.form) { return; }
    if (["submit", "button", "reset", "image", "file", "checkbox", "radio"].indexOf(field.type) !== -1) { return; }
    var form = field.form;
    var main = (field.dataset.scanSubmit && document.getElementById(field.dataset.scanSubmit)) ||
      form.querySelector("button.primary:not([type=button]):not([form])") ||
      (form.id && document.querySelector('button.primary[form="' + form.id + '"]'));
    if (!main || main.disabled) { return; }
    event.preventDefault();
    form.requestSubmit(main);
  });
  // "Add a line" and "Add more rows" without a round trip (data-add-rows="<row selector>", data-count: how
  // many): the last row is copied with the next numbers and emptied. Without the script the button asks
  // the server, which answers the same form with the rows added.
  document.querySelectorAll("button[data-add-rows]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      var rows = button.form.querySelectorAll(button.dataset.addRows);
      if (!rows.length) { return; }
      event.preventDefault();
      var last = rows[rows.length - 1];
      var first = null;
      for (var added = 0; added < (parseInt(button.dataset.count, 10) || 1); added++) {
        var index = rows.length + added;
        var copy = last.cloneNode(true);
        copy.querySelectorAll(".error, .badge").forEach(function (node) { node.remove(); });
        copy.classList.remove("has-error");
        copy.querySelectorAll("[name], [id], label[for], [aria-describedby]").forEach(function (node) {
          ["name", "id", "for", "aria-describedby"].forEach(function (attribute) {
            var value = node.getAttribute(attribute);
            if (value) { node.setAttribute(attribute, value.replace(/-\d+-/g, "-" + index + "-")); }
          });
          node.removeAttribute("aria-invalid");
          node.closest(".field") && node.closest(".field").classList.remove("has-error");
          if (node.type === "checkbox" || node.type === "radio") { node.checked = false; }
          else if (node.tagName === "SELECT") { node.selectedIndex = 0; }
          else if ("value" in node && node.tagName !== "BUTTON") { node.value = ""; }
        });
        var label = copy.getAttribute("aria-label");
        if (label) { copy.setAttribute("aria-label", label.replace(/\d+/, String(index + 1))); }
        var legend = copy.querySelector("legend");
        if (legend) { legend.textContent = legend.textContent.replace(/\d+/, String(index + 1)); }
        last.after(copy);
        last = copy;
        first = first || copy;
      }
      var target = first.querySelector("input:not([type=hidden]), select");
      if (target) { target.focus(); }
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
