/* Family-space creation, step 2: the bank holder follows the paying guardian chosen. */
(function () {
  "use strict";
  // Choosing another paying guardian pre-fills the holder again, unless the parent typed one.
  var data = document.getElementById("titulaires");
  var name = document.getElementById("id_holder_name");
  var address = document.getElementById("id_holder_address");
  if (!data || !name || !address) { return; }
  var holders = JSON.parse(data.textContent);
  var filled = function () {
    return holders.some(function (h) { return h.holder_name === name.value && h.holder_address === address.value; });
  };
  document.querySelectorAll("[data-payer-index]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      var holder = holders[Number(radio.getAttribute("data-payer-index"))];
      if (holder && (filled() || (!name.value && !address.value))) {
        name.value = holder.holder_name;
        address.value = holder.holder_address;
      }
    });
  });
})();
