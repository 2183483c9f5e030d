"""The desks' pusher: ``counters`` to every connected desk after a check-in,
an undo or a registration (announced by their services). Bursts (a class
checked in at once, a queue of scans) are coalesced into one push shortly
after the first change, so each desk gets a handful of small messages, not
one per person."""
from __future__ import annotations

from flask import current_app, has_app_context

from kiosk.realtime import socketio
from kiosk.realtime_push import Coalescer
from kiosk.signals import attendee_registered, checked_in

from checkin import desk

PUSH_DELAY_S = 0.15  # long enough to merge a burst, short enough to feel live


def _send_counters(payload, _key) -> None:
    socketio.emit("counters", payload, namespace=desk.NAMESPACE)


pusher = Coalescer("desk counters", lambda db, _key: desk._remember(desk.counters(db)), _send_counters,
                   delay=PUSH_DELAY_S)


def _counters_changed(_sender=None, **_kwargs) -> None:
    """Signal receiver: check-ins, undos and registrations change the counters."""
    if has_app_context():
        current_app.extensions.pop("desk_counters", None)
    pusher.poke()


def connect_signals() -> None:
    checked_in.connect(_counters_changed)
    attendee_registered.connect(_counters_changed)
