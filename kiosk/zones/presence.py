"""Who is in a zone now, and kiosks that take exit scans.

Inside means what occupancy counts (kiosk/zones/stats.py): with exit scans in
the last hours, people whose latest entry has no later exit; otherwise people
who entered within the zone's dwell time. Staff of that zone (its kiosks) and
admins see full names; every other staff screen sees the public form of
kiosk/boards/compute.py ``public_entry`` (a consented nickname, else
"Player #1234").

A zone kiosk whose device is set to ``exit`` mode (``devices.scan_mode``)
logs the scans it takes as exits (``leave``): no points, the person is out.
"""
from __future__ import annotations


from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from kiosk.audit import audit
from kiosk.auth import current_principal, role_required
from kiosk.boards.compute import public_entry
from kiosk.db import get_db, now, transaction
from kiosk.errors import NotFound, ServiceError, json_body
from kiosk.validation import row_id

from .service import _answer, get_zone
from .stats import INSIDE, IS_INSIDE, inside_window

SCAN_MODES = ("enter", "exit")
LIMIT = 500

bp = Blueprint("zone_presence", __name__)


def inside(db, zone: dict, at: str | None = None) -> list[dict]:
    """The people inside ``zone`` at ``at`` (default now), latest entry first:
    ``[{attendee_id, full_name, nickname, consent_public, nickname_hidden, since}]``."""
    rows = db.execute(
        "SELECT a.id AS attendee_id, a.full_name, a.nickname, a.consent_public, a.nickname_hidden, p.last_in "
        f"FROM ({INSIDE}) p JOIN attendees a ON a.id = p.attendee_id WHERE {IS_INSIDE} "
        "ORDER BY p.last_in DESC LIMIT ?", [*inside_window(db, zone, at), LIMIT]).fetchall()
    return [dict(r, since=r["last_in"]) for r in rows]


def may_see_names(principal, zone_id: int) -> bool:
    """Admins and the zone's own kiosks see names; everyone else the public form."""
    return principal is not None and (principal.role == "admin"
                                      or (principal.role == "zone" and principal.zone_id == zone_id))


def presence(db, zone_id: int, names: bool, secret: str, at: str | None = None) -> dict:
    """``{zone, exits, people: [...]}`` for a staff screen; each person has
    ``name`` (full name when ``names``, else the public name) and ``since``.
    Raises NotFound ``unknown_zone``."""
    zone = get_zone(db, zone_id, active_only=False)
    people = []
    for p in inside(db, zone, at):
        entry = public_entry(secret, p["attendee_id"], p["nickname"], p["consent_public"], p["nickname_hidden"])
        person = {"since": p["since"], "public_vi": entry["name_vi"], "public_en": entry["name_en"]}
        if names:
            person.update(id=p["attendee_id"], name=p["full_name"], nickname=p["nickname"])
        people.append(person)
    kiosks = [dict(r) for r in db.execute("SELECT id, name, scan_mode FROM devices WHERE zone_id = ? AND role = 'zone' "
                                          "AND revoked_at IS NULL ORDER BY id", [zone_id])]
    return {"zone": {"id": zone["id"], "name_vi": zone["name_vi"], "name_en": zone["name_en"],
                     "capacity": zone["capacity"], "dwell_s": zone["dwell_s"]},
            "count": len(people), "people": people, "names": names, "kiosks": kiosks}


# --- exit scans ------------------------------------------------------------------

def scan_mode(db, device_id: int | None) -> str:
    """The scan mode of a device ("enter" unless set to "exit")."""
    if device_id is None:
        return "enter"
    row = db.execute("SELECT scan_mode FROM devices WHERE id = ?", [device_id]).fetchone()
    return row["scan_mode"] if row else "enter"


def set_scan_mode(db, device_id, mode, by: str) -> dict:
    """Set a zone kiosk to take entry or exit scans. Raises ServiceError
    ``bad_scan_mode`` (400), NotFound ``unknown_device``."""
    if mode not in SCAN_MODES:
        raise ServiceError("bad_scan_mode", "A kiosk takes entry or exit scans.")
    with transaction(db):
        row = db.execute("SELECT id, name FROM devices WHERE id = ? AND role = 'zone'", [device_id]).fetchone()
        if row is None:
            raise NotFound("unknown_device", "No such zone kiosk.")
        db.execute("UPDATE devices SET scan_mode = ? WHERE id = ?", [mode, device_id])
        audit(db, by, "device.scan_mode", f"device:{device_id}", mode)
    return {"id": device_id, "scan_mode": mode}


def leave(db, attendee: dict, zone_id: int, scan_id: str, by: str, at: str | None = None) -> dict:
    """Log an exit from a zone (no points) and answer the scan (joins the
    caller's transaction). Raises NotFound ``unknown_zone``."""
    stamp = at or now()
    with transaction(db):
        zone = get_zone(db, zone_id)
        db.execute("INSERT INTO visits (attendee_id, zone_id, scan_id, kind, points, at) "
                   "VALUES (?, ?, ?, 'exit', 0, ?)", [attendee["id"], zone_id, scan_id, stamp])
        return _answer("zone_exit", "green", zone, "Goodbye from %(zone)s! See you at the next zone.")


# --- views -------------------------------------------------------------------------

def _presence_for_request(zone_id: int) -> dict:
    principal = current_principal()
    return presence(get_db(), zone_id, may_see_names(principal, zone_id), current_app.config["SECRET_KEY"])


@bp.route("/api/zones/<id:zone_id>/present")
@role_required("zone", "desk", "host", "stage")
def present_json(zone_id: int):
    """Who is in the zone now (names for its kiosks and admins, public names otherwise)."""
    return jsonify({"ok": True, **_presence_for_request(zone_id)})


@bp.route("/zones/<id:zone_id>/present")
@role_required("zone", "desk", "host", "stage")
def present_page(zone_id: int):
    """The same as a small page that reloads itself every 30 s (a meta refresh, no script)."""
    return render_template("zones/present.html", p=_presence_for_request(zone_id),
                           admin=current_principal().role == "admin")


@bp.route("/api/zones/devices/<id:device_id>/scan-mode", methods=["POST"])
@role_required("admin")
def post_scan_mode(device_id: int):
    """``{"mode": "enter" | "exit"}``: what a zone kiosk's scans mean."""
    result = set_scan_mode(get_db(), device_id, json_body().get("mode"), current_principal().actor)
    return jsonify({"ok": True, "device": result})


@bp.route("/zones/<id:zone_id>/present/scan-mode", methods=["POST"])
@role_required("admin")
def post_scan_mode_form(zone_id: int):
    """The presence page's form for admins: set one of the zone's kiosks to entry or exit scans."""
    device_id = request.form.get("device_id", type=row_id)
    set_scan_mode(get_db(), device_id, request.form.get("mode"), current_principal().actor)
    return redirect(url_for("zone_presence.present_page", zone_id=zone_id))
