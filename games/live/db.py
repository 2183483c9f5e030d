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

import threading

from flask import current_app, g

from kiosk.db import open_db

KEEP_IDLE = 8  # more are opened when events overlap; extras are closed on return
SYNC_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


class ConnectionPool:
    """Open connections to one database file, handed out one per event."""

    def __init__(self, path: str, synchronous: str, keep: int = KEEP_IDLE):
        self.path, self.synchronous, self.keep = path, synchronous, keep
        self._idle: list = []
        self._lock = threading.Lock()

    def take(self):
        """An open connection for the caller alone until it is given back."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return open_db(self.path, self.synchronous)

    def give(self, db) -> None:
        """Take a connection back; a transaction left open is rolled back first."""
        try:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - a broken connection is closed, not reused
            _close(db)
            return
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(db)
                return
        _close(db)

    def close_all(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for db in idle:
            _close(db)


def _close(db) -> None:
    try:
        db.conn.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail too
        pass


def game_synchronous(config) -> str:
    """The ``synchronous`` level for live-game writes: GAME_SYNCHRONOUS, else NORMAL."""
    level = str(config.get("GAME_SYNCHRONOUS") or "NORMAL").upper()
    return level if level in SYNC_LEVELS else "NORMAL"


def pool_for(app) -> ConnectionPool:
    """This app's pool (created on first use)."""
    pool = app.extensions.get("games_db_pool")
    if pool is None:
        pool = app.extensions.setdefault(
            "games_db_pool", ConnectionPool(app.config["DATABASE"], game_synchronous(app.config)))
    return pool


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
