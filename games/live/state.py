"""What every part of a live game reads: its row, its state, its questions,
and the limits (games.live.game runs the state machine on them)."""
from __future__ import annotations

from kiosk.capacity import DEFAULT_PLAYERS
from kiosk.errors import NotFound, ServiceError

from games.quiz import questions

# How late (server time) an answer may arrive after the deadline and still
# count: covers the trip from a phone over crowded venue Wi-Fi.
ANSWER_ALLOWANCE_S = 0.3
DEFAULT_TIME_LIMIT = 20
TIME_LIMIT_RANGE = (5, 120)
QUESTION_COUNT_RANGE = (1, 30)
MAX_PLAYERS = DEFAULT_PLAYERS  # GAME_MAX_PLAYERS unset (kiosk/capacity.py)
CODE_ATTEMPTS = 50
OPEN_STATES = ("lobby", "question", "paused", "reveal")


def _game(db, game_id: int) -> dict:
    row = db.execute("SELECT * FROM games WHERE id = ?", [game_id]).fetchone()
    if row is None:
        raise NotFound("unknown_game", "That game does not exist.")
    return dict(row)


def get_game(db, game_id: int) -> dict:
    """The game row as a dict. Raises NotFound ``unknown_game``."""
    return _game(db, game_id)


def _require_state(game: dict, *states: str) -> None:
    if game["state"] not in states:
        err = ServiceError("bad_state", "The game cannot do that now.", status=409)
        err.extra["state"] = game["state"]
        raise err


def _question_row(db, game_id: int, idx: int) -> dict:
    row = db.execute("SELECT * FROM game_questions WHERE game_id = ? AND idx = ?", [game_id, idx]).fetchone()
    if row is None:
        raise NotFound("unknown_question", "That question does not exist.")
    return dict(row)


def question_payload(db, game: dict) -> dict | None:
    """The open question as sent to players (no answer), or None when none is open.

    Short keys (docs/games.md): ``g`` game, ``i`` index, ``n`` count, ``p``
    prompt {vi,en}, ``o`` options [{vi,en}], ``m`` 1 when several answers
    may be chosen, ``lim`` limit ms, ``dl`` deadline (server epoch ms),
    ``rem`` ms left when paused.
    """
    if game["state"] not in ("question", "paused"):
        return None
    gq = _question_row(db, game["id"], game["current_idx"])
    pub = questions.public_question(questions.get_question(db, gq["question_id"]))
    payload = {"g": game["id"], "i": game["current_idx"], "n": game["question_count"],
               "p": pub["prompt"], "o": pub["options"], "m": int(pub["select"] == "many"),
               "lim": gq["time_limit"] * 1000, "dl": round(game["deadline"] * 1000)}
    if game["state"] == "paused":
        payload["rem"] = round(game["paused_remaining"] * 1000)
    return payload


def open_game_by_code(db, code) -> dict:
    """The open game with join ``code``. Raises NotFound ``unknown_code``."""
    code = str(code or "").strip().replace(" ", "")
    row = None
    if len(code) == 6 and code.isdigit():
        row = db.execute("SELECT * FROM games WHERE code = ? AND state != 'ended'", [code]).fetchone()
    if row is None:
        raise NotFound("unknown_code", "No open game has that code. Check the code on the big screen.")
    return dict(row)
