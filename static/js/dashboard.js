// The organiser's dashboard: live numbers over /admin, SVG charts drawn here
// (no chart library, no internet), and the nickname moderation panel.

import { io } from '/static/vendor/socket.io-client/dist/socket.io.esm.min.js';
import { api, errorText, lang } from './common.js';

const SVG = 'http://www.w3.org/2000/svg';
const texts = document.getElementById('dash-texts').dataset;
const locale = lang() === 'en' ? 'en-GB' : 'vi-VN';
const COLOURS = ['#5b3cc4', '#ff7a59', '#15803d', '#0ea5e9', '#a16207', '#db2777', '#475569'];

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

/** Bars for [{label, value}] with every fourth label on the x axis. */
function barChart(target, items) {
  const width = 720, height = 200, pad = 28;
  const svg = svgEl('svg', {viewBox: `0 0 ${width} ${height}`});
  const max = Math.max(1, ...items.map((i) => i.value));
  const slot = (width - pad * 2) / Math.max(1, items.length);
  svg.appendChild(svgEl('line', {class: 'axis', x1: pad, y1: height - pad, x2: width - pad, y2: height - pad}));
  svg.appendChild(svgEl('text', {x: 2, y: 12}, String(max)));
  items.forEach((item, i) => {
    const h = ((height - pad * 2) * item.value) / max;
    const bar = svgEl('rect', {class: 'bar', x: pad + i * slot + 1, y: height - pad - h,
      width: Math.max(1, slot - 2), height: h});
    bar.appendChild(svgEl('title', {}, `${item.label}: ${item.value}`));
    svg.appendChild(bar);
    if (i % 4 === 0) svg.appendChild(svgEl('text', {x: pad + i * slot, y: height - 8}, item.label));
  });
  target.replaceChildren(svg);
}

/** One line per series: [{name, points: [{label, value}]}]. */
function lineChart(target, series) {
  const width = 720, height = 220, pad = 28;
  const svg = svgEl('svg', {viewBox: `0 0 ${width} ${height + 20 * Math.ceil(series.length / 3)}`});
  const length = Math.max(2, ...series.map((s) => s.points.length));
  const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.value)));
  const x = (i) => pad + (i * (width - pad * 2)) / (length - 1);
  const y = (v) => height - pad - ((height - pad * 2) * v) / max;
  svg.appendChild(svgEl('line', {class: 'axis', x1: pad, y1: height - pad, x2: width - pad, y2: height - pad}));
  svg.appendChild(svgEl('text', {x: 2, y: 12}, String(max)));
  series.forEach((s, n) => {
    const colour = COLOURS[n % COLOURS.length];
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
    svg.appendChild(svgEl('path', {class: 'line', d, stroke: colour}));
    const lx = pad + (n % 3) * 230, ly = height + 4 + 20 * Math.floor(n / 3);
    svg.appendChild(svgEl('rect', {x: lx, y: ly, width: 12, height: 12, fill: colour}));
    svg.appendChild(svgEl('text', {x: lx + 16, y: ly + 11}, s.name));
  });
  if (series[0]) {
    series[0].points.forEach((p, i) => {
      if (i % 8 === 0) svg.appendChild(svgEl('text', {x: x(i), y: height - 8}, p.label));
    });
  }
  target.replaceChildren(svg);
}

function zoneName(item) {
  const name = lang() === 'en' ? (item.name_en || item.name_vi) : (item.name_vi || item.name_en);
  return name || item.name || `#${item.zone_id}`;
}

function renderZones(traffic) {
  const items = Array.isArray(traffic) ? traffic : [];
  byId('zones-empty').hidden = items.length > 0;
  if (!items.length) { byId('chart-zones').replaceChildren(); return; }
  if (Array.isArray(items[0].buckets)) {
    lineChart(byId('chart-zones'), items.map((zone) => ({
      name: zoneName(zone),
      points: zone.buckets.map((b) => ({label: b.start ? hhmm(b.start) : '', value: b.count || b.visits || 0})),
    })));
  } else {
    barChart(byId('chart-zones'), items.map((zone) => ({label: zoneName(zone), value: zone.count || zone.visits || 0})));
  }
}

function renderOccupancy(items) {
  const list = byId('occupancy');
  list.replaceChildren(...(Array.isArray(items) ? items : []).map((zone) => {
    const li = document.createElement('li');
    const now = zone.occupancy ?? zone.current ?? zone.count ?? 0;
    li.textContent = `${zoneName(zone)}: ${now}${zone.capacity ? ' / ' + zone.capacity : ''} ${texts.people}`;
    return li;
  }));
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
}

function render(data) {
  for (const [key, value] of Object.entries(data.summary)) {
    const el = byId('n-' + key);
    if (el) el.textContent = Number(value).toLocaleString(locale);
  }
  barChart(byId('chart-checkins'), data.checkins.map((b) => ({label: hhmm(b.start), value: b.count})));
  renderZones(data.zone_traffic);
  renderOccupancy(data.occupancy);
  renderDevices(data.devices);
  for (const [key, value] of Object.entries(data.quiz || {})) {
    const el = byId('q-' + key);
    if (el) el.textContent = String(value);
  }
  byId('dash-at').textContent = hhmm(data.at);
  window.__festival.dashboard = data;
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
