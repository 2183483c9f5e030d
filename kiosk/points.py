"""The points ledger: every point from anywhere is one row, idempotent by
(source, reference), with per-attendee totals kept in the same transaction
so rankings never scan the ledger."""
from __future__ import annotations

from dataclasses import dataclass

from .db import now, transaction
from .errors import ServiceError
from .signals import announce, points_changed
from .validation import is_int

MAX_AWARD = 100_000


@dataclass(frozen=True)
class Award:
    awarded: bool  # False when (source, reference) was already in the ledger
    points: int  # points of this award (the first one's, on a repeat)
    total: int  # the attendee's total after it


def award(db, attendee_id: int, points: int, source: str, reference: str,
          reason: str | None = None) -> Award:
    """Add ``points`` for ``attendee_id`` once per (source, reference).

    Safe to call again with the same source and reference (a retry, an offline
    replay, two kiosks racing): the second call changes nothing and reports
    the first award. Joins the caller's transaction when there is one, and
    announces ``points_changed`` after its commit.
    Raises ServiceError ``bad_points`` for a non-integer or absurd amount.
    """
    if not is_int(points, -MAX_AWARD, MAX_AWARD):
        raise ServiceError("bad_points", "Points must be a whole number.")
    if not source or not reference:
        raise ServiceError("bad_reference", "An award needs a source and a reference.")
    stamp = now()
    with transaction(db):
        cur = db.execute(
            "INSERT INTO ledger (attendee_id, points, source, reference, reason, at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, reference) DO NOTHING",
            [attendee_id, points, source, str(reference), reason, stamp],
        )
        if cur.rowcount == 1:
            db.execute(
                "INSERT INTO point_totals (attendee_id, points, reached_at) VALUES (?, ?, ?) "
                "ON CONFLICT (attendee_id) DO UPDATE SET points = points + excluded.points, "
                "reached_at = CASE WHEN excluded.points = 0 THEN reached_at ELSE excluded.reached_at END",
                [attendee_id, points, stamp],
            )
            awarded, given = True, points
            announce(db, points_changed, attendee_ids=[attendee_id])
        else:
            row = db.execute("SELECT points FROM ledger WHERE source = ? AND reference = ?",
                             [source, str(reference)]).fetchone()
            awarded, given = False, row["points"]
        total = total_points(db, attendee_id)
    return Award(awarded, given, total)


def total_points(db, attendee_id: int) -> int:
    row = db.execute("SELECT points FROM point_totals WHERE attendee_id = ?", [attendee_id]).fetchone()
    return row["points"] if row else 0

