"""Issue 24: nobody's failures lock out the right password; guessers cannot spend the worker."""
from __future__ import annotations

import pytest

from kiosk import passwords
from kiosk.auth import create_staff
from tests.support.http import post_form

RIGHT = "mat-khau-dung-dai"


def login(client, username, password, address):
    return post_form(client, "/login", {"username": username, "password": password},
                     environ_base={"REMOTE_ADDR": address}).status_code


def test_ten_wrong_passwords_from_any_addresses_never_refuse_the_right_one(app, db):
    create_staff(db, "admin", RIGHT, "admin")
    attacker = app.test_client()
    for n in range(12):
        login(attacker, "admin", f"sai-{n}", f"10.0.{n % 3}.7")
    organiser = app.test_client()
    assert login(organiser, "admin", RIGHT, "10.0.9.1") == 302
    assert login(app.test_client(), "admin", RIGHT, "127.0.0.1") == 302


def test_a_global_budget_of_password_hashes_keeps_the_worker(app, db, monkeypatch):
    create_staff(db, "admin", RIGHT, "admin")
    app.config["LOGIN_HASHES_PER_MINUTE"] = 5
    hashes = []
    real = passwords.verify
    monkeypatch.setattr(passwords, "verify", lambda *a, **k: hashes.append(1) or real(*a, **k))
    monkeypatch.setattr(passwords, "pause_like_a_hash", lambda sleep=None: 0.0)
    attacker = app.test_client()
    codes = [login(attacker, "admin", f"sai-{n}", f"127.0.0.{n % 10 + 2}") for n in range(80)]
    # 10 addresses get one free first guess each, then the budget: never 80 hashes
    assert len(hashes) <= 10 + 5
    assert codes.count(429) >= 80 - 15
    # unknown usernames cost no hash at all
    hashes.clear()
    for n in range(20):
        login(attacker, f"ai-do-{n}", "sai", f"127.0.1.{n % 40 + 2}")
    assert hashes == []
    # the organiser from a clean address still gets in, and a trusted address after a mistype too
    organiser = app.test_client()
    assert login(organiser, "admin", RIGHT, "10.1.1.1") == 302
    post_form(organiser, "/logout", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert login(organiser, "admin", "typo", "10.1.1.1") == 401
    assert login(organiser, "admin", RIGHT, "10.1.1.1") == 302


def test_busy_answer_is_bilingual(app, db):
    create_staff(db, "admin", RIGHT, "admin")
    app.config["LOGIN_HASHES_PER_MINUTE"] = 1
    client = app.test_client()
    for n in range(4):
        login(client, "admin", "sai", "10.2.0.1")
    response = post_form(client, "/login", {"username": "admin", "password": "sai"},
                         environ_base={"REMOTE_ADDR": "10.2.0.1"})
    assert response.status_code == 429
    assert "bận" in response.get_data(as_text=True)


@pytest.mark.parametrize("password, expected", [(RIGHT, True), ("sai", False), ("dòng\nmới", False)])
def test_hashing_in_a_child_process_waits_with_the_async_sleep(password, expected):
    from werkzeug.security import generate_password_hash

    stored = generate_password_hash(RIGHT)
    slept = []
    assert passwords.verify(stored, password, sleep=slept.append, in_child=True) is expected
    assert slept  # the worker waited cooperatively while the child hashed


def test_eventlet_mode_checks_passwords_in_a_child(app, monkeypatch):
    from werkzeug.security import generate_password_hash

    stored = generate_password_hash(RIGHT)
    monkeypatch.setattr(passwords, "check_password_hash", lambda *a: pytest.fail("hashed on the worker"))
    app.config["ASYNC_MODE"] = "eventlet"
    with app.app_context():
        assert passwords.verify(stored, RIGHT, sleep=lambda s: None) is True


@pytest.mark.real_password_hash
def test_staff_passwords_are_stored_with_scrypt(db):
    """The tests' cheap hash (tests/conftest.py) never reaches a festival: accounts use scrypt."""
    create_staff(db, "organiser", RIGHT, "admin")
    stored = db.execute("SELECT password_hash FROM staff WHERE username = 'organiser'").fetchone()[0]
    assert stored.startswith("scrypt:")
