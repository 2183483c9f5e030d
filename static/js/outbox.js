// A persistent outbox for scans: kept in localStorage so it survives a page
// reload or a crashed tab, replayed in order when the hub is reachable. The
// server is idempotent on each item's id, so replaying twice is harmless.

const PREFIX = 'festival-outbox:';

export class Outbox {
  /**
   * @param {string} name  one outbox per page kind and device ("desk", "zone-3")
   * @param {(item) => Promise<{status:number, body:any}>} send  rejects when unreachable
   * @param {{onChange?:Function, onResult?:Function, onRejected?:Function, retryMs?:number}} hooks
   */
  constructor(name, send, {onChange, onResult, onRejected, retryMs = 3000} = {}) {
    this.key = PREFIX + name;
    this.rejectedKey = PREFIX + name + ':rejected';
    this.send = send;
    this.onChange = onChange || (() => {});
    this.onResult = onResult || (() => {});
    this.onRejected = onRejected || (() => {});
    this.retryMs = retryMs;
    this.flushing = false;
    this.timer = null;
    window.addEventListener('online', () => this.flush());
  }

  _load(key) {
    try { return JSON.parse(localStorage.getItem(key) || '[]'); } catch (e) { return []; }
  }

  _save(key, items) { localStorage.setItem(key, JSON.stringify(items)); }

  /** Items waiting to be sent, oldest first. */
  pending() { return this._load(this.key); }

  /** Items the hub refused (4xx): shown to staff, never silently dropped. */
  rejected() { return this._load(this.rejectedKey); }

  clearRejected() { this._save(this.rejectedKey, []); this.onChange(this); }

  /**
   * Queue an item (it must carry its own client id) and try to send it now.
   * Resolves to the hub's answer, or {queued: true} when the hub is unreachable.
   */
  async submit(item) {
    const items = this.pending();
    items.push(item);
    this._save(this.key, items);
    this.onChange(this);
    if (items.length > 1 || this.flushing) {
      // Older items are waiting: keep order, answer "saved, will sync".
      this.flush();
      return {queued: true};
    }
    return this._sendHead(true);
  }

  async _sendHead(interactive) {
    const items = this.pending();
    if (!items.length) return {empty: true};
    const item = items[0];
    let reply;
    try {
      reply = await this.send(item);
    } catch (e) {
      this._schedule();
      return {queued: true};
    }
    if (reply.status >= 500 || reply.status === 0 || reply.status === 429) {
      this._schedule();
      return {queued: true};
    }
    this._dropHead(item);
    if (reply.status >= 400) {
      const rejected = this.rejected();
      rejected.push({item, status: reply.status, body: reply.body, at: Date.now()});
      this._save(this.rejectedKey, rejected);
      this.onRejected(item, reply);
    } else if (!interactive) {
      this.onResult(item, reply);
    }
    this.onChange(this);
    return reply;
  }

  _dropHead(item) {
    const items = this.pending();
    if (items.length && items[0].id === item.id) items.shift();
    this._save(this.key, items);
  }

  _schedule() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.flush(); }, this.retryMs);
  }

  /** Replay queued items in order until the queue is empty or the hub is unreachable. */
  async flush() {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending().length) {
        const reply = await this._sendHead(false);
        if (reply.queued) break;
      }
    } finally {
      this.flushing = false;
    }
  }
}
