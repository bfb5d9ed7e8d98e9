/* The ALTCHA widget is a progressive enhancement of the CAPTCHA (portal/captcha.py): once the
   custom element is defined, it replaces the fallback question. Without JavaScript, or when
   the widget cannot load, the question stays. */
(function () {
  "use strict";
  if (!window.customElements || !window.crypto || !window.crypto.subtle) {
    return;
  }
  window.customElements.whenDefined("altcha-widget").then(function () {
    document.querySelectorAll("[data-captcha]").forEach(function (box) {
      var widget = box.querySelector("[data-captcha-widget]");
      var fallback = box.querySelector("[data-captcha-fallback]");
      if (!widget || !fallback) {
        return;
      }
      widget.hidden = false;
      fallback.hidden = true;
      fallback.querySelectorAll("input").forEach(function (input) {
        input.disabled = true;
      });
    });
  });
})();
