"""Issue 21: a phone's first visit to a freshly installed hub, started as an organiser
starts it (``festival serve`` on a new folder): the play page, the badge page and
/register each load every file they reference (recursively, over one keep-alive
connection, from the phone's own address), every file with the right cache headers:
bundles immutable and gzipped, other files an ETag answered with 304 on revalidation."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from bench.firstvisit import Connection, first_visit, phone_address
from tests.support.live import REPO, free_port, stop_group

START = "import sys; from kiosk.ops.commands import main; sys.argv = ['festival'] + sys.argv[1:]; main()"
IMMUTABLE = "public, max-age=31536000, immutable"


def _serve(tmp_path):
    instance, database = tmp_path / "instance", tmp_path / "festival.db"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FESTIVAL_")}
    env.update({"FESTIVAL_INSTANCE_PATH": str(instance),
                "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    log = open(tmp_path / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", START, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--db", str(database)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, port, database
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
        time.sleep(0.2)


def _game_and_badge(database) -> tuple[str, str]:
    from checkin.attendees import NewAttendee, create_attendee
    from games.live import game as live
    from kiosk.db import open_db

    db = open_db(str(database), "NORMAL")
    try:
        code = live.create_game(db, bank=None, count=2, host="test", now=time.time(), time_limit=30)["code"]
        _, token = create_attendee(db, NewAttendee(full_name="Trần Thị Lan", age_band="7-15", nickname="Sóc 7",
                                                   consent_child=True, consent_guardian=True),
                                   source="walkin", by="test")
        return code, token
    finally:
        db.conn.close()


async def _visits(port: int, pages: list[str]) -> dict:
    out = {}
    for i, page in enumerate(pages):
        conn = Connection("127.0.0.1", port, phone_address(i))
        try:
            out[page] = await first_visit(conn, page, 30)
            # revalidating every file it loaded, as the browser does on its next visit
            out[page + " again"] = [await conn.request("GET", r.path, 30, headers={
                "If-None-Match": r.headers["etag"]}) for r in out[page].responses[1:] if "etag" in r.headers]
        finally:
            conn.close()
    return out


@pytest.mark.server
def test_a_phones_first_visit_loads_every_file_with_the_right_cache_headers(tmp_path):
    proc, port, database = _serve(tmp_path)
    try:
        code, token = _game_and_badge(database)
        pages = [f"/play?code={code}", f"/b/{token}", "/register", f"/b/{token}/play?code={code}"]
        # In a thread of its own: after a Playwright test, the session's main thread has
        # an asyncio loop running, and asyncio.run refuses to start a second one there.
        with ThreadPoolExecutor(1) as worker:
            visits = worker.submit(asyncio.run, _visits(port, pages)).result()
    finally:
        stop_group(proc)
    for page in pages:
        visit = visits[page]
        assert visit.failed == [] and visit.responses[0].status == 200, (page, visit.failed)
        files = visit.responses[1:]
        assert files, page
        for r in files:
            assert r.status == 200, (page, r.path)
            assert r.path.startswith("/static/bundle/"), (page, r.path)  # one bundle per kind, nothing else
            assert r.headers["cache-control"] == IMMUTABLE, (page, r.path, r.headers)
            assert r.headers.get("content-encoding") == "gzip", (page, r.path)
            assert r.headers["content-type"].split(";")[0] in ("text/css", "text/javascript")
        assert len(files) <= 2, [r.path for r in files]
        assert all(r.status == 304 and r.body == b"" for r in visits[page + " again"])
    play = visits[pages[0]].responses[0]
    assert "set-cookie" not in play.headers  # the play page opens no session
    assert [r.path.rsplit(".", 1)[-1] for r in visits[pages[0]].responses[1:]] == ["css", "js"]
    assert (tmp_path / "serve.log").read_text(errors="replace").count("Traceback") == 0


@pytest.mark.server
def test_a_file_outside_the_bundles_revalidates_with_an_etag(tmp_path):
    proc, port, _ = _serve(tmp_path)
    try:
        url = f"http://127.0.0.1:{port}/static/css/app.css"
        first = requests.get(url, timeout=10)
        again = requests.get(url, headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    finally:
        stop_group(proc)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    assert again.status_code == 304
