"""A big game's setting (issue 17): the hub for staff, an edge node for the
phones, on one machine, one Redis and one SQLite file.

A phone joins and plays on the edge node a whole game hosted on the hub:
it gets each question, its answer is acknowledged with its standing, its
own result arrives when the question closes and the big screen on the hub
shows the reveal, then the podium ends the game on both sides."""
from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio

from kiosk import create_app
from kiosk.db import open_db
from kiosk.devices.service import create_device, pair_device
from tests.support.live import LiveServer

pytestmark = [pytest.mark.redis, pytest.mark.server]

WAIT_S = 20


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
    queue = {"FESTIVAL_MESSAGE_QUEUE": redis_url}
    hub = LiveServer(instance, database, env={**queue, "FESTIVAL_NODE_ROLE": "hub"}).start()
    edge = LiveServer(instance, database, env={**queue, "FESTIVAL_NODE_ROLE": "edge"})
    try:
        edge.start()
    except Exception:
        hub.stop()
        raise
    yield {"hub": hub, "edge": edge, "creds": creds}
    edge.stop()
    hub.stop()


class Client:
    """A python-socketio client that records what it receives."""

    def __init__(self, url: str, namespace: str, auth: dict, events: tuple[str, ...]):
        self.sio = socketio.Client(reconnection=False)
        self.namespace = namespace
        self.received: list[tuple[str, object]] = []
        self.changed = threading.Condition()
        for event in events:
            self.sio.on(event, self._recorder(event), namespace=namespace)
        self.sio.connect(url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=10)

    def _recorder(self, event):
        def record(data=None):
            with self.changed:
                self.received.append((event, data))
                self.changed.notify_all()
        return record

    def wait_for(self, event: str, test=lambda data: True):
        deadline = time.monotonic() + WAIT_S
        with self.changed:
            while True:
                for name, data in self.received:
                    if name == event and test(data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)

    def call(self, event, data):
        return self.sio.call(event, data, namespace=self.namespace, timeout=10)

    def close(self):
        self.sio.disconnect()


def test_a_phone_on_the_edge_plays_a_game_hosted_on_the_hub(big_game_setting):
    hub, edge, creds = big_game_setting["hub"], big_game_setting["edge"], big_game_setting["creds"]
    created = requests.post(hub.url + "/host/api/games", json={"bank": "core", "count": 2, "mode": "speed"},
                            headers={"Authorization": f"Bearer {creds['host']}"}, timeout=10)
    assert created.status_code == 201, created.text
    game = created.json()["game"]

    joined = requests.post(edge.url + "/play/join", json={"code": game["code"], "nickname": None, "lang": "vi"},
                           timeout=10)
    assert joined.status_code == 201, joined.text
    phone = Client(edge.url, "/play", {"token": joined.json()["token"]}, ("state", "q", "rv", "end"))
    host = Client(hub.url, "/host", {"token": creds["host"]}, ())
    screen = Client(hub.url, "/gamescreen", {"token": creds["stage"]}, ("live", "rv", "end"))
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
