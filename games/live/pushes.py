"""The live games' pusher: announcements of games.live.game become pushes.

Fan-out discipline (docs/games.md, "Socket protocol"): a question goes to the
game's phone room once; each phone gets its own result once per reveal and
its own standing in answer acks; the frequent counters (players, answers)
go only to the host and the big screen, coalesced to at most 4 per second.
Socket handlers never push: they call the game service, which announces
(kiosk.signals), and :func:`connect_signals` routes each announcement here.
"""
from __future__ import annotations

from kiosk.realtime import socketio
from kiosk.realtime_adapter import emit_each
from kiosk.realtime_push import Coalescer, disconnect_room
from kiosk.signals import (game_counts_changed, game_ended, game_paused, game_resumed, player_removed,
                           question_closed, question_opened)

from games.live import board
from games.live.clock import now_ms
from games.live.snapshots import live_counts, screen_reveal

PLAY, HOST, SCREEN = "/play", "/host", "/gamescreen"
PUSH_DELAY_S = 0.25  # live counters: at most 4 pushes per second per game
# The per-player loop of a reveal or an end yields this often, so answers,
# pings and the other games' events are not starved while it runs.
YIELD_EVERY = 200


def room(game_id: int) -> str:
    return f"g:{game_id}"


def player_room(player_id: int) -> str:
    return f"p:{player_id}"


def push_question(opened: dict) -> None:
    """One ``q`` to each audience's game room (never per player)."""
    payload = {**opened["question"], "now": now_ms()}
    gid = opened["game"]["id"]
    for namespace in (PLAY, SCREEN, HOST):
        socketio.emit("q", payload, namespace=namespace, to=room(gid))
    live_counters.poke(gid)


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
    festival's managers do the loop themselves (kiosk/realtime_adapter.py
    ``emit_each``: one message through the queue for all players, the same yields).
    """
    socketio.sleep(0)
    if emit_each(socketio.server, event, ((player_room(pid), {**base, **own}) for pid, own in results.items()),
                 PLAY):
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
    payload = {"i": resumed["game"]["current_idx"], "dl": resumed["question"]["dl"], "now": now_ms()}
    for namespace in (PLAY, SCREEN, HOST):
        socketio.emit("rs", payload, namespace=namespace, to=room(resumed["game"]["id"]))


def kick_player(player_id: int) -> None:
    """Tell a removed player's phones, then disconnect them."""
    socketio.emit("kicked", {}, namespace=PLAY, to=player_room(player_id))
    disconnect_room(player_room(player_id), PLAY)


def _send_counts(payload, game_id) -> None:
    for namespace in (SCREEN, HOST):
        socketio.emit("live", payload, namespace=namespace, to=room(game_id))
    # Joins, removals, hidden names: the stage board game:<id> follows (sent outside the app context).
    board.changed(game_id, live_counters.app)


#: at most one pending ``live`` push per game; bursts merge into it
live_counters = Coalescer("live game counters", live_counts, _send_counts, delay=PUSH_DELAY_S)


# ------------------------------------------------------ announcements → pushes

def _opened(_sender=None, *, opened, **_kwargs) -> None:
    push_question(opened)


def _closed(_sender=None, *, summary, **_kwargs) -> None:
    push_reveal(summary)


def _ended(_sender=None, *, result=None, **_kwargs) -> None:
    if result is not None:
        push_end(result)


def _paused(_sender=None, *, game, **_kwargs) -> None:
    push_pause(game)


def _resumed(_sender=None, *, resumed, **_kwargs) -> None:
    push_resume(resumed)


def _counts(_sender=None, *, game_ids, **_kwargs) -> None:
    for game_id in sorted(set(game_ids)):
        live_counters.poke(game_id)


def _removed(_sender=None, *, game_id, player_id, **_kwargs) -> None:
    kick_player(player_id)
    live_counters.poke(game_id)


def connect_signals(app) -> None:
    """Route the game service's announcements to the pushes above."""
    live_counters.bind(app)
    question_opened.connect(_opened)
    question_closed.connect(_closed)
    game_ended.connect(_ended)
    game_paused.connect(_paused)
    game_resumed.connect(_resumed)
    game_counts_changed.connect(_counts)
    player_removed.connect(_removed)
