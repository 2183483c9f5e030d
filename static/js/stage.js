// The stage screen: rotates between boards, animates pushes, never goes blank.
//
// Subscribes to every board of its rotation on /public, so switching boards is
// instant and shows current data. While disconnected it keeps the last boards
// and shows a small "reconnecting" mark; socket.io reconnects by itself and
// the (re)subscribe answer brings the screen up to date without a reload.
// Memory stays flat: one payload per board id, rows reused by key, fixed timers.

import {io} from './vendor.js';
import { lang } from './common.js';
import { BoardView } from './board.js';

const root = document.getElementById('stage');
const rotation = JSON.parse(root.dataset.rotation || '[]');
const boardIds = [...new Set(rotation.map((slot) => slot.board))];
const view = new BoardView(document.getElementById('board-rows'), {lang: lang()});
const titleVi = document.getElementById('board-title-vi');
const titleEn = document.getElementById('board-title-en');
const empty = document.getElementById('board-empty');
const offline = document.getElementById('stage-offline');
const clock = document.getElementById('stage-clock');

const latest = new Map(); // board id -> last payload (bounded by the rotation)
let slotIndex = 0;
let rotateTimer = null;
let retryTimer = null;

const state = {pushes: 0, renders: 0, lastBoard: null, connected: false};

function currentBoardId() {
  return rotation.length ? rotation[slotIndex % rotation.length].board : 'overall';
}

function show(animate) {
  const payload = latest.get(currentBoardId());
  if (!payload) return;
  titleVi.textContent = payload.title_vi || '';
  titleEn.textContent = payload.title_en && payload.title_en !== payload.title_vi ? payload.title_en : '';
  view.render(payload, {animate});
  empty.hidden = payload.rows.length > 0;
  state.renders += 1;
  state.lastBoard = payload;
}

function rotate() {
  clearTimeout(rotateTimer);
  if (rotation.length > 1) {
    slotIndex = (slotIndex + 1) % rotation.length;
    show(false);
  }
  const seconds = rotation.length ? rotation[slotIndex].seconds : 20;
  rotateTimer = setTimeout(rotate, Math.max(5, seconds) * 1000);
}

function setOnline(online) {
  state.connected = online;
  offline.hidden = online;
  root.classList.toggle('is-offline', !online);
}

function tick() {
  const now = new Date();
  clock.textContent = now.toLocaleTimeString(lang() === 'en' ? 'en-GB' : 'vi-VN',
    {hour: '2-digit', minute: '2-digit'});
}

const socket = io('/public', {transports: ['websocket']});

socket.on('connect', () => {
  clearTimeout(retryTimer);
  socket.emit('subscribe', {boards: boardIds}, (answer) => {
    if (!answer || !answer.ok) return;
    for (const payload of answer.boards) latest.set(payload.board, payload);
    setOnline(true);
    show(true);
  });
});

socket.on('board', (payload) => {
  if (!payload || !boardIds.includes(payload.board)) return;
  state.pushes += 1;
  latest.set(payload.board, payload);
  if (payload.board === currentBoardId()) show(true);
});

socket.on('disconnect', () => setOnline(false));

socket.on('connect_error', () => {
  setOnline(false);
  // A refused handshake (hub restarting with the database busy, a revoked
  // link) is not retried by socket.io itself: try again calmly.
  if (!socket.active) {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => socket.connect(), 10000);
  }
});

setOnline(false);
tick();
setInterval(tick, 1000);
rotateTimer = setTimeout(rotate, Math.max(5, rotation.length ? rotation[0].seconds : 20) * 1000);

// Test hooks (read-only views of the screen's state).
window.__festival = {
  get transport() { return socket.io.engine ? socket.io.engine.transport.name : null; },
  get connected() { return state.connected; },
  get lastBoard() { return state.lastBoard; },
  get currentBoard() { return currentBoardId(); },
  get pushes() { return state.pushes; },
  get renders() { return state.renders; },
  get rowElements() { return document.querySelectorAll('#board-rows > li').length; },
  showBoard(boardId) {
    const index = rotation.findIndex((slot) => slot.board === boardId);
    if (index >= 0) { slotIndex = index; show(false); }
  },
};
