/* Reservation / absence requests — progressive enhancement only: every page works without it.
   1. On the planning, a slot link opens the slot's page in a native <dialog> (the same
      content and forms as the page: history, « Confirmer la demande »); focus moves into
      the dialog, Escape closes it and focus returns to the link.
   2. On the request pages, focus goes to the error summary or to the preview when shown. */
(function () {
  "use strict";

  function focusFirst(selector) {
    var element = document.querySelector(selector);
    if (element) {
      element.focus();
      return true;
    }
    return false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirst("#erreurs") || focusFirst("#apercu-titre");
  });

  if (typeof HTMLDialogElement !== "function" || !window.fetch || !window.DOMParser) {
    return;
  }

  var dialog = null;
  var opener = null;

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "request-dialog";
    dialog.setAttribute("aria-labelledby", "request-dialog-title");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "request-dialog__close button--secondary";
    close.textContent = document.documentElement.lang === "fr" ? "Fermer" : "Close";
    close.addEventListener("click", function () { dialog.close(); });
    var body = document.createElement("div");
    body.className = "request-dialog__body";
    dialog.appendChild(close);
    dialog.appendChild(body);
    dialog.addEventListener("close", function () {
      if (opener) { opener.focus(); }
    });
    document.body.appendChild(dialog);
  }

  function open(link) {
    fetch(link.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var content = page.querySelector(".slot-page") || page.querySelector("main");
        if (!content) { throw new Error("no content"); }
        if (!dialog) { buildDialog(); }
        var body = dialog.querySelector(".request-dialog__body");
        body.replaceChildren(document.importNode(content, true));
        var title = body.querySelector("h1");
        if (title) {
          var heading = document.createElement("h2");
          heading.id = "request-dialog-title";
          heading.tabIndex = -1;
          heading.textContent = title.textContent;
          title.replaceWith(heading);
        }
        opener = link;
        dialog.showModal();
        var target = body.querySelector("#request-dialog-title");
        if (target) { target.focus(); }
      })
      .catch(function () {
        window.location.href = link.href; // the plain page, as without JavaScript
      });
  }

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) {
      return;
    }
    var link = event.target.closest ? event.target.closest("a[data-request-dialog], .slot__link") : null;
    if (!link) { return; }
    event.preventDefault();
    open(link);
  });
})();
