"""Live hosted games: the state machine over SQLite.

Every transition is a plain function ``(db, game_id, ..., now) -> result``
that runs in one transaction; ``now`` is the hub's clock in epoch seconds,
injected so tests can drive deadlines exactly. Nothing lives only in memory:
a hub restart mid-question resumes from the rows (``tick`` closes what
expired while it was down).

States: ``lobby`` → ``question`` ⇄ ``paused`` → ``reveal`` → ``question`` …
→ ``ended``. The client's own clock is never trusted: an answer counts only
when the server receives it before ``deadline + ANSWER_ALLOWANCE_S``.
Socket pushes are done by games.live.sockets from the returned results.
"""
from __future__ import annotations

import json
import logging
import secrets

from kiosk import nicknames
from kiosk.auth import hash_secret
from kiosk.capacity import DEFAULT_PLAYERS
from kiosk.audit import audit
from kiosk.db import transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.points import award
from kiosk.validation import is_int
from kiosk.signals import announce, game_ended

from games.quiz import questions
from games import scoring
from games.scoring import final_podium, reveal_summary

log = logging.getLogger(__name__)

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


def open_game_by_code(db, code) -> dict:
    """The open game with join ``code``. Raises NotFound ``unknown_code``."""
    code = str(code or "").strip().replace(" ", "")
    row = None
    if len(code) == 6 and code.isdigit():
        row = db.execute("SELECT * FROM games WHERE code = ? AND state != 'ended'", [code]).fetchone()
    if row is None:
        raise NotFound("unknown_code", "No open game has that code. Check the code on the big screen.")
    return dict(row)


# ------------------------------------------------------------------- joining

def join_by_code(db, code, now: float, nickname: str | None = None, lang: str = "vi",
                 cap: int | None = None) -> dict:
    """A walk-up joins the open game ``code`` with a custom (filtered) or generated nickname.

    Returns ``{"player": row, "token": rejoin token, "game": row}``; the token
    is shown once (only its hash is stored). Raises ``unknown_code``,
    ``bad_nickname``, ``game_full`` (``cap`` players, default MAX_PLAYERS).
    """
    game = open_game_by_code(db, code)
    name = nicknames.validate(nickname) if nickname else nicknames.generate(lang)
    return _add_player(db, game, None, name, now, cap)


def join_with_badge(db, code, attendee_id: int, now: float, cap: int | None = None) -> dict:
    """A badge holder joins (or rejoins) game ``code`` under their festival nickname.

    Rejoining returns the same player (score kept) with a new token. Raises
    ``unknown_code``, ``unknown_attendee``, ``player_removed``, ``game_full``.
    """
    game = open_game_by_code(db, code)
    person = db.execute("SELECT nickname FROM attendees WHERE id = ? AND purged_at IS NULL",
                        [attendee_id]).fetchone()
    if person is None:
        raise NotFound("unknown_attendee", "No such attendee.")
    existing = db.execute("SELECT * FROM players WHERE game_id = ? AND attendee_id = ?",
                          [game["id"], attendee_id]).fetchone()
    if existing is None:
        return _add_player(db, game, attendee_id, person["nickname"], now, cap)
    if existing["removed"]:
        raise ServiceError("player_removed", "The host removed you from this game.", status=403)
    token = secrets.token_urlsafe(18)
    with transaction(db):
        db.execute("UPDATE players SET rejoin_hash = ? WHERE id = ?", [hash_secret(token), existing["id"]])
    return {"player": dict(existing), "token": token, "game": game}


def _add_player(db, game: dict, attendee_id: int | None, nickname: str, now: float,
                cap: int | None = None) -> dict:
    """Insert the player in one statement (issue 17: a crowd of phones joins at once).

    Numbers run 1, 2, 3 … per game (purged players keep theirs used), so the
    highest number is the count of players ever joined: an index read, and
    the cap. A newcomer has 0 points and the latest ``reached_at``, so every
    active player ranks ahead: rank = active players + 1, gap = the lowest
    active score (as :func:`games.scoring.placed_last`). Raises ``game_full``.
    """
    token = secrets.token_urlsafe(18)
    with transaction(db):
        row = db.execute(
            "INSERT INTO players (game_id, num, attendee_id, nickname, rejoin_hash, reached_at, joined_at, "
            "rank, gap) SELECT g.id, t.top + 1, :a, :nick, :hash, :now, :now, g.players_active + 1, "
            "COALESCE((SELECT MIN(score) FROM players WHERE game_id = g.id AND removed = 0), 0) "
            "FROM games g, (SELECT COALESCE(MAX(num), 0) AS top FROM players WHERE game_id = :g) t "
            "WHERE g.id = :g AND t.top < :cap RETURNING *",
            {"g": game["id"], "a": attendee_id, "nick": nickname, "hash": hash_secret(token), "now": now,
             "cap": cap or MAX_PLAYERS}).fetchone()
        if row is None:
            raise ServiceError("game_full", "This game is full.", status=409)
        player = dict(row)
    return {"player": player, "token": token, "game": game}


def player_for_token(db, token) -> dict | None:
    """The (not removed) player holding rejoin ``token``, or None."""
    if not isinstance(token, str) or not 10 <= len(token) <= 100:
        return None
    row = db.execute("SELECT * FROM players WHERE rejoin_hash = ? AND removed = 0",
                     [hash_secret(token)]).fetchone()
    return dict(row) if row else None


def _player(db, game_id: int, player_id: int) -> dict:
    row = db.execute("SELECT * FROM players WHERE id = ? AND game_id = ?", [player_id, game_id]).fetchone()
    if row is None:
        raise NotFound("unknown_player", "No such player in this game.")
    return dict(row)


def hide_player(db, game_id: int, player_id: int, hidden: bool = True) -> dict:
    """Hide (or show again) a player's name on public screens. Raises ``unknown_player``."""
    with transaction(db):
        _player(db, game_id, player_id)
        db.execute("UPDATE players SET hidden = ? WHERE id = ?", [int(bool(hidden)), player_id])
        return _player(db, game_id, player_id)


def remove_player(db, game_id: int, player_id: int) -> dict:
    """Remove a player: their token stops working and they leave every ranking
    (the others' stored ranks are recomputed). Raises ``unknown_player``.
    """
    with transaction(db):
        _player(db, game_id, player_id)
        db.execute("UPDATE players SET removed = 1, rank = NULL WHERE id = ?", [player_id])
        scoring.store_ranks(db, _game(db, game_id))
        return _player(db, game_id, player_id)


# ------------------------------------------------------------------ questions

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
        return {"kind": "question", "game": game, "question": question_payload(db, game)}


start_game = next_question


def pause(db, game_id: int, now: float) -> dict:
    """Freeze the open question's remaining time. Raises ``bad_state``."""
    with transaction(db):
        game = _game(db, game_id)
        _require_state(game, "question")
        remaining = max(0.0, game["deadline"] - now)
        db.execute("UPDATE games SET state = 'paused', paused_remaining = ? WHERE id = ?", [remaining, game_id])
        return _game(db, game_id)


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
        return {"game": game, "question": question_payload(db, game)}


# -------------------------------------------------------------------- answers

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


# ------------------------------------------------------------------- closing

def close_question(db, game_id: int, now: float, idx: int | None = None, scored: bool = True) -> dict | None:
    """Close the open question and apply its scores (or not, when ``scored`` is False: a skip).

    With ``idx``, does nothing (returns None) unless that question is still
    the open one, so the clock, the last answer and the host racing to close
    it close it once. Returns the reveal summary (see games.standings).
    """
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
            close_question(db, game_id, now, scored=False)
        db.execute("UPDATE games SET state = 'ended', ended_at = ?, deadline = NULL WHERE id = ?", [now, game_id])
        _award_ledger(db, game_id)
        announce(db, game_ended, game_id=game_id)
        result = {"kind": "end", "game": _game(db, game_id), **final_podium(db, _game(db, game_id))}
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
