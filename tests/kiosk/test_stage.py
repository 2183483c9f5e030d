"""The stage page, read-only stage links and the stage settings."""
from __future__ import annotations

import pytest

from kiosk.errors import ServiceError
from kiosk.boards.stage import create_stage_link, expand_rotation, parse_rotation
from tests.support.http import post_form


def test_stage_page_for_stage_devices_and_admins_only(client, device_client, admin_client):
    page = device_client("stage").get("/stage")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "js/stage.js" in html and "<script>" not in html and "Đang kết nối lại" in html
    assert admin_client.get("/stage").status_code == 200
    assert client.get("/stage").status_code == 401
    assert device_client("desk").get("/stage").status_code == 403


def test_rotation_parsing():
    assert parse_rotation("overall:20, schools:15,zones:10") == [("overall", 20), ("schools", 15), ("zones", 10)]
    for bad in ("", "overall", "overall:2", "nope:10", "overall:20,,", "zone:x:10", "overall:9999"):
        with pytest.raises(ServiceError):
            parse_rotation(bad)


def test_zones_slot_expands_to_each_active_zone(db, make_zone):
    first, second = make_zone(), make_zone()
    boards = expand_rotation(db, parse_rotation("overall:20,zones:10"))
    assert boards == [{"board": "overall", "seconds": 20}, {"board": f"zone:{first}", "seconds": 10},
                      {"board": f"zone:{second}", "seconds": 10}]


def test_rotation_from_query_and_setting(device_client, db):
    stage = device_client("stage")
    html = stage.get("/stage?rotation=schools:30").get_data(as_text=True)
    assert "schools" in html and "overall" not in html.split("data-rotation")[1][:120]
    db.execute("INSERT INTO settings (key, value) VALUES ('stage_rotation', 'classes:12')")
    db.conn.commit()
    html = stage.get("/stage?rotation=garbage").get_data(as_text=True)
    assert "classes" in html.split("data-rotation")[1][:120]


def test_stage_link_sets_cookie_and_can_be_revoked(app, db, admin_client, socket_client):
    response = post_form(admin_client, "/admin/stage", {"action": "create", "label": "Sân khấu chính"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    url = html.split('id="stage-link-url">')[1].split("<")[0]
    token = url.rsplit("/", 1)[1]
    assert db.execute("SELECT token_hash FROM stage_links").fetchone()[0] != token  # stored hashed
    screen = app.test_client()
    opened = screen.get(f"/s/{token}?rotation=overall:10")
    assert opened.status_code == 302 and opened.headers["Location"].startswith("/stage?rotation=")
    assert screen.get("/stage").status_code == 200
    assert screen.get("/admin/").status_code == 403  # read-only: boards only
    sc = socket_client("/public", screen)
    assert sc.is_connected("/public")
    link_id = db.execute("SELECT id FROM stage_links").fetchone()[0]
    assert post_form(admin_client, f"/admin/stage/links/{link_id}/revoke").status_code == 302
    assert not sc.is_connected("/public")
    assert screen.get("/stage").status_code == 401
    assert app.test_client().get(f"/s/{token}").status_code == 403


def test_bad_stage_links_are_refused(client):
    assert client.get("/s/not-a-token").status_code == 403
    assert client.get("/s/" + "x" * 300).status_code == 403


def test_admin_stage_page_roles_and_label_validation(admin_client, device_client, client):
    assert admin_client.get("/admin/stage").status_code == 200
    assert client.get("/admin/stage").status_code == 401
    for role in ("desk", "zone", "host", "stage"):
        assert device_client(role).get("/admin/stage").status_code == 403
    bad = post_form(admin_client, "/admin/stage", {"action": "create", "label": "  "})
    assert bad.status_code == 400
    assert post_form(admin_client, "/admin/stage/links/999/revoke").status_code == 404


def test_settings_are_validated_and_saved(admin_client, db):
    ok = post_form(admin_client, "/admin/stage", {
        "action": "settings", "stage_rotation": "overall:30,schools:10", "anonymous_display": "hide",
        "school_board_mode": "sum", "board_size": "12"})
    assert ok.status_code == 200
    stored = dict(db.execute("SELECT key, value FROM settings").fetchall())
    assert stored["anonymous_display"] == "hide" and stored["board_size"] == "12"
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'boards.settings'").fetchone()[0] == 1
    for bad in ({"stage_rotation": "nope"}, {"anonymous_display": "everyone"}, {"board_size": "x"}):
        form = {"action": "settings", "stage_rotation": "overall:30", "anonymous_display": "anonymous",
                "school_board_mode": "average", "board_size": "10", **bad}
        assert post_form(admin_client, "/admin/stage", form).status_code == 400


def test_create_stage_link_service(db):
    link_id, token = create_stage_link(db, "Màn hình 2", "test")
    assert link_id and len(token) >= 32
