"""Attendees, badges and the check-in desk."""
from __future__ import annotations

from . import api, badges, cli, day, desk, desk_pusher, export, register, roster


def init_app(app) -> None:
    """Register the check-in blueprints, socket namespaces and commands."""
    app.register_blueprint(api.bp)
    desk.init_app(app)
    desk_pusher.connect_signals()
    badges.init_app(app)
    app.register_blueprint(register.bp)
    roster.init_app(app)
    cli.init_app(app)
    export.init_app(app)
    app.register_blueprint(day.bp)
