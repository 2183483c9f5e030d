"""Online backups of the festival file, and restoring one.

A backup uses SQLite's online backup API, so the hub keeps serving while it
runs (in WAL mode a reader never blocks the writer). Each backup is written
to a temporary name, checked with ``PRAGMA quick_check`` and only then moved
into place with ``os.replace``: a backup folder never holds a half-written
file under a backup's name, even if the USB stick is pulled mid-copy.

The automatic backup runs in a child process (``python -m kiosk.ops.backup``)
started from a background task: a slow or hung USB stick then stalls the
child, never the hub's single async worker.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

# Importing kiosk (as ``python -m kiosk.ops.backup`` does for the backup child)
# already loads these core modules: importing them here costs nothing.
from kiosk.audit import audit
from kiosk.db import migrate, open_db
from kiosk.realtime import is_hub, socketio

log = logging.getLogger(__name__)

PREFIX = "festival-"
SUFFIX = ".db"
DEFAULT_KEEP = 10
DEFAULT_INTERVAL_MINUTES = 5
# A child that has not finished a backup by then is stuck (USB stick gone).
CHILD_TIMEOUT_S = 600


class BackupError(Exception):
    """A backup or restore could not be made or failed its integrity check."""


def _check(conn: sqlite3.Connection, what: str) -> None:
    """Raise BackupError unless ``PRAGMA quick_check`` says ok."""
    rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    if rows != ["ok"]:
        raise BackupError(f"{what} failed its integrity check: {'; '.join(map(str, rows[:5]))}")


def check_festival_backup(conn: sqlite3.Connection, what: str) -> None:
    """Raise BackupError unless ``conn`` holds a Festival Kiosk database that
    can run a festival: ``PRAGMA integrity_check`` says ok, its migrations
    table names this project's migrations (none this version does not know),
    its schema is exactly what those migrations make (every table, column,
    index, trigger and view: :mod:`kiosk.ops.schema`), and it has at least
    one admin account that is not disabled. A 0-byte file
    or another application's database fails here, before anything is replaced."""
    # Imported here: the backup child (python -m kiosk.ops.backup) never needs the migration modules.
    import sqlite_utils
    from kiosk.migrations import migrations  # (the same reason)
    from kiosk.ops.schema import SchemaMismatch, schema_differences  # (the same reason)

    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{what} is not a Festival Kiosk backup (not an SQLite database: {exc})") from None
    if rows != ["ok"]:
        raise BackupError(f"{what} failed its integrity check: {'; '.join(map(str, rows[:5]))}")
    table = migrations.migrations_table
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone():
        raise BackupError(f"{what} is not a Festival Kiosk backup (it has no migrations table)")
    applied = {r[0] for r in conn.execute(f"SELECT name FROM [{table}] WHERE migration_set = ?",
                                          [migrations.name])}
    known = [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))]
    if not applied or known[0] not in applied:
        raise BackupError(f"{what} is not a Festival Kiosk backup (none of this project's migrations)")
    newer = sorted(applied - set(known))
    if newer:
        raise BackupError(f"{what} was made by a newer Festival Kiosk (unknown migrations: "
                          f"{', '.join(newer[:5])}); restore it with that version")
    try:
        problems = schema_differences(conn, applied)
    except SchemaMismatch as exc:
        raise BackupError(f"{what} is not a Festival Kiosk backup: {exc}") from None
    if problems:
        # A backup is data: an object the migrations do not make could be code
        # (a trigger on scans) or a copy of personal data that outlives the purge.
        raise BackupError(f"{what} holds what this version's migrations do not make, so it is refused: "
                          + "; ".join(problems[:10]) + (f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""))
    has_staff = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'staff'").fetchone()
    if not has_staff or not conn.execute(
            "SELECT 1 FROM staff WHERE role = 'admin' AND disabled_at IS NULL LIMIT 1").fetchone():
        raise BackupError(f"{what} is not a usable Festival Kiosk backup: it has no admin account, "
                          "so nobody could sign in to the restored festival")


def check_backup_file(path: str | os.PathLike) -> None:
    """:func:`check_festival_backup` on the file at ``path``, opened read-only."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    if path.stat().st_size == 0:
        raise BackupError(f"{path} is empty (0 bytes): it is not a Festival Kiosk backup")
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        check_festival_backup(conn, str(path))
    finally:
        conn.close()


def _create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 (a backup holds every child's
    data); SQLite gives its journal the same mode."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def backup_name(stamp: datetime | None = None) -> str:
    """``festival-YYYYmmdd-HHMMSS-ffffff.db`` (UTC): names sort by time."""
    stamp = stamp or datetime.now(timezone.utc)
    return f"{PREFIX}{stamp.strftime('%Y%m%d-%H%M%S-%f')}{SUFFIX}"


def list_backups(folder: str | os.PathLike) -> list[Path]:
    """The finished backups in ``folder``, oldest first (temp files excluded)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX) and p.is_file())


def copy_database(source: sqlite3.Connection, target_path: Path) -> None:
    """Copy ``source`` into a new file with the backup API, as a one-file
    (rollback journal) database, and check it. Raises BackupError."""
    if not Path(target_path).exists():
        _create_private(Path(target_path))
    target = sqlite3.connect(target_path)
    try:
        # One step: a consistent snapshot under one read transaction. Step-wise
        # copies restart whenever the hub writes, and might never finish.
        source.backup(target)
        # A copy on a USB stick must be a single file: no -wal/-shm beside it.
        target.execute("PRAGMA journal_mode=DELETE")
        _check(target, "The backup")
        target.commit()
    finally:
        target.close()


def backup_to(db_path: str | os.PathLike, folder: str | os.PathLike, keep: int = DEFAULT_KEEP) -> Path:
    """Write an online backup of ``db_path`` into ``folder`` and keep the newest ``keep``.

    Returns the new backup's path. Raises BackupError (bad source or copy)
    and OSError (folder missing, not writable, disk full).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"backup folder {folder} does not exist (is the USB stick plugged in?)")
    if not Path(db_path).is_file():
        raise BackupError(f"no festival database at {db_path}")
    final = folder / backup_name()
    temp = folder / f".{final.name}.part"
    source = sqlite3.connect(str(db_path), timeout=10)
    try:
        copy_database(source, temp)
        with open(temp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, final)
        _fsync_dir(folder)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    prune(folder, keep)
    return final


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (a directory entry is data too)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems (FAT on USB sticks) refuse fsync on a directory
    finally:
        os.close(fd)


def prune(folder: str | os.PathLike, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups; return the deleted paths."""
    backups = list_backups(folder)
    doomed = backups[:-keep] if keep > 0 else backups
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


def festival_is_empty(path: str | os.PathLike) -> bool:
    """True when ``path`` is missing or holds no attendees (safe to overwrite)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return True
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='attendees'").fetchone()
        return not has or conn.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0
    finally:
        conn.close()


def restore_from(backup: str | os.PathLike, target: str | os.PathLike, force: bool = False) -> None:
    """Replace the festival at ``target`` with ``backup`` (backup API), then migrate.

    Refuses a file that is not a Festival Kiosk backup
    (:func:`check_festival_backup`) and to overwrite a festival that has
    attendees unless ``force``. Every device, stage link and staff session of
    the restored festival is revoked (:func:`revoke_credentials`). Raises BackupError (missing, corrupt or foreign
    backup, non-empty target); the target is untouched then.
    """
    backup, target = Path(backup), Path(target)
    check_backup_file(backup)  # before anything is replaced
    if not force and not festival_is_empty(target):
        raise BackupError(f"{target} already holds a festival; add --force to overwrite it")
    source = sqlite3.connect(f"file:{backup.resolve()}?mode=ro", uri=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        db = open_db(str(target))
        try:
            source.backup(db.conn)
            db.conn.execute("PRAGMA journal_mode=WAL")
            _check(db.conn, "The restored festival")
            migrate(db)
            revoke_credentials(db)
        finally:
            db.conn.close()
    finally:
        source.close()


def revoke_credentials(db) -> dict:
    """Revoke every device, stage link and staff session of a restored
    festival: a backup could carry a device or a session nobody here made,
    so every device pairs again and every organiser signs in again.
    Returns how many of each were revoked."""
    from kiosk.db import now, transaction  # lazily: the backup child never needs them

    stamp = now()
    with transaction(db):
        devices = db.execute("UPDATE devices SET revoked_at = ?, credential_hash = NULL, pairing_hash = NULL, "
                             "pairing_expires_at = NULL WHERE revoked_at IS NULL OR credential_hash IS NOT NULL "
                             "OR pairing_hash IS NOT NULL", [stamp]).rowcount
        links = db.execute("UPDATE stage_links SET revoked_at = ? WHERE revoked_at IS NULL", [stamp]).rowcount
        sessions = db.execute("UPDATE staff_sessions SET ended_at = ?, ended_why = 'restore' "
                              "WHERE ended_at IS NULL", [stamp]).rowcount
    return {"devices": devices, "stage_links": links, "staff_sessions": sessions}


# --- the automatic backup (a background task on the hub) ---------------------

def run_child(db_path: str, folder: str, keep: int, sleep) -> bool:
    """Run one backup in a child process, waiting with ``sleep`` (socketio.sleep).

    Returns True when it succeeded; failures are logged, never raised.
    """
    cmd = [sys.executable, "-m", "kiosk.ops.backup", str(db_path), str(folder), str(keep)]
    # The child must import this very kiosk package, wherever the hub was started from:
    # the folder holding kiosk/ (this file is kiosk/ops/backup.py).
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]),
                                                      env.get("PYTHONPATH")]))
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except OSError as exc:
        log.warning("automatic backup could not start: %s", exc)
        return False
    waited = 0.0
    while proc.poll() is None and waited < CHILD_TIMEOUT_S:
        sleep(0.2)
        waited += 0.2
    if proc.poll() is None:
        proc.kill()
        log.warning("automatic backup to %s timed out and was stopped", folder)
        return False
    out, err = proc.communicate()
    if proc.returncode != 0:
        log.warning("automatic backup to %s failed: %s", folder, err.decode(errors="replace").strip()[-500:])
        return False
    log.info("automatic backup written: %s", out.decode(errors="replace").strip())
    return True


def backup_loop(app) -> None:
    """Back up every BACKUP_INTERVAL_MINUTES to BACKUP_DIR until stopped.

    A missing or unplugged folder is logged and tried again next time; this
    loop never ends the hub. :func:`stop_automatic_backups` ends it.
    """

    state = app.extensions["festival_backups"]
    interval = max(0.005, float(app.config.get("BACKUP_INTERVAL_MINUTES") or DEFAULT_INTERVAL_MINUTES)) * 60
    keep = int(app.config.get("BACKUP_KEEP") or DEFAULT_KEEP)
    while not state["stop"]:
        socketio.sleep(interval)
        if state["stop"]:
            break
        try:
            if run_child(app.config["DATABASE"], app.config["BACKUP_DIR"], keep, socketio.sleep):
                state["done"] += 1
                _audit_backup(app)
            else:
                state["failed"] += 1
        except Exception:  # noqa: BLE001 - the hub must outlive any backup failure
            state["failed"] += 1
            log.exception("automatic backup failed")


def _audit_backup(app) -> None:
    from kiosk.db import app_connection, transaction  # (the same reason)

    with app_connection(app) as db:
        with transaction(db):
            audit(db, "system:backup", "backup.auto", None, str(app.config["BACKUP_DIR"])[:200])


def start_automatic_backups(app) -> None:
    """Start :func:`backup_loop` once, on the first request this process serves.

    Starting on the first request (not in create_app itself) keeps CLI
    commands and ``festival serve``'s pre-flight app from running backups.
    Only the hub backs up (an edge node shares the hub's file).
    """

    if not app.config.get("BACKUP_DIR") or not is_hub(app):
        return
    state = app.extensions["festival_backups"] = {"started": False, "stop": False, "done": 0, "failed": 0}

    @app.before_request
    def _start_backups_once():
        if not state["started"]:
            state["started"] = True
            socketio.start_background_task(backup_loop, app)


def stop_automatic_backups(app) -> None:
    """Ask the backup loop to end after its current sleep (tests, clean shutdown)."""
    state = app.extensions.get("festival_backups")
    if state is not None:
        state["stop"] = True


def main(argv: list[str]) -> int:
    """``python -m kiosk.ops.backup DB FOLDER [KEEP]``: one backup; prints its path."""
    if len(argv) not in (2, 3):
        print("usage: python -m kiosk.ops.backup DB FOLDER [KEEP]", file=sys.stderr)
        return 2
    try:
        path = backup_to(argv[0], argv[1], int(argv[2]) if len(argv) == 3 else DEFAULT_KEEP)
    except (OSError, BackupError, sqlite3.Error, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover - run as the backup child
    sys.exit(main(sys.argv[1:]))
