"""With ``festival serve --workers`` (issue 21) the join answer names the phone
process a phone opens its socket on, and the big screen's join link points
at a phone process, on the host name the request used (kiosk/phones.py).
A host creating a game the hub cannot hold now is told so."""
from __future__ import annotations

import time

import pytest

from kiosk.db import get_db
from kiosk.realtime import socketio

from games.live import game as live
from games.live.views import _join_url
from tests.support.http import post_json


def test_the_join_answer_and_the_join_link_name_a_phone_process(app, client):
    with app.app_context():
        game = live.create_game(get_db(), bank="core", count=1, mode="speed", host="test", now=time.time())
    app.config.update(PHONE_PORTS=[8101], HUB_PORT=8100)
    joined = client.post("/play/join", json={"code": game["code"]}, base_url="http://10.1.1.5:8100")
    assert joined.status_code == 201, joined.get_json()
    assert joined.get_json()["sock"] == "http://10.1.1.5:8101"
    with app.test_request_context(base_url="http://10.1.1.5:8100"):
        assert _join_url(game) == f"http://10.1.1.5:8101/play?code={game['code']}"

    app.config.update(PHONE_PORTS=[])
    assert "sock" not in client.post("/play/join", json={"code": game["code"]}).get_json()


@pytest.fixture
def host(device_client):
    return device_client("host")


def test_a_host_creating_a_game_the_hub_cannot_hold_now_is_told(app, host):
    payload = {"bank": "core", "count": 1, "mode": "speed"}
    created = post_json(host, "/host/api/games", payload)
    assert created.status_code == 201 and "notice" not in created.get_json()
    assert created.get_json()["cap"] == 3000
    admission = socketio.server.festival_admission
    held, admission.total = admission.total, admission.max_open - 100  # other games' phones
    try:
        body = post_json(host, "/host/api/games", payload).get_json()
    finally:
        admission.total = held
    assert body["ok"] and "100" in body["notice"]["en"] and "3000" in body["notice"]["en"]
    assert "FESTIVAL_GAME_MAX_PLAYERS" in body["notice"]["vi"]
