"""Shared fixtures: an app on a temporary SQLite file, clients for each kind
of principal, factories for attendees, zones and devices, a live gunicorn
hub and Debian's Chromium for browser tests."""
from __future__ import annotations


import shutil
import sqlite3
from functools import partial

import pytest
from werkzeug.security import generate_password_hash

from checkin.attendees import NewAttendee, create_attendee
from kiosk import auth, create_app, socketio
from kiosk.auth import create_staff
from kiosk.db import now, open_db
from kiosk.boards.publisher import get_publisher
from kiosk.devices.service import create_device, pair_device
from tests.support.clock import FakeClock
from tests.support.http import ADMIN_PASSWORD, CHROMIUM, post_form



SLOW_KINDS = ("browser", "server", "redis")


def pytest_collection_modifyitems(config, items):
    """Every browser, server and redis test is also ``slow``, so the quick
    loop (``python3 -m pytest -q -m "not slow"``) leaves them all out."""
    for item in items:
        if any(item.get_closest_marker(kind) for kind in SLOW_KINDS) and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)


# A cheap hash for the accounts tests make: werkzeug's scrypt default costs about 0.13 s
# to store and again to check, a quarter of a second per signed-in test. A stored hash
# names its own method, so signing in checks this one as cheaply. The default is kept
# (and tested) under @pytest.mark.real_password_hash.
CHEAP_HASH = partial(generate_password_hash, method="pbkdf2:sha256:1000")


@pytest.fixture(autouse=True)
def cheap_password_hashes(request, monkeypatch):
    if not request.node.get_closest_marker("real_password_hash"):
        monkeypatch.setattr(auth, "generate_password_hash", CHEAP_HASH)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A festival file with every migration applied, made once per session.

    Running the migrations costs about 0.25 s; copying this file costs a
    few milliseconds, and ``create_app`` then finds nothing to apply.
    """
    folder = tmp_path_factory.mktemp("template")
    database = folder / "festival.db"
    create_app({"TESTING": True, "INSTANCE_PATH": str(folder / "instance"), "DATABASE": str(database),
                "SECRET_KEY": "test-secret", "ASYNC_MODE": "threading", "SQLITE_SYNCHRONOUS": "NORMAL"})
    conn = sqlite3.connect(database)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file: one file to copy
    finally:
        conn.close()
    return database


def fresh_database(template, path):
    """Copy the migrated template to ``path`` (a new, empty festival file)."""
    shutil.copyfile(template, path)
    return path


@pytest.fixture
def app(tmp_path, migrated_template):
    database = fresh_database(migrated_template, tmp_path / "festival.db")
    app = create_app({
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE": str(database),
        "SECRET_KEY": "test-secret",
        "ASYNC_MODE": "threading",
        "SQLITE_SYNCHRONOUS": "NORMAL",
        # The test client is "localhost" on a server that listens on loopback only: links
        # for other devices stay on it (tests/kiosk/test_device_address.py changes this).
        "LISTEN_HOST": "127.0.0.1",
    })
    yield app


@pytest.fixture
def db(app):
    database = open_db(app.config["DATABASE"], "NORMAL")
    yield database
    database.conn.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def admin_client(app, db):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    client = app.test_client()
    response = post_form(client, "/login", {"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 302, response.data
    return client


@pytest.fixture
def make_zone(db):
    counter = {"n": 0}

    def factory(name_vi="Khu thử nghiệm", name_en="Test zone", kind="zone", points=10,
                cooldown_s=600, capacity=None, dwell_s=900):
        counter["n"] += 1
        cur = db.execute(
            "INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, capacity, dwell_s, "
            "sort, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [f"zone-{counter['n']}", f"{name_vi} {counter['n']}", f"{name_en} {counter['n']}", kind,
             points, cooldown_s, capacity, dwell_s, counter["n"], now()])
        db.conn.commit()
        return cur.lastrowid

    return factory


@pytest.fixture
def make_device(db, make_zone):
    """Create and pair a device; returns (device_id, credential)."""

    def factory(role="desk", name=None, zone_id=None):
        if role == "zone" and zone_id is None:
            zone_id = make_zone()
        device_id, code = create_device(db, name or f"{role} device", role, zone_id, "test")
        _id, _role, credential = pair_device(db, code)
        return device_id, credential

    return factory


@pytest.fixture
def device_client(app, make_device):
    """A test client that is a paired device of ``role`` (cookie credential)."""

    def factory(role="desk", **kwargs):
        device_id, credential = make_device(role, **kwargs)
        client = app.test_client()
        client.set_cookie("festival_device", credential)
        client.device_id = device_id
        client.credential = credential
        return client

    return factory


@pytest.fixture
def make_attendee(db):
    """Register an attendee (consents given); returns (attendee_id, token)."""
    counter = {"n": 0}

    def factory(full_name=None, age_band="16-17", school="THCS Thử Nghiệm", class_name="9A",
                nickname=None, consent_public=True, consent_guardian=True, **kwargs):
        counter["n"] += 1
        data = NewAttendee(full_name=full_name or f"Nguyễn Văn Thử {counter['n']}",
                           age_band=age_band, nickname=nickname, school=school,
                           class_name=class_name, consent_child=True,
                           consent_guardian=consent_guardian, consent_public=consent_public, **kwargs)
        return create_attendee(db, data, "walkin", "test", check_consents=False)

    return factory


@pytest.fixture
def socket_client(app):
    """Flask-SocketIO test clients bound to a Flask test client's cookies."""
    made = []

    def factory(namespace, flask_client=None, auth=None):
        sc = socketio.test_client(app, namespace=namespace, flask_test_client=flask_client, auth=auth)
        made.append(sc)
        return sc

    yield factory
    for sc in made:
        if sc.is_connected():
            sc.disconnect()


# --- real server and browser -------------------------------------------------

@pytest.fixture
def publisher(app):
    """This app's board publisher on a clock the test moves (``publisher.clock.t += 1``)."""
    pub = get_publisher(app)
    pub.clock = FakeClock()
    return pub


@pytest.fixture
def live_hub(tmp_path, migrated_template):
    """A real gunicorn + eventlet hub on a fresh festival database."""
    from tests.support.live import LiveServer

    instance = tmp_path / "hub-instance"
    instance.mkdir()
    database = fresh_database(migrated_template, tmp_path / "hub.db")
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database),
                      "ASYNC_MODE": "threading"})
    del app  # the server opens the same file; creating the app made its instance folder
    server = LiveServer(instance, database).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: Debian's Chromium, never a downloaded browser."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"],
    }
