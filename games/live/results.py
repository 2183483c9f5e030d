"""What a live game leaves behind: its results for the host (podium, players,
per-question answer spread and accuracy), the list of past games, and the
live-game exports (games with their podium, players, per-question answers).

Read-only SQL over the game tables; ranks come from ``games.scoring`` so the
results page orders players exactly as the game's own podium did.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from kiosk.errors import NotFound
from kiosk.exports import register_export

from games import scoring


def when(epoch) -> str:
    """Epoch seconds (the game clock) as ISO UTC text, or "" for None."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(float(epoch), timezone.utc).isoformat(timespec="seconds")


def past_games(db, limit: int = 200) -> list[dict]:
    """The newest ``limit`` games (any state) with their player and answer counts."""
    rows = db.execute(
        "SELECT g.id, g.code, g.title, g.mode, g.state, g.question_count, g.host, g.created_at, g.ended_at, "
        "g.players_active AS players, (SELECT COUNT(*) FROM game_answers a WHERE a.game_id = g.id) AS answers, "
        "(SELECT COUNT(*) FROM game_answers a WHERE a.game_id = g.id AND a.correct) AS correct "
        "FROM games g ORDER BY g.id DESC LIMIT ?", [limit]).fetchall()
    return [{**dict(r), "started": when(r["created_at"]), "ended": when(r["ended_at"]),
             "accuracy": _rate(r["correct"], r["answers"])} for r in rows]


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _questions(db, game_id: int) -> list[dict]:
    rows = db.execute(
        "SELECT gq.idx, gq.question_id, gq.skipped, gq.closed_at, q.topic, q.data FROM game_questions gq "
        "LEFT JOIN questions q ON q.id = gq.question_id WHERE gq.game_id = ? ORDER BY gq.idx",
        [game_id]).fetchall()
    spread: dict[tuple[int, int], int] = {}
    totals: dict[int, list[int]] = {}
    for a in db.execute("SELECT a.idx, a.choice, a.correct FROM game_answers a JOIN players p ON p.id = a.player_id "
                        "WHERE a.game_id = ? AND p.removed = 0", [game_id]):
        total = totals.setdefault(a["idx"], [0, 0])
        total[0] += 1
        total[1] += a["correct"]
        try:
            picked = json.loads(a["choice"])
        except ValueError:
            picked = []
        for option in picked if isinstance(picked, list) else []:
            spread[(a["idx"], option)] = spread.get((a["idx"], option), 0) + 1
    out = []
    for r in rows:
        data = json.loads(r["data"]) if r["data"] else {}
        answered, correct = totals.get(r["idx"], [0, 0])
        options = [{"n": i + 1, "vi": o.get("vi", ""), "en": o.get("en", ""),
                    "count": spread.get((r["idx"], i), 0), "correct": i in (data.get("correct") or [])}
                   for i, o in enumerate(data.get("options") or [])]
        out.append({"idx": r["idx"], "no": r["idx"] + 1, "question_id": r["question_id"], "topic": r["topic"] or "",
                    "prompt": data.get("prompt") or {"vi": r["question_id"], "en": r["question_id"]},
                    "skipped": bool(r["skipped"]), "asked": r["closed_at"] is not None,
                    "answered": answered, "correct": correct, "accuracy": _rate(correct, answered),
                    "options": options})
    return out


def game_results(db, game_id: int) -> dict:
    """Everything the host's results page shows for one game:
    ``{game, podium, players, questions, answers, accuracy}``. Players are
    ranked as the game ranks them; each player row carries the nickname the
    host saw and the name public screens may show. Raises NotFound
    ``unknown_game``."""
    row = db.execute("SELECT * FROM games WHERE id = ?", [game_id]).fetchone()
    if row is None:
        raise NotFound("unknown_game", "There is no such game.")
    game = dict(row)
    ranked = scoring.standings(db, game)
    players = [{"rank": p["rank"], "no": p["num"], "nickname": p["nickname"], "public": scoring.public_name(p),
                "badge": p["attendee_id"] is not None, "score": p["score"], "correct": p["correct_count"],
                "time_s": round(p["total_time_ms"] / 1000, 1)} for p in ranked]
    questions = _questions(db, game_id)
    answers = sum(q["answered"] for q in questions)
    correct = sum(q["correct"] for q in questions)
    game.update(started=when(game["created_at"]), ended=when(game["ended_at"]))
    return {"game": game, "podium": players[:scoring.PODIUM_N], "players": players, "questions": questions,
            "answers": answers, "accuracy": _rate(correct, answers)}


# --- exports -------------------------------------------------------------------

def games_rows(db):
    """``games``: one row per game with its counts and podium (player numbers and nicknames)."""
    yield ["game_id", "title", "code", "mode", "state", "questions", "host", "started_utc", "ended_utc",
           "players", "answers", "accuracy_percent", "first", "second", "third"]
    for g in reversed(past_games(db, limit=100_000)):
        podium = scoring.standings(db, g)[:scoring.PODIUM_N]
        names = [f"#{p['num']} {p['nickname']} ({p['score']})" for p in podium] + ["", "", ""]
        yield [g["id"], g["title"], g["code"], g["mode"], g["state"], g["question_count"], g["host"],
               g["started"], g["ended"], g["players"], g["answers"],
               "" if g["accuracy"] is None else g["accuracy"], *names[:3]]


def player_rows(db):
    """``game-players``: every player of every game with score and final rank."""
    yield ["game_id", "player_no", "nickname", "attendee_id", "hidden", "removed", "score", "correct_answers",
           "rank", "joined_utc"]
    rows = db.execute("SELECT * FROM players ORDER BY game_id, num")
    for p in rows:
        yield [p["game_id"], p["num"], p["nickname"], p["attendee_id"], p["hidden"], p["removed"], p["score"],
               p["correct_count"], p["rank"] if p["rank"] is not None else "", when(p["joined_at"])]


def answer_rows(db):
    """``game-answers``: every answer of every live game, per question."""
    yield ["game_id", "question_no", "question_id", "topic", "player_no", "nickname", "choice", "correct",
           "points", "elapsed_ms", "answered_utc"]
    rows = db.execute(
        "SELECT a.*, p.num, p.nickname, gq.question_id, q.topic FROM game_answers a "
        "JOIN players p ON p.id = a.player_id "
        "LEFT JOIN game_questions gq ON gq.game_id = a.game_id AND gq.idx = a.idx "
        "LEFT JOIN questions q ON q.id = gq.question_id ORDER BY a.game_id, a.idx, p.num")
    for a in rows:
        try:
            choice = ",".join(str(i + 1) for i in json.loads(a["choice"]))
        except (TypeError, ValueError):
            choice = ""
        yield [a["game_id"], a["idx"] + 1, a["question_id"] or "", a["topic"] or "", a["num"], a["nickname"],
               choice, a["correct"], a["points"], a["elapsed_ms"], when(a["answered_at"])]


# The Excel files' headers (kiosk.exports.LABELS has the common ones).
LABELS = {
    "title": ("Tên trò chơi", "Title"), "code": ("Mã tham gia", "Join code"), "mode": ("Chế độ", "Mode"),
    "state": ("Trạng thái", "State"), "questions": ("Số câu hỏi", "Questions"), "host": ("Người dẫn", "Host"),
    "started_utc": ("Lúc bắt đầu", "Started at"), "ended_utc": ("Lúc kết thúc", "Ended at"),
    "players": ("Số người chơi", "Players"), "answers": ("Số câu trả lời", "Answers"),
    "accuracy_percent": ("Tỉ lệ đúng (%)", "Correct (%)"), "first": ("Hạng nhất", "First"),
    "second": ("Hạng nhì", "Second"), "third": ("Hạng ba", "Third"), "hidden": ("Bị ẩn", "Hidden"),
    "removed": ("Bị loại", "Removed"), "score": ("Điểm số", "Score"), "correct_answers": ("Số câu đúng", "Correct answers"),
    "rank": ("Hạng", "Rank"), "joined_utc": ("Lúc tham gia", "Joined at"), "elapsed_ms": ("Thời gian trả lời (ms)", "Answer time (ms)"),
    "answered_utc": ("Lúc trả lời", "Answered at"),
}


def init_app(app) -> None:
    register_export("games", "Trò chơi trực tiếp (bục vinh quang)", "Live games (podium)", games_rows, LABELS)
    register_export("game-players", "Người chơi trò chơi trực tiếp", "Live game players", player_rows, LABELS)
    register_export("game-answers", "Câu trả lời trò chơi trực tiếp", "Live game answers", answer_rows, LABELS)
