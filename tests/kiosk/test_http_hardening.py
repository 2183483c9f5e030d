"""Issue 13, the HTTP side: open redirects, ids beyond 64 bits, deep JSON,
odd Host headers, 401 before CSRF, JSON errors from JSON endpoints, the
badge-play rate limit, and a login limit that counts only failures."""
from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter
from werkzeug.test import EnvironBuilder

from kiosk.auth import create_staff
from kiosk.security import safe_next, valid_host
from kiosk.validation import IdConverter, row_id
from tests.support.http import ADMIN_PASSWORD, csrf, post_form, post_json

BIG = str(2**64)
INT64_MAX = 2**63 - 1


# --- open redirects ---------------------------------------------------------

EVIL_NEXT = ["/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "//evil.example",
             "/%5Cevil.example", "/\\evil.example", "http://evil.example/", "https:evil.example",
             "javascript:alert(1)", "/%0d%0aSet-Cookie:%20x=1", "%2F%2Fevil.example", " //evil.example",
             "/%7F/evil.example"]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_language_switch_never_leaves_the_site(client, target):
    response = client.get(f"/lang/en?next={target}")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location == "/" or location.endswith("://localhost/"), location
    assert "evil" not in location and "\r" not in location and "\n" not in location


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_login_never_leaves_the_site(client, db, target):
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    response = post_form(client, f"/login?next={target}", {"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


def test_local_next_targets_still_work(client, db):
    assert client.get("/lang/en?next=/login%3Fx%3D1").headers["Location"].endswith("/login?x=1")
    create_staff(db, "admin", ADMIN_PASSWORD, "admin")
    response = post_form(client, "/login?next=/admin/devices", {"username": "admin", "password": ADMIN_PASSWORD})
    assert response.headers["Location"].endswith("/admin/devices")


def test_safe_next_rules():
    assert safe_next("/a/b?c=d", "/") == "/a/b?c=d"
    for bad in ("/\t/x", "/\n/x", "//x", "/\\x", "x", "", None, 5, "/a\x00", "https://x/"):
        assert safe_next(bad, "/home") == "/home"


# --- ids in URLs --------------------------------------------------------------

def _id_rules(app):
    for rule in app.url_map.iter_rules():
        if any(isinstance(conv, IdConverter) for conv in rule._converters.values()):
            yield rule


def test_no_route_takes_an_unbounded_int(app):
    """Every id in a path uses <id:...> (1..2**63-1): an <int:> route would take 2**64 to SQLite."""
    unbounded = [rule.rule for rule in app.url_map.iter_rules()
                 if any(isinstance(conv, IntegerConverter) and not isinstance(conv, IdConverter)
                        for conv in rule._converters.values())]
    assert unbounded == []
    assert len(list(_id_rules(app))) >= 15


def test_ids_beyond_64_bits_are_404_on_every_route(app, admin_client):
    checked = 0
    for rule in _id_rules(app):
        for value in (BIG, str(2**63), "0", "-1", "007"):
            path = rule.rule
            for name, conv in rule._converters.items():
                path = path.replace(f"<id:{name}>", value) if isinstance(conv, IdConverter) \
                    else path.replace(f"<{name}>", "x")
            path = re.sub(r"<[^>]+>", "x", path)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = admin_client.open(path, method=method, json={},
                                             headers={"X-CSRF-Token": csrf(admin_client)})
                assert response.status_code == 404, (method, path, response.status_code)
                checked += 1
    assert checked >= 75


def test_the_largest_id_is_a_plain_not_found(admin_client):
    assert admin_client.get(f"/admin/zones/{INT64_MAX}").status_code == 404
    assert admin_client.get(f"/host/api/games/{INT64_MAX}/players").status_code == 404


def test_row_id_parses_query_ids():
    assert row_id("12") == 12 and row_id(str(INT64_MAX)) == INT64_MAX
    for bad in (BIG, "0", "-1", "1e3", "", "١٢"):
        with pytest.raises(ValueError):
            row_id(bad)


@pytest.mark.parametrize("query", [f"zone_id={BIG}", "zone_id=-1", "zone_id=abc", f"zone_id={2**63}"])
def test_zone_and_quiz_pages_refuse_bad_zone_ids(admin_client, query):
    assert admin_client.get(f"/zone?{query}").status_code == 400  # zone_required
    assert admin_client.get(f"/quiz?{query}").status_code == 200  # an admin's quiz without a zone


@pytest.mark.parametrize("zone_id", [2**64, 2**70, -1, 0, True, "1", 1.5])
def test_bad_zone_ids_in_json_are_refused(admin_client, make_attendee, zone_id):
    _id, token = make_attendee()
    scan = post_json(admin_client, "/api/scans", {"id": f"zone-id-{abs(hash(repr(zone_id)))}", "text": token,
                                                  "zone_id": zone_id})
    assert scan.status_code in (400, 404) and scan.get_json()["ok"] is False
    quiz = post_json(admin_client, "/api/quiz/rounds", {"zone_id": zone_id, "text": token})
    assert quiz.status_code < 500


# --- deep JSON ------------------------------------------------------------------

@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 50_000, '{"a": ' + "[" * 40 + "]" * 40 + "}"],
                         ids=["brackets-100000", "objects-50000", "closed-40"])
@pytest.mark.parametrize("url", ["/play/join", "/api/scans", "/b/{token}/play/join", "/api/quiz/phone/{token}/rounds"])
def test_deeply_nested_json_is_400_bad_json(device_client, make_attendee, body, url):
    _id, token = make_attendee()
    desk = device_client("desk")
    response = desk.post(url.format(token=token), data=body,
                         headers={"Content-Type": "application/json", "X-CSRF-Token": csrf(desk)})
    assert response.status_code == 400, response.status_code
    assert response.get_json()["error"]["code"] == "bad_json"


def test_deep_json_error_names_the_problem(client):
    response = client.post("/play/join", data='{"code": ' + "[" * 30 + "]" * 30 + "}",
                           headers={"Content-Type": "application/json"})
    error = response.get_json()["error"]
    assert response.status_code == 400 and error["code"] == "bad_json"
    assert error["message_vi"] != error["message_en"]


# --- Host headers ----------------------------------------------------------------

ODD_HOSTS = ["a" * 64 + ".example", "x..y", "a:99999999", "xn--a.com", "a" * 300, "é.example", "a b", ".",
             "[::1", "host:port"]


@pytest.mark.parametrize("host", ODD_HOSTS)
@pytest.mark.parametrize("url", ["/", "/no/such/page", "/lang/vi?next=/x", "/admin/", "/api/nothing", "/register"])
def test_odd_host_headers_are_400_not_500(app, host, url):
    # Straight through WSGI: the test client itself cannot build a URL from some of these hosts.
    environ = EnvironBuilder(path=url.split("?")[0], query_string=url.partition("?")[2]).get_environ()
    environ["HTTP_HOST"] = host
    started = []
    body = b"".join(app(environ, lambda status, headers, exc_info=None: started.append(status)))
    assert started == ["400 Bad Request"]
    assert "Host" in body.decode("utf-8")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:5000", "[::1]:8443", "hub.lan", "festival-hub.local.",
                                  "xn--nxasmq6b.example", "a" * 63 + ".example"])
def test_ordinary_hosts_are_served(client, host):
    assert client.get("/", environ_overrides={"HTTP_HOST": host}).status_code == 200
    assert valid_host(host)


# --- 401 before CSRF, JSON from JSON endpoints -------------------------------------

@pytest.mark.parametrize("url", ["/api/scans", "/api/attendees", "/api/rewards/1/claim", "/api/points/bonus",
                                 "/api/devices/status", "/api/attendees/1/nickname", "/admin/zones",
                                 "/host/api/games"])
def test_no_credential_is_401_not_csrf_failed(client, url):
    response = client.post(url, json={})
    assert response.status_code == 401
    if url.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "login_required"


def test_a_signed_in_request_without_token_is_still_csrf_failed(admin_client):
    response = admin_client.post("/api/points/bonus", json={})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "csrf_failed"


def test_public_forms_still_say_the_form_expired(client):
    assert client.post("/login", data={"username": "a", "password": "b"}).status_code == 400


@pytest.mark.parametrize("url", ["/play/join", "/b/{token}/play/join"])
def test_play_join_with_a_wrong_content_type_answers_json_415(client, make_attendee, url):
    _id, token = make_attendee()
    response = client.post(url.format(token=token), data="code=123456",
                           headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
    assert response.status_code == 415 and response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "unsupported_media_type"


# --- rate limits ---------------------------------------------------------------------

def test_badge_play_page_is_rate_limited_like_the_badge_page(app, client):
    app.config["BADGE_PAGE_RATE_LIMIT"] = 5
    codes = [client.get(f"/b/ABCD2345EF{n:02d}/play").status_code for n in range(7)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429, 429]
    # one bucket: the badge page counts against the same limit
    assert client.get("/b/ABCD2345EF99").status_code == 429


def test_successful_logins_are_never_rate_limited(client, db):
    create_staff(db, "desk-lead", "mat-khau-dai", "desk")
    for _ in range(15):
        assert post_form(client, "/login", {"username": "desk-lead", "password": "mat-khau-dai"}).status_code == 302
        post_form(client, "/logout")


def test_failed_logins_are_limited_per_username_and_address_together(app, db):
    create_staff(db, "an", "mat-khau-dai", "admin")
    first = app.test_client()
    codes = [post_form(first, "/login", {"username": "an", "password": "sai"}).status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    # issue 24: guesses from one address never lock the right password out elsewhere
    other = app.test_client()
    response = post_form(other, "/login", {"username": "an", "password": "mat-khau-dai"},
                         environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 302


def test_unknown_usernames_cost_the_time_of_a_hash_but_no_hash(db, monkeypatch):
    import kiosk.auth as auth
    from kiosk import passwords

    create_staff(db, "an", "mat-khau-dai", "admin")
    checked, paused = [], []
    real = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda stored, pw: checked.append(stored) or real(stored, pw))
    passwords.pause_like_a_hash(sleep=lambda s: None)  # measured once, before counting
    checked.clear()
    monkeypatch.setattr(passwords, "pause_like_a_hash", lambda sleep=None: paused.append(1))
    for name in ("an", "khong-co-ai"):
        with pytest.raises(auth.ServiceError):
            auth.authenticate(db, name, "sai-mat-khau")
    assert len(checked) == 1 and paused == [1]  # the unknown name waited as long, and spent no CPU
