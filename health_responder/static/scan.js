// Scan fields: an input with data-scan="<button text>" gets a button that reads a barcode with the
// phone's camera, wherever the browser can open a camera (getUserMedia; without it, no button, and the
// field stays for a USB scanner, which types into it). The browser's own BarcodeDetector reads the code
// where there is one (Chrome on Android and macOS); elsewhere (Safari on iPhone, Firefox, Chromium on
// Linux and Windows) the standard polyfill of that API, barcode-detector on zxing-cpp's WebAssembly build,
// does: it is served from static/vendor/ (never a CDN: the service works offline, and the CSP allows
// only this origin) and loaded the first time someone presses the button, so no page pays for the
// WebAssembly until a scan. What is read is put into the field as it is: the server reads the GS1
// element string. A field with data-scan-submit="<button id>" then presses that button, as a USB
// scanner's Enter would (the pick list check, the receipt form's "fill the line").
(function () {
  "use strict";
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  const FORMATS = ["data_matrix", "qr_code", "code_128", "gs1_databar", "ean_13"];
  const VENDOR = new URL("vendor/", document.currentScript.src).href;
  let polyfill = null;

  // The native BarcodeDetector, or the vendored polyfill's (its script loaded once, on first use).
  function detectorClass() {
    if ("BarcodeDetector" in window) {
      return Promise.resolve(window.BarcodeDetector);
    }
    if (!polyfill) {
      polyfill = new Promise(function (resolve, reject) {
        const tag = document.createElement("script");
        tag.src = VENDOR + "barcode-detector.ponyfill.js";
        tag.addEventListener("load", function () {
          const api = window.BarcodeDetectionAPI;
          api.prepareZXingModule({
            overrides: {
              // zxing_reader.wasm from our static folder, not the package's default CDN.
              locateFile: (path, prefix) => (path.endsWith(".wasm") ? VENDOR + path : prefix + path),
            },
          });
          resolve(api.BarcodeDetector);
        });
        tag.addEventListener("error", function () {
          polyfill = null; // the next press tries again
          reject(new Error("the barcode reader could not be loaded from " + tag.src));
        });
        document.head.appendChild(tag);
      });
    }
    return polyfill;
  }

  function attach(input) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = input.dataset.scan;
    input.insertAdjacentElement("afterend", button);
    // Said on the page when the camera is refused or missing, or the reader cannot load: the person at
    // the dock sees why nothing happens, and that the field still takes a typed or scanned code.
    const failed = document.createElement("p");
    failed.className = "error scan-failed";
    failed.setAttribute("role", "alert");
    failed.hidden = true;
    button.insertAdjacentElement("afterend", failed);
    button.addEventListener("click", async function () {
      button.disabled = true; // one camera at a time
      failed.hidden = true;
      failed.textContent = "";
      let stream = null;
      let video = null;
      let detector = null;
      const stop = function () {
        if (stream) {
          stream.getTracks().forEach((track) => track.stop());
        }
        if (video) {
          video.remove();
        }
        button.disabled = false;
      };
      try {
        const Detector = await detectorClass();
        const supported = await Detector.getSupportedFormats();
        detector = new Detector({ formats: FORMATS.filter((f) => supported.includes(f)) });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        video = document.createElement("video");
        video.setAttribute("playsinline", "");
        video.muted = true;
        video.className = "scan-preview";
        video.srcObject = stream;
        button.insertAdjacentElement("afterend", video);
        await video.play();
      } catch (error) {
        stop();
        failed.textContent = input.dataset.scanFailed || String(error);
        failed.hidden = false;
        console.error(error);
        return;
      }
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
