"""Issue 21: the bundles phones load (kiosk/assets.py, tools/assets/build.py) and the
static layer in front of Flask (WhiteNoise): content hashes, the manifest's staleness
check, cache headers, gzip, 304s, and the lean play page."""
from __future__ import annotations

import gzip
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from bench.firstvisit import references
from kiosk import assets, create_app
from kiosk.crowdgate import CrowdGate

STATIC = Path(__file__).resolve().parents[2] / "static"
REBUILD = "run python3 tools/assets/build.py and commit static/bundle/"


def test_the_committed_bundles_match_their_sources():
    problems = assets.stale(STATIC)
    assert not problems, f"stale bundles ({REBUILD}): {problems}"


def test_every_declared_bundle_is_in_the_manifest_and_named_by_its_content():
    manifest = assets.load_manifest(STATIC)
    assert set(manifest) == set(assets.BUNDLES)
    for name, entry in manifest.items():
        data = (STATIC / entry["file"]).read_bytes()
        assert Path(entry["file"]).name == assets.hashed_name(name, data)
        assert gzip.decompress((STATIC / (entry["file"] + ".gz")).read_bytes()) == data


def test_a_changed_source_makes_its_bundles_stale(tmp_path):
    copy = tmp_path / "static"
    shutil.copytree(STATIC / "css", copy / "css")
    shutil.copytree(STATIC / "js", copy / "js")
    shutil.copytree(STATIC / "vendor", copy / "vendor")
    shutil.copytree(STATIC / assets.BUNDLE_DIR, copy / assets.BUNDLE_DIR)
    assert assets.stale(copy) == []
    with open(copy / "css" / "game.css", "a", encoding="utf-8") as f:
        f.write("\n.new-rule { color: red; }\n")
    with open(copy / "js" / "common.js", "a", encoding="utf-8") as f:
        f.write("\nexport const added = 1;\n")
    problems = " ".join(assets.stale(copy))
    assert "play.css: css/game.css changed" in problems
    assert "play.js: js/common.js changed" in problems and "register.js: js/common.js changed" in problems
    assert "attendee.css" not in problems  # it is not built from game.css


def test_a_missing_or_damaged_bundle_is_reported(tmp_path):
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy, ignore=shutil.ignore_patterns("vendor"))
    entry = assets.load_manifest(copy)["play.css"]
    (copy / entry["file"]).write_bytes(b"body{}")
    (copy / (assets.load_manifest(copy)["play.js"]["file"] + ".gz")).unlink()
    problems = " ".join(assets.stale(copy))
    assert "play.css: bundle/play." in problems and "does not match" in problems
    assert "play.js: bundle file or its .gz missing" in problems
    (copy / assets.MANIFEST).unlink()
    assert all(p.endswith("not built") for p in assets.stale(copy))


def test_hashed_names_follow_the_content():
    assert assets.hashed_name("play.css", b"a") == assets.hashed_name("play.css", b"a")
    assert assets.hashed_name("play.css", b"a") != assets.hashed_name("play.css", b"b")
    assert re.fullmatch(r"play\.[0-9a-f]{10}\.css", assets.hashed_name("play.css", b"a"))


def test_gzip_copies_are_deterministic():
    assert assets.gzipped(b"x" * 1000) == assets.gzipped(b"x" * 1000)
    assert gzip.decompress(assets.gzipped(b"hello")) == b"hello"


def test_stylesheets_are_concatenated_in_order_and_refuse_what_would_break(tmp_path):
    (tmp_path / "a.css").write_text("a { color: red }\n", encoding="utf-8")
    (tmp_path / "b.css").write_text("b { background: url(data:image/png;base64,AAA) }", encoding="utf-8")
    out = assets.concatenate_css(tmp_path, ["a.css", "b.css"]).decode()
    assert out.index("a { color") < out.index("b { background")
    for bad in ("@import 'x.css';", "c { background: url(img/x.png) }", "c { background: url('../x.png') }"):
        (tmp_path / "c.css").write_text(bad, encoding="utf-8")
        with pytest.raises(ValueError):
            assets.concatenate_css(tmp_path, ["a.css", "c.css"])


def _first_visit(client, page: str) -> dict:
    """Every file ``page`` references, recursively, as a browser's first visit loads them."""
    seen, queue, out = {page}, [page], {}
    while queue:
        path = queue.pop(0)
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        out[path] = response
        body = response.data
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        for ref in references(response.headers.get("Content-Type", ""), body, path):
            if ref not in seen:
                seen.add(ref)
                queue.append(ref)
    return out


def test_the_play_page_loads_one_stylesheet_and_one_script_cached_forever(client):
    visit = _first_visit(client, "/play?code=123456")
    assert list(visit)[0] == "/play?code=123456" and len(visit) == 3, list(visit)
    page = visit["/play?code=123456"]
    assert page.status_code == 200 and "Set-Cookie" not in page.headers  # no session for a phone
    assert b'name="csrf-token"' not in page.data and b"<script>" not in page.data
    assert b'rel="icon" href="data:image/svg+xml,' in page.data
    for path, response in list(visit.items())[1:]:
        assert path.startswith("/static/bundle/"), path
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    types = sorted(r.mimetype for r in list(visit.values())[1:])
    assert types == ["text/css", "text/javascript"]


def test_without_gzip_a_bundle_comes_plain(client):
    url = assets.load_manifest(STATIC)["play.js"]["file"]
    response = client.get(f"/static/{url}")
    assert "Content-Encoding" not in response.headers
    assert response.data == (STATIC / url).read_bytes()


def test_other_static_files_revalidate_with_an_etag(client):
    first = client.get("/static/css/app.css")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    again = client.get("/static/css/app.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/static/css/no-such-file.css").status_code == 404


def test_the_play_page_is_rendered_once_per_language_and_link(app, client):
    vi = client.get("/play?code=123456").data
    assert client.get("/play?code=123456").data == vi
    client.set_cookie("lang", "en")
    en = client.get("/play?code=123456").data
    assert en != vi and b"Join the live game" in en and b'value="123456"' in en
    assert b'value="654321"' in client.get("/play?code=654321").data
    assert len(app.extensions["festival_shared_pages"]) == 3


def test_the_shared_page_cache_is_bounded(app, client, monkeypatch):
    monkeypatch.setattr(assets, "SHARED_PAGES", 4)
    for i in range(10):
        assert client.get(f"/play?code={i:06d}").status_code == 200
    assert len(app.extensions["festival_shared_pages"]) == 4


@pytest.mark.parametrize("page", ["/register"])
def test_register_loads_bundles_only(client, page):
    visit = _first_visit(client, page)
    assert [p for p in visit if not p.startswith("/static/bundle/")] == [page], list(visit)
    assert all(r.status_code == 200 for r in visit.values())


def test_the_session_signer_is_built_once_per_secret_key(app, client):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    old = app.secret_key
    app.secret_key = "another key for this test"
    try:
        assert interface.get_signing_serializer(app) is not first
    finally:
        app.secret_key = old
    assert interface.get_signing_serializer(app).loads(first.dumps({"a": 1})) == {"a": 1}


# ---------------------------------------------------------------- staff first (kiosk/crowdgate.py)

def test_the_gate_lets_only_so_many_phone_requests_in_and_staff_always():

    inside, most, release = [0], [0], threading.Event()
    lock = threading.Lock()

    def app(environ, start_response):
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        if environ["PATH_INFO"] == "/play":
            release.wait(5)
        with lock:
            inside[0] -= 1
        return [environ["PATH_INFO"].encode()]

    gate = CrowdGate(app, 2)
    phones = [threading.Thread(target=gate, args=({"PATH_INFO": "/play"}, None)) for _ in range(6)]
    for t in phones:
        t.start()
    deadline = time.monotonic() + 5
    while inside[0] < 2 and time.monotonic() < deadline:
        time.sleep(0.001)
    # staff pass the full gate at once: a desk's scan, a device's page, a bearer credential
    assert gate({"PATH_INFO": "/api/scans"}, None) == [b"/api/scans"]
    assert gate({"PATH_INFO": "/static/js/desk.js", "HTTP_COOKIE": "lang=vi; festival_device=x"}, None)
    assert gate({"PATH_INFO": "/play/join", "HTTP_AUTHORIZATION": "Bearer x"}, None)
    release.set()
    for t in phones:
        t.join(5)
    assert most[0] <= 2 + 1  # two phones, and the one staff request that went past them


def test_the_gate_knows_phone_requests():

    gate = CrowdGate(lambda e, s: [], 1)
    for path in ("/play", "/play/join", "/b/ABC/play", "/register", "/static/bundle/play.1.js"):
        assert gate.is_phone({"PATH_INFO": path}), path
    for path in ("/api/scans", "/desk", "/socket.io/", "/host", "/healthz"):
        assert not gate.is_phone({"PATH_INFO": path}), path


def test_the_gate_is_in_front_of_the_app_unless_turned_off(app, tmp_path):
    assert isinstance(app.wsgi_app, CrowdGate)
    off = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
                      "ASYNC_MODE": "threading", "PHONE_REQUESTS_AT_ONCE": 0})
    assert not isinstance(off.wsgi_app, CrowdGate)
