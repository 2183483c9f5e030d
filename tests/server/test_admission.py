"""Websocket admission and event limits on a real hub (gunicorn + eventlet),
issue 13 B: one address holding idle upgrades cannot lock out /healthz or a
paired desk; a connection that joins nothing is closed; a flooding socket is
answered rate_limited and then disconnected.

Small caps through FESTIVAL_* settings so the test stays quick; the hostile
client uses other loopback source addresses (127.0.0.7, .8, .9).
"""
from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio as sio

from kiosk import create_app
from kiosk.db import open_db
from kiosk.devices.service import create_device, pair_device
from tests.support.hostile import hold, is_closed, upgrade
from tests.support.live import LiveServer

pytestmark = pytest.mark.server

SETTINGS = {
    "FESTIVAL_SOCKET_MAX_PER_ADDRESS": "20",
    "FESTIVAL_SOCKET_MAX_UNJOINED_PER_ADDRESS": "20",
    "FESTIVAL_SOCKET_MAX_OPEN": "30",
    "FESTIVAL_SOCKET_STAFF_RESERVE": "5",
    "FESTIVAL_SOCKET_JOIN_TIMEOUT": "3",
    "FESTIVAL_SOCKET_EVENT_RATE": "5",
    "FESTIVAL_SOCKET_EVENT_BURST": "10",
    "FESTIVAL_SOCKET_FLOOD_LIMIT": "20",
}


@pytest.fixture
def hub(tmp_path):
    instance = tmp_path / "hub-instance"
    instance.mkdir()
    database = tmp_path / "hub.db"
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database), "NORMAL")
    device_id, code = create_device(db, "Bàn 1", "desk", None, "test")
    credential = pair_device(db, code)[2]
    db.conn.close()
    server = LiveServer(instance, database, env=SETTINGS).start()
    server.desk = credential
    yield server
    server.stop()


def _desk_client(hub, events=None):
    client = sio.Client(reconnection=False)
    if events is not None:
        client.on("disconnect", lambda *a: events.append("disconnect"), namespace="/desk")
    client.connect(hub.url, namespaces=["/desk"], transports=["websocket"],
                   headers={"Authorization": f"Bearer {hub.desk}"}, wait_timeout=10)
    return client


def test_idle_upgrades_cannot_lock_out_healthz_or_a_paired_desk(hub):
    held = hold(hub.port, 50, "127.0.0.7")
    try:
        assert len(held) == 20  # the per-address cap
        assert upgrade(hub.port, "127.0.0.7")[0] == 429
        held += hold(hub.port, 50, "127.0.0.8")
        assert len(held) == 30  # the global cap
        assert upgrade(hub.port, "127.0.0.9")[0] == 429
        assert requests.get(hub.url + "/healthz", timeout=5).status_code == 200
        # A paired desk gets in from a full address, through the staff reserve.
        status, sock = upgrade(hub.port, "127.0.0.7", headers={"Authorization": f"Bearer {hub.desk}"})
        assert status == 101
        sock.close()
        desk = _desk_client(hub)
        try:
            assert desk.call("counters", namespace="/desk", timeout=10)["ok"]
        finally:
            desk.disconnect()
        # A made-up credential is refused like anybody.
        assert upgrade(hub.port, "127.0.0.9", headers={"Authorization": "Bearer nope"})[0] == 429
        # The join deadline closes every one of them, and the address may connect again.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(is_closed(s, 0.05) for s in held):
            time.sleep(0.5)
        assert all(is_closed(s, 0.05) for s in held)
        status, sock = upgrade(hub.port, "127.0.0.7")
        assert status == 101
        sock.close()
    finally:
        for sock in held:
            sock.close()


def test_a_flooding_socket_is_rate_limited_then_disconnected(hub):
    events: list[str] = []
    acks: list = []
    done = threading.Event()
    client = _desk_client(hub, events)
    try:
        for _ in range(200):
            if not client.connected:
                break
            client.emit("counters", namespace="/desk", callback=lambda *a: acks.append(a[0] if a else None))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "disconnect" not in events:
            done.wait(0.1)
        codes = [a.get("error", {}).get("code") if isinstance(a, dict) else None for a in acks]
        assert "rate_limited" in codes
        assert "disconnect" in events
        # The hub is fine, and the desk may come back.
        assert requests.get(hub.url + "/healthz", timeout=5).status_code == 200
        again = _desk_client(hub)
        assert again.call("counters", namespace="/desk", timeout=10)["ok"]
        again.disconnect()
    finally:
        if client.connected:
            client.disconnect()
