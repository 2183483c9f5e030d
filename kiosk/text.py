"""Vietnamese text: NFC storage, folded search keys, sorting, given names."""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Control characters (C0/C1, bidi overrides, zero-width) never belong in a name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Zero-width characters, bidi overrides and the BOM: invisible, never a word break.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Vietnamese needs at most two marks on one letter ("ệ" is e + dot below +
# circumflex); a pile of marks ("Zalgo" text) only covers the line above.
MAX_MARKS = 2
def _cap_marks(text: str) -> str:
    """NFD text without combining marks beyond MAX_MARKS on one base letter,
    and without bare marks (at the start, or after a space)."""
    out, marks, base = [], 0, False
    for ch in text:
        if unicodedata.category(ch).startswith("M"):
            if not base or marks >= MAX_MARKS:
                continue
            marks += 1
        else:
            marks, base = 0, not ch.isspace()
        out.append(ch)
    return "".join(out)


def clean(text: str | None) -> str:
    """NFC-normalise, turn control characters into spaces, collapse whitespace,
    and keep at most two combining marks on a letter (no bare marks).

    A control character inside a name ("Nguyễn\x00Văn") stands where a word
    break was (a cell exported from another system), so it becomes a space
    rather than gluing two words together. Zero-width and bidi marks carry no
    letters and no break, so they are dropped.
    """
    if text is None:
        return ""
    text = unicodedata.normalize("NFC", _cap_marks(unicodedata.normalize("NFD", str(text))))
    text = _SPACES.sub(" ", text)  # tabs and newlines are spaces
    text = _CONTROL.sub(" ", text)
    text = _INVISIBLE.sub("", text)
    return _SPACES.sub(" ", text).strip()


def fold(text: str | None) -> str:
    """Search key: NFD, combining marks removed, đ→d, lower case, spaces collapsed.

    "Nguyễn Văn An", "NGUYEN VAN AN" and an NFD-encoded "Nguyễn" all fold to
    "nguyen van an". Đ has no decomposition, so it needs its own mapping.
    """
    text = unicodedata.normalize("NFD", clean(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d").replace("Đ", "D")
    return text.casefold()


# Vietnamese alphabetical order: letters first (a ă â b c d đ e ê ... o ô ơ ... u ư),
# then tones (none, huyền, hỏi, ngã, sắc, nặng). Codepoint order gets both wrong.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# combining tone marks: grave, hook above, tilde, acute, dot below
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# vowel-shape marks that make a different letter: breve, circumflex, horn
_SHAPES = {"\u0306": "\u0306", "\u0302": "\u0302", "\u031b": "\u031b"}


def _split_letter(ch: str) -> tuple[str, int]:
    """Return (base letter including its shape, tone rank) for one character."""
    decomposed = unicodedata.normalize("NFD", ch.lower())
    base, tone = decomposed[0], 0
    shape = ""
    for mark in decomposed[1:]:
        if mark in _TONES:
            tone = _TONES[mark]
        elif mark in _SHAPES:
            shape += mark
    return unicodedata.normalize("NFC", base + shape), tone


def sort_key(text: str | None) -> str:
    """A string key that sorts Vietnamese text in dictionary order.

    Letters are compared before tones (CLDR "vi" agrees), so the key is the
    letter ranks of the whole text followed by the tone ranks.
    """
    letters, tones = [], []
    for ch in clean(text):
        base, tone = _split_letter(ch)
        rank = _LETTER_RANK.get(base)
        if rank is None:
            # digits, spaces, other scripts: keep them, after letters' range
            letters.append(chr(0x100 + ord(base)) if not base.isspace() else " ")
        else:
            letters.append(chr(0x41 + rank))
        tones.append(str(tone))
    return "".join(letters) + "\x00" + "".join(tones)


def name_sort_key(full_name: str) -> str:
    """Sort people by given name (the last word), then the rest of the name."""
    parts = clean(full_name).split(" ")
    return sort_key(parts[-1]) + "\x01" + sort_key(" ".join(parts[:-1]))


def given_name(full_name: str | None) -> str:
    """Vietnamese people are addressed by their given name: the last word."""
    parts = clean(full_name).split(" ")
    return parts[-1] if parts else ""


_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def decode_ooxml_escapes(text: str) -> str:
    """A spreadsheet string with its ``_xHHHH_`` escapes decoded.

    Office writes characters XML cannot carry (and some it could) as
    ``_x000D_`` or ``_x1EC5_``; ``_x005F_`` is an escaped underscore, so
    ``_x005F_x0041_`` stays the literal text ``_x0041_``. Control characters
    that come out are left for :func:`clean` to turn into spaces.
    """
    if "_x" not in text:
        return text
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
