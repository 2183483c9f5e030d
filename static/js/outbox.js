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

import {hmacHex, sameText} from './hmac.js';

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
   *          retryMs?:number, maxRetryMs?:number, answerWaitMs?:number,
   *          link?:HubLink, keepMs?:number, watchMs?:number}} hooks
   *   onChange(outbox) after any change; onResult(item, reply) for an answer
   *   that arrived after submit() had already resolved as queued (or after a
   *   reload); onRejected(item, reply) when the hub refused an item.
   *   link: follow the hub to a standby (below); replies then carry the
   *   hub's identity ({status, body, hub}), items a hub acknowledged are kept
   *   for the last keepMs of contact and replayed to a hub not met before;
   *   an idle outbox checks the hub every watchMs.
   */
  constructor(name, send, {onChange, onResult, onRejected, retryMs = 3000, maxRetryMs = 30000,
                           answerWaitMs = 5000, link = null, keepMs = 10 * 60 * 1000, watchMs = 5000} = {}) {
    this.key = PREFIX + name;
    this.rejectedKey = PREFIX + name + ':rejected';
    // Failover (see HubLink below): acknowledged items kept for keepMs, the hub
    // identities this outbox has met, and the ids being replayed to a new hub.
    this.ackedKey = PREFIX + name + ':acked';
    this.hubsKey = PREFIX + name + ':hubs';
    this.replayKey = PREFIX + name + ':replay';
    this.link = link;
    this.keepMs = keepMs;
    this.hubId = null; // the hub answering now; null until known (again)
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
    // With a HubLink, an idle device still notices a hub that died, follows it
    // to the standby and replays what the old hub acknowledged.
    if (link) this.watcher = setInterval(() => this._watch(), watchMs);
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

  /** Items a hub acknowledged recently: [{item, hub, at}], oldest first. */
  acknowledged() { return this._load(this.ackedKey); }

  /** Keep an acknowledged item (with the identity of the hub that stored it). */
  _remember(item, hub) {
    if (!hub) return; // a hub that does not say who it is cannot be told apart from its standby
    const at = Date.now();
    // Keep the last keepMs *of contact with a hub*: when the hub dies the list
    // freezes, however long the takeover takes.
    const kept = this.acknowledged().filter((entry) => entry.at >= at - this.keepMs && entry.item.id !== item.id);
    kept.push({item, hub, at});
    this._save(this.ackedKey, kept.slice(-MAX_ACKED));
  }

  /**
   * A hub answered with identity ``hub``. A hub not met before may lack what
   * the old one acknowledged (replication runs about a second behind): put
   * every item acknowledged by another hub back at the head of the queue, in
   * order. The item ids make the replay harmless where the hub has them.
   */
  _meetHub(hub) {
    if (!hub || hub === this.hubId) return 0;
    this.hubId = hub;
    const met = this._load(this.hubsKey);
    if (met.includes(hub)) return 0;
    this._save(this.hubsKey, met.concat([hub]).slice(-20));
    if (!met.length) return 0; // the first hub this device ever met: nothing to replay
    const acked = this.acknowledged();
    // Not what an earlier event's hub took days ago: the list of a hub that died is its last minutes.
    const since = Date.now() - MAX_REPLAY_AGE_MS;
    const again = acked.filter((entry) => entry.hub !== hub && entry.at >= since).map((entry) => entry.item);
    if (!again.length) return 0;
    const ids = new Set(again.map((item) => item.id));
    const rest = this.pending().filter((item) => !ids.has(item.id));
    this._save(this.key, again.concat(rest));
    this._save(this.ackedKey, acked.filter((entry) => entry.hub === hub));
    this._save(this.replayKey, this._load(this.replayKey).concat([...ids]));
    this.replayed = (this.replayed || 0) + again.length;
    this.onChange(this);
    return again.length;
  }

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
    if (this.link && !this.hubId) {
      // Who answers now (the hub, or the standby that took over)? Ask before
      // sending, so that a replay goes out ahead of newer items.
      try {
        this._meetHub(await this.link.hello());
      } catch (e) {
        this._pause('retry', null);
        return;
      }
    }
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
      this._remember(item, reply.hub);
      // A different hub answered at the same address (a name that moved).
      if (reply.hub) this._meetHub(reply.hub);
      if (this._isReplay(item.id)) { this.onChange(this); continue; } // answered long ago
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

  async _watch() {
    if (this.running || this.state === 'sending' || this.state === 'blocked') return;
    const waiting = this.state === 'waiting';
    try {
      const hub = await this.link.hello();
      if (waiting) this.failures = 0; // a hub answers again: do not sit out the backoff
      if (this._meetHub(hub) || waiting || this.pending().length) this.flush();
    } catch (e) {
      if (waiting) return; // the backoff timer tries again
      this.hubId = null;
      this.flush(); // finds no hub either: shows "waiting" and retries with backoff
    }
  }

  _isReplay(id) {
    const ids = this._load(this.replayKey);
    if (!ids.includes(id)) return false;
    this._save(this.replayKey, ids.filter((other) => other !== id));
    return true;
  }

  _pause(kind, reply) {
    this.failures += 1;
    if (kind === 'retry') this.hubId = null; // ask who answers before sending again
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


const MAX_ACKED = 20000;
const MAX_REPLAY_AGE_MS = 12 * 3600 * 1000;


// --- following the hub to a standby -----------------------------------------
// The page was served by the hub; when the hub stops answering, requests go
// to the first standby that answers (addresses from the hub: `festival serve
// --standby URL`), and stay there (a hub that comes back does not win the
// devices back: only one hub may take scans). A standby is another origin:
// the device authenticates there with its bearer credential, never a cookie.
// Before the credential or any scan goes to a standby, the standby proves it
// belongs to this festival: it answers a random challenge with an HMAC under
// this device's key (from the hub's page; kiosk/hubid.py). An address that
// cannot prove it gets nothing, whatever hub id it claims.

export class HubLink {
  /**
   * @param {string} name  storage key of the chosen address (one per device page)
   * @param {{hubs?: string[], credential?: string|null, device?: number, key?: string}} config
   *   from the page (#failover): device and key check a standby's proof
   */
  constructor(name, config = {}, {timeoutMs = 8000, helloMs = 3000} = {}) {
    this.key = 'festival-hub:' + name;
    this.credential = config.credential || null;
    this.device = config.device || null;
    this.proofKey = config.key || null;
    this.proven = new Set(); // standby addresses that proved themselves since the page loaded
    this.timeoutMs = timeoutMs;
    this.helloMs = helloMs;
    // '' is the page's own origin (the hub that served it).
    this.addresses = [''].concat((config.hubs || []).filter((url) => /^https?:\/\//.test(url)));
    let stored = '';
    try { stored = localStorage.getItem(this.key) || ''; } catch (e) { /* storage off: start at home */ }
    this.current = this.addresses.includes(stored) ? stored : '';
  }

  _use(address) {
    this.current = address;
    try { localStorage.setItem(this.key, address); } catch (e) { /* memory only */ }
  }

  async _fetch(address, method, path, body, timeoutMs, anonymous = false) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const headers = {'Accept': 'application/json'};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const init = {method, headers, signal: controller.signal,
                  body: body === undefined ? undefined : JSON.stringify(body)};
    if (address === '') {
      const meta = document.querySelector('meta[name="csrf-token"]');
      headers['X-CSRF-Token'] = meta ? meta.content : '';
      init.credentials = 'same-origin';
    } else {
      if (this.credential && !anonymous) headers['Authorization'] = 'Bearer ' + this.credential;
      init.credentials = 'omit';
      init.mode = 'cors';
    }
    try {
      const response = await fetch(address + path, init);
      let data = null;
      try { data = await response.json(); } catch (e) { data = null; }
      return {status: response.status, body: data, hub: response.headers.get('X-Festival-Hub')};
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Send to the hub in use: {status, body, hub}; rejects when it cannot be
   * reached. A standby is asked for its proof first (once per page load).
   */
  async request(method, path, body) {
    if (this.current !== '' && !this.proven.has(this.current)) await this.hello();
    return this._fetch(this.current, method, path, body, this.timeoutMs);
  }

  /** Does the standby at ``address`` prove it belongs to this festival? Resolves to its hub id, or null. */
  async _prove(address) {
    if (!this.device || !this.proofKey) return null; // nothing to check a proof with: never follow
    const bytes = crypto.getRandomValues(new Uint8Array(18));
    const challenge = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    const query = `/healthz?challenge=${challenge}&device=${encodeURIComponent(this.device)}`;
    const reply = await this._fetch(address, 'GET', query, undefined, this.helloMs, true);
    const hub = reply.body && reply.body.hub;
    if (reply.status !== 200 || !hub || !reply.body.proof) return null;
    if (!sameText(reply.body.proof, hmacHex(this.proofKey, `${challenge}|${hub}`))) return null;
    this.proven.add(address);
    return hub;
  }

  /**
   * The identity of the hub that answers: the one in use if it answers,
   * otherwise the first other address that does (which is then kept).
   * Rejects when none answers.
   */
  async hello() {
    const order = [this.current].concat(this.addresses.filter((a) => a !== this.current));
    for (const address of order) {
      try {
        let hub = null;
        if (address === '') {
          const reply = await this._fetch(address, 'GET', '/healthz', undefined, this.helloMs);
          hub = reply.status === 200 ? (reply.body && reply.body.hub) || reply.hub : null;
        } else {
          hub = await this._prove(address); // no credential travels before the proof
        }
        if (hub) {
          if (address !== this.current) this._use(address);
          return hub;
        }
      } catch (e) { /* unreachable: try the next address */ }
    }
    throw new TypeError('no hub answers');
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
