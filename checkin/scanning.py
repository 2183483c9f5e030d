"""Checking people in, and answering every badge scan a device sends.

A desk scan checks the attendee in; a zone-kiosk scan logs a zone visit
through ``kiosk.zones``. Both run through :func:`kiosk.scans.run_scan`, so
each client-generated scan id is answered once and replayed thereafter.
"""
from __future__ import annotations

from datetime import timedelta

from kiosk import zones
from kiosk.audit import audit
from kiosk.db import get_setting, now, parse_time, transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.i18n import both
from kiosk.scans import ScanRequest, run_scan
from kiosk.text import given_name

from .attendees import MINOR_BANDS, lookup_badge

UNDO_WINDOW = timedelta(minutes=5)

# result code -> (level shown to staff, English message)
RESULTS = {
    "checked_in": ("green", "Checked in. Welcome, %(name)s!"),
    "already_checked_in": ("yellow", "Already checked in at %(time)s at %(station)s."),
    "unknown_badge": ("red", "Unknown badge. Please send this person to the help desk."),
    "replaced_badge": ("red", "This badge was replaced by a new one. Please use the new badge."),
    "invalid_badge": ("red", "This is not a festival badge, or it was misread. Please scan again."),
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
    time and station.
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


def _badge_problem(status: str) -> str | None:
    return {"invalid": "invalid_badge", "unknown": "unknown_badge", "replaced": "replaced_badge"}.get(status)


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


def zone_scan(db, scan: ScanRequest, principal, zone_id: int) -> tuple[dict, bool]:
    """Answer a zone-kiosk scan once per scan id; returns (answer, is_new).

    An attendee who skipped the desk is checked in automatically when the
    festival setting ``auto_checkin_at_zones`` is on, else told to go to the desk.
    """

    def handle(db):
        badge = lookup_badge(db, scan.text)
        problem = _badge_problem(badge.status)
        if problem:
            return None, answer(problem)
        attendee = badge.attendee
        if attendee["checked_in_at"] is None:
            if get_setting(db, "auto_checkin_at_zones", "0") != "1":
                return attendee["id"], answer("not_checked_in", attendee)
            check_in(db, attendee, principal.actor, scan.station or principal.name, scan.id, method="zone")
        result = zones.visit(db, attendee, zone_id, scan.id, principal.actor)
        result.setdefault("attendee", public_attendee(attendee))
        return attendee["id"], result

    return run_scan(db, scan, principal.id if principal.kind == "device" else None, "zone", zone_id, handle)


def get_scan_zone(principal, requested) -> int:
    """The zone a scan is for: a zone kiosk's own zone; an admin must name one."""
    if principal.role == "zone":
        return principal.zone_id
    if isinstance(requested, int) and not isinstance(requested, bool):
        return requested
    raise ServiceError("zone_required", "A zone kiosk needs a zone.")
