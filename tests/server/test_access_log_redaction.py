"""Issue 13: gunicorn's access log never holds a badge token, pairing code or
stage-link token (they are in URL paths); a real gunicorn writes "…" instead."""
from __future__ import annotations

import pytest
import requests

from kiosk import create_app
from kiosk.ops.accesslog import redact_path, worth_logging
from kiosk.ops.serving import gunicorn_argv
from tests.support.live import LiveServer

SECRETS = {
    "/b/SECRETBADGE1": "SECRETBADGE1",
    "/b/SECRETBADGE2/play?code=123456": "SECRETBADGE2",
    "/b/SECRETBADGE3/quiz": "SECRETBADGE3",
    "/pair/SECRETPAIR4": "SECRETPAIR4",
    "/s/SECRETSTAGE5": "SECRETSTAGE5",
    "/api/quiz/phone/SECRETPHONE6/rounds": "SECRETPHONE6",
    "/lang/vi?next=%2Fb%2FSECRETNEXT7%2Fplay": "SECRETNEXT7",
}


@pytest.mark.parametrize("path", sorted(SECRETS))
def test_redact_path(path):
    redacted = redact_path(f"GET {path} HTTP/1.1")
    assert SECRETS[path] not in redacted and "…" in redacted


def test_other_paths_are_logged_as_they_are():
    for path in ("/healthz", "/admin/devices", "/api/scans", "/play/join", "/zone?zone_id=3", "/bananas/b"):
        assert redact_path(path) == path


def test_static_files_served_are_not_logged_but_their_errors_are():
    assert not worth_logging("/static/bundle/play.0123456789.js", 200)
    assert not worth_logging("/static/css/app.css", 304)
    assert worth_logging("/static/css/missing.css", 404)
    assert worth_logging("/play", 200) and worth_logging("/api/scans", 200)


def test_festival_serve_uses_the_redacting_logger():
    argv = gunicorn_argv("127.0.0.1", 8000)
    assert argv[argv.index("--logger-class") + 1] == "kiosk.ops.accesslog.RedactingLogger"


@pytest.mark.server
def test_a_real_gunicorn_logs_no_tokens(tmp_path):
    instance, database = tmp_path / "instance", tmp_path / "festival.db"
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    argv = gunicorn_argv("127.0.0.1", 8000)
    logger = argv[argv.index("--logger-class"):argv.index("--logger-class") + 2]
    server = LiveServer(instance, database, extra_args=["--access-logfile", "-", *logger]).start()
    try:
        for path in SECRETS:
            requests.get(server.url + path, timeout=10, allow_redirects=False)
        requests.get(server.url + "/healthz", timeout=10)
        requests.get(server.url + "/static/css/app.css", timeout=10)
        requests.get(server.url + "/static/css/no-such-file.css", timeout=10)
    finally:
        server.stop()
    log = server.log_path.read_text(errors="replace")
    assert '"GET /healthz' in log  # the access log is on
    assert "GET /static/css/app.css" not in log and "GET /static/css/no-such-file.css" in log
    assert "/b/…" in log and "/pair/…" in log and "/s/…" in log
    for secret in SECRETS.values():
        assert secret not in log, secret
