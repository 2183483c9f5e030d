// Shared leaderboard rendering (stage screens, game boards).
//
// Rows are <li> elements reused by their stable key, so a screen that runs
// all day keeps exactly as many elements as rows on the board. Rank changes
// animate with FLIP: measure where rows were, move them to their new place,
// then slide them from the old position with a transform transition.
// Text is always set with textContent: nicknames are data, never markup.

const MOVED_UP = 'moved-up';

/** The label of a board row in the page language. */
export function rowName(row, lang) {
  return (lang === 'en' ? row.name_en : row.name_vi) || row.name_vi || row.name_en || '';
}

/** A score as shown: whole numbers plain, averages with one decimal. */
export function formatScore(score, lang) {
  const number = Number(score) || 0;
  const digits = Number.isInteger(number) ? 0 : 1;
  return number.toLocaleString(lang === 'en' ? 'en-GB' : 'vi-VN',
    {minimumFractionDigits: digits, maximumFractionDigits: digits});
}

export class BoardView {
  /**
   * @param {HTMLOListElement} list  the element that holds the rows
   * @param {{lang?: string}} options
   */
  constructor(list, {lang = 'vi'} = {}) {
    this.list = list;
    this.lang = lang;
    this.rows = new Map(); // key -> {el, rank}
    this.boardId = null;
  }

  _makeRow(key) {
    const el = document.createElement('li');
    el.className = 'board-row';
    el.dataset.key = key;
    for (const part of ['rank', 'name', 'score']) {
      const span = document.createElement('span');
      span.className = 'board-' + part;
      el.appendChild(span);
    }
    // One listener per element, for its whole life: no listener pile-up.
    el.addEventListener('animationend', () => el.classList.remove(MOVED_UP));
    return el;
  }

  /** Forget every row (another board is shown next). */
  clear() {
    for (const {el} of this.rows.values()) el.remove();
    this.rows.clear();
    this.boardId = null;
  }

  /**
   * Show ``payload`` ({board, rows: [{key, rank, name_vi, name_en, score}]}).
   * Returns the number of rows that moved up.
   */
  render(payload, {animate = true} = {}) {
    if (payload.board !== this.boardId) {
      this.clear();
      this.boardId = payload.board;
      animate = false;
    }
    const before = new Map();
    if (animate) {
      for (const [key, {el}] of this.rows) before.set(key, el.getBoundingClientRect().top);
    }
    const seen = new Set();
    let movedUp = 0;
    payload.rows.forEach((row, index) => {
      seen.add(row.key);
      let entry = this.rows.get(row.key);
      if (!entry) {
        entry = {el: this._makeRow(row.key), rank: null};
        this.rows.set(row.key, entry);
      }
      const [rank, name, score] = entry.el.children;
      rank.textContent = String(row.rank);
      name.textContent = rowName(row, this.lang);
      score.textContent = formatScore(row.score, this.lang);
      entry.el.classList.toggle('anonymous', !!row.anonymous);
      entry.el.classList.toggle('top3', row.rank <= 3);
      if (animate && entry.rank !== null && row.rank < entry.rank) {
        movedUp += 1;
        entry.el.classList.remove(MOVED_UP);
        void entry.el.offsetWidth; // restart the highlight animation
        entry.el.classList.add(MOVED_UP);
      }
      entry.rank = row.rank;
      // appendChild moves an existing element: the DOM order becomes the rank order.
      if (this.list.children[index] !== entry.el) this.list.insertBefore(entry.el, this.list.children[index] || null);
    });
    for (const [key, {el}] of this.rows) {
      if (!seen.has(key)) {
        el.remove();
        this.rows.delete(key);
      }
    }
    if (animate) this._slide(before);
    return movedUp;
  }

  _slide(before) {
    const moving = [];
    for (const [key, top] of before) {
      const entry = this.rows.get(key);
      if (!entry) continue;
      const delta = top - entry.el.getBoundingClientRect().top;
      if (Math.abs(delta) < 1) continue;
      entry.el.style.transition = 'none';
      entry.el.style.transform = `translateY(${delta}px)`;
      moving.push(entry.el);
    }
    if (!moving.length) return;
    void this.list.offsetHeight; // commit the inverted positions before playing
    for (const el of moving) {
      el.style.transition = '';
      el.style.transform = '';
    }
  }
}
