"""The passport: progress, rules, rewards unlocked once (even when two kiosks
race on the last two zones), claimed once at a desk, shown on the phone page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from kiosk.db import transaction
from kiosk.errors import ServiceError
from kiosk.zones.service import claim_reward, passport, unclaimed_rewards, visit
from tests.support.http import post_json
from tests.support.zones import T0, iso, race


def add_rule(db, rule="count", count=None, zone_kind=None, name="Hộ chiếu", reward="Vòng tay"):
    cur = db.execute(
        "INSERT INTO passport_rules (name_vi, name_en, rule, count, zone_kind, reward_vi, reward_en) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [name, name + " EN", rule, count, zone_kind, reward, reward + " EN"])
    db.conn.commit()
    return cur.lastrowid


def rewards(db, attendee_id):
    return db.execute("SELECT rule_id, claimed_at FROM rewards WHERE attendee_id = ?", [attendee_id]).fetchall()


def test_passport_progress_counts_distinct_active_zones(db, make_zone, guest):
    zones = [make_zone() for _ in range(4)]
    closed = make_zone()
    db.execute("UPDATE zones SET active = 0 WHERE id = ?", [closed])
    db.conn.commit()
    person = guest()
    visit(db, person, zones[0], "scan-p001", "t", at=iso(T0))
    visit(db, person, zones[0], "scan-p002", "t", at=iso(T0 + timedelta(seconds=5)))  # repeat
    answer = visit(db, person, zones[2], "scan-p003", "t", at=iso(T0 + timedelta(seconds=9)))
    progress = answer["passport"]
    assert (progress["visited"], progress["total"]) == (2, 4)
    assert [z["id"] for z in progress["zones"]] == zones
    assert [z["visited"] for z in progress["zones"]] == [True, False, True, False]
    assert set(progress["zones"][0]) >= {"id", "name_vi", "name_en", "visited"}


def test_count_rule_unlocks_once(db, make_zone, guest):
    zones = [make_zone(cooldown_s=0) for _ in range(3)]
    rule = add_rule(db, count=2)
    person = guest()
    assert visit(db, person, zones[0], "scan-q001", "t")["rewards_unlocked"] == []
    unlocked = visit(db, person, zones[1], "scan-q002", "t")["rewards_unlocked"]
    assert [r["rule_id"] for r in unlocked] == [rule]
    assert unlocked[0]["reward_vi"] == "Vòng tay" and "Vòng tay" in unlocked[0]["message_vi"]
    assert "check-in desk" in unlocked[0]["message_en"]
    assert visit(db, person, zones[2], "scan-q003", "t")["rewards_unlocked"] == []
    assert visit(db, person, zones[0], "scan-q004", "t")["rewards_unlocked"] == []
    assert len(rewards(db, person["id"])) == 1


def test_kind_rule_needs_every_active_zone_of_the_kind(db, make_zone, guest):
    vr1, vr2, booth = make_zone(kind="vr_ar"), make_zone(kind="vr_ar"), make_zone(kind="booth")
    rule = add_rule(db, rule="kind", zone_kind="vr_ar")
    add_rule(db, rule="kind", zone_kind="workshop")  # no workshop zones: never unlocks
    person = guest()
    visit(db, person, vr1, "scan-k001", "t")
    assert visit(db, person, booth, "scan-k002", "t")["rewards_unlocked"] == []
    assert [r["rule_id"] for r in visit(db, person, vr2, "scan-k003", "t")["rewards_unlocked"]] == [rule]


def test_inactive_rule_never_unlocks(db, make_zone, guest):
    zone = make_zone()
    rule = add_rule(db, count=1)
    db.execute("UPDATE passport_rules SET active = 0 WHERE id = ?", [rule])
    db.conn.commit()
    assert visit(db, guest(), zone, "scan-i001", "t")["rewards_unlocked"] == []


def test_last_two_zones_in_the_same_second_on_two_kiosks_unlock_once(app, db, make_zone, guest):
    """Both kiosks see a full passport only if they ignore each other: they must not."""
    zones = [make_zone() for _ in range(4)]
    rule = add_rule(db, count=4)
    for trial in range(6):
        person = guest()
        for n, zone in enumerate(zones[:2]):
            visit(db, person, zone, f"scan-r{trial}-{n}", "t")

        def kiosk(zone, n):
            def run(conn):
                with transaction(conn):
                    return visit(conn, person, zone, f"scan-r{trial}-k{n}", f"device:{n}")
            return run

        answers = race(app.config["DATABASE"], [kiosk(zones[2], 2), kiosk(zones[3], 3)])
        unlocked = [r for a in answers for r in a["rewards_unlocked"]]
        assert [r["rule_id"] for r in unlocked] == [rule]
        assert sorted(a["passport"]["visited"] for a in answers) == [3, 4]
        assert len(rewards(db, person["id"])) == 1


def test_claim_once(db, make_zone, guest):
    zone = make_zone()
    add_rule(db, count=1)
    person = guest()
    reward = visit(db, person, zone, "scan-c001", "t")["rewards_unlocked"][0]
    assert [r["id"] for r in unclaimed_rewards(db, person["id"])] == [reward["id"]]
    claimed = claim_reward(db, reward["id"], "staff:1:an")
    assert claimed["attendee_id"] == person["id"] and claimed["claimed_at"]
    assert unclaimed_rewards(db, person["id"]) == []
    with pytest.raises(ServiceError) as info:
        claim_reward(db, reward["id"], "staff:1:an")
    assert info.value.code == "reward_already_claimed" and info.value.status == 409
    with pytest.raises(ServiceError) as info:
        claim_reward(db, 999999, "staff:1:an")
    assert info.value.code == "unknown_reward" and info.value.status == 404
    audit = db.execute("SELECT actor, action FROM audit_log WHERE action = 'reward.claim'").fetchall()
    assert [tuple(a) for a in audit] == [("staff:1:an", "reward.claim")]


def test_two_desks_claiming_at_once_one_wins(app, db, make_zone, guest):
    zone = make_zone()
    add_rule(db, count=1)
    reward = visit(db, guest(), zone, "scan-c101", "t")["rewards_unlocked"][0]

    def desk(conn):
        try:
            return claim_reward(conn, reward["id"], "desk")["claimed_at"]
        except ServiceError as exc:
            return exc.code

    results = race(app.config["DATABASE"], [desk, desk])
    assert results.count("reward_already_claimed") == 1


def test_claim_api_and_desk_scan_shows_rewards_ready(db, device_client, make_zone, guest):
    zone = make_zone()
    add_rule(db, count=1, reward="Huy hiệu")
    person = guest()
    reward = visit(db, person, zone, "scan-d001", "t")["rewards_unlocked"][0]
    desk = device_client("desk")
    scan = post_json(desk, "/api/scans", {"id": "desk-scan-0001", "text": person["token"]}).get_json()
    assert [r["id"] for r in scan["rewards_ready"]] == [reward["id"]]
    assert scan["rewards_ready"][0]["reward_vi"] == "Huy hiệu"
    assert post_json(device_client("zone", zone_id=zone), f"/api/rewards/{reward['id']}/claim", {}).status_code == 403
    assert post_json(desk, "/api/rewards/999/claim", {}).status_code == 404
    first = post_json(desk, f"/api/rewards/{reward['id']}/claim", {})
    assert first.status_code == 200 and first.get_json()["reward"]["id"] == reward["id"]
    second = post_json(desk, f"/api/rewards/{reward['id']}/claim", {})
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "reward_already_claimed" and error["message_vi"] == "Phần thưởng này đã được nhận rồi."
    again = post_json(desk, "/api/scans", {"id": "desk-scan-0002", "text": person["token"]}).get_json()
    assert again["rewards_ready"] == []


def test_claim_api_needs_a_credential_and_csrf(db, client, device_client, make_zone, guest):
    assert client.post("/api/rewards/1/claim", json={}).status_code in (400, 401)
    desk = device_client("desk")
    assert desk.post("/api/rewards/1/claim", json={}).status_code == 400  # no CSRF header


def test_phone_page_shows_passport(db, client, make_zone, guest):
    zones = [make_zone(points=10) for _ in range(3)]
    add_rule(db, count=1, reward="Vòng tay")
    person = guest()
    visit(db, person, zones[1], "scan-m001", "t")
    response = client.get(f"/b/{person['token']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="passport"' in html
    assert "Đã ghé 1/3 khu" in html and 'id="passport-points">10<' in html
    assert f'data-zone="{zones[1]}"' in html and html.count('class="visited"') == 1
    assert "Vòng tay" in html and "sẵn sàng" in html
    assert person["full_name"] not in html.split('id="passport"')[1]


def test_passport_global_ignores_bad_ids(app):
    from kiosk.zones.service import passport_for

    with app.test_request_context():
        assert passport_for("1") is None and passport_for(True) is None
        assert passport_for(424242)["passport"]["visited"] == 0


def test_passport_helper_in_order(db, make_zone, guest):
    person = guest()
    assert passport(db, person["id"]) == {"visited": 0, "total": 0, "zones": []}
