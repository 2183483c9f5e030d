"""Attendees, badges and the check-in desk."""
from __future__ import annotations

from kiosk.zones import scanning as zone_scanning

from . import api, badges, cli, day, desk, desk_pusher, export, register, roster, scanning


def init_app(app) -> None:
    """Register the check-in blueprints, socket namespaces and commands."""
    app.register_blueprint(api.bp)
    desk.init_app(app)
    desk_pusher.connect_signals()
    zone_scanning.register_check_in(scanning.check_in)  # a zone's automatic check-in
    badges.init_app(app)
    app.register_blueprint(register.bp)
    roster.init_app(app)
    cli.init_app(app)
    export.init_app(app)
    app.register_blueprint(day.bp)
