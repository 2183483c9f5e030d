"""A player's answer to the open question: server-timed, one row, the
player's standing in the ack. (Closing a question when everyone answered is
games.live.game.settle_answers.)"""
from __future__ import annotations

import json

from kiosk.db import transaction
from kiosk.errors import ServiceError
from kiosk.validation import is_int

from games.quiz import questions
from games import scoring
from games.live.state import ANSWER_ALLOWANCE_S, _game, _question_row


def answer(db, player_id: int, idx, choice, client_id, now: float) -> dict:
    """Record a player's one answer to question ``idx`` (server-timed).

    Returns ``{"ok": True, "i", "ms" (server-measured elapsed), "replayed",
    "all_answered", "game_id"}``, plus the player's ``standing`` (as
    :func:`games.scoring.own_standing`) for a new answer; correctness and
    points stay hidden until the reveal. The same ``client_id`` again
    returns the stored answer with ``replayed`` true. The cost does not grow
    with the players: a few indexed reads and one insert (the answered
    counter is kept by a trigger). Raises ``bad_answer``, ``bad_choice``,
    ``already_answered``, ``paused``, ``not_open``, ``too_late``.
    """
    if not is_int(idx):
        raise ServiceError("bad_answer", "That answer could not be read.")
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= 64:
        raise ServiceError("bad_answer", "That answer could not be read.")
    with transaction(db):
        player = db.execute("SELECT * FROM players WHERE id = ? AND removed = 0", [player_id]).fetchone()
        if player is None:
            raise ServiceError("player_removed", "The host removed you from this game.", status=403)
        stored = db.execute("SELECT * FROM game_answers WHERE player_id = ? AND idx = ?",
                            [player_id, idx]).fetchone()
        if stored is not None:
            if stored["client_id"] != client_id:
                raise ServiceError("already_answered", "You already answered this question.", status=409)
            return _ack(stored, player["game_id"], replayed=True, all_answered=False)
        game = _game(db, player["game_id"])
        _check_open(game, idx, now)
        gq = _question_row(db, game["id"], idx)
        q = questions.get_question(db, gq["question_id"])
        picked = questions.validate_choice(q, choice)
        correct = questions.check_answer(q, picked)
        limit_ms = gq["time_limit"] * 1000
        elapsed_ms = min(limit_ms, max(0, round((now - game["question_started_at"]) * 1000)))
        share = scoring.credit(q["correct"], picked)  # partial credit on multi-answer questions
        points = scoring.answer_points(game["mode"], share, elapsed_ms, limit_ms,
                                       player["streak"], bool(game["streak_bonus"]))
        db.execute(
            "INSERT INTO game_answers (game_id, player_id, idx, choice, correct, points, elapsed_ms, "
            "client_id, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [game["id"], player_id, idx, json.dumps(picked), int(correct), points, elapsed_ms, client_id, now])
        ack = _ack({"idx": idx, "elapsed_ms": elapsed_ms}, game["id"], replayed=False,
                   all_answered=_all_answered(db, game["id"], idx, game["players_active"]))
        if player["rank"] is not None:
            # The standing as of the question's start, from the rows already read.
            ack["standing"] = {"sc": player["score"], "rk": player["rank"], "gap": player["gap"],
                               "n": game["players_active"], "stk": player["streak"]}
        return ack


def _check_open(game: dict, idx: int, now: float) -> None:
    """Refuse an answer unless question ``idx`` is open on the server's clock."""
    if game["state"] == "paused" and idx == game["current_idx"]:
        raise ServiceError("paused", "The game is paused. Wait for the host.", status=409)
    if idx > game["current_idx"] or game["state"] == "lobby":
        raise ServiceError("not_open", "That question is not open yet.", status=409)
    if game["state"] != "question" or idx < game["current_idx"] or now > game["deadline"] + ANSWER_ALLOWANCE_S:
        raise ServiceError("too_late", "Time is up: that answer came too late.", status=409)


def _ack(stored, game_id: int, replayed: bool, all_answered: bool) -> dict:
    return {"ok": True, "game_id": game_id, "i": stored["idx"], "ms": stored["elapsed_ms"],
            "replayed": replayed, "all_answered": all_answered}


def _all_answered(db, game_id: int, idx: int, players: int) -> bool:
    """True when every active player answered ``idx`` (counters kept by triggers, m080)."""
    answered = db.execute("SELECT answered FROM game_questions WHERE game_id = ? AND idx = ?",
                          [game_id, idx]).fetchone()[0]
    return answered >= players
