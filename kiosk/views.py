"""Pages every visitor may see: the start page, the language switch, health."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for

from .auth import DEVICE_COOKIE, current_principal, home_url
from .db import get_db
from .health import write_status
from .hubid import CHALLENGE, add_failover_headers, device_key, hub_identity, standby_proof, standby_urls
from .i18n import LANGUAGES, both
from .qr import qr_svg
from .security import safe_next
from .validation import row_id

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("kiosk/index.html", principal=current_principal())


@bp.route("/lang/<code>")
def set_language(code: str):
    """Switch language and remember it in a cookie (it sticks across pages)."""
    target = safe_next(request.args.get("next", ""), url_for("main.index"))
    response = make_response(redirect(target))
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.app_context_processor
def template_helpers():
    return {
        "view_endpoints": lambda: current_app.view_functions,
        "home_for": home_url,
        "qr_svg": qr_svg,
        "admin_links": lambda: current_app.extensions.get("festival_admin_links", []),
        "failover_config": failover_config,
    }


def failover_config() -> dict:
    """What a device page needs to follow the hub to a standby (docs/operations.md).

    ``hubs``: the standby addresses; ``credential``: the device's own bearer
    credential (from its cookie), given to its own page only when a standby
    is configured, because a standby is another origin where the hub's
    cookie does not travel.
    """
    hubs = standby_urls(current_app)
    principal = current_principal()
    credential = None
    if hubs and principal is not None and principal.kind == "device":
        credential = request.cookies.get(DEVICE_COOKIE) or None
        header = request.headers.get("Authorization", "")
        if not credential and header.startswith("Bearer "):
            credential = header[7:].strip() or None
    config = {"hub": hub_identity(current_app), "hubs": hubs, "credential": credential}
    if credential:
        # The key this device checks a standby's proof with (kiosk/hubid.py).
        config.update(device=principal.id, key=device_key(get_db(), principal.id))
    return config


@bp.after_app_request
def _failover_headers(response):
    return add_failover_headers(current_app, request, response)


def add_admin_link(app, endpoint: str, label: str) -> None:
    """Features add their organiser pages to the admin navigation with this."""
    app.extensions.setdefault("festival_admin_links", []).append((endpoint, label))


@bp.route("/healthz")
def health():
    """Alive, and who this hub is: devices replay recent scans to a hub they have not seen.
    503 with the reason when the hub cannot write (a full disk): kiosk/health.py."""
    db = get_db()
    db.execute("SELECT 1").fetchone()
    status = write_status(current_app, db)
    body = {"ok": status["writable"], "writable": status["writable"], "hub": hub_identity(current_app),
            "hubs": standby_urls(current_app)}
    # A device about to follow this hub as a standby asks it to prove it belongs to the festival.
    challenge, device = request.args.get("challenge", ""), request.args.get("device", type=row_id)
    if device is not None and CHALLENGE.match(challenge):
        body["proof"] = standby_proof(db, body["hub"], device, challenge)
    if not status["writable"]:
        body["reason"] = status["reason"]
        body.update({f"message_{lang}": text for lang, text in both(
            "The hub cannot save anything: %(reason)s", reason=status["reason"]).items()})
        return jsonify(body), 503
    return jsonify(body)


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages without a <link rel=icon> (JSON, errors)."""
    response = current_app.send_static_file("favicon.svg")
    response.mimetype = "image/svg+xml"
    response.cache_control.max_age = 86400
    return response
