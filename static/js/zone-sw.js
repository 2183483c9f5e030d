// Service worker of the zone kiosk: lets /zone and its scripts and styles load
// when the hub cannot be reached (Wi-Fi gone, kiosk reloaded). Network first,
// so an online kiosk always gets the current page; the cache is the fallback.
// It never touches API calls, Socket.IO or anything that is not a GET of a
// listed asset or the kiosk page: scans go through the page's outbox.

const CACHE = 'festival-zone-v1';
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function cacheable(request) {
  if (request.method !== 'GET') return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  return url.pathname === '/zone' || url.pathname.startsWith('/static/');
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((value) => { clearTimeout(timer); resolve(value); },
                 (err) => { clearTimeout(timer); reject(err); });
  });
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await withTimeout(fetch(request), NETWORK_TIMEOUT_MS);
    // Only keep good answers: a 401 page must not replace the kiosk page.
    if (response.ok && response.type === 'basic') cache.put(request, response.clone());
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (cached) return cached;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  // Only the kiosk's own pages are served from here, whatever else shares the scope.
  if (cacheable(event.request)) event.respondWith(networkFirst(event.request));
});
