"""An attendee's day on one page, for the desk (a parent asks) and the
organiser: check-ins and undos, zone visits, points with their sources,
rewards, self-paced quiz rounds and live games.

Reads the other features' tables by SQL (zones, ledger, rewards, quiz and
game tables), as kiosk/ops/purge.py does: checkin never imports games. A
table a feature did not install is skipped.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.audit import audit
from kiosk.auth import current_principal, role_required
from kiosk.db import get_db, transaction
from kiosk.errors import NotFound
from kiosk.tokens import pretty

bp = Blueprint("day", __name__)


def _tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _rows(db, sql: str, params) -> list[dict]:
    return [dict(r) for r in db.execute(sql, params)]


def attendee_day(db, attendee_id: int) -> dict:
    """Everything one attendee did, each list oldest first. Raises NotFound
    ``unknown_attendee``."""
    person = db.execute("SELECT a.*, b.token FROM attendees a LEFT JOIN badges b ON b.attendee_id = a.id "
                        "AND b.revoked_at IS NULL WHERE a.id = ? AND a.purged_at IS NULL",
                        [attendee_id]).fetchone()
    if person is None:
        raise NotFound("unknown_attendee", "No such attendee.")
    have = _tables(db)
    day = {"person": dict(person, badge=pretty(person["token"]) if person["token"] else None)}
    day["checkins"] = _rows(db, "SELECT at, station, method, by, undone_at, undone_by FROM checkins "
                                "WHERE attendee_id = ? ORDER BY at, id", [attendee_id])
    day["visits"] = _rows(db, "SELECT v.at, v.kind, v.points, z.name_vi, z.name_en FROM visits v "
                              "JOIN zones z ON z.id = v.zone_id WHERE v.attendee_id = ? ORDER BY v.at, v.id",
                          [attendee_id])
    day["points"] = _rows(db, "SELECT at, points, source, reference, reason FROM ledger WHERE attendee_id = ? "
                              "ORDER BY at, id", [attendee_id])
    day["total"] = sum(p["points"] for p in day["points"])
    day["rewards"] = _rows(db, "SELECT p.reward_vi, p.reward_en, p.name_vi, p.name_en, r.unlocked_at, "
                               "r.claimed_at, r.claimed_by FROM rewards r JOIN passport_rules p ON p.id = r.rule_id "
                               "WHERE r.attendee_id = ? ORDER BY r.unlocked_at, r.id", [attendee_id])
    day["rounds"] = []
    if {"quiz_rounds", "quiz_answers"} <= have:
        day["rounds"] = _rows(db, "SELECT r.id, r.bank, r.scored, r.started_at, r.finished_at, r.score, "
                                  "json_array_length(r.question_ids) AS questions, "
                                  "(SELECT COUNT(*) FROM quiz_answers a WHERE a.round_id = r.id) AS answered, "
                                  "(SELECT COUNT(*) FROM quiz_answers a WHERE a.round_id = r.id AND a.correct) "
                                  "AS correct FROM quiz_rounds r WHERE r.attendee_id = ? ORDER BY r.started_at, r.id",
                              [attendee_id])
    day["games"] = []
    if {"players", "games"} <= have:
        day["games"] = _rows(db, "SELECT g.id, g.title, datetime(g.created_at, 'unixepoch') AS started, g.state, "
                                 "p.nickname, p.score, p.correct_count, p.rank, p.removed, g.question_count "
                                 "FROM players p JOIN games g ON g.id = p.game_id WHERE p.attendee_id = ? "
                                 "ORDER BY g.created_at, g.id", [attendee_id])
    return day


def progress(db, attendee_ids: list[int]) -> dict[int, dict]:
    """Points and the last zone visited of each attendee in ``attendee_ids``
    (the desk's search results): ``{id: {"points", "last_zone"}}`` where
    ``last_zone`` is ``{"vi", "en", "at"}`` or None."""
    ids = [int(i) for i in attendee_ids][:200]
    if not ids:
        return {}
    marks = ",".join("?" for _ in ids)
    out = {i: {"points": 0, "last_zone": None} for i in ids}
    for r in db.execute(f"SELECT attendee_id, points FROM point_totals WHERE attendee_id IN ({marks})", ids):
        out[r["attendee_id"]]["points"] = r["points"]
    # SQLite returns the bare columns of the row holding MAX(v.at).
    for r in db.execute(f"SELECT v.attendee_id, MAX(v.at) AS at, z.name_vi, z.name_en FROM visits v "
                        f"JOIN zones z ON z.id = v.zone_id WHERE v.attendee_id IN ({marks}) AND v.kind != 'exit' "
                        f"GROUP BY v.attendee_id", ids):
        out[r["attendee_id"]]["last_zone"] = {"vi": r["name_vi"], "en": r["name_en"], "at": r["at"]}
    return out


@bp.route("/attendees/<id:attendee_id>/day")
@role_required("desk")
def page(attendee_id: int):
    """One attendee's day (desk and admin); each look is audit-logged."""
    db = get_db()
    day = attendee_day(db, attendee_id)
    with transaction(db):
        audit(db, current_principal().actor, "attendee.day", f"attendee:{attendee_id}", None)
    return render_template("checkin/day.html", d=day)
