"""Stage screens: the full-screen board page and read-only stage links.

A stage screen is a paired ``stage`` device, an admin, or a browser that
opened a read-only link ``/s/<token>`` (an admin creates and revokes them).
The link sets the ``festival_stage`` cookie, which
:func:`kiosk.auth.resolve_principal` turns into a ``stage`` principal.
"""
from __future__ import annotations

import re

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for

from kiosk.audit import audit
from kiosk.auth import STAGE_COOKIE, current_principal, hash_secret, new_secret, role_required
from kiosk.db import get_db, get_setting, now, set_setting, transaction
from kiosk.errors import ServiceError
from kiosk.network import device_url
from kiosk.signals import announce, stage_link_revoked
from .compute import board_settings, is_bare_source
from kiosk.text import clean
from kiosk.views import add_admin_link

bp = Blueprint("stage", __name__)

DEFAULT_ROTATION = "overall:20,schools:15,zones:10"
SLOT = re.compile(r"^(overall|schools|classes|zones|zone:\d{1,9}|game:\d{1,9}|[a-z]{3,20}):(\d{1,4})$")
FIXED = ("overall", "schools", "classes", "zones")
MAX_SLOTS = 12


def parse_rotation(text: str) -> list[tuple[str, int]]:
    """Parse "overall:20,schools:15,zones:10" into (board, seconds) slots.

    ``zones`` stands for every active zone in turn. Seconds are 5 to 600.
    Raises ServiceError ``bad_rotation``.
    """
    slots = []
    for part in (text or "").replace(" ", "").split(","):
        match = SLOT.match(part)
        if not match or not 5 <= int(match.group(2)) <= 600 or (
                ":" not in match.group(1) and match.group(1) not in FIXED and not is_bare_source(match.group(1))):
            raise ServiceError("bad_rotation",
                               'The rotation must look like "overall:20,schools:15,zones:10" (5 to 600 seconds each).')
        slots.append((match.group(1), int(match.group(2))))
    if not slots or len(slots) > MAX_SLOTS:
        raise ServiceError("bad_rotation",
                           'The rotation must look like "overall:20,schools:15,zones:10" (5 to 600 seconds each).')
    return slots


def expand_rotation(db, slots: list[tuple[str, int]]) -> list[dict]:
    """Turn slots into concrete boards: ``zones`` becomes one slot per active zone."""
    boards = []
    for board, seconds in slots:
        if board == "zones":
            for zone in db.execute("SELECT id FROM zones WHERE active ORDER BY sort, id LIMIT 20"):
                boards.append({"board": f"zone:{zone['id']}", "seconds": seconds})
        else:
            boards.append({"board": board, "seconds": seconds})
    return boards or [{"board": "overall", "seconds": 20}]


def rotation_for_request(db) -> list[dict]:
    """The query's ``rotation`` if valid, else the festival setting, else the default."""
    for text in (request.args.get("rotation", "")[:300], get_setting(db, "stage_rotation", ""),
                 DEFAULT_ROTATION):
        try:
            return expand_rotation(db, parse_rotation(text))
        except ServiceError:
            continue
    return [{"board": "overall", "seconds": 20}]


# --- stage links ----------------------------------------------------------------

def create_stage_link(db, label: str, by: str) -> tuple[int, str]:
    """Create a read-only stage link; returns (id, token). Raises ``bad_label``."""
    label = clean(label)
    if not label or len(label) > 60:
        raise ServiceError("bad_label", "A label of 1 to 60 characters is needed.")
    token = new_secret()
    with transaction(db):
        cur = db.execute("INSERT INTO stage_links (token_hash, label, created_at) VALUES (?, ?, ?)",
                         [hash_secret(token), label, now()])
        audit(db, by, "stage_link.create", f"stage_link:{cur.lastrowid}", label)
    return cur.lastrowid, token


def revoke_stage_link(db, link_id: int, by: str) -> None:
    """Revoke a stage link: its screens lose access on their next request or event."""
    with transaction(db):
        cur = db.execute("UPDATE stage_links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                         [now(), link_id])
        if cur.rowcount == 0:
            raise ServiceError("unknown_stage_link", "No such stage link.", status=404)
        audit(db, by, "stage_link.revoke", f"stage_link:{link_id}")
        announce(db, stage_link_revoked, link_id=link_id)


def save_board_settings(db, form: dict, by: str) -> None:
    """Store the stage and board settings. Raises ``bad_rotation`` or ``bad_setting``."""
    rotation = (form.get("stage_rotation") or "").strip()
    parse_rotation(rotation)
    anonymous = form.get("anonymous_display")
    mode = form.get("school_board_mode")
    size = form.get("board_size", "")
    if anonymous not in ("anonymous", "hide") or mode not in ("average", "sum") or \
            not (size.isascii() and size.isdigit()) or not 3 <= int(size) <= 50:
        raise ServiceError("bad_setting", "Please check the settings and try again.")
    with transaction(db):
        for key, value in (("stage_rotation", rotation), ("anonymous_display", anonymous),
                           ("school_board_mode", mode), ("board_size", int(size))):
            set_setting(db, key, value)
        audit(db, by, "boards.settings", None, f"{rotation} {anonymous} {mode} {size}")


# --- views --------------------------------------------------------------------------

@bp.route("/stage")
@role_required("stage")
def page():
    """The full-screen stage page (boards rotate; pushes arrive over ``/public``)."""
    db = get_db()
    return render_template("stage/page.html", rotation=rotation_for_request(db),
                           festival_en=current_app.config["FESTIVAL_NAME_EN"])


@bp.route("/s/<token>")
def open_link(token: str):
    """Open a read-only stage link: remember it in a cookie, then show the stage."""
    row = None
    if len(token) <= 100:
        row = get_db().execute("SELECT id FROM stage_links WHERE token_hash = ? AND revoked_at IS NULL",
                               [hash_secret(token)]).fetchone()
    if row is None:
        raise ServiceError("stage_link_invalid", "This stage link is invalid or was revoked.", status=403)
    rotation = request.args.get("rotation", "")[:300]
    target = url_for("stage.page", rotation=rotation) if rotation else url_for("stage.page")
    response = make_response(redirect(target))
    response.set_cookie(STAGE_COOKIE, token, max_age=7 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=request.is_secure)
    return response


@bp.route("/admin/stage", methods=["GET", "POST"])
@role_required("admin")
def admin_page():
    """Stage settings (rotation, privacy, school scoring) and read-only links."""
    db = get_db()
    error, created = None, None
    if request.method == "POST":
        try:
            if request.form.get("action") == "settings":
                save_board_settings(db, request.form.to_dict(), current_principal().actor)
            else:
                link_id, token = create_stage_link(db, request.form.get("label", "")[:200],
                                                   current_principal().actor)
                created = device_url("stage.open_link", token=token)
        except ServiceError as exc:
            error = exc
    links = list(db.query("SELECT id, label, created_at, revoked_at FROM stage_links ORDER BY id DESC"))
    settings = dict(board_settings(db), stage_rotation=get_setting(db, "stage_rotation", DEFAULT_ROTATION))
    return render_template("stage/admin.html", links=links, settings=settings, error=error,
                           created=created), (error.status if error else 200)


@bp.route("/admin/stage/links/<id:link_id>/revoke", methods=["POST"])
@role_required("admin")
def revoke(link_id: int):
    revoke_stage_link(get_db(), link_id, current_principal().actor)
    return redirect(url_for("stage.admin_page"))


def init_app(app) -> None:
    app.register_blueprint(bp)
    add_admin_link(app, "stage.admin_page", "Stage screens")
