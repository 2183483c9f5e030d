"""Issue 23, kind scoring: partial credit on "choose all correct answers"
questions, the same rule in live games and self-paced rounds (games/scoring.py),
and the phone is told "2 of 3 right"."""
from __future__ import annotations

import random

import pytest

from games import scoring
from games.live import game as live
from games.quiz import questions
from games.quiz import selfpaced as S

T0 = 1_000_000.0


@pytest.mark.parametrize("right, picked, share", [
    ([0, 1, 2], [0, 1, 2], 1.0),
    ([0, 1, 2], [0, 1], 2 / 3),        # two of three right, nothing wrong
    ([0, 1, 2], [0, 1, 3], 1 / 3),     # two right, one wrong
    ([0, 1, 2], [0, 3], 0.0),          # one right, one wrong
    ([0, 1], [0, 1, 2, 3], 0.0),       # ticking everything earns nothing
    ([0, 1], [2, 3], 0.0),             # never below 0
    ([0, 1], [], 0.0),
    ([2], [2], 1.0),                   # one-answer questions: all or nothing
    ([2], [1], 0.0),
])
def test_credit_is_right_ticks_minus_wrong_ticks_never_below_zero(right, picked, share):
    assert scoring.credit(right, picked) == pytest.approx(share)


def test_answer_points_scale_with_the_share_and_streaks_need_a_full_answer():
    assert scoring.answer_points("accuracy", 2 / 3, 0, 20_000) == 667
    assert scoring.answer_points("speed", 2 / 3, 0, 20_000) == 667           # 1000 × 2/3
    assert scoring.answer_points("speed", 1 / 3, 20_000, 20_000) == 167      # 500 × 1/3
    assert scoring.answer_points("accuracy", 2 / 3, 0, 20_000, 3, True) == 667
    assert scoring.answer_points("accuracy", 1.0, 0, 20_000, 3, True) == 1300
    assert scoring.answer_points("accuracy", 0.0, 0, 20_000, 3, True) == 0


def _three_right_multis(db, n):
    """Multi-answer questions with at least three right options and one wrong one."""
    found = []
    for row in db.execute("SELECT id FROM questions WHERE type = 'multi' AND active = 1 ORDER BY id"):
        q = questions.get_question(db, row["id"])
        if len(q["correct"]) >= 3 and len(q["options"]) > len(q["correct"]):
            found.append(q)
    if len(found) < n:
        pytest.skip("the shipped bank has too few multi-answer questions with three right options")
    return found[:n]


def test_live_game_gives_partial_credit_and_tells_each_phone(gdb):
    q = _three_right_multis(gdb, 1)[0]
    right = list(q["correct"])
    wrong = next(i for i in range(len(q["options"])) if i not in right)
    game = live.create_game(gdb, bank="core", count=1, mode="accuracy", streak=True, host="test",
                            now=T0, time_limit=20, question_ids=[q["id"]])
    players = {name: live.join_by_code(gdb, game["code"], T0, nickname=name)["player"]["id"]
               for name in ("An", "Bình", "Chi", "Dũng")}
    live.start_game(gdb, game["id"], T0)
    live.answer(gdb, players["An"], 0, right, "a", T0 + 1)
    live.answer(gdb, players["Bình"], 0, right[:2], "b", T0 + 1)
    live.answer(gdb, players["Chi"], 0, right[:1] + [wrong], "c", T0 + 1)
    summary = live.close_question(gdb, game["id"], T0 + 30)
    res = {name: summary["results"][pid] for name, pid in players.items()}
    of = len(right)
    assert res["An"]["ok"] is True and res["An"]["pts"] == 1000 and res["An"]["rt"] == [of, of]
    assert res["Bình"]["ok"] is False and res["Bình"]["pts"] == round(1000 * 2 / of)
    assert res["Bình"]["rt"] == [2, of] and res["Bình"]["sc"] == res["Bình"]["pts"]
    assert res["Chi"]["pts"] == 0 and res["Chi"]["rt"] == [1, of]
    assert res["Dũng"]["ok"] is None and "rt" not in res["Dũng"]
    assert [res[n]["rk"] for n in ("An", "Bình", "Chi")] == [1, 2, 3]
    rows = {r["nickname"]: r for r in gdb.execute("SELECT nickname, streak, correct_count, score FROM players")}
    # Only a fully right answer counts as correct: streaks and accuracy stay honest.
    assert (rows["An"]["streak"], rows["An"]["correct_count"]) == (1, 1)
    assert (rows["Bình"]["streak"], rows["Bình"]["correct_count"]) == (0, 0)
    assert rows["Bình"]["score"] == round(1000 * 2 / of)


def test_self_paced_round_gives_partial_credit(db, make_attendee):
    attendee, _token = make_attendee()
    for seed in range(40):
        state = S.start_round(db, attendee, "core", rng=random.Random(seed))
        multis = [(i, q) for i, q in enumerate(state["questions"])
                  if len(questions.get_question(db, q["id"])["correct"]) >= 2]
        if multis:
            break
        db.execute("DELETE FROM quiz_answers"), db.execute("DELETE FROM quiz_rounds")
    else:
        pytest.skip("no round drew a multi-answer question")
    index, q = multis[0]
    right = list(questions.get_question(db, q["id"])["correct"])
    fb = S.answer(db, state["id"], index, right[:1], "partial-0001")
    assert fb["correct"] is False and fb["right"] == [1, len(right)]
    assert fb["points"] == round(S.POINTS_PER_CORRECT / len(right))
