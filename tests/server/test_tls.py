"""HTTPS on the LAN: a local CA and server certificate, reused while valid,
served by a real gunicorn and trusted by clients that import the CA."""
from __future__ import annotations

import os
import stat

import pytest
import requests
from click.testing import CliRunner
from cryptography import x509

from kiosk import create_app
from kiosk.db import open_db
from kiosk.devices.service import create_device, pair_device
from kiosk.ops.tls import ensure_certificates


def san_of(path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(n.value) for n in names}


def test_certificates_are_made_once_and_follow_the_lan_address(tmp_path):
    files = ensure_certificates(tmp_path, ["localhost", "127.0.0.1", "192.168.1.20"])
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(files.cert.read_bytes())
    server.verify_directly_issued_by(ca)
    assert san_of(files.cert) == {"localhost", "127.0.0.1", "192.168.1.20"}
    for key in (files.key, tmp_path / "tls" / "ca.key"):
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600

    before = (files.ca_cert.read_bytes(), files.cert.read_bytes())
    again = ensure_certificates(tmp_path, ["localhost", "127.0.0.1", "192.168.1.20"])
    assert (again.ca_cert.read_bytes(), again.cert.read_bytes()) == before  # reused while valid

    moved = ensure_certificates(tmp_path, ["localhost", "127.0.0.1", "10.0.0.7"])  # another venue
    assert moved.ca_cert.read_bytes() == before[0]  # kiosks keep trusting the same CA
    assert moved.cert.read_bytes() != before[1] and "10.0.0.7" in san_of(moved.cert)


def test_ca_certificate_download_never_serves_a_key(app, client):
    assert client.get("/ca.crt").status_code == 404
    ensure_certificates(app.instance_path, ["localhost", "127.0.0.1"])
    response = client.get("/ca.crt")
    assert response.status_code == 200
    body = response.get_data()
    assert body.startswith(b"-----BEGIN CERTIFICATE-----") and b"PRIVATE KEY" not in body
    with open(os.path.join(app.instance_path, "tls", "ca.crt"), "rb") as fh:
        assert body == fh.read()


def test_serve_https_passes_the_certificate_to_gunicorn(tmp_path, monkeypatch):
    from kiosk.ops import serving
    from kiosk.cli import main as festival

    captured = {}
    monkeypatch.setattr(serving, "exec_gunicorn", lambda argv: captured.setdefault("argv", argv))
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "instance"))
    for leaked in ("FESTIVAL_DATABASE", "FESTIVAL_ASYNC_MODE", "FESTIVAL_NODE_ROLE", "FESTIVAL_MESSAGE_QUEUE"):
        # The commands export these; setenv first so monkeypatch restores the original state.
        monkeypatch.setenv(leaked, "")
        monkeypatch.delenv(leaked)
    monkeypatch.setenv("FESTIVAL_ASYNC_MODE", "threading")
    result = CliRunner().invoke(festival, ["serve", "--https", "--host", "127.0.0.1", "--port", "8443",
                                           "--db", str(tmp_path / "f.db")])
    assert result.exit_code == 0, result.output
    argv = captured["argv"]
    cert = argv[argv.index("--certfile") + 1]
    assert cert == str(tmp_path / "instance" / "tls" / "server.crt")
    assert argv[argv.index("--keyfile") + 1].endswith("server.key")
    assert "https://127.0.0.1:8443/" in result.output and "ca.crt" in result.output


@pytest.fixture
def https_hub(tmp_path):
    from tests.support.live import LiveServer

    instance = tmp_path / "instance"
    database = tmp_path / "hub.db"
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    files = ensure_certificates(instance, ["localhost", "127.0.0.1"])
    server = LiveServer(instance, database, https=True,
                        extra_args=["--certfile", str(files.cert), "--keyfile", str(files.key)]).start()
    server.files = files
    yield server
    server.stop()


@pytest.mark.server
def test_real_hub_answers_https_verified_against_the_local_ca(https_hub):
    ca = str(https_hub.files.ca_cert)
    assert requests.get(https_hub.url + "/healthz", verify=ca, timeout=10).json()["ok"] is True
    by_name = f"https://localhost:{https_hub.port}/healthz"
    assert requests.get(by_name, verify=ca, timeout=10).status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(https_hub.url + "/healthz", timeout=10)  # the system's CAs do not know it
    downloaded = requests.get(https_hub.url + "/ca.crt", verify=ca, timeout=10)
    assert downloaded.content == https_hub.files.ca_cert.read_bytes()


@pytest.mark.server
@pytest.mark.browser
def test_browser_opens_the_desk_over_https(https_hub, browser):
    db = open_db(str(https_hub.database))
    try:
        device_id, code = create_device(db, "Bàn HTTPS", "desk", None, "test")
        _id, _role, credential = pair_device(db, code)
    finally:
        db.conn.close()
    context = browser.new_context(ignore_https_errors=True)
    try:
        context.add_cookies([{"name": "festival_device", "value": credential, "url": https_hub.url}])
        page = context.new_page()
        response = page.goto(https_hub.url + "/desk")
        assert response.status == 200
        page.wait_for_selector("#desk")
        # A secure context is what lets the kiosk camera (getUserMedia) work.
        assert page.evaluate("window.isSecureContext") is True
        assert page.evaluate("location.protocol") == "https:"
    finally:
        context.close()
