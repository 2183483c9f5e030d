"""Zones, zone visits, passport rules and rewards.

Contract used by checkin.scanning (the zones feature fills these in):
- ``visit(db, attendee: dict, zone_id, scan_id, by) -> dict``: inside the
  caller's transaction, log a visit, apply the cooldown, award points via
  the ledger, unlock passport rewards; returns a scan answer
  (``result``, ``level``, ``message_vi``, ``message_en``, ``points_awarded`` …).
- ``unclaimed_rewards(db, attendee_id) -> list[dict]``: rewards unlocked and
  not yet collected at a desk.
"""
from __future__ import annotations

from .errors import ServiceError


def visit(db, attendee: dict, zone_id: int, scan_id: str, by: str) -> dict:
    raise ServiceError("not_ready", "The request could not be completed.", status=503)


def unclaimed_rewards(db, attendee_id: int) -> list[dict]:
    return []


def init_app(app) -> None:
    pass
