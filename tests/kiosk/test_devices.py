"""Device pairing: one-time links that expire, long-lived credentials, revocation."""
from __future__ import annotations

import re

import pytest

from kiosk.db import transaction
from kiosk.devices.service import create_device, pair_device
from kiosk.errors import ServiceError
from tests.support.http import post_form


def test_pairing_link_is_one_time_and_sets_a_credential(app, db):
    device_id, code = create_device(db, "Bàn 1", "desk", None, "test")
    client = app.test_client()
    # GET only asks for confirmation: a chat app's link preview must not burn the code.
    assert client.get(f"/pair/{code}").status_code == 200
    response = post_form(client, f"/pair/{code}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/desk")
    cookie = client.get_cookie("festival_device")
    assert cookie is not None and cookie.http_only
    assert client.get("/desk").status_code == 200
    row = db.execute("SELECT credential_hash, pairing_hash, paired_at FROM devices WHERE id = ?",
                     [device_id]).fetchone()
    assert row["credential_hash"] and row["credential_hash"] != cookie.value  # stored hashed
    assert row["pairing_hash"] is None and row["paired_at"]
    again = post_form(app.test_client(), f"/pair/{code}")
    assert again.status_code == 403 and "không hợp lệ" in again.get_data(as_text=True)


def test_pairing_many_devices_from_one_address_is_not_limited_but_guessing_is(app, db):
    """Forty kiosks paired from one laptop (or behind one NAT) all pair; only
    wrong codes count towards the limit, and past it even a good code waits."""
    limit = app.config["LOGIN_RATE_LIMIT"]
    for n in range(limit + 5):
        _, code = create_device(db, f"Kiosk {n}", "desk", None, "test")
        assert post_form(app.test_client(), f"/pair/{code}").status_code == 302, n
    client = app.test_client()
    for _ in range(limit):
        assert post_form(client, "/pair/not-a-real-code").status_code == 403
    _, code = create_device(db, "After the guessing", "desk", None, "test")
    refused = post_form(client, f"/pair/{code}")
    assert refused.status_code == 429 and "một phút" in refused.get_data(as_text=True)


def test_expired_pairing_link_is_refused(db):
    device_id, code = create_device(db, "Khu VR", "stage", None, "test")
    with transaction(db):
        db.execute("UPDATE devices SET pairing_expires_at = '2000-01-01T00:00:00.000+00:00' WHERE id = ?",
                   [device_id])
    with pytest.raises(ServiceError) as err:
        pair_device(db, code)
    assert err.value.code == "pairing_invalid" and err.value.status == 403


def test_unknown_and_absurd_codes_are_refused_not_500(client):
    assert post_form(client, "/pair/not-a-code").status_code == 403
    assert post_form(client, "/pair/" + "x" * 500).status_code == 403


def test_zone_device_needs_a_zone(db):
    with pytest.raises(ServiceError) as err:
        create_device(db, "Kiosk", "zone", None, "test")
    assert err.value.code == "zone_required"
    with pytest.raises(ServiceError):
        create_device(db, "Kiosk", "wizard", None, "test")


def test_bearer_credential_works_for_the_api(app, make_device):
    _id, credential = make_device("desk")
    client = app.test_client()
    ok = client.get("/api/counters", headers={"Authorization": f"Bearer {credential}"})
    assert ok.status_code == 200
    bad = client.get("/api/counters", headers={"Authorization": "Bearer wrong"})
    assert bad.status_code == 401


def test_revoking_locks_the_device_out_at_once(app, admin_client, device_client, socket_client):
    desk = device_client("desk")
    sock = socket_client("/desk", desk)
    assert sock.is_connected("/desk")
    assert desk.get("/desk").status_code == 200
    response = post_form(admin_client, f"/admin/devices/{desk.device_id}/revoke")
    assert response.status_code == 302
    assert desk.get("/desk").status_code == 401
    assert desk.get("/api/counters", headers={"Authorization": f"Bearer {desk.credential}"}).status_code == 401
    assert not sock.is_connected("/desk")  # kicked, not left listening
    assert socket_client("/desk", desk).is_connected("/desk") is False


def test_admin_creates_a_device_and_sees_the_link(admin_client, db):
    page = post_form(admin_client, "/admin/devices", {"name": "Màn hình sân khấu", "role": "stage"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    link = re.search(r'class="pairing-url">([^<]+)<', html).group(1)
    assert "/pair/" in link and "<svg" in html  # link and its QR
    assert db.execute("SELECT role FROM devices WHERE name = 'Màn hình sân khấu'").fetchone()["role"] == "stage"


def test_only_admins_manage_devices(device_client):
    desk = device_client("desk")
    assert desk.get("/admin/devices").status_code == 403
    assert post_form(desk, "/admin/devices", {"name": "x", "role": "admin"}).status_code == 403
