"""Pages every visitor may see: the start page, the language switch, health."""
from __future__ import annotations

from flask import Blueprint, jsonify, make_response, redirect, render_template, request, url_for

from .auth import current_principal
from .db import get_db
from .i18n import LANGUAGES

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("kiosk/index.html", principal=current_principal())


@bp.route("/lang/<code>")
def set_language(code: str):
    """Switch language and remember it in a cookie (it sticks across pages)."""
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    response = make_response(redirect(target))
    if code in LANGUAGES:
        response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.app_context_processor
def template_helpers():
    from flask import current_app

    from .auth import home_url
    from .qr import qr_svg

    return {
        "view_endpoints": lambda: current_app.view_functions,
        "home_for": home_url,
        "qr_svg": qr_svg,
        "admin_links": lambda: current_app.extensions.get("festival_admin_links", []),
    }


def add_admin_link(app, endpoint: str, label: str) -> None:
    """Features add their organiser pages to the admin navigation with this."""
    app.extensions.setdefault("festival_admin_links", []).append((endpoint, label))


@bp.route("/healthz")
def health():
    get_db().execute("SELECT 1").fetchone()
    return jsonify({"ok": True})
