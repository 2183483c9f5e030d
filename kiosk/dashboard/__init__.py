"""The organiser's live dashboard: the numbers (``service``), the ``/admin``
namespace (``namespace``), its coalesced pushes (``pusher``) and the page, its JSON
fallback and devices' status reports (``views``)."""
from __future__ import annotations

from flask import current_app

from kiosk.health import write_status
from kiosk.realtime import socketio

from . import views
from .namespace import NAMESPACE, AdminNamespace
from .pusher import connect_signals, pusher
from .service import register_section


def init_app(app) -> None:
    app.register_blueprint(views.bp)
    socketio.on_namespace(AdminNamespace(NAMESPACE))
    pusher.bind(app)
    connect_signals()
    register_section("health", lambda db: write_status(current_app, db))
