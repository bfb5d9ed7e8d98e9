/* Family-space creation, step 1: focus the first field in error, and « copier l’adresse »
   of guardian 1 into guardian 2's fields. */
(function () {
  "use strict";
  var form = document.querySelector(".creation-form");
  if (!form) { return; }
  var focusId = form.getAttribute("data-focus");
  if (focusId && document.getElementById(focusId)) { document.getElementById(focusId).focus(); }
  var copy = form.querySelector("[data-copy-address]");
  if (copy) {
    copy.addEventListener("click", function (event) {
      event.preventDefault();
      ["address", "address_complement", "postal_code", "city"].forEach(function (name) {
        var source = document.getElementById("id_r1-" + name);
        var target = document.getElementById("id_r2-" + name);
        if (source && target) { target.value = source.value; }
      });
      var status = document.getElementById("copie-statut");
      if (status) { status.textContent = form.getAttribute("data-copied-message") || ""; }
    });
    var live = document.createElement("p");
    live.id = "copie-statut";
    live.className = "visually-hidden";
    live.setAttribute("role", "status");
    copy.parentNode.appendChild(live);
  }
})();
