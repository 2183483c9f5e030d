"""Issue 12: on a phone, the last player to answer saw the score header stay at
0 after the reveal (the result said +986, rank 1) until reload. The last
answer closes the question, so the reveal reaches the phone before the
answer's acknowledgement, whose score is from the question's start."""
from __future__ import annotations

import json
import re

import pytest

from kiosk.db import open_db
from tests.support.pairing import pair_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000


def _correct(database, game_id: int, idx: int) -> list[int]:
    db = open_db(str(database), "NORMAL")
    try:
        row = db.execute("SELECT q.data FROM game_questions g JOIN questions q ON q.id = g.question_id "
                         "WHERE g.game_id = ? AND g.idx = ?", [game_id, idx]).fetchone()
        return json.loads(row["data"])["correct"]
    finally:
        db.conn.close()


def _stored_score(database, game_id: int) -> int:
    db = open_db(str(database), "NORMAL")
    try:
        return db.execute("SELECT score FROM players WHERE game_id = ?", [game_id]).fetchone()[0]
    finally:
        db.conn.close()


def test_last_player_to_answer_sees_the_new_score_in_the_header(browser, live_hub):
    url = live_hub.url
    host_ctx = browser.new_context()
    phone_ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        host, phone = host_ctx.new_page(), phone_ctx.new_page()
        pair_page(host, url, live_hub.database, "host")
        host.goto(f"{url}/host")
        host.fill("#count", "2")
        host.fill("#time-limit", "30")
        host.click("#create")
        host.wait_for_selector("#console:not([hidden])", timeout=TIMEOUT)
        code = host.text_content("#game-code")
        game_id = int(host.get_attribute("#screen-link", "href").rsplit("/", 1)[1])

        phone.goto(f"{url}/play?code={code}")
        phone.fill("#nickname", "Mèo Tinh Nhanh")
        phone.click("#join")
        phone.wait_for_selector("#p-wait:not([hidden])", timeout=TIMEOUT)
        host.click('[data-action="start"]')

        for idx in range(2):
            phone.wait_for_selector("#p-question:not([hidden]) .answer", timeout=TIMEOUT)
            choice = _correct(live_hub.database, game_id, idx)
            for k in choice:
                phone.click(f"#p-options .answer-{k}")
            if phone.is_visible("#p-submit"):
                phone.click("#p-submit")
            # The only player is the last to answer: the question closes at once.
            phone.wait_for_selector("#p-result:not([hidden])", timeout=TIMEOUT)
            stored = _stored_score(live_hub.database, game_id)
            assert stored > 0
            points = int(re.search(r"\d+", phone.text_content("#p-points")).group())
            assert points > 0
            # Give a late acknowledgement every chance to overwrite the header.
            phone.wait_for_timeout(700)
            assert phone.text_content("#p-score") == str(stored)
            if idx == 0:
                assert points == stored
                host.click('[data-action="next"]')
    finally:
        host_ctx.close()
        phone_ctx.close()
