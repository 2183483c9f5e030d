"""The desk's JSON endpoints beyond scans: search and check in, undo, walk-ins,
reissue, class check-in and counters (over HTTP, as the desk page uses them)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.support.http import post_json


@pytest.fixture
def desk(device_client):
    return device_client("desk", name="Desk 2")


def test_search_then_check_in_is_idempotent(desk, db, make_attendee):
    attendee_id, _ = make_attendee(full_name="Nguyễn Văn An", school="THCS Láng Hạ", class_name="7A")
    make_attendee(full_name="Nguyễn Văn Anh")
    results = desk.get("/api/attendees/search?q=nguyen van an").get_json()["results"]
    assert results[0]["full_name"] == "Nguyễn Văn An" and results[0]["school"] == "THCS Láng Hạ"
    assert results[0]["class_name"] == "7A" and results[0]["age_band"] == "16-17"
    url = f"/api/attendees/{attendee_id}/checkin"
    first = post_json(desk, url, {"id": "click-0001"}).get_json()
    again = post_json(desk, url, {"id": "click-0001"}).get_json()
    other = post_json(desk, url, {"id": "click-0002"}).get_json()
    assert first["result"] == "checked_in" and again["replayed"] is True
    assert other["result"] == "already_checked_in" and "Desk 2" in other["message_en"]
    assert db.execute("SELECT COUNT(*) FROM checkins").fetchone()[0] == 1
    assert post_json(desk, "/api/attendees/999/checkin", {"id": "click-0003"}).status_code == 404
    assert post_json(desk, url, {"id": 5}).status_code == 400


def test_undo_over_http(desk, db, make_attendee):
    attendee_id, token = make_attendee()
    post_json(desk, "/api/scans", {"id": "undo-scan-1", "text": token})
    response = post_json(desk, f"/api/checkins/{attendee_id}/undo", {})
    assert response.get_json() == {"ok": True, "result": "undone", "attendee_id": attendee_id}
    again = post_json(desk, f"/api/checkins/{attendee_id}/undo", {})
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "not_checked_in"
    post_json(desk, "/api/scans", {"id": "undo-scan-2", "text": token})
    old = (datetime.now(timezone.utc) - timedelta(minutes=6)).isoformat(timespec="milliseconds")
    db.execute("UPDATE attendees SET checked_in_at = ? WHERE id = ?", [old, attendee_id])
    db.conn.commit()
    late = post_json(desk, f"/api/checkins/{attendee_id}/undo", {})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "undo_too_late"


WALK_IN = {"full_name": "  Trần   Thị Bích  ", "age_band": "7-15", "school": "THCS Đống Đa",
           "class_name": "6C", "consent_child": True, "consent_guardian": True,
           "consent_method": "guardian present", "guardian_contact": "0912 345 678"}


def test_walk_in_registers_checks_in_and_links_the_label(app, desk, db):
    response = post_json(desk, "/api/attendees", WALK_IN)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    row = db.execute("SELECT * FROM attendees WHERE id = ?", [body["attendee"]["id"]]).fetchone()
    assert row["full_name"] == "Trần Thị Bích" and row["source"] == "walkin"
    assert row["consent_method"] == "guardian present" and row["checked_in_by"] == "Desk 2"
    assert body["checkin"]["result"] == "checked_in" and body["attendee"]["given_name"] == "Bích"
    assert db.execute("SELECT token FROM badges WHERE attendee_id = ?", [row["id"]]).fetchone()[0] == body["token"]
    if "badges.label" in app.view_functions:
        assert body["label_url"] == f"/badges/{row['id']}/label"
        assert desk.get(body["label_url"]).status_code == 200
    counters = desk.get("/api/counters").get_json()
    assert (counters["registered"], counters["checked_in"]) == (1, 1)


@pytest.mark.parametrize("changes, code", [
    ({"full_name": 7}, "bad_field"),
    ({"full_name": None}, "bad_field"),
    ({"full_name": "A" * 500}, "bad_field"),
    ({"consent_child": "yes"}, "bad_field"),
    ({"age_band": ["7-15"]}, "bad_field"),
    ({"check_in": 1}, "bad_field"),
    ({"age_band": "twelve"}, "bad_age_band"),
    ({"consent_guardian": False}, "guardian_consent_required"),
    ({"consent_method": ""}, "consent_method_required"),
    ({"nickname": "đ.ị.t"}, "bad_nickname"),
])
def test_bad_walk_ins_are_refused_and_write_nothing(desk, db, changes, code):
    response = post_json(desk, "/api/attendees", {**WALK_IN, **changes})
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and error["message_vi"] != error["message_en"]
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0


def test_reissue_makes_the_old_badge_replaced(desk, db, make_attendee):
    attendee_id, old = make_attendee()
    body = post_json(desk, f"/api/attendees/{attendee_id}/reissue", {}).get_json()
    assert body["ok"] and body["token"] != old
    assert post_json(desk, "/api/scans", {"id": "old-badge-01", "text": old}).get_json()["result"] == "replaced_badge"
    assert post_json(desk, "/api/scans", {"id": "new-badge-01", "text": body["token"]}).get_json()["result"] == "checked_in"
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'badge.reissue'").fetchone()[0] == 1
    assert post_json(desk, "/api/attendees/999/reissue", {}).status_code == 404


def test_class_list_members_and_group_check_in(desk, db, make_attendee):
    for _ in range(3):
        make_attendee(school="THPT Việt Đức", class_name="10A1")
    make_attendee(school="THPT Việt Đức", class_name="10A2")
    classes = desk.get("/api/classes").get_json()["classes"]
    assert {(c["class_name"], c["total"]) for c in classes} == {("10A1", 3), ("10A2", 1)}
    members = desk.get("/api/classes/members", query_string={"school": "THPT Việt Đức", "class_name": "10A1"})
    assert len(members.get_json()["members"]) == 3
    body = post_json(desk, "/api/classes/checkin", {"school": "THPT Việt Đức", "class_name": "10A1"}).get_json()
    assert (body["total"], body["checked_in"], body["already"]) == (3, 3, 0)
    body = post_json(desk, "/api/classes/checkin", {"school": "THPT Việt Đức", "class_name": "10A1"}).get_json()
    assert (body["checked_in"], body["already"]) == (0, 3)
    missing = post_json(desk, "/api/classes/checkin", {"school": "THPT Việt Đức", "class_name": "12Z"})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_class"
    assert post_json(desk, "/api/classes/checkin", {"school": 1, "class_name": "10A1"}).status_code == 400
    assert desk.get("/api/classes/members").status_code == 400
    assert desk.get("/api/counters").get_json()["stations"] == [{"station": "Desk 2", "checked_in": 3}]


def test_desk_page_renders_in_vietnamese_with_its_module(desk):
    page = desk.get("/desk").get_data(as_text=True)
    assert "Bàn check-in" in page or "check-in" in page
    assert 'src="/static/js/desk.js"' in page and "<script>" not in page
    assert "Tìm tên (không cần gõ dấu)" in page


def test_counters_asked_again_and_again_are_counted_once_until_something_changes(desk, make_attendee,
                                                                                  monkeypatch):
    """A desk credential flooding ``counters`` (or reconnects) made the hub count every attendee
    each time; now at most once a second between changes, and a check-in shows at once."""
    import threading

    from checkin import desk as desk_module

    counted = []
    real = desk_module.counters

    def counting(db):
        # The desks' coalesced pushes (this test's, or an earlier test's still pending) read
        # the counters in a background thread, on their own clock: not what is counted here.
        if threading.current_thread() is threading.main_thread():
            counted.append(1)
        return real(db)

    monkeypatch.setattr(desk_module, "counters", counting)
    _attendee_id, token = make_attendee()
    for _ in range(20):
        assert desk.get("/api/counters").get_json()["checked_in"] == 0
    assert len(counted) == 1
    post_json(desk, "/api/scans", {"id": "count-scan-1", "text": token})
    assert desk.get("/api/counters").get_json()["checked_in"] == 1  # the check-in dropped what was kept
    assert len(counted) == 2
    monkeypatch.setattr(desk_module, "FRESH_S", 0.0)
    desk.get("/api/counters")
    assert len(counted) == 3
