"""A real live game: gunicorn + eventlet, a host, a big screen and three phones
in separate browser contexts play three questions to the podium; one phone
reloads mid-game and keeps its score; the badge holder's points reach the ledger."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from checkin.attendees import NewAttendee, create_attendee
from kiosk.db import open_db
from tests.support.pairing import pair_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT = 15_000


def _hub_db(live_hub):
    return open_db(str(live_hub.database), "NORMAL")


def _correct_options(live_hub, game_id: int) -> list[list[int]]:
    import json

    db = _hub_db(live_hub)
    try:
        rows = db.execute("SELECT q.data FROM game_questions g JOIN questions q ON q.id = g.question_id "
                          "WHERE g.game_id = ? ORDER BY g.idx", [game_id]).fetchall()
        return [json.loads(r["data"])["correct"] for r in rows]
    finally:
        db.conn.close()


def _answer(page, choice: list[int]) -> None:
    page.wait_for_selector("#p-question:not([hidden]) .answer", timeout=TIMEOUT)
    for k in choice:
        page.click(f"#p-options .answer-{k}")
    if len(choice) > 1 or page.is_visible("#p-submit"):
        page.click("#p-submit")
    page.wait_for_selector("#p-sent:not([hidden]), #p-result:not([hidden])", timeout=TIMEOUT)


def _wrong(choice: list[int]) -> list[int]:
    """One option that is not right: with partial credit (games/scoring.py), ticking one of
    several right options would still score."""
    return [min(set(range(len(choice) + 1)) - set(choice))]


def _wait_reveal(host, players, index: int) -> None:
    host.wait_for_selector('#console[data-state="reveal"]', timeout=TIMEOUT)
    for page in players:
        page.wait_for_selector("#p-result:not([hidden])", timeout=TIMEOUT)


def test_three_players_play_to_the_podium(browser, live_hub):
    db = _hub_db(live_hub)
    try:
        attendee_id, badge = create_attendee(
            db, NewAttendee(full_name="Trần Thị Bình", age_band="16-17", nickname="Cáo Dũng Cảm",
                            consent_child=True, consent_guardian=True, consent_public=True),
            "walkin", "test", check_consents=False)
    finally:
        db.conn.close()
    url = live_hub.url
    contexts = [browser.new_context() for _ in range(5)]
    host, screen, p1, p2, p3 = (c.new_page() for c in contexts)
    try:
        pair_page(host, url, live_hub.database, "host")
        pair_page(screen, url, live_hub.database, "stage")
        host.goto(f"{url}/host")
        host.fill("#count", "3")
        host.fill("#time-limit", "20")
        host.click("#create")
        host.wait_for_selector("#console:not([hidden])", timeout=TIMEOUT)
        code = host.text_content("#game-code")
        game_id = int(host.get_attribute("#screen-link", "href").rsplit("/", 1)[1])
        screen.goto(f"{url}/host/screen/{game_id}")
        screen.wait_for_selector("#gs-lobby:not([hidden])", timeout=TIMEOUT)
        assert screen.text_content("#gs-code") == code

        p1.goto(f"{url}/b/{badge}/play?code={code}")
        p1.click("#join")
        for page, nick in ((p2, "Mèo Tinh Nhanh"), (p3, "Rùa Bình Tĩnh")):
            page.goto(f"{url}/play?code={code}")
            page.fill("#nickname", nick)
            page.click("#join")
        for page in (p1, p2, p3):
            page.wait_for_selector("#p-wait:not([hidden])", timeout=TIMEOUT)
        expect(screen.locator("#gs-player-count")).to_have_text("3", timeout=TIMEOUT)
        assert "Cáo Dũng Cảm" in screen.text_content("#gs-names")

        correct = _correct_options(live_hub, game_id)
        host.click('[data-action="start"]')
        # Q1: p1 and p2 right, p3 wrong; all answered closes the question early.
        _answer(p1, correct[0])
        _answer(p2, correct[0])
        _answer(p3, _wrong(correct[0]))
        _wait_reveal(host, (p1, p2, p3), 0)
        screen.wait_for_selector("#gs-board:not([hidden])", timeout=TIMEOUT)
        score_p2 = p2.text_content("#p-score")
        assert int(score_p2) > 0 and p3.text_content("#p-score") == "0"

        # Q2: p2's phone reloads mid-question and comes back with its score.
        host.click('[data-action="next"]')
        p2.wait_for_selector("#p-question:not([hidden])", timeout=TIMEOUT)
        p2.reload()
        p2.wait_for_selector("#p-question:not([hidden])", timeout=TIMEOUT)
        assert p2.text_content("#p-score") == score_p2
        _answer(p1, correct[1])
        _answer(p2, correct[1])
        _answer(p3, correct[1])
        _wait_reveal(host, (p1, p2, p3), 1)

        # Q3, then the podium.
        host.click('[data-action="next"]')
        _answer(p1, correct[2])
        _answer(p2, _wrong(correct[2]))
        _answer(p3, correct[2])
        _wait_reveal(host, (p1, p2, p3), 2)
        host.click('[data-action="next"]')
        screen.wait_for_selector("#gs-end:not([hidden])", timeout=TIMEOUT)
        for page in (p1, p2, p3):
            page.wait_for_selector("#p-end:not([hidden])", timeout=TIMEOUT)
        podium = screen.locator("#gs-podium li").all_text_contents()
        assert len(podium) == 3 and "Cáo Dũng Cảm" in podium[0]
        assert p1.locator("#p-podium li").count() == 3

        db = _hub_db(live_hub)
        try:
            player = db.execute("SELECT id, score FROM players WHERE game_id = ? AND attendee_id = ?",
                                [game_id, attendee_id]).fetchone()
            ledger = db.execute("SELECT points, reference FROM ledger WHERE attendee_id = ? AND source = 'game'",
                                [attendee_id]).fetchall()
            state = db.execute("SELECT state FROM games WHERE id = ?", [game_id]).fetchone()[0]
        finally:
            db.conn.close()
        assert state == "ended" and player["score"] >= 1500
        assert [tuple(r) for r in ledger] == [(player["score"] // 100, f"game:{game_id}:player:{player['id']}")]
        assert p1.text_content("#p-score") == str(player["score"])
        assert not [line for line in live_hub.errors_in_log() if "games" in line]
    finally:
        for c in contexts:
            c.close()
