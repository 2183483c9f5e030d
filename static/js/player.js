// The player's phone: join a live game by code (or badge), answer with big
// colour-and-shape buttons, see own result after each question and the podium.
// The server owns the clock: the countdown uses the server's deadline and the
// offset between the server's "now" and this phone's clock.
import {api, errorText, lang, newId, setText} from './common.js';
import {optionParts, startCountdown} from './gameui.js';
import {io} from './vendor.js';

const STORE = 'festival-play' + (document.getElementById('play').dataset.badge ? ':badge' : '');
const root = document.getElementById('play');
const badge = root.dataset.badge;
const t = document.getElementById('i18n').dataset;
const $ = (id) => document.getElementById(id);

let socket = null;
let offset = 0;          // server clock minus this phone's clock (ms)
let question = null;     // the open question payload
let pending = null;      // an answer sent but not yet acknowledged {i, c, id}
let chosen = new Set();  // multi-answer selection
let timer = null;
let revealed = -1;       // index of the last question whose result this phone showed

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_m, k) => String(values[k]));
}

function show(panel) {
  for (const id of ['p-wait', 'p-question', 'p-sent', 'p-result', 'p-paused', 'p-end']) {
    $(id).hidden = id !== panel;
  }
}

function error(message) {
  setText($('p-error'), message);
  $('p-error').hidden = !message;
}

function saved() {
  try { return JSON.parse(localStorage.getItem(STORE) || 'null'); } catch (e) { return null; }
}

function setScore(score) { if (typeof score === 'number') setText($('p-score'), score); }

function countdown() {
  timer = startCountdown($('p-timer'), timer, () => question, () => offset);
}

function renderQuestion(q, answered) {
  question = q;
  chosen = new Set();
  setText($('p-qi'), q.i + 1);
  setText($('p-qn'), q.n);
  setText($('p-prompt'), lang() === 'en' ? q.p.en : q.p.vi);
  const list = $('p-options');
  list.replaceChildren();
  q.o.forEach((opt, k) => {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = `answer answer-${k}`;
    button.dataset.k = k;
    button.append(...optionParts(opt, k));
    button.addEventListener('click', () => choose(k, button));
    li.append(button);
    list.append(li);
  });
  $('p-submit').hidden = !q.m;
  setText($('p-hint'), q.m ? t.choose : '');
  show(answered ? 'p-sent' : (q.rem !== undefined ? 'p-paused' : 'p-question'));
  countdown();
}

function choose(k, button) {
  if (!question) return;
  if (question.m) {
    if (chosen.has(k)) chosen.delete(k); else chosen.add(k);
    button.classList.toggle('chosen', chosen.has(k));
    return;
  }
  send([k]);
}

function send(choice) {
  if (!question || !choice.length) return;
  pending = {i: question.i, c: choice, id: newId()};
  show('p-sent');
  emitAnswer();
}

function emitAnswer() {
  if (!pending || !socket || !socket.connected) return;
  const sent = pending;
  socket.timeout(8000).emit('answer', sent, (err, ack) => {
    if (err) return;  // no ack: resent on reconnect with the same id
    if (pending === sent) pending = null;
    if (ack && ack.ok) {
      // The last answer closes the question, so its reveal (with the new score)
      // can arrive before this ack, whose score is from the question's start.
      if (!(ack.i <= revealed)) setScore(ack.sc);
      error('');
    } else {
      error(errorText(ack));
      if (ack && ack.error && ack.error.code === 'player_removed') kicked();
    }
  });
}

function verdict(rv) {
  if (rv.ok === true) return t.correct;
  if (rv.ok !== false) return t.none;
  // Partial credit on a multi-answer question: "2 of 3 right" (a reconnect has no counts).
  if (rv.rt && rv.rt[0] > 0) return fill(t.partly, {right: rv.rt[0], of: rv.rt[1]});
  return rv.pts > 0 ? t.partlyPlain : t.wrong;
}

function showResult(rv) {
  question = null;
  if (typeof rv.i === 'number') revealed = Math.max(revealed, rv.i);
  clearInterval(timer);
  if (rv.sk) {
    setText($('p-verdict'), t.skipped);
    setText($('p-points'), '');
  } else {
    setText($('p-verdict'), verdict(rv));
    setText($('p-points'), fill(t.points, {n: rv.pts || 0}));
  }
  $('p-result').dataset.ok = rv.ok === true ? 'yes' : rv.ok === false && rv.pts > 0 ? 'partly' : 'no';
  if (rv.rk) {
    setText($('p-rank'), fill(t.rank, {rank: rv.rk, n: rv.n}));
    setText($('p-gap'), rv.rk === 1 ? t.leader : fill(t.gap, {gap: rv.gap}));
  }
  setScore(rv.sc);
  show('p-result');
}

function podiumName(entry) {
  return entry.nm || fill(t.player, {n: entry.no});
}

function showEnd(data) {
  question = null;
  revealed = Infinity;
  clearInterval(timer);
  setScore(data.sc);
  if (data.rk) setText($('p-final'), fill(t.rank, {rank: data.rk, n: data.n}));
  const list = $('p-podium');
  list.replaceChildren();
  (data.pod || []).forEach((entry) => {
    const li = document.createElement('li');
    li.textContent = `${podiumName(entry)} · ${entry.sc}`;
    list.append(li);
  });
  show('p-end');
}

function applyState(s) {
  offset = s.now - Date.now();
  setText($('p-nick'), s.me.nick);
  setScore(s.sc);
  if (s.q) {
    renderQuestion(s.q, s.ans || (pending && pending.i === s.q.i));
    if (pending && pending.i === s.q.i && !s.ans) emitAnswer();
  } else if (s.st === 'reveal' && s.rv) {
    showResult({...s.rv, sc: s.sc, rk: s.rk, gap: s.gap, n: s.n});
  } else if (s.st === 'ended') {
    showEnd({pod: s.pod, sc: s.sc, rk: s.rk, n: s.n});
  } else {
    show('p-wait');
  }
}

function kicked() {
  localStorage.removeItem(STORE);
  if (socket) socket.disconnect();
  $('p-game').hidden = true;
  $('p-join').hidden = false;
  setText($('join-error'), t.kicked);
  $('join-error').hidden = false;
}

// sock: the process the join answer named for this phone's socket
// ('festival serve --workers', kiosk/phones.py); none: this page's own.
function connect(token, sock) {
  $('p-join').hidden = true;
  $('p-game').hidden = false;
  socket = io((sock || '') + '/play', {transports: ['websocket'], auth: {token}});
  let failures = 0;
  socket.on('connect', () => { failures = 0; $('p-conn').hidden = true; });
  socket.on('disconnect', () => { $('p-conn').hidden = false; });
  socket.on('connect_error', (err) => {
    if (err && err.data && err.data.code === 'bad_token') {
      localStorage.removeItem(STORE);
      socket.disconnect();
      $('p-game').hidden = true;
      $('p-join').hidden = false;
    } else if (sock && ++failures >= 3) {
      // The named process is gone (the hub restarted without --workers): this page's own.
      socket.disconnect();
      const stored = saved();
      if (stored) localStorage.setItem(STORE, JSON.stringify({...stored, sock: null}));
      connect(token, null);
    }
  });
  socket.on('state', applyState);
  socket.on('q', (q) => { offset = q.now - Date.now(); pending = null; error(''); renderQuestion(q, false); });
  socket.on('rv', showResult);
  socket.on('ps', (p) => { if (question) question.rem = p.rem; show('p-paused'); });
  socket.on('rs', (r) => {
    offset = r.now - Date.now();
    if (question) { delete question.rem; question.dl = r.dl; show(pending ? 'p-sent' : 'p-question'); countdown(); }
  });
  socket.on('end', showEnd);
  socket.on('kicked', kicked);
}

async function join(event) {
  event.preventDefault();
  const code = $('code').value.trim();
  const nick = $('nickname') ? $('nickname').value.trim() : '';
  const url = badge ? `/b/${encodeURIComponent(badge)}/play/join` : '/play/join';
  $('join').disabled = true;
  try {
    const {status, body} = await api('POST', url, {code, nickname: nick || null, lang: lang()});
    if (status === 201 && body && body.ok) {
      localStorage.setItem(STORE, JSON.stringify({token: body.token, g: body.game.id, code: body.game.code,
                                                  sock: body.sock}));
      $('join-error').hidden = true;
      connect(body.token, body.sock);
    } else {
      setText($('join-error'), errorText(body));
      $('join-error').hidden = false;
    }
  } catch (e) {
    setText($('join-error'), errorText(null));
    $('join-error').hidden = false;
  } finally {
    $('join').disabled = false;
  }
}

$('join-form').addEventListener('submit', join);
$('p-submit').addEventListener('click', () => send([...chosen].sort()));

const stored = saved();
const wanted = $('code').value;
if (stored && stored.token && (!wanted || stored.code === wanted)) {
  connect(stored.token, stored.sock);
} else {
  $('p-join').hidden = false;
  if (wanted) $('nickname') ? $('nickname').focus() : $('join').focus();
}
