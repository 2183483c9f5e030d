"""Organiser pages for operations: the audit log, withdrawing one attendee's
data, and the local CA certificate download for kiosks."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db
from kiosk.errors import NotFound, ServiceError
from kiosk.ops.purge import withdraw_attendee
from kiosk.ops.tls import ca_cert_path

bp = Blueprint("ops", __name__)

PAGE_SIZE = 50
MAX_FILTER = 60


def _page_number() -> int:
    """?page= as a positive number; anything else is page 1 (never an error)."""
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        return 1
    return min(max(page, 1), 1_000_000)


def audit_rows(db, action: str, page: int) -> tuple[list[dict], int]:
    """One page of the audit log, newest first, filtered by an action or an
    action family ("device." matches every device action). Returns (rows, total)."""
    where, params = "", []
    if action:
        where, params = ("WHERE action LIKE ? ESCAPE '\\'", [_like_prefix(action)]) if action.endswith(".") \
            else ("WHERE action = ?", [action])
    total = db.execute(f"SELECT COUNT(*) FROM audit_log {where}", params).fetchone()[0]
    rows = db.execute(f"SELECT id, at, actor, action, target, detail FROM audit_log {where} "
                      "ORDER BY id DESC LIMIT ? OFFSET ?", [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE])
    return [dict(r) for r in rows], total


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def action_choices(db) -> list[str]:
    """Every action in the log plus its family ("device."), sorted."""
    actions = [r[0] for r in db.execute("SELECT DISTINCT action FROM audit_log")]
    families = {a.split(".", 1)[0] + "." for a in actions if "." in a}
    return sorted(set(actions) | families)


@bp.route("/admin/audit")
@role_required("admin")
def audit_page():
    db = get_db()
    action = request.args.get("action", "")[:MAX_FILTER]
    page = _page_number()
    rows, total = audit_rows(db, action, page)
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("admin/audit.html", rows=rows, total=total, page=page, pages=pages,
                           action=action, choices=action_choices(db))


def _attendee_summary(db, attendee_id: int) -> dict:
    row = db.execute("SELECT id, full_name, nickname, age_band, school, class_name, checked_in_at "
                     "FROM attendees WHERE id = ?", [attendee_id]).fetchone()
    if row is None:
        raise NotFound("unknown_attendee", "No such attendee.")
    return dict(row)


@bp.route("/admin/attendees/<id:attendee_id>/withdraw", methods=["GET", "POST"])
@role_required("admin")
def withdraw(attendee_id: int):
    """GET: confirm page. POST with confirm=yes: delete the person's data at once."""
    db = get_db()
    if request.method == "GET":
        return render_template("admin/withdraw.html", attendee=_attendee_summary(db, attendee_id), error=None)
    if request.form.get("confirm") != "yes":
        error = ServiceError("confirm_required", "Tick the box to confirm that consent was withdrawn.")
        return render_template("admin/withdraw.html", attendee=_attendee_summary(db, attendee_id),
                               error=error), 400
    withdraw_attendee(db, attendee_id, current_principal().actor)
    return render_template("admin/withdrawn.html", attendee_id=attendee_id)


@bp.route("/ca.crt")
def ca_certificate():
    """The local CA certificate kiosks install to trust the hub's HTTPS (never a key)."""
    path = ca_cert_path(current_app.instance_path)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/x-x509-ca-cert", as_attachment=True,
                     download_name="festival-kiosk-ca.crt", max_age=0)
