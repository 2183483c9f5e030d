"""Issue 23, point 1: one address other devices use. PUBLIC_URL when set, else the
hub's LAN address in place of 127.0.0.1 when the hub listens on every interface;
every link meant for another device uses it, and the devices page says plainly
when no other device can reach the hub."""
from __future__ import annotations

import re

import pytest

import kiosk.network
from kiosk import create_app
from kiosk.ops.serving import gunicorn_argv
from checkin.badges import badge_url
from games.live import game as live
from kiosk.devices.service import create_device
from tests.support.http import post_form

LAN = "192.168.1.23"


@pytest.fixture
def on_lan(app, monkeypatch):
    """The hub listens on every interface (festival serve's default) and has a LAN address."""
    app.config["LISTEN_HOST"] = "0.0.0.0"
    monkeypatch.setattr(kiosk.network, "lan_addresses", lambda: [LAN])
    return app


def _pairing_url(html: str) -> str:
    return re.search(r'<code class="pairing-url">([^<]+)</code>', html).group(1)


def test_pairing_link_on_the_devices_page_uses_the_lan_address(on_lan, admin_client):
    page = post_form(admin_client, "/admin/devices", {"name": "Bàn 1", "role": "desk"})
    html = page.get_data(as_text=True)
    assert _pairing_url(html).startswith(f"http://{LAN}/pair/")
    assert f"http://{LAN}" in html and 'id="hub-address-warning"' not in html


def test_printed_sheet_links_use_the_lan_address(on_lan, admin_client):
    sheet = post_form(admin_client, "/admin/devices/sheet", {"name": "Kiosk", "role": "desk", "count": "2"})
    links = re.findall(r"http://[\d.]+(?::\d+)?/pair/[\w-]+", sheet.get_data(as_text=True))
    assert links and all(link.startswith(f"http://{LAN}/pair/") for link in links)


def test_big_screen_join_address_and_badges_and_poster_use_it(on_lan, admin_client, db):
    game = live.create_game(db, bank="core", count=1, host="test", now=0.0)
    _device_id, _code = create_device(db, "Screen", "stage", None, "test")
    screen = admin_client.get(f"/host/screen/{game['id']}").get_data(as_text=True)
    assert f"http://{LAN}/play" in screen and "localhost/play" not in screen
    poster = admin_client.get("/admin/register-poster").get_data(as_text=True)
    assert f"http://{LAN}/register" in poster
    with on_lan.test_request_context("/badges/1/label", base_url="http://127.0.0.1:8000"):
        assert badge_url("TOKEN") == f"http://{LAN}:8000/b/TOKEN"


def test_public_url_wins(on_lan, admin_client):
    on_lan.config["PUBLIC_URL"] = "https://festival.example.vn/"
    html = post_form(admin_client, "/admin/devices", {"name": "Bàn 2", "role": "desk"}).get_data(as_text=True)
    assert _pairing_url(html).startswith("https://festival.example.vn/pair/")


def test_no_lan_address_the_devices_page_says_what_to_do(app, admin_client, monkeypatch):
    app.config["LISTEN_HOST"] = "0.0.0.0"
    monkeypatch.setattr(kiosk.network, "lan_addresses", lambda: [])
    html = admin_client.get("/admin/devices").get_data(as_text=True)
    warning = re.search(r'id="hub-address-warning">([^<]+)<', html).group(1)
    assert "PUBLIC_URL" in warning and "festival serve" in warning and "Wi-Fi" in warning


def test_a_hub_listening_on_loopback_only_keeps_loopback_and_warns(app, admin_client, monkeypatch):
    monkeypatch.setattr(kiosk.network, "lan_addresses", lambda: [LAN])
    assert app.config["LISTEN_HOST"] == "127.0.0.1"
    html = post_form(admin_client, "/admin/devices", {"name": "Bàn 3", "role": "desk"}).get_data(as_text=True)
    assert _pairing_url(html).startswith("http://localhost/pair/")
    assert 'id="hub-address-warning"' in html


def test_admin_opened_on_a_lan_address_keeps_it_and_ipv6_loopback_is_swapped(app, monkeypatch):
    monkeypatch.setattr(kiosk.network, "lan_addresses", lambda: [LAN])
    with app.test_request_context("/", base_url="http://10.0.0.7:8000"):
        assert kiosk.network.device_base_url() == ("http://10.0.0.7:8000", False)
    app.config["LISTEN_HOST"] = "::"
    with app.test_request_context("/", base_url="http://[::1]:8000"):
        assert kiosk.network.device_base_url() == (f"http://{LAN}:8000", False)


def test_cli_sheet_uses_the_lan_address_by_default(on_lan, runner, tmp_path):
    sheet = tmp_path / "sheet.html"
    result = runner.invoke(args=["devices", "add", "Bàn", "--role", "desk", "--count", "2",
                                 "--sheet", str(sheet)])
    assert result.exit_code == 0, result.output
    assert len(re.findall(rf"http://{re.escape(LAN)}:8000/pair/", result.output)) == 2
    assert f"http://{LAN}:8000/pair/" in sheet.read_text(encoding="utf-8")


def test_festival_serve_tells_the_worker_where_it_listens(monkeypatch, tmp_path):
    argv = gunicorn_argv("0.0.0.0", 8000)
    setting = argv[argv.index("--env") + 1]
    assert setting == "FESTIVAL_LISTEN_HOST=0.0.0.0"
    for key, value in (setting.split("=", 1), ("FESTIVAL_INSTANCE_PATH", str(tmp_path / "i")),
                       ("FESTIVAL_DATABASE", str(tmp_path / "w.db")), ("FESTIVAL_ASYNC_MODE", "threading")):
        monkeypatch.setenv(key, value)
    assert create_app().config["LISTEN_HOST"] == "0.0.0.0"  # the worker reads it as any FESTIVAL_ setting
