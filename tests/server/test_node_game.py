"""A big game's setting (issue 17): the hub for staff, an edge node for the
phones, on one machine, one Redis and one SQLite file.

A phone joins and plays on the edge node a whole game hosted on the hub:
it gets each question, its answer is acknowledged with its standing, its
own result arrives when the question closes and the big screen on the hub
shows the reveal, then the podium ends the game on both sides."""
from __future__ import annotations


import pytest
import requests

from kiosk import create_app
from kiosk.db import open_db
from kiosk.devices.service import create_device, pair_device
from tests.support.recording import RecordingClient, hub_and_edge

pytestmark = [pytest.mark.redis, pytest.mark.server]



@pytest.fixture(scope="module")
def big_game_setting(tmp_path_factory, redis_url):
    """The hub (staff) and one edge node (phones) sharing the festival file and the queue."""
    tmp_path = tmp_path_factory.mktemp("biggame")
    instance, database = tmp_path / "instance", tmp_path / "hub.db"
    instance.mkdir()
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database))
    try:
        creds = {}
        for role in ("stage", "host"):
            _id, code = create_device(db, f"{role} big game", role, None, "test")
            creds[role] = pair_device(db, code)[2]
    finally:
        db.conn.close()
    with hub_and_edge(instance, database, redis_url) as (hub, edge):
        yield {"hub": hub, "edge": edge, "creds": creds}


def test_a_phone_on_the_edge_plays_a_game_hosted_on_the_hub(big_game_setting):
    hub, edge, creds = big_game_setting["hub"], big_game_setting["edge"], big_game_setting["creds"]
    created = requests.post(hub.url + "/host/api/games", json={"bank": "core", "count": 2, "mode": "speed"},
                            headers={"Authorization": f"Bearer {creds['host']}"}, timeout=10)
    assert created.status_code == 201, created.text
    game = created.json()["game"]

    joined = requests.post(edge.url + "/play/join", json={"code": game["code"], "nickname": None, "lang": "vi"},
                           timeout=10)
    assert joined.status_code == 201, joined.text
    phone = RecordingClient(edge.url, "/play", {"token": joined.json()["token"]}, ("state", "q", "rv", "end"))
    host = RecordingClient(hub.url, "/host", {"token": creds["host"]}, ())
    screen = RecordingClient(hub.url, "/gamescreen", {"token": creds["stage"]}, ("live", "rv", "end"))
    try:
        state = phone.wait_for("state")
        assert state and state["st"] == "lobby" and state["me"]["nick"] == joined.json()["player"]["nick"]
        assert host.call("watch", {"g": game["id"]})["ok"]
        # The join on the edge is in the hub's big screen's state (the shared file).
        watched = screen.call("watch", {"g": game["id"]})
        assert watched["ok"] and watched["np"] == 1, watched

        for idx in range(2):
            assert host.call("next", {"g": game["id"]})["ok"]
            question = phone.wait_for("q", lambda d, i=idx: d["i"] == i)
            assert question, phone.received
            ack = phone.call("answer", {"i": idx, "c": [0], "id": f"edge-{idx}"})
            assert ack["ok"] and ack["i"] == idx and ack["n"] == 1, ack
            # The only player answered: the edge closes the question; both sides hear it.
            own = phone.wait_for("rv", lambda d, i=idx: d["i"] == i)
            assert own and "rk" in own and "pts" in own, phone.received
            board = screen.wait_for("rv", lambda d, i=idx: d["i"] == i)
            assert board and board["a"] == 1 and len(board["top"]) == 1, screen.received

        assert host.call("next", {"g": game["id"]})["ok"]  # after the last question: the podium
        assert phone.wait_for("end"), phone.received
        assert screen.wait_for("end"), screen.received
    finally:
        for client in (phone, host, screen):
            client.close()
    db = open_db(str(hub.database))
    try:
        answers = db.execute("SELECT COUNT(*) FROM game_answers WHERE game_id = ?", [game["id"]]).fetchone()[0]
        state = db.execute("SELECT state FROM games WHERE id = ?", [game["id"]]).fetchone()[0]
    finally:
        db.conn.close()
    assert answers == 2 and state == "ended"
    assert not edge.errors_in_log() and not hub.errors_in_log()
