// Patrol service worker (served at /sw.js, scope "/"): keeps the app shell and the pages the
// inspector's home asks it to keep (today's checklist forms and supervision pages), so an
// inspection can be filled in without a connection. Pages are network-first (always fresh when
// online), static files of the shell stale-while-revalidate. Nothing is kept for visitors' pages, API answers or posts;
// signing out deletes the kept pages (they hold supervision data).
"use strict";
var VERSION = "patrol-v2";
var SHELL = "shell-" + VERSION;
var PAGES = "pages-" + VERSION;
var SHELL_FILES = [
  "/static/css/app.css",
  "/static/css/desk.css",
  "/static/js/inspection.js",
  "/static/js/patrol.js",
  "/static/js/patrol_home.js",
  "/static/icons/patrol.svg"
];
var KEEP_PREFIXES = ["/admin/patrol", "/admin/shops/", "/s/"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(SHELL_FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== SHELL && n !== PAGES; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function keepable(url) {
  return url.origin === self.location.origin && KEEP_PREFIXES.some(function (p) {
    return url.pathname.indexOf(p) === 0;
  });
}

function keep(urls) {
  return caches.open(PAGES).then(function (cache) {
    return Promise.all(urls.map(function (u) {
      return fetch(u, {credentials: "same-origin", headers: {"X-Patrol-Prefetch": "1"}}).then(function (r) {
        if (r.ok && !r.redirected) { return cache.put(u, r); }
        return null;
      }).catch(function () { return null; });
    }));
  });
}

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep" && Array.isArray(data.urls)) {
    event.waitUntil(keep(data.urls.filter(function (u) { return keepable(new URL(u, self.location.origin)); })));
  } else if (data.type === "forget") {
    event.waitUntil(caches.delete(PAGES));
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.method === "POST" && url.pathname === "/logout") {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET" || url.pathname.indexOf("/api/") === 0) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    // Stale-while-revalidate: the kept copy answers at once (and offline); a fresh one replaces it.
    event.respondWith(caches.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (r) {
        if (r.ok && SHELL_FILES.indexOf(url.pathname) !== -1) {
          var copy = r.clone();
          caches.open(SHELL).then(function (c) { c.put(request, copy); });
        }
        return r;
      });
      if (hit) { fresh.catch(function () { return null; }); return hit; }
      return fresh;
    }));
    return;
  }
  if (request.mode !== "navigate" || !keepable(url)) { return; }
  event.respondWith(fetch(request).then(function (r) {
    if (r.ok && !r.redirected) {
      var copy = r.clone();
      caches.open(PAGES).then(function (c) { c.put(request, copy); });
    }
    return r;
  }).catch(function () {
    return caches.open(PAGES).then(function (c) { return c.match(request, {ignoreSearch: false}); })
      .then(function (hit) {
        return hit || caches.open(PAGES).then(function (c) {
          return c.match(url.pathname, {ignoreSearch: true});
        });
      })
      .then(function (hit) {
        return hit || new Response("<!doctype html><meta charset=utf-8><meta name=viewport content='width=device-width'>" +
          "<p style='font:16px sans-serif;padding:1rem'>离线：此页面未保存在本机。 (Offline: this page was not kept on the phone.)</p>",
          {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
      });
  }));
});
