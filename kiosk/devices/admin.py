"""The organiser's device list: create, re-pair and revoke devices."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db, parse_time
from .service import (MAX_BATCH, ROLE_NAMES, create_device, create_devices, list_devices, new_pairing_code,
                      pairing_ttl, revoke_device, sheet_rows)
from kiosk.errors import ServiceError
from kiosk.i18n import both
from kiosk.network import device_base_url, device_url
from kiosk.validation import row_id

bp = Blueprint("devices_admin", __name__, url_prefix="/admin")


@bp.route("/devices", methods=["GET", "POST"])
@role_required("admin")
def devices():
    db = get_db()
    pairing = None
    error = None
    if request.method == "POST":
        zone = request.form.get("zone_id") or None
        try:
            zone_id = row_id(zone) if zone else None
            device_id, code = create_device(db, request.form.get("name", "")[:200],
                                            request.form.get("role", ""), zone_id,
                                            current_principal().actor)
        except ValueError:
            error = ServiceError("zone_required", "A zone kiosk needs a zone.")
        except ServiceError as exc:
            error = exc
        else:
            pairing = {"device_id": device_id, "url": _pair_link(code)}
    zones = list(db.query("SELECT id, name_vi, name_en FROM zones WHERE active ORDER BY sort, id"))
    return render_template("admin/devices.html", devices=list_devices(db), zones=zones,
                           pairing=pairing, error=error, hub=_hub_address()), (error.status if error else 200)


@bp.route("/devices/<id:device_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke(device_id: int):
    revoke_device(get_db(), device_id, current_principal().actor)
    return redirect(url_for("devices_admin.devices"))


@bp.route("/devices/<id:device_id>/pair", methods=["POST"])
@role_required("admin")
def repair(device_id: int):
    db = get_db()
    code = new_pairing_code(db, device_id, current_principal().actor)
    pairing = {"device_id": device_id, "url": _pair_link(code)}
    zones = list(db.query("SELECT id, name_vi, name_en FROM zones WHERE active ORDER BY sort, id"))
    return render_template("admin/devices.html", devices=list_devices(db), zones=zones,
                           pairing=pairing, error=None, hub=_hub_address())


def _hub_address() -> dict:
    """The address devices open, and whether it works only on this laptop (the page says so)."""
    base, loopback = device_base_url()
    return {"url": base, "loopback": loopback}


def local_expiry(stamp: str) -> str:
    """"14:05 02/11/2025" in the hub's local time."""
    return parse_time(stamp).astimezone().strftime("%H:%M %d/%m/%Y")


def validity_text(ttl_s: int) -> dict:
    if ttl_s < 3600:
        return both("Each link works once, within %(n)s minutes of this sheet being made.", n=ttl_s // 60)
    return both("Each link works once, for %(n)s hours after this sheet was made.", n=ttl_s // 3600)


def render_sheet(db, created: list[tuple[int, str]], link, ttl_s: int) -> str:
    """The printable A4 pairing sheet (HTML) for devices just given pairing codes."""
    rows = []
    for row in sheet_rows(db, created, link):
        role = both(ROLE_NAMES.get(row["role"], row["role"]))
        expiry = local_expiry(row["expires_at"])
        rows.append({**row, "role_vi": role["vi"], "role_en": role["en"],
                     "expiry": both("Valid until %(time)s", time=expiry)})
    texts = {"title": both("Pairing sheet"), "zone": both("Zone"), "validity": validity_text(ttl_s),
             "how": both("Open the camera on each device, scan its code (or type the link) and press "
                         "Pair now. Keep this sheet safe: anyone holding a code can pair a device.")}
    return render_template("admin/pairing_sheet.html", rows=rows, t=texts)


def _pair_link(code: str) -> str:
    return device_url("devices.pair", code=code)


@bp.route("/devices/sheet", methods=["POST"])
@role_required("admin")
def sheet():
    """A printable sheet: new devices (name, role, zone, count) or new links
    for the devices ticked in the list (``device_id``), valid ``valid_hours``."""
    db = get_db()
    actor = current_principal().actor
    ttl_s = pairing_ttl(request.form.get("valid_hours"))
    selected = request.form.getlist("device_id")
    if selected:
        try:
            ids = sorted({int(v) for v in selected})
        except ValueError:
            raise ServiceError("unknown_device", "No such device.", status=404)
        created = [(device_id, new_pairing_code(db, device_id, actor, ttl_s)) for device_id in ids]
    else:
        count, zone = request.form.get("count") or "1", request.form.get("zone_id") or None
        if not count.isdigit():
            raise ServiceError("bad_count", "Create 1 to %(n)s devices at a time.", n=MAX_BATCH)
        try:
            zone_id = row_id(zone) if zone is not None else None
        except ValueError:
            raise ServiceError("zone_required", "A zone kiosk needs a zone.") from None
        created = create_devices(db, request.form.get("name", "")[:200], request.form.get("role", ""),
                                 zone_id, actor, min(int(count), MAX_BATCH + 1), ttl_s)
    return render_sheet(db, created, _pair_link, ttl_s)
