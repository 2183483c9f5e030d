"""Helpers for desk tests in a real browser: attendees straight in the
hub's file, pairing a desk page, wedge scans and waiting for a result."""
from __future__ import annotations

import urllib.parse

from checkin.attendees import NewAttendee, create_attendee
from kiosk.db import open_db
from tests.support.pairing import pair_page


def add_attendee(db_path, full_name, age_band="16-17", school="THCS Thành Công", class_name="9A",
                 consent_guardian=True):
    """Register an attendee straight in the hub's database; returns (id, token)."""
    db = open_db(str(db_path), "NORMAL")
    try:
        data = NewAttendee(full_name=full_name, age_band=age_band, school=school, class_name=class_name,
                           consent_child=True, consent_guardian=consent_guardian, consent_public=True)
        return create_attendee(db, data, "import", "test", check_consents=False)
    finally:
        db.conn.close()


def query(db_path, sql, params=()):
    db = open_db(str(db_path), "NORMAL")
    try:
        return [tuple(r) for r in db.execute(sql, params).fetchall()]
    finally:
        db.conn.close()


def open_desk(page, hub, name="Desk 1"):
    """Pair the page's context as a desk; pairing lands on the desk page."""
    pair_page(page, hub.url, hub.database, "desk", name=name)
    assert urllib.parse.urlsplit(page.url).path == "/desk"
    page.wait_for_selector("body[data-desk-ready='1']")
    page.wait_for_selector("#desk[data-socket='on']")


def wedge(page, text):
    """A USB scanner: fast keys and Enter, wherever the focus is."""
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def wait_result(page, level, previous=None, timeout=10_000):
    """Wait until the result panel shows ``level`` with a new message; return its data."""
    page.wait_for_function(
        """([level, previous]) => {
            const box = document.getElementById('result');
            return box.dataset.level === level && box.textContent !== previous;
        }""", arg=[level, previous], timeout=timeout)
    return page.evaluate("""() => {
        const box = document.getElementById('result');
        return {level: box.dataset.level, result: box.dataset.result, text: box.textContent,
                sound: document.getElementById('desk').dataset.sound,
                person: document.getElementById('result-person').textContent};
    }""")
