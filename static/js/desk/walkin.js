// Walk-in registration with consents, and its label.

import {api, errorText, setText} from '../common.js';

import {present} from './result.js';
import {$, el, station, T} from './shared.js';


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
