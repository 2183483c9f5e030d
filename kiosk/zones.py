"""Zones, zone kiosks, passport rules (filled in by the zones feature)."""


def init_app(app) -> None:
    pass
