"""What a (re)connecting client needs to draw the game, and the live counters
the host and big screen see: reads only, no pushes."""
from __future__ import annotations

from flask import current_app, has_app_context

from kiosk.i18n import both

from games.live import clock as live_clock
from games.live import game as live
from games import scoring

LOBBY_NAMES = 40  # the big screen lists the most recent names, not 2,000 of them


def screen_reveal(summary: dict) -> dict:
    """The reveal as the big screen and host see it (no per-player data)."""
    return {"g": summary["game"]["id"], "i": summary["i"], "c": summary["correct"],
            "sp": summary["spread"], "a": summary["answered"], "n": len(summary["results"]),
            "top": summary["top"], "sk": int(summary["skipped"]), "ex": summary["explain"]}


def live_counts(db, game_id: int) -> dict:
    """Players, answers to the open question and the newest public names (counters, not COUNTs)."""
    game = live.get_game(db, game_id)
    players = game["players_active"]
    row = db.execute("SELECT answered FROM game_questions WHERE game_id = ? AND idx = ?",
                     [game_id, game["current_idx"]]).fetchone()
    answered = row[0] if row else 0
    rows = db.execute("SELECT p.num, p.nickname, p.hidden, p.attendee_id, a.nickname AS badge_nickname, "
                      "a.consent_public, a.nickname_hidden FROM players p "
                      "LEFT JOIN attendees a ON a.id = p.attendee_id WHERE p.game_id = ? AND p.removed = 0 "
                      "ORDER BY p.num DESC LIMIT ?", [game_id, LOBBY_NAMES]).fetchall()
    payload = {"g": game_id, "st": game["state"], "np": players, "a": answered,
               "names": [{"no": r["num"], "nm": scoring.public_name(r)} for r in rows]}
    joined = db.execute("SELECT COALESCE(MAX(num), 0) FROM players WHERE game_id = ?", [game_id]).fetchone()[0]
    cap = player_cap()
    if joined >= cap:
        # The big screen says so, since the phones refused (game_full) are not in the room.
        payload["full"] = both("The game is full: %(n)s players. No more can join.", n=cap)
    return payload


def player_cap() -> int:
    """Players per game: GAME_MAX_PLAYERS, else games.live.game.MAX_PLAYERS (docs/games.md)."""
    cap = current_app.config.get("GAME_MAX_PLAYERS") if has_app_context() else None
    return cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else live.MAX_PLAYERS


def player_snapshot(db, player: dict) -> dict:
    """What a (re)connecting phone needs: game state, own score and rank, the open question."""
    game = live.get_game(db, player["game_id"])
    snap = {"g": game["id"], "st": game["state"], "i": game["current_idx"], "nq": game["question_count"],
            "me": {"no": player["num"], "nick": player["nickname"]}, "now": live_clock.now_ms(),
            **scoring.own_standing(db, game, player)}
    question = live.question_payload(db, game)
    if question is not None:
        snap["q"] = question
        stored = db.execute("SELECT choice FROM game_answers WHERE player_id = ? AND idx = ?",
                            [player["id"], game["current_idx"]]).fetchone()
        snap["ans"] = stored is not None
    if game["state"] == "reveal":
        stored = db.execute("SELECT correct, points FROM game_answers WHERE player_id = ? AND idx = ?",
                            [player["id"], game["current_idx"]]).fetchone()
        skipped = db.execute("SELECT skipped FROM game_questions WHERE game_id = ? AND idx = ?",
                             [game["id"], game["current_idx"]]).fetchone()[0]
        snap["rv"] = {"i": game["current_idx"], "ok": None if stored is None else bool(stored["correct"]),
                      "pts": 0 if stored is None or skipped else stored["points"], "sk": skipped}
    if game["state"] == "ended":
        snap["pod"] = scoring.final_podium(db, game)["podium"]
    return snap


def stage_snapshot(db, game_id: int) -> dict:
    """What a (re)connecting host or big screen needs to draw the current state."""
    game = live.get_game(db, game_id)
    snap = {"game": {"id": game["id"], "code": game["code"], "title": game["title"], "mode": game["mode"],
                     "streak": game["streak_bonus"], "n": game["question_count"]},
            "st": game["state"], "i": game["current_idx"], "now": live_clock.now_ms(), **live_counts(db, game_id)}
    question = live.question_payload(db, game)
    if question is not None:
        snap["q"] = question
    if game["state"] == "reveal":
        snap["rv"] = screen_reveal(scoring.reveal_summary(db, game, game["current_idx"]))
    if game["state"] == "ended":
        snap["pod"] = scoring.final_podium(db, game)["podium"]
    return snap
