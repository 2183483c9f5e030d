"""Issue 12, the organiser's side: create three zone kiosks at once, print the
A4 pairing sheet, and a kiosk that scans one code sees which device, role and
zone it will become before pairing, then lands on its zone page."""
from __future__ import annotations

import pytest

from kiosk.auth import create_staff
from kiosk.db import now, open_db
from tests.support.qrdecode import decode_qr_codes

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000
PASSWORD = "pairing-sheet-pw"


def test_batch_sheet_qr_pairs_a_kiosk_that_first_sees_what_it_becomes(browser, live_hub):
    db = open_db(str(live_hub.database), "NORMAL")
    try:
        create_staff(db, "organiser", PASSWORD, "admin")
        db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, sort, created_at) "
                   "VALUES ('vr', 'Khu thực tế ảo', 'VR zone', 'vr_ar', 1, ?)", [now()])
        db.conn.commit()
    finally:
        db.conn.close()
    organiser_ctx, kiosk_ctx = browser.new_context(), browser.new_context()
    try:
        page = organiser_ctx.new_page()
        page.goto(f"{live_hub.url}/login?next=/admin/devices")
        page.fill("input[name=username]", "organiser")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/devices", timeout=TIMEOUT)
        form = page.locator("#batch form")
        form.locator("input[name=name]").fill("Kiosk VR")
        form.locator("select[name=role]").select_option("zone")
        form.locator("select[name=zone_id]").select_option(label="Khu thực tế ảo")
        form.locator("input[name=count]").fill("3")
        form.locator("input[name=valid_hours]").fill("8")
        with organiser_ctx.expect_page() as opened:
            form.locator("button[type=submit]").click()
        sheet = opened.value
        sheet.wait_for_selector(".pair-card", timeout=TIMEOUT)
        assert sheet.locator(".pair-card").count() == 3
        assert "8 giờ" in sheet.inner_text(".sheet-head") and "8 hours" in sheet.inner_text(".sheet-head")
        decoded = decode_qr_codes(sheet, ".pair-card")
        links = [item["text"] for item in decoded]
        assert all(link and link.startswith(live_hub.url + "/pair/") for link in links), links
        printed = sheet.locator(".pair-url").all_text_contents()
        assert printed == links
        # The sheet fits A4 pages: print layout has no card wider than the page.
        pdf = sheet.pdf(format="A4")
        assert pdf[:4] == b"%PDF"

        kiosk = kiosk_ctx.new_page()
        kiosk.goto(links[1])
        assert kiosk.inner_text("#pair-name") == "Kiosk VR 2"
        assert kiosk.inner_text("#pair-role") == "Kiosk khu trải nghiệm · Zone kiosk"
        assert kiosk.inner_text("#pair-zone") == "Khu thực tế ảo · VR zone"
        kiosk.reload()  # looking twice does not use up the one-time code
        with kiosk.expect_navigation():
            kiosk.click("form button[type=submit]")
        assert kiosk.url.endswith("/zone")
        kiosk.wait_for_selector("#zone-kiosk", timeout=TIMEOUT)
        assert "Khu thực tế ảo" in kiosk.inner_text(".zone-name")
    finally:
        organiser_ctx.close()
        kiosk_ctx.close()
