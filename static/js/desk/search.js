// Name search (ranked, paged) and check-in of the person found.

import {api, errorText, newId, setText} from '../common.js';

import {present} from './result.js';
import {errorAnswer} from './scans.js';
import {$, AGE, el, station, T} from './shared.js';


let searchTimer = null;
let searchSeq = 0;

$('search').addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(runSearch, 250);
});

async function runSearch(offset = 0) {
  const query = $('search').value.trim();
  const seq = ++searchSeq;
  const list = $('search-results');
  if (query.length < 2) {
    list.replaceChildren();
    setText($('search-msg'), '');
    return;
  }
  setText($('search-msg'), T.searching);
  const url = `/api/attendees/search?q=${encodeURIComponent(query)}&offset=${offset}`;
  const reply = await api('GET', url).catch(() => null);
  if (seq !== searchSeq) return; // a newer search is on its way
  if (!reply || reply.status !== 200) {
    setText($('search-msg'), reply ? errorText(reply.body) : T.unreachable);
    return;
  }
  const {results, more, next_offset: next} = reply.body;
  setText($('search-msg'), results.length || offset ? '' : T.noResults);
  const items = results.map(searchResult);
  if (offset) list.querySelector('.search-more')?.remove();
  if (more) items.push(moreButton(next));
  if (offset) list.append(...items); else list.replaceChildren(...items);
}

// The next page of a long result list (100,000 attendees share few names).
// Numbers only, so the label needs no translation: "21–40 ↓".
function moreButton(next) {
  const item = el('li', 'search-more');
  const button = el('button', 'button', `${next + 1}–${next + 20} ↓`);
  button.type = 'button';
  button.addEventListener('click', () => runSearch(next));
  item.append(button);
  return item;
}

function searchResult(person) {
  const item = el('li', 'search-result');
  item.dataset.attendee = person.id;
  const who = el('div', 'who');
  who.append(el('b', '', person.full_name), el('span', 'hint', ` · ${person.nickname}`));
  // Namesakes: the attendee number tells apart two people with the same name, school and class.
  const number = person.namesakes ? `#${person.id}` : '';
  const details = [person.school, person.class_name, AGE[person.age_band], number].filter(Boolean).join(' · ');
  who.append(el('div', 'hint', details));
  // Points and the last zone answer a parent's "where is my child?"; the day page has the rest.
  const zone = person.last_zone && (document.documentElement.lang === 'en' ? person.last_zone.en : person.last_zone.vi);
  const progress = el('div', 'hint search-progress',
    [`${T.points}: ${person.points ?? 0}`, zone ? `${T.lastZone}: ${zone}` : ''].filter(Boolean).join(' · '));
  if (person.day_url) {
    const link = el('a', 'day-link', T.dayPage);
    link.href = person.day_url;
    progress.append(' · ', link);
  }
  who.append(progress);
  const button = el('button', 'button primary', person.checked_in_at ? T.alreadyIn : T.checkIn);
  button.type = 'button';
  button.addEventListener('click', () => manualCheckIn(person.id, button));
  item.append(who, button);
  return item;
}

async function manualCheckIn(attendeeId, button) {
  button.disabled = true;
  const reply = await api('POST', `/api/attendees/${attendeeId}/checkin`, {id: newId(), station})
    .catch(() => null);
  button.disabled = false;
  if (!reply) {
    present({level: 'red', result: 'offline', message_vi: T.unreachable, message_en: ''});
  } else if (reply.status !== 200) {
    present(errorAnswer(reply.body));
  } else {
    setText(button, T.alreadyIn);
    present(reply.body);
  }
}
