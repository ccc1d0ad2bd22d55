/* MIA-DO Events door scanner.
 *
 * Progressive enhancement of the scanner page (which works without
 * JavaScript through its forms):
 *  - reads tickets with the camera (getUserMedia + jsQR) and checks their
 *    Ed25519 signature with the app's public key (TweetNaCl);
 *  - keeps the session's attendee list in IndexedDB, so that scanning,
 *    name search and check-in keep working offline;
 *  - queues offline check-ins in IndexedDB and sends them when the network
 *    is back (the server's check-in service decides, exactly once: each
 *    item carries a random ref the server keeps, so sending it again, or
 *    after a timeout, changes nothing);
 *  - waits at most a few seconds for the server, then decides offline;
 *    green is shown only once the check-in is acknowledged by the server
 *    or safely stored in the queue;
 *  - answers each scan in words, colour, icon, sound and vibration, and
 *    after a sync lists every item the server refused.
 */
(function () {
  "use strict";

  var configEl = document.getElementById("scanner-config");
  if (!configEl) { return; }
  var config = JSON.parse(configEl.textContent);
  var T = config.text;
  var SESSION = config.sessionId;
  var TIMEOUT_MS = config.timeoutMs || 5000;
  var SYNC_BATCH = 200;

  var state = {
    roster: null,        // {session, entries, public_key, csrf_token, counts}
    byHash: {},          // token hash -> entry
    byCode: {},          // ticket code -> entry
    byId: {},            // registration id -> entry
    lastCheckedIn: null, // registration id of the last green answer
    lastText: null, lastTextAt: 0,
    syncing: false,
    stream: null
  };

  // ---------------------------------------------------------------- helpers
  function $(id) { return document.getElementById(id); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return values[key] !== undefined ? String(values[key]) : m;
    });
  }

  // A button that acts on one person: its label, and the person's name for
  // screen readers ("Undo Ayşe Demir"), so a list of them stays clear.
  function personButton(label, name, className, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = className;
    button.textContent = label;
    var who = document.createElement("span");
    who.className = "visually-hidden";
    who.textContent = " " + name;
    button.appendChild(who);
    button.addEventListener("click", onClick);
    return button;
  }

  function formatTime(iso) {
    try {
      return new Date(iso).toLocaleTimeString(config.locale, { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Berlin" });
    } catch (e) {
      return new Date(iso).toLocaleTimeString();
    }
  }

  function bytesToB64url(bytes) {
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // URL-safe base64 in its one canonical spelling only (atob ignores the
  // unused low bits of the last character, so 16 texts would give the same
  // bytes): throws on anything else, as the server does.
  function b64urlToBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var raw = atob(b64);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    if (bytesToB64url(out) !== text) { throw new Error("not canonical base64"); }
    return out;
  }

  // fetch that gives up after TIMEOUT_MS (a weak but "online" connection),
  // so that the scanner falls back to its offline path.
  function fetchWithTimeout(url, options, ms) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = null;
    if (controller) {
      options.signal = controller.signal;
      timer = setTimeout(function () { controller.abort(); }, ms || TIMEOUT_MS);
    }
    return fetch(url, options).then(function (r) {
      if (timer) { clearTimeout(timer); }
      return r;
    }, function (err) {
      if (timer) { clearTimeout(timer); }
      throw err;
    });
  }

  function report(what, err) {
    if (window.console && console.warn) { console.warn("door scanner: " + what, err); }
  }

  function asciiBytes(text) {
    var out = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { out[i] = text.charCodeAt(i) & 0xff; }
    return out;
  }

  function hex(bytes) {
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += ("0" + bytes[i].toString(16)).slice(-2); }
    return s;
  }

  // The roster holds a hash of each ticket token, never the token itself.
  function tokenHash(token) {
    return hex(window.nacl.hash(asciiBytes(token))).slice(0, 32);
  }

  // The rules for typed ticket codes come from the server (checkin/tickets.py).
  var CODE = config.code;
  function normaliseCode(text) {
    var cleaned = (text || "").replace(/[\s-]/g, "").toUpperCase();
    var out = "";
    for (var i = 0; i < cleaned.length; i++) {
      var c = CODE.fixes[cleaned[i]] || cleaned[i];
      if (CODE.alphabet.indexOf(c) < 0) { return null; }
      out += c;
    }
    return out.length === CODE.length ? out : null;
  }

  var TICKET_RE = /\/t\/([A-Za-z0-9_-]{16,32})\.([A-Za-z0-9_-]{86})(?:[?#].*)?$/;

  // {kind: "token"|"code"|"forged"|null, value}
  function parseScan(text) {
    var m = TICKET_RE.exec((text || "").trim());
    if (m) {
      var ok = false;
      try {
        ok = window.nacl.sign.detached.verify(
          asciiBytes("miado-ticket-v1:" + m[1]), b64urlToBytes(m[2]), b64urlToBytes(config.publicKey));
      } catch (e) { ok = false; }
      return ok ? { kind: "token", value: m[1] } : { kind: "forged" };
    }
    var code = normaliseCode(text);
    return code ? { kind: "code", value: code } : { kind: null };
  }

  // ---------------------------------------------------------------- IndexedDB
  var dbPromise = null;
  function openDb() {
    if (dbPromise) { return dbPromise; }
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
      var req = indexedDB.open("miado-door", 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore("rosters", { keyPath: "sessionId" });
        var queue = db.createObjectStore("queue", { keyPath: "ref" });
        queue.createIndex("session", "sessionId");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbPromise;
  }

  function tx(store, mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var result = work(t.objectStore(store));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function saveRoster(roster) {
    return tx("rosters", "readwrite", function (s) { return s.put({ sessionId: SESSION, roster: roster }); });
  }

  function loadRoster() {
    return tx("rosters", "readonly", function (s) { return s.get(SESSION); })
      .then(function (row) { return row ? row.roster : null; });
  }

  function queueItems() {
    return tx("queue", "readonly", function (s) { return s.index("session").getAll(SESSION); });
  }

  function enqueue(item) {
    item.sessionId = SESSION;
    return tx("queue", "readwrite", function (s) { return s.put(item); });
  }

  function dequeue(refs) {
    return tx("queue", "readwrite", function (s) {
      refs.forEach(function (ref) { s.delete(ref); });
    });
  }

  function newRef() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return hex(bytes);
  }

  // ---------------------------------------------------------------- roster
  function indexRoster(roster) {
    state.roster = roster;
    state.byHash = {}; state.byCode = {}; state.byId = {};
    (roster.entries || []).forEach(function (e) {
      state.byHash[e.token_hash] = e;
      state.byCode[e.code] = e;
      state.byId[e.id] = e;
    });
    if (roster.public_key) { config.publicKey = roster.public_key; }
  }

  function applyQueued(items) {
    items.forEach(function (item) {
      var id = item.entryId || item.registration_id;
      var entry = id ? state.byId[id] : null;
      if (entry && !item.undo && !entry.checked_in_at) { entry.checked_in_at = item.at; }
      if (entry && item.undo) { entry.checked_in_at = null; }
    });
  }

  function fetchRoster() {
    return fetchWithTimeout(config.rosterUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (roster) {
        indexRoster(roster);
        setCounts(roster.counts);
        return saveRoster(roster).catch(function (err) { report("the list could not be stored", err); })
          .then(queueItems).then(applyQueued, function (err) { report("the queue could not be read", err); });
      });
  }

  function localCounts() {
    var confirmed = 0, inside = 0;
    (state.roster ? state.roster.entries : []).forEach(function (e) {
      if (e.status === "confirmed" && e.here) {
        confirmed += 1;
        if (e.checked_in_at) { inside += 1; }
      }
    });
    return { checked_in: inside, confirmed: confirmed };
  }

  function setCounts(counts) {
    if (!counts) { return; }
    $("count-checked-in").textContent = counts.checked_in;
    $("count-confirmed").textContent = counts.confirmed;
  }

  // ---------------------------------------------------------------- answers
  var audio = null;
  function feedback(tone) {
    var pattern = tone === "green" ? [120] : tone === "amber" ? [100, 80, 100] : [400];
    if (navigator.vibrate) { try { navigator.vibrate(pattern); } catch (e) { /* ignore */ } }
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = tone === "green" ? 880 : tone === "amber" ? 520 : 220;
      gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + (tone === "red" ? 0.45 : 0.18));
    } catch (e) { /* no sound available */ }
  }

  function showAnswer(tone, message, organisation) {
    var box = $("answer");
    box.hidden = false;
    box.className = "answer answer-" + tone;
    box.textContent = "";
    var p = document.createElement("p");
    p.className = "answer-text";
    var icon = document.createElement("span");
    icon.className = "answer-icon";
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = tone === "green" ? "✓" : tone === "amber" ? "!" : "✕";
    var word = document.createElement("span");
    word.className = "answer-word";
    word.textContent = (tone === "green" ? T.wordGreen : tone === "amber" ? T.wordAmber : T.wordRed) + ": ";
    p.appendChild(icon); p.appendChild(document.createTextNode(" ")); p.appendChild(word);
    p.appendChild(document.createTextNode(message));
    box.appendChild(p);
    if (organisation) {
      var org = document.createElement("p");
      org.className = "answer-org";
      org.textContent = organisation;
      box.appendChild(org);
    }
    $("undo-last").hidden = !state.lastCheckedIn;
    feedback(tone);
  }

  // What the server would answer, decided from the stored list (offline).
  function localJudge(entry) {
    if (!entry) { return { tone: "red", outcome: "invalid", message: T.unknown }; }
    if (!entry.here) { return { tone: "amber", outcome: "other_session", message: fill(T.otherSession, { name: entry.name }) }; }
    if (entry.status !== "confirmed") { return { tone: "amber", outcome: "waitlisted", message: fill(T.waitlisted, { name: entry.name }) }; }
    if (entry.checked_in_at) {
      return { tone: "amber", outcome: "already_checked_in", message: fill(T.already, { name: entry.name, time: formatTime(entry.checked_in_at) }) };
    }
    var now = new Date(), session = state.roster.session;
    if (now < new Date(session.window_opens)) { return { tone: "amber", outcome: "not_open", message: fill(T.notOpen, { time: formatTime(session.window_opens) }) }; }
    if (now > new Date(session.window_closes)) { return { tone: "amber", outcome: "closed", message: T.closed }; }
    return { tone: "green", outcome: "checked_in", message: fill(T.welcome, { name: entry.name }) };
  }

  function entryForScan(parsed) {
    if (parsed.kind === "token") { return state.byHash[tokenHash(parsed.value)] || null; }
    if (parsed.kind === "code") { return state.byCode[parsed.value] || null; }
    return null;
  }

  // ---------------------------------------------------------------- check-in
  // One scan waits TIMEOUT_MS; a queued batch (sent again safely if it
  // times out) gets longer on a slow line.
  function post(items, ms) {
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (state.roster && state.roster.csrf_token) { headers["X-CSRFToken"] = state.roster.csrf_token; }
    return fetchWithTimeout(config.syncUrl, {
      method: "POST", credentials: "same-origin", headers: headers,
      body: JSON.stringify({ items: items })
    }, ms).then(function (r) {
      if (!r.ok) { var err = new Error("HTTP " + r.status); err.status = r.status; throw err; }
      return r.json();
    });
  }

  function publicItem(item) {
    var out = { ref: item.ref, at: item.at };
    if (item.registration_id) { out.registration_id = item.registration_id; }
    if (item.scan) { out.scan = item.scan; }
    if (item.offline) { out.offline = true; }
    if (item.undo) { out.undo = true; }
    if (item.method) { out.method = item.method; }
    return out;
  }

  function rememberServerAnswer(res) {
    var entry = res.registration_id ? state.byId[res.registration_id] : null;
    if (entry && res.checked_in_at) { entry.checked_in_at = res.checked_in_at; }
    if (entry && (res.outcome === "undone" || res.outcome === "held_for_review")) { entry.checked_in_at = null; }
  }

  // One attempt: the server decides when it can be reached; otherwise the
  // stored list decides and the check-in waits in the queue.
  function attempt(item, entry) {
    return post([publicItem(item)]).then(function (data) {
      var res = data.results[0];
      rememberServerAnswer(res);
      if (res.outcome === "checked_in") { state.lastCheckedIn = res.registration_id; }
      showAnswer(res.tone, res.message, res.organisation);
      setCounts(data.counts);
      addRecent(res);
      if (res.outcome === "undone") { removeRecent(res.registration_id); }
    }, function (err) {
      if (err && err.status && err.status < 500 && err.status !== 408) {
        // The server answered with a refusal (e.g. signed out): say so, queue nothing.
        report("the server refused the check-in", err);
        showAnswer("red", T.refused);
        return;
      }
      // No answer in time (or a server error): the same item, with the same
      // ref, goes into the queue; if the first request did arrive after all,
      // the server answers the queued copy from its ledger.
      offlineDecision(item, entry);
    });
  }

  function notSaved(err) {
    report("the check-in could not be stored", err);
    showAnswer("red", T.notSaved);
  }

  // Decided from the stored list; the answer appears only once the item is
  // in the queue (a failed write must not look like a check-in).
  function offlineDecision(item, entry) {
    if (item.undo) {
      item.offline = true;
      enqueue(item).then(function () {
        if (entry) { entry.checked_in_at = null; }
        removeRecent(item.registration_id);
        showAnswer("amber", fill(T.undone, { name: entry ? entry.name : "" }));
        setCounts(localCounts());
        return updateNetwork();
      }, notSaved);
      return;
    }
    var verdict = localJudge(entry);
    if (verdict.outcome === "checked_in") {
      item.offline = true;
      item.entryId = entry.id;
      enqueue(item).then(function () {
        entry.checked_in_at = item.at;
        state.lastCheckedIn = entry.id;
        showAnswer("green", verdict.message + " " + T.queued, entry.organisation);
        setCounts(localCounts());
        addRecent({ name: entry.name, checked_in_at: item.at, registration_id: entry.id });
        return updateNetwork();
      }, notSaved);
    } else {
      showAnswer(verdict.tone, verdict.message, entry ? entry.organisation : null);
    }
  }

  function handleScan(text, viaCamera) {
    var parsed = parseScan(text);
    if (parsed.kind === "forged" || parsed.kind === null) {
      showAnswer("red", T.invalid);
      return;
    }
    var entry = entryForScan(parsed);
    // The scanned text itself goes to the server, which checks the ticket's
    // signature again (a match in the stored list is no proof).
    var item = { ref: newRef(), at: new Date().toISOString(), method: viaCamera ? "scan" : "manual",
                 scan: text.slice(0, 500) };
    if (!viaCamera && !entry && !navigator.onLine) { showAnswer("red", T.unknown); return; }
    attempt(item, entry);
  }

  function checkInId(id) {
    var entry = state.byId[id] || null;
    attempt({ ref: newRef(), at: new Date().toISOString(), registration_id: id }, entry);
  }

  function undoId(id) {
    if (state.lastCheckedIn === id) { state.lastCheckedIn = null; }
    attempt({ ref: newRef(), at: new Date().toISOString(), registration_id: id, undo: true, method: "manual" },
            state.byId[id] || null);
  }

  function undoLast() {
    if (!state.lastCheckedIn) { return; }
    undoId(state.lastCheckedIn);
  }

  // ---------------------------------------------------------------- sync
  function updateNetwork() {
    return queueItems().then(function (items) {
      var el = $("network-status");
      el.hidden = false;
      if (!navigator.onLine || items.length) {
        el.className = "scanner-network scanner-offline";
        el.textContent = navigator.onLine ? fill(T.syncing, { n: items.length }) : fill(T.offline, { n: items.length });
      } else {
        el.className = "scanner-network scanner-online";
        el.textContent = T.online;
      }
      return items;
    }, function (err) { report("the queue could not be read", err); });
  }

  function showProblems(problems) {
    var list = $("sync-problems");
    list.textContent = "";
    problems.forEach(function (res) {
      var li = document.createElement("li");
      li.textContent = (res.name && res.message.indexOf(res.name) < 0 ? res.name + ": " : "") + res.message;
      list.appendChild(li);
    });
    list.hidden = !problems.length;
  }

  function syncQueue() {
    if (state.syncing || !navigator.onLine) { return Promise.resolve(); }
    state.syncing = true;
    return queueItems().then(function (queued) {
      if (!queued || !queued.length) { return null; }
      // At most SYNC_BATCH items per request (the server takes up to 500);
      // the rest follow right after.
      var items = queued.slice(0, SYNC_BATCH);
      // A fresh list first: it also renews the CSRF token after a long time offline.
      return fetchRoster().catch(function (err) { report("the list could not be loaded", err); }).then(function () {
        return post(items.map(publicItem), TIMEOUT_MS * 4).then(function (data) {
          var answered = [], problems = [];
          data.results.forEach(function (res) {
            if (!res.ref) { return; }
            answered.push(res.ref);
            rememberServerAnswer(res);
            // Everything the server did not let in is shown, not only "already in".
            if (res.tone !== "green" && res.outcome !== "undone") { problems.push(res); }
          });
          setCounts(data.counts);
          return dequeue(answered).then(function () {
            var el = $("network-status");
            el.hidden = false;
            el.className = "scanner-network scanner-online";
            el.textContent = fill(T.synced, { n: answered.length }) +
              (problems.length ? " " + fill(T.problems, { n: problems.length }) : "");
            showProblems(problems);
            if (queued.length > items.length) { setTimeout(syncThenShow, 0); }
            return true;
          });
        });
      });
    }).catch(function (err) {
      report("sending the queue failed; trying again later", err);
      if (err && err.status && err.status < 500) {
        // Refused as a whole (signed out, no longer assigned): say so; the queue stays.
        var el = $("network-status");
        el.hidden = false;
        el.className = "scanner-network scanner-offline";
        el.textContent = T.syncRefused;
        return true;
      }
      return null;
    }).then(function (shown) { state.syncing = false; return shown; });
  }

  // After a sync that reported what it sent, keep that message on screen.
  function syncThenShow() {
    return syncQueue().then(function (shown) { if (!shown) { return updateNetwork(); } return null; });
  }

  // ---------------------------------------------------------------- recent list
  function addRecent(res) {
    if (!res || !res.checked_in_at || !res.name || res.outcome === "already_checked_in") { return; }
    var list = $("recent-list");
    if (!list) {
      var empty = $("recent-empty");
      list = document.createElement("ul");
      list.className = "match-list";
      list.id = "recent-list";
      if (empty) { empty.replaceWith(list); } else { return; }
    }
    removeRecent(res.registration_id); // one line per person
    var li = document.createElement("li");
    if (res.registration_id) { li.setAttribute("data-registration-id", String(res.registration_id)); }
    var name = document.createElement("span");
    name.className = "match-name";
    name.textContent = res.name;
    var when = document.createElement("span");
    when.className = "meta";
    when.textContent = " · " + formatTime(res.checked_in_at);
    li.appendChild(name); li.appendChild(when);
    if (res.registration_id) {
      var undo = personButton(T.undo, res.name, "link-button",
                              function () { undoId(res.registration_id); });
      li.appendChild(document.createTextNode(" ")); li.appendChild(undo);
    }
    list.insertBefore(li, list.firstChild);
  }

  // An undone check-in leaves the list at once (not only after a reload).
  function removeRecent(registrationId) {
    var list = $("recent-list");
    if (!list || !registrationId) { return; }
    Array.prototype.slice.call(list.children).forEach(function (li) {
      if (li.getAttribute("data-registration-id") === String(registrationId)) { list.removeChild(li); }
    });
  }

  // ---------------------------------------------------------------- search
  function renderMatches(query) {
    var box = $("search-results");
    box.textContent = "";
    var q = query.trim().toLowerCase();
    if (q.length < 2 || !state.roster) { return; }
    var code = normaliseCode(query);
    var matches = state.roster.entries.filter(function (e) {
      return e.name.toLowerCase().indexOf(q) >= 0 || (code && e.code === code) ||
        (e.code.toLowerCase().indexOf(q.replace(/-/g, "")) === 0 && q.replace(/-/g, "").length >= 4);
    }).slice(0, 25);
    if (!matches.length) {
      var p = document.createElement("p");
      p.className = "empty-state";
      p.textContent = T.noMatch;
      box.appendChild(p);
      return;
    }
    var ul = document.createElement("ul");
    ul.className = "match-list";
    matches.forEach(function (e) {
      var li = document.createElement("li");
      var name = document.createElement("span");
      name.className = "match-name";
      name.textContent = e.name;
      li.appendChild(name);
      var meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = (e.organisation ? " · " + e.organisation : "") + " · " + e.code.slice(0, 4) + "-" + e.code.slice(4);
      li.appendChild(meta);
      if (e.checked_in_at) {
        var s = document.createElement("span");
        s.className = "status status-listed";
        s.textContent = fill(T.checkedInAt, { time: formatTime(e.checked_in_at) });
        li.appendChild(document.createTextNode(" ")); li.appendChild(s);
      } else {
        if (e.status !== "confirmed") {
          var w = document.createElement("span");
          w.className = "status status-pending";
          w.textContent = T.waitingList;
          li.appendChild(document.createTextNode(" ")); li.appendChild(w);
        }
        var b = personButton(T.checkIn, e.name, "button button-small", function () {
          checkInId(e.id);
          $("q").value = "";
          box.textContent = "";
          $("answer").focus();
        });
        li.appendChild(document.createTextNode(" ")); li.appendChild(b);
      }
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  // ---------------------------------------------------------------- camera
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  var lastDecode = 0;

  function cameraMessage(text) { $("camera-message").textContent = text; }

  // While aiming, the answer sits over the picture, so the person at the
  // door sees it without scrolling; it goes back to its place afterwards.
  var answerHome = null;
  function answerOverCamera(on) {
    var box = $("answer"), frame = $("camera-frame");
    if (on && !answerHome) {
      answerHome = document.createComment("answer");
      box.parentNode.insertBefore(answerHome, box);
      frame.appendChild(box);
    } else if (!on && answerHome) {
      answerHome.parentNode.insertBefore(box, answerHome);
      answerHome.parentNode.removeChild(answerHome);
      answerHome = null;
    }
  }

  function startCamera() {
    if (!window.isSecureContext) { cameraMessage(T.cameraInsecure); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { cameraMessage(T.cameraMissing); return; }
    cameraMessage(T.cameraStarting);
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (stream) {
        state.stream = stream;
        var video = $("camera-video");
        video.srcObject = stream;
        video.setAttribute("playsinline", "");
        return video.play().then(function () {
          cameraMessage(T.cameraReady);
          $("camera-start").hidden = true;
          $("camera-stop").hidden = false;
          $("camera-frame").hidden = false;
          answerOverCamera(true);
          requestAnimationFrame(tick);
        });
      })
      .catch(function (err) {
        cameraMessage(err && err.name === "NotFoundError" ? T.cameraMissing : T.cameraDenied);
      });
  }

  function stopCamera() {
    if (state.stream) { state.stream.getTracks().forEach(function (t) { t.stop(); }); }
    state.stream = null;
    $("camera-start").hidden = false;
    $("camera-stop").hidden = true;
    $("camera-frame").hidden = true;
    answerOverCamera(false);
    cameraMessage("");
  }

  function tick(time) {
    if (!state.stream) { return; }
    var video = $("camera-video");
    if (time - lastDecode > 150 && video.readyState >= 2 && window.jsQR) {
      lastDecode = time;
      // Decode a downscaled frame: fast enough on a cheap phone.
      var scale = Math.min(1, 640 / (video.videoWidth || 640));
      var w = Math.floor((video.videoWidth || 640) * scale), h = Math.floor((video.videoHeight || 480) * scale);
      if (w > 0 && h > 0) {
        canvas.width = w; canvas.height = h;
        ctx.drawImage(video, 0, 0, w, h);
        var img = ctx.getImageData(0, 0, w, h);
        var code = window.jsQR(img.data, w, h, { inversionAttempts: "dontInvert" });
        if (code && code.data) {
          var now = Date.now();
          // The same code stays in view for a while: answer it once per 4 seconds.
          if (code.data !== state.lastText || now - state.lastTextAt > 4000) {
            state.lastText = code.data;
            state.lastTextAt = now;
            handleScan(code.data, true);
          }
        }
      }
    }
    requestAnimationFrame(tick);
  }

  // ---------------------------------------------------------------- start
  function init() {
    $("camera").hidden = false;
    $("camera-start").addEventListener("click", startCamera);
    $("camera-stop").addEventListener("click", stopCamera);
    $("undo-last").addEventListener("click", undoLast);
    // The list's own Undo buttons: with the list loaded, undone here and at once.
    document.addEventListener("submit", function (ev) {
      var form = ev.target, list = $("recent-list");
      if (!state.roster || !list || !list.contains(form)) { return; }
      var id = parseInt(form.elements.registration_id.value, 10);
      if (!id) { return; }
      ev.preventDefault();
      undoId(id);
    });

    $("search-form").addEventListener("submit", function (ev) {
      if (!state.roster) { return; } // no list yet: the server searches
      ev.preventDefault();
      renderMatches($("q").value);
    });
    $("q").addEventListener("input", function () { if (state.roster) { renderMatches($("q").value); } });
    $("code-form").addEventListener("submit", function (ev) {
      var override = $("override");
      if (!state.roster || (override && override.checked)) { return; } // the form does it
      ev.preventDefault();
      var text = $("code").value;
      $("code").value = "";
      handleScan(text, false);
    });

    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register(config.swUrl, { scope: config.swScope })
        .then(function () { return navigator.serviceWorker.ready; })
        .then(function (reg) {
          // This page was loaded before the worker existed: have it stored now.
          if (reg.active) { reg.active.postMessage({ type: "cache-page", url: location.href }); }
        })
        .catch(function (err) { report("the service worker could not be registered", err); });
    }

    loadRoster().then(function (roster) {
      if (roster && !state.roster) {
        indexRoster(roster);
        return queueItems().then(applyQueued).then(function () { setCounts(localCounts()); });
      }
      return null;
    }).catch(function (err) { report("the stored list could not be read", err); }).then(function () {
      return fetchRoster().catch(function (err) { report("the list could not be loaded", err); });
    }).then(function () {
      updateNetwork();
      syncThenShow();
    });

    window.addEventListener("online", function () { updateNetwork(); syncThenShow(); });
    window.addEventListener("offline", updateNetwork);
    setInterval(function () {
      if (!navigator.onLine) { return; }
      syncThenShow();
      fetchWithTimeout(config.countsUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (c) { if (c) { setCounts(c); } }, function (err) { report("the counts could not be loaded", err); });
    }, 10000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
