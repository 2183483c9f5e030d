"""Self-paced quiz pages and their JSON API (blueprint "quiz").

Kiosk (role zone, a device of a 'quiz' zone, or an admin):
    GET  /quiz                                   full-screen quiz kiosk page
    POST /api/quiz/rounds {text, bank?}          scan a badge -> round state
    POST /api/quiz/rounds/<id>/answers {index, choice, client_id} -> feedback
    POST /api/quiz/rounds/<id>/finish            -> summary
Phone (public; the badge token in the URL is the credential, rate-limited per IP):
    GET  /b/<token>/quiz                         the same round UI on the attendee's phone
    POST /api/quiz/phone/<token>/rounds {bank?}  and .../rounds/<id>/answers, .../finish
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request, url_for

from kiosk.auth import require_role, role_required
from kiosk.badgecheck import PROBLEMS, lookup_badge
from kiosk.db import get_db
from kiosk.errors import Forbidden, NotFound, ServiceError, json_body
from kiosk.security import rate_limit
from kiosk.validation import is_int, row_id

from games.quiz import selfpaced
from games.quiz.questions import DEFAULT_BANK

bp = Blueprint("quiz", __name__)

PHONE_RATE = 120  # requests per minute per IP: a round is ~12 requests
BADGE_STATUS = {"invalid": 400, "unknown": 404, "replaced": 410}


def _bank(data: dict) -> str:
    bank = data.get("bank", DEFAULT_BANK)
    if bank is None:
        return DEFAULT_BANK
    if not isinstance(bank, str) or not 0 < len(bank) <= 64:
        raise ServiceError("bad_bank", "The question set name is not valid.")
    return bank


def _attendee_from_badge(db, text) -> int:
    """The attendee of scanned badge text; raises the red scan messages as ServiceError."""
    if not isinstance(text, str) or not text.strip() or len(text) > 300:
        raise ServiceError("invalid_badge", PROBLEMS["invalid"][1])
    found = lookup_badge(db, text)
    if found.status != "ok":
        code, message = PROBLEMS[found.status]
        raise ServiceError(code, message, status=BADGE_STATUS[found.status])
    return found.attendee_id


def _quiz_zone(db, principal, requested=None) -> dict | None:
    """The quiz zone this kiosk serves: a zone device's own zone (must be of kind
    'quiz'), or for an admin the zone named by ``requested`` (optional)."""
    zone_id = principal.zone_id if principal.role == "zone" else requested
    if zone_id is None and principal.role == "admin":
        return None
    row = db.execute("SELECT id, name_vi, name_en, kind FROM zones WHERE id = ?", [zone_id]).fetchone()
    if row is None or row["kind"] != "quiz":
        raise Forbidden("not_quiz_zone", "This kiosk is not paired to a quiz zone.")
    return dict(row)


# ---------------------------------------------------------------- kiosk

@bp.route("/quiz")
@role_required("zone")
def kiosk_page():
    principal = require_role("zone")
    zone = _quiz_zone(get_db(), principal, request.args.get("zone_id", type=row_id))
    return render_template("quiz/play.html", mode="kiosk", zone=zone,
                           start_url=url_for("quiz.kiosk_start"), base_url="/api/quiz/rounds")


@bp.route("/api/quiz/rounds", methods=["POST"])
@role_required("zone")
def kiosk_start():
    principal = require_role("zone")
    db = get_db()
    data = json_body()
    _quiz_zone(db, principal, data.get("zone_id") if is_int(data.get("zone_id"), 1) else None)
    bank = _bank(data)
    attendee_id = _attendee_from_badge(db, data.get("text"))
    device_id = principal.id if principal.kind == "device" else None
    state = selfpaced.start_round(db, attendee_id, bank, device_id=device_id)
    return jsonify({"ok": True, "round": state})


def _kiosk_round(round_id: int) -> int:
    """Check that this kiosk may act on the round (the device that started it, or an admin)."""
    principal = require_role("zone")
    rnd = selfpaced.get_round(get_db(), round_id)
    if principal.role != "admin" and rnd["device_id"] != principal.id:
        raise NotFound("unknown_round", "That quiz round does not exist.")
    return rnd["id"]


@bp.route("/api/quiz/rounds/<id:round_id>/answers", methods=["POST"])
@role_required("zone")
def kiosk_answer(round_id: int):
    return _answer(_kiosk_round(round_id))


@bp.route("/api/quiz/rounds/<id:round_id>/finish", methods=["POST"])
@role_required("zone")
def kiosk_finish(round_id: int):
    return jsonify({"ok": True, "summary": selfpaced.finish(get_db(), _kiosk_round(round_id))})


def _answer(round_id: int):
    data = json_body()
    feedback = selfpaced.answer(get_db(), round_id, data.get("index"), data.get("choice"),
                                data.get("client_id"))
    return jsonify({"ok": True, "feedback": feedback})


# ---------------------------------------------------------------- phone

def _phone_attendee(token: str) -> int:
    rate_limit("quiz_phone", limit=PHONE_RATE)
    return _attendee_from_badge(get_db(), token)


def _phone_round(token: str, round_id: int) -> int:
    attendee_id = _phone_attendee(token)
    rnd = selfpaced.get_round(get_db(), round_id)
    if rnd["attendee_id"] != attendee_id:
        raise NotFound("unknown_round", "That quiz round does not exist.")
    return rnd["id"]


@bp.route("/b/<token>/quiz")
def phone_page(token: str):
    _phone_attendee(token)
    return render_template("quiz/play.html", mode="phone", zone=None,
                           start_url=url_for("quiz.phone_start", token=token),
                           base_url=f"/api/quiz/phone/{token}/rounds")


@bp.route("/api/quiz/phone/<token>/rounds", methods=["POST"])
def phone_start(token: str):
    attendee_id = _phone_attendee(token)
    state = selfpaced.start_round(get_db(), attendee_id, _bank(json_body()))
    return jsonify({"ok": True, "round": state})


@bp.route("/api/quiz/phone/<token>/rounds/<id:round_id>/answers", methods=["POST"])
def phone_answer(token: str, round_id: int):
    return _answer(_phone_round(token, round_id))


@bp.route("/api/quiz/phone/<token>/rounds/<id:round_id>/finish", methods=["POST"])
def phone_finish(token: str, round_id: int):
    return jsonify({"ok": True, "summary": selfpaced.finish(get_db(), _phone_round(token, round_id))})


def init_app(app) -> None:
    app.register_blueprint(bp)
