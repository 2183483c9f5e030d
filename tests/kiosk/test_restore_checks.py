"""Issue 13: restore takes only a Festival Kiosk backup (its migrations,
integrity_check, an admin) and changes nothing otherwise; the festival file,
its -wal/-shm, backups and the instance folder are private to the hub's user."""
from __future__ import annotations

import hashlib
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk import create_app
from kiosk.auth import create_staff
from kiosk.cli import main as festival
from kiosk.db import open_db
from kiosk.ops.backup import BackupError, backup_to, check_backup_file, restore_from
from tests.support.http import ADMIN_PASSWORD


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def target(app, db, make_attendee):
    """An existing festival (with attendees) that a bad restore must leave alone."""
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    make_attendee()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Path(app.config["DATABASE"])


def _other_application(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
                       "INSERT INTO notes (body) VALUES ('hello');")
    conn.commit()
    conn.close()
    return path


def _festival_copy(app, tmp_path, mutate) -> Path:
    """A real backup of this festival, then changed by ``mutate(conn)``."""
    usb = tmp_path / "usb"
    usb.mkdir(exist_ok=True)
    path = backup_to(app.config["DATABASE"], usb)
    conn = sqlite3.connect(path)
    mutate(conn)
    conn.commit()
    conn.close()
    return path


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


BAD_FILES = {
    "empty": lambda app, tmp: _file(tmp / "empty.db", b""),
    "not-sqlite": lambda app, tmp: _file(tmp / "junk.db", b"PK\x03\x04 not a database" * 50),
    "other-application": lambda app, tmp: _other_application(tmp / "notes.db"),
    "no-admin": lambda app, tmp: _festival_copy(app, tmp, lambda c: c.execute("UPDATE staff SET role = 'desk'")),
    "admin-disabled": lambda app, tmp: _festival_copy(
        app, tmp, lambda c: c.execute("UPDATE staff SET disabled_at = '2026-01-01'")),
    "newer-version": lambda app, tmp: _festival_copy(app, tmp, lambda c: c.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('festival', 'm999_from_the_future', '2030-01-01')")),
    "no-migrations": lambda app, tmp: _festival_copy(app, tmp, lambda c: c.execute("DROP TABLE _sqlite_migrations")),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_restore_refuses_what_is_not_a_festival_backup(app, target, tmp_path, kind):
    bad = BAD_FILES[kind](app, tmp_path)
    before = _digest(target)
    with pytest.raises(BackupError):
        check_backup_file(bad)
    with pytest.raises(BackupError):
        restore_from(bad, target, force=True)
    assert _digest(target) == before


@pytest.mark.parametrize("kind", ["empty", "other-application", "no-admin"])
def test_the_restore_command_exits_non_zero_and_changes_nothing(app, target, tmp_path, monkeypatch, kind):
    bad = BAD_FILES[kind](app, tmp_path)
    before = _digest(target)
    monkeypatch.setenv("FESTIVAL_DATABASE", "")
    result = CliRunner().invoke(festival, ["restore", str(bad), "--db", str(target), "--force"])
    assert result.exit_code != 0
    assert "Restore failed" in result.output and "backup" in result.output.lower()
    assert _digest(target) == before
    fresh = tmp_path / "fresh" / "festival.db"
    result = CliRunner().invoke(festival, ["restore", str(bad), "--db", str(fresh)])
    assert result.exit_code != 0 and not fresh.exists()


def test_a_real_backup_still_restores(app, target, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    backup = backup_to(str(target), usb)
    check_backup_file(backup)
    fresh = tmp_path / "restored.db"
    restore_from(backup, fresh)
    conn = sqlite3.connect(fresh)
    assert conn.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 1
    conn.close()


# --- file modes ------------------------------------------------------------------

def _mode(path) -> int:
    return stat.S_IMODE(Path(path).stat().st_mode)


def test_a_new_festival_file_and_its_wal_are_private(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE": str(tmp_path / "instance" / "f.db"),
                      "SECRET_KEY": "x", "ASYNC_MODE": "threading"})
    path = Path(app.config["DATABASE"])
    db = open_db(str(path))
    db.execute("CREATE TABLE IF NOT EXISTS t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    db.conn.commit()
    assert _mode(path) == 0o600
    for suffix in ("-wal", "-shm"):
        sidecar = Path(str(path) + suffix)
        if sidecar.exists():
            assert _mode(sidecar) == 0o600, suffix
    db.conn.close()
    assert _mode(app.instance_path) == 0o700


def test_backups_and_restored_files_are_private(app, target, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    backup = backup_to(str(target), usb)
    assert _mode(backup) == 0o600
    fresh = tmp_path / "restored.db"
    restore_from(backup, fresh)
    assert _mode(fresh) == 0o600


# --- issue 24: a backup is data, never code ----------------------------------------------

HOSTILE = {
    "trigger": "CREATE TRIGGER steal AFTER INSERT ON scans BEGIN UPDATE staff SET password_hash = 'x'; END",
    "view": "CREATE VIEW names AS SELECT full_name FROM attendees",
    "extra-table": "CREATE TABLE shadow (name TEXT, school TEXT, class_name TEXT)",
    "extra-index": "CREATE INDEX sneaky ON attendees (full_name)",
    "extra-column": "ALTER TABLE devices ADD COLUMN note TEXT",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_restore_refuses_any_object_the_migrations_do_not_make_by_name(app, target, tmp_path, kind):
    bad = _festival_copy(app, tmp_path, lambda c: c.execute(HOSTILE[kind]))
    before = _digest(target)
    with pytest.raises(BackupError) as caught:
        restore_from(bad, target, force=True)
    name = {"trigger": "steal", "view": "names", "extra-table": "shadow", "extra-index": "sneaky",
            "extra-column": "devices"}[kind]
    assert f"'{name}'" in str(caught.value)
    assert _digest(target) == before


def test_a_changed_trigger_body_is_refused(app, target, tmp_path):
    conn = sqlite3.connect(target)
    triggers = conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    conn.close()
    if not triggers:
        pytest.skip("this version makes no triggers")
    name, table = triggers[0]

    def swap(c):
        c.execute(f'DROP TRIGGER "{name}"')
        c.execute(f'CREATE TRIGGER "{name}" AFTER INSERT ON "{table}" BEGIN UPDATE staff SET role = \'admin\'; END')

    with pytest.raises(BackupError, match=name):
        check_backup_file(_festival_copy(app, tmp_path, swap))


def test_restore_revokes_devices_stage_links_and_sessions(app, target, tmp_path, monkeypatch):
    conn = sqlite3.connect(target)
    conn.execute("INSERT INTO devices (name, role, credential_hash, paired_at, created_at) "
                 "VALUES ('planted', 'desk', 'abc', '2026-01-01', '2026-01-01')")
    conn.execute("INSERT INTO staff_sessions (sid_hash, staff_id, created_at, last_seen_at) "
                 "VALUES ('s', (SELECT id FROM staff LIMIT 1), '2026-01-01', '2026-01-01')")
    conn.execute("INSERT INTO stage_links (token_hash, label, created_at) VALUES ('t', 'big screen', '2026-01-01')")
    conn.commit()
    conn.close()
    usb = tmp_path / "usb"
    usb.mkdir()
    backup = backup_to(str(target), usb)
    fresh = tmp_path / "fresh.db"
    monkeypatch.setenv("FESTIVAL_DATABASE", "")
    result = CliRunner().invoke(festival, ["restore", str(backup), "--db", str(fresh), "--force"])
    assert result.exit_code == 0, result.output
    assert "pair every device again" in result.output and "ghép nối lại" in result.output
    conn = sqlite3.connect(fresh)
    assert conn.execute("SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL OR credential_hash IS NOT NULL"
                        ).fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM staff_sessions WHERE ended_at IS NULL").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM stage_links WHERE revoked_at IS NULL").fetchone()[0] == 0
    conn.close()
