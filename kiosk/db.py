"""The festival's SQLite file: connections, transactions and migrations.

One connection per request or socket event, kept on ``g`` and closed at
teardown. Background tasks use :func:`app_connection` inside an app context and
close what they open.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime, timezone

import sqlite_utils
from flask import current_app, g

BUSY_TIMEOUT_MS = 10_000


def open_db(path: str, synchronous: str = "FULL") -> sqlite_utils.Database:
    """Open the festival database with the pragmas every connection needs.
    A new file is created 0600 (it holds children's data); SQLite gives its
    -wal and -shm files the same mode."""
    if path != ":memory:" and not os.path.exists(path):
        _create_private(path)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return db


def _create_private(path: str) -> None:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass  # another connection created it first: fine
    except OSError:
        pass  # e.g. a missing folder: sqlite3.connect reports it as before


@contextlib.contextmanager
def app_connection(app):
    """A connection to ``app``'s festival file with its durability setting,
    closed afterwards: for start-up and background tasks, which have no
    request to hold one (call inside ``app.app_context()`` where needed)."""
    db = open_db(app.config["DATABASE"], app.config.get("SQLITE_SYNCHRONOUS", "FULL"))
    try:
        yield db
    finally:
        db.conn.close()


def get_db() -> sqlite_utils.Database:
    """Return this request's (or socket event's) database connection."""
    if "db" not in g:
        cfg = current_app.config
        g.db = open_db(cfg["DATABASE"], cfg["SQLITE_SYNCHRONOUS"])
    return g.db


def close_db(_exc=None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database):
    """Run the block as one write transaction (BEGIN IMMEDIATE), or a savepoint.

    IMMEDIATE takes the write lock up front, so two connections doing
    read-then-write never deadlock on a lock upgrade; they queue on the busy
    timeout instead. Nested use becomes a savepoint via ``db.atomic()``.
    Callbacks registered with :func:`after_commit` run once, after the
    outermost commit; a rolled-back transaction or savepoint drops its own.
    """
    conn = db.conn
    pending = _pending(db)
    if conn.in_transaction:
        mark = len(pending)
        try:
            with db.atomic():
                yield db
        except BaseException:
            del pending[mark:]
            raise
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        pending.clear()
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
        run_after_commit(db)


def _pending(db) -> list:
    pending = getattr(db, "_after_commit", None)
    if pending is None:
        pending = db._after_commit = []
    return pending


def after_commit(db, callback, *args, merge_key=None, **kwargs) -> None:
    """Run ``callback(*args, **kwargs)`` once the outermost transaction commits
    (at once when no transaction is open). ``merge_key``: a callback already
    pending under the same key is replaced by this one's ``merge`` with it
    (see :func:`kiosk.signals.announce`), so a transaction that awards 2,000
    players announces once."""
    if not db.conn.in_transaction:
        callback(*args, **kwargs)
        return
    pending = _pending(db)
    if merge_key is not None:
        for entry in pending:
            if entry[0] == merge_key:
                entry[3].update({k: v for k, v in kwargs.items() if not isinstance(v, list)})
                for k, v in kwargs.items():
                    if isinstance(v, list):
                        entry[3].setdefault(k, []).extend(v)
                return
    pending.append((merge_key, callback, args, dict(kwargs)))


def run_after_commit(db) -> None:
    """Run (and forget) the callbacks waiting for a commit; for code that
    commits with ``db.conn.commit()`` itself."""
    pending = _pending(db)
    while pending:
        _key, callback, args, kwargs = pending.pop(0)
        callback(*args, **kwargs)


def iso(moment: datetime) -> str:
    """A moment as the stored form: UTC ISO-8601 text with milliseconds (sorts correctly)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def now() -> str:
    """The current UTC time in the stored form (:func:`iso`)."""
    return iso(datetime.now(timezone.utc))


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text)


def migrate(db: sqlite_utils.Database) -> None:
    """Apply every pending migration, in order."""
    from . import migrations  # the migration modules use sqlite-migrate; loaded only when migrating

    migrations.migrations.apply(db)


def get_setting(db: sqlite_utils.Database, key: str, default=None):
    row = db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_setting(db: sqlite_utils.Database, key: str, value) -> None:
    db.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, None if value is None else str(value)],
    )


def init_app(app) -> None:
    app.teardown_appcontext(close_db)
    with app.app_context():
        with app_connection(app) as db:
            migrate(db)
