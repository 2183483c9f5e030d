// Self-paced quiz: kiosk (badge scan starts a round) and phone (a button does).
// The hub owns the questions and the answers; this page only shows them.
import { api, lang, newId, pageTexts, setText } from './common.js';
import { listenForWedge, startCamera } from './scanner.js';

const root = document.getElementById('quiz');
const $ = (id) => document.getElementById(id);
const T = pageTexts('quiz-texts'); // translated strings rendered by the template
const LANG = lang();
const OTHER = LANG === 'en' ? 'vi' : 'en';
const SHAPES = ['triangle', 'diamond', 'circle', 'square'];
const SCREENS = ['quiz-idle', 'quiz-question', 'quiz-feedback', 'quiz-summary'];

let round = null; // the round state from the hub
let current = 0; // index of the question on screen
let busy = false; // a request is in flight: ignore further taps and scans
let idleTimer = null;
let camera = null;

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ''));
}

function show(id) {
  for (const screen of SCREENS) $(screen).hidden = screen !== id;
  root.dataset.screen = id;
}

/** Show a hub message (both languages, page language first) in a message box. */
function showMessage(boxId, error) {
  const box = $(boxId);
  const vi = (error && (error.message_vi || error.vi)) || '';
  const en = (error && (error.message_en || error.en)) || '';
  setText(box.querySelector('.primary'), LANG === 'en' ? en : vi);
  setText(box.querySelector('.secondary'), LANG === 'en' ? vi : en);
  box.hidden = false;
}

function offlineError() {
  return { message_vi: T.offline, message_en: T.offline };
}

async function post(url, body) {
  busy = true;
  try {
    return await api('POST', url, body);
  } catch (err) {
    return { status: 0, body: { ok: false, error: offlineError() } };
  } finally {
    busy = false;
  }
}

// --- idle and privacy --------------------------------------------------------

/** Back to the start screen; nothing of the previous player stays visible. */
function goIdle() {
  round = null;
  clearTimeout(idleTimer);
  for (const id of ['quiz-prompt', 'quiz-prompt-other', 'quiz-explanation', 'quiz-help',
    'quiz-explanation-other', 'quiz-help-other', 'quiz-summary-score', 'quiz-summary-points',
    'quiz-summary-total', 'quiz-right-answer', 'quiz-verdict', 'quiz-points']) setText($(id), '');
  $('quiz-options').replaceChildren();
  $('quiz-idle-message').hidden = true;
  show('quiz-idle');
}

/** Kiosk only: return to idle after a while without a touch. */
function armIdle() {
  if (root.dataset.mode !== 'kiosk') return;
  clearTimeout(idleTimer);
  const screen = root.dataset.screen;
  if (screen === 'quiz-idle') return;
  const ms = Number(screen === 'quiz-summary' ? root.dataset.idleAfterSummaryMs : root.dataset.idleInRoundMs);
  idleTimer = setTimeout(goIdle, ms);
}

// --- starting a round ----------------------------------------------------------

async function startRound(body) {
  if (busy) return;
  $('quiz-idle-message').hidden = true;
  const { body: data } = await post(root.dataset.startUrl, body);
  if (!data || !data.ok) {
    showMessage('quiz-idle-message', data && data.error);
    return;
  }
  round = data.round;
  if (round.finished || round.next_index === null) {
    await finishRound();
    return;
  }
  showQuestion(round.next_index);
  setText($('quiz-round-note'), round.resumed ? T.resumed
    : round.scored ? fill(T.scoredNote, { points: round.points_per_correct }) : T.noPoints);
}

function onScan(text, info) {
  if (busy || root.dataset.screen !== 'quiz-idle') return;
  if (info && info.mangled) {
    showMessage('quiz-idle-message', {
      message_vi: 'Hãy tắt bộ gõ tiếng Việt (UniKey) rồi quét lại.',
      message_en: 'Switch the Vietnamese input method (UniKey) off, then scan again.',
    });
    return;
  }
  const body = { text };
  if (root.dataset.zoneId) body.zone_id = Number(root.dataset.zoneId);
  startRound(body);
}

async function toggleCamera() {
  const button = $('quiz-camera-button');
  button.dataset.start = button.dataset.start || button.textContent;
  if (camera) {
    camera.stop();
    camera = null;
    $('quiz-video').hidden = true;
    setText(button, button.dataset.start);
    return;
  }
  try {
    $('quiz-video').hidden = false;
    setText(button, button.dataset.stop);
    camera = await startCamera($('quiz-video'), (text) => onScan(text, {}), {
      onError: (err) => showMessage('quiz-idle-message', err),
    });
  } catch (err) {
    $('quiz-video').hidden = true;
    setText(button, button.dataset.start);
    showMessage('quiz-idle-message', err);
  }
}

// --- a question --------------------------------------------------------------

function optionButton(option, index, many) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `quiz-option opt-${index} shape-${SHAPES[index]}`;
  button.dataset.index = String(index);
  button.setAttribute('aria-pressed', 'false');
  const main = document.createElement('span');
  main.className = 'quiz-option-text';
  setText(main, option[LANG]);
  const other = document.createElement('span');
  other.className = 'quiz-option-other';
  setText(other, option[OTHER]);
  button.append(main, other);
  button.addEventListener('click', () => {
    if (many) {
      const pressed = button.getAttribute('aria-pressed') !== 'true';
      button.setAttribute('aria-pressed', String(pressed));
      $('quiz-check').disabled = !$('quiz-options').querySelector('[aria-pressed="true"]');
    } else {
      sendAnswer([index]);
    }
  });
  return button;
}

function showQuestion(index) {
  current = index;
  const q = round.questions[index];
  const many = q.select === 'many';
  setText($('quiz-progress'), fill(T.questionOf, { n: index + 1, total: round.size }));
  setText($('quiz-round-note'), '');
  setText($('quiz-prompt'), q.prompt[LANG]);
  setText($('quiz-prompt-other'), q.prompt[OTHER]);
  setText($('quiz-pick-many'), T.pickMany);
  $('quiz-pick-many').hidden = !many;
  $('quiz-check').hidden = !many;
  $('quiz-check').disabled = true;
  $('quiz-question-message').hidden = true;
  $('quiz-options').replaceChildren(...q.options.map((o, i) => optionButton(o, i, many)));
  $('quiz-options').dataset.count = String(q.options.length);
  show('quiz-question');
  armIdle();
}

async function sendAnswer(choice) {
  if (busy || !round) return;
  const q = round.questions[current];
  // One client id per question on screen: a retry after a lost reply is
  // answered from the hub's record instead of counting twice.
  q.clientId = q.clientId || newId();
  const { body: data } = await post(`${root.dataset.baseUrl}/${round.id}/answers`,
    { index: current, choice, client_id: q.clientId });
  if (!data || !data.ok) {
    showMessage('quiz-question-message', data && data.error);
    return;
  }
  showFeedback(q, data.feedback);
}

function showFeedback(q, fb) {
  $('quiz-feedback').dataset.correct = String(fb.correct);
  // A partly right multi-answer question says how far: "2 of 3 right" (partial credit).
  const partly = !fb.correct && fb.right && fb.right[0] > 0;
  $('quiz-feedback').dataset.partly = String(Boolean(partly));
  setText($('quiz-verdict'), fb.correct ? T.correct : partly ? fill(T.partly, { right: fb.right[0], of: fb.right[1] }) : T.wrong);
  setText($('quiz-points'), fb.points ? fill(T.points, { points: fb.points }) : (fb.scored ? '' : T.noPoints));
  const right = fb.correct_options.map((i) => q.options[i][LANG]).join(' · ');
  setText($('quiz-right-answer'), `${T.rightAnswer} ${right}`);
  setText($('quiz-explanation'), fb.explanation[LANG]);
  setText($('quiz-help-label'), T.help);
  setText($('quiz-help'), fb.help[LANG]);
  setText($('quiz-explanation-other'), fb.explanation[OTHER]);
  setText($('quiz-help-other'), fb.help[OTHER]);
  round.next_index = fb.next_index;
  round.finished = fb.finished;
  setText($('quiz-next'), fb.next_index === null ? T.seeResult : T.next);
  show('quiz-feedback');
  armIdle();
}

async function next() {
  if (busy || !round) return;
  if (round.next_index === null) await finishRound();
  else showQuestion(round.next_index);
}

// --- the end ------------------------------------------------------------------

async function finishRound() {
  const { body: data } = await post(`${root.dataset.baseUrl}/${round.id}/finish`, {});
  if (!data || !data.ok) {
    showMessage('quiz-question-message', data && data.error);
    return;
  }
  const s = data.summary;
  setText($('quiz-summary-score'), fill(T.summary, { correct: s.correct, total: s.size }));
  setText($('quiz-summary-points'), s.scored ? fill(T.roundPoints, { points: s.points }) : '');
  setText($('quiz-summary-total'), fill(T.festivalTotal, { total: s.total_points }));
  setText($('quiz-summary-note'), s.scored ? '' : T.replayNote);
  show('quiz-summary');
  armIdle();
}

// --- wiring -------------------------------------------------------------------

$('quiz-check').addEventListener('click', () => {
  const picked = [...$('quiz-options').querySelectorAll('[aria-pressed="true"]')]
    .map((b) => Number(b.dataset.index));
  if (picked.length) sendAnswer(picked);
});
$('quiz-next').addEventListener('click', next);
$('quiz-done').addEventListener('click', () => {
  if (root.dataset.mode === 'kiosk') goIdle();
  else startRound({});
});
// Any touch keeps the current player's screen; no touch sends it back to idle.
for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, armIdle, true);

if (root.dataset.mode === 'kiosk') {
  listenForWedge(onScan);
  $('quiz-camera-button').addEventListener('click', toggleCamera);
} else {
  $('quiz-start-button').addEventListener('click', () => startRound({}));
}
goIdle();
root.dataset.ready = 'true';
