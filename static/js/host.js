// The host's console: create a game, open the lobby, run it with acked
// socket events (start, show answers, pause, resume, skip, next, end) and
// moderate players (hide a name, remove a player).
import {api, errorText, lang, setText} from './common.js';
import {startCountdown} from './gameui.js';
import {io} from './vendor.js';

const $ = (id) => document.getElementById(id);
const t = $('i18n').dataset;
let game = null;
let offset = 0;
let question = null;
let timer = null;
let refreshTimer = null;

const socket = io('/host', {transports: ['websocket']});

function fail(el, body) {
  setText(el, errorText(body));
  el.hidden = false;
}

function stateLabel(st) {
  return {lobby: t.lobby, question: t.question, reveal: t.reveal, paused: t.paused, ended: t.ended}[st] || st;
}

function setState(st) {
  const pill = $('game-state');
  setText(pill, stateLabel(st));
  pill.dataset.state = st;
  $('console').dataset.state = st;
}

function countdown() {
  timer = startCountdown($('countdown'), timer, () => question, () => offset);
}

function entryName(entry) {
  return entry.nm || t.player.replace('{n}', entry.no);
}

function list(el, items, text) {
  el.replaceChildren();
  for (const item of items) {
    const li = document.createElement('li');
    li.textContent = text(item);
    el.append(li);
  }
}

function renderQuestion(q) {
  question = q;
  setText($('q-index'), q.i + 1);
  setText($('q-text'), lang() === 'en' ? q.p.en : q.p.vi);
  list($('spread'), q.o, (o) => (lang() === 'en' ? o.en : o.vi));
  countdown();
}

function renderReveal(rv) {
  clearInterval(timer);
  setText($('countdown'), 0);
  const items = $('spread').children;
  rv.sp.forEach((count, k) => {
    if (items[k]) {
      items[k].dataset.count = count;
      items[k].classList.toggle('correct', rv.c.includes(k));
    }
  });
  list($('top'), rv.top, (e) => `${entryName(e)} · ${e.sc}`);
  setState('reveal');
}

function applySnapshot(s) {
  offset = s.now - Date.now();
  game = s.game;
  $('console').hidden = false;
  setText($('game-title'), s.game.title);
  setText($('game-code'), s.game.code);
  setText($('q-count'), s.game.n);
  $('screen-link').href = `/host/screen/${s.game.id}`;
  setState(s.st);
  applyLive(s);
  if (s.q) renderQuestion(s.q);
  if (s.rv) renderReveal(s.rv);
  if (s.pod) list($('podium'), s.pod, (e) => `${entryName(e)} · ${e.sc}`);
  refreshPlayers();
}

function applyLive(live) {
  setText($('player-count'), live.np);
  setText($('answer-count'), live.a);
  if (live.st === 'lobby') {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshPlayers, 1000);
  }
}

function watch(id) {
  socket.emit('watch', {g: id}, (ack) => {
    if (ack && ack.ok) applySnapshot(ack);
    else fail($('create-error'), ack);
  });
}

async function refreshPlayers() {
  if (!game) return;
  const {status, body} = await api('GET', `/host/api/games/${game.id}/players`);
  if (status !== 200) return;
  const tbody = $('players');
  tbody.replaceChildren();
  for (const p of body.players) {
    const row = $('player-row').content.firstElementChild.cloneNode(true);
    row.dataset.player = p.id;
    setText(row.querySelector('.p-no'), `#${p.no}`);
    const flags = [p.hidden ? t.hidden : '', p.removed ? t.removed : ''].filter(Boolean).join(', ');
    setText(row.querySelector('.p-name'), p.nick + (flags ? ` (${flags})` : ''));
    setText(row.querySelector('.p-score'), p.sc);
    row.querySelector('.p-hide').hidden = p.hidden || p.removed;
    row.querySelector('.p-show').hidden = !p.hidden || p.removed;
    row.querySelector('.p-remove').hidden = p.removed;
    row.querySelector('.p-hide').addEventListener('click', () => moderate('hide', {p: p.id, h: true}));
    row.querySelector('.p-show').addEventListener('click', () => moderate('hide', {p: p.id, h: false}));
    row.querySelector('.p-remove').addEventListener('click', () => {
      if (window.confirm(t.confirmRemove)) moderate('remove', {p: p.id});
    });
    tbody.append(row);
  }
}

function moderate(event, data) {
  socket.emit(event, {g: game.id, ...data}, (ack) => {
    if (ack && ack.ok) refreshPlayers();
    else fail($('host-error'), ack);
  });
}

function control(action) {
  if (!game) return;
  $('host-error').hidden = true;
  socket.emit(action, {g: game.id}, (ack) => {
    if (ack && ack.ok) { if (ack.st) setState(ack.st); } else fail($('host-error'), ack);
  });
}

$('create-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('create-error').hidden = true;
  const limit = $('time-limit').value ? Number($('time-limit').value) : null;
  const payload = {bank: $('bank').value, count: Number($('count').value), mode: $('mode').value,
                   streak: $('streak').checked, time_limit: limit};
  const {status, body} = await api('POST', '/host/api/games', payload);
  if (status === 201 && body.ok) {
    watch(body.game.id);
    if (body.notice) { setText($('create-error'), body.notice[lang()]); $('create-error').hidden = false; }
  } else fail($('create-error'), body);
});

for (const button of document.querySelectorAll('[data-action]')) {
  button.addEventListener('click', () => control(button.dataset.action));
}
for (const button of document.querySelectorAll('[data-open-game]')) {
  button.addEventListener('click', () => watch(Number(button.dataset.openGame)));
}
$('refresh-players').addEventListener('click', refreshPlayers);

socket.on('connect', () => { if (game) watch(game.id); });
socket.on('live', applyLive);
socket.on('q', (q) => { offset = q.now - Date.now(); setState('question'); renderQuestion(q); });
socket.on('rv', renderReveal);
socket.on('ps', (p) => { if (question) question.rem = p.rem; setState('paused'); });
socket.on('rs', (r) => {
  offset = r.now - Date.now();
  if (question) { delete question.rem; question.dl = r.dl; }
  setState('question');
  countdown();
});
socket.on('end', (end) => { setState('ended'); list($('podium'), end.pod, (e) => `${entryName(e)} · ${e.sc}`); });
