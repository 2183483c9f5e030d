"""Checking people in, and answering every badge scan a device sends.

A desk scan checks the attendee in (a zone kiosk's scan is
kiosk/zones/scanning.py, which calls :func:`check_in` for a zone's automatic
check-in). Both run through :func:`kiosk.scans.run_scan`, so each
client-generated scan id is answered once and replayed thereafter.
"""
from __future__ import annotations

from datetime import timedelta

from kiosk.zones import service as zones
from kiosk.audit import audit
from kiosk.badgecheck import PROBLEMS, lookup_badge
from kiosk.db import now, parse_time, transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.i18n import both
from kiosk.scans import ScanRequest, run_scan
from kiosk.signals import announce, checked_in
from kiosk.text import clean, given_name, sort_key

from .attendees import MINOR_BANDS, create_attendee

UNDO_WINDOW = timedelta(minutes=5)

# result code -> (level shown to staff, English message)
RESULTS = {
    "checked_in": ("green", "Checked in. Welcome, %(name)s!"),
    "already_checked_in": ("yellow", "Already checked in at %(time)s at %(station)s."),
    # bad badges say the same at the desk, the zones and the quiz kiosk
    **{code: ("red", message) for code, message in PROBLEMS.values()},
    "not_checked_in": ("yellow", "Not checked in yet. Please go to the check-in desk first."),
}


def public_attendee(attendee: dict) -> dict:
    """What a staff screen may show about an attendee: never the token."""
    return {
        "id": attendee["id"],
        "nickname": attendee["nickname"],
        "given_name": given_name(attendee["full_name"]),
        "age_band": attendee["age_band"],
        "school": attendee["school"],
        "class_name": attendee["class_name"],
        "needs_guardian_ack": attendee["age_band"] in MINOR_BANDS and not attendee["consent_guardian"],
    }


def answer(result: str, attendee: dict | None = None, **params) -> dict:
    level, message = RESULTS[result]
    texts = both(message, **params)
    body = {"ok": level != "red", "result": result, "level": level,
            "message_vi": texts["vi"], "message_en": texts["en"]}
    if attendee is not None:
        body["attendee"] = public_attendee(attendee)
    return body


def _local_time(stamp: str) -> str:
    """HH:MM in the hub's local time zone, for "already checked in at 10:42"."""
    return parse_time(stamp).astimezone().strftime("%H:%M")


def check_in(db, attendee: dict, by: str, station: str | None, scan_id: str | None = None,
             method: str = "scan") -> dict:
    """Check an attendee in exactly once (joins the caller's transaction).

    Two desks racing on the same badge: the conditional UPDATE lets exactly
    one of them win; the other gets ``already_checked_in`` with the winner's
    time and station. Every path that checks someone in (desk scan, search,
    class, walk-in, a zone's automatic check-in) comes here, and this
    announces ``checked_in`` after the commit.
    """
    stamp = now()
    station = station or by.split(":", 2)[-1]
    with transaction(db):
        cur = db.execute(
            "UPDATE attendees SET checked_in_at = ?, checked_in_by = ? "
            "WHERE id = ? AND checked_in_at IS NULL AND purged_at IS NULL",
            [stamp, station, attendee["id"]])
        if cur.rowcount == 0:
            row = db.execute("SELECT checked_in_at, checked_in_by FROM attendees WHERE id = ?",
                             [attendee["id"]]).fetchone()
            return answer("already_checked_in", attendee, time=_local_time(row["checked_in_at"]),
                          station=row["checked_in_by"] or "?") | {"checked_in_at": row["checked_in_at"]}
        db.execute("INSERT INTO checkins (attendee_id, scan_id, station, method, at, by) VALUES (?, ?, ?, ?, ?, ?)",
                   [attendee["id"], scan_id, station, method, stamp, by])
        announce(db, checked_in, attendee_id=attendee["id"], station=station, undone=False)
    return answer("checked_in", attendee, name=given_name(attendee["full_name"])) | {"checked_in_at": stamp}


def undo_check_in(db, attendee_id: int, by: str) -> None:
    """Undo a check-in made less than 5 minutes ago.

    Raises NotFound ``not_checked_in`` or ServiceError ``undo_too_late``.
    """
    with transaction(db):
        row = db.execute("SELECT checked_in_at FROM attendees WHERE id = ? AND purged_at IS NULL",
                         [attendee_id]).fetchone()
        if row is None or row["checked_in_at"] is None:
            raise NotFound("not_checked_in", "This person is not checked in.")
        if parse_time(now()) - parse_time(row["checked_in_at"]) > UNDO_WINDOW:
            raise ServiceError("undo_too_late", "A check-in can only be undone within 5 minutes.", status=409)
        db.execute("UPDATE attendees SET checked_in_at = NULL, checked_in_by = NULL WHERE id = ?", [attendee_id])
        db.execute("UPDATE checkins SET undone_at = ?, undone_by = ? WHERE attendee_id = ? AND undone_at IS NULL",
                   [now(), by, attendee_id])
        audit(db, by, "checkin.undo", f"attendee:{attendee_id}")
        announce(db, checked_in, attendee_id=attendee_id, station=None, undone=True)


def _badge_problem(status: str) -> str | None:
    """The red result code for a badge that is not "ok", else None."""
    return PROBLEMS[status][0] if status in PROBLEMS else None


def desk_scan(db, scan: ScanRequest, principal) -> tuple[dict, bool]:
    """Answer a check-in desk scan once per scan id; returns (answer, is_new)."""

    def handle(db):
        badge = lookup_badge(db, scan.text)
        problem = _badge_problem(badge.status)
        if problem:
            return None, answer(problem)
        result = check_in(db, badge.attendee, principal.actor, scan.station or principal.name, scan.id)
        result["rewards_ready"] = zones.unclaimed_rewards(db, badge.attendee["id"])
        return badge.attendee["id"], result

    return run_scan(db, scan, principal.id if principal.kind == "device" else None, "checkin", None, handle)


# --- desk actions beyond a badge scan ----------------------------------------

def manual_check_in(db, scan: ScanRequest, principal, attendee_id: int) -> tuple[dict, bool]:
    """Check in a person found by name search, idempotent on the client id.

    Answers like a desk scan (``checked_in`` / ``already_checked_in``) and is
    stored in the scan table, so a retried click never counts twice. Raises
    NotFound ``unknown_attendee`` (nothing stored then).
    """

    def handle(db):
        row = db.execute("SELECT * FROM attendees WHERE id = ? AND purged_at IS NULL",
                         [attendee_id]).fetchone()
        if row is None:
            raise NotFound("unknown_attendee", "No such attendee.")
        attendee = dict(row)
        result = check_in(db, attendee, principal.actor, scan.station or principal.name, scan.id,
                          method="search")
        if result["result"] == "checked_in":
            audit(db, principal.actor, "checkin.search", f"attendee:{attendee_id}")
        result["rewards_ready"] = zones.unclaimed_rewards(db, attendee_id)
        return attendee_id, result

    device_id = principal.id if principal.kind == "device" else None
    return run_scan(db, scan, device_id, "checkin", None, handle)


def list_classes(db) -> list[dict]:
    """Every (school, class) with at least one attendee, with head counts, in Vietnamese order."""
    rows = db.execute(
        "SELECT school, class_name, COUNT(*) AS total, COUNT(checked_in_at) AS checked_in "
        "FROM attendees WHERE purged_at IS NULL AND school IS NOT NULL AND class_name IS NOT NULL "
        "GROUP BY school, class_name").fetchall()
    classes = [dict(r) for r in rows]
    classes.sort(key=lambda c: (sort_key(c["school"]), sort_key(c["class_name"])))
    return classes


def class_members(db, school: str, class_name: str) -> list[dict]:
    """The attendees of one class, sorted by given name (for the desk to read out)."""
    rows = db.execute(
        "SELECT * FROM attendees WHERE purged_at IS NULL AND school = ? AND class_name = ? "
        "ORDER BY name_sort", [school, class_name]).fetchall()
    return [dict(public_attendee(dict(r)), full_name=r["full_name"], checked_in_at=r["checked_in_at"])
            for r in rows]


def check_in_class(db, school: str, class_name: str, by: str, station: str) -> dict:
    """Check in everyone of a class who is not in yet, in one transaction.

    Returns ``{total, checked_in, already, attendee_ids}`` where
    ``attendee_ids`` are the ones checked in now. Raises NotFound
    ``unknown_class`` when the class has nobody.
    """
    with transaction(db):
        rows = db.execute(
            "SELECT * FROM attendees WHERE purged_at IS NULL AND school = ? AND class_name = ?",
            [school, class_name]).fetchall()
        if not rows:
            raise NotFound("unknown_class", "No attendees are registered in that class.")
        done = []
        for row in rows:
            if row["checked_in_at"] is None:
                result = check_in(db, dict(row), by, station, method="class")
                if result["result"] == "checked_in":
                    done.append(row["id"])
        audit(db, by, "checkin.class", f"class:{school}/{class_name}", f"{len(done)} of {len(rows)}")
    return {"total": len(rows), "checked_in": len(done), "already": len(rows) - len(done),
            "attendee_ids": done}


def register_walk_in(db, data, by: str, station: str, check_in_now: bool = True) -> dict:
    """Register a walk-in at a desk (consents required) and, by default, check them in.

    One transaction: the attendee, the badge, the audit row and the check-in
    are committed together or not at all. ``data.consent_method`` (how the
    volunteer saw consent: "paper form", "guardian present"…) is required.
    Returns ``{attendee_id, token, checkin}``. Raises ServiceError for
    invalid fields or missing consents.
    """
    if not clean(data.consent_method):
        raise ServiceError("consent_method_required",
                           "Please record how consent was given (for example: paper form, guardian present).")
    with transaction(db):
        attendee_id, token = create_attendee(db, data, "walkin", by)
        audit(db, by, "attendee.walkin", f"attendee:{attendee_id}", data.consent_method[:60])
        result = None
        if check_in_now:
            row = dict(db.execute("SELECT * FROM attendees WHERE id = ?", [attendee_id]).fetchone())
            result = check_in(db, row, by, station, method="walkin")
    return {"attendee_id": attendee_id, "token": token, "checkin": result}
