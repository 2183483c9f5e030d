"""The async mode is a setting: gevent and threading keep working beside the
default eventlet (covered by every other real-server test), with real
websockets, so the project can leave eventlet without a rewrite."""
from __future__ import annotations

import pytest
import socketio as sio

from kiosk import create_app
from kiosk.db import open_db
from kiosk.devices.service import create_device, pair_device
from tests.support.live import LiveServer

pytestmark = pytest.mark.server


@pytest.mark.parametrize("worker", ["gevent", "gthread"])
def test_other_async_modes_serve_real_websockets(tmp_path, worker):
    if worker == "gevent":
        pytest.importorskip("gevent")
    instance = tmp_path / "instance"
    instance.mkdir()
    database = tmp_path / "festival.db"
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database), "NORMAL")
    _id, code = create_device(db, "Màn hình", "stage", None, "test")
    credential = pair_device(db, code)[2]
    db.conn.close()
    server = LiveServer(instance, database, worker=worker).start()
    try:
        client = sio.Client(reconnection=False)
        client.connect(server.url, namespaces=["/public"], transports=["websocket"],
                       headers={"Authorization": f"Bearer {credential}"}, wait_timeout=10)
        assert client.transport() == "websocket"
        ack = client.call("subscribe", {"boards": ["overall"]}, namespace="/public", timeout=10)
        assert ack["ok"]
        client.disconnect()
    finally:
        server.stop()
    assert server.errors_in_log() == []
