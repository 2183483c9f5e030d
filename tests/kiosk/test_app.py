"""The app factory, configuration, languages, errors and security headers."""
import json
import os

from kiosk import create_app
from tests.support.http import post_form


def test_secret_key_made_once_and_kept(tmp_path):
    cfg = {"INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE": str(tmp_path / "f.db")}
    first = create_app(dict(cfg)).config["SECRET_KEY"]
    second = create_app(dict(cfg)).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "inst" / "secret_key").read_text().strip() == first
    assert oct(os.stat(tmp_path / "inst" / "secret_key").st_mode & 0o777) == "0o600"


def test_config_from_instance_file_and_environment(tmp_path, monkeypatch):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "config.json").write_text(json.dumps({"FESTIVAL_NAME": "Từ tệp", "LOGIN_RATE_LIMIT": 3}))
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(inst))
    monkeypatch.setenv("FESTIVAL_DATABASE", str(tmp_path / "env.db"))
    monkeypatch.setenv("FESTIVAL_LOGIN_RATE_LIMIT", "7")
    app = create_app()
    assert app.config["FESTIVAL_NAME"] == "Từ tệp"
    assert app.config["LOGIN_RATE_LIMIT"] == 7  # environment wins over the file
    assert app.config["DATABASE"] == str(tmp_path / "env.db")
    assert app.config["ASYNC_MODE"] == "eventlet"


def test_database_is_wal_with_foreign_keys(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_vietnamese_by_default_and_language_switch_sticks(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="vi"' in page and "Đăng nhập" in page
    response = client.get("/lang/en?next=/login")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Staff sign-in" in page


def test_language_switch_refuses_offsite_redirect(client):
    response = client.get("/lang/en?next=//evil.example/")
    assert response.headers["Location"] == "/"


def test_api_errors_are_json_in_both_languages(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["code"] == "not_found"
    assert error["message_vi"] and error["message_en"] and error["message_vi"] != error["message_en"]


def test_page_errors_are_pages_not_tracebacks(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Trang hoặc mục này không tồn tại" in response.get_data(as_text=True)


def test_forms_without_csrf_token_are_refused(client):
    response = client.post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 400
    assert "hết hạn" in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_oversized_body_is_413_not_500(client):
    response = client.post("/api/scans", data=b"x" * (3 * 1024 * 1024),
                           headers={"Content-Type": "application/json"})
    assert response.status_code in (401, 413)


def test_healthz(client):
    # "hub": who this hub is, for devices that fail over (kiosk/hubid.py); "hubs": its standbys.
    body = client.get("/healthz").get_json()
    assert body["ok"] is True and body["hub"] and body["hubs"] == []


def test_login_and_logout(client, db):
    from kiosk.auth import create_staff

    create_staff(db, "an", "mat-khau-dai", "admin")
    bad = post_form(client, "/login", {"username": "an", "password": "sai-mat-khau"})
    assert bad.status_code == 401 and "Sai tên đăng nhập" in bad.get_data(as_text=True)
    good = post_form(client, "/login", {"username": "an", "password": "mat-khau-dai"})
    assert good.status_code == 302
    assert client.get("/admin/").status_code == 200
    post_form(client, "/logout")
    assert client.get("/admin/").status_code == 401


def test_login_is_rate_limited(client, db):
    from kiosk.auth import create_staff

    create_staff(db, "an", "mat-khau-dai", "admin")
    codes = [post_form(client, "/login", {"username": "an", "password": "x"}).status_code
             for _ in range(12)]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_translation_catalog_covers_every_template_string():
    """Every _("…") in templates and Python has a Vietnamese translation."""
    import re
    from pathlib import Path

    from kiosk.i18n import catalog

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"""(?<![\w.])_\(\s*(['"])((?:(?!\1).)+)\1""")
    missing = set()
    files = list((root / "templates").rglob("*.html"))
    files += [p for pkg in ("kiosk", "checkin", "games") for p in (root / pkg).rglob("*.py")]
    files = [p for p in files if p.name != "i18n.py"]
    for path in files:
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            if match.group(2) not in catalog():
                missing.add(f"{path.relative_to(root)}: {match.group(2)}")
    for path in [p for pkg in ("kiosk", "checkin", "games") for p in (root / pkg).rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r'(?:ServiceError|NotFound|Forbidden)\(\s*"[a-z_]+",\s*"((?:[^"\\]|\\.)+)"', text):
            if match.group(1) not in catalog():
                missing.add(f"{path.relative_to(root)}: {match.group(1)}")
    assert not missing, "\n".join(sorted(missing))
