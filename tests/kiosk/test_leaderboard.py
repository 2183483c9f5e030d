"""Boards, the /public namespace and the coalescing publisher."""
from __future__ import annotations

import json

import pytest

from kiosk.db import now, set_setting
from kiosk.boards.compute import board_payload, compute_board
from kiosk.boards.publisher import MIN_INTERVAL_S, get_publisher
from kiosk.points import award
from kiosk.signals import nickname_changed, points_changed, zone_visited

NS = "/public"


@pytest.fixture
def stage(device_client, socket_client):
    """A connected stage screen subscribed to ``boards``; returns (socket, ack)."""

    def factory(*boards):
        sc = socket_client(NS, device_client("stage"))
        assert sc.is_connected(NS)
        ack = sc.emit("subscribe", {"boards": list(boards)}, namespace=NS, callback=True)
        return sc, ack

    return factory


def give(app, db, attendee_id, points, ref):
    award(db, attendee_id, points, "test", ref)
    with app.test_request_context():
        points_changed.send(attendee_ids=[attendee_id])


def board_events(sc):
    return [e["args"][0] for e in sc.get_received(NS) if e["name"] == "board"]


def test_overall_board_ranks_by_points_then_first_to_reach(app, db, make_attendee):
    a, _ = make_attendee(nickname="Cáo Một")
    b, _ = make_attendee(nickname="Gấu Hai")
    c, _ = make_attendee(nickname="Rùa Ba")
    award(db, a, 10, "test", "a1")
    award(db, b, 10, "test", "b1")  # same score, reached later
    award(db, c, 30, "test", "c1")
    with app.app_context():
        board = compute_board(db, "overall")
    assert [(r["rank"], r["name_vi"], r["score"]) for r in board["rows"]] == [
        (1, "Rùa Ba", 30), (2, "Cáo Một", 10), (3, "Gấu Hai", 10)]


def test_overall_board_uses_the_rank_index(db):
    plan = " ".join(r[3] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT t.attendee_id FROM point_totals t INDEXED BY point_totals_rank "
        "JOIN attendees a ON a.id = t.attendee_id WHERE t.points > 0 ORDER BY t.points DESC, "
        "t.reached_at ASC LIMIT 10"))
    assert "point_totals_rank" in plan and "TEMP B-TREE" not in plan


def test_privacy_anonymous_and_hide(app, db, make_attendee):
    shown, _ = make_attendee(nickname="Mèo Vui", consent_public=True)
    secret, _ = make_attendee(nickname="Bí Mật", consent_public=False)
    hidden, _ = make_attendee(nickname="Ẩn Đi")
    db.execute("UPDATE attendees SET nickname_hidden = 1 WHERE id = ?", [hidden])
    db.conn.commit()
    for i, aid in enumerate((shown, secret, hidden)):
        award(db, aid, 10 * (3 - i), "test", f"r{aid}")
    with app.app_context():
        rows = compute_board(db, "overall")["rows"]
        assert [r["name_vi"] for r in rows][0] == "Mèo Vui"
        assert rows[1]["anonymous"] and rows[1]["name_vi"].startswith("Người chơi #")
        assert rows[1]["name_en"].startswith("Player #")
        assert rows[2]["anonymous"] and "Ẩn Đi" not in json.dumps(rows, ensure_ascii=False)
        # stable: the same person gets the same number next time
        assert compute_board(db, "overall")["rows"][1]["name_vi"] == rows[1]["name_vi"]
        set_setting(db, "anonymous_display", "hide")
        db.conn.commit()
        rows = compute_board(db, "overall")["rows"]
    assert [(r["rank"], r["name_vi"]) for r in rows] == [(1, "Mèo Vui")]


def test_schools_board_average_per_active_member_and_sum(app, db, make_attendee):
    big = [make_attendee(school="Trường Lớn", class_name="6A")[0] for _ in range(4)]
    small, _ = make_attendee(school="Trường Nhỏ", class_name="7B")
    make_attendee(school="Trường Nhỏ", class_name="7B")  # no points: not active
    for aid in big:
        award(db, aid, 10, "test", f"b{aid}")
    award(db, small, 25, "test", "s1")
    with app.app_context():
        rows = compute_board(db, "schools")["rows"]
        assert [(r["name_vi"], r["score"], r["members"]) for r in rows] == [
            ("Trường Nhỏ", 25.0, 1), ("Trường Lớn", 10.0, 4)]
        set_setting(db, "school_board_mode", "sum")
        db.conn.commit()
        rows = compute_board(db, "schools")["rows"]
        assert [(r["name_vi"], r["score"]) for r in rows] == [("Trường Lớn", 40), ("Trường Nhỏ", 25)]
        classes = compute_board(db, "classes")["rows"]
    assert classes[0]["name_vi"] == "Trường Lớn · 6A"


def test_school_totals_follow_a_class_change(app, db, make_attendee):
    aid, _ = make_attendee(school="Trường A", class_name="1A")
    award(db, aid, 12, "test", "x")
    db.execute("UPDATE attendees SET school = 'Trường B', school_fold = 'truong b' WHERE id = ?", [aid])
    db.conn.commit()
    rows = {r["school_fold"]: (r["points"], r["active"]) for r in db.query("SELECT * FROM board_group_totals")}
    assert rows["truong a"] == (0, 0) and rows["truong b"] == (12, 1)


def test_zone_board_from_visits(app, db, make_attendee, make_zone):
    zone = make_zone(name_vi="Khu VR")
    a, _ = make_attendee(nickname="Ong Nhanh")
    b, _ = make_attendee(nickname="Voi Chậm")
    for aid, pts, ref in ((a, 10, "1"), (b, 10, "2"), (b, 10, "3"), (a, 0, "4")):
        db.execute("INSERT INTO visits (attendee_id, zone_id, scan_id, kind, points, at) "
                   "VALUES (?, ?, ?, ?, ?, ?)", [aid, zone, ref, "enter" if pts else "repeat", pts, now()])
    db.conn.commit()
    with app.app_context():
        board = compute_board(db, f"zone:{zone}")
    assert board["title_vi"].startswith("Khu VR")
    assert [(r["name_vi"], r["score"]) for r in board["rows"]] == [("Voi Chậm", 20), ("Ong Nhanh", 10)]


def test_board_payload_for_games_ranks_and_ties():
    board = board_payload("game:7", "Trò chơi", "Game", [("Bé", 300, 5.0), ("An", 300, 2.0), ("Cư", 500, 9.0)])
    assert [(r["rank"], r["name_vi"]) for r in board["rows"]] == [(1, "Cư"), (2, "An"), (3, "Bé")]
    assert board["board"] == "game:7" and all(r["key"] for r in board["rows"])


# --- who may connect, who receives what -------------------------------------------

def test_unauthenticated_and_desk_cannot_join_public(client, device_client, socket_client):
    assert not socket_client(NS, client).is_connected(NS)
    assert not socket_client(NS, device_client("desk")).is_connected(NS)
    assert not socket_client(NS, device_client("zone")).is_connected(NS)


def test_admin_and_stage_link_can_join_public(admin_client, app, db, socket_client):
    assert socket_client(NS, admin_client).is_connected(NS)
    from kiosk.boards.stage import create_stage_link

    _id, token = create_stage_link(db, "Sân khấu", "test")
    linked = app.test_client()
    assert linked.get(f"/s/{token}").status_code == 302
    assert socket_client(NS, linked).is_connected(NS)


def test_subscribe_answers_current_boards_and_refuses_bad_input(stage, make_attendee, db):
    aid, _ = make_attendee(nickname="Sóc Nhỏ")
    award(db, aid, 5, "test", "1")
    sc, ack = stage("overall", "schools")
    assert ack["ok"] and [b["board"] for b in ack["boards"]] == ["overall", "schools"]
    assert ack["boards"][0]["rows"][0]["name_vi"] == "Sóc Nhỏ"
    for bad in (None, {"boards": "overall"}, {"boards": ["<script>"]}, {"boards": ["zone:999"]},
                {"boards": ["x"] * 40}, ["overall"]):
        answer = sc.emit("subscribe", bad, namespace=NS, callback=True)
        assert answer["ok"] is False and answer["error"]["code"] == "bad_board"


def test_push_goes_only_to_that_boards_room(app, db, publisher, stage, make_attendee):
    aid, _ = make_attendee(nickname="Hổ Vàng")
    watcher, _ = stage("overall")
    other, _ = stage("schools")
    give(app, db, aid, 10, "1")
    watcher.get_received(NS), other.get_received(NS)
    publisher.clock.t += 1
    publisher.mark_dirty("overall")
    give(app, db, aid, 5, "2")
    assert publisher.flush() >= 1
    pushes = board_events(watcher)
    assert [p["board"] for p in pushes] == ["overall"] and pushes[0]["rows"][0]["score"] == 15
    assert all(p["board"] == "schools" for p in board_events(other))


def test_coalescing_many_signals_one_push_per_window(app, db, publisher, stage, make_attendee):
    people = [make_attendee()[0] for _ in range(5)]
    sc, _ = stage("overall")
    sc.get_received(NS)
    pushes_per_window = []
    for window in range(4):
        for i in range(40):
            give(app, db, people[i % 5], 1 + (i % 3), f"w{window}-{i}")
            publisher.flush()  # called often, as the loop would
            publisher.clock.t += MIN_INTERVAL_S / 40 * 0.99
        pushes_per_window.append(len(board_events(sc)))
        publisher.clock.t += 0.01
    assert all(n <= 1 for n in pushes_per_window), pushes_per_window
    assert sum(pushes_per_window) >= 3  # and it did push while the scans went on
    publisher.clock.t += 1
    publisher.flush()
    board_events(sc)
    final = sc.emit("subscribe", {"boards": ["overall"]}, namespace=NS, callback=True)["boards"][0]
    expected = [r["points"] for r in db.query(
        "SELECT points FROM point_totals ORDER BY points DESC, reached_at LIMIT 10")]
    assert [r["score"] for r in final["rows"]] == expected


def test_unchanged_board_is_not_pushed_again(app, db, publisher, stage, make_attendee):
    aid, _ = make_attendee()
    sc, _ = stage("overall")
    sc.get_received(NS)
    publisher.mark_dirty("overall")
    publisher.clock.t += 1
    assert publisher.flush() == 0 and board_events(sc) == []


def test_nickname_change_pushes_watched_boards(app, db, publisher, stage, make_attendee):
    aid, _ = make_attendee(nickname="Tên Cũ")
    award(db, aid, 10, "test", "1")
    sc, _ = stage("overall")
    sc.get_received(NS)
    db.execute("UPDATE attendees SET nickname = 'Tên Mới' WHERE id = ?", [aid])
    db.conn.commit()
    with app.test_request_context():
        nickname_changed.send(attendee_id=aid, nickname="Tên Mới", hidden=False)
    publisher.clock.t += 1
    publisher.flush()
    assert board_events(sc)[-1]["rows"][0]["name_vi"] == "Tên Mới"


def test_zone_visit_signal_marks_that_zone(app, publisher):
    with app.test_request_context():
        zone_visited.send(zone_id=4, attendee_id=1)
    assert "zone:4" in publisher._dirty


def test_public_payloads_carry_no_personal_data(app, db, publisher, stage, make_attendee):
    people = [make_attendee(full_name=f"Trần Thị Riêng Tư {i}", school=f"Trường Bí Mật {i % 2}",
                            nickname=f"Biệt Danh {i}", consent_public=bool(i % 2)) for i in range(6)]
    sc, ack = stage("overall", "schools", "classes")
    for i, (aid, _token) in enumerate(people):
        give(app, db, aid, 10 + i, f"p{i}")
    publisher.clock.t += 1
    publisher.flush()
    blob = json.dumps([ack] + [e["args"] for e in sc.get_received(NS)], ensure_ascii=False)
    for aid, token in people:
        row = db.execute("SELECT full_name, nickname, consent_public FROM attendees WHERE id = ?", [aid]).fetchone()
        assert row["full_name"] not in blob and token not in blob and token.lower() not in blob.lower()
        if not row["consent_public"]:
            assert row["nickname"] not in blob
    with app.app_context():
        overall = compute_board(db, "overall")
    # the people board never names a school, the school board never names a person
    assert "Trường" not in json.dumps(overall, ensure_ascii=False)
    assert "Biệt Danh" not in json.dumps(compute_board(db, "schools", "s"), ensure_ascii=False)


def test_publisher_survives_a_broken_board(app, db, publisher, stage, monkeypatch):
    sc, _ = stage("overall")
    import kiosk.boards.compute as lb

    monkeypatch.setattr(lb, "overall_board", lambda *a: 1 / 0)
    publisher.mark_dirty("overall")
    publisher.clock.t += 1
    assert publisher.flush() == 0  # logged, not raised


def test_background_loop_pushes_in_threading_mode(app, db, stage, make_attendee):
    """The real loop (socketio.start_background_task) runs in the test app too."""
    import time

    aid, _ = make_attendee(nickname="Đại Bàng")
    sc, _ = stage("overall")
    sc.get_received(NS)
    publisher = get_publisher(app)
    assert publisher.start()
    seen = []
    try:
        give(app, db, aid, 7, "loop")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not seen:
            seen += board_events(sc)
            time.sleep(0.02)
        assert seen and seen[-1]["rows"][0]["score"] == 7
    finally:
        publisher.stop()
