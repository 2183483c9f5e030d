"""Real browser: an organiser prints a class's badge sheet from the demo festival
and every QR on it decodes, in the browser, to that attendee's badge."""
import pytest

from checkin.demo import build_demo
from kiosk.tokens import extract
from kiosk.db import open_db
from tests.support.live import LiveServer
from tests.support.qrdecode import decode_qr_codes

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def demo_hub(tmp_path):
    instance = tmp_path / "demo"
    info = build_demo(instance / "festival.db", seed=11)
    server = LiveServer(instance, instance / "festival.db").start()
    yield server, info
    server.stop()


def test_badge_sheet_qr_codes_decode_to_the_class_tokens(demo_hub, page):
    server, info = demo_hub
    db = open_db(info["database"], "NORMAL")
    school, class_name = db.execute(
        "SELECT school, class_name FROM attendees GROUP BY school, class_name "
        "ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    expected = {r[0] for r in db.execute(
        "SELECT b.token FROM badges b JOIN attendees a ON a.id = b.attendee_id "
        "WHERE a.school = ? AND a.class_name = ? AND b.revoked_at IS NULL", [school, class_name])}
    db.conn.close()
    assert len(expected) > 8  # more than one A4 page

    page.set_default_timeout(10_000)
    page.goto(server.url + "/login?next=/admin/attendees")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", info["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/attendees", timeout=10_000)

    # The organiser follows the class link on the attendees page.
    row = page.locator("li", has=page.get_by_role("link", name=school, exact=True))
    row.get_by_role("link", name=class_name, exact=True).click()
    page.wait_for_url("**/badges/sheet?*", timeout=10_000)
    assert page.locator(".sheet").count() == -(-len(expected) // 8)
    decoded = decode_qr_codes(page, ".badge[data-token]")
    assert len(decoded) == len(expected)
    for item in decoded:
        assert item["text"] is not None, item
        assert item["text"].startswith(server.url + "/b/")
        assert extract(item["text"]) == item["token"]
    assert {extract(item["text"]) for item in decoded} == expected
    assert not server.errors_in_log()
