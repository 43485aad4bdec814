// Scan fields: an input with data-scan="<button text>" gets a button that reads a barcode with the
// phone's camera through the browser's BarcodeDetector, where the browser has one (others keep the
// field for a USB scanner, which types into it). What is read is put into the field as it is: the
// server reads the GS1 element string. A field with data-scan-submit="<button id>" then presses that
// button, as a USB scanner's Enter would (the pick list check, the receipt form's "fill the line").
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  const FORMATS = ["data_matrix", "qr_code", "code_128", "gs1_databar", "ean_13"];

  function attach(input) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = input.dataset.scan;
    input.insertAdjacentElement("afterend", button);
    button.addEventListener("click", async function () {
      const supported = await window.BarcodeDetector.getSupportedFormats();
      const detector = new window.BarcodeDetector({ formats: FORMATS.filter((f) => supported.includes(f)) });
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      const video = document.createElement("video");
      video.setAttribute("playsinline", "");
      video.className = "scan-preview";
      video.srcObject = stream;
      button.insertAdjacentElement("afterend", video);
      await video.play();
      const stop = function () {
        stream.getTracks().forEach((track) => track.stop());
        video.remove();
      };
      const look = async function () {
        const found = await detector.detect(video).catch(() => []);
        if (found.length) {
          input.value = found[0].rawValue;
          stop();
          input.focus();
          input.dispatchEvent(new Event("change", { bubbles: true }));
          const submit = input.dataset.scanSubmit && document.getElementById(input.dataset.scanSubmit);
          if (submit && input.form) {
            input.form.requestSubmit(submit);
          }
          return;
        }
        if (video.isConnected) {
          window.requestAnimationFrame(look);
        }
      };
      look();
    });
  }

  document.querySelectorAll("input[data-scan]").forEach(attach);
})();
