// Progressive enhancement of the checkbox lists (templates/_macros.html, choice_list): a filter box,
// a summary of what is chosen kept current, and "Alla kommuner i länet" as a button that ticks them.
// Everything works without this file: the boxes are plain checkboxes and the server adds "all".
(function () {
  "use strict";
  function enhance(set) {
    var list = set.querySelector(".choices-list");
    var summary = set.querySelector(".choices-summary");
    var boxes = Array.prototype.slice.call(list.querySelectorAll("input[type=checkbox]"));
    function update() {
      var chosen = boxes.filter(function (b) { return b.checked; }).map(function (b) {
        return set.querySelector("label[for='" + b.id + "']").textContent.trim();
      });
      summary.textContent = chosen.length
        ? summary.dataset.prefix + " (" + chosen.length + "): " + chosen.join(", ")
        : summary.dataset.none;
    }
    list.addEventListener("change", update);
    if (boxes.length > 8) {
      var filter = document.createElement("input");
      filter.type = "search";
      filter.className = "choices-filter";
      var what = set.dataset.filterLabel + " " + set.querySelector("legend").textContent.trim().toLowerCase();
      filter.setAttribute("aria-label", what);
      filter.placeholder = what;
      filter.setAttribute("aria-controls", list.id);
      filter.addEventListener("input", function () {
        var needle = filter.value.trim().toLowerCase();
        boxes.forEach(function (b) {
          var text = set.querySelector("label[for='" + b.id + "']").textContent.toLowerCase();
          b.parentNode.hidden = needle !== "" && text.indexOf(needle) === -1;
        });
      });
      // Enter in the filter box must not submit the form.
      filter.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); } });
      list.parentNode.insertBefore(filter, list);
    }
    var all = set.querySelector("[data-select-kind]");
    if (all) {
      var kind = all.dataset.selectKind;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary choices-all-button";
      button.textContent = set.querySelector("label[for='" + all.id + "']").textContent.trim();
      button.addEventListener("click", function () {
        boxes.forEach(function (b) { if (b.dataset.kind === kind) { b.checked = true; } });
        update();
      });
      all.parentNode.replaceWith(button);
    }
  }
  document.querySelectorAll("[data-choices]").forEach(enhance);
})();
