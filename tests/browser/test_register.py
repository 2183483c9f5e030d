"""Real browser: self-registration on a 360 px phone ends with a badge whose QR
the hub recognises; an under-16 cannot finish without the guardian step."""
import pytest

from kiosk.badgecheck import lookup_badge
from kiosk.db import open_db
from tests.support.qrdecode import decode_qr_codes

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def attendees(hub):
    db = open_db(str(hub.database), "NORMAL")
    try:
        return db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0]
    finally:
        db.conn.close()


def test_under_sixteen_self_registration_needs_the_guardian_and_ends_with_a_badge(live_hub, phone):
    page = phone
    page.goto(live_hub.url + "/register")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill("#full_name", "Nguyễn Thị Mai")
    suggested = page.input_value("#nickname")
    page.click("#new-nickname")
    page.wait_for_function("(old) => document.getElementById('nickname').value !== old", arg=suggested,
                           timeout=5_000)
    page.check("input[name=age_band][value='7-15']")
    page.check("#consent_child")
    assert page.is_visible("#guardian-step")

    # 1. The browser refuses to submit without the guardian's tick.
    page.click("#register-submit")
    assert page.evaluate("document.getElementById('consent_guardian').validity.valueMissing")
    assert page.url.endswith("/register") and attendees(live_hub) == 0

    # 2. Without the page's help (required removed), the hub refuses too.
    page.evaluate("document.getElementById('consent_guardian').required = false")
    page.click("#register-submit")
    page.wait_for_load_state()
    assert "cha mẹ hoặc người giám hộ" in page.inner_text(".alert-error")
    assert attendees(live_hub) == 0
    assert page.input_value("#full_name") == "Nguyễn Thị Mai"  # nothing typed is lost

    # 3. With the guardian's consent the badge appears.
    page.check("#consent_guardian")
    page.fill("input[name=guardian_contact]", "0901 234 567")
    page.click("#register-submit")
    page.wait_for_url("**/b/*", timeout=10_000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert "Muốn có thẻ in?" in page.content()
    decoded = decode_qr_codes(page, ".my-badge-qr")
    assert len(decoded) == 1 and decoded[0]["text"]
    db = open_db(str(live_hub.database), "NORMAL")
    try:
        found = lookup_badge(db, decoded[0]["text"])
        assert found.status == "ok" and found.token == decoded[0]["token"]
        assert found.attendee["full_name"] == "Nguyễn Thị Mai" and found.attendee["consent_guardian"] == 1
        assert found.attendee["source"] == "self"
    finally:
        db.conn.close()
    assert not live_hub.errors_in_log()


def test_adult_does_not_see_the_guardian_step(live_hub, phone):
    phone.goto(live_hub.url + "/register")
    phone.check("input[name=age_band][value='18+']")
    assert not phone.is_visible("#guardian-step")
    phone.fill("#full_name", "Trần Văn Bình")
    phone.check("#consent_child")
    phone.click("#register-submit")
    phone.wait_for_url("**/b/*", timeout=10_000)
    assert attendees(live_hub) == 1
