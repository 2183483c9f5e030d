"""The JSON API the desk and kiosk pages use (documented in docs/api.md).

Devices authenticate with their credential (cookie from pairing, or
``Authorization: Bearer``); cookie requests also need the CSRF header.
Every view parses and type-checks its input, calls one service (one
transaction; the service announces its effects after the commit), then
answers JSON.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db
from kiosk.errors import ServiceError, json_body
from kiosk.scans import SCAN_ID, ScanRequest, parse_scan
from kiosk.validation import bool_field, text_field
from kiosk.zones import scanning as zone_scanning

from . import attendees, day, scanning, search
from .desk import latest_counters

bp = Blueprint("api", __name__, url_prefix="/api")

def station_of(payload: dict, principal) -> str:
    """The desk's station label: the one sent, else the device or staff name."""
    return text_field(payload, "station", limit=60) or principal.name


def label_url(attendee_id: int) -> str | None:
    """The printable badge label, when the badge printing feature is installed."""
    if "badges.label" in current_app.view_functions:
        return url_for("badges.label", attendee_id=attendee_id)
    return None


@bp.route("/scans", methods=["POST"])
@role_required("desk", "zone")
def post_scan():
    """Check in (desk) or log a zone visit (zone kiosk, kiosk/zones/scanning.py); idempotent on the scan id."""
    principal = current_principal()
    payload = json_body()
    scan = parse_scan(payload)
    db = get_db()
    if principal.role == "zone" or (principal.role == "admin" and payload.get("zone_id") is not None):
        zone_id = zone_scanning.scan_zone(principal, payload.get("zone_id"))
        result, _is_new = zone_scanning.zone_scan(db, scan, principal, zone_id)
    else:
        result, _is_new = scanning.desk_scan(db, scan, principal)
    return jsonify(result)


@bp.route("/attendees/search")
@role_required("desk")
def search_attendees():
    """Ranked, diacritic-insensitive name search for the desk (q= at least 2 letters).

    ``limit`` (1–100, default 20) and ``offset`` page on; ``more`` says
    whether another page follows (``next_offset``). Each result carries
    what tells namesakes apart: school, class, age band, nickname, the
    attendee number and how many others share the name without accents.
    """
    query = request.args.get("q", "")[:100]
    limit = min(max(request.args.get("limit", 20, type=int) or 20, 1), 100)
    offset = min(max(request.args.get("offset", 0, type=int) or 0, 0), search.MAX_OFFSET)
    rows = search.search(get_db(), query, limit=limit + 1, offset=offset)
    more = len(rows) > limit
    # Desk staff see the full name to tell namesakes apart; public screens never do.
    # Points, the last zone visited and the day page answer a parent's "where is my child?".
    shown = rows[:limit]
    extra = day.progress(get_db(), [r["id"] for r in shown])
    return jsonify({"ok": True, "offset": offset, "more": more, "next_offset": offset + limit if more else None,
                    "results": [dict(scanning.public_attendee(r), full_name=r["full_name"],
                                     checked_in_at=r["checked_in_at"], namesakes=r["namesakes"],
                                     **extra.get(r["id"], {}),
                                     day_url=url_for("day.page", attendee_id=r["id"]))
                                for r in shown]})


@bp.route("/attendees/<id:attendee_id>/checkin", methods=["POST"])
@role_required("desk")
def check_in_attendee(attendee_id: int):
    """Check in a person found by name search; idempotent on ``id`` like a scan."""
    principal = current_principal()
    payload = json_body()
    scan_id = payload.get("id")
    if not isinstance(scan_id, str) or not SCAN_ID.match(scan_id):
        raise ServiceError("bad_scan", "The scan needs an id of 8 to 64 letters, digits, - or _.")
    station = station_of(payload, principal)
    scan = ScanRequest(scan_id, f"attendee:{attendee_id}", None, station)
    result, _is_new = scanning.manual_check_in(get_db(), scan, principal, attendee_id)
    return jsonify(result)


@bp.route("/checkins/<id:attendee_id>/undo", methods=["POST"])
@role_required("desk")
def undo_check_in(attendee_id: int):
    """Undo a check-in made in the last 5 minutes."""
    principal = current_principal()
    scanning.undo_check_in(get_db(), attendee_id, principal.actor)
    return jsonify({"ok": True, "result": "undone", "attendee_id": attendee_id})


def _new_attendee(payload: dict) -> attendees.NewAttendee:
    """Type-check a walk-in registration payload (values are validated by the service)."""
    return attendees.NewAttendee(
        full_name=text_field(payload, "full_name", required=True) or "",
        age_band=text_field(payload, "age_band", required=True, limit=10) or "",
        nickname=text_field(payload, "nickname"),
        school=text_field(payload, "school"),
        class_name=text_field(payload, "class_name"),
        consent_child=bool_field(payload, "consent_child"),
        consent_guardian=bool_field(payload, "consent_guardian"),
        consent_public=bool_field(payload, "consent_public"),
        consent_photo=bool_field(payload, "consent_photo"),
        consent_method=text_field(payload, "consent_method"),
        guardian_contact=text_field(payload, "guardian_contact", limit=60),
    )


@bp.route("/attendees", methods=["POST"])
@role_required("desk")
def register_walk_in():
    """Register a walk-in with consents, check them in, and say where the label is."""
    principal = current_principal()
    payload = json_body()
    data = _new_attendee(payload)
    check_now = bool_field(payload, "check_in", default=True)
    station = station_of(payload, principal)
    db = get_db()
    outcome = scanning.register_walk_in(db, data, principal.actor, station, check_now)
    attendee_id = outcome["attendee_id"]
    row = attendees.get_attendee(db, attendee_id)
    return jsonify({"ok": True, "attendee": scanning.public_attendee(row), "token": outcome["token"],
                    "checkin": outcome["checkin"], "label_url": label_url(attendee_id)}), 201


@bp.route("/attendees/<id:attendee_id>/reissue", methods=["POST"])
@role_required("desk")
def reissue(attendee_id: int):
    """Lost badge: revoke the old token (it then scans as replaced_badge), issue a new one."""
    principal = current_principal()
    token = attendees.reissue_badge(get_db(), attendee_id, principal.actor)
    return jsonify({"ok": True, "attendee_id": attendee_id, "token": token,
                    "label_url": label_url(attendee_id)})


@bp.route("/classes")
@role_required("desk")
def classes():
    """Every school class with its head count and how many are checked in."""
    return jsonify({"ok": True, "classes": scanning.list_classes(get_db())})


def _class_args(source: dict) -> tuple[str, str]:
    school = text_field(source, "school", required=True, limit=100)
    class_name = text_field(source, "class_name", required=True, limit=40)
    return school, class_name


@bp.route("/classes/members")
@role_required("desk")
def class_members():
    """The attendees of one class (``?school=&class_name=``), for the desk to confirm."""
    school, class_name = _class_args(request.args.to_dict())
    return jsonify({"ok": True, "school": school, "class_name": class_name,
                    "members": scanning.class_members(get_db(), school, class_name)})


@bp.route("/classes/checkin", methods=["POST"])
@role_required("desk")
def check_in_class():
    """Check in everyone of a class who is not in yet (one transaction)."""
    principal = current_principal()
    payload = json_body()
    school, class_name = _class_args(payload)
    station = station_of(payload, principal)
    outcome = scanning.check_in_class(get_db(), school, class_name, principal.actor, station)
    return jsonify({"ok": True, "school": school, "class_name": class_name, **outcome})


@bp.route("/counters")
@role_required("desk")
def get_counters():
    """Registered and checked-in totals, and check-ins per desk station."""
    return jsonify({"ok": True, **latest_counters(get_db())})
