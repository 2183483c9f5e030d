"""The core's pushing: :class:`Coalescer` (the one coalescing pusher every
pushed view builds on), who is watching, and disconnecting a room's sockets
(a revoked device, a removed player, a revoked stage link).

Effects reach clients through one door (docs/architecture.md): a service
announces (kiosk.signals.announce), and a pusher module per audience turns
the announcement into emits, kicks or pokes. This module is the pusher of
the device audience: :func:`connect_signals` kicks a revoked device.
"""
from __future__ import annotations

import threading
import time

from flask import current_app, has_app_context

from .db import app_connection
from .realtime import socketio
from .realtime_adapter import namespaces, participants, room_table
from .signals import device_revoked


def watched(namespace: str, room: str | None = None) -> bool:
    """True when at least one socket on this process is in ``namespace`` (or its ``room``)."""
    server = socketio.server
    if server is None:
        return False
    rooms = room_table(server, namespace)
    return any(rooms.values()) if room is None else bool(rooms.get(room))


def disconnect_room(room: str, *in_namespaces: str) -> None:
    """Disconnect every socket in ``room`` (of ``in_namespaces``, default all)."""
    server = socketio.server
    if server is None:
        return
    for namespace in in_namespaces or namespaces(server):
        for sid in participants(server, namespace, room):
            server.disconnect(sid, namespace=namespace)


def kick_device(_sender=None, *, device_id: int, **_kwargs) -> None:
    """Signal receiver: disconnect every socket of a revoked device."""
    disconnect_room(f"device:{device_id}")


def connect_signals() -> None:
    device_revoked.connect(kick_device)


class Coalescer:
    """Merges a burst of changes into one push: the one pusher of every pushed view.

    ``poke(key)`` schedules at most one pending push per key. The push runs
    ``delay`` seconds after the first poke, and at least ``min_interval``
    after the previous push of that key; ``build(db, key)`` reads the state
    then, from its own connection, so changes made during the wait are in it.
    The pending mark is cleared before the read, so a change during the read
    schedules another push. ``active(key)`` (optional) skips the read when
    nobody would receive it; ``send(payload, key)`` emits.
    """

    def __init__(self, name: str, build, send, delay: float = 0.15, min_interval: float = 0.0,
                 active=None):
        self.name, self.build, self.send, self.active = name, build, send, active
        self.delay, self.min_interval = delay, min_interval
        self.app = None
        self._lock = threading.Lock()
        self._pending: set = set()
        self._last: dict = {}

    def bind(self, app) -> None:
        """The app to push for when poked outside an app context (background tasks)."""
        self.app = app

    def poke(self, key=None) -> None:
        app = current_app._get_current_object() if has_app_context() else self.app
        if app is None:
            return
        # Pending per app and key: a served hub has one app, but a push still waiting for
        # an app that is gone (the previous test's) must not swallow this app's.
        mark = (id(app), key)
        with self._lock:
            if mark in self._pending:
                return
            self._pending.add(mark)
        socketio.start_background_task(self._run, app, key)

    def _run(self, app, key) -> None:
        since = time.monotonic() - self._last.get((id(app), key), float("-inf"))
        socketio.sleep(max(self.delay, self.min_interval - since))
        with self._lock:
            self._pending.discard((id(app), key))
        try:
            self.push_now(key, app)
        except Exception:  # a background task has nobody to report to but the log
            app.logger.exception("%s push failed", self.name)

    def push_now(self, key=None, app=None) -> bool:
        """Build and send now; False when nobody would receive it."""
        app = app or self.app
        if self.active is not None and not self.active(key):
            return False
        with app.app_context():
            with app_connection(app) as db:
                payload = self.build(db, key)
        if payload is None:
            return False
        self._last[(id(app), key)] = time.monotonic()
        self.send(payload, key)
        return True
