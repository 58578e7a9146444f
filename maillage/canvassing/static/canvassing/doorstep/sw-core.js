// The doorstep app's service worker (loaded by the small script served at the app's scope,
// which sets self.MAILLAGE_SHELL and self.MAILLAGE_VERSION first). It keeps the app shell (the
// static files) and the doorstep pages already opened, so a turf opens with no network; the
// walk lists and the results live in IndexedDB (outbox.js), never in this cache.
/* global self, caches, fetch */
"use strict";
var CACHE = "maillage-doorstep-" + self.MAILLAGE_VERSION;
var SHELL = self.MAILLAGE_SHELL || [];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("maillage-doorstep-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function keep(request, response) {
  if (response && response.ok && !response.redirected) {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Pages: the network first (fresh list, fresh CSRF token), the kept copy when offline.
    event.respondWith(fetch(request).then(function (response) { return keep(request, response); }).catch(function () {
      // Django varies pages on Cookie and Accept-Language; the kept copy is this browser's own.
      return caches.match(request, { ignoreVary: true }).then(function (hit) { return hit || Response.error(); });
    }));
    return;
  }
  if (SHELL.indexOf(url.pathname) >= 0) {
    // The shell: the kept copy at once (offline too), refreshed behind it when the network is up.
    event.respondWith(caches.match(request, { ignoreVary: true }).then(function (hit) {
      var fresh = fetch(request).then(function (response) { return keep(request, response); });
      if (hit) {
        fresh.catch(function () {});
        return hit;
      }
      return fresh;
    }));
  }
});

self.addEventListener("message", function (event) {
  var path = event.data && event.data.cache;
  var port = event.ports && event.ports[0];
  function reply(ok) { if (port) port.postMessage({ cached: ok }); }
  if (typeof path === "string" && path.indexOf("/") === 0) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      return Promise.all([cache.add(path)].concat(SHELL.map(function (url) { return cache.add(url); })));
    }).then(function () { reply(true); }, function () { reply(false); }));
  } else {
    reply(false);
  }
});
