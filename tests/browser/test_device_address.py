"""Issue 23, point 1, on a real hub listening on the whole LAN (0.0.0.0) and
opened on 127.0.0.1: the pairing QR on the devices page and the big screen's
join QR, decoded from the rendered images, hold the hub's LAN address."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from games.live.game import create_game
from kiosk.auth import create_staff
from kiosk.db import open_db
from kiosk.network import is_loopback, lan_addresses
from tests.support.live import start_hub
from tests.support.pairing import log_in
from tests.support.qrdecode import decode_qr_codes

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000
PASSWORD = "device-address-pw"


@pytest.fixture
def lan_hub(tmp_path):
    if not lan_addresses():
        pytest.skip("this machine has no LAN address to find")
    server = start_hub(tmp_path, host="0.0.0.0")
    yield server
    server.stop()


def test_pairing_and_big_screen_qr_codes_hold_the_lan_address(browser, lan_hub):
    db = open_db(str(lan_hub.database), "NORMAL")
    try:
        create_staff(db, "organiser", PASSWORD, "admin")
        game = create_game(db, bank="core", count=1, host="test", now=0.0)
        db.conn.commit()
    finally:
        db.conn.close()
    context = browser.new_context()
    try:
        page = context.new_page()
        assert lan_hub.url.startswith("http://127.0.0.1:")
        log_in(page, lan_hub.url, "organiser", PASSWORD, "/admin/devices")
        page.locator("form.inline-form input[name=name]").first.fill("Bàn 1")
        page.locator("form.inline-form button[type=submit]").first.click()
        page.wait_for_selector("#pairing .pairing-qr svg", timeout=TIMEOUT)
        pairing = decode_qr_codes(page, "#pairing .pairing-qr")[0]["text"]
        page.goto(f"{lan_hub.url}/host/screen/{game['id']}")
        page.wait_for_selector(".gs-qr svg", timeout=TIMEOUT)
        joining = decode_qr_codes(page, ".gs-qr")[0]["text"]
    finally:
        context.close()
    for text, path in ((pairing, "/pair/"), (joining, "/play")):
        assert text, "the QR code did not decode"
        parts = urlsplit(text)
        assert not is_loopback(parts.hostname) and parts.hostname in lan_addresses(), text
        assert parts.port == lan_hub.port and parts.path.startswith(path), text
