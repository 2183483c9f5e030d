"""The dashboard page, its JSON fallback, and devices' status reports."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from kiosk.auth import require_role, role_required
from kiosk.db import get_db
from kiosk.errors import ServiceError, json_body
from kiosk.validation import bool_field, int_field

from .service import MAX_QUEUE, dashboard_data, report_status

bp = Blueprint("dashboard", __name__)


@bp.route("/admin/")
@role_required("admin")
def page():
    return render_template("admin/dashboard.html")


@bp.route("/admin/dashboard.json")
@role_required("admin")
def data():
    """The dashboard snapshot as JSON (fallback when the socket is down)."""
    return jsonify(dashboard_data(get_db()))


@bp.route("/api/devices/status", methods=["POST"])
@role_required("desk", "zone", "host", "stage")
def device_status():
    """A paired device reports its offline queue length ``{queue_length, online?}``."""
    principal = require_role("desk", "zone", "host", "stage")
    if principal.kind != "device":
        raise ServiceError("not_a_device", "Only a paired device can report its status.")
    payload = json_body()
    queue = int_field(payload, "queue_length", 0, MAX_QUEUE)
    online = bool_field(payload, "online", default=None)
    report_status(get_db(), principal.id, queue, online)
    return jsonify({"ok": True})
