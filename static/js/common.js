// Shared helpers for page modules: CSRF-aware JSON fetch, translations, ids.

/** The CSRF token the server put in <meta name="csrf-token">. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : '';
}

/** The page language ("vi" or "en"), from <body data-lang>. */
export function lang() {
  return document.body.dataset.lang === 'en' ? 'en' : 'vi';
}

/**
 * POST/GET JSON to the hub. Resolves to {status, body}; rejects only when
 * the hub could not be reached (so callers can queue the request offline).
 */
export async function api(method, url, body, {timeoutMs = 8000} = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, {
      method,
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken(),
                'Accept': 'application/json'},
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      signal: controller.signal,
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return {status: response.status, body: data};
  } finally {
    clearTimeout(timer);
  }
}

/** The message of an API error payload in the page language. */
export function errorText(body) {
  const err = body && body.error;
  if (!err) return lang() === 'en' ? 'Something went wrong.' : 'Đã có lỗi xảy ra.';
  return (lang() === 'en' ? err.message_en : err.message_vi) || err.message;
}

/** A client-generated id for idempotent scans and answers. */
export function newId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Set an element's text safely (never innerHTML with data). */
export function setText(el, text) {
  if (el) el.textContent = text == null ? '' : String(text);
}

/**
 * The texts a page's template passed to its script (macro page_texts): the
 * data attributes of <template id="…">, as a DOMStringMap ("data-saved-long"
 * → texts.savedLong). both(texts, key) gives {vi, en} for a bilingual text.
 */
export function pageTexts(id) {
  return document.getElementById(id).dataset;
}

export function both(texts, key) {
  const camel = key.replace(/[-_](\w)/g, (_m, c) => c.toUpperCase());
  return {vi: texts[`${camel}Vi`] || '', en: texts[`${camel}En`] || ''};
}
