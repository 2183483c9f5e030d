"""A nickname made of markup renders as text on the desk and phone pages
(the stage is covered in tests/server/test_realtime_server.py). The nickname filter
would refuse it, so it is written straight into the database, as a worst case."""
from __future__ import annotations

import pytest

from kiosk.db import open_db
from tests.support.desk import add_attendee, open_desk, wait_result, wedge

pytestmark = [pytest.mark.browser, pytest.mark.server]

EVIL = '<img src=x onerror="window.__pwned=1">"><script>window.__pwned=2</script>'


def _evil_attendee(db_path):
    attendee_id, token = add_attendee(db_path, "Trần Văn Hiểm")
    db = open_db(str(db_path), "NORMAL")
    db.execute("UPDATE attendees SET nickname = ? WHERE id = ?", [EVIL, attendee_id])
    db.conn.commit()
    db.conn.close()
    return token


def _assert_inert(page):
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0


def test_markup_nickname_is_text_on_the_phone_page(page, live_hub):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    token = _evil_attendee(live_hub.database)
    page.goto(f"{live_hub.url}/b/{token}")
    assert EVIL in page.inner_text("h1")
    _assert_inert(page)
    assert dialogs == []


def test_markup_nickname_is_text_on_the_desk(page, live_hub):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    token = _evil_attendee(live_hub.database)
    open_desk(page, live_hub)
    wedge(page, token)
    green = wait_result(page, "green")
    assert green["result"] == "checked_in"
    assert EVIL in page.inner_text("body")
    _assert_inert(page)
    assert dialogs == []
