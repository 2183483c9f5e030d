"""Request connections come from a pool (kiosk.db.ConnectionPool): reused,
cleaned when given back, never carried into a forked process."""
from __future__ import annotations

import os
import sqlite3

from kiosk import create_app
from kiosk import db as db_module
from kiosk.db import ConnectionPool, after_commit, app_connection, get_db, pool, transaction


def test_requests_reuse_one_open_connection(app):
    seen = []
    for _ in range(3):
        with app.app_context():
            seen.append(id(get_db().conn))
    assert len(set(seen)) == 1
    assert pool(app).synchronous == app.config["SQLITE_SYNCHRONOUS"]
    assert pool(app, "FULL") is not pool(app) and pool(app, "FULL").synchronous == "FULL"


def test_background_tasks_borrow_from_the_same_pool(app):
    """A coalesced push runs several times a second: it must not open (and parse the schema) each time."""
    seen = []
    for _ in range(3):
        with app.app_context(), app_connection(app) as db:
            seen.append(id(db.conn))
            db.conn.execute("BEGIN IMMEDIATE")  # left open: the pool rolls it back
    assert len(set(seen)) == 1
    with app.app_context():
        assert id(get_db().conn) in seen and not get_db().conn.in_transaction


def test_a_connection_given_back_mid_transaction_is_rolled_back_and_forgets_its_callbacks(app):
    ran = []
    with app.app_context():
        db = get_db()
        db.conn.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO settings (key, value) VALUES ('half', 'written')")
        after_commit(db, ran.append, "announced")
        # the request ends here, its handler having died mid-transaction
    with app.app_context():
        db = get_db()
        assert not db.conn.in_transaction
        assert db.execute("SELECT 1 FROM settings WHERE key = 'half'").fetchone() is None
        with transaction(db):
            db.execute("INSERT INTO settings (key, value) VALUES ('whole', 'written')")
    assert ran == []  # the dead request's callback did not ride along with the next commit


def test_a_forked_process_opens_its_own(tmp_path):
    path = str(tmp_path / "f.db")
    shared = ConnectionPool(path, "FULL")
    parent = shared.take()
    shared.give(parent)
    shared._pid = -1  # as seen from a child process after fork
    child = shared.take()
    assert child is not parent and shared._pid == os.getpid()
    shared.give(child)
    for db in (parent, child):
        db.conn.close()


def test_statistics_that_cannot_be_written_do_not_stop_the_hub(tmp_path, monkeypatch):
    """ANALYZE only helps the planner: a busy or read-only file must not stop start-up."""
    def locked(_db):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(db_module, "refresh_statistics", locked)
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                      "DATABASE": str(tmp_path / "festival.db"), "SECRET_KEY": "x", "ASYNC_MODE": "threading"})
    assert app.test_client().get("/healthz").status_code == 200


def test_nested_transactions_are_savepoints_that_undo_only_their_own_part(app):
    ran = []
    with app.app_context():
        db = get_db()
        with transaction(db):
            db.execute("INSERT INTO settings (key, value) VALUES ('outer', '1')")
            for n in range(3):
                try:
                    with transaction(db):
                        db.execute("INSERT INTO settings (key, value) VALUES (?, '1')", [f"inner{n}"])
                        after_commit(db, ran.append, n)
                        with transaction(db):  # two deep: savepoints nest
                            db.execute("INSERT INTO settings (key, value) VALUES (?, '1')", [f"deep{n}"])
                        if n == 1:
                            raise ValueError("refused")
                except ValueError:
                    pass
            assert db._savepoints == 0
        keys = {r[0] for r in db.execute("SELECT key FROM settings WHERE value = '1'")}
        assert {"outer", "inner0", "deep0", "inner2", "deep2"} <= keys
        assert not keys & {"inner1", "deep1"}
        assert ran == [0, 2]  # the undone savepoint's callback went with it


def test_a_trigger_that_ends_the_whole_transaction_keeps_its_own_error(app):
    with app.app_context():
        db = get_db()
        db.execute("CREATE TEMP TRIGGER refuse BEFORE INSERT ON settings WHEN NEW.key = 'boom' "
                   "BEGIN SELECT RAISE(ROLLBACK, 'refused by trigger'); END")
        try:
            with transaction(db):
                with transaction(db):
                    db.execute("INSERT INTO settings (key, value) VALUES ('boom', '1')")
        except sqlite3.IntegrityError as exc:
            assert "refused by trigger" in str(exc)
        else:
            raise AssertionError("the trigger's error was lost")
        assert not db.conn.in_transaction
        db.execute("DROP TRIGGER temp.refuse")
