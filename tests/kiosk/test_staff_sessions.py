"""Issue 13: staff sessions live on the server. Logout, a working day idle,
a new password or a disabled account end them; a copied cookie dies with its
session, over HTTP and on Socket.IO."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.auth import create_staff, set_staff_password
from kiosk.db import iso
from tests.support.http import ADMIN_PASSWORD, post_form


def _sign_in(app, username="admin", password=ADMIN_PASSWORD):
    client = app.test_client()
    assert post_form(client, "/login", {"username": username, "password": password}).status_code == 302
    return client


def _copy_cookie(source, app):
    """A second browser holding a copy of ``source``'s session cookie."""
    thief = app.test_client()
    cookie = source.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def test_logout_ends_a_copied_cookie(app, db):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    browser = _sign_in(app)
    thief = _copy_cookie(browser, app)
    assert thief.get("/admin/").status_code == 200
    post_form(browser, "/logout")
    assert browser.get("/admin/").status_code == 401
    assert thief.get("/admin/").status_code == 401
    row = db.execute("SELECT ended_at, ended_why FROM staff_sessions").fetchone()
    assert row["ended_at"] and row["ended_why"] == "logout"


def test_sessions_end_after_a_working_day_idle(app, db):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    browser = _sign_in(app)
    assert browser.get("/admin/").status_code == 200
    eleven_hours = iso(datetime.now(timezone.utc) - timedelta(hours=11))
    db.execute("UPDATE staff_sessions SET last_seen_at = ?", [eleven_hours])
    db.conn.commit()
    assert browser.get("/admin/").status_code == 200  # still inside the working day, and touched again
    assert db.execute("SELECT last_seen_at FROM staff_sessions").fetchone()[0] > eleven_hours
    thirteen_hours = iso(datetime.now(timezone.utc) - timedelta(hours=13))
    db.execute("UPDATE staff_sessions SET last_seen_at = ?", [thirteen_hours])
    db.conn.commit()
    assert browser.get("/admin/").status_code == 401
    assert db.execute("SELECT ended_why FROM staff_sessions").fetchone()[0] == "idle"


def test_a_new_password_signs_out_every_browser(app, db):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    first, second = _sign_in(app), _sign_in(app)
    set_staff_password(db, "admin", "mat-khau-moi-dai")
    assert first.get("/admin/").status_code == 401 and second.get("/admin/").status_code == 401
    assert _sign_in(app, password="mat-khau-moi-dai").get("/admin/").status_code == 200


def test_a_disabled_account_is_nobody(app, db):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    browser = _sign_in(app)
    db.execute("UPDATE staff SET disabled_at = '2026-01-01' WHERE username = 'admin'")
    db.conn.commit()
    assert browser.get("/admin/").status_code == 401


def test_a_cookie_with_only_a_staff_id_is_nobody(app, db):
    """A cookie signed with the secret key but made without a session row (as
    every cookie was before this change) grants nothing."""
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    forged = app.test_client()
    with forged.session_transaction() as sess:
        sess["staff_id"] = 1
    assert forged.get("/admin/").status_code == 401
    with forged.session_transaction() as sess:
        sess["staff_sid"] = "guessed"
    assert forged.get("/admin/").status_code == 401


def test_only_the_hash_of_the_session_id_is_stored(app, db):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    browser = _sign_in(app)
    with browser.session_transaction() as sess:
        sid = sess["staff_sid"]
    stored = db.execute("SELECT sid_hash FROM staff_sessions").fetchone()[0]
    assert sid not in stored and len(stored) == 64


def test_logout_ends_the_session_for_sockets_too(app, db, socket_client):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    browser = _sign_in(app)
    thief = _copy_cookie(browser, app)
    before = socket_client("/admin", thief)
    assert before.is_connected("/admin")
    before.disconnect("/admin")
    post_form(browser, "/logout")
    after = socket_client("/admin", thief)
    assert not after.is_connected("/admin")
