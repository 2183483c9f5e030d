"""The organiser's device list: create, re-pair and revoke devices."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db
from .service import create_device, list_devices, new_pairing_code, revoke_device
from kiosk.errors import ServiceError
from kiosk.realtime import kick_device

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
            zone_id = int(zone) if zone else None
            device_id, code = create_device(db, request.form.get("name", "")[:200],
                                            request.form.get("role", ""), zone_id,
                                            current_principal().actor)
        except ValueError:
            error = ServiceError("zone_required", "A zone kiosk needs a zone.")
        except ServiceError as exc:
            error = exc
        else:
            pairing = {"device_id": device_id, "url": url_for("devices.pair", code=code, _external=True)}
    zones = list(db.query("SELECT id, name_vi, name_en FROM zones WHERE active ORDER BY sort, id"))
    return render_template("admin/devices.html", devices=list_devices(db), zones=zones,
                           pairing=pairing, error=error), (error.status if error else 200)


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke(device_id: int):
    revoke_device(get_db(), device_id, current_principal().actor)
    kick_device(device_id)
    return redirect(url_for("devices_admin.devices"))


@bp.route("/devices/<int:device_id>/pair", methods=["POST"])
@role_required("admin")
def repair(device_id: int):
    db = get_db()
    code = new_pairing_code(db, device_id, current_principal().actor)
    pairing = {"device_id": device_id, "url": url_for("devices.pair", code=code, _external=True)}
    zones = list(db.query("SELECT id, name_vi, name_en FROM zones WHERE active ORDER BY sort, id"))
    return render_template("admin/devices.html", devices=list_devices(db), zones=zones,
                           pairing=pairing, error=None)
