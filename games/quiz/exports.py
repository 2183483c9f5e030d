"""The self-paced quiz export: every answer of every round."""
from __future__ import annotations

import json

from kiosk.exports import register_export


def option_text(data: dict | None, choice_json: str, lang: str = "vi") -> str:
    """The chosen options of a stored choice (JSON list of indexes) as text."""
    try:
        picked = json.loads(choice_json)
    except (TypeError, ValueError):
        return ""
    options = (data or {}).get("options") or []
    texts = [options[i].get(lang) or options[i].get("en") or "" for i in picked
             if isinstance(i, int) and 0 <= i < len(options)]
    return " | ".join(texts)


def answer_rows(db):
    """``quiz-answers``: one row per answer of a self-paced round."""
    yield ["round_id", "attendee_id", "nickname", "bank", "scored_round", "question_no", "question_id",
           "topic", "choice", "choice_text", "correct", "points", "answered_at_utc"]
    rows = db.execute(
        "SELECT r.id AS round_id, r.attendee_id, at.nickname, r.bank, r.scored, a.idx, a.choice, a.correct, "
        "a.points, a.answered_at, j.value AS question_id, q.topic, q.data "
        "FROM quiz_answers a JOIN quiz_rounds r ON r.id = a.round_id "
        "LEFT JOIN attendees at ON at.id = r.attendee_id "
        "LEFT JOIN json_each(r.question_ids) j ON j.key = a.idx "
        "LEFT JOIN questions q ON q.id = j.value ORDER BY r.id, a.idx")
    for r in rows:
        data = json.loads(r["data"]) if r["data"] else None
        yield [r["round_id"], r["attendee_id"], r["nickname"] or "", r["bank"], r["scored"], r["idx"] + 1,
               r["question_id"] or "", r["topic"] or "", _numbers(r["choice"]), option_text(data, r["choice"]),
               r["correct"], r["points"], r["answered_at"]]


def _numbers(choice_json: str) -> str:
    """Option numbers as people count them (1-based), e.g. "2" or "1,3"."""
    try:
        return ",".join(str(i + 1) for i in json.loads(choice_json))
    except (TypeError, ValueError):
        return ""


# The Excel file's headers (kiosk.exports.LABELS has the common ones).
LABELS = {
    "round_id": ("Mã lượt chơi", "Round ID"), "bank": ("Bộ câu hỏi", "Question bank"),
    "scored_round": ("Lượt tính điểm", "Scored round"), "choice_text": ("Đáp án đã chọn", "Answer chosen"),
    "answered_at_utc": ("Lúc trả lời", "Answered at"),
}


def init_app(app) -> None:
    register_export("quiz-answers", "Câu trả lời quiz tự chơi", "Self-paced quiz answers", answer_rows, LABELS)
