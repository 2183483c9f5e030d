// The check-in desk: wedge and camera scans, name search, walk-ins, class
// check-in, undo/reprint/reissue, rewards and live counters. Every scan goes
// through the persistent outbox, so a desk that loses the hub keeps scanning
// ("saved — will sync") and replays in order later.

import {api, errorText, lang, newId, setText} from './common.js';
import {Outbox} from './outbox.js';
import {listenForWedge, startCamera} from './scanner.js';
import {io} from '../vendor/socket.io-client/dist/socket.io.esm.min.js';

const $ = (id) => document.getElementById(id);
const root = $('desk');
const T = $('desk-text').dataset;
const station = root.dataset.station;
const UNDO_MS = Number(root.dataset.undoSeconds || 300) * 1000;
const AGE = {'u7': T.ageU7, '7-15': T.ageChild, '16-17': T.ageTeen, '18+': T.ageAdult};

/** Fill "%(name)s" placeholders of a translated template. */
function fmt(text, params) {
  return String(text).replace(/%\((\w+)\)s/g, (m, key) => (key in params ? params[key] : m));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function labelUrl(attendeeId) {
  const pattern = root.dataset.labelPattern;
  return pattern ? pattern.replace(root.dataset.labelId, String(attendeeId)) : null;
}

// ---------------------------------------------------------------- sound --
// Generated with Web Audio, so no audio files: green rises in two tones,
// yellow is one mid tone, red is a low buzz. Distinct even without looking.

let audio = null;
const SOUNDS = {
  green: [{f: 660, t: 0, d: 0.12, type: 'sine'}, {f: 990, t: 0.13, d: 0.16, type: 'sine'}],
  yellow: [{f: 520, t: 0, d: 0.3, type: 'triangle'}],
  red: [{f: 130, t: 0, d: 0.55, type: 'sawtooth'}],
};

function playSound(level) {
  const notes = SOUNDS[level];
  if (!notes) return;
  root.dataset.sound = level;
  try {
    audio = audio || new AudioContext();
    if (audio.state === 'suspended') audio.resume();
    const start = audio.currentTime + 0.01;
    for (const note of notes) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = note.type;
      osc.frequency.value = note.f;
      gain.gain.setValueAtTime(0.25, start + note.t);
      gain.gain.exponentialRampToValueAtTime(0.001, start + note.t + note.d);
      osc.connect(gain).connect(audio.destination);
      osc.start(start + note.t);
      osc.stop(start + note.t + note.d + 0.02);
    }
  } catch (e) {
    // No audio device: the colours still tell the story.
  }
}

// --------------------------------------------------------------- result --

let ackPending = false;
const waitingResults = [];
let last = null; // {attendee, checkedInAt (ms), result}

/** Show an answer, unless the volunteer still has to acknowledge a guardian warning. */
function present(answer) {
  if (ackPending) {
    waitingResults.push(answer);
    setText($('guardian-queue'), fmt(T.waitingAck, {n: waitingResults.length}));
    return;
  }
  renderResult(answer);
}

function renderResult(answer) {
  const level = answer.level || 'red';
  const box = $('result');
  box.className = `result result-${level}`;
  box.dataset.level = level;
  box.dataset.result = answer.result || '';
  const titles = {green: T.green, yellow: T.yellow, red: T.red, queued: T.queued};
  setText($('result-title'), titles[level] || T.ready);
  const person = answer.attendee;
  setText($('result-person'), person ? `${person.nickname} · ${person.given_name}` : '');
  setText($('result-details'), person ? [AGE[person.age_band], person.school, person.class_name]
    .filter(Boolean).join(' · ') : '');
  setText($('result-vi'), answer.message_vi || '');
  setText($('result-en'), answer.message_en || '');
  playSound(level === 'queued' ? 'yellow' : level);
  renderRewards(answer.rewards_ready || []);
  if (person && (level === 'green' || level === 'yellow')) {
    last = {attendee: person, result: answer.result,
            checkedInAt: answer.result === 'checked_in' ? Date.now() : null};
  } else if (level !== 'queued') {
    last = null;
  }
  renderLastActions();
  if (level === 'green' && person && person.needs_guardian_ack) showGuardianWarning();
}

function showGuardianWarning() {
  ackPending = true;
  $('guardian-warning').hidden = false;
  setText($('guardian-queue'), '');
  $('guardian-ack').focus();
}

$('guardian-ack').addEventListener('click', () => {
  ackPending = false;
  $('guardian-warning').hidden = true;
  if (waitingResults.length) present(waitingResults.shift());
});

function renderRewards(rewards) {
  const list = $('rewards-list');
  list.replaceChildren();
  $('rewards').hidden = rewards.length === 0;
  for (const reward of rewards) {
    const item = el('li', 'reward');
    const first = lang() === 'en' ? [reward.reward_en, reward.name_en] : [reward.reward_vi, reward.name_vi];
    item.append(el('b', '', first[0] || reward.reward_vi), el('span', 'hint', ` (${first[1] || ''}) `));
    const button = el('button', 'button primary', T.collect);
    button.type = 'button';
    const msg = el('span', 'hint');
    button.addEventListener('click', () => claimReward(reward.id, button, msg));
    item.append(button, msg);
    list.append(item);
  }
}

async function claimReward(rewardId, button, msg) {
  button.disabled = true;
  try {
    const reply = await api('POST', `/api/rewards/${rewardId}/claim`, {});
    if (reply.status < 300 && reply.body && reply.body.ok !== false) {
      setText(button, T.collected);
      setText(msg, '');
      return;
    }
    setText(msg, errorText(reply.body));
  } catch (e) {
    setText(msg, T.unreachable);
  }
  button.disabled = false;
}

// ------------------------------------------------ undo, reprint, reissue --

let undoTimer = null;

function renderLastActions() {
  $('last-actions').hidden = !last;
  setText($('action-msg'), '');
  if (!last) return;
  const canUndo = last.checkedInAt && Date.now() - last.checkedInAt < UNDO_MS;
  $('undo').hidden = !canUndo;
  clearTimeout(undoTimer);
  if (canUndo) undoTimer = setTimeout(() => { $('undo').hidden = true; }, UNDO_MS - (Date.now() - last.checkedInAt));
  const url = labelUrl(last.attendee.id);
  $('reprint').hidden = !url;
  if (url) $('reprint').href = url;
  resetReissue();
}

$('undo').addEventListener('click', async () => {
  if (!last) return;
  const reply = await api('POST', `/api/checkins/${last.attendee.id}/undo`, {}).catch(() => null);
  if (reply && reply.status === 200) {
    last.checkedInAt = null;
    $('undo').hidden = true;
    setText($('action-msg'), T.undone);
    $('result').className = 'result result-idle';
    $('result').dataset.level = 'undone';
    setText($('result-title'), T.undone);
  } else {
    setText($('action-msg'), reply ? errorText(reply.body) : T.unreachable);
  }
});

// Reissuing revokes the badge in the person's hand: a second click confirms.
let reissueArmed = null;

function resetReissue() {
  clearTimeout(reissueArmed);
  reissueArmed = null;
  $('reissue').classList.remove('armed');
}

$('reissue').addEventListener('click', async () => {
  if (!last) return;
  if (!reissueArmed) {
    $('reissue').classList.add('armed');
    setText($('action-msg'), T.reissueConfirm);
    reissueArmed = setTimeout(resetReissue, 6000);
    return;
  }
  resetReissue();
  const reply = await api('POST', `/api/attendees/${last.attendee.id}/reissue`, {}).catch(() => null);
  if (reply && reply.status === 200) {
    setText($('action-msg'), T.reissued);
    if (reply.body.label_url) window.open(reply.body.label_url, '_blank');
  } else {
    setText($('action-msg'), reply ? errorText(reply.body) : T.unreachable);
  }
});

// ---------------------------------------------------------------- scans --

const lateRefused = [];

const outbox = new Outbox('desk', (item) => api('POST', '/api/scans', item), {
  onChange: renderOutbox,
  onRejected: renderOutbox,
  // A queued scan answered later: a red answer must still reach the volunteer.
  onResult: (item, reply) => {
    if (reply.body && reply.body.level === 'red') {
      lateRefused.push({item, body: {error: reply.body}});
      renderOutbox();
    }
  },
});

function renderOutbox() {
  const waiting = outbox.pending().length;
  const state = $('outbox-state');
  state.hidden = waiting === 0;
  state.className = waiting ? 'pill pill-warn' : 'pill';
  setText(state, fmt(T.waiting, {n: waiting}));
  root.dataset.outbox = String(waiting);
  const refused = [...outbox.rejected(), ...lateRefused];
  $('rejected-box').hidden = refused.length === 0;
  setText($('rejected-count'), refused.length);
  const list = $('rejected-list');
  list.replaceChildren();
  for (const entry of refused) {
    const body = entry.body || {};
    const text = body.error ? (lang() === 'en' ? body.error.message_en : body.error.message_vi) || body.error.message : '';
    list.append(el('li', '', `${entry.item.text} — ${text || T.refused}`));
  }
}

$('rejected-clear').addEventListener('click', () => {
  lateRefused.length = 0;
  outbox.clearRejected();
});

/** A red answer built from an API error payload, in both languages. */
function errorAnswer(body) {
  const err = (body && body.error) || {};
  return {level: 'red', result: err.code || 'error', message_vi: err.message_vi || errorText(body),
          message_en: err.message_en || ''};
}

async function submitScan(text) {
  const item = {id: newId(), text, station, client_time: new Date().toISOString()};
  let reply;
  try {
    reply = await outbox.submit(item);
  } catch (e) {
    reply = {queued: true};
  }
  if (reply.queued) {
    present({level: 'queued', result: 'queued', message_vi: T.saved, message_en: T.saved});
  } else if (reply.status >= 400 || !reply.body) {
    present(errorAnswer(reply.body));
  } else {
    present(reply.body);
  }
}

listenForWedge((text, info) => {
  $('ime-hint').hidden = !info.mangled;
  submitScan(text);
});

// --------------------------------------------------------------- camera --

let camera = null;

$('camera-toggle').addEventListener('click', async () => {
  const button = $('camera-toggle');
  const errorBox = $('camera-error');
  if (camera) {
    camera.stop();
    camera = null;
    $('camera-box').hidden = true;
    setText(button, T.startCamera);
    return;
  }
  errorBox.hidden = true;
  button.disabled = true;
  $('camera-box').hidden = false;
  try {
    camera = await startCamera($('camera'), (text) => submitScan(text), {
      onError: (err) => showCameraError(err),
    });
    setText(button, T.stopCamera);
    root.dataset.camera = camera.decoder;
  } catch (err) {
    $('camera-box').hidden = true;
    showCameraError(err);
  } finally {
    button.disabled = false;
  }
});

function showCameraError(err) {
  camera = null;
  setText($('camera-toggle'), T.startCamera);
  const box = $('camera-error');
  setText(box.querySelector('.vi'), err.vi || String(err));
  setText(box.querySelector('.en'), err.en || '');
  box.hidden = false;
}

// --------------------------------------------------------------- search --

let searchTimer = null;
let searchSeq = 0;

$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 250);
});

async function runSearch() {
  const query = $('search').value.trim();
  const seq = ++searchSeq;
  const list = $('search-results');
  if (query.length < 2) {
    list.replaceChildren();
    setText($('search-msg'), '');
    return;
  }
  setText($('search-msg'), T.searching);
  const reply = await api('GET', `/api/attendees/search?q=${encodeURIComponent(query)}`).catch(() => null);
  if (seq !== searchSeq) return; // a newer search is on its way
  if (!reply || reply.status !== 200) {
    setText($('search-msg'), reply ? errorText(reply.body) : T.unreachable);
    return;
  }
  const results = reply.body.results;
  setText($('search-msg'), results.length ? '' : T.noResults);
  list.replaceChildren(...results.map(searchResult));
}

function searchResult(person) {
  const item = el('li', 'search-result');
  item.dataset.attendee = person.id;
  const who = el('div', 'who');
  who.append(el('b', '', person.full_name), el('span', 'hint', ` · ${person.nickname}`));
  const details = [person.school, person.class_name, AGE[person.age_band]].filter(Boolean).join(' · ');
  who.append(el('div', 'hint', details));
  const button = el('button', 'button primary', person.checked_in_at ? T.alreadyIn : T.checkIn);
  button.type = 'button';
  button.addEventListener('click', () => manualCheckIn(person.id, button));
  item.append(who, button);
  return item;
}

async function manualCheckIn(attendeeId, button) {
  button.disabled = true;
  const reply = await api('POST', `/api/attendees/${attendeeId}/checkin`, {id: newId(), station})
    .catch(() => null);
  button.disabled = false;
  if (!reply) {
    present({level: 'red', result: 'offline', message_vi: T.unreachable, message_en: ''});
  } else if (reply.status !== 200) {
    present(errorAnswer(reply.body));
  } else {
    setText(button, T.alreadyIn);
    present(reply.body);
  }
}

// -------------------------------------------------------------- walk-in --

$('walkin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const payload = {station};
  for (const field of form.elements) {
    if (!field.name) continue;
    payload[field.name] = field.type === 'checkbox' ? field.checked : field.value;
  }
  const msg = $('walkin-msg');
  const reply = await api('POST', '/api/attendees', payload).catch(() => null);
  if (!reply || reply.status !== 201) {
    setText(msg, reply ? errorText(reply.body) : T.unreachable);
    msg.className = 'hint alert alert-error';
    return;
  }
  form.reset();
  msg.className = 'hint alert alert-ok';
  msg.replaceChildren(el('span', '', reply.body.label_url ? T.registered : T.noPrinting));
  if (reply.body.checkin) present(reply.body.checkin);
  if (reply.body.label_url) {
    const link = el('a', 'button', T.printLabel);
    link.href = reply.body.label_url;
    link.target = '_blank';
    msg.append(' ', link);
    window.open(reply.body.label_url, '_blank');
  }
});

// -------------------------------------------------------- class check-in --

let classes = [];

$('class-box').addEventListener('toggle', async () => {
  if (!$('class-box').open) return;
  const reply = await api('GET', '/api/classes').catch(() => null);
  if (!reply || reply.status !== 200) {
    setText($('class-msg'), reply ? errorText(reply.body) : T.unreachable);
    return;
  }
  classes = reply.body.classes;
  const select = $('class-select');
  select.replaceChildren(el('option', '', '—'));
  classes.forEach((c, i) => {
    const option = el('option', '', `${c.school} · ${c.class_name} (${c.checked_in}/${c.total})`);
    option.value = String(i);
    select.append(option);
  });
  $('class-members').replaceChildren();
  $('class-confirm').disabled = true;
});

$('class-select').addEventListener('change', async () => {
  const chosen = classes[Number($('class-select').value)];
  $('class-confirm').disabled = true;
  $('class-members').replaceChildren();
  setText($('class-msg'), '');
  if (!chosen || $('class-select').value === '') return;
  const query = new URLSearchParams({school: chosen.school, class_name: chosen.class_name});
  const reply = await api('GET', `/api/classes/members?${query}`).catch(() => null);
  if (!reply || reply.status !== 200) {
    setText($('class-msg'), reply ? errorText(reply.body) : T.unreachable);
    return;
  }
  const members = reply.body.members;
  $('class-members').replaceChildren(...members.map((m) => el('li', m.checked_in_at ? 'in' : 'out',
    `${m.full_name} · ${AGE[m.age_band] || ''} — ${m.checked_in_at ? T.in : T.notIn}`)));
  const missing = members.filter((m) => !m.checked_in_at).length;
  setText($('class-msg'), fmt(T.classConfirm, {n: missing, cls: `${chosen.school} · ${chosen.class_name}`}));
  $('class-confirm').disabled = missing === 0;
});

$('class-confirm').addEventListener('click', async () => {
  const chosen = classes[Number($('class-select').value)];
  if (!chosen) return;
  $('class-confirm').disabled = true;
  const reply = await api('POST', '/api/classes/checkin',
    {school: chosen.school, class_name: chosen.class_name, station}).catch(() => null);
  if (!reply || reply.status !== 200) {
    setText($('class-msg'), reply ? errorText(reply.body) : T.unreachable);
    return;
  }
  playSound('green');
  setText($('class-msg'), fmt(T.classResult, {done: reply.body.checked_in, already: reply.body.already}));
  $('class-select').dispatchEvent(new Event('change'));
});

// ------------------------------------------------------------- counters --

function renderCounters(data) {
  if (!data || typeof data.checked_in !== 'number') return;
  setText($('count-in'), data.checked_in);
  setText($('count-registered'), data.registered);
  $('count-stations').replaceChildren(...(data.stations || []).map(
    (s) => el('li', s.station === station ? 'mine' : '', `${s.station}: ${s.checked_in}`)));
}

const socket = io('/desk', {transports: ['websocket']});
socket.on('counters', renderCounters);
socket.on('connect', () => {
  root.dataset.socket = 'on';
  $('socket-state').className = 'pill pill-on';
  setText($('socket-state'), T.live);
});
socket.on('disconnect', () => {
  root.dataset.socket = 'off';
  $('socket-state').className = 'pill pill-off';
  setText($('socket-state'), T.offline);
});

api('GET', '/api/counters').then((reply) => reply.status === 200 && renderCounters(reply.body)).catch(() => {});
renderOutbox();
outbox.flush();
document.body.dataset.deskReady = '1';
