"""The JSON API the desk and kiosk pages use (documented in docs/api.md).

Devices authenticate with their credential (cookie from pairing, or
``Authorization: Bearer``); cookie requests also need the CSRF header.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from kiosk.auth import require_role
from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.scans import parse_scan
from kiosk.signals import checked_in, points_changed, zone_visited

from . import attendees, scanning

bp = Blueprint("api", __name__, url_prefix="/api")


def json_body() -> dict:
    """The request's JSON object, or a clear 400/415 (never a 500)."""
    if not request.is_json:
        raise ServiceError("unsupported_media_type", "Please send JSON.", status=415)
    payload = request.get_json(silent=True)
    if payload is None:
        raise ServiceError("bad_json", "The request body is not valid JSON.")
    if not isinstance(payload, dict):
        raise ServiceError("bad_json", "The request body must be a JSON object.")
    return payload


@bp.route("/scans", methods=["POST"])
def post_scan():
    """Check in (desk) or log a zone visit (zone kiosk); idempotent on the scan id."""
    principal = require_role("desk", "zone")
    payload = json_body()
    scan = parse_scan(payload)
    db = get_db()
    if principal.role == "zone" or (principal.role == "admin" and payload.get("zone_id") is not None):
        zone_id = scanning.get_scan_zone(principal, payload.get("zone_id"))
        result, is_new = scanning.zone_scan(db, scan, principal, zone_id)
        if is_new and result.get("attendee"):
            zone_visited.send(zone_id=zone_id, attendee_id=result["attendee"]["id"])
    else:
        result, is_new = scanning.desk_scan(db, scan, principal)
        if is_new and result["result"] == "checked_in":
            checked_in.send(attendee_id=result["attendee"]["id"], station=scan.station, undone=False)
    if is_new and result.get("points_awarded"):
        points_changed.send(attendee_ids=[result["attendee"]["id"]])
    return jsonify(result)


@bp.route("/attendees/search")
def search_attendees():
    """Diacritic-insensitive name search for the desk (q= at least 2 letters)."""
    require_role("desk")
    query = request.args.get("q", "")[:100]
    rows = attendees.search(get_db(), query, limit=request.args.get("limit", 20, type=int) or 20)
    # Desk staff see the full name to tell namesakes apart; public screens never do.
    return jsonify({"ok": True, "results": [
        dict(scanning.public_attendee(r), full_name=r["full_name"], checked_in_at=r["checked_in_at"])
        for r in rows]})
