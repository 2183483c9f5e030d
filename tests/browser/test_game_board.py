"""Issue 23, points 2 and 3 on a real hub: a stage screen set to the board
``game:ID`` shows the live game's scoreboard and follows it (joins, then the
scores of a question); a game where nobody scored ends with a kind word on
the big screen, not "Chúc mừng!"; a partly right phone says "Đúng 2/3"."""
from __future__ import annotations

import threading
import uuid

import pytest
import requests
import socketio

from games.live.game import create_game
from games.quiz import questions
from kiosk.db import open_db
from tests.support.pairing import host_console, pair_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000


def _question(db, multi: bool) -> dict:
    for row in db.execute("SELECT id FROM questions WHERE type = ? AND active = 1 ORDER BY id",
                          ["multi" if multi else "single"]):
        q = questions.get_question(db, row["id"])
        if not multi or len(q["correct"]) >= 3:
            return q
    pytest.skip("no such question in the shipped bank")


class Player:
    """A walk-up player on a python-socketio client that answers ``choice`` to every question."""

    def __init__(self, url, code, nickname, choice):
        joined = requests.post(f"{url}/play/join", json={"code": code, "nickname": nickname}, timeout=10)
        assert joined.status_code == 201, joined.text
        self.client = socketio.Client(reconnection=False)
        self.client.on("q", lambda q: threading.Thread(
            target=self.client.emit, args=("answer", {"i": q["i"], "c": choice, "id": uuid.uuid4().hex}),
            kwargs={"namespace": "/play"}, daemon=True).start(), namespace="/play")
        self.client.connect(url, namespaces=["/play"], transports=["websocket"],
                            auth={"token": joined.json()["token"]}, wait_timeout=10)

    def close(self):
        self.client.disconnect()


def _rows(page):
    return page.evaluate("() => (window.__festival.lastBoard || {rows: []}).rows"
                         ".map((r) => [r.rank, r.name_vi, r.score])")


def test_stage_board_follows_a_live_game_and_partial_credit_reaches_the_phone(browser, live_hub):
    db = open_db(str(live_hub.database), "NORMAL")
    try:
        q = _question(db, multi=True)
        game = create_game(db, bank=None, count=1, host="test", now=0.0, time_limit=60, mode="accuracy",
                           question_ids=[q["id"]])
        db.conn.commit()
    finally:
        db.conn.close()
    right = list(q["correct"])
    stage_ctx, host_ctx, phone_ctx = (browser.new_context(viewport={"width": 1280, "height": 720}),
                                      browser.new_context(), browser.new_context(viewport={"width": 360,
                                                                                           "height": 640}))
    players = []
    try:
        stage = stage_ctx.new_page()
        pair_page(stage, live_hub.url, live_hub.database, "stage")
        stage.goto(f"{live_hub.url}/stage?rotation=game:{game['id']}:60")
        stage.wait_for_function("(board) => window.__festival.lastBoard && "
                                "window.__festival.lastBoard.board === board", arg=f"game:{game['id']}",
                                timeout=TIMEOUT)
        assert _rows(stage) == []
        phone = phone_ctx.new_page()
        phone.goto(f"{live_hub.url}/play?code={game['code']}")
        phone.fill("#nickname", "Cáo Một Phần")
        phone.click("#join")
        phone.wait_for_selector("#p-wait:not([hidden])", timeout=TIMEOUT)
        players.append(Player(live_hub.url, game["code"], "Gấu Đúng Hết", right))
        stage.wait_for_function("() => window.__festival.lastBoard.rows.length === 2", timeout=TIMEOUT)

        host = host_ctx.new_page()
        host_console(host, live_hub.url, live_hub.database, game["id"])
        host.click('[data-action="start"]')
        phone.wait_for_selector("#p-question:not([hidden]) .answer", timeout=TIMEOUT)
        for index in right[:2]:  # two of the right options, nothing wrong
            phone.click(f"#p-options .answer-{index}")
        phone.click("#p-submit")
        phone.wait_for_selector("#p-result:not([hidden])", timeout=TIMEOUT)
        assert phone.inner_text("#p-verdict") == f"Đúng 2/{len(right)}"
        share = round(1000 * 2 / len(right))
        stage.wait_for_function("(s) => window.__festival.lastBoard.rows.some((r) => r.score === s)",
                                arg=share, timeout=TIMEOUT)
        assert _rows(stage) == [[1, "Gấu Đúng Hết", 1000], [2, "Cáo Một Phần", share]]
    finally:
        for player in players:
            player.close()
        for context in (stage_ctx, host_ctx, phone_ctx):
            context.close()


def test_a_podium_of_zeros_gets_a_kind_word_not_congratulations(browser, live_hub):
    db = open_db(str(live_hub.database), "NORMAL")
    try:
        q = _question(db, multi=False)
        game = create_game(db, bank=None, count=1, host="test", now=0.0, time_limit=60, question_ids=[q["id"]])
        db.conn.commit()
    finally:
        db.conn.close()
    wrong = [next(i for i in range(len(q["options"])) if i not in q["correct"])]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    players = []
    try:
        screen, host = context.new_page(), context.new_page()
        host_console(host, live_hub.url, live_hub.database, game["id"])
        players = [Player(live_hub.url, game["code"], name, wrong) for name in ("An", "Bình", "Chi")]
        screen.goto(f"{live_hub.url}/host/screen/{game['id']}")
        host.click('[data-action="start"]')
        screen.wait_for_selector("#screen[data-phase='reveal']", timeout=TIMEOUT)
        host.click('[data-action="next"]')
        screen.wait_for_selector("#gs-end:not([hidden])", timeout=TIMEOUT)
        assert screen.locator("#gs-cheer").is_hidden() and screen.locator("#gs-podium").is_hidden()
        kind = screen.inner_text("#gs-kind")
        assert "Cảm ơn" in kind and "Thank you" in kind and "Chúc mừng" not in screen.inner_text("#gs-end")
    finally:
        for player in players:
            player.close()
        context.close()
