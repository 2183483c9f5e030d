"""Paired devices: create, pair and revoke (``service``), the pairing page a
device opens (``views``) and the organiser's device list (``admin``)."""
from __future__ import annotations

from . import admin, views


def init_app(app) -> None:
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
