"""A crowd joins a live game (issue 17): the one-statement join, the cap and
what the big screen is told when the game is full, the phones' lean socket
path, and the garbage-collector settings of a served hub."""
from __future__ import annotations

import gc
import json

import pytest

from games.live import game as live
from games.live import snapshots
from games.live import sockets as live_sockets
from kiosk import gctune
from kiosk.db import get_db
from kiosk.ops import serving
from tests.support.http import post_json


@pytest.fixture
def game(device_client):
    host = device_client("host")
    response = post_json(host, "/host/api/games", {"bank": "core", "count": 2, "mode": "speed",
                                                   "streak": False, "time_limit": 20})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["game"]


def _join(app, code):
    return app.test_client().post("/play/join", json={"code": code, "nickname": None, "lang": "vi"})


def test_joins_number_players_in_order_and_place_them_last(app, game):
    tokens = []
    for n in range(1, 4):
        response = _join(app, game["code"])
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["player"]["no"] == n and body["game"]["id"] == game["id"]
        tokens.append(body["token"])
    with app.app_context():
        db = get_db()
        rows = db.execute("SELECT num, rank, gap, score FROM players WHERE game_id = ? ORDER BY num",
                          [game["id"]]).fetchall()
        active = db.execute("SELECT players_active FROM games WHERE id = ?", [game["id"]]).fetchone()[0]
        assert [(r["num"], r["rank"], r["gap"], r["score"]) for r in rows] == [(1, 1, 0, 0), (2, 2, 0, 0),
                                                                               (3, 3, 0, 0)]
        assert active == 3
        assert [live.player_for_token(db, t)["num"] for t in tokens] == [1, 2, 3]


def test_a_full_game_refuses_the_next_phone_and_tells_the_big_screen(app, game, monkeypatch):
    monkeypatch.setattr(live, "MAX_PLAYERS", 2)
    for _ in range(2):
        assert _join(app, game["code"]).status_code == 201
    refused = _join(app, game["code"])
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "game_full" and error["message_vi"] and error["message_en"]
    with app.app_context():
        counts = snapshots.live_counts(get_db(), game["id"])
        assert counts["np"] == 2
        assert "2" in counts["full"]["vi"] and "2" in counts["full"]["en"]
        assert counts["full"]["vi"] != counts["full"]["en"]


def test_the_live_counters_say_nothing_of_a_cap_before_it_is_reached(app, game):
    assert _join(app, game["code"]).status_code == 201
    with app.app_context():
        assert "full" not in snapshots.live_counts(get_db(), game["id"])


def test_a_phone_on_the_lean_path_plays_and_its_errors_are_acks(app, game, socket_client, device_client):
    token = _join(app, game["code"]).get_json()["token"]
    phone = socket_client(live_sockets.PLAY, auth={"token": token})
    assert phone.is_connected(live_sockets.PLAY)
    [state] = [m["args"][0] for m in phone.get_received(live_sockets.PLAY) if m["name"] == "state"]
    assert state["st"] == "lobby" and state["me"]["no"] == 1
    early = phone.emit("answer", {"i": 0, "c": [0], "id": "early"}, namespace=live_sockets.PLAY, callback=True)
    assert early["ok"] is False and early["error"]["code"] == "not_open"
    unreadable = phone.emit("answer", "nonsense", namespace=live_sockets.PLAY, callback=True)
    assert unreadable["ok"] is False and unreadable["error"]["code"] == "bad_answer"
    again = phone.emit("state", namespace=live_sockets.PLAY, callback=True)
    assert again["ok"] and again["me"]["no"] == 1
    host = socket_client(live_sockets.HOST, device_client("host"))
    assert host.emit("watch", {"g": game["id"]}, namespace=live_sockets.HOST, callback=True)["ok"]
    assert host.emit("next", {"g": game["id"]}, namespace=live_sockets.HOST, callback=True)["ok"]
    ack = phone.emit("answer", {"i": 0, "c": [0], "id": "a0"}, namespace=live_sockets.PLAY, callback=True)
    assert ack["ok"] and ack["i"] == 0 and ack["n"] == 1 and ack["re"] == 0
    names = [m["name"] for m in phone.get_received(live_sockets.PLAY)]
    assert "q" in names and "rv" in names  # the only player answered: the question closed


def test_a_bad_token_is_refused_on_the_lean_path(socket_client):
    phone = socket_client(live_sockets.PLAY, auth={"token": "not-a-real-token-at-all"})
    assert not phone.is_connected(live_sockets.PLAY)


def test_a_test_app_keeps_cpythons_collector_settings(app):
    """Only a served hub (GC_TUNE, set by `festival serve`) is tuned, never a test's app."""
    assert gc.get_threshold() != (gctune.GEN0, gctune.GEN1, gctune.GEN2)


def test_tune_freezes_and_sets_thresholds():
    before = gc.get_threshold()
    try:
        gctune.tune()
        assert gc.get_threshold() == (gctune.GEN0, gctune.GEN1, gctune.GEN2)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


def test_the_freezer_freezes_each_round_and_thaws_to_collect(monkeypatch):
    """Each round freezes what survived; a round past THAW_EVERY_S first
    unfreezes and collects everything (cyclic garbage frozen earlier goes)."""
    monkeypatch.setattr(gctune.socketio, "sleep", lambda seconds: None)
    calls = []
    monkeypatch.setattr(gctune.gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gctune.gc, "unfreeze", lambda: calls.append("unfreeze"))
    monkeypatch.setattr(gctune.gc, "collect", lambda: calls.append("collect"))
    gctune.freezer(rounds=2)
    assert calls == ["freeze", "freeze"]
    calls.clear()
    monkeypatch.setattr(gctune, "THAW_EVERY_S", 0.0)
    gctune.freezer(lambda: gctune.QUIET_SOCKETS + 1, rounds=1)  # a big game is on: not now
    assert calls == ["freeze"]
    calls.clear()
    gctune.freezer(lambda: 3, rounds=1)
    assert calls == ["unfreeze", "collect", "freeze"]
    calls.clear()
    monkeypatch.setattr(gctune, "THAW_AT_MOST_S", 0.0)  # but not for ever
    gctune.freezer(lambda: gctune.QUIET_SOCKETS + 1, rounds=1)
    assert calls == ["unfreeze", "collect", "freeze"]


def test_the_recorder_times_collections_and_writes_its_file(tmp_path):
    recorder = gctune.Recorder(str(tmp_path / "gc.json"))
    gc.callbacks.append(recorder.on_gc)
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(recorder.on_gc)
    recorder.write()
    data = json.loads((tmp_path / "gc.json").read_text())
    assert data["gc"]["count"] >= 1 and data["gc"]["by_gen"]["2"] >= 1 and data["gc"]["max_ms"] >= 0


def test_festival_serve_asks_for_the_tuning(monkeypatch):
    seen = {}
    monkeypatch.setenv("FESTIVAL_GC_TUNE", "")  # so that monkeypatch restores the original state
    monkeypatch.delenv("FESTIVAL_GC_TUNE")
    monkeypatch.setattr(serving.os, "execv", lambda path, argv: seen.update(env=dict(serving.os.environ)))
    serving.exec_gunicorn(["/bin/true"])
    assert seen["env"]["FESTIVAL_GC_TUNE"] == "1"
