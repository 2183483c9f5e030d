"""Crash safety: SIGKILL the real hub under a steady scan load, restart it,
let the kiosks retry, and prove nothing they were told was saved is lost,
nothing counted twice, and nothing half-written."""
from __future__ import annotations

import json
import random
import threading
import time
import uuid

import pytest
import requests

from checkin.attendees import NewAttendee, create_attendee
from kiosk import create_app
from kiosk.db import now, open_db
from kiosk.devices.service import create_device, pair_device
from tests.support.live import LiveServer

CLIENTS = 4
SCANS_PER_CLIENT = 50
KILL_AFTER_ACKED = 40
DEADLINE_S = 120


class Kiosk(threading.Thread):
    """One device's outbox: scans in order, each retried with the SAME id
    until the hub answers 2xx (as static/js/outbox.js does)."""

    def __init__(self, url: str, credential: str, tokens: list[str], name: str):
        super().__init__(daemon=True, name=name)
        self.url = url + "/api/scans"
        self.headers = {"Authorization": f"Bearer {credential}"}
        self.tokens = tokens
        self.acked: dict[str, dict] = {}
        self.connection_errors = 0
        self.refused: list[tuple[int, str]] = []
        self.deadline = time.monotonic() + DEADLINE_S
        self.rng = random.Random(name)

    def run(self) -> None:
        session = requests.Session()
        for n in range(SCANS_PER_CLIENT):
            scan = {"id": f"{self.name}-{n:04d}-{uuid.uuid4().hex[:8]}", "text": self.rng.choice(self.tokens),
                    "client_time": now()}
            while time.monotonic() < self.deadline:
                try:
                    response = session.post(self.url, json=scan, headers=self.headers, timeout=5)
                except requests.RequestException:
                    self.connection_errors += 1
                    session = requests.Session()  # the old keep-alive socket died with the hub
                    time.sleep(0.05)
                    continue
                if response.status_code < 300:
                    self.acked[scan["id"]] = response.json()
                elif response.status_code >= 500:
                    time.sleep(0.05)
                    continue  # the outbox keeps it and tries again
                else:
                    self.refused.append((response.status_code, response.text[:200]))
                break


def build_festival(tmp_path):
    """A festival file with 40 attendees, three desks and one zone kiosk."""
    instance, database = tmp_path / "instance", tmp_path / "hub.db"
    instance.mkdir()
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database))
    try:
        tokens = [create_attendee(db, NewAttendee(full_name=f"Đỗ Minh Tuấn {n}", age_band="16-17",
                                                  consent_child=True, consent_public=True),
                                  "walkin", "test", check_consents=False)[1] for n in range(40)]
        db.execute("INSERT INTO zones (slug, name_vi, name_en, points, cooldown_s, created_at) "
                   "VALUES ('vr', 'Khu VR', 'VR zone', 10, 0, ?)", [now()])
        db.conn.commit()
        zone_id = db.execute("SELECT id FROM zones WHERE slug = 'vr'").fetchone()[0]
        credentials = []
        for n, role in enumerate(("desk", "desk", "desk", "zone")):
            _id, code = create_device(db, f"{role} {n}", role, zone_id if role == "zone" else None, "test")
            credentials.append(pair_device(db, code)[2])
    finally:
        db.conn.close()
    return instance, database, tokens, credentials


def check_consistency(database) -> None:
    """Every effect of every stored scan is whole: no half-written records."""
    db = open_db(str(database))
    try:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        assert one("PRAGMA integrity_check") == "ok"
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        # at most one live check-in per attendee, matching the attendee's state
        assert one("SELECT COUNT(*) FROM (SELECT attendee_id FROM checkins WHERE undone_at IS NULL "
                   "GROUP BY attendee_id HAVING COUNT(*) > 1)") == 0
        assert one("SELECT COUNT(*) FROM attendees a WHERE (a.checked_in_at IS NOT NULL) != EXISTS "
                   "(SELECT 1 FROM checkins c WHERE c.attendee_id = a.id AND c.undone_at IS NULL)") == 0
        # a scan answered "checked_in" has its check-in row, and the other way round
        assert one("SELECT COUNT(*) FROM scans s WHERE s.result = 'checked_in' AND NOT EXISTS "
                   "(SELECT 1 FROM checkins c WHERE c.scan_id = s.id)") == 0
        assert one("SELECT COUNT(*) FROM checkins c WHERE c.scan_id IS NOT NULL AND NOT EXISTS "
                   "(SELECT 1 FROM scans s WHERE s.id = c.scan_id)") == 0
        # zone visits: one per scan at most, each backed by its scan
        assert one("SELECT COUNT(*) FROM (SELECT scan_id FROM visits GROUP BY scan_id HAVING COUNT(*) > 1)") == 0
        assert one("SELECT COUNT(*) FROM visits v WHERE NOT EXISTS (SELECT 1 FROM scans s WHERE s.id = v.scan_id)") == 0
        # the ledger is unique and the running totals equal it
        assert one("SELECT COUNT(*) FROM (SELECT 1 FROM ledger GROUP BY source, reference HAVING COUNT(*) > 1)") == 0
        assert one("SELECT COUNT(*) FROM (SELECT attendee_id, SUM(points) AS p FROM ledger GROUP BY attendee_id) l "
                   "LEFT JOIN point_totals t USING (attendee_id) WHERE t.points IS NOT l.p") == 0
    finally:
        db.conn.close()


@pytest.mark.server
@pytest.mark.slow
def test_sigkill_under_load_loses_nothing_acknowledged_and_duplicates_nothing(tmp_path):
    instance, database, tokens, credentials = build_festival(tmp_path)
    server = LiveServer(instance, database).start()
    try:
        kiosks = [Kiosk(server.url, credential, tokens, f"k{n}") for n, credential in enumerate(credentials)]
        for kiosk in kiosks:
            kiosk.start()
        deadline = time.monotonic() + 60
        while sum(len(k.acked) for k in kiosks) < KILL_AFTER_ACKED and time.monotonic() < deadline:
            time.sleep(0.01)
        acked_before_crash = sum(len(k.acked) for k in kiosks)
        assert acked_before_crash >= KILL_AFTER_ACKED
        server.kill()  # SIGKILL mid-load: no flush, no cleanup
        deadline = time.monotonic() + 10
        while sum(k.connection_errors for k in kiosks) < CLIENTS and time.monotonic() < deadline:
            time.sleep(0.01)
        server.start()
        for kiosk in kiosks:
            kiosk.join(timeout=DEADLINE_S)
        assert not any(k.is_alive() for k in kiosks)
    finally:
        server.stop()

    assert all(k.connection_errors > 0 for k in kiosks)  # every kiosk lived through the crash
    assert [k.refused for k in kiosks] == [[]] * CLIENTS
    acked = {scan_id: answer for k in kiosks for scan_id, answer in k.acked.items()}
    assert len(acked) == CLIENTS * SCANS_PER_CLIENT  # every scan eventually acknowledged
    db = open_db(str(database))
    try:
        stored = {r["id"]: json.loads(r["response"]) for r in db.execute("SELECT id, response FROM scans")}
        per_id = db.execute("SELECT COUNT(*) FROM scans GROUP BY id HAVING COUNT(*) > 1").fetchall()
    finally:
        db.conn.close()
    assert set(stored) == set(acked)  # nothing acknowledged is missing, nothing extra appeared
    assert per_id == []
    for scan_id, answer in acked.items():
        # what the kiosk was told is what the hub keeps (a retry gets the stored answer back)
        told = {k: v for k, v in answer.items() if k != "replayed"}
        assert told == stored[scan_id], scan_id
    check_consistency(database)
