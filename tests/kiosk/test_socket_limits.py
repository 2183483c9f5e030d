"""Socket.IO hardening (issue 13 B): per-socket event limits, extra arguments,
deep nesting, and websocket admission (caps, staff reserve, join deadline).

Unit level: Flask-SocketIO's test client and Engine.IO polling handshakes
through Flask's test client. The real-server counterpart is
tests/server/test_admission.py.
"""
from __future__ import annotations

import logging

import pytest

from games.live import sockets as live_sockets
from kiosk import socketio
from kiosk.admission import Admission
from kiosk.realtime import GuardedNamespace, close_connection
from tests.support.http import post_json


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(app, monkeypatch):
    """A tiny bucket on a clock the test moves: 3 messages (joining a
    namespace is one), then 5 refusals allowed.

    The limit runs in Engine.IO's message handler, which Flask-SocketIO's test
    client skips (it calls python-socketio directly): route it through it.
    """
    fake = FakeClock()
    limiter = socketio.server.festival_limiter
    limiter.rate, limiter.burst, limiter.flood_limit, limiter.clock = 1.0, 3.0, 5, fake
    monkeypatch.setattr(socketio.server, "_handle_eio_message", socketio.server.eio.handlers["message"])
    return fake


def _errors(caplog):
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_every_namespace_is_guarded(app):
    handlers = socketio.server.namespace_handlers
    assert {"/play", "/host", "/gamescreen", "/desk", "/admin", "/public"} <= set(handlers)
    for namespace, handler in handlers.items():
        assert isinstance(handler, GuardedNamespace), namespace


def test_a_flooding_staff_socket_is_refused_then_disconnected(app, device_client, socket_client, clock, caplog):
    sc = socket_client("/desk", device_client("desk"))
    assert sc.is_connected("/desk")
    clock.now += 10  # joining took a token too
    acks = [sc.emit("counters", namespace="/desk", callback=True) for _ in range(3)]
    assert all(ack["ok"] for ack in acks)
    refused = sc.emit("counters", namespace="/desk", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "rate_limited"
    assert refused["error"]["message_vi"] and refused["error"]["message_en"]
    assert refused["error"]["message_vi"] != refused["error"]["message_en"]
    # Time refills the bucket: a client that slows down is served again.
    clock.now += 2
    assert sc.emit("counters", namespace="/desk", callback=True)["ok"]
    # One that keeps sending on an empty bucket is cut off.
    for _ in range(12):
        if not sc.is_connected("/desk"):
            break
        sc.emit("counters", namespace="/desk", callback=True)
    assert not sc.is_connected("/desk")
    assert not _errors(caplog)


def test_a_calm_client_recovers_its_whole_allowance(app, device_client, socket_client, clock):
    sc = socket_client("/desk", device_client("desk"))
    clock.now += 10
    for _round in range(4):
        for _ in range(3):
            assert sc.emit("counters", namespace="/desk", callback=True)["ok"]
        assert sc.emit("counters", namespace="/desk", callback=True)["error"]["code"] == "rate_limited"
        clock.now += 10  # full again: the refusals are forgiven
    assert sc.is_connected("/desk")


def test_a_flooding_player_is_limited_on_play(app, device_client, socket_client, clock):
    host = device_client("host")
    game = post_json(host, "/host/api/games", {"bank": "core", "count": 2, "mode": "speed",
                                               "streak": False, "time_limit": 20}).get_json()["game"]
    joined = app.test_client().post("/play/join", json={"code": game["code"], "nickname": "Mèo Nhỏ"}).get_json()
    sc = socket_client(live_sockets.PLAY, auth={"token": joined["token"]})
    assert sc.is_connected(live_sockets.PLAY)
    clock.now += 10
    codes = [(sc.emit("state", namespace=live_sockets.PLAY, callback=True) or {}).get("error", {}).get("code")
             for _ in range(5)]
    assert codes[:3] == [None, None, None] and codes[3:] == ["rate_limited", "rate_limited"]


def test_buckets_are_per_connection_and_forgotten_on_disconnect(app, device_client, socket_client, clock):
    desk = device_client("desk")
    first, second = socket_client("/desk", desk), socket_client("/desk", desk)
    clock.now += 10
    for _ in range(4):
        first.emit("counters", namespace="/desk", callback=True)
    assert second.emit("counters", namespace="/desk", callback=True)["ok"]
    buckets = socketio.server.festival_limiter.buckets
    assert {first.eio_sid, second.eio_sid} <= set(buckets)
    socketio.server.eio.handlers["disconnect"](first.eio_sid, "client disconnect")
    assert first.eio_sid not in buckets and second.eio_sid in buckets


def test_refused_events_never_reach_the_handlers(app, device_client, socket_client, clock, monkeypatch):
    from checkin import desk as desk_module  # only this test patches a feature's handler

    calls = []
    monkeypatch.setattr(desk_module.DeskNamespace, "on_counters", lambda self, *a: calls.append(1) or {"ok": True})
    sc = socket_client("/desk", device_client("desk"))
    clock.now += 10
    for _ in range(8):
        sc.emit("counters", namespace="/desk", callback=True)
    assert len(calls) == 3


def test_extra_arguments_get_an_error_ack_not_a_500(app, admin_client, socket_client, caplog):
    sc = socket_client("/public", admin_client)
    ack = sc.emit("subscribe", {"board": "overall"}, "extra", 2**70, namespace="/public", callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_request"
    assert ack["error"]["message_vi"] and ack["error"]["message_en"]
    # A handler that takes any number of arguments still accepts them.
    desk = socket_client("/desk", admin_client)
    assert desk.emit("counters", 1, 2, 3, namespace="/desk", callback=True)["ok"]
    assert not _errors(caplog)


def test_extra_arguments_on_play_and_host(app, device_client, socket_client, caplog):
    host = socket_client("/host", device_client("host"))
    ack = host.emit("watch", {"g": 1}, {"g": 2}, namespace="/host", callback=True)
    assert ack["error"]["code"] == "bad_request"
    assert not _errors(caplog)


def test_deep_nesting_and_huge_integers_in_events(app, admin_client, socket_client, caplog):
    sc = socket_client("/host", admin_client)
    nested = []
    for _ in range(400):
        nested = [nested]
    for payload in ({"g": nested}, {"g": 2**70}, {"g": -(2**70)}, nested, 2**80):
        ack = sc.emit("watch", payload, namespace="/host", callback=True)
        assert ack["ok"] is False and ack["error"]["code"] != "server_error", payload
    assert not _errors(caplog)


def test_a_packet_nested_too_deeply_closes_the_connection_quietly(app, admin_client, socket_client, caplog):
    sc = socket_client("/public", admin_client)
    guard = socketio.server.eio.handlers["message"]
    depth = 30_000
    guard(sc.eio_sid, '2/public,["subscribe",' + "[" * depth + "]" * depth + "]")
    guard(sc.eio_sid, "9garbage")
    assert not _errors(caplog)


# -------------------------------------------------------------- admission

def test_admission_caps_per_address_and_unjoined():
    clock = FakeClock()
    adm = Admission(per_address=3, unjoined_per_address=2, max_open=10, staff_reserve=2, join_timeout=5, clock=clock)
    nobody = lambda: False  # noqa: E731 - a principal lookup that finds nobody
    assert adm.admit("10.0.0.1", nobody) == (True, False)
    adm.opened("a", "10.0.0.1", False)
    assert adm.admit("10.0.0.1", nobody) == (True, False)
    adm.opened("b", "10.0.0.1", False)
    # Two connections in no namespace: the third waits for one to join.
    assert adm.admit("10.0.0.1", nobody) == (False, False)
    adm.joined("a")
    assert adm.admit("10.0.0.1", nobody) == (True, False)
    adm.opened("c", "10.0.0.1", False)
    adm.joined("b")
    adm.joined("c")
    # Three open from one address: full, though every one joined.
    assert adm.admit("10.0.0.1", nobody)[0] is False
    # Another address is not affected.
    assert adm.admit("10.0.0.2", nobody)[0] is True
    adm.abandoned("10.0.0.2")
    # A staff device gets in over the address cap.
    assert adm.admit("10.0.0.1", lambda: True) == (True, True)
    adm.opened("d", "10.0.0.1", True)
    adm.closed("a")
    adm.closed("a")  # twice: counted once
    assert adm.stats()["open"] == 3
    assert adm.open_by_address["10.0.0.1"] == 3


def test_staff_reserve_above_the_global_cap():
    adm = Admission(per_address=100, unjoined_per_address=100, max_open=3, staff_reserve=2)
    for i in range(3):
        assert adm.admit(f"10.0.1.{i}", lambda: False)[0]
    assert adm.admit("10.0.1.9", lambda: False)[0] is False
    assert adm.admit("10.0.1.9", lambda: True) == (True, True)
    assert adm.admit("10.0.1.9", lambda: True) == (True, True)
    assert adm.admit("10.0.1.9", lambda: True)[0] is False  # the reserve is spent too


def test_join_deadline_and_leaving_the_last_namespace():
    clock = FakeClock()
    adm = Admission(join_timeout=5, clock=clock)
    for sid in ("idle", "joined", "left"):
        adm.admit("10.0.0.1", lambda: False)
        adm.opened(sid, "10.0.0.1", False)
    adm.joined("joined")
    adm.joined("left")
    clock.now += 3
    adm.left("left")
    clock.now += 2.5
    assert adm.overdue() == ["idle"]
    clock.now += 3
    assert sorted(adm.overdue()) == ["idle", "left"]
    assert adm.unjoined_by_address["10.0.0.1"] == 2


def _handshake(client, address):
    return client.get("/socket.io/?EIO=4&transport=polling", environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def small_caps(app):
    adm = socketio.server.festival_admission
    adm.per_address, adm.unjoined_per_address, adm.max_open, adm.staff_reserve = 4, 2, 50, 5
    adm.join_timeout = 0.0
    return adm


def test_handshakes_over_the_cap_get_429_in_both_languages(app, small_caps):
    client = app.test_client()
    assert [_handshake(client, "10.9.0.1").status_code for _ in range(2)] == [200, 200]
    refused = _handshake(client, "10.9.0.1")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
    error = refused.get_json()["error"]
    assert error["code"] == "too_many_connections" and error["message_vi"] and error["message_en"]
    assert _handshake(client, "10.9.0.2").status_code == 200
    assert small_caps.stats()["open"] == 3


def test_a_paired_device_gets_in_over_the_cap(app, small_caps, device_client):
    anon = app.test_client()
    while _handshake(anon, "10.9.0.1").status_code == 200:
        pass
    desk = device_client("desk")
    assert _handshake(desk, "10.9.0.1").status_code == 200
    # A made-up credential is no way in.
    anon.set_cookie("festival_device", "not-a-credential")
    assert _handshake(anon, "10.9.0.1").status_code == 429


def test_the_sweeper_closes_connections_that_join_nothing(app, small_caps):
    client = app.test_client()
    for _ in range(2):
        assert _handshake(client, "10.9.0.3").status_code == 200
    assert small_caps.stats()["open"] == 2
    eio = socketio.server.eio
    for eio_sid in small_caps.overdue():
        close_connection(socketio.server, eio_sid)
    assert small_caps.stats()["open"] == 0
    assert not eio.sockets
    assert _handshake(client, "10.9.0.3").status_code == 200


def test_ordinary_requests_pass_untouched(app, small_caps, client):
    for _ in range(10):
        assert client.get("/healthz", environ_base={"REMOTE_ADDR": "10.9.0.1"}).status_code == 200
    assert small_caps.stats()["open"] == 0
