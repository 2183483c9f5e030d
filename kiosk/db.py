"""The festival's SQLite file: connections, transactions and migrations.

One connection per request or socket event, kept on ``g``. It is borrowed
from the app's :class:`ConnectionPool` and given back at teardown: opening a
connection makes SQLite parse the whole schema (114 objects; about 2 ms, a
quarter of a desk scan's CPU), so the hub keeps a few open. Background tasks
use :func:`app_connection` inside an app context, which borrows from the same pool.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
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
    borrowed from the app's pool and given back afterwards: for start-up and
    background tasks, which have no request to hold one (call inside
    ``app.app_context()`` where needed). A coalesced push several times a
    second no longer opens a connection (and parses the schema) each time."""
    source = pool(app, app.config["SQLITE_SYNCHRONOUS"])
    db = source.take()
    try:
        yield db
    finally:
        source.give(db)


KEEP_IDLE = 8  # more are opened when requests overlap; extras are closed on return


class ConnectionPool:
    """Open connections to one database file with one ``synchronous`` level,
    handed out to one request or event at a time.

    A connection given back with a transaction open is rolled back and its
    pending after-commit callbacks dropped; one that fails that is closed.
    Connections never cross a fork: a pool used in a new process starts empty
    (SQLite forbids using a parent's connection in a child).
    """

    def __init__(self, path: str, synchronous: str, keep: int = KEEP_IDLE):
        self.path, self.synchronous, self.keep = path, synchronous, keep
        self._idle: list = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def take(self) -> sqlite_utils.Database:
        """An open connection for the caller alone until it is given back."""
        with self._lock:
            if self._pid != os.getpid():
                self._idle, self._pid = [], os.getpid()  # the parent's: abandoned, not closed
            if self._idle:
                return self._idle.pop()
        return open_db(self.path, self.synchronous)

    def give(self, db: sqlite_utils.Database) -> None:
        """Take a connection back (or close it when enough are idle)."""
        try:
            _pending(db).clear()
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
        except Exception:  # noqa: BLE001 - a broken connection is closed, not reused
            _close(db)
            return
        with self._lock:
            if len(self._idle) < self.keep and self._pid == os.getpid():
                self._idle.append(db)
                return
        _close(db)


def _close(db) -> None:
    try:
        db.conn.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail too
        pass


def pool(app, synchronous: str | None = None) -> ConnectionPool:
    """``app``'s pool for ``synchronous`` (default SQLITE_SYNCHRONOUS), created on first use."""
    level = synchronous or app.config["SQLITE_SYNCHRONOUS"]
    pools = app.extensions.setdefault("festival_db_pools", {})
    found = pools.get(level)
    if found is None:
        found = pools.setdefault(level, ConnectionPool(app.config["DATABASE"], level))
    return found


def get_db() -> sqlite_utils.Database:
    """Return this request's (or socket event's) database connection."""
    if "db" not in g:
        g.db = pool(current_app).take()
    return g.db


def close_db(_exc=None) -> None:
    """Teardown: give this request's connection back to the pool."""
    db = g.pop("db", None)
    if db is not None:
        pool(current_app).give(db)


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database):
    """Run the block as one write transaction (BEGIN IMMEDIATE), or a savepoint.

    IMMEDIATE takes the write lock up front, so two connections doing
    read-then-write never deadlock on a lock upgrade; they queue on the busy
    timeout instead. Nested use becomes a savepoint named by its depth
    (``sqlite_utils``' ``atomic()`` names each one randomly, so SQLite parsed
    its three statements anew every time: a chunk of live answers nests one
    per answer). Callbacks registered with :func:`after_commit` run once,
    after the outermost commit; a rolled-back transaction or savepoint drops
    its own.
    """
    conn = db.conn
    pending = _pending(db)
    if conn.in_transaction:
        mark, depth = len(pending), getattr(db, "_savepoints", 0)
        name = f"festival_{depth}"
        conn.execute(f"SAVEPOINT {name}")
        db._savepoints = depth + 1
        try:
            yield db
        except BaseException:
            del pending[mark:]
            # An error such as RAISE(ROLLBACK) in a trigger may have ended the
            # whole transaction, savepoints included: then there is nothing to undo.
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        else:
            conn.execute(f"RELEASE {name}")
        finally:
            db._savepoints = depth
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


STATISTICS_ROWS = 1000  # rows sampled per index: about 10 ms at 100,000 attendees


def refresh_statistics(db: sqlite_utils.Database) -> None:
    """Sample the indexes for SQLite's planner (ANALYZE, bounded by analysis_limit).

    Without statistics the planner guesses, and at 100,000 attendees the
    desk search's multi-word queries took half again as many steps (issue
    14, ``docs/benchmark-history.md``). Run at start-up and after a bulk
    import; it never holds the write lock for long.
    """
    db.conn.execute(f"PRAGMA analysis_limit={STATISTICS_ROWS}")
    db.conn.execute("ANALYZE")


def init_app(app) -> None:
    app.teardown_appcontext(close_db)
    with app.app_context():
        with app_connection(app) as db:
            migrate(db)
            try:
                refresh_statistics(db)
            except sqlite3.OperationalError as exc:  # busy or read-only: the planner guesses, the hub starts
                app.logger.warning("planner statistics not refreshed: %s", exc)
