"""The role matrix: every staff route and every staff Socket.IO namespace
refuses a request without a credential (401) and every wrong role (403),
and never answers either with a 500.

Routes are found, not listed: every rule in ``app.url_map`` whose view was
decorated with ``role_required`` (it carries ``_roles``) or whose path is
whose first path segment is api, admin, desk, zone, stage or host. Routes added later by
any feature are covered automatically. A route under those paths that is
public on purpose (an attendee-facing page or API) must be named in
``PUBLIC_ENDPOINTS`` with the reason.
"""
from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from werkzeug.routing import FloatConverter, IntegerConverter, UUIDConverter

from kiosk import create_app, socketio
from kiosk.auth import ROLES
from kiosk.db import now, open_db, transaction
from kiosk.devices.service import create_device, pair_device, revoke_device
from kiosk.realtime import StaffNamespace

# First path segments of staff areas ("/zone" and "/zone/…", not "/zone-sw.js").
STAFF_SEGMENTS = {"api", "admin", "desk", "zone", "stage", "host"}
# endpoint -> why it is public (attendees and phones use it without pairing)
PUBLIC_ENDPOINTS: dict[str, str] = {
    "quiz.phone_start": "an attendee's own phone, authorised by the badge token in the URL",
    "quiz.phone_answer": "an attendee's own phone, authorised by the badge token in the URL",
    "quiz.phone_finish": "an attendee's own phone, authorised by the badge token in the URL",
    "national.receive": "another hub's push, authorised by the bundle's Ed25519 signature of a registered hub "
                        "(tests/kiosk/test_national.py refuses unsigned, tampered and unregistered bundles)",
}
SKIP_METHODS = {"HEAD", "OPTIONS"}


def _collection_app():
    """An app built only to enumerate routes and namespaces at collection time."""
    tmp = Path(tempfile.mkdtemp(prefix="roles-matrix-"))
    return create_app({"TESTING": True, "INSTANCE_PATH": str(tmp / "instance"),
                       "DATABASE": str(tmp / "festival.db"), "SECRET_KEY": "matrix",
                       "ASYNC_MODE": "threading", "SQLITE_SYNCHRONOUS": "OFF"})


def _route_cases(app):
    cases = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "_roles", None)
        if rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint == "static":
            continue
        if roles is None and rule.rule.strip("/").split("/")[0] not in STAFF_SEGMENTS:
            continue
        for method in sorted(rule.methods - SKIP_METHODS):
            cases.append(pytest.param(rule.endpoint, method, roles, id=f"{method} {rule.rule}"))
    return cases


def _namespace_cases():
    return [pytest.param(ns, tuple(handler.roles), sorted(_events(handler)), id=ns)
            for ns, handler in socketio.server.namespace_handlers.items()
            if isinstance(handler, StaffNamespace)]


def _events(handler) -> set[str]:
    return {name[3:] for name in dir(handler)
            if name.startswith("on_") and name not in ("on_connect", "on_disconnect")}


_APP = _collection_app()
ROUTES = _route_cases(_APP)
NAMESPACES = _namespace_cases()
shutil.rmtree(Path(_APP.config["DATABASE"]).parent, ignore_errors=True)
del _APP


def dummy_value(converter):
    """A value that fits a URL converter; the record need not exist."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, FloatConverter):
        return 1.5
    if isinstance(converter, UUIDConverter):
        return uuid.uuid4()
    return "x1"


def build_url(app, endpoint, method):
    rule = next(r for r in app.url_map.iter_rules(endpoint) if method in r.methods)
    values = {arg: dummy_value(rule._converters[arg]) for arg in rule.arguments}
    return app.url_map.bind("localhost").build(endpoint, values, method=method)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """One app for the whole matrix, with a paired device of every role and a revoked one."""
    tmp = tmp_path_factory.mktemp("matrix")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp / "instance"),
                      "DATABASE": str(tmp / "festival.db"), "SECRET_KEY": "matrix",
                      "ASYNC_MODE": "threading", "SQLITE_SYNCHRONOUS": "OFF"})
    db = open_db(app.config["DATABASE"], "OFF")
    db.execute("INSERT INTO zones (slug, name_vi, name_en, created_at) VALUES ('z', 'Khu', 'Zone', ?)", [now()])
    db.conn.commit()
    zone_id = db.execute("SELECT id FROM zones").fetchone()[0]

    def pair(role):
        device_id, code = create_device(db, f"{role} matrix", role, zone_id, "test")
        return device_id, pair_device(db, code)[2]

    credentials = {role: pair(role)[1] for role in ROLES}
    revoked_id, revoked = pair("desk")
    revoke_device(db, revoked_id, "test")
    yield {"app": app, "db": db, "credentials": credentials, "revoked": revoked, "pair": pair}
    db.conn.close()


def call(client, method, url, headers):
    kwargs = {"headers": headers}
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        kwargs["json"] = {}
    return client.open(url, method=method, **kwargs)


def assert_refused(response, allowed, what):
    assert response.status_code in allowed, (
        f"{what}: expected {allowed}, got {response.status_code}: {response.get_data(as_text=True)[:300]}")


@pytest.mark.parametrize("endpoint, method, roles", ROUTES)
def test_route_refuses_no_credential_and_wrong_roles(matrix, endpoint, method, roles):
    app = matrix["app"]
    url = build_url(app, endpoint, method)
    anonymous = app.test_client()
    with anonymous.session_transaction() as sess:
        sess["_csrf"] = "matrix-csrf"
    # A CSRF token is sent, so a refusal can only come from the role check.
    assert_refused(call(anonymous, method, url, {"X-CSRF-Token": "matrix-csrf"}), (401,), "no credential")
    client = app.test_client()
    revoked = call(client, method, url, {"Authorization": f"Bearer {matrix['revoked']}"})
    assert_refused(revoked, (401, 403), "revoked device")
    for role, credential in matrix["credentials"].items():
        response = call(client, method, url, {"Authorization": f"Bearer {credential}"})
        assert response.status_code < 500, f"{role}: {response.status_code}"
        if roles is not None and role != "admin" and role not in roles:
            assert_refused(response, (403,), f"{role} device")


def test_matrix_found_the_staff_routes():
    """Guard against a matrix that silently tests nothing."""
    endpoints = {p.values[0] for p in ROUTES}
    assert {"api.post_scan", "desk.page", "devices_admin.devices", "api.register_walk_in"} <= endpoints


def test_every_staff_api_view_declares_roles():
    """The desk's API declares roles with role_required, so the matrix knows the wrong ones."""
    undeclared = [p.values[0] for p in ROUTES if p.values[2] is None
                  and p.values[0].startswith(("api.", "desk."))]
    assert undeclared == []


def _socket(app, credential=None):
    flask_client = app.test_client()
    if credential:
        flask_client.set_cookie("festival_device", credential)
    return flask_client


@pytest.mark.parametrize("namespace, roles, events", NAMESPACES)
def test_namespace_refuses_no_credential_and_wrong_roles(matrix, namespace, roles, events):
    app = matrix["app"]
    credentials = matrix["credentials"]
    attempts = {"no credential": None, "revoked device": matrix["revoked"]}
    attempts.update({f"{role} device": credentials[role] for role in ROLES
                     if role != "admin" and role not in roles})
    for what, credential in attempts.items():
        sc = socketio.test_client(app, namespace=namespace, flask_test_client=_socket(app, credential))
        assert not sc.is_connected(namespace), f"{namespace} accepted {what}"
    if not roles:
        return
    # Every event is checked again: a device revoked while connected is refused
    # (revoked behind the service's back here: revoke_device also disconnects it).
    for event in events:
        device_id, credential = matrix["pair"](roles[0])
        sc = socketio.test_client(app, namespace=namespace, flask_test_client=_socket(app, credential))
        assert sc.is_connected(namespace), f"{roles[0]} could not connect to {namespace}"
        with transaction(matrix["db"]):
            matrix["db"].execute("UPDATE devices SET revoked_at = ?, credential_hash = NULL WHERE id = ?",
                                 ["2026-01-01T00:00:00.000Z", device_id])
        ack = sc.emit(event, {}, namespace=namespace, callback=True)
        assert isinstance(ack, dict) and ack.get("ok") is False, f"{namespace} {event}: {ack}"
        assert ack["error"]["code"] in ("login_required", "forbidden")
        if sc.is_connected(namespace):
            sc.disconnect(namespace=namespace)


def test_revoking_a_device_disconnects_its_sockets(matrix):
    """The service announces the revoke; the device pusher disconnects every socket of it."""
    app = matrix["app"]
    device_id, credential = matrix["pair"]("desk")
    sc = socketio.test_client(app, namespace="/desk", flask_test_client=_socket(app, credential))
    assert sc.is_connected("/desk")
    revoke_device(matrix["db"], device_id, "test")
    assert not sc.is_connected("/desk")


def test_matrix_found_the_desk_namespace():
    assert "/desk" in {p.values[0] for p in NAMESPACES}
