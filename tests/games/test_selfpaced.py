"""Self-paced quiz rounds: services, the kiosk and phone APIs, roles and badge checks."""
from __future__ import annotations

import random
import uuid

import pytest

from kiosk import tokens
from games.quiz import selfpaced as S
from games.quiz.questions import get_question
from kiosk import badgecheck
from kiosk.errors import ServiceError
from kiosk.signals import points_changed
from tests.support.http import post_json


def right(db, qid) -> list[int]:
    return list(get_question(db, qid)["correct"])


def wrong(db, qid) -> list[int]:
    q = get_question(db, qid)
    return [next(i for i in range(len(q["options"])) if i not in q["correct"])]


def cid() -> str:
    return uuid.uuid4().hex


def ledger(db, attendee_id):
    return db.execute("SELECT points, source, reference FROM ledger WHERE attendee_id = ? ORDER BY id",
                      [attendee_id]).fetchall()


@pytest.fixture
def quiz_kiosk(device_client, make_zone):
    return device_client("zone", zone_id=make_zone(kind="quiz"))


# --- services ----------------------------------------------------------------------

def test_first_round_is_scored_and_points_reach_the_ledger_once(db, make_attendee):
    attendee, _token = make_attendee()
    sent = []
    points_changed.connect(lambda _s, **kw: sent.append(kw["attendee_ids"]), weak=False)
    state = S.start_round(db, attendee, "core", rng=random.Random(3))
    assert state["scored"] and state["size"] == 5 and state["next_index"] == 0
    assert all("correct" not in q for q in state["questions"])
    qids = [q["id"] for q in state["questions"]]
    for i, qid in enumerate(qids):
        choice = right(db, qid) if i < 4 else wrong(db, qid)
        fb = S.answer(db, state["id"], i, choice, f"client-{i:04d}")
        assert fb["correct"] is (i < 4) and fb["points"] == (S.POINTS_PER_CORRECT if i < 4 else 0)
        assert fb["explanation"]["vi"] and fb["explanation"]["en"] and fb["help"]["vi"] and fb["help"]["en"]
        assert fb["correct_options"] == right(db, qid)
    assert fb["finished"] and fb["next_index"] is None and fb["total_points"] == 80
    rows = ledger(db, attendee)
    assert [(r["points"], r["source"]) for r in rows] == [(20, "quiz")] * 4
    assert {r["reference"] for r in rows} == {f"round:{state['id']}:{i}" for i in range(4)}
    assert sent == [[attendee]] * 4
    summary = S.summary(db, state["id"])
    assert (summary["correct"], summary["points"], summary["finished"]) == (4, 80, True)
    assert db.execute("SELECT score FROM quiz_rounds WHERE id = ?", [state["id"]]).fetchone()[0] == 4


def test_replays_are_allowed_unscored_and_show_new_questions(db, make_attendee):
    attendee, _ = make_attendee()
    first = S.start_round(db, attendee, "core")
    S.finish(db, first["id"])
    replay = S.start_round(db, attendee, "core")
    assert replay["id"] != first["id"] and not replay["scored"] and replay["points_per_correct"] == 0
    assert not {q["id"] for q in first["questions"]} & {q["id"] for q in replay["questions"]}
    qid = replay["questions"][0]["id"]
    fb = S.answer(db, replay["id"], 0, right(db, qid), cid())
    assert fb["correct"] and fb["points"] == 0 and fb["explanation"]["vi"]
    assert ledger(db, attendee) == []


def test_an_unfinished_round_is_resumed_not_replaced(db, make_attendee):
    attendee, _ = make_attendee()
    state = S.start_round(db, attendee, "core", device_id=None)
    S.answer(db, state["id"], 0, wrong(db, state["questions"][0]["id"]), cid())
    again = S.start_round(db, attendee, "core")
    assert again["id"] == state["id"] and again["resumed"] and again["scored"]
    assert again["next_index"] == 1 and [a["index"] for a in again["answers"]] == [0]


def test_answers_are_idempotent_on_client_id_and_one_per_question(db, make_attendee):
    attendee, _ = make_attendee()
    state = S.start_round(db, attendee, "core")
    qid = state["questions"][0]["id"]
    first = S.answer(db, state["id"], 0, right(db, qid), "same-client-id")
    again = S.answer(db, state["id"], 0, wrong(db, qid), "same-client-id")  # a retry of the same tap
    assert again["replayed"] and not first["replayed"]
    assert again["correct"] and again["points"] == first["points"] == 20
    with pytest.raises(ServiceError) as err:
        S.answer(db, state["id"], 0, wrong(db, qid), cid())
    assert err.value.code == "already_answered" and err.value.status == 409
    with pytest.raises(ServiceError) as err:
        S.answer(db, state["id"], 1, wrong(db, qid), "same-client-id")
    assert err.value.code == "client_id_reused" and err.value.status == 409
    assert len(ledger(db, attendee)) == 1
    assert db.execute("SELECT COUNT(*) FROM quiz_answers").fetchone()[0] == 1


@pytest.mark.parametrize("index,choice,client_id,code", [
    ("0", [0], "client-0001", "bad_index"),
    (5, [0], "client-0001", "bad_index"),
    (-1, [0], "client-0001", "bad_index"),
    (True, [0], "client-0001", "bad_index"),
    (0, 0, "client-0001", "bad_choice"),
    (0, ["0"], "client-0001", "bad_choice"),
    (0, [17], "client-0001", "bad_choice"),
    (0, [], "client-0001", "bad_choice"),
    (0, [0], "short", "bad_client_id"),
    (0, [0], 12345678, "bad_client_id"),
])
def test_bad_answers_are_refused_with_400_and_nothing_stored(db, make_attendee, index, choice, client_id, code):
    attendee, _ = make_attendee()
    state = S.start_round(db, attendee, "core")
    with pytest.raises(ServiceError) as err:
        S.answer(db, state["id"], index, choice, client_id)
    assert err.value.code == code and err.value.status == 400
    assert db.execute("SELECT COUNT(*) FROM quiz_answers").fetchone()[0] == 0


def test_badge_check_agrees_with_the_token_format():
    for _ in range(50):
        token = tokens.new_token()
        assert badgecheck.well_formed(token)
        mangled = token[:5] + ("0" if token[5] != "0" else "1") + token[6:]
        assert badgecheck.well_formed(mangled) == tokens.is_valid(mangled)
        assert badgecheck.token_from(f"http://hub/b/{tokens.pretty(token).lower()}") == tokens.extract(
            f"http://hub/b/{tokens.pretty(token).lower()}")


# --- kiosk API ----------------------------------------------------------------------------

def test_kiosk_scan_starts_a_round_and_plays_it_through(quiz_kiosk, db, make_attendee):
    attendee, token = make_attendee()
    response = post_json(quiz_kiosk, "/api/quiz/rounds", {"text": f"http://hub.local/b/{token}"})
    assert response.status_code == 200, response.json
    state = response.json["round"]
    assert state["scored"] and "correct" not in str(state["questions"])
    for i, q in enumerate(state["questions"]):
        r = post_json(quiz_kiosk, f"/api/quiz/rounds/{state['id']}/answers",
                      {"index": i, "choice": right(db, q["id"]), "client_id": cid()})
        assert r.status_code == 200 and r.json["feedback"]["correct"]
    done = post_json(quiz_kiosk, f"/api/quiz/rounds/{state['id']}/finish", {})
    assert done.json["summary"]["points"] == 100 and done.json["summary"]["total_points"] == 100
    row = db.execute("SELECT device_id FROM quiz_rounds WHERE id = ?", [state["id"]]).fetchone()
    assert row["device_id"] == quiz_kiosk.device_id


def test_kiosk_bad_badges_get_the_red_messages(quiz_kiosk, db, make_attendee):
    attendee, token = make_attendee()
    unknown = tokens.new_token()
    cases = [("garbage-text", 400, "invalid_badge"), (unknown, 404, "unknown_badge"),
             ("", 400, "invalid_badge")]
    db.execute("UPDATE badges SET revoked_at = '2026-01-01' WHERE token = ?", [token])
    db.conn.commit()
    cases.append((token, 410, "replaced_badge"))
    for text, status, code in cases:
        response = post_json(quiz_kiosk, "/api/quiz/rounds", {"text": text})
        assert response.status_code == status and response.json["error"]["code"] == code
        assert response.json["error"]["message_vi"] != response.json["error"]["message_en"]
    for body in ({"text": 5}, {"text": ["x"]}, {"text": token, "bank": 3}):
        assert post_json(quiz_kiosk, "/api/quiz/rounds", body).status_code == 400
    assert quiz_kiosk.post("/api/quiz/rounds", data="nope", content_type="application/json",
                           headers={"X-CSRF-Token": "x"}).status_code == 400
    assert db.execute("SELECT COUNT(*) FROM quiz_rounds").fetchone()[0] == 0


def test_wrong_choice_types_get_400_in_both_languages(quiz_kiosk, make_attendee):
    _attendee, token = make_attendee()
    state = post_json(quiz_kiosk, "/api/quiz/rounds", {"text": token}).json["round"]
    url = f"/api/quiz/rounds/{state['id']}/answers"
    for body in ({"index": 0, "choice": "1", "client_id": cid()},
                 {"index": 0, "choice": [99], "client_id": cid()},
                 {"index": "x", "choice": [0], "client_id": cid()},
                 {"index": 0, "choice": [0]}):
        response = post_json(quiz_kiosk, url, body)
        assert response.status_code == 400
        error = response.json["error"]
        assert error["message_vi"] and error["message_en"] and error["message_vi"] != error["message_en"]
    ok = post_json(quiz_kiosk, url, {"index": 0, "choice": [0], "client_id": "first-client"})
    assert ok.status_code == 200
    again = post_json(quiz_kiosk, url, {"index": 0, "choice": [1], "client_id": "second-client"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_answered"


def test_roles_desk_devices_and_other_zones_cannot_run_quiz_rounds(device_client, client, make_zone,
                                                                     make_attendee, quiz_kiosk):
    _attendee, token = make_attendee()
    desk = device_client("desk")
    assert post_json(desk, "/api/quiz/rounds", {"text": token}).status_code == 403
    assert desk.get("/quiz").status_code == 403
    assert post_json(client, "/api/quiz/rounds", {"text": token}).status_code == 401
    plain_zone = device_client("zone", zone_id=make_zone(kind="zone"))
    response = post_json(plain_zone, "/api/quiz/rounds", {"text": token})
    assert response.status_code == 403 and response.json["error"]["code"] == "not_quiz_zone"
    assert plain_zone.get("/quiz").status_code == 403
    # a round belongs to the kiosk that started it
    state = post_json(quiz_kiosk, "/api/quiz/rounds", {"text": token}).json["round"]
    other_kiosk = device_client("zone", zone_id=make_zone(kind="quiz"))
    stolen = post_json(other_kiosk, f"/api/quiz/rounds/{state['id']}/answers",
                       {"index": 0, "choice": [0], "client_id": cid()})
    assert stolen.status_code == 404
    assert post_json(desk, f"/api/quiz/rounds/{state['id']}/answers",
                     {"index": 0, "choice": [0], "client_id": cid()}).status_code == 403


def test_kiosk_page_renders_for_quiz_zone_and_admin(quiz_kiosk, admin_client, make_zone):
    page = quiz_kiosk.get("/quiz")
    assert page.status_code == 200
    assert "Quét thẻ để chơi" in page.text and "Scan your badge to play" in page.text
    assert "<script>" not in page.text and 'src="/static/js/quiz.js"' in page.text
    assert admin_client.get("/quiz").status_code == 200
    assert admin_client.get(f"/quiz?zone_id={make_zone(kind='quiz')}").status_code == 200
    assert admin_client.get(f"/quiz?zone_id={make_zone(kind='zone')}").status_code == 403


# --- phone -------------------------------------------------------------------------------

def test_phone_plays_with_the_token_and_cannot_touch_other_rounds(client, db, make_attendee):
    attendee, token = make_attendee()
    other, other_token = make_attendee()
    page = client.get(f"/b/{token}/quiz")
    assert page.status_code == 200 and 'data-mode="phone"' in page.text
    assert client.get(f"/b/{tokens.new_token()}/quiz").status_code == 404
    state = post_json(client, f"/api/quiz/phone/{token}/rounds", {}).json["round"]
    qid = state["questions"][0]["id"]
    fb = post_json(client, f"/api/quiz/phone/{token}/rounds/{state['id']}/answers",
                   {"index": 0, "choice": right(db, qid), "client_id": cid()})
    assert fb.status_code == 200 and fb.json["feedback"]["points"] == 20
    foreign = post_json(client, f"/api/quiz/phone/{other_token}/rounds/{state['id']}/answers",
                        {"index": 1, "choice": [0], "client_id": cid()})
    assert foreign.status_code == 404
    assert [r["points"] for r in ledger(db, attendee)] == [20] and ledger(db, other) == []


def test_phone_requests_are_rate_limited_per_address(app, client, make_attendee):
    _attendee, token = make_attendee()
    app.extensions["festival_ratelimiter"].reset()
    statuses = {client.get(f"/b/{token}/quiz").status_code for _ in range(130)}
    assert statuses == {200, 429}
