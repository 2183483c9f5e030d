"""Live games over Socket.IO: ``/play`` (phones), ``/host`` and ``/gamescreen``.

Fan-out discipline (docs/games.md, "Socket protocol"): a question goes to the
game's phone room once; each phone gets its own result once per reveal and
its own standing in answer acks; the frequent counters (players, answers)
go only to the host and the big screen, coalesced to at most 4 per second.
Handlers parse, call games.live.game, then emit; the clock is a background task
that calls :func:`clock_step`.
"""
from __future__ import annotations

import threading
import time

from flask import current_app, has_app_context
from flask_socketio import join_room

from kiosk.audit import audit
from kiosk.db import get_db, open_db, transaction
from kiosk.errors import ServiceError
from kiosk.i18n import both
from kiosk.validation import is_int
from kiosk import realtime
from kiosk.realtime import Coalescer, StaffNamespace, error_payload, refuse, socketio

from games.live import game as live
from games.live import board
from games.live import db as live_db
from games.live.answers import Answer, AnswerQueue, write_chunk
from games import scoring

PLAY, HOST, SCREEN = "/play", "/host", "/gamescreen"
CLOCK_PERIOD_S = 0.15
PUSH_DELAY_S = 0.25  # live counters: at most 4 pushes per second per game
# The per-player loop of a reveal or an end yields this often, so answers,
# pings and the other games' events are not starved while it runs.
YIELD_EVERY = 200
LOBBY_NAMES = 40  # the big screen lists the most recent names, not 2,000 of them


def clock() -> float:
    """The hub's clock in epoch seconds (tests replace it)."""
    return time.time()


def _ms() -> int:
    return round(clock() * 1000)


def room(game_id: int) -> str:
    return f"g:{game_id}"


def player_room(player_id: int) -> str:
    return f"p:{player_id}"


# ------------------------------------------------------------------ pushes

def push_question(opened: dict) -> None:
    """One ``q`` to each audience's game room (never per player)."""
    payload = {**opened["question"], "now": _ms()}
    gid = opened["game"]["id"]
    for namespace in (PLAY, SCREEN, HOST):
        socketio.emit("q", payload, namespace=namespace, to=room(gid))
    live_counters.poke(gid)


def screen_reveal(summary: dict) -> dict:
    """The reveal as the big screen and host see it (no per-player data)."""
    return {"g": summary["game"]["id"], "i": summary["i"], "c": summary["correct"],
            "sp": summary["spread"], "a": summary["answered"], "n": len(summary["results"]),
            "top": summary["top"], "sk": int(summary["skipped"]), "ex": summary["explain"]}


def push_reveal(summary: dict) -> None:
    """Screen and host first (the spread and top 5), then each phone its own result once."""
    for namespace in (SCREEN, HOST):
        socketio.emit("rv", screen_reveal(summary), namespace=namespace, to=room(summary["game"]["id"]))
    base = {"i": summary["i"], "c": summary["correct"], "sk": int(summary["skipped"])}
    board.changed(summary["game"]["id"])  # new scores and ranks
    _to_each_player("rv", base, summary["results"])


def push_end(result: dict) -> None:
    """The podium to screen and host; each phone its own final standing with the podium."""
    gid = result["game"]["id"]
    board.changed(gid)
    for namespace in (SCREEN, HOST):
        socketio.emit("end", {"g": gid, "pod": result["podium"], "n": len(result["results"])},
                      namespace=namespace, to=room(gid))
    _to_each_player("end", {"pod": result["podium"]}, result["results"])


def _to_each_player(event: str, base: dict, results: dict) -> None:
    """Emit ``base`` plus each player's own part to that player's room.

    Yields first, so the stage's message (queued just before) is written out
    before the long loop, and then every YIELD_EVERY emits: under eventlet an
    emit only queues, and nothing else runs until the loop yields. The
    festival's managers do the loop themselves (kiosk/rooms.py ``emit_each``:
    one message through the queue for all players, the same yields).
    """
    socketio.sleep(0)
    manager = socketio.server.manager if socketio.server is not None else None
    if hasattr(manager, "emit_each"):  # one message through the queue for all players (kiosk/rooms.py)
        manager.emit_each(event, ((player_room(pid), {**base, **own}) for pid, own in results.items()), PLAY)
        return
    for n, (player_id, own) in enumerate(results.items(), start=1):
        socketio.emit(event, {**base, **own}, namespace=PLAY, to=player_room(player_id))
        if n % YIELD_EVERY == 0:
            socketio.sleep(0)


def push_pause(game: dict) -> None:
    payload = {"i": game["current_idx"], "rem": round(game["paused_remaining"] * 1000)}
    for namespace in (PLAY, SCREEN, HOST):
        socketio.emit("ps", payload, namespace=namespace, to=room(game["id"]))


def push_resume(resumed: dict) -> None:
    payload = {"i": resumed["game"]["current_idx"], "dl": resumed["question"]["dl"], "now": _ms()}
    for namespace in (PLAY, SCREEN, HOST):
        socketio.emit("rs", payload, namespace=namespace, to=room(resumed["game"]["id"]))


def push_result(result: dict | None) -> None:
    """Push whatever a transition returned (question, reveal or end)."""
    if not result:
        return
    kind = result.get("kind")
    if kind == "question":
        push_question(result)
    elif kind == "reveal":
        push_reveal(result)
    elif kind == "end":
        push_end(result)


def kick_player(player_id: int) -> None:
    """Tell a removed player's phones, then disconnect them."""
    socketio.emit("kicked", {}, namespace=PLAY, to=player_room(player_id))
    server = socketio.server
    if server is not None:
        for sid, _eio in list(server.manager.get_participants(PLAY, player_room(player_id))):
            server.disconnect(sid, namespace=PLAY)


# --------------------------------------------------------- coalesced counters

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


def _send_counts(payload, game_id) -> None:
    for namespace in (SCREEN, HOST):
        socketio.emit("live", payload, namespace=namespace, to=room(game_id))
    # Joins, removals, hidden names: the stage board game:<id> follows (sent outside the app context).
    board.changed(game_id, live_counters.app)


#: at most one pending ``live`` push per game; bursts merge into it
live_counters = Coalescer("live game counters", live_counts, _send_counts, delay=PUSH_DELAY_S)


# -------------------------------------------------------------------- clock

def clock_step(app, now: float, db=None) -> list[dict]:
    """Close expired questions and push their reveals; returns the summaries."""
    own = db is None
    if own:
        db = open_db(app.config["DATABASE"], app.config["SQLITE_SYNCHRONOUS"])
    queue = app.extensions.get("live_answers")
    try:
        closed = live.tick(db, now, queue.waiting_since() if queue is not None else None)
    finally:
        if own:
            db.conn.close()
    for summary in closed:
        push_reveal(summary)
    return closed


def _clock_loop(app) -> None:
    """The single clock task of this process: survives any exception."""
    db = None
    while True:
        try:
            with app.app_context():
                if db is None:
                    db = open_db(app.config["DATABASE"], app.config["SQLITE_SYNCHRONOUS"])
                clock_step(app, clock(), db)
        except Exception:
            app.logger.exception("live game clock step failed")
            if db is not None:
                try:
                    db.conn.close()
                except Exception:  # noqa: BLE001 - already broken; reopen next round
                    pass
                db = None
        socketio.sleep(CLOCK_PERIOD_S)


_clock_lock = threading.Lock()


def ensure_clock(app) -> None:
    """Start the clock task once per app (off in tests unless GAME_CLOCK is set)."""
    if not app.config.get("GAME_CLOCK", not app.testing):
        return
    # An edge node shares the hub's database: a second clock would race the first.
    if hasattr(realtime, "is_hub") and not realtime.is_hub(app):
        return
    if app.extensions.get("games_clock"):
        return
    with _clock_lock:
        if app.extensions.get("games_clock"):
            return
        app.extensions["games_clock"] = True
    socketio.start_background_task(_clock_loop, app)


# --------------------------------------------------------------- snapshots

def player_snapshot(db, player: dict) -> dict:
    """What a (re)connecting phone needs: game state, own score and rank, the open question."""
    game = live.get_game(db, player["game_id"])
    snap = {"g": game["id"], "st": game["state"], "i": game["current_idx"], "nq": game["question_count"],
            "me": {"no": player["num"], "nick": player["nickname"]}, "now": _ms(),
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
            "st": game["state"], "i": game["current_idx"], "now": _ms(), **live_counts(db, game_id)}
    question = live.question_payload(db, game)
    if question is not None:
        snap["q"] = question
    if game["state"] == "reveal":
        snap["rv"] = screen_reveal(scoring.reveal_summary(db, game, game["current_idx"]))
    if game["state"] == "ended":
        snap["pod"] = scoring.final_podium(db, game)["podium"]
    return snap


# -------------------------------------------------------------- namespaces

def _game_id(data) -> int:
    value = data.get("g") if isinstance(data, dict) else None
    if not is_int(value, 1):
        raise ServiceError("bad_request", "The request could not be understood.")
    return value


class PlayNamespace(realtime.LeanNamespace):
    """``/play``: phones. Auth ``{"token": rejoin token}`` from the join answer.

    The lean path (kiosk.realtime.LeanNamespace): handlers take the socket id
    and run in an app context, without a Flask request per event; the
    player behind each socket is remembered here from the token checked on
    connect (each process knows only its own sockets).
    """

    def __init__(self, namespace=None):
        super().__init__(namespace)
        self.players: dict[str, int] = {}  # sid -> player id

    def on_connect(self, sid, auth=None):
        ensure_clock(current_app._get_current_object())
        token = auth.get("token") if isinstance(auth, dict) else None
        db = live_db.play_db()
        player = live.player_for_token(db, token)
        if player is None:
            refuse("bad_token", "This game has ended or you left it. Join again with the code.")
        self.players[sid] = player["id"]
        self.server.enter_room(sid, room(player["game_id"]), namespace=self.namespace)
        self.server.enter_room(sid, player_room(player["id"]), namespace=self.namespace)
        self.server.emit("state", player_snapshot(db, player), to=sid, namespace=self.namespace)

    def on_disconnect(self, sid):
        self.players.pop(sid, None)

    def _player(self, sid) -> dict:
        row = live_db.play_db().execute("SELECT * FROM players WHERE id = ? AND removed = 0",
                                        [self.players.get(sid)]).fetchone()
        if row is None:
            raise ServiceError("player_removed", "The host removed you from this game.", status=403)
        return dict(row)

    def on_answer(self, sid, data=None):
        """``{"i": index, "c": [options], "id": client id}`` → ack with own standing.

        Timed on arrival, stored with the answers that arrived together
        (games/live/answers.py), acknowledged after its commit.
        """
        if not isinstance(data, dict):
            return error_payload(ServiceError("bad_answer", "That answer could not be read."))
        player_id = self.players.get(sid)
        if not isinstance(player_id, int):
            raise ServiceError("player_removed", "The host removed you from this game.", status=403)
        # live.answer checks the player is still in the game; no read here first.
        ack = submit_answer(current_app._get_current_object(),
                            Answer(player_id, data.get("i"), data.get("c"), data.get("id"), clock()))
        return {"ok": True, "i": ack["i"], "ms": ack["ms"], "re": int(ack["replayed"]), **ack["standing"]}

    def on_state(self, sid, _data=None):
        """Ask for the snapshot again (after a phone wakes up); answered in the ack."""
        return {"ok": True, **player_snapshot(live_db.play_db(), self._player(sid))}


def submit_answer(app, answer: Answer) -> dict:
    """Store ``answer`` (queued with others under eventlet, alone otherwise); returns its ack.

    Timed already: it waits while a question's fan-out is under way (kiosk/rooms.py).
    """
    getattr(getattr(socketio.server, "manager", None), "after_fanout", lambda: None)()
    queue = app.extensions.get("live_answers")
    if queue is not None:
        return queue.submit(answer)
    write_answers(app, [answer])
    announce_answers(app, [answer])
    if answer.error is not None:
        raise answer.error
    return answer.ack


def write_answers(app, chunk: list[Answer]) -> None:
    with app.app_context():
        source = live_db.pool_for(app)
        db = source.take()
        try:
            write_chunk(db, chunk)
        finally:
            source.give(db)


def announce_answers(app, chunk: list[Answer]) -> None:
    """After a chunk's commit: close each question its last answer completed (the reveal
    goes out), and poke the live counters of the other games once each."""
    acks = [a.ack for a in chunk if a.ack is not None]
    closing = {(ack["game_id"], ack["i"]) for ack in acks if ack["all_answered"]}
    counting = {ack["game_id"] for ack in acks} - {gid for gid, _i in closing}
    with app.app_context():
        for game_id in counting:
            live_counters.poke(game_id)
        if closing:
            source = live_db.pool_for(app)
            db = source.take()
            try:
                for game_id, idx in closing:
                    push_reveal_if_closed(db, game_id, idx, clock())
            finally:
                source.give(db)


def push_reveal_if_closed(db, game_id: int, idx: int, now: float) -> None:
    summary = live.close_question(db, game_id, now, idx=idx)
    if summary is not None:
        push_reveal(summary)


class _WatchNamespace(StaffNamespace):
    """Staff namespaces that follow one game: ``watch {"g": id}`` joins its room."""

    def joined(self, principal, auth) -> None:
        ensure_clock(current_app._get_current_object())

    def on_watch(self, data=None):
        game_id = _game_id(data)
        snap = stage_snapshot(get_db(), game_id)
        join_room(room(game_id))
        return {"ok": True, **snap}


class ScreenNamespace(_WatchNamespace):
    """``/gamescreen``: the big screen (stage devices and hosts)."""

    roles = ("stage", "host")


class HostNamespace(_WatchNamespace):
    """``/host``: the game host's controls, each an event answered in its ack."""

    roles = ("host",)

    def _run(self, data, action):
        """Run a host action and its audit row in one transaction."""
        game_id = _game_id(data)
        db = get_db()
        with transaction(db):
            result = action(db, game_id, clock())
            audit(db, self.principal().actor, f"game.{action.__name__}", f"game:{game_id}")
        return game_id, result

    def on_start(self, data=None):
        return self.on_next(data)

    def on_next(self, data=None):
        _gid, result = self._run(data, live.next_question)
        push_result(result)
        return {"ok": True, "st": result["game"]["state"]}

    def on_pause(self, data=None):
        _gid, game = self._run(data, live.pause)
        push_pause(game)
        return {"ok": True, "st": game["state"]}

    def on_resume(self, data=None):
        _gid, resumed = self._run(data, live.resume)
        push_resume(resumed)
        return {"ok": True, "st": resumed["game"]["state"]}

    def on_skip(self, data=None):
        _gid, summary = self._run(data, live.skip)
        push_reveal(summary)
        return {"ok": True, "st": "reveal"}

    def on_close(self, data=None):
        """Close the open question now, scored (the host's "show answers")."""
        _gid, summary = self._run(data, lambda db, gid, now: live.close_question(db, gid, now))
        push_result(summary)
        return {"ok": True, "closed": summary is not None}

    def on_end(self, data=None):
        _gid, result = self._run(data, live.end_game)
        push_end(result)
        return {"ok": True, "st": "ended"}

    def on_hide(self, data=None):
        """``{"g", "p": player id, "h": true|false}``: hide or show a name."""
        game_id, player_id = _game_id(data), _player_id(data)
        db = get_db()
        with transaction(db):
            live.hide_player(db, game_id, player_id, bool(data.get("h", True)))
            audit(db, self.principal().actor, "game.hide_player", f"game:{game_id}", f"player:{player_id}")
        live_counters.poke(game_id)
        return {"ok": True}

    def on_remove(self, data=None):
        """``{"g", "p": player id}``: remove a player (their phone is disconnected)."""
        game_id, player_id = _game_id(data), _player_id(data)
        db = get_db()
        with transaction(db):
            live.remove_player(db, game_id, player_id)
            audit(db, self.principal().actor, "game.remove_player", f"game:{game_id}", f"player:{player_id}")
        kick_player(player_id)
        live_counters.poke(game_id)
        return {"ok": True}


def _player_id(data) -> int:
    value = data.get("p")
    if not is_int(value, 1):
        raise ServiceError("bad_request", "The request could not be understood.")
    return value


def init_app(app) -> None:
    """Register the three namespaces; the counters pusher remembers the app."""
    live_counters.bind(app)
    live_db.init_app(app)
    if socketio.server is not None and socketio.server.async_mode == "eventlet":
        app.extensions["live_answers"] = AnswerQueue(
            lambda chunk: write_answers(app, chunk), lambda chunk: announce_answers(app, chunk),
            socketio.start_background_task, socketio.sleep, socketio.server.eio.create_event)
    socketio.on_namespace(PlayNamespace(PLAY))
    socketio.on_namespace(HostNamespace(HOST))
    socketio.on_namespace(ScreenNamespace(SCREEN))
