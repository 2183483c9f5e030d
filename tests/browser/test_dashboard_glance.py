"""Issue 12: the organiser's dashboard showed 0 people in every zone and named
the zone-traffic bars "#1". Real visits scanned on a real hub; the organiser's
1920×1080 screen shows each zone by name with its visits and people inside
(equal to what is stored), and every at-a-glance part lies inside the viewport."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from checkin.attendees import NewAttendee, create_attendee
from checkin.scanning import check_in
from kiosk.auth import create_staff
from kiosk.db import now, open_db
from kiosk.devices.service import create_device
from kiosk.zones.stats import occupancy
from tests.support.layout import check_layout
from tests.support.pairing import log_in

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000
PASSWORD = "dashboard-pw-2026"
ZONES = [("khu-lua-dao", "Khu nhận diện lừa đảo qua mạng", "Online scam awareness", 2),
         ("goc-do-vui", "Góc đố vui", "Quiz corner", None),
         ("san-khau", "Sân khấu chính", "Main stage", 100)]


def _setup(database) -> tuple[list[int], list[str]]:
    db = open_db(str(database), "NORMAL")
    try:
        create_staff(db, "organiser", PASSWORD, "admin")
        zone_ids = []
        for sort, (slug, vi, en, capacity) in enumerate(ZONES, start=1):
            zone_ids.append(db.execute(
                "INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, capacity, dwell_s, sort, "
                "created_at) VALUES (?, ?, ?, 'booth', 10, 600, ?, 3600, ?, ?)",
                [slug, vi, en, capacity, sort, now()]).lastrowid)
        db.conn.commit()
        tokens = []
        for i in range(4):
            attendee_id, token = create_attendee(
                db, NewAttendee(full_name=f"Học Sinh {chr(65 + i)}", age_band="16-17", consent_child=True,
                                consent_public=True), "walkin", "test", check_consents=False)
            row = dict(db.execute("SELECT * FROM attendees WHERE id = ?", [attendee_id]).fetchone())
            check_in(db, row, "test", "Bàn 1")
            tokens.append(token)
        # A kiosk paired two hours ago that has not been heard from since: offline.
        device_id, _code = create_device(db, "Kiosk cổng B", "desk", None, "test")
        old = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(timespec="milliseconds")
        db.execute("UPDATE devices SET paired_at = ?, last_seen_at = ? WHERE id = ?", [old, old, device_id])
        db.conn.commit()
    finally:
        db.conn.close()
    return zone_ids, tokens


def _scan_at_zone(page, base: str, zone_id: int, tokens: list[str]) -> None:
    """The organiser runs a zone kiosk page and scans badges with a wedge scanner."""
    page.goto(f"{base}/zone?zone_id={zone_id}")
    page.wait_for_selector("#big:has-text('Quét thẻ')", timeout=TIMEOUT)
    for token in tokens:
        page.evaluate("document.getElementById('result').dataset.result = ''")
        page.keyboard.type(f"{base}/b/{token}", delay=5)
        page.keyboard.press("Enter")
        page.wait_for_selector("#result:not([data-result=''])", timeout=TIMEOUT)
        assert page.get_attribute("#result", "data-result") == "zone_visit", page.inner_text("#result")


def _stored(database) -> tuple[dict, dict]:
    db = open_db(str(database), "NORMAL")
    try:
        visits = {r[0]: r[1] for r in db.execute(
            "SELECT zone_id, COUNT(*) FROM visits WHERE kind = 'enter' GROUP BY zone_id")}
        inside = {z["zone_id"]: z["inside"] for z in occupancy(db)}
    finally:
        db.conn.close()
    return visits, inside


def test_dashboard_at_a_glance_on_1920x1080(browser, live_hub):
    zone_ids, tokens = _setup(live_hub.database)
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        page = context.new_page()
        log_in(page, live_hub.url, "organiser", PASSWORD)

        _scan_at_zone(page, live_hub.url, zone_ids[0], tokens[:3])
        _scan_at_zone(page, live_hub.url, zone_ids[1], tokens[3:])
        visits, inside = _stored(live_hub.database)
        assert visits == {zone_ids[0]: 3, zone_ids[1]: 1} and inside[zone_ids[0]] == 3

        page.goto(f"{live_hub.url}/admin/")
        page.wait_for_selector("#chart-occupancy svg text.zone-label", timeout=TIMEOUT)
        assert page.inner_text("#n-checked_in") == "4"
        assert page.inner_text("#n-inside") == "4"
        assert page.inner_text("#n-offline") == "1 / 1"
        assert "Kiosk cổng B" in page.inner_text("#offline-list")

        # Zone traffic: every zone by its (Vietnamese) name with its visits; never "#1".
        legend = page.locator("#chart-zones .legend").all_text_contents()
        assert sorted(legend) == sorted(f"{vi} · {visits.get(zid, 0)}" for zid, (_s, vi, _e, _c) in zip(zone_ids, ZONES))
        charts = page.inner_text("#dash-glance") + "".join(
            page.locator("#dash-glance svg text").all_text_contents())
        assert "#1" not in charts and "#" + str(zone_ids[0]) not in charts

        # Occupancy: names and "inside / capacity" as stored (3 people in a zone for 2).
        for zid, (_slug, vi, _en, capacity) in zip(zone_ids, ZONES):
            label = page.locator(f"#chart-occupancy text.zone-label[data-zone-id='{zid}']")
            count = page.locator(f"#chart-occupancy text.zone-count[data-zone-id='{zid}']")
            assert label.text_content() == vi
            expected = f"{inside[zid]} / {capacity}" if capacity else str(inside[zid])
            assert count.text_content() == expected
        assert page.locator("#chart-occupancy rect.bar-full").count() == 1

        # Both time charts have axis titles.
        for chart, title in (("#chart-checkins", "Lượt check-in"), ("#chart-zones", "Lượt ghé khu")):
            titles = page.locator(f"{chart} text.axis-title").all_text_contents()
            assert title in titles and "Thời gian" in titles

        # At a glance: each part is inside the 1920×1080 viewport, no scrolling needed.
        parts = ["#n-registered", "#n-checked_in", "#n-in_venue", "#n-offline", "#n-quiz",
                 "#card-checkins", "#card-traffic", "#card-occupancy", "#card-status",
                 "#offline-list", "#q-live_players"]
        page.evaluate("window.scrollTo(0, 0)")
        for selector in parts:
            box = page.locator(selector).bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0 and box["y"] >= 0, selector
            assert box["x"] + box["width"] <= 1920 and box["y"] + box["height"] <= 1080, (selector, box)
        # No chart text is cut off at its chart's edge.
        cut = page.evaluate("""() => [...document.querySelectorAll('#dash-glance svg text')].filter((t) => {
            const s = t.ownerSVGElement.getBoundingClientRect(), r = t.getBoundingClientRect();
            return r.left < s.left - 1 || r.right > s.right + 1 || r.top < s.top - 1 || r.bottom > s.bottom + 1;
        }).map((t) => t.textContent)""")
        assert cut == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 1920
    finally:
        context.close()


LONG_ZONES = [f"Khu trải nghiệm số {n}: An toàn trên Không gian mạng cho học sinh" for n in range(1, 13)]


def test_zone_legend_wraps_with_twelve_distinct_colours(browser, live_hub):
    """Issue 23: twelve zones with long names, a legend that wraps (no text over text)
    and twelve different colours, on the organiser's 1920×1080 and a 1366×768 laptop."""
    db = open_db(str(live_hub.database), "NORMAL")
    try:
        create_staff(db, "organiser", PASSWORD, "admin")
        for sort, name in enumerate(LONG_ZONES, start=1):
            db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, sort, created_at) "
                       "VALUES (?, ?, ?, 'booth', 10, 600, ?, ?)", [f"khu-{sort}", name, f"Zone {sort}", sort, now()])
        db.conn.commit()
    finally:
        db.conn.close()
    problems: list[str] = []
    for width, height in ((1920, 1080), (1366, 768)):
        context = browser.new_context(viewport={"width": width, "height": height})
        try:
            page = context.new_page()
            log_in(page, live_hub.url, "organiser", PASSWORD)
            page.wait_for_selector("#chart-zones .legend", timeout=TIMEOUT)
            assert page.locator("#chart-zones .legend").count() == 12
            colours = page.evaluate("() => [...document.querySelectorAll('#chart-zones .swatch')]"
                                    ".map((s) => getComputedStyle(s).borderTopColor)")
            assert len(set(colours)) == 12, colours
            check_layout(page, f"dashboard {width}x{height}", scrollable=True, problems=problems)
        finally:
            context.close()
    assert not problems, "\n".join(problems)
