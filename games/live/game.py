"""Live hosted games: the state machine over SQLite.

Every transition is a plain function ``(db, game_id, ..., now) -> result``
that runs in one transaction; ``now`` is the hub's clock in epoch seconds,
injected so tests can drive deadlines exactly. Nothing lives only in memory:
a hub restart mid-question resumes from the rows (``tick`` closes what
expired while it was down).

States: ``lobby`` → ``question`` ⇄ ``paused`` → ``reveal`` → ``question`` …
→ ``ended``. The client's own clock is never trusted: an answer counts only
when the server receives it before ``deadline + ANSWER_ALLOWANCE_S``.
Each transition announces what it changed (kiosk.signals.announce, after
its commit); games/live/pushes.py turns the announcements into pushes.
"""
from __future__ import annotations

import logging
import secrets

from kiosk.audit import audit
from kiosk.db import transaction
from kiosk.errors import ServiceError
from kiosk.points import award
from kiosk.validation import is_int
from kiosk.signals import (announce, game_counts_changed, game_ended, game_paused, game_resumed, question_closed,
                           question_opened)

from games.quiz import questions
from games import scoring
from games.scoring import final_podium, reveal_summary
# The parts of a game in their own modules, named here too so callers keep one
# name (``live.join_by_code``, ``live.answer``): state (rows, limits), players
# (joining, hiding, removing), answering (one answer, server-timed).
from games.live.state import (ANSWER_ALLOWANCE_S, CODE_ATTEMPTS, DEFAULT_TIME_LIMIT, MAX_PLAYERS,  # noqa: F401
                              OPEN_STATES, QUESTION_COUNT_RANGE, TIME_LIMIT_RANGE, _game, _question_row,
                              _require_state, get_game, open_game_by_code, question_payload)
from games.live.players import (hide_player, join_by_code, join_with_badge, player_for_token,  # noqa: F401
                                remove_player)
from games.live.answering import answer  # noqa: F401

__all__ = ["ANSWER_ALLOWANCE_S", "DEFAULT_TIME_LIMIT", "MAX_PLAYERS", "OPEN_STATES", "QUESTION_COUNT_RANGE",
           "TIME_LIMIT_RANGE", "get_game", "open_game_by_code", "question_payload", "join_by_code",
           "join_with_badge", "player_for_token", "hide_player", "remove_player", "answer", "create_game",
           "next_question", "start_game", "pause", "resume", "settle_answers", "close_question", "skip",
           "end_game", "tick"]

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ creating

def create_game(db, *, bank: str | None, count: int, mode: str = "speed", streak: bool = False,
                host: str, now: float, time_limit: int | None = None, title: str | None = None,
                question_ids: list[str] | None = None) -> dict:
    """Create a game in the lobby with ``count`` questions of ``bank`` and a fresh join code.

    ``time_limit`` overrides every question's own limit; ``question_ids`` picks
    exact questions instead of random ones. Raises ServiceError ``bad_mode``,
    ``bad_count``, ``bad_time_limit``, and the question store's
    ``unknown_bank`` / ``not_enough_questions`` / ``unknown_question``.
    """
    if mode not in scoring.MODES:
        raise ServiceError("bad_mode", "Choose speed or accuracy mode.")
    low, high = QUESTION_COUNT_RANGE
    if not is_int(count, low, high):
        raise ServiceError("bad_count", "A game has %(low)s to %(high)s questions.", low=low, high=high)
    if time_limit is not None and (not is_int(time_limit)
                                   or not TIME_LIMIT_RANGE[0] <= time_limit <= TIME_LIMIT_RANGE[1]):
        raise ServiceError("bad_time_limit", "The time limit must be %(low)s to %(high)s seconds.",
                           low=TIME_LIMIT_RANGE[0], high=TIME_LIMIT_RANGE[1])
    if question_ids:
        picked = questions.get_questions(db, list(question_ids)[:count])
        if len(picked) < count:
            raise ServiceError("not_enough_questions", "This question set has only %(count)s questions.",
                               count=len(picked))
    else:
        picked = questions.pick_questions(db, bank, count)
    title = (title or "").strip()[:80] or _bank_title(db, bank)
    with transaction(db):
        code = _free_code(db)
        cur = db.execute(
            "INSERT INTO games (code, bank, title, mode, streak_bonus, state, current_idx, "
            "question_count, host, created_at) VALUES (?, ?, ?, ?, ?, 'lobby', -1, ?, ?, ?)",
            [code, bank, title, mode, int(bool(streak)), count, host, now])
        game_id = cur.lastrowid
        for idx, q in enumerate(picked):
            limit = time_limit or q.get("time_limit") or DEFAULT_TIME_LIMIT
            db.execute("INSERT INTO game_questions (game_id, idx, question_id, time_limit) "
                       "VALUES (?, ?, ?, ?)", [game_id, idx, q["id"], limit])
        audit(db, host, "game.create", f"game:{game_id}", f"{bank or ''} x{count}"[:60])
    return _game(db, game_id)


def _bank_title(db, bank: str | None) -> str:
    row = db.execute("SELECT title_vi FROM question_banks WHERE bank = ?", [bank]).fetchone() if bank else None
    return row["title_vi"] if row else "Đố vui an toàn trên mạng"


def _free_code(db) -> str:
    """A random 6-digit code not used by any open game (the index enforces it too)."""
    for _ in range(CODE_ATTEMPTS):
        code = f"{secrets.randbelow(900_000) + 100_000}"
        if db.execute("SELECT 1 FROM games WHERE code = ? AND state != 'ended'", [code]).fetchone() is None:
            return code
    raise ServiceError("no_free_code", "No free join code; end an old game first.", status=503)


# ------------------------------------------------------------------ questions


def next_question(db, game_id: int, now: float) -> dict:
    """Open the next question (from the lobby or a reveal), or end after the last one.

    Returns ``{"kind": "question", "game": row, "question": payload}`` or the
    result of :func:`end_game` (``kind`` "end"). Raises ``bad_state``,
    ``no_players`` (starting an empty lobby).
    """
    with transaction(db):
        game = _game(db, game_id)
        _require_state(game, "lobby", "reveal")
        if game["state"] == "lobby" and not db.execute(
                "SELECT 1 FROM players WHERE game_id = ? AND removed = 0", [game_id]).fetchone():
            raise ServiceError("no_players", "Wait for at least one player to join.", status=409)
        idx = game["current_idx"] + 1
        if idx >= game["question_count"]:
            return end_game(db, game_id, now)
        limit = _question_row(db, game_id, idx)["time_limit"]
        db.execute("UPDATE games SET state = 'question', current_idx = ?, question_started_at = ?, "
                   "deadline = ?, paused_remaining = NULL WHERE id = ?", [idx, now, now + limit, game_id])
        game = _game(db, game_id)
        opened = {"kind": "question", "game": game, "question": question_payload(db, game)}
        announce(db, question_opened, opened=opened)
        return opened


start_game = next_question


def pause(db, game_id: int, now: float) -> dict:
    """Freeze the open question's remaining time. Raises ``bad_state``."""
    with transaction(db):
        game = _game(db, game_id)
        _require_state(game, "question")
        remaining = max(0.0, game["deadline"] - now)
        db.execute("UPDATE games SET state = 'paused', paused_remaining = ? WHERE id = ?", [remaining, game_id])
        game = _game(db, game_id)
        announce(db, game_paused, game=game)
        return game


def resume(db, game_id: int, now: float) -> dict:
    """Unfreeze: the deadline moves to now + the remaining time, and the start
    moves with it so the time spent paused never counts as answering time.
    Raises ``bad_state``."""
    with transaction(db):
        game = _game(db, game_id)
        _require_state(game, "paused")
        limit = _question_row(db, game_id, game["current_idx"])["time_limit"]
        deadline = now + game["paused_remaining"]
        db.execute("UPDATE games SET state = 'question', deadline = ?, question_started_at = ?, "
                   "paused_remaining = NULL WHERE id = ?", [deadline, deadline - limit, game_id])
        game = _game(db, game_id)
        resumed = {"game": game, "question": question_payload(db, game)}
        announce(db, game_resumed, resumed=resumed)
        return resumed


# -------------------------------------------------------------------- answers

def settle_answers(db, acks: list[dict], now: float) -> None:
    """After answers are stored (``acks`` from :func:`answer`): a question whose
    last active player answered closes now (its reveal is announced); the
    other games' counters changed (announced once each)."""
    closing = {(ack["game_id"], ack["i"]) for ack in acks if ack["all_answered"]}
    counting = sorted({ack["game_id"] for ack in acks} - {game_id for game_id, _i in closing})
    if counting:
        announce(db, game_counts_changed, game_ids=counting)  # no transaction open: sent at once
    for game_id, idx in sorted(closing):
        close_question(db, game_id, now, idx=idx)


# ------------------------------------------------------------------- closing

def close_question(db, game_id: int, now: float, idx: int | None = None, scored: bool = True) -> dict | None:
    """Close the open question and apply its scores (or not, when ``scored`` is False: a skip).

    With ``idx``, does nothing (returns None) unless that question is still
    the open one, so the clock, the last answer and the host racing to close
    it close it once. Returns the reveal summary (see games.standings), which
    is announced (``question_closed``).
    """
    with transaction(db):
        summary = _close(db, game_id, now, idx, scored)
        if summary is not None:
            announce(db, question_closed, summary=summary)
        return summary


def _close(db, game_id: int, now: float, idx: int | None, scored: bool) -> dict | None:
    """Close the open question (nothing announced: an ending game announces its end only)."""
    with transaction(db):
        game = _game(db, game_id)
        if game["state"] not in ("question", "paused") or (idx is not None and idx != game["current_idx"]):
            return None
        idx = game["current_idx"]
        if scored:
            _apply_scores(db, game_id, idx)
            scoring.store_ranks(db, game)
        db.execute("UPDATE game_questions SET closed_at = ?, skipped = ? WHERE game_id = ? AND idx = ?",
                   [now, int(not scored), game_id, idx])
        db.execute("UPDATE games SET state = 'reveal', paused_remaining = NULL WHERE id = ?", [game_id])
        return reveal_summary(db, _game(db, game_id), idx)


def _apply_scores(db, game_id: int, idx: int) -> None:
    """Add each answer's points (partial credit included); only a fully correct answer
    counts as correct (streak, accuracy, time); anything else breaks the streak."""
    db.execute(
        "UPDATE players SET score = players.score + a.points, streak = players.streak + a.correct, "
        "correct_count = players.correct_count + a.correct, "
        "total_time_ms = players.total_time_ms + a.correct * a.elapsed_ms, "
        "reached_at = a.answered_at FROM game_answers a "
        "WHERE a.player_id = players.id AND a.game_id = ? AND a.idx = ? AND a.points > 0",
        [game_id, idx])
    db.execute(
        "UPDATE players SET streak = 0 WHERE game_id = ? AND streak > 0 AND id NOT IN "
        "(SELECT player_id FROM game_answers WHERE game_id = ? AND idx = ? AND correct = 1)",
        [game_id, game_id, idx])


def skip(db, game_id: int, now: float) -> dict:
    """Close the open question without scoring it. Raises ``bad_state``."""
    with transaction(db):
        _require_state(_game(db, game_id), "question", "paused")
        return close_question(db, game_id, now, scored=False)


def end_game(db, game_id: int, now: float) -> dict:
    """End the game (early or after the last question): an open question is
    closed unscored, badge holders' scores go to the festival ledger once
    (``score // 100``, source "game"), and the podium is returned as
    ``{"kind": "end", "game", "podium", "standings"}``. Raises ``bad_state``.
    """
    with transaction(db):
        game = _game(db, game_id)
        _require_state(game, *OPEN_STATES)
        if game["state"] in ("question", "paused"):
            _close(db, game_id, now, None, scored=False)
        db.execute("UPDATE games SET state = 'ended', ended_at = ?, deadline = NULL WHERE id = ?", [now, game_id])
        _award_ledger(db, game_id)
        result = {"kind": "end", "game": _game(db, game_id), **final_podium(db, _game(db, game_id))}
        announce(db, game_ended, game_id=game_id, result=result)
    return result


def _award_ledger(db, game_id: int) -> None:
    """Badge holders' scores to the festival ledger (which announces the change)."""
    rows = db.execute("SELECT id, attendee_id, score FROM players WHERE game_id = ? AND removed = 0 "
                      "AND attendee_id IS NOT NULL", [game_id]).fetchall()
    for row in rows:
        points = scoring.ledger_points(row["score"])
        if points > 0:
            award(db, row["attendee_id"], points, "game", f"game:{game_id}:player:{row['id']}", "live game")


# --------------------------------------------------------------------- clock

def tick(db, now: float, waiting_since: float | None = None) -> list[dict]:
    """Close every question whose deadline (plus the allowance) has passed.

    Called by the clock task every ~0.15 s and by tests with an injected
    ``now``. ``waiting_since`` is the arrival time of the oldest answer still
    queued to be written (games/live/answers.py): a question whose answers
    may still be in that queue, having arrived in time, stays open until
    they are written (the next tick closes it). One game failing is logged
    and never stops the others. Returns the reveal summaries of the
    questions it closed.
    """
    due = db.execute("SELECT id, current_idx, deadline FROM games WHERE state = 'question' AND deadline < ?",
                     [now - ANSWER_ALLOWANCE_S]).fetchall()
    if waiting_since is not None:
        due = [row for row in due if waiting_since > row["deadline"] + ANSWER_ALLOWANCE_S]
    closed = []
    for row in due:
        try:
            summary = close_question(db, row["id"], now, idx=row["current_idx"])
        except Exception:  # noqa: BLE001 - one broken game must not stop the clock
            log.exception("closing game %s question %s failed", row["id"], row["current_idx"])
            continue
        if summary is not None:
            closed.append(summary)
    return closed
