/* « Planning des activités » — progressive enhancement only: without JavaScript the filter
   form is submitted with « Filtrer » and the tooltips show on hover and keyboard focus.
   With it: the switches show/hide the slots at once and keep the address (and the navigation
   links, and the « retour » of the slot links and request buttons) in sync; Escape hides the tooltip under the pointer or the focus. */
(function () {
  "use strict";

  var form = document.querySelector("[data-planning-filters]");
  var counter = document.querySelector("[data-planning-count]");

  function selected(kind) {
    var ids = [];
    form.querySelectorAll('input[data-filter="' + kind + '"]').forEach(function (input) {
      if (input.checked) ids.push(input.value);
    });
    return ids;
  }

  function allChecked() {
    return Array.prototype.every.call(
      form.querySelectorAll("input[data-filter]"),
      function (input) { return input.checked; }
    );
  }

  function withFilters(href, children, activities, all) {
    var url = new URL(href, window.location.href);
    var params = url.searchParams;
    params.delete("filtre");
    params.delete("enfant");
    params.delete("activite");
    if (!all) {
      params.set("filtre", "1");
      children.forEach(function (id) { params.append("enfant", id); });
      activities.forEach(function (id) { params.append("activite", id); });
    }
    return url.pathname + "?" + params.toString();
  }

  function apply() {
    var children = selected("child");
    var activities = selected("activity");
    var visible = 0;
    document.querySelectorAll("[data-cell]").forEach(function (cell) {
      var show = children.indexOf(cell.dataset.child) !== -1 &&
        activities.indexOf(cell.dataset.activity) !== -1;
      cell.hidden = !show;
      // The agenda (narrow screens) repeats the grid's cells: count them once.
      if (show && !cell.closest("[data-agenda]")) visible += 1;
    });
    document.querySelectorAll("[data-day]").forEach(function (day) {
      var shown = day.querySelector("[data-cell]:not([hidden])");
      day.classList.toggle("planning-day--empty", !shown);
    });
    var emptyDay = document.querySelector("[data-empty-day]");
    if (emptyDay) emptyDay.hidden = visible > 0;
    var emptyAgenda = document.querySelector("[data-empty-agenda]");
    if (emptyAgenda) emptyAgenda.hidden = visible > 0;
    var all = allChecked();
    document.querySelectorAll("a[data-keep-filters]").forEach(function (link) {
      link.setAttribute("href", withFilters(link.getAttribute("href"), children, activities, all));
    });
    var here = withFilters(window.location.href, children, activities, all);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", here);
    }
    // The slot links and the request buttons come back to the planning as now shown.
    document.querySelectorAll("a[data-return]").forEach(function (link) {
      var url = new URL(link.getAttribute("href"), window.location.href);
      url.searchParams.set("retour", here);
      link.setAttribute("href", url.pathname + "?" + url.searchParams.toString());
    });
    if (counter) {
      counter.textContent = visible === 1
        ? counter.dataset.one
        : counter.dataset.many.replace("%(n)s", String(visible));
    }
  }

  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.matches("input[data-filter]")) apply();
    });
  }

  // Tooltips: Escape dismisses the visible one; leaving the slot (pointer or focus) resets it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var slots = document.querySelectorAll(".slot:hover, .slot:focus-within");
    slots.forEach(function (slot) { slot.classList.add("is-tooltip-dismissed"); });
  });
  document.querySelectorAll(".slot").forEach(function (slot) {
    slot.addEventListener("mouseleave", function () { slot.classList.remove("is-tooltip-dismissed"); });
    slot.addEventListener("focusout", function () { slot.classList.remove("is-tooltip-dismissed"); });
  });
})();
