// Live counters over the /desk namespace (and once over HTTP at start).

import {api, setText} from '../common.js';
import {io} from '../vendor.js';

import {$, el, root, station, T} from './shared.js';


export function renderCounters(data) {
  if (!data || typeof data.checked_in !== 'number') return;
  setText($('count-in'), data.checked_in);
  setText($('count-registered'), data.registered);
  $('count-stations').replaceChildren(...(data.stations || []).map(
    (s) => el('li', s.station === station ? 'mine' : '', `${s.station}: ${s.checked_in}`)));
}

const socket = io('/desk', {transports: ['websocket']});
socket.on('counters', renderCounters);
socket.on('connect', () => {
  root.dataset.socket = 'on';
  $('socket-state').className = 'pill pill-on';
  setText($('socket-state'), T.live);
});
socket.on('disconnect', () => {
  root.dataset.socket = 'off';
  $('socket-state').className = 'pill pill-off';
  setText($('socket-state'), T.offline);
});
