"""Issue 12: the pairing page says which device, role and zone it pairs
(without using the code); `festival devices add/list` and a printable A4
sheet of pairing QR codes with an organiser-chosen validity."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from kiosk.db import now, parse_time
from kiosk.devices.service import create_device
from tests.support.http import post_form


def _zone(db, slug="khu-vr", vi="Khu thực tế ảo", en="VR zone") -> int:
    zone_id = db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, sort, created_at) "
                         "VALUES (?, ?, ?, 'vr_ar', 1, ?)", [slug, vi, en, now()]).lastrowid
    db.conn.commit()
    return zone_id


def test_pairing_page_names_device_role_and_zone_without_using_the_code(client, db):
    zone_id = _zone(db)
    _device_id, code = create_device(db, "Kiosk VR 1", "zone", zone_id, "test")
    for _ in range(2):  # a chat app's link preview, then the person: neither pairs
        page = client.get(f"/pair/{code}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "Kiosk VR 1" in html
        assert "Kiosk khu trải nghiệm" in html and "Zone kiosk" in html
        assert "Khu thực tế ảo" in html and "VR zone" in html
    assert db.execute("SELECT paired_at FROM devices").fetchone()[0] is None
    response = post_form(client, f"/pair/{code}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/zone")


def test_pairing_page_for_a_desk_has_no_zone_and_a_used_link_says_so(client, db):
    _device_id, code = create_device(db, "Bàn 2", "desk", None, "test")
    html = client.get(f"/pair/{code}").get_data(as_text=True)
    assert "Bàn check-in" in html and "Check-in desk" in html and 'id="pair-zone"' not in html
    post_form(client, f"/pair/{code}")
    again = client.get(f"/pair/{code}")
    assert again.status_code == 403
    assert "Pair now" not in again.get_data(as_text=True) and "Ghép nối ngay" not in again.get_data(as_text=True)


def test_cli_adds_a_batch_with_a_sheet_and_lists_it(app, db, runner, tmp_path):
    _zone(db)
    sheet = tmp_path / "sheet.html"
    result = runner.invoke(args=["devices", "add", "Kiosk VR", "--role", "zone", "--zone", "khu-vr",
                                 "--count", "3", "--valid-hours", "12", "--sheet", str(sheet),
                                 "--base-url", "http://192.168.1.20:8000"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"http://192\.168\.1\.20:8000/pair/[\w-]+", result.output)
    assert len(links) == 3
    rows = db.execute("SELECT name, role, zone_id, pairing_expires_at FROM devices ORDER BY id").fetchall()
    assert [r["name"] for r in rows] == ["Kiosk VR 1", "Kiosk VR 2", "Kiosk VR 3"]
    assert {r["role"] for r in rows} == {"zone"} and rows[0]["zone_id"] is not None
    left = parse_time(rows[0]["pairing_expires_at"]) - datetime.now(timezone.utc)
    assert timedelta(hours=11, minutes=59) < left <= timedelta(hours=12)
    assert "12 giờ" in result.output and "12 hours" in result.output

    html = sheet.read_text(encoding="utf-8")
    assert html.count('class="pair-card"') == 3 and html.count("<svg") == 3
    for link in links:
        assert link in html
    assert "Kiosk VR 2" in html and "Khu thực tế ảo" in html and "VR zone" in html
    assert "Kiosk khu trải nghiệm" in html and "Zone kiosk" in html
    assert "12 giờ" in html and "12 hours" in html and "@page { size: A4" in html
    assert "<script" not in html  # prints anywhere, offline

    listed = runner.invoke(args=["devices", "list"])
    assert listed.exit_code == 0
    assert listed.output.count("waiting") == 3 and "Kiosk VR 3" in listed.output


def test_cli_default_validity_is_ten_minutes_and_limits_hold(app, db, runner):
    result = runner.invoke(args=["devices", "add", "Bàn", "--role", "desk", "--base-url", "http://127.0.0.1:8000"])
    assert result.exit_code == 0, result.output
    left = parse_time(db.execute("SELECT pairing_expires_at FROM devices").fetchone()[0]) - datetime.now(timezone.utc)
    assert timedelta(minutes=9) < left <= timedelta(minutes=10)
    assert "10 phút" in result.output and "10 minutes" in result.output
    too_long = runner.invoke(args=["devices", "add", "Bàn", "--role", "desk", "--valid-hours", "25"])
    assert too_long.exit_code != 0
    no_zone = runner.invoke(args=["devices", "add", "Kiosk", "--role", "zone", "--zone", "nowhere"])
    assert no_zone.exit_code != 0 and "zone" in no_zone.output.lower()
    assert db.execute("SELECT COUNT(*) FROM devices").fetchone()[0] == 1


def test_admin_prints_a_sheet_for_new_and_for_ticked_devices(admin_client, db):
    zone_id = _zone(db)
    response = post_form(admin_client, "/admin/devices/sheet",
                         {"name": "Kiosk", "role": "zone", "zone_id": str(zone_id), "count": "4",
                          "valid_hours": "6"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="pair-card"') == 4 and "6 giờ" in html and "6 hours" in html
    assert db.execute("SELECT COUNT(*) FROM devices").fetchone()[0] == 4

    ids = [r[0] for r in db.execute("SELECT id FROM devices ORDER BY id LIMIT 2")]
    again = post_form(admin_client, "/admin/devices/sheet", {"device_id": [str(i) for i in ids]})
    html = again.get_data(as_text=True)
    assert again.status_code == 200 and html.count('class="pair-card"') == 2 and "10 phút" in html
    assert db.execute("SELECT COUNT(*) FROM devices").fetchone()[0] == 4

    for bad in ({"name": "X", "role": "desk", "count": "0"}, {"name": "X", "role": "desk", "valid_hours": "48"},
                {"name": "X", "role": "desk", "count": "abc"}, {"device_id": "x"}):
        assert post_form(admin_client, "/admin/devices/sheet", bad).status_code in (400, 404)
    page = admin_client.get("/admin/devices").get_data(as_text=True)
    assert 'id="sheet-selected"' in page and 'name="count"' in page
