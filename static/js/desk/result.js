// The result panel (green / yellow / red with its sound), the guardian
// acknowledgement, rewards ready to collect, and undo, reprint and reissue of
// the last person.

import {api, errorText, lang, setText} from '../common.js';

import {$, AGE, el, fmt, labelUrl, T, UNDO_MS} from './shared.js';
import {playSound} from './sound.js';


let ackPending = false;
const waitingResults = [];
let last = null; // {attendee, checkedInAt (ms), result}

/** Show an answer, unless the volunteer still has to acknowledge a guardian warning. */
export function present(answer) {
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

// undo, reprint, reissue

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
