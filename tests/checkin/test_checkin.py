"""Check-in services: check in once, undo, manual and class check-in, walk-ins,
reissue, counters, and the /desk namespace pushing counters to every desk."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from checkin import scanning
from checkin.attendees import NewAttendee, get_attendee, reissue_badge
from checkin.desk import counters
from kiosk.auth import Principal
from kiosk.db import open_db
from kiosk.errors import ServiceError
from kiosk.scans import ScanRequest
from tests.support.http import post_json



@pytest.fixture
def desk(make_device):
    """The principal of a paired desk device (scans reference the device row)."""
    device_id, _credential = make_device("desk", name="Desk 1")
    return Principal("device", device_id, "desk", "Desk 1")


def scan(text, scan_id="scan-0001", station=None):
    return ScanRequest(scan_id, text, None, station)


def test_check_in_once_then_already_with_time_and_station(db, make_attendee):
    attendee_id, _token = make_attendee(full_name="Nguyễn Văn An")
    first = scanning.check_in(db, get_attendee(db, attendee_id), "device:1:Desk 1", "Desk 1")
    second = scanning.check_in(db, get_attendee(db, attendee_id), "device:2:Desk 2", "Desk 2")
    assert first["result"] == "checked_in" and first["level"] == "green"
    assert first["message_vi"] == "Đã check-in. Chào mừng An!"
    assert second["result"] == "already_checked_in" and second["level"] == "yellow"
    local = datetime.fromisoformat(first["checked_in_at"]).astimezone().strftime("%H:%M")
    assert second["message_en"] == f"Already checked in at {local} at Desk 1."
    assert db.execute("SELECT COUNT(*) FROM checkins").fetchone()[0] == 1


def test_two_desks_racing_on_one_badge_check_in_once(app, make_attendee, make_device):
    attendee_id, token = make_attendee()
    devices = {n: make_device("desk", name=f"Desk {n}")[0] for n in (1, 2)}
    barrier = threading.Barrier(2)
    answers = []

    def desk(n):
        conn = open_db(app.config["DATABASE"], "NORMAL")
        try:
            principal = Principal("device", devices[n], "desk", f"Desk {n}")
            barrier.wait(timeout=5)
            answer, _new = scanning.desk_scan(conn, scan(token, f"race-scan-{n}"), principal)
            answers.append(answer["result"])
        finally:
            conn.conn.close()

    threads = [threading.Thread(target=desk, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(answers) == ["already_checked_in", "checked_in"]
    check = open_db(app.config["DATABASE"], "NORMAL")
    assert check.execute("SELECT COUNT(*) FROM checkins WHERE attendee_id = ?", [attendee_id]).fetchone()[0] == 1
    check.conn.close()


def test_undo_within_five_minutes_is_audited(db, make_attendee):
    attendee_id, _ = make_attendee()
    scanning.check_in(db, get_attendee(db, attendee_id), "device:1:Desk 1", "Desk 1")
    scanning.undo_check_in(db, attendee_id, "device:1:Desk 1")
    assert get_attendee(db, attendee_id)["checked_in_at"] is None
    assert db.execute("SELECT undone_by FROM checkins").fetchone()[0] == "device:1:Desk 1"
    assert db.execute("SELECT action FROM audit_log WHERE action = 'checkin.undo'").fetchone()
    with pytest.raises(ServiceError) as err:
        scanning.undo_check_in(db, attendee_id, "device:1:Desk 1")
    assert err.value.code == "not_checked_in"


def test_undo_after_five_minutes_is_refused(db, make_attendee):
    attendee_id, _ = make_attendee()
    scanning.check_in(db, get_attendee(db, attendee_id), "device:1:Desk 1", "Desk 1")
    old = (datetime.now(timezone.utc) - timedelta(minutes=6)).isoformat(timespec="milliseconds")
    db.execute("UPDATE attendees SET checked_in_at = ? WHERE id = ?", [old, attendee_id])
    db.conn.commit()
    with pytest.raises(ServiceError) as err:
        scanning.undo_check_in(db, attendee_id, "device:1:Desk 1")
    assert err.value.code == "undo_too_late" and err.value.status == 409
    assert get_attendee(db, attendee_id)["checked_in_at"] == old


def test_manual_check_in_is_idempotent_and_audited(db, make_attendee, desk):
    attendee_id, _ = make_attendee()
    first, new1 = scanning.manual_check_in(db, scan(f"attendee:{attendee_id}", "manual-01"), desk, attendee_id)
    again, new2 = scanning.manual_check_in(db, scan(f"attendee:{attendee_id}", "manual-01"), desk, attendee_id)
    assert (first["result"], new1, new2, again["replayed"]) == ("checked_in", True, False, True)
    assert db.execute("SELECT method FROM checkins").fetchall()[0][0] == "search"
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'checkin.search'").fetchone()[0] == 1
    with pytest.raises(ServiceError) as err:
        scanning.manual_check_in(db, scan("attendee:999", "manual-02"), desk, 999)
    assert err.value.code == "unknown_attendee"
    assert db.execute("SELECT COUNT(*) FROM scans WHERE id = 'manual-02'").fetchone()[0] == 0


def test_class_check_in_counts_and_lists(db, make_attendee):
    ids = [make_attendee(school="THCS Đống Đa", class_name="8B")[0] for _ in range(3)]
    make_attendee(school="THCS Đống Đa", class_name="8C")
    scanning.check_in(db, get_attendee(db, ids[0]), "device:1:Desk 1", "Desk 1")
    classes = {(c["school"], c["class_name"]): c for c in scanning.list_classes(db)}
    assert classes[("THCS Đống Đa", "8B")] | {} == {"school": "THCS Đống Đa", "class_name": "8B",
                                                   "total": 3, "checked_in": 1}
    outcome = scanning.check_in_class(db, "THCS Đống Đa", "8B", "device:1:Desk 1", "Desk 1")
    assert (outcome["total"], outcome["checked_in"], outcome["already"]) == (3, 2, 1)
    assert sorted(outcome["attendee_ids"]) == sorted(ids[1:])
    assert db.execute("SELECT COUNT(*) FROM checkins WHERE method = 'class'").fetchone()[0] == 2
    assert db.execute("SELECT detail FROM audit_log WHERE action = 'checkin.class'").fetchone()[0] == "2 of 3"
    members = scanning.class_members(db, "THCS Đống Đa", "8B")
    assert len(members) == 3 and all(m["checked_in_at"] for m in members)
    with pytest.raises(ServiceError) as err:
        scanning.check_in_class(db, "THCS Đống Đa", "12Z", "device:1:Desk 1", "Desk 1")
    assert err.value.code == "unknown_class"


def walk_in(**changes):
    fields = dict(full_name="Lê Thị Hoa", age_band="7-15", consent_child=True, consent_guardian=True,
                  consent_method="guardian present")
    fields.update(changes)
    return NewAttendee(**fields)


def test_walk_in_registers_checks_in_and_audits_in_one_go(db):
    outcome = scanning.register_walk_in(db, walk_in(), "device:1:Desk 1", "Desk 1")
    row = get_attendee(db, outcome["attendee_id"])
    assert (row["source"], row["consent_method"], row["consent_by"]) == ("walkin", "guardian present", "device:1:Desk 1")
    assert outcome["checkin"]["result"] == "checked_in" and row["checked_in_by"] == "Desk 1"
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'attendee.walkin'").fetchone()[0] == 1


@pytest.mark.parametrize("changes, code", [
    ({"consent_guardian": False}, "guardian_consent_required"),
    ({"consent_child": False}, "consent_required"),
    ({"consent_method": "  "}, "consent_method_required"),
    ({"full_name": ""}, "bad_name"),
    ({"age_band": "12"}, "bad_age_band"),
])
def test_walk_in_without_consent_writes_nothing(db, changes, code):
    with pytest.raises(ServiceError) as err:
        scanning.register_walk_in(db, walk_in(**changes), "device:1:Desk 1", "Desk 1")
    assert err.value.code == code
    for table in ("attendees", "badges", "checkins", "audit_log"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table


def test_reissued_badge_old_token_scans_as_replaced(db, make_attendee, desk):
    attendee_id, old = make_attendee()
    new = reissue_badge(db, attendee_id, "device:1:Desk 1")
    replaced, _ = scanning.desk_scan(db, scan(old, "old-badge-1"), desk)
    fresh, _ = scanning.desk_scan(db, scan(new, "new-badge-1"), desk)
    assert (replaced["result"], replaced["level"]) == ("replaced_badge", "red")
    assert fresh["result"] == "checked_in"


def test_counters(db, make_attendee):
    a, _ = make_attendee()
    b, _ = make_attendee()
    make_attendee()
    scanning.check_in(db, get_attendee(db, a), "x", "Desk 1")
    scanning.check_in(db, get_attendee(db, b), "x", "Desk 2")
    assert counters(db) == {"registered": 3, "checked_in": 2, "stations": [
        {"station": "Desk 1", "checked_in": 1}, {"station": "Desk 2", "checked_in": 1}]}


def test_counters_read_the_covering_index_not_the_attendee_rows(db):
    """Pushed to every desk after each burst of check-ins: 50 ms over the rows at 60,000
    attendees, 17 ms over the index (migration m140)."""
    from checkin import desk

    for sql in (desk.TOTALS_SQL, desk.STATIONS_SQL):
        plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "COVERING INDEX attendees_counting" in plan, plan


def wait_for_counters(sc, checked_in, timeout=3.0):
    """Counters pushed to this socket client until one shows ``checked_in``."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        seen += [m["args"][0] for m in sc.get_received("/desk") if m["name"] == "counters"]
        if any(c["checked_in"] == checked_in for c in seen):
            return seen
        time.sleep(0.02)
    raise AssertionError(f"no counters with checked_in={checked_in}: {seen}")


def test_desk_namespace_sends_counters_on_connect_and_pushes_to_every_desk(
        device_client, socket_client, make_attendee):
    _id, token = make_attendee()
    desk1, desk2 = device_client("desk", name="Desk 1"), device_client("desk", name="Desk 2")
    zone = device_client("zone")
    sc1, sc2 = socket_client("/desk", desk1), socket_client("/desk", desk2)
    zone_sc = socket_client("/desk", zone)
    assert not zone_sc.is_connected("/desk")
    first = sc2.get_received("/desk")
    assert first[0]["name"] == "counters" and first[0]["args"][0]["registered"] == 1
    sc1.get_received("/desk")
    response = post_json(desk1, "/api/scans", {"id": "push-test-1", "text": token})
    assert response.get_json()["result"] == "checked_in"
    pushed = wait_for_counters(sc2, 1)
    assert pushed[-1]["stations"] == [{"station": "Desk 1", "checked_in": 1}]
    wait_for_counters(sc1, 1)
    # A replay of the same scan changes nothing and pushes nothing new.
    post_json(desk1, "/api/scans", {"id": "push-test-1", "text": token})
    time.sleep(0.4)
    assert sc2.get_received("/desk") == []
    ack = sc1.emit("counters", namespace="/desk", callback=True)
    assert ack["ok"] is True and ack["checked_in"] == 1
