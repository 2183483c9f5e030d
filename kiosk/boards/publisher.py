"""The boards' coalescing publisher: signal receivers mark boards dirty, a
background loop pushes each changed, watched board to its ``/public`` room at
most once per ``MIN_INTERVAL_S``."""
from __future__ import annotations

import json
import threading
import time

from flask import current_app, has_app_context

from kiosk.db import app_connection
from kiosk.realtime import socketio
from kiosk.realtime_adapter import room_table
from kiosk.realtime_push import disconnect_room
from kiosk.signals import nickname_changed, points_changed, stage_link_revoked, zone_visited

from .compute import compute_board

NAMESPACE = "/public"
MIN_INTERVAL_S = 0.25  # at most 4 pushes a second per board
TICK_S = 0.05


def _signature(payload: dict | None) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


class BoardPublisher:
    """Pushes changed boards to their rooms, at most once per ``MIN_INTERVAL_S`` each.

    Signal receivers only mark boards dirty (cheap, inside the request). A
    background task started once per process calls :meth:`flush` every
    ``TICK_S``; tests call :meth:`flush` directly, with a fake ``clock``.
    A board is recomputed only when dirty and watched, and pushed only when
    its payload differs from the last one pushed.
    """

    def __init__(self, app, clock=time.monotonic):
        self.app = app
        self.clock = clock
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._last_push: dict[str, float] = {}
        self._last_sig: dict[str, str] = {}
        self._started = False
        self._stopping = False
        self.pushes = 0

    def mark_dirty(self, *board_ids: str) -> None:
        with self._lock:
            self._dirty.update(board_ids)

    def mark_watched_dirty(self, prefix: str = "") -> None:
        """Mark every watched board (whose id starts with ``prefix``) dirty."""
        self.mark_dirty(*[b for b in self.watched() if b.startswith(prefix)])

    def watched(self) -> list[str]:
        """Boards with at least one screen in their room on this process."""
        server = socketio.server
        if server is None:
            return []
        rooms = room_table(server, NAMESPACE)
        return [room[6:] for room, members in list(rooms.items())
                if room and room.startswith("board:") and members]

    def _is_watched(self, board_id: str, watched: set[str]) -> bool:
        # With a message queue, screens may sit on other nodes: assume watched.
        return board_id in watched or bool(self.app.config.get("MESSAGE_QUEUE"))

    def _due(self) -> list[str]:
        now = self.clock()
        watched = set(self.watched())
        due = []
        with self._lock:
            for board_id in list(self._dirty):
                if not self._is_watched(board_id, watched):
                    self._dirty.discard(board_id)
                    self._last_sig.pop(board_id, None)
                elif now - self._last_push.get(board_id, float("-inf")) >= MIN_INTERVAL_S:
                    self._dirty.discard(board_id)
                    due.append(board_id)
        return due

    def flush(self) -> int:
        """Push every due board that changed; return how many pushes were sent."""
        due = self._due()
        if not due:
            return 0
        sent = 0
        with self.app.app_context():
            with app_connection(self.app) as db:
                for board_id in due:
                    sent += self._push(db, board_id)
        return sent

    def _push(self, db, board_id: str) -> int:
        try:
            payload = compute_board(db, board_id, self.app.config["SECRET_KEY"])
        except Exception:  # one broken board must not stop the others
            self.app.logger.exception("board %s could not be computed", board_id)
            return 0
        sig = _signature(payload)
        if payload is None or self._last_sig.get(board_id) == sig:
            return 0
        self._last_sig[board_id] = sig
        self._last_push[board_id] = self.clock()
        socketio.emit("board", payload, namespace=NAMESPACE, to=f"board:{board_id}")
        self.pushes += 1
        return 1

    def remember(self, board_id: str, payload: dict | None) -> None:
        """Note what a joining screen was sent, so an unchanged board is not re-pushed."""
        if payload is not None and board_id not in self._last_sig:
            self._last_sig[board_id] = _signature(payload)

    def start(self) -> bool:
        """Start the background loop once per process (False if already running)."""
        with self._lock:
            if self._started:
                return False
            self._started, self._stopping = True, False
        socketio.start_background_task(self._run)
        return True

    def stop(self) -> None:
        self._stopping = True

    def _run(self) -> None:
        while not self._stopping:
            socketio.sleep(TICK_S)
            try:
                self.flush()
            except Exception:  # the loop must outlive any one failure (locked DB, bad row)
                self.app.logger.exception("board publisher flush failed")
        with self._lock:
            self._started = False


def get_publisher(app=None) -> BoardPublisher:
    """This app's publisher (one per app, so each test app has its own)."""
    app = app or current_app._get_current_object()
    publisher = app.extensions.get("festival_boards")
    if publisher is None:
        publisher = app.extensions["festival_boards"] = BoardPublisher(app)
    return publisher


def mark_dirty(*board_ids: str, app=None) -> None:
    """For other features (games): these boards changed; push them soon. ``app``: the
    app to mark them for outside an app context (a background push)."""
    if app is not None or has_app_context():
        get_publisher(app).mark_dirty(*board_ids)


def connect_signals() -> None:
    """Boards go stale when points, visits or nicknames change."""
    points_changed.connect(_points_changed)
    zone_visited.connect(_zone_visited)
    nickname_changed.connect(_nickname_changed)
    stage_link_revoked.connect(kick_stage_link)


def kick_stage_link(_sender=None, *, link_id: int, **_kwargs) -> None:
    """Signal receiver: disconnect every screen opened from a revoked stage link."""
    disconnect_room(f"stage_link:{link_id}", NAMESPACE)


def _points_changed(_sender=None, **_kwargs) -> None:
    mark_dirty("overall", "schools", "classes")


def _zone_visited(_sender=None, zone_id=None, **_kwargs) -> None:
    if isinstance(zone_id, int):
        mark_dirty(f"zone:{zone_id}")


def _nickname_changed(_sender=None, **_kwargs) -> None:
    if has_app_context():
        get_publisher().mark_watched_dirty()
