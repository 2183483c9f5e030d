"""Database connections for live-game socket events: kept open and reused.

Measured (issue 7, py-spy on the hub during a 2,000-player game): opening a
connection per socket event was a fifth of the worker's time, most of it in
the first statement that maps the WAL index. Phones' events (connect,
answer, state) therefore borrow an open connection from a small per-app
pool: still one connection per event, returned when the event's app context
ends.

These connections commit with ``synchronous = GAME_SYNCHRONOUS`` (default
NORMAL): in WAL mode a commit then skips the fsync. An acknowledged answer
survives a crash of the hub process (it is in the OS's cache of the WAL
file); a power cut can lose the answers committed since the last fsync
(the next FULL commit of a check-in or scan, or a checkpoint). Check-ins,
scans and every other write keep the hub's SQLITE_SYNCHRONOUS (FULL).
docs/games.md, "Durability and speed", has the trade-off and the figures.
"""
from __future__ import annotations

from flask import current_app, g

from kiosk.db import ConnectionPool, pool

SYNC_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def game_synchronous(config) -> str:
    """The ``synchronous`` level for live-game writes: GAME_SYNCHRONOUS, else NORMAL."""
    level = str(config.get("GAME_SYNCHRONOUS") or "NORMAL").upper()
    return level if level in SYNC_LEVELS else "NORMAL"


def pool_for(app) -> ConnectionPool:
    """This app's pool of live-game connections (created on first use)."""
    return pool(app, game_synchronous(app.config))


def play_db():
    """The current socket event's pooled connection (borrowed on first use)."""
    if "play_db" not in g:
        g.play_db = pool_for(current_app).take()
    return g.play_db


def release(_exc=None) -> None:
    """Teardown: give this event's connection back to the pool."""
    db = g.pop("play_db", None)
    if db is not None:
        pool_for(current_app).give(db)


def init_app(app) -> None:
    app.teardown_appcontext(release)
