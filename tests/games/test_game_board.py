"""Issue 23, point 3: a stage screen set to the board ``game:ID`` shows that
live game's scoreboard and follows it (joins, each question's scores)."""
from __future__ import annotations

from games.live import pushes
from games.live import sockets as live_sockets
from games.quiz import questions

NS = "/public"


def _join(app, code, nickname):
    response = app.test_client().post("/play/join", json={"code": code, "nickname": nickname})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _boards(sc):
    return [e["args"][0] for e in sc.get_received(NS) if e["name"] == "board"]


def test_a_stage_screen_on_game_id_follows_the_live_game(app, db, host, game, publisher, socket_client,
                                                        device_client):
    gid = game["id"]
    a = _join(app, game["code"], "Cáo Nhanh")
    stage = socket_client(NS, device_client("stage"))
    ack = stage.emit("subscribe", {"boards": [f"game:{gid}"]}, namespace=NS, callback=True)
    assert ack["ok"], ack
    [board] = ack["boards"]
    assert board["board"] == f"game:{gid}" and board["title_vi"] == db.execute(
        "SELECT title FROM games WHERE id = ?", [gid]).fetchone()[0]
    assert [(r["rank"], r["name_vi"], r["score"]) for r in board["rows"]] == [(1, "Cáo Nhanh", 0)]

    b = _join(app, game["code"], "Gấu Chậm")  # a join reaches the board (through the live counters)
    pushes.live_counters.push_now(gid, app)
    publisher.clock.t += 1
    assert publisher.flush() == 1
    [pushed] = _boards(stage)
    assert [r["name_vi"] for r in pushed["rows"]] == ["Cáo Nhanh", "Gấu Chậm"]

    hsock = socket_client(live_sockets.HOST, host)
    assert hsock.emit("start", {"g": gid}, namespace=live_sockets.HOST, callback=True)["ok"]
    qid = db.execute("SELECT question_id FROM game_questions WHERE game_id = ? AND idx = 0", [gid]).fetchone()[0]
    right = list(questions.get_question(db, qid)["correct"])
    wrong = [min(set(range(5)) - set(right))]
    for joined, choice in ((a, wrong), (b, right)):
        phone = socket_client(live_sockets.PLAY, auth={"token": joined["token"]})
        phone.emit("answer", {"i": 0, "c": choice, "id": f"x-{joined['player']['no']}"},
                   namespace=live_sockets.PLAY, callback=True)
    publisher.clock.t += 1
    publisher.flush()
    latest = _boards(stage)[-1]
    assert [(r["rank"], r["name_en"]) for r in latest["rows"]] == [(1, "Gấu Chậm"), (2, "Cáo Nhanh")]
    assert latest["rows"][0]["score"] >= 500 and latest["rows"][1]["score"] == 0  # speed mode: 500–1000

    assert hsock.emit("hide", {"g": gid, "p": a["player"]["id"]}, namespace=live_sockets.HOST,
                      callback=True)["ok"]
    pushes.live_counters.push_now(gid, app)
    publisher.clock.t += 1
    publisher.flush()
    latest = _boards(stage)[-1]
    hidden = latest["rows"][1]
    assert hidden["anonymous"] and hidden["name_vi"] == f"Người chơi #{a['player']['no']}"
    assert "Cáo Nhanh" not in str(latest)


def test_an_unknown_game_board_is_refused(socket_client, device_client):
    stage = socket_client(NS, device_client("stage"))
    ack = stage.emit("subscribe", {"boards": ["game:999999"]}, namespace=NS, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_board"
