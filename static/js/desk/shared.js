// What every part of the desk page shares: the page's elements, its texts
// (pageTexts('desk-texts')), the station name and small DOM helpers.

import {pageTexts} from '../common.js';

export const $ = (id) => document.getElementById(id);
export const root = $('desk');
export const T = pageTexts('desk-texts');
export const station = root.dataset.station;
export const UNDO_MS = Number(root.dataset.undoSeconds || 300) * 1000;
export const AGE = {'u7': T.ageU7, '7-15': T.ageChild, '16-17': T.ageTeen, '18+': T.ageAdult};

/** Fill "%(name)s" placeholders of a translated template. */
export function fmt(text, params) {
  return String(text).replace(/%\((\w+)\)s/g, (m, key) => (key in params ? params[key] : m));
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function labelUrl(attendeeId) {
  const pattern = root.dataset.labelPattern;
  return pattern ? pattern.replace(root.dataset.labelId, String(attendeeId)) : null;
}
