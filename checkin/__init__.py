"""Attendees, badges and the check-in desk."""


def init_app(app) -> None:
    """Register the check-in blueprints, socket namespaces and commands."""
    from . import api, desk

    app.register_blueprint(api.bp)
    desk.init_app(app)
    from . import badges, cli, register, roster

    badges.init_app(app)
    app.register_blueprint(register.bp)
    roster.init_app(app)
    cli.init_app(app)
