"""Attendees, badges and the check-in desk."""


def init_app(app) -> None:
    """Register the check-in blueprints and socket namespaces."""
