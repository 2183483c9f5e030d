"""A festival day, step by step, for rehearsal tests (tests/server/test_rehearsal.py).

``Festival`` owns one festival on disk (instance folder, SQLite file, backup
folder) and a real hub (gunicorn + eventlet, tests/support/live.py). Its
steps are the organiser's: the ``festival`` command line (init, import,
backup, export, purge), staff HTTP sessions (admin login, devices paired by
their one-time links and then using their bearer credential), and reads of
every view of one fact (stored rows, desk counters, dashboard, phone page,
public boards) so a test can check that they agree. Later tests (exports,
the impact report) extend the rehearsal by adding steps here.
"""
from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import requests
import socketio

from kiosk.db import open_db
from kiosk.devices.service import create_device
from tests.support.http import ADMIN_PASSWORD
from tests.support.live import REPO, LiveServer
from tests.support.pairing import pair_page

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def new_id() -> str:
    return uuid.uuid4().hex


def scanner_burst(page, text: str) -> None:
    """A USB scanner's keystrokes, sent inside the page in one burst.

    Playwright's keyboard.type sends each key over the DevTools connection; on
    a busy machine the gaps can exceed the scanner detector's 30 ms and the
    burst then looks like a person typing. Keydown events dispatched in one
    loop have the gaps of a real scanner whatever the load.
    """
    page.evaluate("""(text) => {
        const target = document.activeElement || document.body;
        for (const key of [...text, 'Enter']) {
            target.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true, cancelable: true}));
            target.dispatchEvent(new KeyboardEvent('keyup', {key, bubbles: true}));
        }
    }""", text)


class Festival:
    """One festival's files, its hub and the steps of its day."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.instance = self.root / "instance"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.database = self.root / "festival.db"
        self.backups = self.root / "backups"
        self.hub: LiveServer | None = None

    # ------------------------------------------------------------ command line

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``festival ARGS`` on this festival's file, as the organiser would."""
        env = dict(os.environ, FESTIVAL_INSTANCE_PATH=str(self.instance), FESTIVAL_DATABASE=str(self.database),
                   PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        done = subprocess.run([sys.executable, "-c", "from kiosk.ops.commands import main; main()", *args],
                              check=False, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        if check:
            assert done.returncode == 0, f"festival {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done

    def init(self) -> None:
        self.cli("init", "--password", ADMIN_PASSWORD)

    def import_class_list(self, name: str, rows: list[dict]) -> str:
        """Write a class list as the school sends it (CSV, Vietnamese headers) and import it."""
        path = self.root / f"{name}.csv"
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["Họ và tên", "Trường", "Lớp", "Biệt danh"])
        for row in rows:
            writer.writerow([row["full_name"], row["school"], row["class_name"], row.get("nickname", "")])
        path.write_text(buffer.getvalue(), encoding="utf-8")
        return self.cli("import-attendees", str(path), "--default-age-band", "7-15").stdout

    # -------------------------------------------------------------------- hub

    def start(self) -> LiveServer:
        self.hub = LiveServer(self.instance, self.database).start()
        return self.hub

    def stop(self) -> None:
        if self.hub is not None:
            self.hub.stop()
            self.hub = None

    @property
    def url(self) -> str:
        return self.hub.url

    def admin(self) -> requests.Session:
        """A logged-in organiser (the admin made by ``festival init``)."""
        session = requests.Session()
        page = session.get(f"{self.url}/login", timeout=10)
        token = (CSRF_FIELD.search(page.text) or CSRF_META.search(page.text)).group(1)
        answer = session.post(f"{self.url}/login", data={"username": "admin", "password": ADMIN_PASSWORD,
                                                         "csrf_token": token}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:500]
        # the session's CSRF token after login, for JSON calls (header) and forms
        page = session.get(f"{self.url}/admin/", timeout=10)
        session.headers["X-CSRF-Token"] = CSRF_META.search(page.text).group(1)
        return session

    def admin_form(self, session: requests.Session, path: str, data: dict) -> requests.Response:
        """Post an admin page's form (CSRF token from the page, like the browser)."""
        page = session.get(f"{self.url}{path}", timeout=10)
        token = (CSRF_FIELD.search(page.text) or CSRF_META.search(page.text)).group(1)
        answer = session.post(f"{self.url}{path}", data={**data, "csrf_token": token},
                              headers={"X-CSRF-Token": token}, timeout=10)
        alert = re.search(r'class="alert alert-error"[^>]*>(.*?)<', answer.text)
        assert answer.status_code in (200, 302) and not alert, f"{path}: {alert and alert.group(1)}"
        return answer

    # ---------------------------------------------------------------- devices

    def _pairing_code(self, role: str, name: str, zone_id: int | None) -> tuple[int, str]:
        db = self.db()
        try:
            return create_device(db, name, role, zone_id, "admin")
        finally:
            db.conn.close()

    def device(self, role: str, name: str, zone_id: int | None = None) -> requests.Session:
        """Pair a device by its one-time link (the pairing page's form), then act with
        its bearer credential, as a scripted kiosk would."""
        device_id, code = self._pairing_code(role, name, zone_id)
        pairing = requests.Session()
        page = pairing.get(f"{self.url}/pair/{code}", timeout=10)
        token = (CSRF_FIELD.search(page.text) or CSRF_META.search(page.text)).group(1)
        pairing.post(f"{self.url}/pair/{code}", data={"csrf_token": token}, allow_redirects=False, timeout=10)
        credential = pairing.cookies.get("festival_device")
        assert credential, f"pairing {role} {name} failed"
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {credential}"
        session.device_id = device_id
        session.credential = credential
        return session

    def pair_browser(self, page, role: str, name: str, zone_id: int | None = None) -> int:
        """Pair a real browser page by its link (the hub answers with the role's start page)."""
        return pair_page(page, self.url, self.database, role, zone_id=zone_id, name=name)

    # ---------------------------------------------------------- staff actions

    def scan(self, device: requests.Session, text: str) -> dict:
        answer = device.post(f"{self.url}/api/scans", json={"id": new_id(), "text": text}, timeout=10)
        assert answer.status_code < 500, answer.text
        return answer.json()

    def badge_url(self, token: str) -> str:
        return f"{self.url}/b/{token}"

    # ------------------------------------------------------------------ reads

    def db(self):
        return open_db(str(self.database), "NORMAL")

    def rows(self, sql: str, params=()) -> list[dict]:
        db = self.db()
        try:
            return [dict(r) for r in db.execute(sql, params).fetchall()]
        finally:
            db.conn.close()

    def value(self, sql: str, params=()):
        rows = self.rows(sql, params)
        return next(iter(rows[0].values())) if rows else None

    def checked_in_stored(self) -> int:
        return self.value("SELECT COUNT(*) FROM attendees WHERE checked_in_at IS NOT NULL AND purged_at IS NULL")

    def token_of(self, attendee_id: int) -> str:
        return self.value("SELECT token FROM badges WHERE attendee_id = ? AND revoked_at IS NULL "
                          "ORDER BY issued_at DESC, rowid DESC LIMIT 1", [attendee_id])

    def ledger_sum(self, attendee_id: int) -> int:
        return self.value("SELECT COALESCE(SUM(points), 0) FROM ledger WHERE attendee_id = ?", [attendee_id])

    def phone_points(self, token: str) -> int:
        """The points the attendee's own phone page (/b/<token>) shows."""
        page = requests.get(self.badge_url(token), timeout=10).text
        found = re.search(r'id="passport-points">(\d+)<', page)
        assert found, "the phone page shows no points"
        return int(found.group(1))

    def dashboard(self, admin: requests.Session) -> dict:
        answer = admin.get(f"{self.url}/admin/dashboard.json", timeout=10)
        assert answer.status_code == 200, answer.text[:300]
        return answer.json()

    def boards(self, stage: requests.Session, board_ids: list[str]) -> dict[str, dict]:
        """The public boards as a stage screen receives them (/public, stage credential)."""
        client = socketio.Client(reconnection=False)
        try:
            client.connect(self.url, namespaces=["/public"], transports=["websocket"],
                           headers={"Authorization": f"Bearer {stage.credential}"}, wait_timeout=10)
            answer = client.call("subscribe", {"boards": board_ids}, namespace="/public", timeout=10)
        finally:
            client.disconnect()
        assert answer and answer.get("ok"), answer
        return {b["board"]: b for b in answer["boards"]}

    def audit_actions(self) -> list[tuple[str, str]]:
        return [(r["actor"], r["action"]) for r in self.rows("SELECT actor, action FROM audit_log ORDER BY id")]
