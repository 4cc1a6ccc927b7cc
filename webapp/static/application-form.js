// The application form: only the chosen edition's countries are offered (their checkboxes, site questions and
// prior-use hours); the others are hidden and disabled, so they are not sent. The server checks the same rule.
(function () {
  "use strict";
  var form = document.querySelector("form[data-edition-countries]");
  var select = form && form.querySelector("select[name=edition]");
  if (!select) return;

  function countryOf(input) {
    if (input.name === "countries") return input.value;
    var match = /^(?:sites|prior_use)-([A-Z]{2,4})(?:-|$)/.exec(input.name);
    return match ? match[1] : null;
  }

  function holder(input) {
    if (input.name === "countries") return input.closest("label") || input.parentNode;
    if (input.name.indexOf("sites-") === 0) return input.closest("fieldset") || input.parentNode;
    return input.closest(".field") || input.parentNode;
  }

  function apply() {
    var allowed = JSON.parse(form.getAttribute("data-edition-countries") || "{}")[select.value];
    form.querySelectorAll("input, select, textarea").forEach(function (input) {
      var country = countryOf(input);
      if (!country || !allowed) return;
      var offered = allowed.indexOf(country) !== -1;
      var box = holder(input);
      box.hidden = !offered;
      input.disabled = !offered;
    });
  }

  select.addEventListener("change", apply);
  apply();
})();
