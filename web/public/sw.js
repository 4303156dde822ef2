// ecabinet service worker: keeps the app available when a tablet loses Wi-Fi.
// - Pages: network first, the cached app shell when offline.
// - Built assets (content-hashed names under /assets/, listed in /asset-list.json, the lazily
//   loaded reader and the PDF.js worker included): all kept at install, cache first.
// - PDF.js data files (/pdfjs/: fonts, character maps, decoders): cache first, kept on first use.
// - Documents: the app keeps the files a reader opened in the cache `ecabinet-docs-v1`
//   (src/documents/offline.ts) and reads them from there itself; this worker leaves that cache
//   alone (it only ever deletes its own older `ecabinet-app-*` caches) and never caches the API.
const CACHE = 'ecabinet-app-v2';

async function precache() {
  const cache = await caches.open(CACHE);
  const res = await fetch('/', { cache: 'no-store' });
  const html = await res.clone().text();
  await cache.put('/', res);
  const fromHtml = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  let listed = [];
  try {
    const list = await fetch('/asset-list.json', { cache: 'no-store' });
    if (list.ok) listed = await list.json();
  } catch {
    /* an older build without the list: the page's own assets are enough to start */
  }
  await cache.addAll([...new Set(['/favicon.svg', ...fromHtml, ...listed])]);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('ecabinet-app-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

function cacheFirst(req) {
  return caches.match(req).then(
    (hit) =>
      hit ||
      fetch(req).then((res) => {
        const copy = res.clone();
        if (res.ok) caches.open(CACHE).then((c) => c.put(req, copy));
        return res;
      }),
  );
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (req.mode === 'navigate') {
    event.respondWith(
      fetch(req)
        .then((res) => {
          const copy = res.clone();
          if (res.ok) caches.open(CACHE).then((c) => c.put('/', copy));
          return res;
        })
        .catch(() => caches.match('/')),
    );
    return;
  }
  if (url.pathname.startsWith('/assets/') || url.pathname.startsWith('/pdfjs/')) event.respondWith(cacheFirst(req));
});
