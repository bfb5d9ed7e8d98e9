/* A link with data-dialog-open="<id>" opens that <dialog> (the page it leads to works
   without JavaScript); a button with data-dialog-close inside closes it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-dialog-open]").forEach(function (opener) {
    var dialog = document.getElementById(opener.getAttribute("data-dialog-open"));
    if (!dialog || typeof dialog.showModal !== "function") { return; }
    opener.addEventListener("click", function (event) {
      event.preventDefault();
      dialog.showModal();
    });
    dialog.querySelectorAll("[data-dialog-close]").forEach(function (button) {
      button.addEventListener("click", function () { dialog.close(); opener.focus(); });
    });
  });
})();
