/* The self check-in screen at the entrance: when the code changes (every
 * SELF_CHECKIN_ROTATE_SECONDS) the QR code and the address are swapped for the
 * new ones, and the check-in count is kept up to date. The page asks its own
 * URL for JSON. When check-in opens or closes, the page is loaded again.
 * Without JavaScript the "show the current code" link does the same by hand. */
(function () {
  "use strict";
  var screen = document.getElementById("self-screen");
  if (!screen || !window.fetch) { return; }
  var POLL = 30;   // seconds between count updates
  var RETRY = 10;  // seconds after a failed request
  var state = screen.getAttribute("data-window-state");
  var code = screen.getAttribute("data-code");
  var qr = document.getElementById("self-screen-qr");
  var address = document.getElementById("self-screen-url");
  var checkedIn = document.getElementById("self-count-checked-in");
  var confirmed = document.getElementById("self-count-confirmed");
  var timer = null;

  function toggle(online) {
    screen.querySelectorAll(".js-only").forEach(function (el) { el.hidden = !online; });
    screen.querySelectorAll(".no-js-only").forEach(function (el) { el.hidden = online; });
  }

  function later(seconds) {
    clearTimeout(timer);
    timer = setTimeout(update, Math.max(1, seconds) * 1000);
  }

  function apply(data) {
    if (data.window_state !== state) {  // check-in opened or closed: the page looks different
      window.location.reload();
      return;
    }
    if (data.code && data.code !== code) {
      code = data.code;
      screen.setAttribute("data-code", code);
      if (qr) { qr.src = data.qr; }
      if (address) { address.textContent = data.url; }
    }
    if (data.counts) {
      if (checkedIn) { checkedIn.textContent = data.counts.checked_in; }
      if (confirmed) { confirmed.textContent = data.counts.confirmed; }
    }
    toggle(true);
    later(Math.min(data.refresh, POLL));
  }

  function update() {
    fetch(window.location.pathname, {
      headers: { "Accept": "application/json" }, credentials: "same-origin", cache: "no-store"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(apply).catch(function () {
      toggle(false);  // the page may be stale: the link to load it again is what helps now
      later(RETRY);
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { update(); }
  });
  toggle(true);
  later(Math.min(parseInt(screen.getAttribute("data-refresh"), 10) || POLL, POLL));
}());
