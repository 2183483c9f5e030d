// A persistent outbox for scans: kept in localStorage so it survives a page
// reload or a crashed tab, replayed strictly in order when the hub is
// reachable. The server is idempotent on each item's id, so sending an item
// twice (a reply lost on the way back, two tabs) never counts twice.
//
// One sender at a time: a single loop sends the oldest item, waits for its
// answer, then the next. A submit() waits for its own answer for a short
// while; if the hub cannot be reached (or older items are still ahead of it
// for too long) it resolves to {queued: true} and the answer arrives later
// through onResult. Answers the hub refuses (4xx) move to a persistent
// "rejected" list for staff; they are never silently dropped.

const PREFIX = 'festival-outbox:';

/** How a reply is handled: sent ok, refused for good, retry later, or blocked (credentials). */
export function classify(reply) {
  const status = reply ? reply.status : 0;
  if (!status || status >= 500 || status === 408 || status === 429) return 'retry';
  const code = reply.body && reply.body.error && reply.body.error.code;
  // A lost pairing or an expired CSRF session is fixed by staff (re-pair,
  // reload), after which the same items are accepted: keep them queued.
  if (status === 401 || status === 403 || code === 'csrf_failed') return 'blocked';
  if (status >= 400 || !reply.body) return status >= 400 ? 'rejected' : 'retry';
  return 'sent';
}

export class Outbox {
  /**
   * @param {string} name  one outbox per page kind and device ("desk", "zone-3")
   * @param {(item) => Promise<{status:number, body:any}>} send  rejects when unreachable
   * @param {{onChange?:Function, onResult?:Function, onRejected?:Function,
   *          retryMs?:number, maxRetryMs?:number, answerWaitMs?:number}} hooks
   *   onChange(outbox) after any change; onResult(item, reply) for an answer
   *   that arrived after submit() had already resolved as queued (or after a
   *   reload); onRejected(item, reply) when the hub refused an item.
   */
  constructor(name, send, {onChange, onResult, onRejected, retryMs = 3000, maxRetryMs = 30000,
                           answerWaitMs = 5000} = {}) {
    this.key = PREFIX + name;
    this.rejectedKey = PREFIX + name + ':rejected';
    this.send = send;
    const userOnChange = onChange || (() => {});
    // Report the queue length to the hub's dashboard (throttled, see below).
    this.onChange = (outbox) => { queueReporter.note(outbox.pending().length); userOnChange(outbox); };
    this.onResult = onResult || (() => {});
    this.onRejected = onRejected || (() => {});
    this.retryMs = retryMs;
    this.maxRetryMs = maxRetryMs;
    this.answerWaitMs = answerWaitMs;
    this.state = 'idle'; // idle | sending | waiting (hub unreachable) | blocked
    this.failures = 0;
    this.running = null;
    this.timer = null;
    this.waiters = new Map(); // item id -> resolve, while submit() still waits
    this.memory = {}; // copy of what was stored, used if localStorage fails (full, disabled)
    this.storageOk = true;
    window.addEventListener('online', () => { this.failures = 0; this.flush(); });
    // Another tab of this device changed the queue: redraw counters.
    window.addEventListener('storage', (event) => {
      if (event.key === this.key || event.key === this.rejectedKey) this.onChange(this);
    });
  }

  _load(key) {
    try {
      const raw = localStorage.getItem(key);
      if (raw !== null) return JSON.parse(raw);
    } catch (e) { /* fall back to the in-memory copy */ }
    return (this.memory[key] || []).slice();
  }

  _save(key, items) {
    this.memory[key] = items.slice();
    try {
      localStorage.setItem(key, JSON.stringify(items));
      this.storageOk = true;
    } catch (e) {
      // Full or disabled storage: keep working from memory and let the page warn.
      this.storageOk = false;
    }
  }

  /** Items waiting to be sent, oldest first. */
  pending() { return this._load(this.key); }

  /** Items the hub refused: [{item, status, body, at}], shown to staff. */
  rejected() { return this._load(this.rejectedKey); }

  clearRejected() { this._save(this.rejectedKey, []); this.onChange(this); }

  /** Keep a refusal for staff (also used by pages for late red answers). */
  recordRejected(item, reply) {
    const list = this.rejected();
    list.push({item, status: reply.status, body: reply.body, at: Date.now()});
    this._save(this.rejectedKey, list);
    this.onChange(this);
  }

  /**
   * Queue an item (it must carry its own client id) and send it in turn.
   * Resolves to the hub's reply {status, body}, or to {queued: true} when the
   * hub is unreachable or the answer takes longer than answerWaitMs.
   */
  submit(item) {
    const items = this.pending();
    if (!items.some((queued) => queued.id === item.id)) items.push(item);
    this._save(this.key, items);
    this.onChange(this);
    const answer = new Promise((resolve) => {
      if (this.state === 'waiting' || this.state === 'blocked') {
        resolve({queued: true}); // do not make people wait on a hub we know is gone
        return;
      }
      const timer = setTimeout(() => {
        this.waiters.delete(item.id);
        resolve({queued: true});
      }, this.answerWaitMs);
      this.waiters.set(item.id, (reply) => { clearTimeout(timer); resolve(reply); });
    });
    if (this.state !== 'waiting' && this.state !== 'blocked') this.flush();
    return answer;
  }

  /**
   * Replay queued items in order until the queue is empty or the hub is
   * unreachable. Called while a replay runs, it runs again right after it
   * (an "online" event or a "sync now" click must not be swallowed).
   */
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.again = false;
    const run = () => this._run();
    // Two tabs of one kiosk must not send the same queue at once.
    const locked = navigator.locks ? navigator.locks.request(this.key, run) : run();
    this.running = Promise.resolve(locked).finally(() => {
      this.running = null;
      // Also catches an item queued just as the loop finished.
      if (this.again || (this.state === 'idle' && this.pending().length)) return this.flush();
      return undefined;
    });
    return this.running;
  }

  async _run() {
    for (;;) {
      const items = this.pending();
      if (!items.length) break;
      const item = items[0];
      this._setState('sending');
      let reply;
      try {
        reply = await this.send(item);
      } catch (e) {
        reply = null;
      }
      const kind = classify(reply);
      if (kind === 'retry' || kind === 'blocked') {
        this._pause(kind, reply);
        return;
      }
      this.failures = 0;
      this._drop(item.id);
      if (kind === 'rejected') {
        this.recordRejected(item, reply);
        this.onRejected(item, reply);
      }
      this._deliver(item, reply);
    }
    this._setState('idle');
  }

  _deliver(item, reply) {
    const waiter = this.waiters.get(item.id);
    if (waiter) {
      this.waiters.delete(item.id);
      waiter(reply);
    } else {
      this.onResult(item, reply);
    }
    this.onChange(this);
  }

  _pause(kind, reply) {
    this.failures += 1;
    this.lastReply = reply;
    // Everyone still waiting hears "saved, will sync" now, not after a timeout.
    for (const [id, waiter] of this.waiters) { this.waiters.delete(id); waiter({queued: true}); }
    const base = kind === 'blocked' ? this.maxRetryMs : this.retryMs;
    const delay = Math.min(this.maxRetryMs, base * 2 ** Math.min(this.failures - 1, 5));
    this.timer = setTimeout(() => this.flush(), delay);
    this._setState(kind === 'blocked' ? 'blocked' : 'waiting');
  }

  _drop(id) {
    this._save(this.key, this.pending().filter((queued) => queued.id !== id));
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onChange(this);
  }
}


// --- queue length reporting (organiser dashboard) ---------------------------
// Tells the hub how many items wait in this page's outbox: at most one
// report every 5 s, and one every 30 s while the queue is not empty (so the
// dashboard sees a device that is stuck offline once it comes back).
const queueReporter = {
  length: null, sent: null, lastAt: 0, timer: null, ticker: null,
  note(length) {
    this.length = length;
    if (length > 0 && !this.ticker) this.ticker = setInterval(() => this.send(true), 30000);
    if (length === 0 && this.ticker) { clearInterval(this.ticker); this.ticker = null; }
    if (length !== this.sent && !this.timer) {
      this.timer = setTimeout(() => { this.timer = null; this.send(false); },
        Math.max(0, 5000 - (Date.now() - this.lastAt)));
    }
  },
  async send(force) {
    if (this.length === null || (!force && this.length === this.sent)) return;
    if (Date.now() - this.lastAt < 5000) return;
    this.lastAt = Date.now();
    const length = this.length;
    try {
      const meta = document.querySelector('meta[name="csrf-token"]');
      const reply = await fetch('/api/devices/status', {
        method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json', 'X-CSRF-Token': meta ? meta.content : ''},
        body: JSON.stringify({queue_length: length, online: navigator.onLine}),
      });
      if (reply.ok) this.sent = length;
    } catch (e) { /* hub unreachable: the 30 s tick tries again */ }
  },
};
