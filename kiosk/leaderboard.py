"""Leaderboards and stage screens (filled in by the leaderboard feature)."""


def init_app(app) -> None:
    pass
