"""Backups: online, atomic, checked and pruned; restore into a fresh install;
the automatic backup task survives a missing USB stick."""
from __future__ import annotations

import sqlite3
import time

import pytest
from click.testing import CliRunner

from kiosk import create_app
from kiosk.ops.backup import BackupError, backup_to, list_backups, restore_from, stop_automatic_backups
from kiosk.cli import main as festival
from kiosk.points import award
from tests.support.http import ADMIN_PASSWORD, post_form, post_json


def fingerprint(path) -> dict:
    """What must survive a backup and restore, read straight from the file."""
    conn = sqlite3.connect(path)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "attendees": conn.execute("SELECT id, full_name, nickname, checked_in_at FROM attendees "
                                      "ORDER BY id").fetchall(),
            "badges": conn.execute("SELECT token, attendee_id, revoked_at FROM badges ORDER BY token").fetchall(),
            "scans": conn.execute("SELECT id, result, attendee_id FROM scans ORDER BY id").fetchall(),
            "ledger_total": one("SELECT COALESCE(SUM(points), 0) FROM ledger"),
            "totals": conn.execute("SELECT attendee_id, points FROM point_totals ORDER BY 1").fetchall(),
            "staff": one("SELECT COUNT(*) FROM staff"),
        }
    finally:
        conn.close()


@pytest.fixture
def festival_data(app, db, make_attendee, device_client, admin_client):
    """A small festival: attendees, a check-in scan from a desk, points."""
    people = [make_attendee(full_name=f"Trần Thị Bích {n}") for n in range(5)]
    desk = device_client("desk")
    response = post_json(desk, "/api/scans", {"id": "scan-before-backup-1", "text": people[0][1]})
    assert response.status_code == 200 and response.get_json()["result"] == "checked_in"
    for n, (attendee_id, _token) in enumerate(people):
        award(db, attendee_id, 10 * (n + 1), "test", f"gift-{n}")
    return {"people": people, "desk": desk}


def test_backup_is_checked_atomic_and_pruned(app, festival_data, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    made = [backup_to(app.config["DATABASE"], folder, keep=2) for _ in range(3)]
    kept = list_backups(folder)
    assert kept == made[1:]
    assert not [p for p in folder.iterdir() if p not in kept]  # no temp files, no -wal/-shm
    for path in kept:
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        conn.close()
    assert fingerprint(kept[-1]) == fingerprint(app.config["DATABASE"])


def test_backup_to_a_missing_folder_fails_cleanly(app, tmp_path):
    with pytest.raises(FileNotFoundError):
        backup_to(app.config["DATABASE"], tmp_path / "unplugged")


def test_restore_into_a_fresh_install_finds_the_festival_intact(app, festival_data, tmp_path, monkeypatch):
    usb = tmp_path / "usb"
    usb.mkdir()
    result = app.test_cli_runner().invoke(args=["backup", "--to", str(usb)])
    assert result.exit_code == 0, result.output
    [backup] = list_backups(usb)
    expected = fingerprint(app.config["DATABASE"])

    # Another laptop: a new instance folder and no database yet.
    other = tmp_path / "other-laptop"
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(other / "instance"))
    monkeypatch.setenv("FESTIVAL_DATABASE", "")  # restore exports it; monkeypatch undoes both
    monkeypatch.delenv("FESTIVAL_DATABASE")
    target = other / "festival.db"
    result = CliRunner().invoke(festival, ["restore", str(backup), "--db", str(target)])
    assert result.exit_code == 0, result.output
    assert fingerprint(target) == expected

    restored = create_app({"INSTANCE_PATH": str(other / "instance"), "DATABASE": str(target),
                           "SECRET_KEY": "another", "ASYNC_MODE": "threading"})
    client = restored.test_client()
    assert client.get("/healthz").status_code == 200
    assert post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD}).status_code == 302
    # The restored hub still knows which scans it answered: a kiosk replaying
    # its outbox after the move gets the stored answer, not a second check-in.
    # Restored devices are revoked (a backup's device rows are not trusted): the desk pairs again
    desk = restored.test_client()
    desk.set_cookie("festival_device", festival_data["desk"].credential)
    assert post_json(desk, "/api/scans", {"id": "x-1", "text": festival_data["people"][0][1]}).status_code == 401
    with restored.app_context():
        from kiosk.db import get_db
        from kiosk.devices.service import new_pairing_code, pair_device
        db = get_db()
        # A new pairing link for the same device keeps its station, so its outbox replays.
        code = new_pairing_code(db, festival_data["desk"].device_id, "test")
        _id, _role, credential = pair_device(db, code)
    desk.set_cookie("festival_device", credential)
    again = post_json(desk, "/api/scans", {"id": "scan-before-backup-1", "text": festival_data["people"][0][1]})
    assert again.status_code == 200 and again.get_json().get("replayed") is True
    for path, action in ((app.config["DATABASE"], "backup.manual"), (target, "backup.restore")):
        conn = sqlite3.connect(path)
        assert action in [r[0] for r in conn.execute("SELECT action FROM audit_log")]
        conn.close()


def test_restore_refuses_to_overwrite_a_festival_without_force(app, festival_data, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    backup = backup_to(app.config["DATABASE"], usb)
    with pytest.raises(BackupError):
        restore_from(backup, app.config["DATABASE"])
    restore_from(backup, app.config["DATABASE"], force=True)  # the same festival back: allowed when forced


def test_restore_rejects_a_file_that_is_not_a_backup(tmp_path):
    junk = tmp_path / "festival-20260101-000000-000000.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    target = tmp_path / "new.db"
    with pytest.raises(BackupError):
        restore_from(junk, target)
    result = CliRunner().invoke(festival, ["restore", str(junk), "--db", str(target)])
    assert result.exit_code != 0 and "Restore failed" in result.output


@pytest.mark.slow
def test_automatic_backups_keep_trying_until_the_usb_stick_is_back(tmp_path):
    usb = tmp_path / "usb-stick"  # not plugged in yet
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
                      "SECRET_KEY": "x", "ASYNC_MODE": "threading", "BACKUP_DIR": str(usb),
                      "BACKUP_INTERVAL_MINUTES": 0.005, "BACKUP_KEEP": 3})
    state = app.extensions["festival_backups"]
    try:
        assert app.test_client().get("/healthz").status_code == 200  # the first request starts it
        deadline = time.monotonic() + 30
        while state["failed"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert state["failed"] >= 1 and not usb.exists()
        usb.mkdir()
        while len(list_backups(usb)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(list_backups(usb)) >= 2
        assert app.test_client().get("/healthz").status_code == 200  # the hub is still fine
    finally:
        stop_automatic_backups(app)
    assert len(list_backups(usb)) <= 3


def test_no_automatic_backups_on_an_edge_node(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
                      "SECRET_KEY": "x", "ASYNC_MODE": "threading", "BACKUP_DIR": str(tmp_path),
                      "NODE_ROLE": "edge"})
    assert "festival_backups" not in app.extensions


def test_the_backup_child_imports_this_very_kiosk_package(monkeypatch, tmp_path):
    """run_child puts the folder holding kiosk/ first on the child's path (not
    kiosk/ itself, where ``import kiosk`` would find nothing)."""
    import os
    import subprocess
    from pathlib import Path

    from kiosk.ops import backup

    seen = {}

    class Refused(OSError):
        pass

    def popen(cmd, **kwargs):
        seen["env"] = kwargs["env"]
        raise Refused("not started in this test")

    monkeypatch.setattr(subprocess, "Popen", popen)
    assert backup.run_child(str(tmp_path / "f.db"), str(tmp_path), 3, lambda s: None) is False
    first = Path(seen["env"]["PYTHONPATH"].split(os.pathsep)[0])
    assert (first / "kiosk" / "__init__.py").is_file()
    assert first / "kiosk" / "ops" / "backup.py" == Path(backup.__file__).resolve()
