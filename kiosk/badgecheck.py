"""The one badge lookup: scanned text (a bare token or a /b/<token> URL) to
an attendee, for the desk, zone kiosks, the phone page and games alike.

The token format lives in ``kiosk.tokens``. A mangled read is rejected before
any lookup; the attendee row comes back only for a live badge (one query),
and features that must reveal nothing else (games) use its ``attendee_id``.
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
class BadgeLookup:
    status: str  # "ok", "invalid", "unknown" or "replaced"
    token: str
    attendee: dict | None = None  # the attendee row (also for a replaced badge)

    @property
    def attendee_id(self) -> int | None:
        return self.attendee["id"] if self.attendee else None


def lookup_badge(db, scanned_text: str) -> BadgeLookup:
    """Resolve scanned text to an attendee.

    A malformed token is "invalid" and never looked up; a revoked one is
    "replaced"; a well-formed one not on file (or purged) is "unknown".
    """
    token = token_from(scanned_text)
    if not well_formed(token):
        return BadgeLookup("invalid", token)
    row = db.execute(
        "SELECT b.revoked_at, a.* FROM badges b JOIN attendees a ON a.id = b.attendee_id "
        "WHERE b.token = ? AND a.purged_at IS NULL", [token]).fetchone()
    if row is None:
        return BadgeLookup("unknown", token)
    attendee = dict(row)
    revoked = attendee.pop("revoked_at")
    return BadgeLookup("replaced" if revoked else "ok", token, attendee)
