"""The organiser dashboard: numbers, /admin namespace, device status reports."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.dashboard import service as dashboard
from kiosk.dashboard.pusher import pusher
from kiosk.dashboard.service import checkins_per_bucket, dashboard_data
from kiosk.db import now
from kiosk.zones.service import visit
from tests.support.http import post_json


def check_in(db, attendee_id, at=None, undone=False):
    at = at or now()
    db.execute("UPDATE attendees SET checked_in_at = ? WHERE id = ?", [None if undone else at, attendee_id])
    db.execute("INSERT INTO checkins (attendee_id, at, undone_at) VALUES (?, ?, ?)",
               [attendee_id, at, at if undone else None])
    db.conn.commit()


def test_numbers_and_checkins_per_15_minutes(app, db, make_attendee):
    people = [make_attendee()[0] for _ in range(4)]
    check_in(db, people[0])
    check_in(db, people[1])
    check_in(db, people[2], undone=True)
    yesterday = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat(timespec="milliseconds")
    check_in(db, people[3], at=yesterday)
    with app.app_context():
        data = dashboard_data(db)
    assert data["summary"] == {"registered": 4, "checked_in": 3, "in_venue": 2}
    assert sum(b["count"] for b in data["checkins"]) == 2  # undone and old ones excluded
    assert data["checkins"][-1]["count"] == 2
    assert data["quiz"]["live_games"] == 0


def test_buckets_are_15_minutes_apart(db):
    buckets = checkins_per_bucket(db, hours=2)
    starts = [datetime.fromisoformat(b["start"]) for b in buckets]
    assert all(b - a == timedelta(minutes=15) for a, b in zip(starts, starts[1:]))
    assert starts[0].minute % 15 == 0


def test_zone_parts_are_what_the_zone_service_stores(app, db, make_zone, guest):
    """A contract test: real visits through kiosk.zones.service.visit, read
    back by the dashboard (a made-up shape once hid "0 people in every zone")."""
    vr, quiz = make_zone(name_vi="Khu VR", dwell_s=900), make_zone(name_vi="Góc đố vui", dwell_s=900)
    people = [guest() for _ in range(3)]
    for n, person in enumerate(people):
        visit(db, person, vr, f"scan-vr-{n:04d}", "test")
    visit(db, people[0], quiz, "scan-quiz-0001", "test")
    with app.app_context():
        data = dashboard_data(db)
    inside = {z["zone_id"]: z for z in data["occupancy"]}
    assert inside[vr]["inside"] == 3 and inside[quiz]["inside"] == 1
    assert inside[vr]["name_vi"].startswith("Khu VR")
    traffic = {}
    for row in data["zone_traffic"]:
        traffic[row["zone_id"]] = traffic.get(row["zone_id"], 0) + row["visits"]
    assert traffic == {vr: 3, quiz: 1}


def test_dashboard_page_and_json_are_admin_only(client, admin_client, device_client):
    page = admin_client.get("/admin/")
    assert page.status_code == 200 and "js/dashboard.js" in page.get_data(as_text=True)
    assert admin_client.get("/admin/dashboard.json").get_json()["ok"] is True
    assert client.get("/admin/dashboard.json").status_code == 401
    for role in ("desk", "zone", "host", "stage"):
        assert device_client(role).get("/admin/dashboard.json").status_code == 403
        assert device_client(role).get("/admin/").status_code == 403


def test_admin_namespace_snapshot_and_pushes(app, db, admin_client, device_client, socket_client, make_attendee):
    assert not socket_client("/admin", device_client("desk")).is_connected("/admin")
    assert not socket_client("/admin", device_client("stage")).is_connected("/admin")
    sc = socket_client("/admin", admin_client)
    first = [e for e in sc.get_received("/admin") if e["name"] == "dashboard"]
    assert len(first) == 1 and first[0]["args"][0]["summary"]["registered"] == 0
    make_attendee()
    assert pusher.push_now(app=app) is True
    pushed = [e["args"][0] for e in sc.get_received("/admin") if e["name"] == "dashboard"]
    assert pushed[-1]["summary"]["registered"] == 1
    assert sc.emit("refresh", namespace="/admin", callback=True)["summary"]["registered"] == 1


def test_no_push_when_nobody_watches(app):
    assert pusher.push_now(app=app) is False


def test_devices_report_queue_length(db, device_client, admin_client, app):
    zone = device_client("zone")
    response = post_json(zone, "/api/devices/status", {"queue_length": 7, "online": True})
    assert response.status_code == 200
    row = db.execute("SELECT queue_length, last_seen_at FROM devices WHERE id = ?", [zone.device_id]).fetchone()
    assert row["queue_length"] == 7 and row["last_seen_at"]
    with app.app_context():
        devices = {d["id"]: d for d in dashboard_data(db)["devices"]}
    assert devices[zone.device_id]["queue_length"] == 7 and devices[zone.device_id]["online"]
    bearer = app.test_client()
    ok = bearer.post("/api/devices/status", json={"queue_length": 0},
                     headers={"Authorization": f"Bearer {zone.credential}"})
    assert ok.status_code == 200


def test_device_status_validation_and_roles(client, admin_client, device_client):
    desk = device_client("desk")
    for bad in ({"queue_length": "3"}, {"queue_length": -1}, {"queue_length": True}, {},
                {"queue_length": 1, "online": "yes"}):
        response = post_json(desk, "/api/devices/status", bad)
        assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_field"
    assert post_json(desk, "/api/devices/status", [1]).status_code == 400
    assert post_json(client, "/api/devices/status", {"queue_length": 1}).status_code == 401
    refused = post_json(admin_client, "/api/devices/status", {"queue_length": 1})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "not_a_device"


def test_sections_hook(app, db):
    dashboard.register_section("extra_test", lambda db: {"n": 1})
    try:
        with app.app_context():
            assert dashboard_data(db)["extra_test"] == {"n": 1}
    finally:
        dashboard._sections.pop("extra_test")
