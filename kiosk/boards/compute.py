"""Live leaderboards: what each board shows, computed from the totals tables.

Boards (ids as used in rooms ``board:<id>``):

- ``overall``: festival points from ``point_totals`` (index ``point_totals_rank``);
- ``schools`` / ``classes``: average points per active member (a member with
  points), or the sum (setting ``school_board_mode``), from ``board_group_totals``
  which triggers keep in step with ``point_totals`` (migration m050);
- ``zone:<id>``: points earned at one zone, from ``zone_totals`` (kept by
  triggers on ``visits``, index ``zone_totals_rank``);
- ``game:<id>`` and any other prefix a feature registers with
  :func:`register_source` (the games feature builds its rows with
  :func:`board_payload`).

Public payloads carry no personal data: a person is shown by nickname only
when ``consent_public = 1`` and ``nickname_hidden = 0``; everyone else is
"Người chơi #1234" / "Player #1234" (a keyed hash of the id, not a token) or
left out (setting ``anonymous_display`` = ``anonymous`` | ``hide``). Group
boards name schools and classes, never people.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from kiosk.db import get_setting

DEFAULT_SIZE = 10
MAX_SIZE = 50

_sources: dict = {}
_bare: set[str] = set()  # sources whose board is the bare name ("national"), no id


# --- public names -------------------------------------------------------------

def _keyed(secret: str, kind: str, ident) -> str:
    return hmac.new(secret.encode(), f"{kind}:{ident}".encode(), hashlib.sha256).hexdigest()


def anonymous_number(secret: str, attendee_id: int) -> int:
    """A stable 4-digit number for an attendee that reveals nothing (keyed hash)."""
    return 1000 + int(_keyed(secret, "anon", attendee_id)[:8], 16) % 9000


def public_entry(secret: str, attendee_id: int, nickname: str, consent_public, hidden) -> dict:
    """How one person appears on a public board: a key for the screen's row,
    and either the nickname or an anonymous label in both languages."""
    key = "p" + _keyed(secret, "row", attendee_id)[:12]
    if consent_public and not hidden:
        return {"key": key, "name_vi": nickname, "name_en": nickname, "anonymous": False}
    number = anonymous_number(secret, attendee_id)
    return {"key": key, "name_vi": f"Người chơi #{number}", "name_en": f"Player #{number}",
            "anonymous": True}


def board_payload(board_id: str, title_vi: str, title_en: str, entries, limit: int = DEFAULT_SIZE,
                  unit_vi: str = "điểm", unit_en: str = "points") -> dict:
    """Build a board payload from ``entries``: (label, score, reached_at[, key]) tuples.

    ``label`` is shown as is, so it must already be public (a nickname a player
    chose for the game, or :func:`public_entry`'s name). Higher score first;
    ties go to the earlier ``reached_at``. Keys default to a hash of the label.
    Used by the games feature for ``game:<id>`` boards.
    """
    rows = []
    for entry in entries:
        label, score, reached = entry[0], entry[1], entry[2]
        key = entry[3] if len(entry) > 3 else "g" + hashlib.sha256(str(label).encode()).hexdigest()[:12]
        rows.append({"key": key, "name_vi": str(label), "name_en": str(label), "anonymous": False,
                     "score": score, "_at": reached or ""})
    rows.sort(key=lambda r: (-r["score"], r["_at"]))
    return _finish(board_id, title_vi, title_en, rows[:limit], unit_vi, unit_en)


def _finish(board_id, title_vi, title_en, rows, unit_vi="điểm", unit_en="points") -> dict:
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
        row.pop("_at", None)
    return {"board": board_id, "title_vi": title_vi, "title_en": title_en,
            "unit_vi": unit_vi, "unit_en": unit_en, "rows": rows}


# --- boards from the database ---------------------------------------------------

def board_settings(db) -> dict:
    """The festival's board settings (stored in ``settings``), with safe defaults."""
    anonymous = get_setting(db, "anonymous_display", "anonymous")
    mode = get_setting(db, "school_board_mode", "average")
    try:
        size = max(3, min(MAX_SIZE, int(get_setting(db, "board_size", DEFAULT_SIZE))))
    except (TypeError, ValueError):
        size = DEFAULT_SIZE
    return {"anonymous_display": anonymous if anonymous in ("anonymous", "hide") else "anonymous",
            "school_board_mode": mode if mode in ("average", "sum") else "average",
            "board_size": size}


def _people(db, secret, sql, params, size) -> list[dict]:
    rows = []
    for r in db.execute(sql, params):
        row = public_entry(secret, r["attendee_id"], r["nickname"], r["consent_public"], r["nickname_hidden"])
        row["score"] = r["points"]
        rows.append(row)
    return rows[:size]


def _visible_clause(settings) -> str:
    # "hide" filters inside the index walk, so the LIMIT still stops it early.
    if settings["anonymous_display"] == "hide":
        return " AND a.consent_public = 1 AND a.nickname_hidden = 0"
    return ""


def overall_board(db, secret: str, settings: dict) -> dict:
    """Top N festival points; walks ``point_totals_rank`` and stops at N rows."""
    sql = ("SELECT t.attendee_id, t.points, a.nickname, a.consent_public, a.nickname_hidden "
           "FROM point_totals t INDEXED BY point_totals_rank JOIN attendees a ON a.id = t.attendee_id "
           "WHERE t.points > 0 AND a.purged_at IS NULL" + _visible_clause(settings) +
           " ORDER BY t.points DESC, t.reached_at ASC LIMIT ?")
    rows = _people(db, secret, sql, [settings["board_size"]], settings["board_size"])
    return _finish("overall", "Bảng xếp hạng lễ hội", "Festival leaderboard", rows)


def zone_board(db, secret: str, settings: dict, zone_id: int) -> dict | None:
    """Top N points earned at one zone (``zone_totals_rank``); None for an unknown zone."""
    zone = db.execute("SELECT name_vi, name_en FROM zones WHERE id = ?", [zone_id]).fetchone()
    if zone is None:
        return None
    sql = ("SELECT z.attendee_id, z.points, a.nickname, a.consent_public, a.nickname_hidden "
           "FROM zone_totals z INDEXED BY zone_totals_rank JOIN attendees a ON a.id = z.attendee_id "
           "WHERE z.zone_id = ? AND z.points > 0 AND a.purged_at IS NULL" + _visible_clause(settings) +
           " ORDER BY z.points DESC, z.reached_at ASC LIMIT ?")
    rows = _people(db, secret, sql, [zone_id, settings["board_size"]], settings["board_size"])
    return _finish(f"zone:{zone_id}", zone["name_vi"], zone["name_en"], rows)


def group_board(db, settings: dict, by_class: bool) -> dict:
    """Schools (or classes) ranked by average points per active member, or the sum.

    Reads ``board_group_totals`` (one row per class), never the ledger.
    """
    average = settings["school_board_mode"] == "average"
    score = "avg_score" if average else "points"
    # Both tables are kept by triggers; the partial indexes on (score, reached_at)
    # make this a range read of board_size rows, never a GROUP BY.
    if by_class:
        sql = (f"SELECT school_fold, school, class_name, {score} AS score, reached_at, active "
               f"FROM board_group_totals WHERE active > 0 ORDER BY {score} DESC, reached_at ASC LIMIT ?")
    else:
        sql = (f"SELECT school_fold, school, '' AS class_name, {score} AS score, reached_at, active "
               f"FROM board_school_totals WHERE active > 0 ORDER BY {score} DESC, reached_at ASC LIMIT ?")
    rows = []
    for r in db.execute(sql, [settings["board_size"]]):
        label = f"{r['school']} · {r['class_name']}" if by_class and r["class_name"] else r["school"]
        ident = f"{r['school_fold']}|{r['class_name'] if by_class else ''}"
        rows.append({"key": "s" + hashlib.sha256(ident.encode()).hexdigest()[:12],
                     "name_vi": label, "name_en": label, "anonymous": False,
                     "score": round(r["score"], 1) if average else r["score"], "members": r["active"]})
    unit_vi, unit_en = ("điểm / người", "points each") if average else ("điểm", "points")
    if by_class:
        return _finish("classes", "Bảng xếp hạng lớp", "Class leaderboard", rows, unit_vi, unit_en)
    return _finish("schools", "Bảng xếp hạng trường", "School leaderboard", rows, unit_vi, unit_en)


def register_source(prefix: str, builder, bare: bool = False) -> None:
    """Let a feature serve boards ``<prefix>:<id>``: ``builder(db, int_id) -> payload | None``.

    The games feature registers ``"game"`` and calls ``mark_dirty("game:<id>")``
    after each change; the publisher coalesces and pushes to ``board:game:<id>``.
    With ``bare`` the board is the name alone (``"national"``): ``builder(db, None)``.
    """
    _sources[prefix] = builder
    if bare:
        _bare.add(prefix)


def is_bare_source(name: str) -> bool:
    """Whether ``name`` is a board a feature registered without an id."""
    return name in _bare


def compute_board(db, board_id: str, secret: str | None = None) -> dict | None:
    """The current payload of ``board_id``, or None when there is no such board."""
    secret = secret or current_app.config["SECRET_KEY"]
    settings = board_settings(db)
    if board_id == "overall":
        return overall_board(db, secret, settings)
    if board_id in ("schools", "classes"):
        return group_board(db, settings, board_id == "classes")
    if board_id in _bare:
        return _sources[board_id](db, None)
    prefix, _, ident = board_id.partition(":")
    if prefix == "zone" and ident.isascii() and ident.isdigit():
        return zone_board(db, secret, settings, int(ident))
    builder = _sources.get(prefix)
    if builder is not None and ident.isascii() and ident.isdigit():
        return builder(db, int(ident))
    return None
