// The big game screen: join code and QR, lobby names, the question with a
// server-timed countdown, the answer spread, the top 5 and the podium.
// Kahoot!'s rhythm: after a question closes the reveal fills the screen
// (answer spread, explanation, help line), then after BOARD_AFTER_MS the
// scoreboard does (top 5, who moved up), until the host opens the next
// question. ``#screen[data-phase]`` says which: lobby, question, reveal, board, end.
// Names come from the server already filtered for consent; a missing name
// shows as "Người chơi #N / Player #N".
import {setText} from './common.js';
import {optionParts, startCountdown} from './gameui.js';
import {io} from './vendor.js';

const root = document.getElementById('screen');
const gameId = Number(root.dataset.game);
const $ = (id) => document.getElementById(id);

let offset = 0;
let question = null;
let timer = null;
let boardTimer = null;
const BOARD_AFTER_MS = 6000;
// The top 5 before the latest reveal (player no → place), to mark who moved up.
let placesBefore = new Map();
let placesNow = new Map();
let revealed = null;  // index of the question whose reveal set placesNow

function name(entry) {
  return entry.nm || `Người chơi #${entry.no} / Player #${entry.no}`;
}

function show(phase, id) {
  clearTimeout(boardTimer);
  root.dataset.phase = phase;
  for (const section of ['gs-lobby', 'gs-question', 'gs-board', 'gs-end']) $(section).hidden = section !== id;
  if (phase === 'lobby') fitNames();
}

let lastLive = {np: 0, names: []};

function renderLive(live) {
  lastLive = live;
  setText($('gs-player-count'), live.np);
  setText($('gs-answered'), live.a);
  fitNames();
}

function moreItem(n) {
  const li = document.createElement('li');
  li.className = 'gs-more';
  const vi = document.createElement('span');
  vi.lang = 'vi';
  vi.textContent = `+${n} người nữa`;
  const en = document.createElement('span');
  en.lang = 'en';
  en.className = 'en';
  en.textContent = `+${n} more`;
  li.append(vi, ' · ', en);
  return li;
}

// The lobby lists the newest names that fit its box, then "+N more": with 40
// or 5,000 players the screen never grows past its height (it cannot scroll).
function fitNames() {
  const list = $('gs-names');
  const names = lastLive.names || [];
  const total = Math.max(lastLive.np || 0, names.length);
  list.replaceChildren();
  for (const entry of names) {
    const li = document.createElement('li');
    li.textContent = name(entry);
    list.append(li);
  }
  if (total > names.length) list.append(moreItem(total - names.length));
  const overflows = () => list.scrollHeight > list.clientHeight + 1;
  let shown = names.length;
  while (shown > 0 && overflows()) {
    shown -= 1;
    list.replaceChildren(...[...list.children].slice(0, shown), moreItem(total - shown));
  }
}

window.addEventListener('resize', fitNames);

function countdown() {
  timer = startCountdown($('gs-timer'), timer, () => question, () => offset);
}

function renderQuestion(q) {
  question = q;
  setText($('gs-qi'), q.i + 1);
  setText($('gs-qn'), q.n);
  setText($('gs-prompt-vi'), q.p.vi);
  setText($('gs-prompt-en'), q.p.en);
  setText($('gs-answered'), 0);
  const list = $('gs-options');
  list.replaceChildren();
  q.o.forEach((opt, k) => {
    const li = document.createElement('li');
    li.className = `answer answer-${k}`;
    li.dataset.k = k;
    const count = document.createElement('b');
    count.className = 'count';
    const mark = document.createElement('span');
    mark.className = 'mark';
    mark.setAttribute('aria-hidden', 'true');
    li.append(...optionParts(opt, k), mark, count);
    list.append(li);
  });
  $('gs-explain').hidden = true;
  $('gs-paused').hidden = q.rem === undefined;
  show('question', 'gs-question');
  countdown();
}

function renderTop(top, index) {
  if (index !== revealed) {  // a new reveal (a reconnect's snapshot repeats the last one)
    placesBefore = placesNow;
    placesNow = new Map(top.map((entry, place) => [entry.no, place]));
    revealed = index;
  }
  const list = $('gs-top');
  list.replaceChildren();
  top.forEach((entry, place) => {
    const li = document.createElement('li');
    const before = placesBefore.get(entry.no);
    const up = placesBefore.size > 0 && (before === undefined || place < before);
    li.classList.toggle('moved-up', up);
    const rank = document.createElement('span');
    rank.className = 'gs-rank';
    rank.textContent = place + 1;
    const who = document.createElement('span');
    who.className = 'gs-who';
    who.textContent = name(entry);
    const moved = document.createElement('span');
    moved.className = 'gs-moved';
    moved.textContent = up ? (before === undefined ? '▲' : `▲${before - place}`) : '';
    const score = document.createElement('b');
    score.className = 'gs-score';
    score.textContent = entry.sc;
    li.append(rank, who, moved, score);
    list.append(li);
  });
}

function showBoard() {
  show('board', 'gs-board');
}

function renderReveal(rv) {
  clearInterval(timer);
  if (question) question.rem = 0;
  setText($('gs-timer'), 0);
  const total = Math.max(1, rv.sp.reduce((a, b) => a + b, 0));
  for (const li of $('gs-options').children) {
    const k = Number(li.dataset.k);
    li.classList.toggle('correct', rv.c.includes(k));
    li.classList.toggle('wrong', !rv.c.includes(k));
    li.querySelector('.mark').textContent = rv.c.includes(k) ? '✓' : '';
    li.querySelector('.count').textContent = rv.sp[k] ?? 0;
    li.style.setProperty('--share', `${Math.round(100 * (rv.sp[k] || 0) / total)}%`);
  }
  setText($('gs-answered'), rv.a);
  setText($('gs-ex-vi'), rv.ex.explanation.vi);
  setText($('gs-ex-en'), rv.ex.explanation.en);
  setText($('gs-help-vi'), rv.ex.help.vi);
  setText($('gs-help-en'), rv.ex.help.en);
  $('gs-explain').hidden = false;
  renderTop(rv.top, rv.i);
  show('reveal', 'gs-question');
  boardTimer = setTimeout(showBoard, BOARD_AFTER_MS);
}

function renderEnd(end) {
  clearInterval(timer);
  const list = $('gs-podium');
  list.replaceChildren();
  // Nobody scored: no "Congratulations!" to a podium of zeros, an encouraging word instead.
  const nobodyScored = end.pod.every((entry) => !entry.sc);
  $('gs-cheer').hidden = nobodyScored;
  $('gs-kind').hidden = !nobodyScored;
  list.hidden = nobodyScored;
  end.pod.forEach((entry, k) => {
    const li = document.createElement('li');
    li.className = `podium-${k + 1}`;
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = name(entry);
    const score = document.createElement('b');
    score.textContent = entry.sc;
    li.append(who, score);
    list.append(li);
  });
  show('end', 'gs-end');
}

function applySnapshot(s) {
  offset = s.now - Date.now();
  renderLive(s);
  if (s.st === 'lobby') show('lobby', 'gs-lobby');
  else if (s.q) renderQuestion(s.q);
  if (s.rv) {
    if (!s.q) question = null;
    renderReveal(s.rv);
  }
  if (s.st === 'ended') renderEnd({pod: s.pod || []});
}

const socket = io('/gamescreen', {transports: ['websocket']});
socket.on('connect', () => {
  $('gs-conn').hidden = true;
  socket.emit('watch', {g: gameId}, (ack) => { if (ack && ack.ok) applySnapshot(ack); });
});
socket.on('disconnect', () => { $('gs-conn').hidden = false; });
socket.on('live', renderLive);
socket.on('q', (q) => { offset = q.now - Date.now(); renderQuestion(q); });
socket.on('rv', renderReveal);
socket.on('ps', (p) => { if (question) question.rem = p.rem; $('gs-paused').hidden = false; });
socket.on('rs', (r) => {
  offset = r.now - Date.now();
  if (question) { delete question.rem; question.dl = r.dl; }
  $('gs-paused').hidden = true;
  countdown();
});
socket.on('end', renderEnd);

// Test hook: draw the lobby from a generated crowd without connecting 5,000 phones.
window.__gamescreen = {renderLive, showLobby: () => show('lobby', 'gs-lobby')};

// --- A full game (issue 17, games/live/sockets.py live_counts): the live
// counters carry `full` {vi, en} once the player cap is reached; the lobby
// says so under the player count (the refused phones see game_full).
function renderFull(live) {
  let note = $('gs-full');
  if (!live || !live.full) {
    if (note) note.hidden = true;
    return;
  }
  if (!note) {
    note = document.createElement('p');
    note.id = 'gs-full';
    note.className = 'gs-full alert';
    note.setAttribute('role', 'status');
    $('gs-player-count').closest('.gs-players').append(note);
  }
  const vi = document.createElement('span');
  vi.lang = 'vi';
  vi.textContent = live.full.vi;
  const en = document.createElement('span');
  en.lang = 'en';
  en.className = 'en';
  en.textContent = ` · ${live.full.en}`;
  note.replaceChildren(vi, en);
  note.hidden = false;
}
socket.on('live', renderFull);
