"""Issue 24: an integer parameter over 64 bits is a 4xx, never a 500."""
from __future__ import annotations

import pytest

from tests.support.http import post_form

HUGE = "1" * 24


@pytest.mark.parametrize("url", [
    f"/badges/sheet?attendee={HUGE}",
    f"/badges/sheet?attendee=1&attendee={HUGE}",
    f"/badges/sheet?attendee=-{HUGE}",
    f"/admin/audit?page={HUGE}",
    f"/api/attendees/search?q=an&limit={HUGE}&offset={HUGE}",
])
def test_huge_numbers_in_query_strings_are_a_4xx(admin_client, url):
    status = admin_client.get(url).status_code
    assert status < 500 and status != 404, status


def test_huge_numbers_in_admin_forms_are_a_4xx(admin_client, make_zone):
    zone_id = make_zone()
    for path, form in (("/admin/devices", {"name": "Bàn", "role": "zone", "zone_id": HUGE}),
                       (f"/zones/{zone_id}/present/scan-mode", {"device_id": HUGE, "mode": "entry"})):
        status = post_form(admin_client, path, form).status_code
        assert status < 500 and status != 404, (path, status)


def test_an_overflow_anywhere_is_a_bilingual_400(app):
    from kiosk.errors import number_too_big

    with app.test_request_context("/x", headers={"Accept": "application/json"}):
        reply, status = number_too_big(OverflowError("Python int too large to convert to SQLite INTEGER"))
    assert status == 400 and reply.get_json()["error"]["code"] == "bad_number"
    assert reply.get_json()["error"]["message_vi"] != reply.get_json()["error"]["message_en"]
