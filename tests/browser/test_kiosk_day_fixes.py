"""Issue 12, seen on real kiosks on a real hub: a badge not checked in yet must
not be headlined "Already visited"; an idle kiosk's camera button has a label;
every page's icon is served (no /favicon.ico 404)."""
from __future__ import annotations

import pytest

from checkin.attendees import NewAttendee, create_attendee
from kiosk.db import now, open_db
from tests.support.pairing import pair_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000


def _zone_and_attendee(database, kind: str = "zone") -> tuple[int, str]:
    db = open_db(str(database), "NORMAL")
    try:
        zone_id = db.execute(
            "INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, sort, created_at) "
            "VALUES (?, 'Khu lừa đảo', 'Scam zone', ?, 10, 600, 1, ?)", [f"k-{kind}", kind, now()]).lastrowid
        db.conn.commit()
        _, token = create_attendee(
            db, NewAttendee(full_name="Lê Văn An", age_band="7-15", consent_child=True,
                            consent_guardian=True, consent_public=True), "walkin", "test",
            check_consents=False)
    finally:
        db.conn.close()
    return zone_id, token


def _watch_missing(page) -> list[str]:
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    return missing


def test_zone_kiosk_badge_not_checked_in_is_not_already_visited(page, live_hub):
    zone_id, token = _zone_and_attendee(live_hub.database)
    missing = _watch_missing(page)
    pair_page(page, live_hub.url, live_hub.database, "zone", zone_id=zone_id, name="Zone tablet")
    page.goto(f"{live_hub.url}/zone")
    page.wait_for_selector("#big:has-text('Quét thẻ')", timeout=TIMEOUT)

    # Idle: the camera button says what it does, in both languages.
    label = page.inner_text("#camera-toggle").strip()
    assert label.startswith("Bật camera")
    assert "Start camera" in label
    box = page.locator("#camera-toggle").bounding_box()
    assert box and box["width"] > 60

    page.keyboard.type(f"{live_hub.url}/b/{token}", delay=5)
    page.keyboard.press("Enter")
    page.wait_for_selector("#result[data-result='not_checked_in']", timeout=TIMEOUT)
    big, big_en = page.inner_text("#big"), page.inner_text("#big-en")
    assert "Đã ghé thăm" not in big and "Already visited" not in big_en
    assert big == "Hãy check-in tại bàn trước" and big_en == "Check in at the desk first"
    assert "bàn check-in" in page.inner_text("#msg-vi")

    # The icon: in the page itself (a data: URL since issue 21, no request), or linked and served;
    # nothing asked for is missing.
    icon = page.get_attribute("link[rel=icon]", "href")
    assert icon.startswith("data:image/svg+xml,") or page.request.get(live_hub.url + icon).status == 200
    assert page.request.get(live_hub.url + "/favicon.ico").status == 200
    assert not [url for url in missing if "favicon" in url], missing


def test_quiz_kiosk_idle_camera_button_has_a_label(page, live_hub):
    zone_id, _token = _zone_and_attendee(live_hub.database, kind="quiz")
    pair_page(page, live_hub.url, live_hub.database, "zone", zone_id=zone_id, name="Quiz tablet")
    page.goto(f"{live_hub.url}/quiz")
    page.wait_for_selector("#quiz[data-ready=true]", timeout=TIMEOUT)
    label = page.inner_text("#quiz-camera-button").strip()
    assert label.startswith("Dùng camera") and "Use the camera" in label
    box = page.locator("#quiz-camera-button").bounding_box()
    assert box and box["width"] > 60 and box["height"] > 20
