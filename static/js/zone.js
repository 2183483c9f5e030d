// The zone kiosk: continuous scanning (USB wedge always, camera on request),
// big bilingual feedback, back to "ready" after a few seconds. Every scan goes
// through the persistent outbox with its own client id, so a kiosk that
// loses the hub keeps accepting badges and syncs them later, exactly once.

import {both, newId, pageTexts, setText} from './common.js';
import {HubLink, Outbox} from './outbox.js';
import {listenForWedge, startCamera} from './scanner.js';

const root = document.getElementById('zone-kiosk');
const TEXTS = pageTexts('zone-texts');
// Each kiosk text in both languages: T.ready → {vi, en}.
const T = new Proxy({}, {get: (_t, key) => both(TEXTS, String(key))});
const zoneId = Number(root.dataset.zoneId);
const adminZone = root.dataset.admin === '1';
const station = root.dataset.station || '';
const RESET_MS = Number(root.dataset.resetMs || 3000);
const $ = (id) => document.getElementById(id);

/** Fill %(name)s placeholders. */
function fmt(text, params) {
  return String(text).replace(/%\((\w+)\)s/g, (_, key) => (key in params ? params[key] : ''));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ------------------------------------------------------------- results --

let resetTimer = null;

function showReady() {
  root.dataset.level = 'ready';
  $('result').dataset.level = 'ready';
  setText($('big'), T.ready.vi);
  setText($('big-en'), T.ready.en);
  for (const id of ['who', 'msg-vi', 'msg-en', 'progress', 'notice']) setText($(id), '');
  $('progress-bar').hidden = true;
  $('rewards').hidden = true;
}

function bigLine(answer) {
  if (answer.level === 'queued') return T.saved;
  if (answer.level === 'green' && answer.points_awarded) {
    return {vi: fmt(T.points.vi, {n: answer.points_awarded}), en: fmt(T.points.en, {n: answer.points_awarded})};
  }
  // The headline follows the result, not only the colour: a badge not checked
  // in yet is yellow too, and must not read "Already visited".
  if (answer.result === 'already_visited') return T.already;
  if (answer.result === 'not_checked_in') return T.desk_first;
  return {green: T.welcome, yellow: T.attention, red: T.refused}[answer.level] || T.refused;
}

function showProgress(passport) {
  if (!passport || !passport.total) return;
  const params = {visited: passport.visited, total: passport.total};
  setText($('progress'), `${fmt(T.progress.vi, params)} · ${fmt(T.progress.en, params)}`);
  const bar = $('progress-bar');
  bar.hidden = false;
  bar.max = passport.total;
  bar.value = passport.visited;
}

function showRewards(rewards) {
  const list = $('rewards-list');
  list.replaceChildren();
  for (const reward of rewards || []) {
    const item = el('li', 'reward');
    item.append(el('b', '', reward.reward_vi), el('span', 'en', ` · ${reward.reward_en}`));
    list.append(item);
  }
  $('rewards').hidden = !(rewards && rewards.length);
}

/** Show one answer (or a queued/refused state) and go back to ready after RESET_MS. */
function present(answer) {
  const level = answer.level || 'red';
  root.dataset.level = level;
  $('result').dataset.level = level;
  $('result').dataset.result = answer.result || '';
  const big = bigLine(answer);
  setText($('big'), big.vi);
  setText($('big-en'), big.en);
  setText($('who'), answer.display_name || (answer.attendee ? T.hello.vi + ' · ' + T.hello.en : ''));
  setText($('msg-vi'), answer.message_vi || '');
  setText($('msg-en'), answer.message_en || '');
  setText($('progress'), '');
  $('progress-bar').hidden = true;
  showProgress(answer.passport);
  showRewards(answer.rewards_unlocked);
  const notes = [];
  if (answer.auto_checked_in && answer.level !== 'red') notes.push(`${T.auto.vi} · ${T.auto.en}`);
  if (answer.zone_full) notes.push(`${T.full.vi} · ${T.full.en}`);
  setText($('notice'), notes.join(' — '));
  clearTimeout(resetTimer);
  resetTimer = setTimeout(showReady, answer.rewards_unlocked && answer.rewards_unlocked.length ? RESET_MS * 2 : RESET_MS);
}

function refusal(reply) {
  const err = (reply.body && reply.body.error) || {};
  return {level: 'red', result: err.code || 'refused',
          message_vi: err.message_vi || T.refused.vi, message_en: err.message_en || T.refused.en};
}

// -------------------------------------------------------------- outbox --

// The hub's standby addresses and this device's credential for them (docs/operations.md).
const failoverNode = document.getElementById('failover');
const link = new HubLink(`zone-${zoneId}`, failoverNode ? JSON.parse(failoverNode.dataset.config) : {});
const outbox = new Outbox(`zone-${zoneId}`, (item) => link.request('POST', '/api/scans', item), {
  link,
  onChange: renderStatus,
  // A queued scan answered after the fact: the person is gone, but a red
  // answer (unknown badge...) must still reach staff.
  onResult: (item, reply) => {
    if (reply.body && reply.body.level === 'red') outbox.recordRejected(item, reply);
  },
});

function renderStatus() {
  const waiting = outbox.pending().length;
  const state = $('sync-state');
  let text;
  if (outbox.state === 'blocked') text = T.blocked;
  else if (outbox.state === 'waiting') text = T.offline;
  else text = waiting ? T.syncing : T.synced;
  setText(state, `${text.vi} · ${text.en}`);
  state.dataset.state = outbox.state;
  setText($('waiting'), waiting ? `${fmt(T.waiting.vi, {n: waiting})} · ${fmt(T.waiting.en, {n: waiting})}` : '');
  root.dataset.outbox = String(waiting);
  $('storage-warning').hidden = outbox.storageOk;
  const refused = outbox.rejected();
  setText($('rejected-count'), refused.length);
  $('staff-toggle').classList.toggle('has-rejected', refused.length > 0);
  const list = $('rejected-list');
  list.replaceChildren();
  for (const entry of refused) {
    const body = entry.body || {};
    const err = body.error || body;
    const when = new Date(entry.item.client_time || entry.at).toLocaleTimeString();
    list.append(el('li', '', `${when} · ${entry.item.text} — ${err.message_vi || ''} / ${err.message_en || entry.status}`));
  }
}

/** Send one scanned text through the outbox and show the answer. */
async function scan(text) {
  const item = {id: newId(), text: String(text).slice(0, 512), station, client_time: new Date().toISOString()};
  if (adminZone) item.zone_id = zoneId;
  const reply = await outbox.submit(item);
  if (reply.queued) present({level: 'queued', result: 'queued', message_vi: T.saved_long.vi, message_en: T.saved_long.en});
  else if (reply.status >= 400 || !reply.body) present(refusal(reply));
  else present(reply.body);
  return reply;
}

$('staff-toggle').addEventListener('click', () => { $('staff-panel').hidden = !$('staff-panel').hidden; });
$('rejected-clear').addEventListener('click', () => outbox.clearRejected());
$('sync-now').addEventListener('click', () => { outbox.failures = 0; outbox.flush(); });

listenForWedge((text, info) => {
  if (info.mangled) {
    present({level: 'red', result: 'ime', message_vi: T.ime.vi, message_en: T.ime.en});
    return;
  }
  scan(text);
});

// -------------------------------------------------------------- camera --

let camera = null;
const CAMERA_PREF = `festival-zone-camera:${zoneId}`;

async function toggleCamera(on) {
  const button = $('camera-toggle');
  if (camera) { camera.stop(); camera = null; }
  $('camera-box').hidden = !on;
  setText(button, on ? `${T.stop_camera.vi} · ${T.stop_camera.en}` : `${T.start_camera.vi} · ${T.start_camera.en}`);
  setText($('camera-error'), '');
  localStorage.setItem(CAMERA_PREF, on ? 'on' : 'off');
  if (!on) return;
  try {
    camera = await startCamera($('camera'), (text) => scan(text));
  } catch (err) {
    $('camera-box').hidden = true;
    setText($('camera-error'), `${err.vi || ''} ${err.en || err.message}`);
    setText(button, `${T.start_camera.vi} · ${T.start_camera.en}`);
  }
}

$('camera-toggle').addEventListener('click', () => toggleCamera(!camera));

// ------------------------------------------------------------- offline --

const OFFLINE_ASSETS = [
  location.pathname + location.search,
  '/static/js/zone.js', '/static/js/common.js', '/static/js/outbox.js', '/static/js/hmac.js', '/static/js/scanner.js',
  '/static/css/app.css', '/static/css/zone.css',
];

/** Install the service worker and refresh its cache so a reload works offline. */
async function enableOfflineReload() {
  if (!('serviceWorker' in navigator) || !window.caches) return; // not a secure context
  try {
    await navigator.serviceWorker.register('/zone-sw.js', {scope: '/zone'});
    const cache = await caches.open('festival-zone-v1');
    await Promise.all(OFFLINE_ASSETS.map((url) => cache.add(url).catch(() => null)));
    root.dataset.offlineReady = '1';
  } catch (e) {
    // The outbox still keeps scans without it; only an offline reload fails.
  }
}

// ----------------------------------------------------------------- start --

window.__festival = {scan, outbox, link};
showReady();
renderStatus();
outbox.flush();
if (navigator.onLine) enableOfflineReload();
else root.dataset.offlineReady = '1';
if (localStorage.getItem(CAMERA_PREF) === 'on') toggleCamera(true);
