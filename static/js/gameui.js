// Pieces shared by the live game's pages (host console, big screen, phone).
import {setText} from './common.js';

/** Shapes beside the colours, so answers are told apart without colour vision. */
export const SHAPES = ['▲', '◆', '●', '■'];

/** The shape and both languages' text of answer option ``k``, as elements. */
export function optionParts(opt, k) {
  const shape = document.createElement('span');
  shape.className = 'shape';
  shape.textContent = SHAPES[k];
  const vi = document.createElement('span');
  vi.className = 'opt-vi';
  vi.lang = 'vi';
  vi.textContent = opt.vi;
  const en = document.createElement('span');
  en.className = 'opt-en';
  en.lang = 'en';
  en.textContent = opt.en;
  return [shape, vi, en];
}

/**
 * Show the whole seconds left until the current question's deadline in ``el``,
 * four times a second. The server owns the clock: ``getOffset()`` is the
 * server's clock minus this device's. Returns the interval to clear.
 */
export function startCountdown(el, previous, getQuestion, getOffset) {
  clearInterval(previous);
  const tick = () => {
    const question = getQuestion();
    if (!question || question.rem !== undefined) return;
    setText(el, Math.max(0, Math.ceil((question.dl - (Date.now() + getOffset())) / 1000)));
  };
  tick();
  return setInterval(tick, 250);
}
