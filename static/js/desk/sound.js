// The result sounds.
// Generated with Web Audio, so no audio files: green rises in two tones,
// yellow is one mid tone, red is a low buzz. Distinct even without looking.

import {root} from './shared.js';

let audio = null;
const SOUNDS = {
  green: [{f: 660, t: 0, d: 0.12, type: 'sine'}, {f: 990, t: 0.13, d: 0.16, type: 'sine'}],
  yellow: [{f: 520, t: 0, d: 0.3, type: 'triangle'}],
  red: [{f: 130, t: 0, d: 0.55, type: 'sawtooth'}],
};

export function playSound(level) {
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
