"""Badge lookup for features that may not import ``checkin`` (games).

The token format lives in ``kiosk.tokens``; this resolves scanned text to an
attendee id, rejecting a mangled read before any lookup, exactly as the desk
does, and reveals nothing else about the person.
"""
from __future__ import annotations

from dataclasses import dataclass

from .tokens import extract as token_from
from .tokens import is_valid as well_formed

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
