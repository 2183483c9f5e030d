"""Never lose the hub: three zone kiosks (real Chromium, the real outbox) scan
against a real gunicorn hub replicated by a real Litestream; the hub is
SIGKILLed and its files deleted; `festival takeover` restores the replica on
another port (another host name, so no cookie of the hub's travels); the
kiosks follow it without a reload, replay what the dead hub acknowledged,
and every acknowledged scan is on the standby exactly once.

Replication normally runs about a second behind. To make "acknowledged but
not yet in the replica" certain rather than a race, the test freezes
Litestream (SIGSTOP) before the last burst of scans: those scans exist only
in the dead hub and in the kiosks' memory of what was acknowledged.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from checkin.attendees import NewAttendee, create_attendee
from kiosk import create_app
from kiosk.boards.compute import compute_board
from kiosk.db import now, open_db
from kiosk.ops.replication import restore_replica
from tests.support.live import REPO, LiveServer, free_port
from tests.support.pairing import pair_page

pytestmark = [pytest.mark.server, pytest.mark.browser]

KIOSKS = 3
POINTS = 10
PER_PHASE = 4  # scans per kiosk in each phase


def seed(database: Path, people: int):
    """Three zones, ``people`` checked-in attendees; returns (zone ids, tokens)."""
    db = open_db(str(database), "NORMAL")
    try:
        zones = []
        for n in range(KIOSKS):
            zones.append(db.execute(
                "INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, created_at) "
                "VALUES (?, ?, ?, 'vr_ar', ?, 600, ?)",
                [f"z{n}", f"Khu {n}", f"Zone {n}", POINTS, now()]).lastrowid)
        db.conn.commit()
        tokens = []
        for n in range(people):
            data = NewAttendee(full_name=f"Lê Văn Khách {n}", age_band="16-17", consent_child=True,
                               consent_guardian=True, consent_public=True)
            tokens.append(create_attendee(db, data, "walkin", "test", check_consents=False)[1])
        db.execute("UPDATE attendees SET checked_in_at = ?", [now()])
        db.conn.commit()
        return zones, tokens
    finally:
        db.conn.close()


def wedge(page, text):
    """One badge scan through the kiosk's own scan() (as its wedge and camera
    handlers call it; typing is tested in tests/browser, and a loaded machine
    can stretch typed bursts past the wedge detector's threshold)."""
    page.evaluate("(text) => { window.__festival.scan(text); }", text)


def wait_outbox(page, count=0, timeout=60_000):
    page.wait_for_selector(f'#zone-kiosk[data-outbox="{count}"]', state="attached", timeout=timeout)


def acknowledged(page) -> list[str]:
    return page.evaluate("window.__festival.outbox.acknowledged().map((e) => e.item.id)")


def litestream_pids(group: int) -> list[int]:
    """Litestream processes in the hub's process group (children of its worker)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        if comm == "litestream" and int(fields[2]) == group:
            pids.append(int(entry.name))
    return pids


def ids_in(path: Path) -> set[str]:
    db = open_db(str(path), "NORMAL")
    try:
        return {r[0] for r in db.execute("SELECT id FROM scans")}
    finally:
        db.conn.close()


def restored_ids(replica_url: str, scratch: Path) -> set[str]:
    target = scratch / "check.db"
    restore_replica(replica_url, str(target), str(scratch))
    return ids_in(target)


def wait_for(predicate, timeout=30.0, every=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def test_kiosks_fail_over_to_the_standby_and_lose_no_acknowledged_scan(tmp_path, browser):
    hub_instance, standby_instance, scratch = (tmp_path / "hub", tmp_path / "standby", tmp_path / "scratch")
    for folder in (hub_instance, standby_instance, scratch):
        folder.mkdir()
    hub_db = tmp_path / "hub-data" / "festival.db"
    hub_db.parent.mkdir()
    create_app({"INSTANCE_PATH": str(hub_instance), "DATABASE": str(hub_db), "ASYNC_MODE": "threading"})
    zones, tokens = seed(hub_db, people=KIOSKS * PER_PHASE * 4)
    replica_url = f"file://{tmp_path / 'usb-stick' / 'festival'}"
    standby_port = free_port()
    standby_url = f"http://localhost:{standby_port}"  # another host than the hub's 127.0.0.1
    hub = LiveServer(hub_instance, hub_db, env={"FESTIVAL_REPLICA_URL": replica_url,
                                                "FESTIVAL_STANDBY_URLS": f'["{standby_url}"]'}).start()
    standby = None
    contexts = []
    try:
        pages = []
        for n, zone in enumerate(zones):
            context = browser.new_context()
            contexts.append(context)
            page = context.new_page()
            pair_page(page, hub.url, hub_db, "zone", zone, name=f"Kiosk {n}")
            page.wait_for_url(f"{hub.url}/zone")
            page.wait_for_function("() => window.__festival !== undefined && window.__festival.outbox.hubId !== null")
            pages.append(page)
        hub_id = requests.get(hub.url + "/healthz", timeout=5).json()["hub"]
        batches = iter([tokens[i:i + PER_PHASE] for i in range(0, len(tokens), PER_PHASE)])

        def scan_round():
            for page in pages:
                for token in next(batches):
                    wedge(page, token)
            for page in pages:
                wait_outbox(page)

        # Phase 1: scans acknowledged by the hub and replicated.
        scan_round()
        phase1 = {i for page in pages for i in acknowledged(page)}
        assert len(phase1) == KIOSKS * PER_PHASE
        assert wait_for(lambda: phase1 <= restored_ids(replica_url, scratch), timeout=30), \
            "the replica never caught up"

        # Phase 2: Litestream falls behind (frozen); the hub still acknowledges.
        frozen = litestream_pids(hub.proc.pid)
        assert frozen, "litestream is not running under the hub"
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        scan_round()
        acked = {i for page in pages for i in acknowledged(page)}
        phase2 = acked - phase1
        assert len(phase2) == KIOSKS * PER_PHASE

        # The hub dies with its files.
        hub.kill()
        for path in hub_db.parent.iterdir():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        in_replica = restored_ids(replica_url, scratch)
        assert phase1 <= in_replica and not (phase2 & in_replica)  # the replica alone lacks phase 2

        # While no hub answers, the kiosks keep scanning into their outboxes.
        offline = []
        for page in pages:
            wedge(page, next(batches)[0])
        for page in pages:
            wait_outbox(page, 1)
            offline += page.evaluate("window.__festival.outbox.pending().map((i) => i.id)")

        # Takeover on the standby laptop, with the hub's secret key copied there beforehand.
        shutil.copy(hub_instance / "secret_key", standby_instance / "secret_key")
        standby_db = tmp_path / "standby-data" / "festival.db"
        env = dict(os.environ, FESTIVAL_INSTANCE_PATH=str(standby_instance),
                   PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        env.pop("FESTIVAL_DATABASE", None)
        log = open(standby_instance / "takeover.log", "ab")
        standby = subprocess.Popen(
            [sys.executable, "-c", "from kiosk.ops.commands import main; main()", "takeover", replica_url,
             "--db", str(standby_db), "--host", "127.0.0.1", "--port", str(standby_port)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

        def standby_up():
            try:
                return requests.get(f"http://127.0.0.1:{standby_port}/healthz", timeout=1).ok
            except requests.RequestException:
                return False

        assert wait_for(standby_up, timeout=60, every=0.2), (standby_instance / "takeover.log").read_text()
        standby_id = requests.get(f"http://127.0.0.1:{standby_port}/healthz", timeout=5).json()["hub"]
        assert standby_id != hub_id

        # The kiosks follow on their own (no reload), send what waited and replay phase 2.
        for page in pages:
            wait_outbox(page, 0, timeout=90_000)
            assert page.evaluate("window.__festival.link.current") == standby_url
        # And they scan against the standby again, with real answers.
        phase3 = []
        for page in pages:
            token = next(batches)[0]
            reply = page.evaluate("(t) => window.__festival.scan(t)", token)
            assert reply.get("status") == 200 and reply["body"]["result"] == "zone_visit", reply
            phase3.append(page.evaluate("window.__festival.outbox.acknowledged().slice(-1)[0].item.id"))
        for page in pages:
            assert page.evaluate("window.__festival.outbox.rejected().length") == 0

        expected = phase1 | phase2 | set(offline) | set(phase3)
        db = open_db(str(standby_db), "NORMAL")
        try:
            rows = db.execute("SELECT id, result FROM scans").fetchall()
            stored = [r["id"] for r in rows]
            assert sorted(stored) == sorted(expected)  # every one of them, and each once
            assert {r["result"] for r in rows} == {"zone_visit"}
            assert db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == len(expected)
            ledger = dict(db.execute("SELECT attendee_id, SUM(points) FROM ledger GROUP BY attendee_id").fetchall())
            assert sum(ledger.values()) == POINTS * len(expected)
            totals = dict(db.execute("SELECT attendee_id, points FROM point_totals WHERE points > 0").fetchall())
            assert totals == ledger
            secret = (standby_instance / "secret_key").read_text().strip()
            board = compute_board(db, "overall", secret)
            top = sorted(ledger.values(), reverse=True)[:len(board["rows"])]
            assert [row["score"] for row in board["rows"]] == top and board["rows"]
            for zone in zones:
                zone_rows = compute_board(db, f"zone:{zone}", secret)["rows"]
                assert zone_rows and {row["score"] for row in zone_rows} == {POINTS}
            # The takeover is in the standby's audit log.
            assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'replication.takeover'").fetchone()[0] == 1
        finally:
            db.conn.close()
    finally:
        for context in contexts:
            context.close()
        hub.stop()
        if standby is not None and standby.poll() is None:
            os.killpg(standby.pid, signal.SIGTERM)
            try:
                standby.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(standby.pid, signal.SIGKILL)
                standby.wait(timeout=5)
