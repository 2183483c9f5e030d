"""Live leaderboards: what each board shows (``compute``), the coalescing
``publisher`` that pushes changed boards, the ``/public`` ``namespace`` stage
screens subscribe on, stage screens and links (``stage``), and nickname
``moderation``."""
from __future__ import annotations

from kiosk.realtime import socketio

from . import moderation, stage
from .namespace import PublicNamespace
from .publisher import NAMESPACE, connect_signals, get_publisher


def init_app(app) -> None:
    """The ``/public`` namespace, this app's publisher, its signal receivers,
    the stage pages and the moderation API."""
    socketio.on_namespace(PublicNamespace(NAMESPACE))
    get_publisher(app)
    connect_signals()
    stage.init_app(app)
    moderation.init_app(app)
