"""The game clock: the hub's time, and the one background task per process
that closes expired questions (``games.live.game.tick``, which announces
each reveal; games/live/pushes.py sends it)."""
from __future__ import annotations

import threading
import time

from kiosk.db import open_db
from kiosk.realtime import is_hub, socketio

from games.live import game as live

CLOCK_PERIOD_S = 0.15


def clock() -> float:
    """The hub's clock in epoch seconds (tests replace it)."""
    return time.time()


def now_ms() -> int:
    return round(clock() * 1000)


def clock_step(app, now: float, db=None) -> list[dict]:
    """Close expired questions (their reveals are announced); returns the summaries."""
    own = db is None
    if own:
        db = open_db(app.config["DATABASE"], app.config["SQLITE_SYNCHRONOUS"])
    queue = app.extensions.get("live_answers")
    try:
        closed = live.tick(db, now, queue.waiting_since() if queue is not None else None)
    finally:
        if own:
            db.conn.close()
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
    running = app.config.get("GAME_CLOCK")
    if not (running if running is not None else not app.testing):
        return
    # An edge node shares the hub's database: a second clock would race the first.
    if not is_hub(app):
        return
    if app.extensions.get("games_clock"):
        return
    with _clock_lock:
        if app.extensions.get("games_clock"):
            return
        app.extensions["games_clock"] = True
    socketio.start_background_task(_clock_loop, app)
