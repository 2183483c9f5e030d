"""Every screen at the sizes it is used at (issue 12, point 2).

One real hub (gunicorn + eventlet) and Debian's Chromium, one browser context
per screen size. The stage boards and the game's big screen at 1280×720,
1920×1080 and 3840×2160 through lobby, question (the longest prompt, options
and explanation of the shipped bank), reveal, scoreboard and podium; the
phone pages at 360×640 and 390×844; the zone and quiz kiosks portrait and
landscape; the desk at 1366×768. Each state is checked with the one layout
checker (tests/support/layout.py): no text cut off, no text over text, and
on screens that cannot scroll no text outside the viewport. Every problem of
every page is collected and reported at once.
"""
from __future__ import annotations

import json
import threading
import uuid

import pytest
import requests
import socketio

from checkin.attendees import NewAttendee, create_attendee
from checkin.scanning import check_in
from games.live.game import create_game
from kiosk.db import now, open_db, transaction
from kiosk.points import award
from tests.support.festival import scanner_burst
from tests.support.layout import check_layout
from tests.support.live import REPO, start_hub
from tests.support.pairing import host_console, pair_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 20_000
BIG = {"720p": (1280, 720), "1080p": (1920, 1080), "4k": (3840, 2160)}
# Every big-screen size a venue has (issue 23): old 4:3 projectors to 4K televisions.
LOBBY_SIZES = {"1024x768": (1024, 768), "1366x768": (1366, 768), "1920x1080": (1920, 1080),
               "3840x2160": (3840, 2160)}
CROWDS = (0, 40, 500, 5000)
LOBBY_NAMES = 40  # games.live.sockets.LOBBY_NAMES: the newest names the server sends
PHONES = {"phone360": (360, 640), "phone390": (390, 844)}
KIOSKS = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
LONG_SCHOOL = "Trường Trung học cơ sở Nguyễn Thị Minh Khai, Quận Ba Đình"
LONG_NICKS = ["Chiến Binh Mạng Dũng Cảm", "Người Gác Cổng Bảo Mật", "Thám Tử Nhí Siêu Thông Minh"[:24],
              "Hiệp Sĩ Mật Khẩu Vui Vẻ", "Phi Hành Gia Tò Mò Nhất"]


def _bank() -> list[dict]:
    return json.loads((REPO / "games/quiz/banks/core.json").read_text(encoding="utf-8"))["questions"]


def _longest_questions() -> list[str]:
    """The bank's questions with the longest prompt, options and explanation."""
    bank = _bank()

    def both(text):
        return len(text["vi"]) + len(text["en"])

    picks = [max(bank, key=lambda q: both(q["prompt"])),
             max(bank, key=lambda q: sum(both(o) for o in q["options"]) + max(both(o) for o in q["options"])),
             max(bank, key=lambda q: both(q["explanation"]) + both(q["help"]))]
    return list(dict.fromkeys(q["id"] for q in picks))


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    server = start_hub(tmp_path_factory.mktemp("screens"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def festival(hub):
    """Zones with long names, attendees with long nicknames and schools, points on the boards."""
    db = open_db(str(hub.database), "NORMAL")
    try:
        zones = {}
        with transaction(db):
            for n, (slug, vi, en, kind) in enumerate([
                    ("an-toan", "Khu Trải nghiệm An toàn trên Không gian mạng", "Online Safety Experience Zone", "zone"),
                    ("do-vui", "Khu Đố vui Kiến thức Phòng chống Lừa đảo", "Scam Prevention Quiz Zone", "quiz"),
                    ("mat-khau", "Góc Mật khẩu Mạnh", "Strong Passwords Corner", "zone")], start=1):
                zones[slug] = db.execute(
                    "INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, sort, created_at) "
                    "VALUES (?, ?, ?, ?, 10, 600, ?, ?)", [slug, vi, en, kind, n, now()]).lastrowid
        people = []
        for n in range(12):
            nick = LONG_NICKS[n] if n < len(LONG_NICKS) else None
            aid, token = create_attendee(db, NewAttendee(
                full_name=f"Nguyễn Hoàng Bảo Ngọc Thư {n + 1}", age_band="7-15", nickname=nick,
                school=LONG_SCHOOL if n % 2 else f"THCS Thử Nghiệm Số {n}", class_name=f"9A{n % 3 + 1}",
                consent_child=True, consent_guardian=True, consent_public=n != 3), "import", "test",
                check_consents=False)
            people.append((aid, token))
        with transaction(db):
            for n, (aid, _token) in enumerate(people[:10]):
                award(db, aid, 9990 - n * 700, "test", f"screens:{aid}")
            for aid, _token in people[1:5]:  # the zone kiosks' visitors are checked in
                row = dict(db.execute("SELECT * FROM attendees WHERE id = ?", [aid]).fetchone())
                check_in(db, row, "test", None)
    finally:
        db.conn.close()
    return {"zones": zones, "people": people}


def _contexts(browser, sizes):
    return {name: browser.new_context(viewport={"width": w, "height": h}) for name, (w, h) in sizes.items()}


def _close(contexts):
    for c in contexts.values():
        c.close()


def _report(problems):
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)


# ------------------------------------------------------------------ stage boards

def test_stage_boards(browser, hub, festival):
    problems: list[str] = []
    contexts = _contexts(browser, BIG)
    try:
        for size, context in contexts.items():
            page = context.new_page()
            pair_page(page, hub.url, hub.database, "stage", name=f"Stage {size}")
            page.goto(f"{hub.url}/stage")
            page.wait_for_function("() => window.__festival && window.__festival.connected", timeout=TIMEOUT)
            rotation = page.evaluate("() => JSON.parse(document.getElementById('stage').dataset.rotation)"
                                     ".map((slot) => slot.board)")
            # people, schools, and the zone with the longest name (every zone board has one layout)
            boards = ["overall", "schools", f"zone:{festival['zones']['an-toan']}"]
            assert set(boards) <= set(rotation), rotation
            for board in boards:
                page.evaluate("(b) => window.__festival.showBoard(b)", board)
                page.wait_for_function("(b) => window.__festival.lastBoard && window.__festival.lastBoard.board === b",
                                       arg=board, timeout=TIMEOUT)
                check_layout(page, f"/stage {board} {size}", scrollable=False, problems=problems)
    finally:
        _close(contexts)
    _report(problems)


# ------------------------------------------------------------- the live game

class Bot:
    """A walk-up player on a python-socketio client that answers each question at once."""

    def __init__(self, url, code, nickname, choices):
        answer = requests.post(f"{url}/play/join", json={"code": code, "nickname": nickname}, timeout=10)
        assert answer.status_code == 201, answer.text
        self.choices = choices
        self.client = socketio.Client(reconnection=False)
        self.client.on("q", self._answer, namespace="/play")
        self.client.connect(url, namespaces=["/play"], transports=["websocket"],
                            auth={"token": answer.json()["token"]}, wait_timeout=10)

    def _answer(self, q):
        choice = self.choices[q["i"] % len(self.choices)]
        threading.Thread(target=self.client.emit, args=("answer", {"i": q["i"], "c": choice, "id": uuid.uuid4().hex}),
                         kwargs={"namespace": "/play"}, daemon=True).start()

    def close(self):
        self.client.disconnect()


def _correct(hub, question_ids):
    db = open_db(str(hub.database), "NORMAL")
    try:
        return [json.loads(db.execute("SELECT data FROM questions WHERE id = ?", [q]).fetchone()[0])["correct"]
                for q in question_ids]
    finally:
        db.conn.close()


def _answer_on_phone(page, choice):
    page.wait_for_selector("#p-question:not([hidden]) .answer", timeout=TIMEOUT)
    for k in choice:
        page.click(f"#p-options .answer-{k}")
    if page.is_visible("#p-submit"):
        page.click("#p-submit")
    page.wait_for_selector("#p-sent:not([hidden]), #p-result:not([hidden])", timeout=TIMEOUT)


def test_game_big_screen_and_phones(browser, hub, festival):
    question_ids = _longest_questions()
    db = open_db(str(hub.database), "NORMAL")
    try:
        game = create_game(db, bank=None, count=len(question_ids), host="test", now=0.0, time_limit=120,
                           title="Ngày hội An toàn trên Không gian mạng", question_ids=question_ids)
    finally:
        db.conn.close()
    correct = _correct(hub, question_ids)
    wrong = [[min(set(range(len(c) + 1)) - set(c))] for c in correct]  # no right tick (partial credit)
    problems: list[str] = []
    screens, phones = _contexts(browser, BIG), _contexts(browser, PHONES)
    host_context = browser.new_context(viewport={"width": 1366, "height": 768})
    bots = []
    try:
        host = host_context.new_page()
        host_console(host, hub.url, hub.database, game["id"])
        screen = {}
        for size, context in screens.items():
            page = screen[size] = context.new_page()
            pair_page(page, hub.url, hub.database, "stage", name=f"Game screen {size}")
            page.goto(f"{hub.url}/host/screen/{game['id']}")
            page.wait_for_selector("#gs-lobby:not([hidden])", timeout=TIMEOUT)
        phone = {name: context.new_page() for name, context in phones.items()}
        badge_token = festival["people"][0][1]
        phone["phone360"].goto(f"{hub.url}/b/{badge_token}/play?code={game['code']}")
        phone["phone360"].click("#join")
        phone["phone390"].goto(f"{hub.url}/play?code={game['code']}")
        phone["phone390"].fill("#nickname", "WWWWWWWWWWWWWWWWWWWWWWWW")
        phone["phone390"].click("#join")
        for k, nick in enumerate(LONG_NICKS[1:]):
            # right, wrong and mixed answers so the top 5 reorders between questions
            bots.append(Bot(hub.url, game["code"], nick,
                            [correct[i] if (i + k) % 2 else wrong[i] for i in range(len(correct))]))
        for page in phone.values():
            page.wait_for_selector("#p-wait:not([hidden])", timeout=TIMEOUT)
        for page in screen.values():
            page.wait_for_function("() => document.getElementById('gs-player-count').textContent === '6'",
                                   timeout=TIMEOUT)

        def check_all(phase, phone_phase=True):
            for size, page in screen.items():
                check_layout(page, f"big screen {phase} {size}", scrollable=False, problems=problems)
            if phone_phase:
                for size, page in phone.items():
                    # Scrolled to the end: at the top a multi-answer question's sticky send
                    # button floats over the last options, on purpose (issue 23).
                    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
                    check_layout(page, f"/play {phase} {size}", scrollable=True, problems=problems)

        check_all("lobby")
        host.click('[data-action="start"]')
        for i in range(len(question_ids)):
            for page in screen.values():
                page.wait_for_function("(i) => !document.getElementById('gs-question').hidden && "
                                       "document.getElementById('gs-qi').textContent === String(i + 1)",
                                       arg=i, timeout=TIMEOUT)
            for page in phone.values():
                page.wait_for_selector("#p-question:not([hidden]) .answer", timeout=TIMEOUT)
            check_all(f"question {i + 1}")
            _answer_on_phone(phone["phone360"], correct[i] if i != 1 else wrong[i])
            _answer_on_phone(phone["phone390"], correct[i])
            for page in screen.values():
                page.wait_for_selector("#screen[data-phase='reveal']", timeout=TIMEOUT)
            for page in phone.values():
                page.wait_for_selector("#p-result:not([hidden])", timeout=TIMEOUT)
            check_all(f"reveal {i + 1}")
            # the scoreboard follows the reveal by itself after a few seconds
            for page in screen.values():
                page.wait_for_selector("#screen[data-phase='board'] #gs-board:not([hidden])", timeout=TIMEOUT)
            check_all(f"scoreboard {i + 1}", phone_phase=False)
            host.click('[data-action="next"]')
        for page in screen.values():
            page.wait_for_selector("#gs-end:not([hidden])", timeout=TIMEOUT)
        for page in phone.values():
            page.wait_for_selector("#p-end:not([hidden])", timeout=TIMEOUT)
        check_all("podium")
    finally:
        for bot in bots:
            bot.close()
        _close(screens)
        _close(phones)
        host_context.close()
    _report(problems)


def _crowd(players: int) -> dict:
    """The lobby's live counters for ``players`` players (the newest 40 names, long ones,
    some anonymous), as games.live.sockets.live_counts sends them."""
    names = [{"no": n, "nm": None if n % 7 == 0 else (LONG_NICKS[n % len(LONG_NICKS)] if n % 3 else "W" * 24)}
             for n in range(players, max(0, players - LOBBY_NAMES), -1)]
    return {"g": 0, "st": "lobby", "np": players, "a": 0, "names": names}


def test_game_lobby_fits_every_crowd_at_every_size(browser, hub, festival):
    """The lobby shows the count, the newest names that fit and "+N more", never scrolling."""
    db = open_db(str(hub.database), "NORMAL")
    try:
        game = create_game(db, bank="core", count=1, host="test", now=0.0,
                           title="Ngày hội An toàn trên Không gian mạng")
    finally:
        db.conn.close()
    problems: list[str] = []
    contexts = _contexts(browser, LOBBY_SIZES)
    try:
        for size, context in contexts.items():
            page = context.new_page()
            pair_page(page, hub.url, hub.database, "stage", name=f"Lobby {size}")
            page.goto(f"{hub.url}/host/screen/{game['id']}")
            page.wait_for_selector("#gs-lobby:not([hidden])", timeout=TIMEOUT)
            for players in CROWDS:
                page.evaluate("(live) => { window.__gamescreen.renderLive(live); window.__gamescreen.showLobby(); }",
                              _crowd(players))
                where = f"lobby {players} players {size}"
                check_layout(page, where, scrollable=False, problems=problems)
                shown = page.evaluate("() => [...document.querySelectorAll('#gs-names li:not(.gs-more)')].length")
                more = page.locator("#gs-names .gs-more")
                assert page.inner_text("#gs-player-count") == str(players), where
                if players:
                    assert shown >= 1, f"{where}: no name fits"
                if players > shown:
                    assert more.count() == 1 and more.inner_text() == (
                        f"+{players - shown} người nữa · +{players - shown} more"), where
                else:
                    assert more.count() == 0, where
    finally:
        _close(contexts)
    _report(problems)


def _longest_multi_question() -> str:
    """The "choose all correct answers" question of the bank with the most text on a phone."""
    multis = [q for q in _bank() if q["type"] == "multi"]
    return max(multis, key=lambda q: len(q["prompt"]["vi"]) + sum(len(o["vi"]) + len(o["en"]) for o in q["options"]))["id"]


def test_phone_send_button_is_on_screen_for_the_longest_multi_answer_question(browser, hub, festival):
    qid = _longest_multi_question()
    db = open_db(str(hub.database), "NORMAL")
    try:
        game = create_game(db, bank=None, count=1, host="test", now=0.0, time_limit=120, question_ids=[qid])
    finally:
        db.conn.close()
    problems: list[str] = []
    phones, host_context = _contexts(browser, PHONES), browser.new_context()
    try:
        pages = {}
        for size, context in phones.items():
            page = pages[size] = context.new_page()
            page.goto(f"{hub.url}/play?code={game['code']}")
            page.fill("#nickname", "W" * 24)
            page.click("#join")
            page.wait_for_selector("#p-wait:not([hidden])", timeout=TIMEOUT)
        host = host_context.new_page()
        host_console(host, hub.url, hub.database, game["id"])
        host.click('[data-action="start"]')
        for size, page in pages.items():
            page.wait_for_selector("#p-question:not([hidden]) .answer", timeout=TIMEOUT)
            page.click("#p-options .answer-0")
            box = page.evaluate("() => { const r = document.getElementById('p-submit').getBoundingClientRect();"
                                " return {top: r.top, bottom: r.bottom, scroll: window.scrollY, h: innerHeight}; }")
            if not (box["scroll"] == 0 and 0 <= box["top"] and box["bottom"] <= box["h"]):
                problems.append(f"/play multi-answer question {size}: the send button is below the fold: {box}")
            # Checked scrolled to the end: at the top the sticky button floats over the last options.
            page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
            check_layout(page, f"/play multi-answer question {size}", scrollable=True, problems=problems)
    finally:
        _close(phones)
        host_context.close()
    _report(problems)


# ------------------------------------------------------------------ phone pages

def test_phone_pages(browser, hub, festival):
    problems: list[str] = []
    contexts = _contexts(browser, PHONES)
    try:
        for n, (size, context) in enumerate(contexts.items()):
            page = context.new_page()
            token = festival["people"][5 + n][1]
            page.goto(f"{hub.url}/b/{token}")
            page.wait_for_load_state("load")
            check_layout(page, f"/b/<token> {size}", scrollable=True, problems=problems)
            page.goto(f"{hub.url}/b/{token}/quiz")
            # The quiz kiosk loads its modules through the zone kiosk's service worker here: a slow
            # machine at the end of a long run needed more than TIMEOUT once.
            page.wait_for_selector("#quiz[data-ready=true]", timeout=3 * TIMEOUT)
            check_layout(page, f"/b/<token>/quiz start {size}", scrollable=True, problems=problems)
            if page.is_visible("#quiz-start-button"):
                page.click("#quiz-start-button")
            _quiz_round(page, f"/b/<token>/quiz {size}", scrollable=True, problems=problems)
            page.goto(f"{hub.url}/register")
            page.wait_for_load_state("load")
            check_layout(page, f"/register {size}", scrollable=True, problems=problems)
            page.goto(f"{hub.url}/play")
            check_layout(page, f"/play join {size}", scrollable=True, problems=problems)
    finally:
        _close(contexts)
    _report(problems)


def _quiz_round(page, where, scrollable, problems):
    """Play a self-paced round to its summary, checking the first question, its feedback and the summary."""
    page.wait_for_selector("#quiz-question:not([hidden])", timeout=TIMEOUT)
    for n in range(10):
        if page.is_visible("#quiz-summary"):
            break
        page.wait_for_selector("#quiz-question:not([hidden]) .quiz-option", timeout=TIMEOUT)
        if n == 0:
            check_layout(page, f"{where} question", scrollable=scrollable, problems=problems)
        page.click("#quiz-options .quiz-option[data-index='0']")
        if page.is_visible("#quiz-check"):
            page.click("#quiz-check")
        page.wait_for_selector("#quiz-feedback:not([hidden])", timeout=TIMEOUT)
        if n == 0:
            check_layout(page, f"{where} feedback", scrollable=scrollable, problems=problems)
        page.click("#quiz-next")
        page.wait_for_selector("#quiz-question:not([hidden]), #quiz-summary:not([hidden])", timeout=TIMEOUT)
    page.wait_for_selector("#quiz-summary:not([hidden])", timeout=TIMEOUT)
    check_layout(page, f"{where} summary", scrollable=scrollable, problems=problems)


# ------------------------------------------------------------------ kiosks and desk

def test_zone_and_quiz_kiosks(browser, hub, festival):
    problems: list[str] = []
    contexts = _contexts(browser, KIOSKS)
    zones = festival["zones"]
    try:
        for n, (size, context) in enumerate(contexts.items()):
            page = context.new_page()
            pair_page(page, hub.url, hub.database, "zone", zone_id=zones["an-toan"], name=f"Zone kiosk {size}")
            page.goto(f"{hub.url}/zone")
            page.wait_for_selector("#zone-kiosk[data-level='ready']", timeout=TIMEOUT)
            check_layout(page, f"/zone ready {size}", scrollable=False, problems=problems)
            token = festival["people"][1 + n][1]
            for label in ("visit", "cooldown"):
                before = page.text_content("#result")
                scanner_burst(page, f"{hub.url}/b/{token}")
                page.wait_for_function("(b) => document.getElementById('result').textContent !== b && "
                                       "document.getElementById('result').dataset.level !== 'ready'",
                                       arg=before, timeout=TIMEOUT)
                check_layout(page, f"/zone {label} {size}", scrollable=False, problems=problems)
            pair_page(page, hub.url, hub.database, "zone", zone_id=zones["do-vui"], name=f"Quiz kiosk {size}")
            page.goto(f"{hub.url}/quiz")
            page.wait_for_selector("#quiz[data-ready=true]", timeout=TIMEOUT)
            check_layout(page, f"/quiz idle {size}", scrollable=False, problems=problems)
            scanner_burst(page, f"{hub.url}/b/{festival['people'][8 + n][1]}")
            _quiz_round(page, f"/quiz {size}", scrollable=False, problems=problems)
    finally:
        _close(contexts)
    _report(problems)


ZONE_SIZES = {"landscape 1024x768": (1024, 768), "landscape 1366x768": (1366, 768),
              "portrait 768x1024": (768, 1024), "landscape 1920x1080": (1920, 1080),
              "portrait 1080x1920": (1080, 1920)}


def test_zone_reward_moment_fits_every_kiosk(browser, hub, festival):
    """A first visit that unlocks two rewards at once: points, progress and the reward
    box all on screen, portrait and landscape, down to 1024×768 (issue 23)."""
    db = open_db(str(hub.database), "NORMAL")
    try:
        with transaction(db):
            db.execute("UPDATE passport_rules SET active = 0")
            for vi, en in (("Móc khoá Không Một Mình phiên bản đặc biệt", "Not Alone special edition key ring"),
                           ("Sổ tay An toàn trên mạng cho học sinh", "Online safety notebook for students")):
                db.execute("INSERT INTO passport_rules (name_vi, name_en, rule, count, reward_vi, reward_en) "
                           "VALUES (?, ?, 'count', 1, ?, ?)", [vi, en, vi, en])
        tokens = []
        for n in range(len(ZONE_SIZES)):
            aid, token = create_attendee(db, NewAttendee(
                full_name=f"Trần Thị Phương Thảo {n}", age_band="7-15", nickname=f"Chiến Binh Phần Thưởng {n}",
                school=LONG_SCHOOL, class_name="9A1", consent_child=True, consent_guardian=True,
                consent_public=True), "import", "test", check_consents=False)
            check_in(db, dict(db.execute("SELECT * FROM attendees WHERE id = ?", [aid]).fetchone()), "test", None)
            tokens.append(token)
    finally:
        db.conn.close()
    problems: list[str] = []
    contexts = _contexts(browser, ZONE_SIZES)
    try:
        for (size, context), token in zip(contexts.items(), tokens):
            page = context.new_page()
            pair_page(page, hub.url, hub.database, "zone", zone_id=festival["zones"]["mat-khau"],
                      name=f"Reward kiosk {size}")
            page.goto(f"{hub.url}/zone")
            page.wait_for_selector("#zone-kiosk[data-level='ready']", timeout=TIMEOUT)
            scanner_burst(page, f"{hub.url}/b/{token}")
            page.wait_for_selector("#rewards:not([hidden])", timeout=TIMEOUT)
            assert page.locator("#rewards-list li").count() == 2
            check_layout(page, f"/zone reward {size}", scrollable=False, problems=problems)
    finally:
        _close(contexts)
        db = open_db(str(hub.database), "NORMAL")
        try:
            with transaction(db):
                db.execute("DELETE FROM rewards"), db.execute("DELETE FROM passport_rules")
        finally:
            db.conn.close()
    _report(problems)


def test_desk(browser, hub, festival):
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        pair_page(page, hub.url, hub.database, "desk", name="Bàn check-in số 1 (cổng chính)")
        page.wait_for_selector("body[data-desk-ready='1']", timeout=TIMEOUT)
        check_layout(page, "/desk idle 1366x768", scrollable=True, problems=problems)
        scanner_burst(page, f"{hub.url}/b/{festival['people'][10][1]}")
        page.wait_for_function("() => document.getElementById('result').dataset.level === 'green'", timeout=TIMEOUT)
        check_layout(page, "/desk checked in 1366x768", scrollable=True, problems=problems)
        page.fill("#search", "Nguyễn Hoàng")
        page.wait_for_selector("#search-results li, #search-results tr", timeout=TIMEOUT)
        check_layout(page, "/desk search 1366x768", scrollable=True, problems=problems)
    finally:
        context.close()
    _report(problems)
