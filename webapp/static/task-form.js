// Task and application forms: adds and removes list rows (様式1), and moves focus to the first field in error.
(function () {
  "use strict";
  document.querySelectorAll("[data-list]").forEach(function (list) {
    var body = list.querySelector("tbody");
    var template = list.querySelector("template[data-row-template]");
    var next = body.rows.length;
    list.querySelector("[data-add-row]").addEventListener("click", function () {
      var html = template.innerHTML.split("__index__").join(String(next++));
      body.insertAdjacentHTML("beforeend", html);
      var first = body.lastElementChild.querySelector("input, select, textarea");
      if (first) first.focus();
    });
    body.addEventListener("click", function (event) {
      var button = event.target.closest("[data-remove-row]");
      if (button) { button.closest("tr").remove(); list.querySelector("[data-add-row]").focus(); }
    });
  });
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) { invalid.focus(); }
  else { var summary = document.getElementById("error-summary"); if (summary) summary.focus(); }
})();
