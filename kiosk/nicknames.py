"""Public nicknames: friendly generated defaults and a filter for custom ones.

Public screens show only nicknames, so a custom one must not smuggle in
abuse or pass for staff. The filter reads a word list organisers can extend
(kiosk/data/blocked_words.txt plus NICKNAME_BLOCKLIST), removes every
default-ignorable (invisible) code point, reads look-alike letters from other
scripts as Latin (TR39-style skeleton; NFKC for full-width and mathematical
letters), compares folded text (no diacritics, đ→d) or, for words whose
unaccented letters are ordinary Vietnamese, the exact diacritics; it undoes
common substitutions (4→a, 3→e, 0→o, 1→i, $→s, @→a …), repeated letters and
separators, so "đ.ị.t", "DJT", "d1t" or "Аdmіn" are caught like the plain word.
"""
from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app, has_app_context

from .errors import ServiceError
from .text import clean

log = logging.getLogger(__name__)

# Friendly word lists: (Vietnamese, English) pairs of animals and qualities.
ANIMALS = [
    ("Mèo", "Cat"), ("Cáo", "Fox"), ("Gấu", "Bear"), ("Rùa", "Turtle"), ("Cú", "Owl"),
    ("Sóc", "Squirrel"), ("Voi", "Elephant"), ("Hổ", "Tiger"), ("Cá Heo", "Dolphin"),
    ("Chim Sẻ", "Sparrow"), ("Thỏ", "Rabbit"), ("Rồng", "Dragon"), ("Ong", "Bee"),
    ("Sư Tử", "Lion"), ("Hươu", "Deer"), ("Cánh Cụt", "Penguin"), ("Gấu Trúc", "Panda"),
    ("Đại Bàng", "Eagle"), ("Bướm", "Butterfly"), ("Kỳ Lân", "Unicorn"),
]
QUALITIES = [
    ("Dũng Cảm", "Brave"), ("Thông Minh", "Clever"), ("Vui Vẻ", "Cheerful"),
    ("Tinh Nhanh", "Quick"), ("Tốt Bụng", "Kind"), ("Sáng Tạo", "Creative"),
    ("Kiên Trì", "Patient"), ("Cẩn Thận", "Careful"), ("Tự Tin", "Confident"),
    ("Hiền Lành", "Gentle"), ("Năng Động", "Lively"), ("Chăm Chỉ", "Hardworking"),
    ("Tỉnh Táo", "Alert"), ("Lạc Quan", "Hopeful"), ("Bình Tĩnh", "Calm"),
]

MAX_LENGTH = 24


def generate(lang: str = "vi") -> str:
    """A friendly default nickname, e.g. "Cáo Dũng Cảm 42" / "Brave Fox 42"."""
    animal = secrets.choice(ANIMALS)
    quality = secrets.choice(QUALITIES)
    number = secrets.randbelow(90) + 10
    if lang == "en":
        return f"{quality[1]} {animal[1]} {number}"
    return f"{animal[0]} {quality[0]} {number}"


# Random tries before a generated name gets an extra number suffix.
UNIQUE_TRIES = 20


def nickname_taken(db, nickname: str) -> bool:
    """True when an attendee (not purged) already has exactly this nickname."""
    return db.execute("SELECT 1 FROM attendees WHERE nickname = ? AND purged_at IS NULL LIMIT 1",
                      [nickname]).fetchone() is not None


def unique_default(db, lang: str = "vi", taken: set[str] | None = None) -> str:
    """A generated nickname no attendee has yet, e.g. "Cáo Dũng Cảm 42".

    There are 20 × 15 × 90 = 27,000 plain names, so a festival of a few
    hundred people already draws the same one twice (birthday odds): a name
    seen on a public board must point at one person. ``taken`` (a set the
    caller keeps for a batch, e.g. a class-list import) replaces the database
    check and gets the new name added. After ``UNIQUE_TRIES`` taken draws the
    name gets one more number ("Cáo Dũng Cảm 42 2", " 3", …).
    """
    def is_taken(name: str) -> bool:
        return name in taken if taken is not None else nickname_taken(db, name)

    name = generate(lang)
    for _ in range(UNIQUE_TRIES):
        if not is_taken(name):
            break
        name = generate(lang)
    else:
        base, n = name, 2
        while is_taken(f"{base} {n}"):
            n += 1
        name = f"{base} {n}"
    if taken is not None:
        taken.add(name)
    return name


# ------------------------------------------------------------ the filter
#
# Organisers read and extend the word list (kiosk/data/blocked_words.txt, its
# format is described at its top); NICKNAME_BLOCKLIST names an extra file.
BLOCKLIST = Path(__file__).parent / "data" / "blocked_words.txt"

# Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt, stable
# since Unicode 6): code points a renderer shows as nothing, so "Ad\u2060min"
# looks like "Admin". Python has no property lookup for it; these are its ranges.
DEFAULT_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_IGNORABLE = {cp: None for low, high in DEFAULT_IGNORABLE_RANGES for cp in range(low, high + 1)}

# Letters of other scripts that look like Latin ones (after Unicode TR39's
# confusables). NFKC already turns full-width and mathematical letters into
# plain ones; these are the Cyrillic, Greek and IPA look-alikes it leaves.
# Case matters: Greek "Η" looks like H but "η" like n.
_CONFUSABLES = str.maketrans({
    # Cyrillic capitals and small letters
    "А": "A", "В": "B", "С": "C", "Е": "E", "Ё": "E", "Н": "H", "І": "I", "Ї": "I", "Ј": "J", "К": "K",
    "М": "M", "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ү": "Y", "Ԁ": "D", "Ԛ": "Q",
    "Ԝ": "W", "Ӏ": "I", "Ь": "b", "З": "3",
    "а": "a", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "ӏ": "l",
    "о": "o", "р": "p", "ԛ": "q", "ѕ": "s", "у": "y", "ү": "y", "х": "x", "ԝ": "w", "ь": "b", "к": "k",
    "п": "n", "г": "r",
    # Greek capitals and small letters
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C",
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "υ": "u", "ι": "i", "κ": "k", "χ": "x", "ε": "e", "η": "n",
    "τ": "t", "ω": "w", "γ": "y", "ϲ": "c", "ϳ": "j", "μ": "u",
    # Latin and IPA look-alikes
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɡ": "g", "ɩ": "i", "ʋ": "u", "ð": "d", "Ð": "D", "ɗ": "d", "ø": "o",
    "Ø": "O", "ł": "l", "Ł": "L",
    # Latin letters with a hook, stroke, bar or tail: read as the plain letter
    "ƀ": "b", "Ƀ": "B", "ɓ": "b", "Ɓ": "B", "ƃ": "b", "ƈ": "c", "Ƈ": "C", "ȼ": "c", "Ȼ": "C", "ɖ": "d",
    "Ɖ": "D", "Ɗ": "D", "ȡ": "d", "ɇ": "e", "Ɇ": "E", "ƒ": "f", "Ƒ": "F", "ɠ": "g", "Ɠ": "G", "ǥ": "g",
    "Ǥ": "G", "ħ": "h", "Ħ": "H", "ɦ": "h", "ɨ": "i", "Ɨ": "I", "ɉ": "j", "Ɉ": "J", "ʝ": "j", "ƙ": "k",
    "Ƙ": "K", "ƚ": "l", "Ƚ": "L", "ɫ": "l", "ɬ": "l", "ɭ": "l", "ȴ": "l", "ɱ": "m", "Ɱ": "M", "ɲ": "n",
    "Ɲ": "N", "ƞ": "n", "Ƞ": "N", "ɳ": "n", "ȵ": "n", "ɵ": "o", "Ɵ": "O", "ƥ": "p", "Ƥ": "P", "ᵽ": "p",
    "ʠ": "q", "ɋ": "q", "Ɋ": "Q", "ɍ": "r", "Ɍ": "R", "ɽ": "r", "ɼ": "r", "ʂ": "s", "ȿ": "s", "ŧ": "t",
    "Ŧ": "T", "ƫ": "t", "ƭ": "t", "Ƭ": "T", "ʈ": "t", "Ʈ": "T", "ȶ": "t", "ʉ": "u", "Ʉ": "U", "Ʋ": "V",
    "ʋ": "u", "ƴ": "y", "Ƴ": "Y", "ɏ": "y", "Ɏ": "Y", "ƶ": "z", "Ƶ": "Z", "ȥ": "z", "Ȥ": "Z", "ʐ": "z",
    "ʑ": "z", "ɀ": "z",
})
_SUBSTITUTIONS = str.maketrans({"4": "a", "@": "a", "3": "e", "€": "e", "1": "i", "!": "i",
                                "|": "i", "0": "o", "5": "s", "$": "s", "7": "t", "+": "t",
                                "8": "b", "9": "g", "2": "z"})
_SEPARATORS = re.compile(r"[\W_]+")
_SUBSTITUTED = frozenset("4@3€1!|05$7+892")
# Words split on separators other than the substitution symbols ("l@n" stays one word).
_RAW_WORDS = re.compile(r"[^\w@$€!|+]+|_+")
_REPEATS = re.compile(r"(.)\1+")
_REPEATS_3 = re.compile(r"(.)\1\1+")


def skeleton(text: str) -> str:
    """Lower-case text with invisible characters removed and look-alike
    letters read as Latin, diacritics kept ("Аdmіn" in Cyrillic → "admin")."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_IGNORABLE)
    text = unicodedata.normalize("NFD", text).translate(_CONFUSABLES)
    return unicodedata.normalize("NFC", text).casefold()


def _fold_skeleton(exact: str) -> str:
    """The skeleton without diacritics (đ→d) and with substitutions undone."""
    text = "".join(ch for ch in unicodedata.normalize("NFD", exact) if not unicodedata.combining(ch))
    return text.replace("đ", "d").translate(_SUBSTITUTIONS)


def _token_variants(text: str) -> list[list[str]]:
    """The words of ``text`` as typed, with repeated letters collapsed, with
    runs of single letters joined ("f u c k"), and all glued into one."""
    words = [w for w in _SEPARATORS.split(text) if w]
    collapsed = [_REPEATS.sub(r"\1", w) for w in words]  # "fuuuck" → "fuck"
    doubled = [_REPEATS_3.sub(r"\1\1", w) for w in words]  # "ccccc" → "cc", "Stafffff" → "staff"
    variants = [words, collapsed, doubled]
    for base in (words, collapsed):
        merged: list[str] = []
        run = ""
        for word in base:
            if len(word) == 1:
                run += word
                continue
            if run:
                merged.append(run)
                run = ""
            merged.append(word)
        if run:
            merged.append(run)
        variants.append(merged)
        variants.append(["".join(base)])
    return variants


class Blocklist:
    """Parsed word list: whole-word phrases (folded or exact) and inside-words."""

    def __init__(self):
        self.folded: set[tuple[str, ...]] = set()
        self.exact: set[tuple[str, ...]] = set()
        self.inside: set[str] = set()
        # Exact entries without their marks: a digit standing for a vowel
        # ("l0n", "bu0i") drops the marks with it.
        self.exact_bare: set[str] = set()

    def add(self, line: str) -> None:
        line = line.split("#", 1)[0].strip()
        if not line:
            return
        if line.startswith("*"):
            self.inside.add("".join(_SEPARATORS.split(_fold_skeleton(skeleton(line[1:])))))
            return
        exact = line.startswith("=")
        text = skeleton(line[1:] if exact else line)
        words = tuple(w for w in _SEPARATORS.split(text if exact else _fold_skeleton(text)) if w)
        if not words:
            return
        target = self.exact if exact else self.folded
        target.add(words)
        if exact:
            self.exact_bare.add("".join(_SEPARATORS.split(_fold_skeleton(text))))
        if len(words) > 1:
            target.add(("".join(words),))  # glued: "ditme", "occho"
        collapsed = tuple(_REPEATS.sub(r"\1", w) for w in words)
        if not exact and collapsed != words and len("".join(words)) >= 4:
            # "Officiallll" collapses to "oficial"; short ones ("cc", "xxx") would become one letter.
            target.add(collapsed)

    def matches(self, nickname: str) -> bool:
        exact = skeleton(nickname)
        folded = _fold_skeleton(exact)
        # Exact entries also see digits undone ("c4c"), which leaves diacritics alone.
        for rules, text in ((self.exact, exact), (self.exact, exact.translate(_SUBSTITUTIONS)),
                            (self.folded, folded)):
            for words in _token_variants(text):
                if _contains(words, rules):
                    return True
        if self._substituted_exact(exact):
            return True
        glued = "".join(w for w in _SEPARATORS.split(folded) if w)
        squashed = (glued, _REPEATS.sub(r"\1", glued))
        return any(bad in text for bad in self.inside for text in squashed)


    def _substituted_exact(self, exact: str) -> bool:
        """A word (or the glued nickname) in which a digit or symbol stands for
        a letter, read without marks, is an exact entry without its marks."""
        words = [w for w in _RAW_WORDS.split(exact) if w]
        if not _SUBSTITUTED & set(exact):
            return False
        candidates = [w for w in words if _SUBSTITUTED & set(w) and any(ch.isalpha() for ch in w)]
        if len(words) > 1:
            candidates.append("".join(words))
        for word in candidates:
            bare = "".join(_SEPARATORS.split(_fold_skeleton(word)))
            if bare in self.exact_bare or _REPEATS.sub(r"\1", bare) in self.exact_bare:
                return True
        return False


def _contains(words: list[str], rules: set[tuple[str, ...]]) -> bool:
    for size in (1, 2, 3, 4):
        for i in range(len(words) - size + 1):
            if tuple(words[i:i + size]) in rules:
                return True
    return False


_loaded: dict = {}


def blocklist() -> Blocklist:
    """The shipped list plus the organiser's NICKNAME_BLOCKLIST file, re-read when either changes."""
    paths = [BLOCKLIST]
    extra = current_app.config.get("NICKNAME_BLOCKLIST") if has_app_context() else None
    if extra:
        paths.append(Path(extra))
    key = tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in paths)
    cached = _loaded.get("list")
    if cached is not None and cached[0] == key:
        return cached[1]
    rules = Blocklist()
    for path, mtime in key:
        if mtime is None:
            log.warning("nickname blocklist %s is missing", path)
            continue
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            rules.add(line)
    _loaded["list"] = (key, rules)
    return rules


def is_acceptable(nickname: str) -> bool:
    """False when the nickname contains a blocked word in any disguise."""
    return not blocklist().matches(nickname)


def validate(nickname: str) -> str:
    """Return the cleaned nickname or raise ServiceError ``bad_nickname``."""
    # Invisible characters would let two names that look the same both exist.
    nickname = clean(clean(nickname).translate(_IGNORABLE))
    if not nickname:
        raise ServiceError("bad_nickname", "Please choose a nickname.")
    if len(nickname) > MAX_LENGTH:
        raise ServiceError("bad_nickname", "A nickname can have at most %(n)s characters.", n=MAX_LENGTH)
    if not any(ch.isalnum() for ch in nickname):
        raise ServiceError("bad_nickname", "A nickname needs letters or digits.")
    if not is_acceptable(nickname):
        raise ServiceError("bad_nickname", "Please choose a friendlier nickname.")
    return nickname
