"""The zone kiosk page, its offline service worker, and the reward claim API."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, request, send_from_directory

from kiosk.auth import current_principal, require_role, role_required
from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.i18n import both
from kiosk.validation import row_id
from .service import claim_reward, get_zone

bp = Blueprint("zones", __name__)

# What the kiosk script says, always in both languages (Vietnamese first).
KIOSK_TEXTS = {
    "ready": "Scan your badge here",
    "points": "+%(n)s points",
    "welcome": "Welcome!",
    "already": "Already visited",
    "desk_first": "Check in at the desk first",
    "attention": "Please read the message",
    "refused": "Not accepted",
    "saved": "Saved",
    "saved_long": "Saved — will sync when the hub is back.",
    "hello": "Hello!",
    "progress": "%(visited)s of %(total)s zones",
    "auto": "You are now checked in too.",
    "full": "This zone is full right now.",
    "synced": "Connected: every scan is synced",
    "syncing": "Syncing…",
    "offline": "Hub unreachable: scans are kept on this kiosk",
    "blocked": "This kiosk must be paired again: scans are kept",
    "waiting": "%(n)s waiting to sync",
    "ime": "Vietnamese input method is on — turn off UniKey/Telex, then scan again.",
    "start_camera": "Start camera",
    "stop_camera": "Stop camera",
}


def kiosk_texts() -> dict:
    return {key: both(message) for key, message in KIOSK_TEXTS.items()}


@bp.route("/zone")
@role_required("zone")
def kiosk_page():
    """Full-screen scanning page of a zone kiosk; an admin names the zone with ?zone_id=N."""
    principal = current_principal()
    if principal.role == "zone":
        zone_id = principal.zone_id
    else:
        zone_id = request.args.get("zone_id", type=row_id)
        if zone_id is None:
            raise ServiceError("zone_required", "A zone kiosk needs a zone.")
    zone = get_zone(get_db(), zone_id)
    return render_template("zones/kiosk.html", zone=zone, admin_zone=principal.role != "zone",
                           device=principal.name, texts=kiosk_texts())


@bp.route("/zone-sw.js")
def service_worker():
    """The kiosk's service worker, served from the site root so it may control /zone.

    Public (it holds no data); never cached by HTTP so a new version installs.
    """
    response = send_from_directory(current_app.static_folder, "js/zone-sw.js",
                                   mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/api/rewards/<id:reward_id>/claim", methods=["POST"])
@role_required("desk")
def claim(reward_id: int):
    """A desk marks an unlocked reward as collected (once; 409 the second time)."""
    principal = require_role("desk")
    result = claim_reward(get_db(), reward_id, principal.actor)
    return jsonify({"ok": True, "result": "reward_claimed", "reward": result})
