"""The zone kiosk's scan: a badge read at a zone logs a visit (or, on an
exit kiosk, a leaving), once per client scan id (kiosk.scans.run_scan).

``POST /api/scans`` is one URL for desks and zone kiosks (checkin/api.py
sends a zone principal's scan here). Someone who skipped the desk is checked
in automatically when the festival setting ``auto_checkin_at_zones`` is on:
the check-in itself is the check-in feature's, which registers it with
:func:`register_check_in` (zones never import checkin).
"""
from __future__ import annotations

from kiosk.badgecheck import PROBLEMS, lookup_badge
from kiosk.db import get_setting
from kiosk.errors import ServiceError
from kiosk.i18n import both
from kiosk.scans import ScanRequest, run_scan
from kiosk.validation import is_int

from . import presence, service

NOT_CHECKED_IN = "Not checked in yet. Please go to the check-in desk first."

_check_in = []  # the check-in feature's check_in(db, attendee, by, station, scan_id, method=...)


def register_check_in(check_in) -> None:
    """The check-in feature's ``check_in``, for a zone's automatic check-in."""
    _check_in[:] = [check_in]


def _refusal(code: str, message: str, level: str) -> dict:
    texts = both(message)
    return {"ok": level != "red", "result": code, "level": level,
            "message_vi": texts["vi"], "message_en": texts["en"]}


def zone_attendee(attendee: dict) -> dict:
    """What a zone kiosk's answer carries about the attendee: the id only.
    The kiosk, often unattended, shows the public nickname (``display_name``,
    with consent) and never a given name, school, class or age band, so it
    does not receive them (data minimisation)."""
    return {"id": attendee["id"]}


def scan_zone(principal, requested) -> int:
    """The zone a scan is for: a zone kiosk's own zone; an admin must name one."""
    if principal.role == "zone":
        return principal.zone_id
    if is_int(requested, 1):
        return requested
    raise ServiceError("zone_required", "A zone kiosk needs a zone.")


def zone_scan(db, scan: ScanRequest, principal, zone_id: int) -> tuple[dict, bool]:
    """Answer a zone-kiosk scan once per scan id; returns (answer, is_new)."""

    def handle(db):
        badge = lookup_badge(db, scan.text)
        if badge.status in PROBLEMS:
            return None, _refusal(*PROBLEMS[badge.status], "red")
        attendee = badge.attendee
        if attendee["checked_in_at"] is None:
            if not _check_in or get_setting(db, "auto_checkin_at_zones", "0") != "1":
                return attendee["id"], (_refusal("not_checked_in", NOT_CHECKED_IN, "yellow")
                                        | {"attendee": zone_attendee(attendee)})
            _check_in[0](db, attendee, principal.actor, scan.station or principal.name, scan.id, method="zone")
        if principal.kind == "device" and presence.scan_mode(db, principal.id) == "exit":
            result = presence.leave(db, attendee, zone_id, scan.id, principal.actor)
        else:
            result = service.visit(db, attendee, zone_id, scan.id, principal.actor)
        result["attendee"] = zone_attendee(attendee)
        return attendee["id"], result

    return run_scan(db, scan, principal.id if principal.kind == "device" else None, "zone", zone_id, handle)
