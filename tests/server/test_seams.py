"""Effects that cross features, on a real hub (gunicorn + eventlet, real
websockets): each is announced by the service that caused it, after the
commit, whichever path caused it."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
import socketio as sio

from checkin.attendees import NewAttendee, create_attendee
from kiosk.db import open_db, set_setting
from kiosk.devices.service import create_device, pair_device

pytestmark = pytest.mark.server


class Festival:
    """The live hub's file, with helpers that pair devices and register people."""

    def __init__(self, server):
        self.server = server
        self.db = open_db(str(server.database), "NORMAL")

    def device(self, role, zone_id=None):
        _id, code = create_device(self.db, f"{role} {uuid.uuid4().hex[:4]}", role, zone_id, "test")
        return pair_device(self.db, code)[2]

    def zone(self, points=10):
        zone_id = self.db.execute(
            "INSERT INTO zones (slug, name_vi, name_en, points, cooldown_s, created_at) "
            "VALUES (?, 'Khu VR', 'VR zone', ?, 600, datetime('now'))", [f"z-{uuid.uuid4().hex[:6]}", points]).lastrowid
        self.db.conn.commit()
        return zone_id

    def person(self):
        data = NewAttendee(full_name=f"Trần Văn {uuid.uuid4().hex[:5]}", age_band="16-17", school="THPT Thử",
                           class_name="10A", consent_child=True, consent_guardian=True, consent_public=True)
        return create_attendee(self.db, data, "import", "test", check_consents=False)

    def post(self, path, credential, payload):
        return requests.post(self.server.url + path, json=payload, timeout=15,
                             headers={"Authorization": f"Bearer {credential}"})

    def close(self):
        self.db.conn.close()


class Listener:
    """A Socket.IO client (websocket transport) that records one event."""

    def __init__(self, url, namespace, event, credential):
        self.events, self.changed = [], threading.Event()
        self.client = sio.Client(reconnection=False)

        def record(payload):
            self.events.append(payload)
            self.changed.set()

        self.client.on(event, record, namespace=namespace)
        self.client.connect(url, namespaces=[namespace], transports=["websocket"], wait_timeout=10,
                            headers={"Authorization": f"Bearer {credential}"})

    def wait_for(self, predicate, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(predicate(e) for e in list(self.events)):
                return True
            self.changed.wait(0.1)
            self.changed.clear()
        return False

    def close(self):
        self.client.disconnect()


@pytest.fixture
def festival(live_hub):
    f = Festival(live_hub)
    yield f
    f.close()
    assert not live_hub.errors_in_log(), live_hub.errors_in_log()


def test_a_zone_scan_that_checks_someone_in_moves_every_desks_counters(festival):
    zone_id = festival.zone()
    kiosk = festival.device("zone", zone_id)
    set_setting(festival.db, "auto_checkin_at_zones", "1")
    festival.db.conn.commit()
    _person, token = festival.person()
    desks = [Listener(festival.server.url, "/desk", "counters", festival.device("desk")) for _ in range(2)]
    try:
        for desk in desks:
            assert desk.wait_for(lambda c: c["checked_in"] == 0)
        answer = festival.post("/api/scans", kiosk, {"id": uuid.uuid4().hex, "text": token}).json()
        assert answer["result"] == "zone_visit" and answer["auto_checked_in"] is True
        stored = festival.db.execute("SELECT COUNT(*) FROM checkins").fetchone()[0]
        assert stored == 1
        for desk in desks:
            assert desk.wait_for(lambda c: c["checked_in"] == stored), desk.events
    finally:
        for desk in desks:
            desk.close()


def test_a_reward_claim_reaches_the_dashboard(festival):
    zone_id = festival.zone()
    festival.db.execute(
        "INSERT INTO passport_rules (name_vi, name_en, rule, count, reward_vi, reward_en) "
        "VALUES ('Một khu', 'One zone', 'count', 1, 'Huy hiệu', 'A pin')")
    festival.db.conn.commit()
    kiosk, desk = festival.device("zone", zone_id), festival.device("desk")
    set_setting(festival.db, "auto_checkin_at_zones", "1")
    festival.db.conn.commit()
    _person, token = festival.person()
    answer = festival.post("/api/scans", kiosk, {"id": uuid.uuid4().hex, "text": token}).json()
    reward_id = answer["rewards_unlocked"][0]["id"]
    dashboard = Listener(festival.server.url, "/admin", "dashboard", festival.device("admin"))
    try:
        assert dashboard.wait_for(lambda d: True)
        before = len(dashboard.events)
        claimed = festival.post(f"/api/rewards/{reward_id}/claim", desk, {})
        assert claimed.status_code == 200, claimed.text
        # The dashboard has no other reason to push now: this one is the claim's.
        assert dashboard.wait_for(lambda d: dashboard.events.index(d) >= before, timeout=15)
    finally:
        dashboard.close()


def test_a_scan_of_someone_not_checked_in_announces_no_visit(festival):
    zone_id = festival.zone()
    kiosk = festival.device("zone", zone_id)
    set_setting(festival.db, "auto_checkin_at_zones", "0")
    festival.db.conn.commit()
    _person, token = festival.person()
    stage = festival.device("stage")
    screen = Listener(festival.server.url, "/public", "board", stage)
    try:
        ack = screen.client.call("subscribe", {"boards": [f"zone:{zone_id}"]}, namespace="/public", timeout=10)
        assert ack["ok"]
        answer = festival.post("/api/scans", kiosk, {"id": uuid.uuid4().hex, "text": token}).json()
        assert answer["result"] == "not_checked_in"
        assert festival.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0
        assert not screen.wait_for(lambda b: True, timeout=2)
    finally:
        screen.close()
