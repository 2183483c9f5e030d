// The check-in desk: wedge and camera scans, name search, walk-ins, class
// check-in, undo/reprint/reissue, rewards and live counters, one module per
// part of the page (static/js/desk/). Every scan goes through the persistent
// outbox, so a desk that loses the hub keeps scanning ("saved — will sync")
// and replays in order later.

import {api} from './common.js';
import './desk/classes.js';
import {renderCounters} from './desk/counters.js';
import {outbox, renderOutbox} from './desk/scans.js';
import './desk/search.js';
import './desk/walkin.js';

api('GET', '/api/counters').then((reply) => reply.status === 200 && renderCounters(reply.body)).catch(() => {});
renderOutbox();
outbox.flush();
document.body.dataset.deskReady = '1';
