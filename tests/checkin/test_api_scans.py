"""POST /api/scans: every result code, idempotency, and bad input that must
be refused with a 4xx in both languages (never a 500)."""
from __future__ import annotations

import pytest

from kiosk import tokens
from checkin.attendees import reissue_badge
from tests.support.http import csrf, post_json


def bearer(client):
    return {"Authorization": f"Bearer {client.credential}"}


def scan(client, text, scan_id="scan-00001", **extra):
    """A desk's scan over the API with its bearer credential (no CSRF needed)."""
    return client.post("/api/scans", json={"id": scan_id, "text": text, **extra}, headers=bearer(client))


def assert_bilingual_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["ok"] is False and body["error"]["code"] == code
    error = body["error"]
    assert error["message_vi"] and error["message_en"] and error["message_vi"] != error["message_en"]
    assert error["message"] == error["message_vi"]  # Vietnamese is the default language


@pytest.fixture
def desk(device_client):
    return device_client("desk", name="Desk 1")


def test_checked_in_then_already_checked_in(desk, make_attendee):
    _id, token = make_attendee(full_name="Phạm Minh Khôi", school="THPT Chu Văn An")
    first = scan(desk, token, "scan-00001").get_json()
    assert (first["ok"], first["result"], first["level"]) == (True, "checked_in", "green")
    assert first["attendee"]["given_name"] == "Khôi" and first["attendee"]["school"] == "THPT Chu Văn An"
    assert "token" not in first["attendee"] and "full_name" not in first["attendee"]
    assert first["rewards_ready"] == []
    second = scan(desk, f"https://hub.local/b/{token.lower()}", "scan-00002").get_json()
    assert (second["result"], second["level"]) == ("already_checked_in", "yellow")
    assert "Desk 1" in second["message_en"] and "Desk 1" in second["message_vi"]


def test_unknown_replaced_and_invalid_badges_are_red(desk, db, make_attendee):
    attendee_id, old = make_attendee()
    reissue_badge(db, attendee_id, "test")
    mangled = old[:-1] + ("0" if old[-1] != "0" else "1")
    cases = {"unknown_badge": tokens.new_token(), "replaced_badge": old, "invalid_badge": mangled}
    for n, (code, text) in enumerate(cases.items()):
        body = scan(desk, text, f"red-scan-{n:04d}").get_json()
        assert (body["ok"], body["result"], body["level"]) == (False, code, "red"), body
        assert body["message_vi"] and body["message_en"]
    assert scan(desk, "Đây không phải thẻ", "red-scan-9999").get_json()["result"] == "invalid_badge"


def test_zone_kiosk_scan_of_someone_not_checked_in(device_client, make_attendee):
    zone = device_client("zone")
    _id, token = make_attendee()
    body = scan(zone, token, "zone-scan-001").get_json()
    assert (body["result"], body["level"]) == ("not_checked_in", "yellow")


def test_same_scan_id_three_times_counts_once_with_the_same_answer(desk, db, make_attendee):
    attendee_id, token = make_attendee()
    answers = [scan(desk, token, "retry-scan-1").get_json() for _ in range(3)]
    assert [a.pop("replayed", False) for a in answers] == [False, True, True]
    assert answers[0] == answers[1] == answers[2] and answers[0]["result"] == "checked_in"
    assert db.execute("SELECT COUNT(*) FROM checkins WHERE attendee_id = ?", [attendee_id]).fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM scans WHERE id = 'retry-scan-1'").fetchone()[0] == 1


def test_scan_id_used_by_another_device_is_409(desk, device_client, make_attendee):
    _id, token = make_attendee()
    assert scan(desk, token, "shared-id-1").status_code == 200
    other = device_client("desk", name="Desk 2")
    assert_bilingual_error(scan(other, token, "shared-id-1"), 409, "scan_id_conflict")


def test_cookie_requests_need_the_csrf_header(desk, make_attendee):
    _id, token = make_attendee()
    refused = desk.post("/api/scans", json={"id": "csrf-scan-1", "text": token})
    assert_bilingual_error(refused, 400, "csrf_failed")
    accepted = post_json(desk, "/api/scans", {"id": "csrf-scan-1", "text": token})
    assert accepted.get_json()["result"] == "checked_in"


@pytest.mark.parametrize("payload, code", [
    ([], "bad_json"),
    ("text", "bad_json"),
    ({}, "bad_scan"),
    ({"id": 12345678, "text": "X"}, "bad_scan"),
    ({"id": "short", "text": "X"}, "bad_scan"),
    ({"id": "has spaces in it", "text": "X"}, "bad_scan"),
    ({"id": "a" * 65, "text": "X"}, "bad_scan"),
    ({"id": "valid-id-1", "text": None}, "bad_scan"),
    ({"id": "valid-id-1", "text": ["A"]}, "bad_scan"),
    ({"id": "valid-id-1", "text": "   "}, "bad_scan"),
    ({"id": "valid-id-1", "text": "A" * 513}, "bad_scan"),
    ({"id": "valid-id-1", "text": "ABC", "station": 5}, "bad_scan"),
    ({"id": "valid-id-1", "text": "ABC", "station": "S" * 61}, "bad_scan"),
    ({"id": "valid-id-1", "text": "ABC", "client_time": "yesterday"}, "bad_scan"),
    ({"id": "valid-id-1", "text": "ABC", "client_time": {"t": 1}}, "bad_scan"),
    ({"id": "valid-id-1", "text": "ABC", "client_time": 1e300}, "bad_scan"),
])
def test_bad_scans_are_400_in_both_languages(desk, db, payload, code):
    assert_bilingual_error(desk.post("/api/scans", json=payload, headers=bearer(desk)), 400, code)
    assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 0


def test_garbage_bodies(desk):
    headers = {**bearer(desk), "Content-Type": "application/json"}
    assert_bilingual_error(desk.post("/api/scans", data=b"{not json", headers=headers), 400, "bad_json")
    assert_bilingual_error(desk.post("/api/scans", data=b"\xff\xfe\x00", headers=headers), 400, "bad_json")
    assert_bilingual_error(desk.post("/api/scans", data="id=1", headers={
        **bearer(desk), "Content-Type": "application/x-www-form-urlencoded"}), 415, "unsupported_media_type")
    huge = desk.post("/api/scans", data=b"[" * (3 * 1024 * 1024), headers=headers)
    assert_bilingual_error(huge, 413, "too_large")


def test_client_time_is_kept_but_not_trusted(desk, db, make_attendee):
    _id, token = make_attendee()
    scan(desk, token, "timed-scan-1", client_time="2020-01-01T08:00:00Z", station="Bàn 3")
    row = db.execute("SELECT client_time, server_time, station FROM scans").fetchone()
    assert row["client_time"].startswith("2020-01-01T08:00:00") and row["server_time"] > "2025"
    assert row["station"] == "Bàn 3"


def test_no_credential_and_wrong_role(client, device_client, make_attendee):
    _id, token = make_attendee()
    body = {"id": "role-scan-1", "text": token}
    assert_bilingual_error(client.post("/api/scans", json=body, headers={"X-CSRF-Token": csrf(client)}),
                           401, "login_required")
    stage = device_client("stage")
    assert_bilingual_error(stage.post("/api/scans", json=body, headers=bearer(stage)), 403, "forbidden")
