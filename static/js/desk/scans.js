// Scans: every one goes through the persistent outbox; USB wedge scanners
// anywhere on the page and the camera feed it.

import {errorText, lang, newId, setText} from '../common.js';
import {HubLink, Outbox} from '../outbox.js';
import {listenForWedge, startCamera} from '../scanner.js';

import {present} from './result.js';
import {$, el, fmt, root, station, T} from './shared.js';


const lateRefused = [];

// The hub's standby addresses and this desk's credential and key for them: the
// desk follows a standby that proves it belongs to the festival, as zone
// kiosks do (docs/operations.md). A desk signed in as staff (no device
// credential) stays with the hub.
const failoverNode = document.getElementById('failover');
const link = new HubLink('desk', failoverNode ? JSON.parse(failoverNode.dataset.config) : {});

export const outbox = new Outbox('desk', (item) => link.request('POST', '/api/scans', item), {
  link,
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

export function renderOutbox() {
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
export function errorAnswer(body) {
  const err = (body && body.error) || {};
  return {level: 'red', result: err.code || 'error', message_vi: err.message_vi || errorText(body),
          message_en: err.message_en || ''};
}

export async function submitScan(text) {
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

// camera

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
