"""Pair a real browser page as a device of the hub, the way an organiser does.

The device is created straight in the hub's SQLite file (as the admin page
would), then the page opens the one-time pairing link and presses the
button; the hub answers with the device cookie and the role's start page.
"""
from __future__ import annotations

from kiosk.db import open_db
from kiosk.devices.service import create_device


def pair_page(page, base_url: str, db_path, role: str, zone_id: int | None = None,
              name: str | None = None) -> int:
    """Pair ``page``'s browser context as a ``role`` device; return the device id.

    Raises AssertionError when the hub refuses the pairing.
    """
    db = open_db(str(db_path), "NORMAL")
    try:
        device_id, code = create_device(db, name or f"{role.title()} device",
                                        role, zone_id, "test:pairing")
    finally:
        db.conn.close()
    page.goto(f"{base_url}/pair/{code}")
    before = {c["name"]: c["value"] for c in page.context.cookies(base_url)}.get("festival_device")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    after = {c["name"]: c["value"] for c in page.context.cookies(base_url)}.get("festival_device")
    # A new credential each time: a context paired before keeps its old cookie when a pairing fails.
    assert after is not None and after != before, f"pairing failed: {page.url} {page.content()[:500]}"
    return device_id
