"""An attendee's day: one page for the desk and the organiser with check-ins
and undos, visits, points with sources, rewards, quiz rounds and games; the
desk search shows points and the last zone visited and links to it."""
from __future__ import annotations

import pytest

from kiosk.db import transaction
from kiosk.zones.service import visit
from tests.support.privacy import add_game_rows
from tests.support.http import post_json
from tests.support.zones import T0, iso


@pytest.fixture
def busy(db, make_attendee, make_zone, device_client):
    attendee_id, token = make_attendee(full_name="Phạm Thu Hà", nickname="Mây Hồng")
    desk = device_client("desk")
    assert post_json(desk, "/api/scans", {"id": "day-scan-1", "text": token}).status_code == 200
    with transaction(db):
        db.execute("INSERT INTO checkins (attendee_id, station, method, at, by, undone_at, undone_by) "
                   "VALUES (?, 'Bàn 2', 'scan', ?, 'device:9:desk', ?, 'device:9:desk')",
                   [attendee_id, iso(T0), iso(T0)])
        db.execute("INSERT INTO passport_rules (name_vi, name_en, rule, count, reward_vi, reward_en) "
                   "VALUES ('Một khu', 'One zone', 'count', 1, 'Huy hiệu', 'Pin badge')")
    zone = make_zone(name_vi="Khu Thực Tế Ảo", name_en="VR zone")
    visit(db, {"id": attendee_id}, zone, "day-visit-1", "test")
    add_game_rows(db, attendee_id, "Mây Hồng")
    return {"id": attendee_id, "desk": desk, "zone": zone}


def test_day_page_shows_everything_the_attendee_did(db, busy):
    html = busy["desk"].get(f"/attendees/{busy['id']}/day").get_data(as_text=True)
    assert "Phạm Thu Hà" in html and "Mây Hồng" in html
    checkins = html[html.index('id="checkins"'):html.index('id="visits"')]
    assert checkins.count("<tr") == 1 + 2 and 'class="undone"' in checkins
    visits = html[html.index('id="visits"'):html.index('id="points"')]
    assert "Khu Thực Tế Ảo" in visits and 'data-kind="enter"' in visits
    total = db.execute("SELECT points FROM point_totals WHERE attendee_id = ?", [busy["id"]]).fetchone()[0]
    assert f"Điểm: {total}" in html or f"Points: {total}" in html
    assert "Huy hiệu" in html  # the reward the visit unlocked
    rounds = html[html.index('id="rounds"'):html.index('id="games"')]
    assert "1 / 2" in rounds  # one of two self-paced answers right
    assert "Vòng 1" in html[html.index('id="games"'):]
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'attendee.day'").fetchone()[0] == 1


def test_day_page_roles_and_unknown(client, admin_client, device_client, busy):
    url = f"/attendees/{busy['id']}/day"
    assert admin_client.get(url).status_code == 200
    assert client.get(url).status_code == 401
    for role in ("zone", "host", "stage"):
        assert device_client(role).get(url).status_code == 403
    assert admin_client.get("/attendees/99999/day").status_code == 404


def test_desk_search_shows_points_last_zone_and_the_day_link(db, busy):
    reply = busy["desk"].get("/api/attendees/search?q=pham thu").get_json()
    person = next(p for p in reply["results"] if p["id"] == busy["id"])
    total = db.execute("SELECT points FROM point_totals WHERE attendee_id = ?", [busy["id"]]).fetchone()[0]
    assert person["points"] == total > 0
    assert person["last_zone"]["en"].startswith("VR zone")
    assert person["day_url"] == f"/attendees/{busy['id']}/day"
