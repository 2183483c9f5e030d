"""The dashboard's pusher: a ``dashboard`` push to ``/admin`` (coalesced: at
most one every ``PUSH_EVERY_S``, and only while an organiser watches) after
anything it shows changes, announced by the service that changed it."""
from __future__ import annotations

from flask import current_app, has_app_context

from kiosk.realtime import socketio
from kiosk.realtime_push import Coalescer, watched
from kiosk.signals import (attendee_registered, checked_in, device_reported, points_changed, reward_changed,
                           zone_visited)

from .service import dashboard_data

NAMESPACE = "/admin"
PUSH_EVERY_S = 2.0


def _send(payload, _key) -> None:
    socketio.emit("dashboard", payload, namespace=NAMESPACE)


pusher = Coalescer("dashboard", lambda db, _key: dashboard_data(db), _send,
                   delay=0.1, min_interval=PUSH_EVERY_S, active=lambda _key: watched(NAMESPACE))


def changed(_sender=None, **_kwargs) -> None:
    """Signal receiver: anything the dashboard shows changed. Test apps push
    only when asked to (``DASHBOARD_PUSH``), so unit tests see no stray events."""
    if has_app_context() and (not current_app.testing or current_app.config.get("DASHBOARD_PUSH")):
        pusher.poke()


def connect_signals() -> None:
    for signal in (checked_in, attendee_registered, zone_visited, points_changed, reward_changed,
                   device_reported):
        signal.connect(changed)
