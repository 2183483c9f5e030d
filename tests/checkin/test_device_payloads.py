"""Issue 13, data minimisation: each device kind receives only what its screen
shows. The keys each one gets are listed here; a new key is a decision."""
from __future__ import annotations

import json

import pytest

from kiosk.boards.compute import compute_board
from kiosk.db import set_setting
from kiosk.points import award
from tests.support.http import post_json

PRIVATE = {"full_name": "Phạm Thị Riêng Tư", "school": "THCS Bí Mật", "class_name": "8K", "age_band": "7-15"}
PRIVATE_TEXTS = ["Phạm", "Riêng Tư", "THCS Bí Mật", "8K", "7-15"]

DESK_ATTENDEE_KEYS = {"id", "nickname", "given_name", "age_band", "school", "class_name", "needs_guardian_ack"}
ZONE_ATTENDEE_KEYS = {"id"}


@pytest.fixture
def shy_child(db, make_attendee):
    """A child who did not consent to be shown on public screens."""
    attendee_id, token = make_attendee(consent_public=False, nickname="Sao Nhỏ", **PRIVATE)
    return attendee_id, token


def _no_private_text(payload) -> None:
    text = json.dumps(payload, ensure_ascii=False)
    for secret in PRIVATE_TEXTS:
        assert secret not in text, secret


def test_the_desk_gets_what_its_result_panel_shows(device_client, shy_child):
    _id, token = shy_child
    desk = device_client("desk")
    answer = post_json(desk, "/api/scans", {"id": "desk-keys-01", "text": token}).get_json()
    assert set(answer["attendee"]) == DESK_ATTENDEE_KEYS
    assert "token" not in json.dumps(answer) or token not in json.dumps(answer)


def test_a_zone_kiosk_gets_no_name_school_class_or_age(db, device_client, make_zone, shy_child):
    attendee_id, token = shy_child
    kiosk = device_client("zone", zone_id=make_zone())
    # not checked in yet: the kiosk sends the child to the desk
    first = post_json(kiosk, "/api/scans", {"id": "zone-keys-01", "text": token}).get_json()
    assert first["result"] == "not_checked_in" and set(first["attendee"]) == ZONE_ATTENDEE_KEYS
    _no_private_text(first)
    set_setting(db, "auto_checkin_at_zones", "1")
    db.conn.commit()
    visit = post_json(kiosk, "/api/scans", {"id": "zone-keys-02", "text": token}).get_json()
    assert visit["result"] == "zone_visit", visit
    assert set(visit["attendee"]) == ZONE_ATTENDEE_KEYS
    assert visit["display_name"] is None  # no public consent: not even the nickname
    _no_private_text(visit)
    again = post_json(kiosk, "/api/scans", {"id": "zone-keys-02", "text": token}).get_json()
    assert again.get("replayed") and set(again["attendee"]) == ZONE_ATTENDEE_KEYS


def test_a_consenting_child_shows_only_the_nickname_at_a_zone(device_client, make_zone, make_attendee, db):
    _id, token = make_attendee(nickname="Mây Xanh", consent_public=True, **PRIVATE)
    set_setting(db, "auto_checkin_at_zones", "1")
    db.conn.commit()
    kiosk = device_client("zone", zone_id=make_zone())
    visit = post_json(kiosk, "/api/scans", {"id": "zone-keys-03", "text": token}).get_json()
    assert visit["display_name"] == "Mây Xanh" and set(visit["attendee"]) == ZONE_ATTENDEE_KEYS
    _no_private_text(visit)


def test_a_quiz_kiosk_gets_questions_not_people(device_client, make_zone, shy_child):
    _id, token = shy_child
    kiosk = device_client("zone", zone_id=make_zone(kind="quiz"))
    response = post_json(kiosk, "/api/quiz/rounds", {"text": token})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert set(body) == {"ok", "round"}
    assert set(body["round"]) - {"resumed"} == {"id", "bank", "scored", "size", "points_per_correct",
                                                "questions", "answers", "next_index", "finished"}
    _no_private_text(body)


def test_stage_boards_carry_no_private_fields(app, db, shy_child, make_attendee):
    shown, _token = make_attendee(nickname="Mây Xanh", consent_public=True, **PRIVATE)
    award(db, shy_child[0], 30, "test", "payload-keys-1")
    award(db, shown, 20, "test", "payload-keys-2")
    db.conn.commit()
    with app.app_context():
        board = compute_board(db, "overall", app.config["SECRET_KEY"])
    assert len(board["rows"]) == 2
    for row in board["rows"]:
        assert set(row) <= {"key", "name_vi", "name_en", "anonymous", "score", "rank"}, set(row)
    assert "Mây Xanh" in json.dumps(board, ensure_ascii=False)
    assert "Sao Nhỏ" not in json.dumps(board, ensure_ascii=False)  # no public consent: never by nickname
    _no_private_text(board)
