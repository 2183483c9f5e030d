"""Fixtures for the kiosk core and its features."""
from __future__ import annotations

import pytest

from tests.support.zones import T0, attendee_row, iso


@pytest.fixture
def guest(db, make_attendee):
    """A checked-in attendee, as the dict checkin.scanning passes to visit()."""

    def factory(**kwargs):
        attendee_id, token = make_attendee(**kwargs)
        db.execute("UPDATE attendees SET checked_in_at = ? WHERE id = ?", [iso(T0), attendee_id])
        db.conn.commit()
        row = attendee_row(db, attendee_id)
        row["token"] = token
        return row

    return factory
