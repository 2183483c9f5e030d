"""The check-in desk: its page, its live counters and the ``/desk`` namespace.

Counters are pushed (checkin/desk_pusher.py) to every connected desk
whenever someone is checked in, un-checked-in or registered anywhere.
"""
from __future__ import annotations

import time

from flask import Blueprint, current_app, render_template, url_for

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db
from kiosk.realtime import StaffNamespace, socketio

from .scanning import UNDO_WINDOW

bp = Blueprint("desk", __name__)

NAMESPACE = "/desk"


# Both read the covering index attendees_counting (migration m140), not the rows.
TOTALS_SQL = ("SELECT COUNT(*) AS registered, COUNT(checked_in_at) AS checked_in "
              "FROM attendees WHERE purged_at IS NULL")
STATIONS_SQL = ("SELECT checked_in_by AS station, COUNT(*) AS checked_in FROM attendees "
                "WHERE purged_at IS NULL AND checked_in_at IS NOT NULL "
                "GROUP BY checked_in_by ORDER BY checked_in DESC, station")


def counters(db) -> dict:
    """Registered and checked-in totals and check-ins per station (live state)."""
    row = db.execute(TOTALS_SQL).fetchone()
    stations = db.execute(STATIONS_SQL).fetchall()
    return {"registered": row["registered"], "checked_in": row["checked_in"],
            "stations": [{"station": s["station"] or "?", "checked_in": s["checked_in"]} for s in stations]}


FRESH_S = 1.0  # counters asked for again within this are answered from memory


def latest_counters(db) -> dict:
    """The counters for a desk that asks (on connect, ``counters``, ``GET /api/counters``).

    :func:`counters` counts every attendee (tens of milliseconds at 60,000),
    and each desk socket may ask five times a second: a desk credential
    flooding reconnects and ``counters`` events stalled the hub for a second
    at a time. So what was counted is kept for FRESH_S and dropped at once
    when a check-in or registration changes it; however many ask, the hub
    counts at most once a second between changes.
    """
    kept = current_app.extensions.get("desk_counters")
    if kept and time.monotonic() - kept["at"] < FRESH_S:
        return kept["payload"]
    return _remember(counters(db))


def _remember(payload: dict) -> dict:
    """Keep ``payload`` as the latest counters (the pusher's fresh ones too)."""
    current_app.extensions["desk_counters"] = {"at": time.monotonic(), "payload": payload}
    return payload


class DeskNamespace(StaffNamespace):
    """``/desk``: check-in desks (and admins). Sends ``counters`` on connect and on every change."""

    roles = ("desk",)

    def joined(self, principal, auth) -> None:
        self.emit("counters", latest_counters(get_db()))

    def on_counters(self, *_args):
        """Ask for the counters again (e.g. after a reconnect); answered in the ack."""
        return {"ok": True, **latest_counters(get_db())}


@bp.route("/desk")
@role_required("desk")
def page():
    """The desk page: scanning, search, walk-ins, classes and live counters."""
    principal = current_principal()
    label_pattern = None
    if "badges.label" in current_app.view_functions:
        label_pattern = url_for("badges.label", attendee_id=987654321)
    return render_template("desk/page.html", station=principal.name, label_pattern=label_pattern,
                           undo_seconds=int(UNDO_WINDOW.total_seconds()))


def init_app(app) -> None:
    """Register the desk page, its namespace and its signal receivers."""
    app.register_blueprint(bp)
    socketio.on_namespace(DeskNamespace(NAMESPACE))
