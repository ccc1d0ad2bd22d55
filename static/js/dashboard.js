/* Live check-in numbers on the staff dashboard: poll a small JSON endpoint.
 * Without JavaScript the page shows the numbers as of its loading. */
(function () {
  "use strict";
  var table = document.getElementById("live-table");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-url");

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.sessions.forEach(function (s) {
          var checked = table.querySelector('[data-live-checked="' + s.id + '"]');
          var confirmed = table.querySelector('[data-live-confirmed="' + s.id + '"]');
          if (checked && checked.textContent !== String(s.checked_in)) { checked.textContent = s.checked_in; }
          if (confirmed && confirmed.textContent !== String(s.confirmed)) { confirmed.textContent = s.confirmed; }
        });
      }, function () { /* offline: keep the last numbers */ });
  }

  setInterval(refresh, 15000);
}());
