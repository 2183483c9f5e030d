"""Issue 23, point 6: axe-core (WCAG 2.1 A and AA rules) finds no violation on any
page kind, in the states people see: results shown, errors shown, lists full.

One real hub with a small festival (zones with a reward, attendees with points
and long nicknames, a live game with players), Debian's Chromium, axe-core from
tests/vendor (tests/support/axe.py). Every violation of every page is collected
and reported at once.
"""
from __future__ import annotations

import pytest
import requests

from checkin.attendees import NewAttendee, create_attendee
from checkin.scanning import check_in
from games.live.game import create_game
from kiosk.auth import create_staff
from kiosk.db import now, open_db, transaction
from kiosk.points import award
from tests.support.axe import add_axe, axe_violations
from tests.support.festival import scanner_burst
from tests.support.live import start_hub
from tests.support.pairing import pair_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 20_000
PASSWORD = "accessibility-pw-2026"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    server = start_hub(tmp_path_factory.mktemp("a11y"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def festival(hub):
    db = open_db(str(hub.database), "NORMAL")
    try:
        create_staff(db, "organiser", PASSWORD, "admin")
        with transaction(db):
            zone = db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, capacity, sort, "
                              "created_at) VALUES ('an-toan', 'Khu An toàn trên mạng', 'Online safety zone', 'zone', "
                              "10, 600, 30, 1, ?)", [now()]).lastrowid
            quiz_zone = db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, sort, "
                                   "created_at) VALUES ('do-vui', 'Góc đố vui', 'Quiz corner', 'quiz', 10, 600, 2, ?)",
                                   [now()]).lastrowid
            db.execute("INSERT INTO passport_rules (name_vi, name_en, rule, count, reward_vi, reward_en) "
                       "VALUES ('Một khu', 'One zone', 'count', 1, 'Móc khoá', 'Key ring')")
        people = []
        for n in range(30):  # a full moderation list
            aid, token = create_attendee(db, NewAttendee(
                full_name=f"Nguyễn Văn Học {n}", age_band="16-17", nickname=f"Hiệp Sĩ Mật Khẩu {n}",
                school="THCS Thử Nghiệm", class_name="9A", consent_child=True, consent_guardian=True,
                consent_public=n % 4 != 0), "walkin", "test", check_consents=False)
            people.append((aid, token))
        with transaction(db):
            for n, (aid, _token) in enumerate(people):
                award(db, aid, 500 - n * 10, "test", f"a11y:{aid}")
                if n < 20:
                    check_in(db, dict(db.execute("SELECT * FROM attendees WHERE id = ?", [aid]).fetchone()),
                             "test", None)
        game = create_game(db, bank="core", count=2, host="test", now=0.0, title="Đấu trường an toàn")
    finally:
        db.conn.close()
    for name in ("Cáo Nhanh", "Gấu Dũng Cảm"):
        requests.post(f"{hub.url}/play/join", json={"code": game["code"], "nickname": name}, timeout=10)
    return {"zone": zone, "quiz_zone": quiz_zone, "people": people, "game": game}


def _context(browser, **kwargs):
    context = browser.new_context(**kwargs)
    add_axe(context)
    return context


def _check(page, where, problems):
    problems.extend(axe_violations(page, where))


def _report(problems):
    assert not problems, f"{len(problems)} accessibility violations:\n" + "\n".join(problems)


def test_admin_and_host_pages(browser, hub, festival):
    problems: list[str] = []
    context = _context(browser, viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.goto(f"{hub.url}/login?next=/admin/")
        page.fill("input[name=username]", "organiser")
        page.fill("input[name=password]", "wrong password")
        page.click("button[type=submit]")
        page.wait_for_selector(".alert-error", timeout=TIMEOUT)
        _check(page, "/login with an error", problems)
        page.fill("input[name=username]", "organiser")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/admin/", timeout=TIMEOUT)
        page.wait_for_selector("#mod-rows tr", timeout=TIMEOUT)
        _check(page, "/admin/ dashboard with the moderation list", problems)
        aid = festival["people"][0][0]
        game = festival["game"]
        for path in ("/admin/devices", "/admin/attendees", f"/attendees/{aid}/day", "/admin/register-poster",
                     "/admin/zones", f"/admin/zones/{festival['zone']}", "/admin/stage", "/admin/questions",
                     "/admin/exports", "/admin/audit", "/admin/report", f"/admin/attendees/{aid}/withdraw",
                     f"/badges/{aid}/label", "/badges/sheet?school=THCS+Th%E1%BB%AD+Nghi%E1%BB%87m", "/host", "/host/games",
                     f"/host/screen/{game['id']}", f"/zones/{festival['zone']}/present"):
            response = page.goto(f"{hub.url}{path}")
            assert response.status == 200, path
            page.wait_for_load_state("load")
            _check(page, path, problems)
        page.goto(f"{hub.url}/admin/devices")
        page.locator("form.inline-form input[name=name]").first.fill("Bàn 1")
        page.locator("form.inline-form button[type=submit]").first.click()
        page.wait_for_selector("#pairing", timeout=TIMEOUT)
        _check(page, "/admin/devices with a pairing link", problems)
    finally:
        context.close()
    _report(problems)


def test_public_and_phone_pages(browser, hub, festival):
    problems: list[str] = []
    context = _context(browser, viewport={"width": 360, "height": 640})
    try:
        page = context.new_page()
        token = festival["people"][1][1]
        page.goto(f"{hub.url}/register")
        _check(page, "/register", problems)
        page.fill("#full_name", "Nguyễn Thị Mai")
        page.evaluate("() => document.querySelectorAll('[required]').forEach((e) => { e.required = false; })")
        page.click("#register-submit")
        page.wait_for_selector(".alert-error", timeout=TIMEOUT)
        _check(page, "/register with errors", problems)
        page.goto(f"{hub.url}/b/{token}?new=1")
        _check(page, "/b/<token> badge on a phone, just registered", problems)
        page.goto(f"{hub.url}/b/{token}/quiz")
        page.wait_for_selector("#quiz[data-ready=true]", timeout=TIMEOUT)
        if page.is_visible("#quiz-start-button"):
            page.click("#quiz-start-button")
        page.wait_for_selector("#quiz-question:not([hidden]) .quiz-option", timeout=TIMEOUT)
        _check(page, "/b/<token>/quiz question", problems)
        page.click("#quiz-options .quiz-option[data-index='0']")
        if page.is_visible("#quiz-check"):
            page.click("#quiz-check")
        page.wait_for_selector("#quiz-feedback:not([hidden])", timeout=TIMEOUT)
        _check(page, "/b/<token>/quiz feedback", problems)
        page.goto(f"{hub.url}/play")
        _check(page, "/play join", problems)
        page.fill("#code", "000000")
        page.click("#join")
        page.wait_for_selector("#join-error:not([hidden])", timeout=TIMEOUT)
        _check(page, "/play with an error", problems)
        page.goto(f"{hub.url}/play?code={festival['game']['code']}")
        page.click("#join")
        page.wait_for_selector("#p-wait:not([hidden])", timeout=TIMEOUT)
        _check(page, "/play waiting in the lobby", problems)
        page.goto(f"{hub.url}/b/nosuchtoken0000")
        _check(page, "/b/<unknown token>", problems)
    finally:
        context.close()
    _report(problems)


def test_device_pages(browser, hub, festival):
    problems: list[str] = []
    people = festival["people"]
    context = _context(browser, viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        pair_page(page, hub.url, hub.database, "desk", name="Bàn check-in 1")
        page.wait_for_selector("body[data-desk-ready='1']", timeout=TIMEOUT)
        _check(page, "/desk idle", problems)
        scanner_burst(page, f"{hub.url}/b/{people[25][1]}")
        page.wait_for_function("() => document.querySelector('[data-level]:not([data-level=\"idle\"])')",
                               timeout=TIMEOUT)
        page.wait_for_timeout(300)
        _check(page, "/desk result shown", problems)
        pair_page(page, hub.url, hub.database, "zone", zone_id=festival["zone"], name="Kiosk khu")
        page.goto(f"{hub.url}/zone")
        page.wait_for_selector("#zone-kiosk[data-level='ready']", timeout=TIMEOUT)
        _check(page, "/zone ready", problems)
        scanner_burst(page, f"{hub.url}/b/{people[2][1]}")
        page.wait_for_selector("#rewards:not([hidden])", timeout=TIMEOUT)
        _check(page, "/zone result with a reward", problems)
        scanner_burst(page, f"{hub.url}/b/NOTAREALTOKEN00")
        page.wait_for_selector("#result[data-level='red']", timeout=TIMEOUT)
        _check(page, "/zone refused badge", problems)
        pair_page(page, hub.url, hub.database, "zone", zone_id=festival["quiz_zone"], name="Kiosk đố vui")
        page.goto(f"{hub.url}/quiz")
        page.wait_for_selector("#quiz[data-ready=true]", timeout=TIMEOUT)
        _check(page, "/quiz idle", problems)
        pair_page(page, hub.url, hub.database, "stage", name="Màn hình sân khấu")
        page.goto(f"{hub.url}/stage")
        page.wait_for_function("() => window.__festival && window.__festival.lastBoard", timeout=TIMEOUT)
        _check(page, "/stage board", problems)
    finally:
        context.close()
    _report(problems)
