/* The ballot shows how many points are left while the representative types.
 * Without JavaScript the server checks the same rules when the ballot is saved. */
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  var textEl = document.getElementById("ballot-text");
  var out = document.getElementById("ballot-remaining");
  if (!form || !textEl || !out) { return; }
  var text = JSON.parse(textEl.textContent);
  var budget = parseInt(form.getAttribute("data-budget"), 10);

  function fill(t, v) { return t.replace(/\{(\w+)\}/g, function (m, k) { return v[k] !== undefined ? v[k] : m; }); }

  function update() {
    var used = 0;
    form.querySelectorAll(".points-input").forEach(function (input) {
      var n = parseInt(input.value, 10);
      if (!isNaN(n) && n > 0) { used += n; }
    });
    var values = { used: used, budget: budget, left: Math.max(budget - used, 0) };
    out.textContent = used > budget ? fill(text.over, values) : fill(text.remaining, values);
    out.className = "ballot-remaining" + (used > budget ? " ballot-over" : "");
  }

  form.addEventListener("input", update);
  update();
}());
