"""The words of the desk's name search: how a name, school or class is split
into the index's words (``attendee_words``, ``attendee_pairs``; migration m10's
triggers do the same in SQL), and the spellings one typo away from a word.
Pure functions; the queries are in :mod:`checkin.search`."""
from __future__ import annotations

import re

from kiosk.migrations.m10_attendees_search import CLASS, FAMILY, GIVEN, MIDDLE, SCHOOL, SEPARATORS
from kiosk.text import fold

BREAKS = re.compile("[\\s" + re.escape(SEPARATORS) + "]+")
# Above every word: ``word <= x < word + TOP`` is "x starts with word".
TOP = chr(0x10FFFF)
LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


def words_of(text: str | None) -> list[str]:
    """The words of a text as the index splits them (separators are breaks)."""
    return [w for w in BREAKS.split(text or "") if w]


def index_rows(attendee_id: int, full_name: str, school: str | None, class_name: str | None) -> list[tuple]:
    """The ``attendee_words`` rows of one attendee, as the insert trigger of
    migration m10 builds them; a bulk import writes these before the
    attendee rows so the trigger has nothing left to do.
    """
    rows = []
    folded, exact = words_of(fold(full_name)), words_of(full_name)
    last = len(folded) - 1
    for k, word in enumerate(folded):
        role = FAMILY if k == 0 else GIVEN if k == last else MIDDLE
        rows.append((word, attendee_id, k, role, exact[k] if k < len(exact) else word))
    for base, role, folded_words, exact_words in (
            (100, SCHOOL, words_of(fold(school)), words_of(school)),
            (200, CLASS, words_of(ascii_lower(class_name)), words_of(class_name))):
        for k, word in enumerate(folded_words):
            rows.append((word, attendee_id, base + k, role, exact_words[k] if k < len(exact_words) else word))
    return rows


def pair_rows(attendee_id: int, full_name: str) -> list[tuple]:
    """The ``attendee_pairs`` rows of one attendee: every ordered pair of folded name words."""
    folded = words_of(fold(full_name))
    pairs = {f"{a} {b}" for i, a in enumerate(folded) for b in folded[i + 1:]}
    return [(pair, attendee_id) for pair in pairs]


def ascii_lower(text: str | None) -> str:
    """SQLite's lower(): ASCII letters only (the trigger uses it for class names)."""
    return (text or "").translate(ASCII_LOWER)


ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def edits(word: str) -> set[str]:
    """Every word one edit from ``word``: a letter missing, extra, swapped with
    the next, or wrong. A two-letter word only gets a missing letter or a swap
    (an extra or wrong letter would leave one letter, or any of hundreds)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + c + b for a, b in splits for c in LETTERS}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    if len(word) > 2:
        found |= {a + b[1:] for a, b in splits if b}
        found |= {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    found.discard(word)
    return found
