"""Real-browser tests for static/js/scanner.js (wedge scanners, camera, tokens).

Debian's Chromium (/usr/bin/chromium) is driven by Playwright; never a
downloaded browser. A local http.server on 127.0.0.1 serves static/ and the
test page from tests/support/. The camera is Chromium's fake device playing a
Y4M file with a QR code (tests/support/fakecam.py).
"""

from __future__ import annotations

import json
import posixpath
import threading
import urllib.parse
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.support import fakecam

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
SUPPORT = REPO / "tests" / "support"
# No eval and nothing from other origins, as kiosk.security's policy.
# WebAssembly needs 'wasm-unsafe-eval' (not 'unsafe-eval'); 'unsafe-inline'
# is only for the test page's inline harness.
CSP = "default-src 'self'; script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'"
# Playwright already disables background networking; said again because
# these tests assert that nothing leaves the machine.
BASE_ARGS = ["--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--disable-quic"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]


class _Handler(SimpleHTTPRequestHandler):
    """Serves /static/ from the repo and /support/ from tests/support/, nothing else."""

    roots = {"/static/": REPO / "static", "/support/": SUPPORT}
    # Browsers refuse module scripts with a wrong MIME type, and
    # WebAssembly.instantiateStreaming wants application/wasm.
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".html": "text/html; charset=utf-8",
    }

    def end_headers(self):
        # "?csp" puts the page under the app's kind of policy. Not always on:
        # the offline test must see (and abort) a request a CSP would hide.
        if urllib.parse.urlsplit(self.path).query == "csp":
            self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def translate_path(self, path):
        path = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
        for prefix, root in self.roots.items():
            if path.startswith(prefix):
                rel = posixpath.normpath(path[len(prefix):] or ".")
                if rel.startswith(("../", "/")) or rel == "..":
                    break
                return str(root / rel)
        return str(REPO / "nonexistent")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def pw(request):
    """pytest-playwright's session Playwright when present (two sync instances
    cannot run in one thread), else our own."""
    try:
        shared = request.getfixturevalue("playwright")
    except pytest.FixtureLookupError:
        shared = None
    if shared is not None:
        yield shared
    else:
        with sync_playwright() as p:
            yield p


@pytest.fixture(scope="module")
def chromium_browser(pw):
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=BASE_ARGS)
    yield browser
    browser.close()


def open_page(browser, url, allowed_hosts=("127.0.0.1",)):
    """Open `url` in a fresh context whose requests to any other host are aborted.

    Returns (page, blocked): `blocked` lists the URLs that tried to leave.
    """
    context = browser.new_context()
    blocked = []

    def guard(route):
        if urllib.parse.urlsplit(route.request.url).hostname in allowed_hosts:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.scannerReady === true")
    return page, blocked


@pytest.fixture
def scan_page(chromium_browser, server):
    page, _ = open_page(chromium_browser, server + "/support/scanner_page.html")
    # Record every wedge scan the page sees.
    page.evaluate("""() => {
        window.scans = [];
        window.stopWedge = scanner.listenForWedge((text, info) => scans.push({ text, ...info }));
    }""")
    yield page
    page.context.close()


def launch_camera_browser(pw, y4m, extra_args=()):
    return pw.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            *BASE_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={Path(y4m).resolve()}",
            *extra_args,
        ],
    )


START_CAMERA = """async (options) => {
    delete window.BarcodeDetector;  // force the vendored polyfill, whatever the browser has
    window.camScans = [];
    try {
        window.cam = await scanner.startCamera(document.getElementById("cam"), (text) => camScans.push(text), options);
        return { decoder: cam.decoder };
    } catch (err) {
        return { error: err.code || String(err), vi: err.vi, en: err.en };
    }
}"""


# ----------------------------------------------------------------- wedge --

def test_scanner_burst_into_focused_input_is_a_scan_and_leaves_input_clean(scan_page):
    scan_page.click("#search")
    scan_page.keyboard.type("ngu", delay=80)  # the volunteer had started a name search
    scan_page.wait_for_timeout(400)
    scan_page.keyboard.type("7KQ3M9XPA2TR4WCH", delay=5)
    assert scan_page.input_value("#search") == "ngu7KQ3M9XPA2TR4WCH"  # as a real scanner would
    scan_page.keyboard.press("Enter")

    scans = scan_page.evaluate("scans")
    assert [(s["text"], s["mangled"], s["keys"]) for s in scans] == [("7KQ3M9XPA2TR4WCH", False, 16)]
    assert scan_page.input_value("#search") == "ngu"
    assert scan_page.evaluate("submits") == 0  # the scanner's Enter did not submit the search


def test_scanner_burst_with_nothing_focused_is_a_scan(scan_page):
    scan_page.keyboard.type("https://hub.local/b/7kq3m9xpa2tr", delay=5)
    scan_page.keyboard.press("Enter")
    scans = scan_page.evaluate("scans")
    assert [s["text"] for s in scans] == ["https://hub.local/b/7kq3m9xpa2tr"]
    assert scan_page.evaluate("scanner.extractToken(scans[0].text)") == "7KQ3M9XPA2TR"


def test_human_typing_is_not_a_scan(scan_page):
    scan_page.click("#search")
    scan_page.keyboard.type("nguyen van an", delay=80)
    scan_page.keyboard.press("Enter")
    assert scan_page.evaluate("scans") == []
    assert scan_page.input_value("#search") == "nguyen van an"
    assert scan_page.evaluate("submits") == 1  # a person's Enter still searches


def test_short_fast_burst_is_not_a_scan(scan_page):
    scan_page.keyboard.type("ok", delay=5)
    scan_page.keyboard.press("Enter")
    assert scan_page.evaluate("scans") == []


def test_input_method_mangled_scan_is_flagged(scan_page):
    # What Telex makes of a scanner typing "DD..AA..": Đ and Â arrive as keys.
    # Playwright's keyboard knows no "Đ", so send raw key events over CDP.
    scan_page.click("#search")
    cdp = scan_page.context.new_cdp_session(scan_page)
    for ch in "ĐKQ3M9XPÂTR4WCH":
        cdp.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": ch, "text": ch, "unmodifiedText": ch})
        cdp.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": ch})
    assert scan_page.input_value("#search") == "ĐKQ3M9XPÂTR4WCH"
    scan_page.keyboard.press("Enter")
    scans = scan_page.evaluate("scans")
    assert len(scans) == 1
    assert scans[0]["mangled"] is True
    assert scan_page.input_value("#search") == ""


def test_stop_listening(scan_page):
    scan_page.evaluate("stopWedge()")
    scan_page.keyboard.type("7KQ3M9XPA2TR4WCH", delay=5)
    scan_page.keyboard.press("Enter")
    assert scan_page.evaluate("scans") == []


# ---------------------------------------------------------------- camera --

def test_camera_decodes_fake_qr_offline(pw, server, tmp_path):
    text = "https://hub.local/b/7KQ3M9XPA2TR4WCH"
    y4m = fakecam.write_qr_y4m(tmp_path / "badge.y4m", text)
    browser = launch_camera_browser(pw, y4m)
    try:
        page, blocked = open_page(browser, server + "/support/scanner_page.html")
        wasm_types = []
        page.on("response", lambda r: r.url.endswith(".wasm") and wasm_types.append(r.headers.get("content-type")))

        # The guard works: a request to anywhere else is aborted and recorded.
        assert page.evaluate("fetch('https://cdn.example.org/x').then(() => 'ok', () => 'failed')") == "failed"
        assert blocked == ["https://cdn.example.org/x"]
        blocked.clear()

        assert page.evaluate(START_CAMERA, {}) == {"decoder": "polyfill"}
        page.wait_for_function("() => camScans.length > 0", timeout=20_000)
        assert page.evaluate("camScans") == [text]
        # The same badge stays in view: still one scan.
        page.wait_for_timeout(1000)
        assert page.evaluate("camScans") == [text]

        assert blocked == []  # zxing-wasm did not try its CDN or anything else
        assert wasm_types == ["application/wasm"]
        page.evaluate("cam.stop()")
        assert page.evaluate("document.getElementById('cam').srcObject") is None
    finally:
        browser.close()


def test_camera_works_under_strict_csp(pw, server, tmp_path):
    y4m = fakecam.write_qr_y4m(tmp_path / "badge.y4m", "7KQ3M9XPA2TR4WCH", size_px=200)
    browser = launch_camera_browser(pw, y4m)
    try:
        page, blocked = open_page(browser, server + "/support/scanner_page.html?csp")
        page.evaluate("""() => {
            window.violations = [];
            document.addEventListener("securitypolicyviolation", (e) => violations.push(e.violatedDirective));
        }""")
        assert page.evaluate(START_CAMERA, {}) == {"decoder": "polyfill"}
        page.wait_for_function("() => camScans.length > 0", timeout=20_000)
        assert page.evaluate("camScans") == ["7KQ3M9XPA2TR4WCH"]
        assert page.evaluate("violations") == []
        assert blocked == []
    finally:
        browser.close()


def test_camera_missing_device_is_no_camera(pw, server, tmp_path):
    browser = launch_camera_browser(pw, tmp_path / "missing.y4m")
    try:
        page, blocked = open_page(browser, server + "/support/scanner_page.html")
        result = page.evaluate(START_CAMERA, {})
        assert result["error"] == "no_camera"
        assert result["vi"] and result["en"]
        assert blocked == []
    finally:
        browser.close()


def test_camera_without_wasm_is_decoder_unavailable(pw, server, tmp_path):
    y4m = fakecam.write_qr_y4m(tmp_path / "badge.y4m", "X")
    browser = launch_camera_browser(pw, y4m)
    try:
        page, blocked = open_page(browser, server + "/support/scanner_page.html")
        result = page.evaluate(START_CAMERA, {"wasmUrl": "/static/vendor/missing.wasm"})
        assert result["error"] == "decoder_unavailable"
        assert page.evaluate("document.getElementById('cam').srcObject") is None
        assert blocked == []
    finally:
        browser.close()


def test_camera_on_insecure_origin_is_insecure_context(pw, server, tmp_path):
    # Plain http on a name that is not localhost is not a secure context, as a
    # kiosk reaching the hub at http://192.168.x.y is; the name resolves to
    # 127.0.0.1, so no traffic leaves the machine.
    y4m = fakecam.write_qr_y4m(tmp_path / "badge.y4m", "X")
    port = urllib.parse.urlsplit(server).port
    browser = launch_camera_browser(pw, y4m, ["--host-resolver-rules=MAP kiosk.test 127.0.0.1"])
    try:
        page, blocked = open_page(browser, f"http://kiosk.test:{port}/support/scanner_page.html",
                                  allowed_hosts=("kiosk.test",))
        assert page.evaluate("window.isSecureContext") is False
        result = page.evaluate(START_CAMERA, {})
        assert result["error"] == "insecure_context"
        assert f"http://kiosk.test:{port}" in result["en"]
        assert f"http://kiosk.test:{port}" in result["vi"]
        assert blocked == []
    finally:
        browser.close()


# ----------------------------------------------------------------- token --

@pytest.mark.parametrize("raw, token", [
    ("7kq3m9xpa2tr", "7KQ3M9XPA2TR"),
    ("  7KQ3M9XPA2TR \n", "7KQ3M9XPA2TR"),
    ("https://hub.local/b/7kq3m9xpa2tr", "7KQ3M9XPA2TR"),
    ("http://192.168.1.10:5000/b/7kq3m9xpa2tr?src=badge#top", "7KQ3M9XPA2TR"),
    ("http://hub.local/b/7kq3m9xpa2tr/", "7KQ3M9XPA2TR"),
    ("hub.local/b/7kq3m9xpa2tr", "7KQ3M9XPA2TR"),
    ("/b/Ab12", "AB12"),
    ("https://hub.local/about", None),
    ("", None),
    ("   ", None),
])
def test_extract_token(scan_page, raw, token):
    assert scan_page.evaluate(f"scanner.extractToken({json.dumps(raw)})") == token
