"""Staff actions on what public screens show: hide or rename a nickname, and
staff bonus points. Each is one transaction with its audit row; the signal
(``nickname_changed`` / ``points_changed``) goes out after the commit, so
every stage screen re-renders within a board push (≤ 250 ms).

API (JSON, desk or admin; cookie requests need the CSRF header):

- ``POST /api/attendees/<id>/nickname {nickname?: str, hidden?: bool}``
- ``GET /api/moderation/nicknames?q=`` nickname search (staff view)
- ``POST /api/points/bonus {id, attendee_id, points, reason?}`` (admin only),
  idempotent on ``id`` through the ledger (source ``bonus``).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from kiosk import nicknames
from kiosk.audit import audit
from kiosk.auth import require_role, role_required
from kiosk.db import get_db, transaction
from kiosk.errors import ServiceError, json_body
from kiosk.points import award
from kiosk.validation import is_int
from kiosk.signals import announce, nickname_changed
from kiosk.text import fold

bp = Blueprint("moderation", __name__, url_prefix="/api")

MAX_BONUS = 1000


def _attendee(db, attendee_id: int):
    row = db.execute("SELECT id, nickname, nickname_hidden FROM attendees WHERE id = ? AND purged_at IS NULL",
                     [attendee_id]).fetchone()
    if row is None:
        raise ServiceError("unknown_attendee", "No such attendee.", status=404)
    return row


def moderate_nickname(db, attendee_id: int, by: str, nickname: str | None = None,
                      hidden: bool | None = None) -> dict:
    """Rename and/or hide (or show again) an attendee's public nickname.

    Returns ``{id, nickname, hidden, changed}``. Raises ServiceError
    ``unknown_attendee`` (404), ``bad_nickname`` (the filter refused it) or
    ``nothing_to_change``.
    """
    if nickname is None and hidden is None:
        raise ServiceError("nothing_to_change", "Send a new nickname or hidden: true/false.")
    new_name = nicknames.validate(nickname) if nickname is not None else None
    with transaction(db):
        row = _attendee(db, attendee_id)
        name = new_name if new_name is not None else row["nickname"]
        hide = int(hidden) if hidden is not None else row["nickname_hidden"]
        changed = name != row["nickname"] or hide != row["nickname_hidden"]
        if changed:
            db.execute("UPDATE attendees SET nickname = ?, nickname_hidden = ? WHERE id = ?",
                       [name, hide, attendee_id])
            detail = f"{row['nickname']} -> {name}" if name != row["nickname"] else None
            audit(db, by, "nickname.hide" if hide and not row["nickname_hidden"] else
                  "nickname.show" if not hide and row["nickname_hidden"] else "nickname.rename",
                  f"attendee:{attendee_id}", detail)
            announce(db, nickname_changed, attendee_id=attendee_id, nickname=name, hidden=bool(hide))
    return {"id": attendee_id, "nickname": name, "hidden": bool(hide), "changed": changed}


def search_nicknames(db, query: str, limit: int = 30) -> list[dict]:
    """Attendees whose nickname contains ``query`` (diacritics ignored), or the
    top of the festival board when the query is empty. Staff only: no tokens."""
    folded = fold(query or "")
    if not folded:
        rows = db.execute(
            "SELECT a.id, a.nickname, a.nickname_hidden, a.consent_public, t.points "
            "FROM point_totals t INDEXED BY point_totals_rank JOIN attendees a ON a.id = t.attendee_id "
            "WHERE a.purged_at IS NULL ORDER BY t.points DESC, t.reached_at LIMIT ?", [limit])
        return [dict(r) for r in rows]
    # Nicknames are short; a scan bounded by LIMIT is fine for a staff search box.
    found = []
    for r in db.execute("SELECT a.id, a.nickname, a.nickname_hidden, a.consent_public, "
                        "COALESCE(t.points, 0) AS points FROM attendees a "
                        "LEFT JOIN point_totals t ON t.attendee_id = a.id WHERE a.purged_at IS NULL"):
        if folded in fold(r["nickname"]):
            found.append(dict(r))
            if len(found) >= limit:
                break
    return found


def bonus(db, attendee_id: int, points: int, reason: str | None, bonus_id: str, by: str):
    """Give staff bonus points once per ``bonus_id``. Raises ``unknown_attendee``,
    ``bad_points``. Returns the ledger's :class:`kiosk.points.Award`."""
    if not is_int(points, -MAX_BONUS, MAX_BONUS) or points == 0:
        raise ServiceError("bad_points", "Points must be a whole number from 1 to %(n)s.", n=MAX_BONUS)
    with transaction(db):
        _attendee(db, attendee_id)
        result = award(db, attendee_id, points, "bonus", bonus_id, reason)
        if result.awarded:
            audit(db, by, "points.bonus", f"attendee:{attendee_id}", f"{points} {reason or ''}".strip())
    return result


@bp.route("/attendees/<id:attendee_id>/nickname", methods=["POST"])
@role_required("desk")
def post_nickname(attendee_id: int):
    """Hide/show or rename a nickname (desk or admin)."""
    principal = require_role("desk")
    payload = json_body()
    nickname, hidden = payload.get("nickname"), payload.get("hidden")
    if nickname is not None and not isinstance(nickname, str):
        raise ServiceError("bad_field", "The field %(field)s must be text.", field="nickname")
    if hidden is not None and not isinstance(hidden, bool):
        raise ServiceError("bad_field", "The field %(field)s must be true or false.", field="hidden")
    result = moderate_nickname(get_db(), attendee_id, principal.actor, nickname=nickname, hidden=hidden)
    return jsonify({"ok": True, **result})


@bp.route("/moderation/nicknames")
def get_nicknames():
    """Nickname search for the moderation panels (desk or admin)."""
    require_role("desk")
    return jsonify({"ok": True, "results": search_nicknames(get_db(), request.args.get("q", "")[:50])})


@bp.route("/points/bonus", methods=["POST"])
@role_required("admin")
def post_bonus():
    """Staff bonus points (admin); a repeat of the same ``id`` awards nothing more."""
    principal = require_role("admin")
    payload = json_body()
    bonus_id, attendee_id = payload.get("id"), payload.get("attendee_id")
    reason = payload.get("reason")
    if not isinstance(bonus_id, str) or not 8 <= len(bonus_id) <= 64:
        raise ServiceError("bad_field", "The field %(field)s must be text.", field="id")
    if not is_int(attendee_id, 1):
        raise ServiceError("bad_field", "The field %(field)s must be a whole number.", field="attendee_id")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 200):
        raise ServiceError("bad_field", "The field %(field)s must be text.", field="reason")
    result = bonus(get_db(), attendee_id, payload.get("points"), reason, bonus_id, principal.actor)
    return jsonify({"ok": True, "awarded": result.awarded, "points": result.points, "total": result.total})


def init_app(app) -> None:
    app.register_blueprint(bp)
