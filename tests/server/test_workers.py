"""``festival serve --workers 2`` (issue 21): the hub for staff and a phone process,
started by the command itself with its own Redis.

Both processes serve the play page and its files; a phone joining on the hub
is told to open its socket on the phone process, from the hub page's origin;
it gets the question the host asks on the hub, its answer is acknowledged,
and the big screen on the hub sees the reveal. A page on another host name
cannot open a socket there."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from kiosk import create_app
from kiosk.db import open_db
from kiosk.devices.service import create_device, pair_device
from tests.support.live import REPO, free_port
from tests.support.recording import RecordingClient

pytestmark = [pytest.mark.redis, pytest.mark.server, pytest.mark.slow]


def _two_free_ports() -> int:
    for _ in range(50):
        port = free_port()
        if port < 65535:
            try:
                with __import__("socket").socket() as s:
                    s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    pytest.fail("no two free ports in a row")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    tmp_path = tmp_path_factory.mktemp("workers")
    instance, database = tmp_path / "instance", tmp_path / "festival.db"
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database))
    try:
        creds = {role: pair_device(db, create_device(db, f"{role} workers", role, None, "test")[1])[2]
                 for role in ("stage", "host")}
    finally:
        db.conn.close()
    port = _two_free_ports()
    env = {**os.environ, "FESTIVAL_INSTANCE_PATH": str(instance),
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for leaked in ("FESTIVAL_DATABASE", "FESTIVAL_MESSAGE_QUEUE", "FESTIVAL_NODE_ROLE", "FESTIVAL_ASYNC_MODE"):
        env.pop(leaked, None)
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", "from kiosk.ops.commands import main; main()", "serve",
                             "--workers", "2", "--host", "127.0.0.1", "--port", str(port), "--db", str(database)],
                            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    urls = [f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}"]
    deadline = time.monotonic() + 40
    try:
        for url in urls:
            while True:
                assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
                try:
                    if requests.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-3000:]
                time.sleep(0.2)
        yield {"hub": urls[0], "phones": urls[1], "creds": creds, "log": tmp_path / "serve.log"}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    # Ctrl-C or SIGTERM stops every process the command started.
    for url in urls:
        with pytest.raises(requests.RequestException):
            requests.get(url + "/healthz", timeout=1)


def test_every_process_serves_the_play_page_and_its_files(served):
    for url in (served["hub"], served["phones"]):
        page = requests.get(url + "/play?code=123456", timeout=10)
        assert page.status_code == 200
        files = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert any(f.endswith(".js") for f in files) and any(f.endswith(".css") for f in files), files
        for path in files:
            assert requests.get(url + path, timeout=10).status_code == 200, path


def test_startup_says_what_it_allows(served):
    text = served["log"].read_text()
    assert "Sức chứa: 3000 người chơi mỗi trò chơi" in text and "Capacity: 3000 players per game" in text
    assert "phones' sockets on port(s) " + served["phones"].rsplit(":", 1)[1] in text


def test_a_phone_joining_on_the_hub_plays_on_the_phone_process(served):
    hub, creds = served["hub"], served["creds"]
    created = requests.post(hub + "/host/api/games", json={"bank": "core", "count": 1, "mode": "speed"},
                            headers={"Authorization": f"Bearer {creds['host']}"}, timeout=10)
    assert created.status_code == 201, created.text
    game = created.json()["game"]
    joined = requests.post(hub + "/play/join", json={"code": game["code"], "nickname": None, "lang": "vi"},
                           timeout=10)
    assert joined.status_code == 201, joined.text
    assert joined.json()["sock"] == served["phones"]

    # The page came from the hub: its origin goes with the socket to the phone process.
    phone = RecordingClient(joined.json()["sock"], "/play", {"token": joined.json()["token"]},
                            ("state", "q", "rv"), origin=hub)
    host = RecordingClient(hub, "/host", {"token": creds["host"]}, ())
    screen = RecordingClient(hub, "/gamescreen", {"token": creds["stage"]}, ("rv",))
    try:
        assert phone.wait_for("state")["st"] == "lobby"
        assert host.call("watch", {"g": game["id"]})["ok"]
        assert screen.call("watch", {"g": game["id"]})["np"] == 1
        assert host.call("next", {"g": game["id"]})["ok"]
        assert phone.wait_for("q", lambda d: d["i"] == 0), phone.received
        ack = phone.call("answer", {"i": 0, "c": [0], "id": "workers-0"})
        assert ack["ok"] and ack["i"] == 0 and ack["n"] == 1, ack
        board = screen.wait_for("rv", lambda d: d["i"] == 0)
        assert board and board["a"] == 1, screen.received
        assert phone.wait_for("rv", lambda d: d["i"] == 0), phone.received
    finally:
        for client in (phone, host, screen):
            client.close()


def test_a_page_from_another_host_cannot_open_a_socket_on_the_phone_process(served):
    handshake = served["phones"] + "/socket.io/?EIO=4&transport=polling"
    hub_port = served["hub"].rsplit(":", 1)[1]
    assert requests.get(handshake, headers={"Origin": served["hub"]}, timeout=10).status_code == 200
    for origin in ("http://evil.example", f"http://evil.example:{hub_port}", "http://127.0.0.1:9"):
        assert requests.get(handshake, headers={"Origin": origin}, timeout=10).status_code == 400, origin


@pytest.mark.browser
def test_a_browser_phone_on_the_hubs_page_plays_through_the_phone_process(served, browser):
    """Chromium, the page's CSP and Engine.IO's origin check: the real path of a phone."""
    hub, creds = served["hub"], served["creds"]
    game = requests.post(hub + "/host/api/games", json={"bank": "core", "count": 1, "mode": "speed"},
                         headers={"Authorization": f"Bearer {creds['host']}"}, timeout=10).json()["game"]
    context = browser.new_context()
    page = context.new_page()
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    host = RecordingClient(hub, "/host", {"token": creds["host"]}, ())
    try:
        page.goto(f"{hub}/play?code={game['code']}")
        page.click("#join")
        page.wait_for_selector("#p-game:not([hidden])", timeout=15_000)
        page.wait_for_selector("#p-conn", state="hidden", timeout=15_000)
        assert host.call("watch", {"g": game["id"]})["np"] == 1
        assert host.call("next", {"g": game["id"]})["ok"]
        page.wait_for_selector("#p-question:not([hidden]) .answer", timeout=15_000)
        assert sockets and all(url.startswith(served["phones"].replace("http", "ws") + "/") for url in sockets), sockets
    finally:
        host.close()
        context.close()
