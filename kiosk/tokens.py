"""Badge tokens: 85 random bits in Crockford base32 plus a mod-37 check symbol.

18 characters, case-insensitive, small enough for a small QR code. The
check symbol catches every single-character substitution (37 is prime and
larger than any digit difference), so a mangled keyboard-wedge read is
rejected before any lookup. Tokens carry nothing about the person.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
CHECK_SYMBOLS = ALPHABET + "*~$=U"
DATA_LENGTH = 17  # 17 × 5 = 85 random bits
TOKEN_LENGTH = DATA_LENGTH + 1
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
_URL_TAIL = re.compile(r"/b/([^/?#\s]+)/?(?:[?#].*)?$")


def check_symbol(data: str) -> str:
    value = 0
    for ch in data:
        value = (value * 32 + _VALUES[ch]) % 37
    return CHECK_SYMBOLS[value]


def new_token() -> str:
    # One draw of 85 bits, cut into 17 five-bit digits (17 secrets.choice calls
    # were a third of a 20,000-row import's time).
    bits = secrets.randbits(DATA_LENGTH * 5)
    data = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(DATA_LENGTH))
    return data + check_symbol(data)


def extract(text: str) -> str:
    """From scanned text (bare token or a URL ending in /b/<token>) to the candidate token.

    Spaces and hyphens are ignored (badges print the token in groups) and case
    is folded. Does not validate; see :func:`is_valid`.
    """
    text = (text or "").strip()
    match = _URL_TAIL.search(text)
    if match:
        text = match.group(1)
    return text.replace("-", "").replace(" ", "").upper()


def is_valid(token: str) -> bool:
    """True when ``token`` has the right length, alphabet and check symbol."""
    if len(token) != TOKEN_LENGTH:
        return False
    data, check = token[:-1], token[-1]
    if any(ch not in _VALUES for ch in data):
        return False
    return check_symbol(data) == check


def pretty(token: str) -> str:
    """Groups of four for people reading a printed badge: ABCD-EFGH-…"""
    return "-".join(token[i:i + 4] for i in range(0, len(token), 4))
