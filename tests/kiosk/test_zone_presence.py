"""Who is in a zone now: names for the zone's own kiosks and admins, public
names elsewhere; kiosks in exit mode log exits; otherwise dwell time decides."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kiosk.db import now, parse_time
from kiosk.zones.presence import inside
from kiosk.zones.stats import occupancy_of
from tests.support.http import post_form, post_json
from tests.support.zones import iso


@pytest.fixture
def zone_day(db, make_zone, make_attendee, device_client):
    zone = make_zone(dwell_s=900)
    other = make_zone()
    kiosk = device_client("zone", zone_id=zone)
    people = {"shown": make_attendee(full_name="Ngô Bảo Châu", nickname="Cá Heo"),
              "private": make_attendee(full_name="Đỗ Minh Khoa", nickname="Bí Mật", consent_public=False)}
    for n, (_id, token) in enumerate(people.values()):
        post_json(device_client("desk"), "/api/scans", {"id": f"in-desk-{n}", "text": token})
        reply = post_json(kiosk, "/api/scans", {"id": f"in-zone-{n}", "text": token})
        assert reply.status_code == 200 and reply.get_json()["result"] == "zone_visit"
    return {"zone": zone, "other": other, "kiosk": kiosk, "people": people}


def test_the_zones_kiosk_and_admin_see_names(admin_client, zone_day):
    for viewer in (zone_day["kiosk"], admin_client):
        data = viewer.get(f"/api/zones/{zone_day['zone']}/present").get_json()
        assert data["count"] == 2 and data["names"]
        assert {p["name"] for p in data["people"]} == {"Ngô Bảo Châu", "Đỗ Minh Khoa"}


def test_everyone_else_sees_nicknames_or_numbers(device_client, zone_day):
    elsewhere = device_client("zone", zone_id=zone_day["other"])
    for viewer in (elsewhere, device_client("desk"), device_client("host")):
        response = viewer.get(f"/api/zones/{zone_day['zone']}/present")
        text = json.dumps(response.get_json(), ensure_ascii=False)
        assert response.status_code == 200 and "Ngô Bảo Châu" not in text and "Đỗ Minh Khoa" not in text
        assert "Cá Heo" in text and "Bí Mật" not in text and "Người chơi #" in text
    page = elsewhere.get(f"/zones/{zone_day['zone']}/present").get_data(as_text=True)
    assert "Cá Heo" in page and "Ngô Bảo Châu" not in page and "<script>" not in page


def test_presence_needs_a_staff_role(client, zone_day):
    assert client.get(f"/api/zones/{zone_day['zone']}/present").status_code == 401
    assert client.get(f"/zones/{zone_day['zone']}/present").status_code == 401


def test_dwell_time_decides_without_exit_scans(db, zone_day):
    zone = dict(db.execute("SELECT * FROM zones WHERE id = ?", [zone_day["zone"]]).fetchone())
    later = iso(parse_time(now()) + timedelta(seconds=901))
    assert len(inside(db, zone)) == 2 == occupancy_of(db, zone)
    assert inside(db, zone, later) == [] and occupancy_of(db, zone, later) == 0


def test_an_exit_kiosk_logs_exits_and_the_person_is_out(db, admin_client, device_client, zone_day):
    door = device_client("zone", zone_id=zone_day["zone"])
    assert device_client("desk").post(f"/api/zones/devices/{door.device_id}/scan-mode",
                                      json={"mode": "exit"}).status_code in (400, 403)
    reply = post_json(admin_client, f"/api/zones/devices/{door.device_id}/scan-mode", {"mode": "exit"})
    assert reply.status_code == 200 and reply.get_json()["device"]["scan_mode"] == "exit"
    assert post_json(admin_client, f"/api/zones/devices/{door.device_id}/scan-mode",
                     {"mode": "sideways"}).status_code == 400
    _id, token = zone_day["people"]["shown"]
    answer = post_json(door, "/api/scans", {"id": "out-scan-01", "text": token}).get_json()
    assert answer["result"] == "zone_exit" and answer["level"] == "green"
    assert db.execute("SELECT kind, points FROM visits WHERE scan_id = 'out-scan-01'").fetchone()[:] == ("exit", 0)
    zone = dict(db.execute("SELECT * FROM zones WHERE id = ?", [zone_day["zone"]]).fetchone())
    assert [p["full_name"] for p in inside(db, zone)] == ["Đỗ Minh Khoa"] and occupancy_of(db, zone) == 1
    # the admin's form on the presence page switches it back
    page = admin_client.get(f"/zones/{zone_day['zone']}/present").get_data(as_text=True)
    assert f'value="{door.device_id}"' in page
    back = post_form(admin_client, f"/zones/{zone_day['zone']}/present/scan-mode",
                     {"device_id": str(door.device_id), "mode": "enter"})
    assert back.status_code == 302
    assert db.execute("SELECT scan_mode FROM devices WHERE id = ?", [door.device_id]).fetchone()[0] == "enter"
