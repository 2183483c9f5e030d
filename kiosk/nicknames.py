"""Public nicknames: friendly generated defaults and a filter for custom ones.

Public screens show only nicknames, so a custom one must not smuggle in
abuse: the filter compares folded text (no diacritics, đ→d), undoes common
letter substitutions (4→a, 3→e, 0→o, 1→i, $→s, @→a …) and ignores
separators, so "đ.ị.t", "DJT" or "d1t" are caught like the plain word.
"""
from __future__ import annotations

import re
import secrets

from .errors import ServiceError
from .text import clean, fold

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

# Folded, substitution-undone forms of words that must never appear on a
# public screen (Vietnamese and English profanity, slurs, scam bait).
# Short Vietnamese words that are also ordinary words (lớn, cú, ngũ, Điền) are
# blocked only in insulting phrases, or the filter would refuse "Gấu Lớn".
BLOCKED = {
    "dit", "djt", "deo", "dm", "dmm", "dcm", "vcl", "vl", "vkl", "cac", "cak",
    "dit me", "du ma", "duma", "cho chet", "oc cho", "occho", "thang ngu", "con ngu",
    "con di", "cave", "fuck", "fck",
    "shit", "bitch", "dick", "cock", "pussy", "cunt", "nigger", "nigga", "slut", "whore",
    "sex", "porn", "rape", "nazi", "hitler", "kill", "admin", "staff", "moderator",
}
# Blocked when they appear anywhere, even inside another word.
BLOCKED_INSIDE = {"fuck", "shit", "bitch", "cunt", "porn", "nigg", "dmm", "vcl", "dcm", "djt"}

_SUBSTITUTIONS = str.maketrans({"4": "a", "@": "a", "3": "e", "€": "e", "1": "i", "!": "i",
                                "|": "i", "0": "o", "5": "s", "$": "s", "7": "t", "+": "t",
                                "8": "b", "9": "g", "2": "z"})
_SEPARATORS = re.compile(r"[\s._\-*~'`\"^,;:/\\]+")
MAX_LENGTH = 24


def generate(lang: str = "vi") -> str:
    """A friendly default nickname, e.g. "Cáo Dũng Cảm 42" / "Brave Fox 42"."""
    animal = secrets.choice(ANIMALS)
    quality = secrets.choice(QUALITIES)
    number = secrets.randbelow(90) + 10
    if lang == "en":
        return f"{quality[1]} {animal[1]} {number}"
    return f"{animal[0]} {quality[0]} {number}"


def _variants(text: str) -> tuple[list[str], str]:
    folded = fold(text).translate(_SUBSTITUTIONS)
    words = [w for w in _SEPARATORS.split(folded) if w]
    squashed = "".join(words)
    return words, squashed


def is_acceptable(nickname: str) -> bool:
    """False when the nickname contains a blocked word in any disguise."""
    words, squashed = _variants(nickname)
    joined = " ".join(words)
    for bad in BLOCKED:
        if " " in bad:
            if bad in joined or bad.replace(" ", "") == squashed:
                return False
        elif bad in words or squashed == bad:
            return False
    # Letters spaced out ("f u c k") or glued into other words.
    return not any(bad in squashed for bad in BLOCKED_INSIDE)


def validate(nickname: str) -> str:
    """Return the cleaned nickname or raise ServiceError ``bad_nickname``."""
    nickname = clean(nickname)
    if not nickname:
        raise ServiceError("bad_nickname", "Please choose a nickname.")
    if len(nickname) > MAX_LENGTH:
        raise ServiceError("bad_nickname", "A nickname can have at most %(n)s characters.", n=MAX_LENGTH)
    if not any(ch.isalnum() for ch in nickname):
        raise ServiceError("bad_nickname", "A nickname needs letters or digits.")
    if not is_acceptable(nickname):
        raise ServiceError("bad_nickname", "Please choose a friendlier nickname.")
    return nickname
