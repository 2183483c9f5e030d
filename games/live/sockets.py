"""Live games over Socket.IO: the ``/play`` (phones), ``/host`` and
``/gamescreen`` namespaces.

Handlers parse, call the game service (games.live.game) and answer their own
client; what the service changed is announced and pushed to everyone else by
games/live/pushes.py. The clock is games/live/clock.py, the snapshots
games/live/snapshots.py, the answer path games/live/answers.py.
"""
from __future__ import annotations

from flask import current_app
from flask_socketio import join_room

from kiosk.audit import audit
from kiosk.db import get_db, transaction
from kiosk.errors import ServiceError
from kiosk.validation import is_int
from kiosk.realtime import LeanNamespace, StaffNamespace, error_payload, refuse, socketio

from games.live import answers
from games.live import clock as live_clock
from games.live import game as live
from games.live import db as live_db
from games.live import pushes
from games.live.pushes import HOST, PLAY, SCREEN, player_room, room
from games.live.snapshots import player_snapshot, stage_snapshot

__all__ = ["PLAY", "HOST", "SCREEN", "PlayNamespace", "HostNamespace", "ScreenNamespace", "init_app"]


def _game_id(data) -> int:
    value = data.get("g") if isinstance(data, dict) else None
    if not is_int(value, 1):
        raise ServiceError("bad_request", "The request could not be understood.")
    return value


class PlayNamespace(LeanNamespace):
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
        live_clock.ensure_clock(current_app._get_current_object())
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
        ack = answers.submit(current_app._get_current_object(),
                             answers.Answer(player_id, data.get("i"), data.get("c"), data.get("id"),
                                            live_clock.clock()))
        return {"ok": True, "i": ack["i"], "ms": ack["ms"], "re": int(ack["replayed"]), **ack["standing"]}

    def on_state(self, sid, _data=None):
        """Ask for the snapshot again (after a phone wakes up); answered in the ack."""
        return {"ok": True, **player_snapshot(live_db.play_db(), self._player(sid))}


class _WatchNamespace(StaffNamespace):
    """Staff namespaces that follow one game: ``watch {"g": id}`` joins its room."""

    def joined(self, principal, auth) -> None:
        live_clock.ensure_clock(current_app._get_current_object())

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
            result = action(db, game_id, live_clock.clock())
            audit(db, self.principal().actor, f"game.{action.__name__}", f"game:{game_id}")
        return game_id, result

    def on_start(self, data=None):
        return self.on_next(data)

    def on_next(self, data=None):
        _gid, result = self._run(data, live.next_question)
        return {"ok": True, "st": result["game"]["state"]}

    def on_pause(self, data=None):
        _gid, game = self._run(data, live.pause)
        return {"ok": True, "st": game["state"]}

    def on_resume(self, data=None):
        _gid, resumed = self._run(data, live.resume)
        return {"ok": True, "st": resumed["game"]["state"]}

    def on_skip(self, data=None):
        self._run(data, live.skip)
        return {"ok": True, "st": "reveal"}

    def on_close(self, data=None):
        """Close the open question now, scored (the host's "show answers")."""
        _gid, summary = self._run(data, lambda db, gid, now: live.close_question(db, gid, now))
        return {"ok": True, "closed": summary is not None}

    def on_end(self, data=None):
        self._run(data, live.end_game)
        return {"ok": True, "st": "ended"}

    def on_hide(self, data=None):
        """``{"g", "p": player id, "h": true|false}``: hide or show a name."""
        game_id, player_id = _game_id(data), _player_id(data)
        db = get_db()
        with transaction(db):
            live.hide_player(db, game_id, player_id, bool(data.get("h", True)))
            audit(db, self.principal().actor, "game.hide_player", f"game:{game_id}", f"player:{player_id}")
        return {"ok": True}

    def on_remove(self, data=None):
        """``{"g", "p": player id}``: remove a player (their phone is disconnected)."""
        game_id, player_id = _game_id(data), _player_id(data)
        db = get_db()
        with transaction(db):
            live.remove_player(db, game_id, player_id)
            audit(db, self.principal().actor, "game.remove_player", f"game:{game_id}", f"player:{player_id}")
        return {"ok": True}


def _player_id(data) -> int:
    value = data.get("p")
    if not is_int(value, 1):
        raise ServiceError("bad_request", "The request could not be understood.")
    return value


def init_app(app) -> None:
    """Register the three namespaces, the pushes and the answer writer."""
    pushes.connect_signals(app)
    live_db.init_app(app)
    answers.init_app(app, socketio)
    socketio.on_namespace(PlayNamespace(PLAY))
    socketio.on_namespace(HostNamespace(HOST))
    socketio.on_namespace(ScreenNamespace(SCREEN))
