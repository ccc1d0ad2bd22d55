/* Service worker of the door scanner (scope /door/).
 *
 * Keeps the scanner working without network: the scanner pages are fetched
 * from the network when possible and from the cache otherwise; scripts,
 * styles and fonts come from the cache and are refreshed in the background.
 * The JSON API is never cached here: the scanner keeps its attendee list and
 * its queue of check-ins in IndexedDB itself.
 *
 * The server puts two lines in front of this file (checkin/views.py,
 * service_worker): ASSETS, the scanner's static files with their content
 * fingerprints (?v=…), and CACHE, a name derived from those. A deploy that
 * changes any of them changes this worker's bytes, so the browser installs
 * the new worker, which stores the new files under a new name and deletes
 * the old cache. Requests are matched by their exact URL: a new ?v= is never
 * answered with an old file. The scanner pages live in a cache of their own
 * (PAGES), refreshed at every visit with network, so that a page stored
 * after a deploy survives the switch to the new worker.
 */
"use strict";

/* global ASSETS, CACHE */
var PAGES = "miado-door-pages";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(ASSETS);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("miado-door-") === 0 && k !== CACHE && k !== PAGES;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(request, copy); })
        .catch(function (err) { console.warn("door service worker: page not stored", err); });
    }
    return response;
  }).catch(function () {
    return caches.match(request).then(function (hit) {
      return hit || Response.error();
    });
  });
}

function staleWhileRevalidate(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var refresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      }).catch(function () { return hit || Response.error(); });
      return hit || refresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/door/api/") === 0) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staleWhileRevalidate(request));
  } else if (request.mode === "navigate" && url.pathname.indexOf("/door/") === 0) {
    event.respondWith(networkFirst(request));
  }
});

// The scanner page asks for itself to be stored (its first load happened
// before this worker controlled it).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache-page" || typeof data.url !== "string") { return; }
  var url = new URL(data.url, self.location.href);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/door/") !== 0) { return; }
  event.waitUntil(fetch(url.href, { credentials: "same-origin" }).then(function (response) {
    if (response.ok) { return caches.open(PAGES).then(function (cache) { return cache.put(url.href, response); }); }
    return null;
  }).catch(function (err) { console.warn("door service worker: page not stored", err); }));
});
