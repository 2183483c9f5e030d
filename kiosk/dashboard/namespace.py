"""``/admin``: the organisers' live dashboard. A snapshot on connect; the
``dashboard`` pushes after a change come from the pusher (``pusher``)."""
from __future__ import annotations

from kiosk.db import get_db
from kiosk.realtime import StaffNamespace

from .pusher import NAMESPACE
from .service import dashboard_data

__all__ = ["NAMESPACE", "AdminNamespace"]


class AdminNamespace(StaffNamespace):
    """``/admin``: organisers. A snapshot on connect, then ``dashboard`` pushes."""

    roles = ()  # admin only (admin always passes)

    def joined(self, principal, auth) -> None:
        self.emit("dashboard", dashboard_data(get_db()))

    def on_refresh(self, *_args):
        return dashboard_data(get_db())
