"""A real quiz kiosk: Chromium paired as the zone device of a quiz zone on a real
hub scans a badge with a keyboard-wedge burst, answers five questions, sees
each explanation and help line, and the points land in the ledger."""
from __future__ import annotations

import json

import pytest

from checkin.attendees import NewAttendee, create_attendee
from kiosk.db import now, open_db
from tests.support.pairing import pair_page

pytestmark = [pytest.mark.browser, pytest.mark.server]

TIMEOUT_MS = 15_000


def _setup(database) -> tuple[int, int, str]:
    """A quiz zone and a checked-in attendee; returns (zone_id, attendee_id, token)."""
    db = open_db(str(database), "NORMAL")
    try:
        zone_id = db.execute(
            "INSERT INTO zones (slug, name_vi, name_en, kind, sort, created_at) "
            "VALUES ('quiz-1', 'Khu đố vui', 'Quiz zone', 'quiz', 1, ?)", [now()]).lastrowid
        db.conn.commit()
        attendee_id, token = create_attendee(
            db, NewAttendee(full_name="Trần Thị Mai", age_band="16-17", consent_child=True,
                            consent_guardian=True, consent_public=True), "walkin", "test",
            check_consents=False)
    finally:
        db.conn.close()
    return zone_id, attendee_id, token


def _round_questions(database) -> list[dict]:
    db = open_db(str(database), "NORMAL")
    try:
        ids = json.loads(db.execute("SELECT question_ids FROM quiz_rounds").fetchone()[0])
        return [json.loads(db.execute("SELECT data FROM questions WHERE id = ?", [q]).fetchone()[0])
                for q in ids]
    finally:
        db.conn.close()


def test_quiz_kiosk_round_by_wedge_scan(live_hub, page):
    zone_id, attendee_id, token = _setup(live_hub.database)
    pair_page(page, live_hub.url, live_hub.database, "zone", zone_id=zone_id, name="Quiz tablet")
    page.goto(f"{live_hub.url}/quiz")
    page.wait_for_selector("#quiz[data-ready=true]", timeout=TIMEOUT_MS)
    assert page.is_visible("text=Quét thẻ để chơi") and page.is_visible("text=Scan your badge to play")

    # A misread badge first: the red message, and the kiosk stays on the idle screen.
    page.keyboard.type("NOT-A-REAL-BADGE-XX", delay=5)
    page.keyboard.press("Enter")
    page.wait_for_selector("#quiz-idle-message:not([hidden])", timeout=TIMEOUT_MS)
    assert "Đây không phải thẻ" in page.inner_text("#quiz-idle-message")

    page.keyboard.type(f"{live_hub.url}/b/{token.lower()}", delay=5)  # a wedge types fast
    page.keyboard.press("Enter")
    page.wait_for_selector("#quiz-question:not([hidden])", timeout=TIMEOUT_MS)
    questions = _round_questions(live_hub.database)
    assert len(questions) == 5

    for i, q in enumerate(questions):
        page.wait_for_selector(f"#quiz-progress:has-text('Câu {i + 1}/5')", timeout=TIMEOUT_MS)
        assert page.inner_text("#quiz-prompt") == q["prompt"]["vi"]
        assert page.inner_text("#quiz-prompt-other") == q["prompt"]["en"]
        assert page.is_visible("#quiz-check") == (q["type"] == "multi")  # single: one tap answers
        choice = q["correct"] if i != 2 else [next(j for j in range(len(q["options"]))
                                                    if j not in q["correct"])]
        for index in choice:
            page.click(f"#quiz-options .quiz-option[data-index='{index}']")
        if q["type"] == "multi":
            page.click("#quiz-check")
        page.wait_for_selector("#quiz-feedback:not([hidden])", timeout=TIMEOUT_MS)
        assert page.inner_text("#quiz-verdict") == ("Chính xác!" if i != 2 else "Chưa đúng rồi.")
        assert page.inner_text("#quiz-explanation") == q["explanation"]["vi"]
        assert page.inner_text("#quiz-help") == q["help"]["vi"]
        # the other language is one tap away (a closed <details>)
        assert page.text_content("#quiz-explanation-other") == q["explanation"]["en"]
        page.click("#quiz-next")

    page.wait_for_selector("#quiz-summary:not([hidden])", timeout=TIMEOUT_MS)
    assert "4/5" in page.inner_text("#quiz-summary-score")
    assert "80" in page.inner_text("#quiz-summary-points")

    db = open_db(str(live_hub.database), "NORMAL")
    try:
        rows = db.execute("SELECT points, source FROM ledger WHERE attendee_id = ?", [attendee_id]).fetchall()
    finally:
        db.conn.close()
    assert sorted((r["points"], r["source"]) for r in rows) == [(20, "quiz")] * 4

    # The next person must not see this result: "Done" clears the screen.
    page.click("#quiz-done")
    page.wait_for_selector("#quiz-idle:not([hidden])", timeout=TIMEOUT_MS)
    assert page.inner_text("#quiz-summary-score") == ""
