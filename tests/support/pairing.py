"""Pair a real browser page as a device of the hub, the way an organiser does
(and sign an organiser in, open a game in the host's console).

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


def log_in(page, base_url: str, username: str, password: str, next_path: str = "/admin/",
           timeout: int = 15_000) -> None:
    """Sign ``page`` in as a staff member, the way an organiser does, and land on ``next_path``."""
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_path}", timeout=timeout)


def host_console(page, base_url: str, db_path, game_id: int, timeout: int = 20_000) -> None:
    """Pair ``page`` as a host device and open game ``game_id`` in the host's console."""
    pair_page(page, base_url, db_path, "host")
    page.goto(f"{base_url}/host")
    page.click(f'[data-open-game="{game_id}"]')
    page.wait_for_selector("#console:not([hidden])", timeout=timeout)
