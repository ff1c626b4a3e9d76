// ridebuy service worker: the app shell from the cache (the page opens without a network), the parking list from
// the network when it answers and from the last copy when it does not (marked with the time it was received, so
// the page can say how old it is). Map tiles are left to the browser's own cache: OpenStreetMap's tile policy
// forbids bulk prefetching.
"use strict";

const SHELL_CACHE = "ridebuy-shell-__RIDEBUY_SHELL_VERSION__";
const DATA_CACHE = "ridebuy-data-v1";
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/static/app.js",
  "/static/favicon.svg",
  "/static/icons/icon-192.png",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
  "/static/vendor/leaflet.markercluster/MarkerCluster.css",
];
const DATA = ["/v1/parkings"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL_CACHE && k !== DATA_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

async function networkFirstData(request) {
  const cache = await caches.open(DATA_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      const headers = new Headers(response.headers);
      headers.set("X-Ridebuy-Cached-At", new Date().toISOString());
      const body = await response.clone().blob();
      await cache.put(request.url.split("?")[0], new Response(body, { status: 200, headers }));
    }
    return response;
  } catch (error) {
    const cached = await cache.match(request.url.split("?")[0]);
    if (cached) return cached;
    throw error;
  }
}

async function networkFirstPage(request) {
  const cache = await caches.open(SHELL_CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    return (await cache.match(request)) || (await cache.match("/")) || Response.error();
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request);
  return cached || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return; // tiles, photos: the browser's business
  if (DATA.includes(url.pathname)) {
    event.respondWith(networkFirstData(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(request));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  }
});
