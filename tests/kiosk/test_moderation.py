"""Hiding and renaming nicknames, and staff bonus points."""
from __future__ import annotations

import pytest

from kiosk.boards.publisher import get_publisher
from kiosk.points import award
from tests.support.http import post_json

NS = "/public"


def nick(client, attendee_id, payload):
    return post_json(client, f"/api/attendees/{attendee_id}/nickname", payload)


def test_desk_renames_and_hides_with_audit(device_client, db, make_attendee):
    aid, _ = make_attendee(nickname="Tên Cũ")
    desk = device_client("desk")
    renamed = nick(desk, aid, {"nickname": "  Cáo Hiền  "})
    assert renamed.status_code == 200 and renamed.get_json()["nickname"] == "Cáo Hiền"
    hidden = nick(desk, aid, {"hidden": True})
    assert hidden.get_json()["hidden"] is True
    row = db.execute("SELECT nickname, nickname_hidden FROM attendees WHERE id = ?", [aid]).fetchone()
    assert tuple(row) == ("Cáo Hiền", 1)
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE target = ? ORDER BY id",
                                        [f"attendee:{aid}"])]
    assert actions == ["nickname.rename", "nickname.hide"]
    again = nick(desk, aid, {"hidden": True})
    assert again.get_json()["changed"] is False


@pytest.mark.parametrize("payload, code", [
    ({}, "nothing_to_change"), ({"hidden": "yes"}, "bad_field"), ({"nickname": 5}, "bad_field"),
    ({"nickname": "fuck you"}, "bad_nickname"), ({"nickname": "x" * 40}, "bad_nickname"),
    ({"nickname": "!!!"}, "bad_nickname"),
])
def test_bad_moderation_input_is_a_clear_400(device_client, make_attendee, payload, code):
    aid, _ = make_attendee()
    response = nick(device_client("desk"), aid, payload)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_moderation_refuses_other_roles_and_unknown_people(client, device_client, admin_client, make_attendee):
    aid, _ = make_attendee()
    assert nick(client, aid, {"hidden": True}).status_code == 401
    for role in ("zone", "stage", "host"):
        assert nick(device_client(role), aid, {"hidden": True}).status_code == 403
    assert nick(admin_client, aid, {"hidden": True}).status_code == 200
    assert nick(admin_client, 99999, {"hidden": True}).status_code == 404
    assert post_json(admin_client, f"/api/attendees/{aid}/nickname", ["x"]).status_code == 400


def test_moderation_pushes_the_new_name_to_stage_screens(app, db, device_client, socket_client, make_attendee):
    aid, _ = make_attendee(nickname="Tên Gốc")
    award(db, aid, 50, "test", "1")
    screen = socket_client(NS, device_client("stage"))
    screen.emit("subscribe", {"boards": ["overall"]}, namespace=NS, callback=True)
    publisher = get_publisher(app)
    assert nick(device_client("desk"), aid, {"nickname": "Tên Đẹp"}).status_code == 200
    publisher.flush()
    boards = [e["args"][0] for e in screen.get_received(NS) if e["name"] == "board"]
    assert boards and boards[-1]["rows"][0]["name_vi"] == "Tên Đẹp"
    publisher._last_push.clear()
    assert nick(device_client("desk"), aid, {"hidden": True}).status_code == 200
    publisher.flush()
    boards = [e["args"][0] for e in screen.get_received(NS) if e["name"] == "board"]
    assert boards[-1]["rows"][0]["anonymous"] and "Tên Đẹp" not in str(boards[-1])


def test_nickname_search_for_staff(device_client, make_attendee, db):
    aid, _ = make_attendee(nickname="Gấu Trúc Vui")
    award(db, aid, 3, "test", "1")
    desk = device_client("desk")
    found = desk.get("/api/moderation/nicknames?q=gau truc").get_json()["results"]
    assert [r["id"] for r in found] == [aid]
    top = desk.get("/api/moderation/nicknames").get_json()["results"]
    assert top[0]["id"] == aid and "token" not in top[0]
    assert device_client("stage").get("/api/moderation/nicknames").status_code == 403


def test_bonus_is_admin_only_and_idempotent(app, db, admin_client, device_client, make_attendee):
    aid, _ = make_attendee()
    body = {"id": "bonus-0001", "attendee_id": aid, "points": 25, "reason": "Giúp đỡ bạn"}
    first = post_json(admin_client, "/api/points/bonus", body)
    assert first.status_code == 200 and first.get_json() == {"ok": True, "awarded": True, "points": 25, "total": 25}
    again = post_json(admin_client, "/api/points/bonus", body).get_json()
    assert again["awarded"] is False and again["total"] == 25
    assert db.execute("SELECT COUNT(*) FROM ledger WHERE source = 'bonus'").fetchone()[0] == 1
    assert post_json(device_client("desk"), "/api/points/bonus", body).status_code == 403


@pytest.mark.parametrize("change", [
    {"id": 5}, {"id": "short"}, {"attendee_id": "1"}, {"attendee_id": True}, {"points": "5"},
    {"points": 0}, {"points": 10**9}, {"points": 2.5}, {"reason": ["x"]},
])
def test_bad_bonus_input_is_a_clear_400(admin_client, make_attendee, change):
    aid, _ = make_attendee()
    body = {"id": "bonus-0002", "attendee_id": aid, "points": 5, **change}
    response = post_json(admin_client, "/api/points/bonus", body)
    assert response.status_code == 400, response.get_json()


def test_bonus_for_unknown_attendee_is_404(admin_client):
    body = {"id": "bonus-0003", "attendee_id": 4242, "points": 5}
    assert post_json(admin_client, "/api/points/bonus", body).status_code == 404
