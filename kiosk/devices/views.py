"""The pairing page a device opens from its one-time link."""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request

from kiosk.auth import DEVICE_COOKIE, home_url
from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.security import check_failures, client_address, record_failure

from kiosk.i18n import both

from .admin import local_expiry
from .service import ROLE_NAMES, pair_device, pairing_preview

bp = Blueprint("devices", __name__)


@bp.route("/pair/<code>", methods=["GET", "POST"])
def pair(code: str):
    """GET shows a confirm button; POST pairs. Link previewers and chat apps
    fetch GET links, and must not burn a one-time code."""
    if len(code) > 100:
        raise ServiceError("pairing_invalid",
                           "This pairing link is invalid, already used or expired. Ask an organiser for a new one.",
                           status=403)
    if request.method == "GET":
        # Says which device and role this browser becomes; reading it does not use the code.
        device = pairing_preview(get_db(), code)
        if device is None:
            return render_template("auth/pair.html", code=code, device=None), 403
        role = both(ROLE_NAMES.get(device["role"], device["role"]))
        return render_template("auth/pair.html", code=code, device=device, role=role,
                               expires=local_expiry(device["expires_at"]))
    # Only failed codes count: an organiser pairing forty kiosks from one
    # laptop (or one NAT) is not guessing codes; someone guessing is refused.
    keys = (client_address(),)
    check_failures("pairing", keys)
    try:
        device_id, role, credential = pair_device(get_db(), code)
    except ServiceError:
        record_failure("pairing", keys)
        raise
    response = make_response(redirect(home_url(role)))
    response.set_cookie(
        DEVICE_COOKIE, credential, max_age=30 * 24 * 3600, httponly=True,
        samesite="Lax", secure=request.is_secure,
    )
    current_app.logger.info("device %s paired as %s", device_id, role)
    return response
