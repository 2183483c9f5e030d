/**
 * Badge scanning for Festival Kiosk pages: USB keyboard-wedge scanners, the
 * device camera, and pulling the token out of what was scanned.
 *
 * Dependency-free ES module. The camera falls back to the vendored
 * barcode-detector ponyfill (zxing-wasm) only when the browser has no native
 * BarcodeDetector (Linux Chromium has none), and loads it lazily so pages that
 * only use a wedge scanner never download the 1 MB .wasm.
 *
 *   import { listenForWedge, startCamera, extractToken } from "/static/js/scanner.js";
 */

// ---------------------------------------------------------------- wedge --

// Keys a scanner may hold while "typing" (Shift for capitals); they neither
// count as characters nor break a burst.
const MODIFIER_KEYS = new Set(["Shift", "Control", "Alt", "AltGraph", "Meta", "CapsLock", "NumLock"]);

// Vietnamese letters after NFD: base letter + one of these marks, or đ/Đ,
// which has no decomposition. A Telex/VNI input method (UniKey, ibus) turns
// scanner keystrokes like "aa", "dd", "s" into these.
const VIETNAMESE_MARKS = /[\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323\u0110\u0111]/;

function hasVietnameseDiacritics(text) {
  return VIETNAMESE_MARKS.test(text.normalize("NFD"));
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The focused text field and its state, taken before a burst types into it. */
function snapshotField(doc) {
  const el = doc.activeElement;
  if (!(el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement)) return null;
  let start = null;
  let end = null;
  try {
    start = el.selectionStart;
    end = el.selectionEnd;
  } catch {
    // some input types (email, number) have no selection API
  }
  return { el, value: el.value, start, end };
}

/** Put the field back as it was before the scanner typed into it. */
function restoreField(doc, snap) {
  if (!snap || doc.activeElement !== snap.el || snap.el.value === snap.value) return;
  snap.el.value = snap.value;
  if (snap.start !== null) {
    try {
      snap.el.setSelectionRange(snap.start, snap.end);
    } catch {
      // ignore: selection is cosmetic
    }
  }
  // Let search-as-you-type handlers see that the token went away again.
  snap.el.dispatchEvent(new Event("input", { bubbles: true }));
}

/**
 * Listen for a USB keyboard-wedge scanner anywhere on the page.
 *
 * A scanner "types" its text and Enter within milliseconds; a person does not.
 * A burst of at least `minLength` characters ending in Enter whose median
 * inter-key gap (Enter included) is below `maxMedianGapMs` is a scan. The
 * median, not the maximum, because real scanners have the odd 50 ms spike.
 * A gap above `maxGapMs` starts a new burst.
 *
 * On a scan the Enter is cancelled (preventDefault + stopPropagation, so a
 * search form is not submitted with the token) and a focused <input> or
 * <textarea> gets back the value it had before the burst. Then
 * `onScan(text, {mangled, medianGapMs, keys})` is called. `mangled` is true
 * when the burst went through an input method that rewrote it (Vietnamese
 * diacritics appeared, or the keys were composed): ask the volunteer to switch
 * the input method (UniKey, Telex/VNI) off, then scan again.
 *
 * Listens in the capture phase on `target` (default: document), so it works
 * whatever has focus. Returns a function that stops listening.
 */
export function listenForWedge(onScan, { minLength = 8, maxMedianGapMs = 30, maxGapMs = 250, target = document } = {}) {
  const doc = target.ownerDocument || target;
  let burst = null; // { chars, times, keys, composed, snapshot }

  function finish(event) {
    const b = burst;
    burst = null;
    if (!b || b.keys < minLength) return;
    const times = [...b.times, event.timeStamp];
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    const medianGapMs = median(gaps);
    if (!(medianGapMs < maxMedianGapMs)) return;
    const text = b.chars.join("");
    const mangled = b.composed || hasVietnameseDiacritics(text);
    event.preventDefault();
    event.stopPropagation();
    restoreField(doc, b.snapshot);
    onScan(text, { mangled, medianGapMs, keys: b.keys });
  }

  function onKeyDown(event) {
    if (MODIFIER_KEYS.has(event.key)) return;
    const now = event.timeStamp;
    if (burst && now - burst.times[burst.times.length - 1] > maxGapMs) burst = null;
    if (event.key === "Enter") {
      finish(event);
      return;
    }
    // An input method that composes text reports "Process" / keyCode 229.
    const composing = event.isComposing || event.key === "Process" || event.keyCode === 229;
    const isChar = [...event.key].length === 1;
    const fastBackspace = event.key === "Backspace" && burst !== null;
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || !(isChar || composing || fastBackspace)) {
      burst = null; // shortcuts, held keys, arrows, Tab...: a person at work
      return;
    }
    if (!burst) burst = { chars: [], times: [], keys: 0, composed: false, snapshot: snapshotField(doc) };
    burst.times.push(now);
    if (composing) burst.composed = true;
    if (fastBackspace) {
      // UniKey rewrites by sending Backspace + the new letter: mirror it.
      burst.chars.pop();
    } else {
      burst.keys += 1;
      if (isChar) burst.chars.push(event.key);
    }
  }

  target.addEventListener("keydown", onKeyDown, true);
  return () => target.removeEventListener("keydown", onKeyDown, true);
}

// --------------------------------------------------------------- camera --

const MESSAGES = {
  insecure_context: {
    vi: "Trình duyệt chỉ cho dùng camera qua HTTPS hoặc localhost. Hãy mở trang bằng https://, " +
      "hoặc khởi động Chromium với cờ --unsafely-treat-insecure-origin-as-secure={origin}. " +
      "Máy quét mã vạch USB vẫn dùng được.",
    en: "The browser allows the camera only over HTTPS or on localhost. Open the page with https://, " +
      "or start Chromium with --unsafely-treat-insecure-origin-as-secure={origin}. " +
      "USB barcode scanners still work.",
  },
  camera_denied: {
    vi: "Trang không được phép dùng camera. Hãy cho phép camera trong cài đặt trang của trình duyệt rồi tải lại trang.",
    en: "The page may not use the camera. Allow the camera in the browser's site settings, then reload.",
  },
  no_camera: {
    vi: "Không tìm thấy camera.",
    en: "No camera was found.",
  },
  camera_busy: {
    vi: "Camera đang được ứng dụng khác sử dụng. Hãy đóng ứng dụng đó rồi thử lại.",
    en: "The camera is in use by another application. Close it and try again.",
  },
  decoder_unavailable: {
    vi: "Không tải được bộ đọc mã QR.",
    en: "The QR code reader could not be loaded.",
  },
  camera_error: {
    vi: "Không mở được camera.",
    en: "The camera could not be started.",
  },
};

/** An error a page can explain: `code` plus a message in Vietnamese (`vi`) and English (`en`). */
export class ScannerError extends Error {
  constructor(code, cause) {
    const origin = globalThis.location ? location.origin : "";
    const text = MESSAGES[code] || MESSAGES.camera_error;
    super(text.en.replace("{origin}", origin), cause ? { cause } : undefined);
    this.name = "ScannerError";
    this.code = code;
    this.vi = text.vi.replace("{origin}", origin);
    this.en = this.message;
  }
}

function cameraError(err) {
  switch (err && err.name) {
    case "NotAllowedError":
    case "SecurityError":
      return new ScannerError("camera_denied", err);
    case "NotFoundError":
    case "OverconstrainedError":
      return new ScannerError("no_camera", err);
    case "NotReadableError":
    case "AbortError":
      return new ScannerError("camera_busy", err);
    default:
      return new ScannerError("camera_error", err);
  }
}

const DEFAULT_WASM_URL = new URL("../vendor/zxing-wasm/dist/reader/zxing_reader.wasm", import.meta.url).href;
const DEFAULT_POLYFILL_URL = new URL("../vendor/barcode-detector/dist/es/ponyfill.js", import.meta.url).href;

// One detector per (polyfill, wasm) pair: zxing-wasm re-instantiates its
// module whenever it is handed a new locateFile function.
const detectors = new Map();

async function createDetector(wasmUrl, polyfillUrl) {
  const Native = globalThis.BarcodeDetector;
  if (Native) {
    try {
      if ((await Native.getSupportedFormats()).includes("qr_code")) {
        return { detector: new Native({ formats: ["qr_code"] }), kind: "native" };
      }
    } catch {
      // fall through to the polyfill
    }
  }
  const zxing = await import(polyfillUrl);
  // zxing-wasm fetches its .wasm from a CDN unless told otherwise; must run
  // before the first BarcodeDetector is built. Awaiting it makes a missing
  // .wasm fail here, once, instead of on every frame.
  await zxing.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path) },
    fireImmediately: true,
  });
  return { detector: new zxing.BarcodeDetector({ formats: ["qr_code"] }), kind: "polyfill" };
}

function getDetector(wasmUrl, polyfillUrl) {
  const key = `${polyfillUrl} ${wasmUrl}`;
  if (!detectors.has(key)) {
    const promise = createDetector(wasmUrl, polyfillUrl).catch((err) => {
      detectors.delete(key); // let a later attempt retry
      throw new ScannerError("decoder_unavailable", err);
    });
    detectors.set(key, promise);
  }
  return detectors.get(key);
}

/**
 * Show the camera in `videoEl` and call `onScan(text, {format, source: "camera"})`
 * for each QR code read. The same text is reported again only after it has
 * been out of sight for `dedupeMs` (2.5 s), so a badge held up is one scan.
 *
 * Resolves to `{ stop(), decoder }` (`decoder` is "native" or "polyfill").
 * Rejects with a ScannerError whose `code` is "insecure_context" (no
 * navigator.mediaDevices: plain http on a LAN address), "camera_denied",
 * "no_camera", "camera_busy", "decoder_unavailable" or "camera_error".
 * `onError(ScannerError)` is called if the camera goes away later.
 */
export async function startCamera(videoEl, onScan, {
  wasmUrl = DEFAULT_WASM_URL,
  polyfillUrl = DEFAULT_POLYFILL_URL,
  intervalMs = 150,
  dedupeMs = 2500,
  facingMode = "environment",
  onError = null,
} = {}) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    throw new ScannerError(globalThis.isSecureContext === false ? "insecure_context" : "camera_error");
  }
  // Load the decoder while the browser asks for permission.
  const decoderPromise = getDetector(new URL(wasmUrl, location.href).href, new URL(polyfillUrl, location.href).href);
  decoderPromise.catch(() => {}); // handled below; avoid an "unhandled rejection" if the camera fails first
  let stream;
  try {
    // "ideal", not "exact": a laptop with only a front camera must still work.
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: facingMode } }, audio: false });
  } catch (err) {
    throw cameraError(err);
  }
  const stopTracks = () => stream.getTracks().forEach((t) => t.stop());
  let decoder;
  try {
    decoder = await decoderPromise;
    videoEl.muted = true; // muted + playsInline: allowed to autoplay, no fullscreen on iOS
    videoEl.playsInline = true;
    videoEl.srcObject = stream;
    await videoEl.play();
  } catch (err) {
    stopTracks();
    videoEl.srcObject = null;
    throw err instanceof ScannerError ? err : cameraError(err);
  }

  let stopped = false;
  let timer = null;
  let warned = false;
  const lastSeen = new Map();

  function stop() {
    stopped = true;
    clearTimeout(timer);
    stopTracks();
    videoEl.srcObject = null;
  }

  for (const track of stream.getVideoTracks()) {
    track.addEventListener("ended", () => {
      if (stopped) return;
      stop();
      if (onError) onError(new ScannerError("camera_error"));
    });
  }

  async function tick() {
    if (stopped) return;
    try {
      if (videoEl.readyState >= 2 && videoEl.videoWidth > 0) {
        const codes = await decoder.detector.detect(videoEl);
        const now = performance.now();
        for (const code of codes) {
          const text = code.rawValue;
          if (!text) continue;
          const last = lastSeen.get(text);
          lastSeen.set(text, now);
          if (last === undefined || now - last > dedupeMs) onScan(text, { format: code.format, source: "camera" });
        }
        for (const [text, t] of lastSeen) if (now - t > dedupeMs) lastSeen.delete(text);
      }
    } catch (err) {
      if (!warned) console.warn("scanner: QR decoding failed", err);
      warned = true;
    }
    // Schedule after the frame is done, so slow devices never pile up work.
    if (!stopped) timer = setTimeout(tick, intervalMs);
  }
  tick();
  return { stop, decoder: decoder.kind };
}

// ---------------------------------------------------------------- token --

/**
 * The badge token in `text`: a bare token, or a URL (with or without scheme)
 * whose path ends in /b/<token>, with an optional query or fragment.
 * Trimmed and upper-cased; not validated (the server checks the check
 * character). Returns null for empty input or a URL without /b/<token>.
 */
export function extractToken(text) {
  if (text == null) return null;
  const s = String(text).trim();
  if (!s) return null;
  const match = /\/b\/([^/?#\s]+)\/?(?:[?#]\S*)?$/i.exec(s);
  if (match) {
    let token = match[1];
    try {
      token = decodeURIComponent(token);
    } catch {
      // keep it raw: the server will reject it
    }
    return token.trim().toUpperCase() || null;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s) || s.startsWith("/")) return null;
  return s.toUpperCase();
}
