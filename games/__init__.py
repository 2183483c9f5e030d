"""Question banks, self-paced rounds, live hosted games and scoring."""


def init_app(app) -> None:
    """Register the games blueprints and socket namespaces."""
