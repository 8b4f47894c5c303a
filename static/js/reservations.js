// Enhancements only: every page works without this file.
(function () {
  "use strict";

  // The hold's expiry: say how many minutes are left, once a minute (politely, not every tick).
  document.querySelectorAll(".hold-expiry[data-expires]").forEach(function (box) {
    var expires = new Date(box.getAttribute("data-expires"));
    var out = box.querySelector(".hold-countdown");
    var words = box.getAttribute("data-left") || "({n})";  // translated by the page
    if (!out || isNaN(expires)) return;
    var update = function () {
      var minutes = Math.ceil((expires - Date.now()) / 60000);
      out.textContent = minutes > 0 ? words.replace("{n}", minutes) : "";
    };
    update();
    setInterval(update, 60000);
  });

  // Repeat: the interval and end fields matter only once a repeat is chosen.
  document.querySelectorAll(".repeat-options").forEach(function (box) {
    var select = box.querySelector("select[name=repeat]");
    if (!select) return;
    var fields = box.querySelectorAll("input");
    var sync = function () {
      fields.forEach(function (input) { input.disabled = !select.value; });
    };
    select.addEventListener("change", sync);
    sync();
  });
})();
