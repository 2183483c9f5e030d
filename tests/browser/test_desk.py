"""The desk page in a real browser against a real hub (gunicorn + eventlet):
wedge scans, a fake-camera scan with no network beyond the hub, name search,
a walk-in with its label, live counters on a second desk, and two desks
racing on one badge."""
from __future__ import annotations

import time
import urllib.parse

import pytest

from kiosk.tokens import new_token
from tests.support.http import CHROMIUM
from tests.support import fakecam
from tests.support.desk import add_attendee, open_desk, query, wait_result, wedge

pytestmark = [pytest.mark.browser, pytest.mark.server]

BASE_ARGS = ["--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-quic"]


def test_wedge_scans_green_yellow_red_with_distinct_sounds(page, live_hub):
    attendee_id, token = add_attendee(live_hub.database, "Phạm Thu Hà")
    open_desk(page, live_hub)
    wedge(page, token)
    green = wait_result(page, "green")
    assert green["result"] == "checked_in" and "Hà" in green["person"] and green["sound"] == "green"
    wedge(page, token.lower())
    yellow = wait_result(page, "yellow")
    assert yellow["result"] == "already_checked_in" and "Desk 1" in yellow["text"]
    wedge(page, new_token())
    red = wait_result(page, "red")
    assert red["result"] == "unknown_badge" and red["sound"] == "red" and yellow["sound"] == "yellow"
    assert query(live_hub.database, "SELECT station FROM checkins WHERE attendee_id = ?", [attendee_id]) == [("Desk 1",)]
    # A burst rewritten by a Vietnamese input method: the volunteer is told to switch it off.
    assert page.is_hidden("#ime-hint")
    page.evaluate(FIRE_AT, [token[:-2] + "Ư", 0])
    page.wait_for_selector("#ime-hint:not([hidden])")
    assert wait_result(page, "red", previous=red["text"])["result"] == "invalid_badge"
    assert live_hub.errors_in_log() == []


def test_offline_scan_is_saved_and_synced_later(page, live_hub):
    attendee_id, token = add_attendee(live_hub.database, "Ngô Bảo Châu")
    open_desk(page, live_hub)
    page.context.set_offline(True)
    wedge(page, token)
    wait_result(page, "queued")
    page.wait_for_selector("#outbox-state:not([hidden])")
    assert page.evaluate("() => document.getElementById('desk').dataset.outbox") == "1"
    assert query(live_hub.database, "SELECT COUNT(*) FROM checkins") == [(0,)]
    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('desk').dataset.outbox === '0'", timeout=15_000)
    assert query(live_hub.database, "SELECT attendee_id FROM checkins") == [(attendee_id,)]


def test_under_16_without_guardian_consent_needs_acknowledgement(page, live_hub):
    _id, child = add_attendee(live_hub.database, "Đỗ Minh Tú", age_band="7-15", consent_guardian=False)
    _id2, other = add_attendee(live_hub.database, "Vũ Hải Nam")
    open_desk(page, live_hub)
    wedge(page, child)
    wait_result(page, "green")
    page.wait_for_selector("#guardian-warning:not([hidden])")
    wedge(page, other)  # sent to the hub, but not shown before the volunteer acknowledges
    page.wait_for_function("() => document.getElementById('guardian-queue').textContent.length > 0")
    assert "Tú" in page.text_content("#result-person")
    before = page.text_content("#result")
    page.click("#guardian-ack")
    shown = wait_result(page, "green", previous=before)
    assert "Nam" in shown["person"]
    assert page.is_hidden("#guardian-warning")


def test_camera_scan_checks_in_with_no_network_beyond_the_hub(playwright, live_hub, tmp_path):
    attendee_id, token = add_attendee(live_hub.database, "Lê Quang Huy")
    y4m = fakecam.write_qr_y4m(tmp_path / "badge.y4m", f"{live_hub.url}/b/{token}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        *BASE_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}"])
    blocked = []

    def guard(route):
        if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    try:
        context = browser.new_context()
        context.route("**/*", guard)
        page = context.new_page()
        open_desk(page, live_hub)
        page.click("#camera-toggle")
        result = wait_result(page, "green", timeout=20_000)
        assert result["result"] == "checked_in" and "Huy" in result["person"]
        assert page.evaluate("() => document.getElementById('desk').dataset.camera") in ("polyfill", "native")
    finally:
        browser.close()
    assert blocked == []
    assert query(live_hub.database, "SELECT COUNT(*) FROM checkins WHERE attendee_id = ?", [attendee_id]) == [(1,)]


def test_search_without_accents_and_check_in(page, live_hub):
    add_attendee(live_hub.database, "Nguyễn Văn Anh", school="THCS Cầu Giấy", class_name="8A")
    attendee_id, _ = add_attendee(live_hub.database, "Nguyễn Văn An", school="THCS Nghĩa Tân", class_name="7B")
    open_desk(page, live_hub)
    page.click("#search")
    page.keyboard.type("nguyen van an", delay=60)  # a person typing: not a scan
    item = page.locator(f"#search-results li[data-attendee='{attendee_id}']")
    item.wait_for()
    assert "Nguyễn Văn An" in item.text_content() and "THCS Nghĩa Tân" in item.text_content()
    assert page.locator("#search-results li").first.get_attribute("data-attendee") == str(attendee_id)
    item.locator("button").click()
    result = wait_result(page, "green")
    assert result["result"] == "checked_in" and "An" in result["person"]
    assert query(live_hub.database, "SELECT method FROM checkins WHERE attendee_id = ?", [attendee_id]) == [("search",)]


def test_walk_in_registered_and_label_opened(page, live_hub):
    open_desk(page, live_hub)
    page.click("#walkin-box summary")
    form = page.locator("#walkin-form")
    form.locator("input[name=full_name]").fill("Hoàng Gia Bảo")
    form.locator("select[name=age_band]").select_option("7-15")
    form.locator("input[name=school]").fill("THCS Ngô Sĩ Liên")
    form.locator("input[name=consent_child]").check()
    form.locator("input[name=consent_guardian]").check()
    form.locator("select[name=consent_method]").select_option("guardian present")
    has_labels = "badges.label" in live_hub_endpoints(live_hub)
    if has_labels:
        with page.context.expect_page() as popup:
            form.locator("button[type=submit]").click()
        label = popup.value
        label.wait_for_load_state()
        assert "/badges/" in label.url and label.url.endswith("/label")
        assert "Bảo" in label.content() or "Hoàng Gia Bảo" in label.content()
    else:
        form.locator("button[type=submit]").click()
    result = wait_result(page, "green")
    assert "Bảo" in result["person"]
    rows = query(live_hub.database, "SELECT source, consent_method, checked_in_by FROM attendees")
    assert rows == [("walkin", "guardian present", "Desk 1")]


def live_hub_endpoints(hub):
    """Endpoints of the app the hub runs (same code, built here)."""
    from kiosk import create_app

    app = create_app({"TESTING": True, "DATABASE": str(hub.database), "INSTANCE_PATH": str(hub.instance),
                      "ASYNC_MODE": "threading"})
    return set(app.view_functions)


def test_counters_update_on_a_second_desk(browser, live_hub):
    _id, token = add_attendee(live_hub.database, "Bùi Khánh Linh")
    add_attendee(live_hub.database, "Trịnh Công Sơn")
    desk1 = browser.new_context().new_page()
    desk2 = browser.new_context().new_page()
    try:
        open_desk(desk1, live_hub, "Desk 1")
        open_desk(desk2, live_hub, "Desk 2")
        desk2.wait_for_function("() => document.getElementById('count-registered').textContent === '2'")
        assert desk2.text_content("#count-in") == "0"
        wedge(desk1, token)
        wait_result(desk1, "green")
        desk2.wait_for_function("() => document.getElementById('count-in').textContent === '1'", timeout=5000)
        assert "Desk 1: 1" in desk2.text_content("#count-stations")
    finally:
        desk1.context.close()
        desk2.context.close()


FIRE_AT = """([text, at]) => setTimeout(() => {
    // A scanner burst, fired at the same wall-clock moment on both desks.
    for (const key of [...text, 'Enter']) {
        document.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, cancelable: true}));
    }
}, Math.max(0, at - Date.now()))"""


def test_two_desks_scanning_one_badge_at_once_check_in_once(browser, live_hub):
    attendee_id, token = add_attendee(live_hub.database, "Đặng Thùy Dung")
    desks = [browser.new_context().new_page() for _ in range(2)]
    try:
        for n, page in enumerate(desks, 1):
            open_desk(page, live_hub, f"Desk {n}")
        at = int(time.time() * 1000) + 700
        for page in desks:
            page.evaluate(FIRE_AT, [token, at])
        for page in desks:
            page.wait_for_function("() => ['green', 'yellow'].includes(document.getElementById('result').dataset.level)")
        levels = sorted(page.evaluate("() => document.getElementById('result').dataset.level") for page in desks)
        assert levels == ["green", "yellow"]
    finally:
        for page in desks:
            page.context.close()
    assert query(live_hub.database, "SELECT COUNT(*) FROM checkins WHERE attendee_id = ?", [attendee_id]) == [(1,)]
