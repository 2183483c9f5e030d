// The organiser's dashboard: live numbers over /admin, SVG charts drawn here
// (no chart library, no internet), and the nickname moderation panel.

import {io} from './vendor.js';
import {api, errorText, lang, pageTexts} from './common.js';

const SVG = 'http://www.w3.org/2000/svg';
const texts = pageTexts('dash-texts');
const locale = lang() === 'en' ? 'en-GB' : 'vi-VN';
// Twelve zones, twelve colours far apart (hue and lightness); a 13th zone repeats
// a colour with a dashed line, so no two lines look alike.
const COLOURS = ['#5b3cc4', '#e8590c', '#15803d', '#0284c7', '#b8860b', '#db2777',
  '#475569', '#0d9488', '#9f1239', '#84cc16', '#1e3a8a', '#a855f7'];

function byId(id) { return document.getElementById(id); }

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

function hhmm(iso) {
  return new Date(iso).toLocaleTimeString(locale, {hour: '2-digit', minute: '2-digit'});
}

function fmt(text, params) {
  return String(text).replace(/%\((\w+)\)s/g, (_m, key) => (key in params ? params[key] : ''));
}

const BUCKET_MS = 15 * 60 * 1000;

/** A round step for the y axis so ticks read 0, 5, 10… rather than 0, 3.5, 7. */
function niceMax(value) {
  const v = Math.max(1, value);
  const base = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * base).find((m) => m >= v);
}

/**
 * An SVG with axes: y ticks at 0, half and max with grid lines, x labels
 * every `every` slot, and the axis titles (what is counted, and time).
 * Returns {svg, x(i), y(v), plot} for the caller to draw into.
 */
function frame(target, {width, height, slots, max, every, labels, yTitle, xTitle}) {
  const left = 58, right = 12, top = 10, bottom = 46;
  const svg = svgEl('svg', {viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'xMidYMid meet'});
  const plotH = height - top - bottom, plotW = width - left - right;
  const y = (v) => top + plotH - (plotH * v) / max;
  const x = (i) => left + (slots > 1 ? (i * plotW) / (slots - 1) : plotW / 2);
  for (const v of [0, max / 2, max]) {
    if (v !== Math.round(v)) continue;
    svg.appendChild(svgEl('line', {class: v ? 'grid' : 'axis', x1: left, y1: y(v), x2: width - right, y2: y(v)}));
    svg.appendChild(svgEl('text', {x: left - 6, y: y(v) + 4, 'text-anchor': 'end'}, String(v)));
  }
  svg.appendChild(svgEl('line', {class: 'axis', x1: left, y1: top, x2: left, y2: top + plotH}));
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    const anchor = x(i) + 24 > width ? 'end' : 'middle';  // the last label must not run off the edge
    svg.appendChild(svgEl('text', {x: x(i), y: top + plotH + 16, 'text-anchor': anchor}, label));
  });
  svg.appendChild(svgEl('text', {class: 'axis-title', x: left + plotW / 2, y: top + plotH + 34, 'text-anchor': 'middle'}, xTitle));
  svg.appendChild(svgEl('text', {class: 'axis-title', x: 14, y: top + plotH / 2, 'text-anchor': 'middle',
    transform: `rotate(-90 14 ${top + plotH / 2})`}, yTitle));
  target.replaceChildren(svg);
  return {svg, x, y, plotW, left, bottomY: top + plotH};
}

/** Check-ins per 15 minutes: bars over time. */
function checkinChart(target, buckets) {
  const labels = buckets.map((b) => hhmm(b.start));
  const max = niceMax(Math.max(0, ...buckets.map((b) => b.count)));
  const f = frame(target, {width: 900, height: 300, slots: buckets.length + 1, max, every: 8,
    labels, yTitle: texts.checkins, xTitle: texts.time});
  const slot = f.plotW / Math.max(1, buckets.length);
  buckets.forEach((b, i) => {
    const h = f.bottomY - f.y(b.count);
    const bar = svgEl('rect', {class: 'bar', x: f.left + i * slot + 1, y: f.y(b.count),
      width: Math.max(1, slot - 2), height: h});
    bar.appendChild(svgEl('title', {}, `${hhmm(b.start)}: ${b.count}`));
    f.svg.appendChild(bar);
  });
}

/** Zone traffic: one line per zone over the same 15-minute slots, named in the legend. */
function trafficChart(target, traffic, zones, buckets) {
  const origin = buckets.length ? Date.parse(buckets[0].start) : Date.now();
  const slots = Math.max(2, buckets.length);
  const byZone = new Map(zones.map((z) => [z.zone_id, {zone: z, values: new Array(slots).fill(0), total: 0}]));
  for (const row of traffic) {
    if (!byZone.has(row.zone_id)) byZone.set(row.zone_id, {zone: row, values: new Array(slots).fill(0), total: 0});
    const entry = byZone.get(row.zone_id);
    const i = Math.round((Date.parse(row.bucket_start) - origin) / BUCKET_MS);
    if (i >= 0 && i < slots) entry.values[i] += row.visits;
    entry.total += row.visits;
  }
  const series = [...byZone.values()];
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const f = frame(target, {width: 900, height: 300, slots, max, every: 8,
    labels: buckets.map((b) => hhmm(b.start)), yTitle: texts.visitsAxis, xTitle: texts.time});
  // The legend is HTML under the chart: long zone names wrap instead of running into each other.
  const legend = document.createElement('ul');
  legend.className = 'dash-legend';
  series.forEach((s, n) => {
    const colour = COLOURS[n % COLOURS.length];
    const dashed = n >= COLOURS.length;
    const d = s.values.map((v, i) => `${i ? 'L' : 'M'}${f.x(i).toFixed(1)},${f.y(v).toFixed(1)}`).join(' ');
    const path = svgEl('path', {class: 'line', d, stroke: colour, ...(dashed ? {'stroke-dasharray': '6 4'} : {})});
    path.appendChild(svgEl('title', {}, `${zoneName(s.zone)}: ${s.total} ${texts.visits}`));
    f.svg.appendChild(path);
    const item = document.createElement('li');
    item.className = 'legend';
    item.dataset.zoneId = s.zone.zone_id;
    const swatch = document.createElement('span');
    swatch.className = dashed ? 'swatch dashed' : 'swatch';
    swatch.style.borderColor = colour;
    swatch.setAttribute('aria-hidden', 'true');
    item.append(swatch, `${zoneName(s.zone)} · ${s.total}`);
    legend.append(item);
  });
  target.append(legend);
}

/** Occupancy now: one horizontal bar per zone, named, with "inside / capacity". */
function occupancyChart(target, zones) {
  const rowH = zones.length > 10 ? Math.max(16, Math.floor(300 / zones.length)) : 30;
  const width = 900, nameW = 260, top = 6, bottom = 40, right = 110;
  const height = top + rowH * Math.max(1, zones.length) + bottom;
  const max = niceMax(Math.max(0, ...zones.map((z) => Math.max(z.inside, z.capacity || 0))));
  const plotW = width - nameW - right;
  const svg = svgEl('svg', {viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'xMidYMid meet'});
  const x = (v) => nameW + (plotW * v) / max;
  const axisY = top + rowH * Math.max(1, zones.length);
  for (const v of [0, max / 2, max]) {
    if (v !== Math.round(v)) continue;
    svg.appendChild(svgEl('line', {class: v ? 'grid' : 'axis', x1: x(v), y1: top, x2: x(v), y2: axisY}));
    svg.appendChild(svgEl('text', {x: x(v), y: axisY + 15, 'text-anchor': 'middle'}, String(v)));
  }
  svg.appendChild(svgEl('line', {class: 'axis', x1: nameW, y1: axisY, x2: nameW + plotW, y2: axisY}));
  svg.appendChild(svgEl('text', {class: 'axis-title', x: nameW + plotW / 2, y: axisY + 33, 'text-anchor': 'middle'},
    texts.peopleAxis));
  zones.forEach((z, i) => {
    const cy = top + i * rowH + rowH / 2;
    const label = svgEl('text', {class: 'zone-label', x: nameW - 8, y: cy + 5, 'text-anchor': 'end',
      'data-zone-id': z.zone_id}, zoneName(z));
    const named = svgEl('g', {});
    named.append(svgEl('title', {}, zoneName(z)), label);
    svg.appendChild(named);
    const full = z.capacity && z.inside > z.capacity;
    const bar = svgEl('rect', {class: full ? 'bar bar-full' : 'bar', x: nameW, y: cy - rowH * 0.35,
      width: Math.max(z.inside ? 2 : 0, x(z.inside) - nameW), height: rowH * 0.7});
    bar.appendChild(svgEl('title', {}, `${zoneName(z)}: ${z.inside}`));
    svg.appendChild(bar);
    if (z.capacity) {
      svg.appendChild(svgEl('line', {class: 'axis', x1: x(z.capacity), y1: cy - rowH * 0.45,
        x2: x(z.capacity), y2: cy + rowH * 0.45}));
    }
    svg.appendChild(svgEl('text', {class: 'zone-count', x: x(Math.max(z.inside, z.capacity || 0)) + 8, y: cy + 5,
      'data-zone-id': z.zone_id}, z.capacity ? `${z.inside} / ${z.capacity}` : String(z.inside)));
  });
  target.replaceChildren(svg);
  // A long zone name is shortened with "…" to its column (the full name is its tooltip).
  for (const label of svg.querySelectorAll('text.zone-label')) shorten(label, nameW - 14);
}

function shorten(textEl, maxWidth) {
  const node = textEl.firstChild;
  if (!node || textEl.getComputedTextLength() <= maxWidth) return;
  const full = node.data;
  let keep = full.length;
  while (keep > 1 && textEl.getComputedTextLength() > maxWidth) {
    keep -= 1;
    node.data = `${full.slice(0, keep).trimEnd()}…`;
  }
}

function zoneName(item) {
  const name = lang() === 'en' ? (item.name_en || item.name_vi) : (item.name_vi || item.name_en);
  return name || item.name || '';
}

function renderZones(traffic, zones, buckets) {
  const items = Array.isArray(traffic) ? traffic : [];
  byId('zones-empty').hidden = items.length > 0;
  trafficChart(byId('chart-zones'), items, Array.isArray(zones) ? zones : [], buckets);
}

function renderOccupancy(items) {
  const zones = Array.isArray(items) ? items : [];
  occupancyChart(byId('chart-occupancy'), zones);
  byId('occupancy').replaceChildren(...zones.map((zone) => {
    const li = document.createElement('li');
    li.dataset.zoneId = zone.zone_id;
    li.textContent = `${zoneName(zone)}: ${zone.inside}${zone.capacity ? ' / ' + zone.capacity : ''} ${texts.people}`;
    return li;
  }));
  byId('n-inside').textContent = zones.reduce((sum, z) => sum + z.inside, 0).toLocaleString(locale);
}

function renderDevices(devices) {
  byId('devices').replaceChildren(...devices.map((d) => {
    const tr = document.createElement('tr');
    const state = d.online ? texts.online : texts.offline;
    const cells = [d.name, d.role, state, d.last_seen_at ? hhmm(d.last_seen_at) : texts.never, String(d.queue_length)];
    cells.forEach((value, i) => {
      const td = document.createElement('td');
      td.textContent = value;
      if (i === 2) td.className = d.online ? 'device-online' : 'device-offline';
      tr.appendChild(td);
    });
    tr.dataset.deviceId = d.id;
    return tr;
  }));
  const offline = devices.filter((d) => !d.online);
  byId('n-offline').textContent = `${offline.length} / ${devices.length}`;
  byId('card-offline').classList.toggle('has-offline', offline.length > 0);
  byId('offline-none').hidden = offline.length > 0;
  const SHOWN = 6;
  const items = offline.slice(0, SHOWN).map((d) => {
    const li = document.createElement('li');
    li.dataset.deviceId = d.id;
    li.textContent = `${d.name} · ${texts.lastSeen} ${d.last_seen_at ? hhmm(d.last_seen_at) : texts.never}`;
    return li;
  });
  if (offline.length > SHOWN) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = fmt(texts.more, {n: offline.length - SHOWN});
    items.push(li);
  }
  byId('offline-list').replaceChildren(...items);
}

function render(data) {
  for (const [key, value] of Object.entries(data.summary)) {
    const el = byId('n-' + key);
    if (el) el.textContent = Number(value).toLocaleString(locale);
  }
  checkinChart(byId('chart-checkins'), data.checkins);
  renderZones(data.zone_traffic, data.occupancy, data.checkins);
  renderOccupancy(data.occupancy);
  renderDevices(data.devices);
  const quiz = data.quiz || {};
  for (const [key, value] of Object.entries(quiz)) {
    const el = byId('q-' + key);
    if (el) el.textContent = String(value);
  }
  byId('n-quiz').textContent = String((quiz.self_paced_players || 0) + (quiz.live_players || 0));
  byId('dash-at').textContent = hhmm(data.at);
  renderReplication(data.replication);
  renderHealth(data.health);
  window.__festival.dashboard = data;
}

// A hub that cannot write (a full disk) says so at the top of the list.
function renderHealth(state) {
  const box = byId('health');
  box.hidden = !state || state.writable;
  byId('health-state').textContent = state && !state.writable ? state.reason || '' : '';
}

// The replica's lag changes without any scan: with a replica configured,
// the page asks for a fresh snapshot every 10 s as well.
let replicationTimer = null;

function renderReplication(state) {
  const box = byId('replication');
  if (!state || !state.configured) { box.hidden = true; return; }
  box.hidden = false;
  box.dataset.warning = state.warning ? '1' : '0';
  const lag = state.lag_s === null || state.lag_s === undefined ? '?' : Number(state.lag_s).toFixed(1);
  let text;
  if (!state.running || (state.error && state.lag_s === null)) text = fmt(texts.replDown, {error: state.error || ''});
  else text = fmt(state.warning ? texts.replWarn : texts.replOk, {s: lag});
  byId('replication-state').textContent = `${text} (${state.replica})`;
  if (!replicationTimer) {
    const url = byId('dashboard').dataset.jsonUrl;
    replicationTimer = setInterval(async () => {
      try {
        const reply = await fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}});
        if (reply.ok) render(await reply.json());
      } catch (e) { /* the socket's "reconnecting" already says the hub is unreachable */ }
    }, 10000);
  }
}

window.__festival = {dashboard: null, socket: null};

const socket = io('/admin', {transports: ['websocket']});
window.__festival.socket = socket;
socket.on('dashboard', render);
socket.on('connect', () => {
  const live = byId('dash-live');
  live.textContent = texts.live;
  live.classList.add('is-live');
});
socket.on('disconnect', () => {
  const live = byId('dash-live');
  live.textContent = texts.reconnecting;
  live.classList.remove('is-live');
});

// --- moderation ---------------------------------------------------------------

function showError(body) {
  const box = byId('mod-error');
  box.textContent = body ? errorText(body) : '';
  box.hidden = !body;
}

function modRow(person) {
  const tr = document.createElement('tr');
  const name = document.createElement('td');
  name.textContent = person.nickname;
  const points = document.createElement('td');
  points.textContent = String(person.points ?? 0);
  const state = document.createElement('td');
  state.textContent = person.nickname_hidden ? texts.hidden : person.consent_public ? texts.shown : texts.anonymous;
  const actions = document.createElement('td');
  actions.className = 'mod-actions';
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.textContent = person.nickname_hidden ? texts.show : texts.hide;
  toggle.addEventListener('click', () => moderate(person.id, {hidden: !person.nickname_hidden}));
  const input = document.createElement('input');
  input.maxLength = 24;
  input.value = person.nickname;
  // Every rename box says whose nickname it renames (screen readers read the label).
  input.setAttribute('aria-label', fmt(texts.renameLabel, {nickname: person.nickname}));
  const rename = document.createElement('button');
  rename.type = 'button';
  rename.textContent = texts.rename;
  rename.addEventListener('click', () => moderate(person.id, {nickname: input.value}));
  actions.append(toggle, input, rename);
  tr.append(name, points, state, actions);
  return tr;
}

async function search() {
  const q = byId('mod-q').value;
  const reply = await api('GET', '/api/moderation/nicknames?q=' + encodeURIComponent(q));
  if (reply.status !== 200) { showError(reply.body); return; }
  showError(null);
  byId('mod-rows').replaceChildren(...reply.body.results.map(modRow));
}

async function moderate(attendeeId, change) {
  const reply = await api('POST', `/api/attendees/${attendeeId}/nickname`, change);
  if (reply.status !== 200) { showError(reply.body); return; }
  await search();
}

byId('mod-search').addEventListener('submit', (event) => { event.preventDefault(); search(); });
search();
