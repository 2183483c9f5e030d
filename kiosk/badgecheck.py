"""Badge lookup for features that may not import ``checkin`` (games).

``checkin.tokens`` owns the token format (Crockford base32, 17 data symbols
and a mod-37 check symbol); this module repeats only the read side of it so
a quiz kiosk rejects a mangled read before any lookup, exactly as the desk
does. tests/test_selfpaced.py checks the two agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_DATA = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CHECK = _DATA + "*~$=U"
_VALUES = {ch: i for i, ch in enumerate(_DATA)}
_LENGTH = 18
_URL_TAIL = re.compile(r"/b/([^/?#\s]+)/?(?:[?#].*)?$")

# status -> (result code, English message); the same words the desk shows.
PROBLEMS = {
    "invalid": ("invalid_badge", "This is not a festival badge, or it was misread. Please scan again."),
    "unknown": ("unknown_badge", "Unknown badge. Please send this person to the help desk."),
    "replaced": ("replaced_badge", "This badge was replaced by a new one. Please use the new badge."),
}


@dataclass(frozen=True)
class BadgeCheck:
    status: str  # "ok", "invalid", "unknown" or "replaced"
    attendee_id: int | None = None


def token_from(text: str) -> str:
    """The candidate token in scanned text (bare token or a URL ending in /b/<token>)."""
    text = (text or "").strip()
    match = _URL_TAIL.search(text)
    if match:
        text = match.group(1)
    return text.replace("-", "").replace(" ", "").upper()


def well_formed(token: str) -> bool:
    """True when ``token`` has the right length, alphabet and check symbol."""
    if len(token) != _LENGTH or any(ch not in _VALUES for ch in token[:-1]):
        return False
    value = 0
    for ch in token[:-1]:
        value = (value * 32 + _VALUES[ch]) % 37
    return _CHECK[value] == token[-1]


def check_badge(db, text: str) -> BadgeCheck:
    """Resolve scanned text to an attendee id without revealing anything else.

    A malformed token is "invalid" and never looked up; a revoked one is
    "replaced"; a well-formed one not on file (or purged) is "unknown".
    """
    token = token_from(text)
    if not well_formed(token):
        return BadgeCheck("invalid")
    row = db.execute(
        "SELECT b.attendee_id, b.revoked_at FROM badges b JOIN attendees a ON a.id = b.attendee_id "
        "WHERE b.token = ? AND a.purged_at IS NULL", [token]).fetchone()
    if row is None:
        return BadgeCheck("unknown")
    return BadgeCheck("replaced" if row["revoked_at"] else "ok", row["attendee_id"])
