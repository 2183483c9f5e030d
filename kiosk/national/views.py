"""``/admin/national`` (admin only), the organiser's bundle download, and the
national hub's endpoint ``POST /api/national/bundles``.

The endpoint needs no staff credential: the bundle's Ed25519 signature by a
registered hub is the credential (a pairing code in ``X-Pairing-Code``
registers a new hub on its first push). Facing the internet, serve it over
HTTPS (``festival serve --https`` or a TLS proxy): the code travels in a header.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.i18n import translate
from kiosk.security import csrf_exempt, rate_limit

from . import bundle, keys, store, summary
from .provinces import provinces

bp = Blueprint("national", __name__)

PUSHES_PER_MINUTE = 120  # per client address: hubs push every few minutes; a flood is refused early


def utc_offset(app) -> int:
    return int(app.config["REPORT_UTC_OFFSET_HOURS"])


def hub_bundle(db, app) -> dict:
    """This hub's bundle now (the admin download, the CLI export, the pusher)."""
    return bundle.build(db, app.instance_path, utc_offset(app), app.config["FESTIVAL_NAME"])


def render_national(db, standalone: bool, admin: bool = False, **extra) -> str:
    """The national report as HTML (``standalone`` inlines the stylesheet)."""
    app = current_app
    css = css_url = None
    if standalone:
        css = (Path(app.static_folder) / "css" / "report.css").read_text(encoding="utf-8")
    else:
        css_url = url_for("static", filename="css/report.css")
    context = {}
    if admin:
        context = {"identity": bundle.identity(db, app.config["FESTIVAL_NAME"]), "provinces": provinces(),
                   "hubs": store.hubs(db), "error": None, "message": None, "code": None, **extra}
    template = app.jinja_env.get_template("national/report.html")
    return template.render(n=summary.build(db), css=css, css_url=css_url, tr=translate,
                           festival=app.config["FESTIVAL_NAME"], admin=admin, **context)


@bp.route("/admin/national")
@role_required("admin")
def page():
    return render_national(get_db(), standalone=False, admin=True)


def _admin_answer(**extra):
    error = extra.get("error")
    return render_national(get_db(), standalone=False, admin=True, **extra), (error.status if error else 200)


@bp.route("/admin/national/identity", methods=["POST"])
@role_required("admin")
def identity():
    form = request.form
    try:
        bundle.set_identity(get_db(), current_principal().actor, name=form.get("name", "")[:200],
                            province=form.get("province", "")[:80], kind=form.get("kind", "")[:40],
                            dates=form.get("dates", "")[:800], default_name=current_app.config["FESTIVAL_NAME"])
    except ServiceError as exc:
        return _admin_answer(error=exc)
    return redirect(url_for("national.page"))


@bp.route("/admin/national/bundle", methods=["POST"])
@role_required("admin")
def download():
    db = get_db()
    try:
        data = bundle.encode(hub_bundle(db, current_app))
    except ServiceError as exc:
        return _admin_answer(error=exc)
    return Response(data, mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="outcomes-bundle.json"'})


@bp.route("/admin/national/key.pem")
@role_required("admin")
def public_key():
    pem = keys.public_pem(keys.hub_key(current_app.instance_path))
    return Response(pem, mimetype="application/x-pem-file",
                    headers={"Content-Disposition": 'attachment; filename="hub-public-key.pem"'})


@bp.route("/admin/national/pairing", methods=["POST"])
@role_required("admin")
def pairing():
    try:
        code = store.create_pairing(get_db(), request.form.get("label", "")[:200], current_principal().actor)
    except ServiceError as exc:
        return _admin_answer(error=exc)
    return _admin_answer(code=code)


@bp.route("/api/national/bundles", methods=["POST"])
@csrf_exempt
def receive():
    """A hub pushes its bundle: 200 ``{ok, result: imported|replaced|duplicate|older}``;
    400 malformed, 403 tampered or from an unregistered hub."""
    rate_limit("national_bundles", PUSHES_PER_MINUTE)
    data = request.get_data(cache=False)
    parsed = bundle.decode(data)
    answer = store.import_bundle(get_db(), parsed, "api:national",
                                 pairing_code=request.headers.get("X-Pairing-Code"))
    return jsonify({"ok": True, **answer})


def init_app(app) -> None:
    app.register_blueprint(bp)
