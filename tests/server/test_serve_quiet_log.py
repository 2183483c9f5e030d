"""Issues 12 and 23: a real `festival serve` start prints no eventlet deprecation banner
(nor gunicorn's eventlet notice, nor any library warning)
(nor eventlet's late-patching tracebacks), and browsers that close their
websockets leave no "socket shutdown error: [Errno 9] Bad file descriptor"
lines; other lines written to the WSGI errors stream still reach the log."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from kiosk import create_app
from kiosk.auth import create_staff
from kiosk.db import open_db
from kiosk.ops.serving import CLOSED_SOCKET_NOISE, QuietClosedSockets
from tests.support.live import REPO, free_port

PASSWORD = "serve-log-pw-2026"
START = "import sys; from kiosk.ops.commands import main; sys.argv = ['festival'] + sys.argv[1:]; main()"


def test_the_filter_drops_only_the_closed_socket_line():
    stream = io.StringIO()

    def app(environ, start_response):
        environ["wsgi.errors"].write("server=x client=y " + CLOSED_SOCKET_NOISE + " Bad file descriptor\n")
        environ["wsgi.errors"].write("socket shutdown error: [Errno 32] Broken pipe\n")
        environ["wsgi.errors"].writelines(["a real problem\n"])
        return []

    QuietClosedSockets(app)({"wsgi.errors": stream}, None)
    assert stream.getvalue() == "socket shutdown error: [Errno 32] Broken pipe\na real problem\n"


@pytest.mark.server
@pytest.mark.browser
def test_festival_serve_log_has_no_banner_and_no_closed_socket_noise(tmp_path, browser):
    instance, database = tmp_path / "instance", tmp_path / "festival.db"
    instance.mkdir()
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database), "NORMAL")
    try:
        create_staff(db, "organiser", PASSWORD, "admin")
    finally:
        db.conn.close()
    port = free_port()
    env = {**os.environ, "FESTIVAL_INSTANCE_PATH": str(instance), "FESTIVAL_DATABASE": str(database),
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("FESTIVAL_ASYNC_MODE", None)
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", START, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)

        for _ in range(3):  # an organiser opens the live dashboard, then closes the browser
            context = browser.new_context()
            page = context.new_page()
            page.goto(url + "/login?next=/admin/")
            page.fill("input[name=username]", "organiser")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#dash-live.is-live", timeout=15_000)
            context.close()
        time.sleep(1.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    text = log.read_text(errors="replace")
    assert "Listening at" in text and "GET /admin/" in text
    assert "Eventlet is deprecated" not in text
    # Issue 23: nothing a newcomer reads as an error (gunicorn's eventlet notice, library warnings).
    assert "WARNING" not in text and "DEPRECATED" not in text and "Warning" not in text, text
    assert "Traceback" not in text and "monkey_patch" not in text
    assert "socket shutdown error" not in text
