"""Attendees, badges and the check-in desk."""


def init_app(app) -> None:
    """Register the check-in blueprints, socket namespaces and commands."""
    from . import api

    app.register_blueprint(api.bp)
