"""Self-paced quiz rounds: five questions after a badge scan, at a kiosk or on a phone.

Rules:
- A round holds ``n`` (5) questions picked from one bank, balanced across
  topics; a replay avoids the questions the attendee has already seen.
- ``scored`` is true only for the attendee's first round of a bank (a
  partial unique index makes that hold even when two kiosks race); later
  rounds are replays: same feedback, no points.
- An unfinished round of the same bank is resumed rather than replaced, so
  a child who walks away mid-round does not lose the scored attempt.
- Each question is answered once. Answers are idempotent on the client's
  id: a retry gets the stored feedback back with ``replayed: true``.
- Points: POINTS_PER_CORRECT (20) per correct answer in a scored round, a
  share of it for a partly right multi-answer one (games.scoring.credit),
  through ``kiosk.points.award(source="quiz", reference="round:<id>:<idx>")``.
  ``quiz_rounds.score`` counts correct answers (replays included); points
  live in ``quiz_answers.points`` and the ledger.
"""
from __future__ import annotations

import json
import re

from kiosk.db import now as utc_now
from kiosk.db import transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.points import award, total_points
from kiosk.validation import is_int

from games import scoring  # credit and ticks: one rule for live games and rounds
from games.quiz.questions import (DEFAULT_BANK, check_answer, explain, get_questions, pick_questions,
                        public_question, validate_choice)

ROUND_SIZE = 5
POINTS_PER_CORRECT = 20
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _load(db, round_id: int) -> dict:
    row = db.execute("SELECT * FROM quiz_rounds WHERE id = ?", [round_id]).fetchone()
    if row is None:
        raise NotFound("unknown_round", "That quiz round does not exist.")
    found = dict(row)
    found["question_ids"] = json.loads(found["question_ids"])
    return found


def get_round(db, round_id: int) -> dict:
    """The stored round (``attendee_id``, ``device_id``, ``question_ids`` …).

    Raises NotFound ``unknown_round``.
    """
    if not is_int(round_id, 1):
        raise NotFound("unknown_round", "That quiz round does not exist.")
    return _load(db, round_id)


def start_round(db, attendee_id: int, bank: str | None = None, n: int = ROUND_SIZE,
                now: str | None = None, device_id: int | None = None, rng=None) -> dict:
    """Start (or resume) a round of ``n`` questions of ``bank`` for an attendee.

    Returns :func:`round_state`, with ``resumed`` true when an unfinished
    round of the same bank was picked up again. Raises NotFound
    ``unknown_bank`` and ServiceError ``not_enough_questions``.
    """
    bank = bank or DEFAULT_BANK
    stamp = now or utc_now()
    with transaction(db):
        open_round = db.execute(
            "SELECT id FROM quiz_rounds WHERE attendee_id = ? AND bank = ? AND finished_at IS NULL "
            "ORDER BY id DESC LIMIT 1", [attendee_id, bank]).fetchone()
        if open_round is not None:
            db.execute("UPDATE quiz_rounds SET device_id = ? WHERE id = ?", [device_id, open_round["id"]])
            return {**round_state(db, open_round["id"]), "resumed": True}
        seen = _seen_questions(db, attendee_id, bank)
        picked = pick_questions(db, bank, n, rng=rng, exclude=seen)
        scored = db.execute("SELECT 1 FROM quiz_rounds WHERE attendee_id = ? AND bank = ? AND scored = 1",
                            [attendee_id, bank]).fetchone() is None
        cur = db.execute(
            "INSERT INTO quiz_rounds (attendee_id, bank, question_ids, scored, started_at, device_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [attendee_id, bank, json.dumps([q["id"] for q in picked]), int(scored), stamp, device_id])
        return {**round_state(db, cur.lastrowid), "resumed": False}


def _seen_questions(db, attendee_id: int, bank: str) -> set[str]:
    seen: set[str] = set()
    for row in db.execute("SELECT question_ids FROM quiz_rounds WHERE attendee_id = ? AND bank = ?",
                          [attendee_id, bank]):
        seen.update(json.loads(row["question_ids"]))
    return seen


def round_state(db, round_id: int) -> dict:
    """What a player's screen needs: the questions (no answers) and the feedback so far."""
    rnd = get_round(db, round_id)
    questions = get_questions(db, rnd["question_ids"])
    answered = {a["index"]: a for a in _answers(db, rnd, questions)}
    next_index = next((i for i in range(len(questions)) if i not in answered), None)
    return {"id": rnd["id"], "bank": rnd["bank"], "scored": bool(rnd["scored"]),
            "size": len(questions), "points_per_correct": POINTS_PER_CORRECT if rnd["scored"] else 0,
            "questions": [public_question(q) for q in questions],
            "answers": [answered[i] for i in sorted(answered)],
            "next_index": next_index, "finished": rnd["finished_at"] is not None}


def _answers(db, rnd: dict, questions: list[dict]) -> list[dict]:
    rows = db.execute("SELECT * FROM quiz_answers WHERE round_id = ? ORDER BY idx", [rnd["id"]]).fetchall()
    return [_feedback(questions[r["idx"]], r) for r in rows]


def _feedback(q: dict, row) -> dict:
    choice = json.loads(row["choice"])
    feedback = {"index": row["idx"], "question_id": q["id"], "choice": choice,
                "correct": bool(row["correct"]), "correct_options": list(q["correct"]),
                "points": row["points"], **explain(q)}
    if len(q["correct"]) > 1:  # "2 of 3 right"
        feedback["right"] = [scoring.ticks(q["correct"], choice)[0], len(q["correct"])]
    return feedback


def _check_client_id(client_id) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ServiceError("bad_client_id", "The answer needs an id of 8 to 64 letters, digits, - or _.")
    return client_id


def answer(db, round_id: int, question_index, choice, client_id, now: str | None = None) -> dict:
    """Record the answer to question ``question_index`` of a round and return feedback.

    Feedback: ``correct``, ``correct_options``, ``explanation`` and ``help``
    (both languages), ``points`` earned, plus the round's ``next_index``,
    ``finished`` and the attendee's ``total_points``. Idempotent on
    ``client_id`` (a repeat returns the stored feedback with ``replayed``).
    Raises NotFound ``unknown_round``; ServiceError (400) ``bad_client_id``,
    ``bad_index``, ``bad_choice``; (409) ``already_answered``,
    ``client_id_reused``, ``round_finished``.
    """
    client_id = _check_client_id(client_id)
    with transaction(db):
        rnd = get_round(db, round_id)
        previous = db.execute("SELECT * FROM quiz_answers WHERE client_id = ?", [client_id]).fetchone()
        if previous is not None:
            if previous["round_id"] != rnd["id"] or previous["idx"] != question_index:
                raise ServiceError("client_id_reused", "This answer id was already used for another question.",
                                   status=409)
            return _result(db, rnd, question_index, replayed=True)
        if (not is_int(question_index)
                or not 0 <= question_index < len(rnd["question_ids"])):
            raise ServiceError("bad_index", "There is no such question in this round.")
        if db.execute("SELECT 1 FROM quiz_answers WHERE round_id = ? AND idx = ?",
                      [rnd["id"], question_index]).fetchone():
            raise ServiceError("already_answered", "This question has already been answered.", status=409)
        if rnd["finished_at"] is not None:
            raise ServiceError("round_finished", "This round is over. Scan your badge to play again.", status=409)
        q = get_questions(db, [rnd["question_ids"][question_index]])[0]
        picked = validate_choice(q, choice)
        correct = check_answer(q, picked)
        points = round(POINTS_PER_CORRECT * scoring.credit(q["correct"], picked)) if rnd["scored"] else 0
        stamp = now or utc_now()
        db.execute("INSERT INTO quiz_answers (round_id, idx, choice, correct, points, client_id, answered_at) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [rnd["id"], question_index, json.dumps(picked), int(correct), points, client_id, stamp])
        if points:
            award(db, rnd["attendee_id"], points, "quiz", f"round:{rnd['id']}:{question_index}",
                  reason=f"quiz {rnd['bank']} {q['id']}")
        _update_round(db, rnd["id"], len(rnd["question_ids"]), stamp)
        result = _result(db, rnd, question_index, replayed=False)
    return result


def _update_round(db, round_id: int, size: int, stamp: str) -> None:
    """Keep the round's score (correct answers) and finish it after its last answer."""
    count, right = db.execute("SELECT COUNT(*), COALESCE(SUM(correct), 0) FROM quiz_answers "
                              "WHERE round_id = ?", [round_id]).fetchone()
    db.execute("UPDATE quiz_rounds SET score = ?, finished_at = CASE WHEN ? >= ? THEN ? "
               "ELSE finished_at END WHERE id = ?", [right, count, size, stamp, round_id])


def _result(db, rnd: dict, index: int, replayed: bool) -> dict:
    state = round_state(db, rnd["id"])
    feedback = next(a for a in state["answers"] if a["index"] == index)
    return {**feedback, "round_id": rnd["id"], "scored": state["scored"], "replayed": replayed,
            "next_index": state["next_index"], "finished": state["finished"],
            "total_points": total_points(db, rnd["attendee_id"])}


def finish(db, round_id: int, now: str | None = None) -> dict:
    """End a round early (unanswered questions earn nothing) and return its summary.

    Finishing a finished round just returns the summary. Raises NotFound ``unknown_round``.
    """
    with transaction(db):
        get_round(db, round_id)
        db.execute("UPDATE quiz_rounds SET finished_at = COALESCE(finished_at, ?) WHERE id = ?",
                   [now or utc_now(), round_id])
        return summary(db, round_id)


def summary(db, round_id: int) -> dict:
    """The end-of-round card: correct answers, points of this round, festival total."""
    rnd = get_round(db, round_id)
    row = db.execute("SELECT COUNT(*) AS answered, COALESCE(SUM(correct), 0) AS correct, "
                     "COALESCE(SUM(points), 0) AS points FROM quiz_answers WHERE round_id = ?",
                     [round_id]).fetchone()
    return {"round_id": rnd["id"], "bank": rnd["bank"], "scored": bool(rnd["scored"]),
            "size": len(rnd["question_ids"]), "answered": row["answered"], "correct": row["correct"],
            "points": row["points"], "finished": rnd["finished_at"] is not None,
            "total_points": total_points(db, rnd["attendee_id"])}
