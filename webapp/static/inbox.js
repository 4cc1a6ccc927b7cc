// The inbox: "select all" ticks every task row (hidden when no row can be ticked).
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) return;
  var picks = document.querySelectorAll("#task-actions input.pick");
  if (!picks.length) { all.hidden = true; return; }
  all.addEventListener("change", function () { picks.forEach(function (p) { p.checked = all.checked; }); });
})();
