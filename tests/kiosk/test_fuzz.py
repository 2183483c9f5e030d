"""Property-based fuzzing of every JSON endpoint, form and Socket.IO event.

Generic over ``app.url_map`` and the registered namespaces, so routes and
events added later are fuzzed too. Properties: never a 5xx, never an
unhandled exception in the log, every rejection a clear 4xx with a message
in both languages (JSON) or an error page, and the database stays consistent.
"""
from __future__ import annotations

import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.http import csrf

pytestmark = pytest.mark.slow

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "%s%s%n",
                     "Nguyễn Văn An", "Đ" * 300, "😀" * 50, "\u202e\u200b", "../../etc/passwd",
                     "A" * 5000, "null", "-1", "1e309", "NaN"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), ODD_TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(ODD_TEXT, inner, max_size=4)), max_leaves=12)
FIELD_NAMES = ["id", "text", "client_time", "station", "zone_id", "nickname", "hidden", "full_name",
               "age_band", "school", "class_name", "points", "reason", "attendee_id", "choice",
               "code", "name", "role", "queue_length", "bank", "question_index", "client_id",
               "consent_child", "consent_guardian", "consent_public", "username", "password"]
PAYLOADS = st.one_of(
    JSON_VALUES,
    st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=8),
)
RAW_BODIES = st.one_of(st.binary(max_size=300), st.sampled_from([b"{", b"[1,2", b"\xff\xfe", b"{}" * 1000]))
SETTINGS = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SKIP_ENDPOINTS = {"static", "auth.logout"}


def _fill(rule, value_for_int, value_for_str) -> str:
    url = rule.rule
    for arg, converter in rule._converters.items():
        kind = type(converter).__name__
        sample = value_for_int if kind in ("IntegerConverter", "FloatConverter") else value_for_str
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % re.escape(arg), str(sample), url)
    return url


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or method not in rule.methods:
            continue
        yield rule


@pytest.fixture
def world(app, db, admin_client, device_client, make_attendee, make_zone):
    """Some data so handlers reach deep code paths, and one client per role."""
    for i in range(3):
        make_attendee(full_name=f"Trần Thị Mai {i}")
    make_zone()
    clients = {"admin": admin_client, "anon": app.test_client()}
    for role in ("desk", "zone", "host", "stage"):
        clients[role] = device_client(role)
    return clients


def _assert_clear(response, what):
    assert response.status_code < 500, f"{what} -> {response.status_code}: {response.data[:300]!r}"
    if response.status_code >= 400 and response.is_json:
        error = response.get_json().get("error") or {}
        assert error.get("code"), what
        assert error.get("message_vi") and error.get("message_en"), what


def _no_unhandled(caplog):
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, "\n".join(r.getMessage() for r in bad)


def _consistent(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@given(payload=PAYLOADS, ident=st.sampled_from([1, 2, 0, -1, 10**12]),
       word=st.sampled_from(["x", "ABC", "%00", "Đà"]), role=st.sampled_from(["admin", "desk", "zone", "host", "anon"]))
@SETTINGS
def test_json_endpoints_never_fail(app, db, world, caplog, payload, ident, word, role):
    client = world[role]
    caplog.clear()
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for rule in _routes(app, method):
            url = _fill(rule, ident, word)
            response = client.open(url, method=method, data=json.dumps(payload),
                                   headers={"Content-Type": "application/json", "X-CSRF-Token": csrf(client),
                                            "Accept": "application/json"})
            _assert_clear(response, f"{role} {method} {url} {payload!r:.200}")
    _no_unhandled(caplog)
    _consistent(db)


@given(body=RAW_BODIES, role=st.sampled_from(["admin", "desk", "zone"]))
@SETTINGS
def test_raw_garbage_bodies(app, db, world, caplog, body, role):
    client = world[role]
    caplog.clear()
    for rule in _routes(app, "POST"):
        url = _fill(rule, 1, "x")
        for ctype in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz"):
            response = client.post(url, data=body, headers={"Content-Type": ctype, "X-CSRF-Token": csrf(client)})
            _assert_clear(response, f"{role} POST {url} {ctype} {body[:60]!r}")
    _no_unhandled(caplog)
    _consistent(db)


@given(form=st.dictionaries(st.sampled_from(FIELD_NAMES + ["csrf_token", "file", "q"]), ODD_TEXT, max_size=8),
       ident=st.sampled_from([1, 2, 999]), role=st.sampled_from(["admin", "desk", "anon"]))
@SETTINGS
def test_forms_and_query_strings(app, db, world, caplog, form, ident, role):
    client = world[role]
    caplog.clear()
    for rule in _routes(app, "POST"):
        url = _fill(rule, ident, "x")
        data = dict(form)
        data.setdefault("csrf_token", csrf(client))
        _assert_clear(client.post(url, data=data), f"{role} form {url} {data!r:.200}")
    for rule in _routes(app, "GET"):
        url = _fill(rule, ident, form.get("q", "x").replace("/", "") or "x")
        _assert_clear(client.get(url, query_string=form), f"{role} GET {url} {form!r:.200}")
    _no_unhandled(caplog)
    _consistent(db)


def _namespaces(app):
    from kiosk import socketio

    return {ns: handler for ns, handler in socketio.server.namespace_handlers.items()}


@given(payload=PAYLOADS, role=st.sampled_from(["admin", "desk", "zone", "host", "stage", "anon"]))
@SETTINGS
def test_socket_events_never_crash(app, db, world, caplog, payload, role):
    from kiosk import socketio

    caplog.clear()
    for namespace, handler in _namespaces(app).items():
        events = [name[3:] for name in dir(handler) if name.startswith("on_") and name not in ("on_connect", "on_disconnect")]
        client = socketio.test_client(app, namespace=namespace, flask_test_client=world[role])
        try:
            if not client.is_connected(namespace):
                continue
            for event in events:
                ack = client.emit(event, payload, namespace=namespace, callback=True)
                if isinstance(ack, dict) and ack.get("ok") is False:
                    assert ack["error"]["code"] != "server_error", f"{namespace} {event} {payload!r:.200}"
        finally:
            if client.is_connected(namespace):
                client.disconnect(namespace=namespace)
    _no_unhandled(caplog)
    _consistent(db)
