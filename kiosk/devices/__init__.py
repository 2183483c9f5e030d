"""Paired devices: create, pair and revoke (``service``), the pairing page a
device opens (``views``), the organiser's device list and printable pairing
sheet (``admin``) and ``festival devices add/list`` (``commands``)."""
from __future__ import annotations

from kiosk import realtime_push

from . import admin, commands, views


def init_app(app) -> None:
    app.register_blueprint(views.bp)
    realtime_push.connect_signals()  # a revoked device's sockets are disconnected
    app.register_blueprint(admin.bp)
    app.cli.add_command(commands.devices_group)
