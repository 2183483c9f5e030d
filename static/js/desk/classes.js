// Check in a whole school class after confirming its members.

import {api, errorText, setText} from '../common.js';

import {$, AGE, el, fmt, station, T} from './shared.js';
import {playSound} from './sound.js';


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
