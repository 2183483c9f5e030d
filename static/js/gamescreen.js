// The big game screen: join code and QR, lobby names, the question with a
// server-timed countdown, the answer spread, the top 5 and the podium.
// Names come from the server already filtered for consent; a missing name
// shows as "Người chơi #N / Player #N".
import {setText} from './common.js';
import {optionParts, startCountdown} from './gameui.js';
import {io} from '../vendor/socket.io-client/dist/socket.io.esm.min.js';

const root = document.getElementById('screen');
const gameId = Number(root.dataset.game);
const $ = (id) => document.getElementById(id);

let offset = 0;
let question = null;
let timer = null;

function name(entry) {
  return entry.nm || `Người chơi #${entry.no} / Player #${entry.no}`;
}

function show(...ids) {
  for (const id of ['gs-lobby', 'gs-question', 'gs-board', 'gs-end']) $(id).hidden = !ids.includes(id);
}

function renderLive(live) {
  setText($('gs-player-count'), live.np);
  setText($('gs-answered'), live.a);
  const list = $('gs-names');
  list.replaceChildren();
  for (const entry of live.names || []) {
    const li = document.createElement('li');
    li.textContent = name(entry);
    list.append(li);
  }
}

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
    li.append(...optionParts(opt, k), count);
    list.append(li);
  });
  $('gs-explain').hidden = true;
  $('gs-paused').hidden = q.rem === undefined;
  show('gs-question');
  countdown();
}

function renderTop(top) {
  const list = $('gs-top');
  list.replaceChildren();
  for (const entry of top) {
    const li = document.createElement('li');
    const who = document.createElement('span');
    who.textContent = name(entry);
    const score = document.createElement('b');
    score.textContent = entry.sc;
    li.append(who, score);
    list.append(li);
  }
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
    li.querySelector('.count').textContent = rv.sp[k] ?? 0;
    li.style.setProperty('--share', `${Math.round(100 * (rv.sp[k] || 0) / total)}%`);
  }
  setText($('gs-answered'), rv.a);
  setText($('gs-ex-vi'), rv.ex.explanation.vi);
  setText($('gs-ex-en'), rv.ex.explanation.en);
  setText($('gs-help-vi'), rv.ex.help.vi);
  setText($('gs-help-en'), rv.ex.help.en);
  $('gs-explain').hidden = false;
  renderTop(rv.top);
  show('gs-question', 'gs-board');
}

function renderEnd(end) {
  clearInterval(timer);
  const list = $('gs-podium');
  list.replaceChildren();
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
  show('gs-end');
}

function applySnapshot(s) {
  offset = s.now - Date.now();
  renderLive(s);
  if (s.st === 'lobby') show('gs-lobby');
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
