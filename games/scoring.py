"""Scoring (live games and self-paced rounds), ranking and standings.

The formulas at the top are pure functions; the standings at the bottom read
the game's rows (public names, reveal summaries, podium). The formulas are documented in docs/games.md ("Scoring"); the tests pin them.

Speed mode: a correct answer earns ``SPEED_BASE`` plus up to ``SPEED_BONUS``
for speed, ``500 + round(500 × (1 − elapsed / limit))``; a wrong or missing
answer earns 0. Accuracy-first mode: ``ACCURACY_POINTS`` per correct answer;
speed only breaks ties (total time of correct answers, lower first).
With the streak bonus on, each consecutive correct answer after the first
adds ``STREAK_STEP`` more, capped at ``STREAK_CAP``.

Partial credit (both live games and self-paced rounds): an answer earns the
share :func:`credit` of the question's points. On a "choose all correct
answers" question that is (right ticks − wrong ticks) / right options, never
below 0; a one-answer question earns all or nothing.
"""
from __future__ import annotations

import json

from games.quiz import questions

MODES = ("speed", "accuracy")
SPEED_BASE = 500
SPEED_BONUS = 500
ACCURACY_POINTS = 1000
STREAK_STEP = 100
STREAK_CAP = 300
# A badge holder's game score becomes festival points at this rate (floor).
LEDGER_DIVISOR = 100


def streak_bonus(streak_before: int) -> int:
    """Bonus for a correct answer given ``streak_before`` correct answers in a row before it.

    The first correct answer of a run earns nothing extra, the second +100,
    the third +200, the fourth and later +300.
    """
    return min(STREAK_STEP * max(0, streak_before), STREAK_CAP)


def ticks(correct_options, picked) -> tuple[int, int]:
    """(right options ticked, wrong options ticked) of an answer."""
    right, chosen = set(correct_options), set(picked)
    return len(chosen & right), len(chosen - right)


def credit(correct_options, picked) -> float:
    """The share of a question's points an answer earns, from 0.0 to 1.0.

    (right ticks − wrong ticks) / number of right options, never below 0: on
    a "choose all correct answers" question with three right options, two
    right ticks earn 2/3, two right and one wrong 1/3; on a one-answer
    question the right option earns 1 and anything else 0. Only the exact
    set of right options earns 1.
    """
    right, wrong = ticks(correct_options, picked)
    return max(0, right - wrong) / max(1, len(set(correct_options)))


def answer_points(mode: str, correct: float, elapsed_ms: int, limit_ms: int,
                  streak_before: int = 0, streak_on: bool = False) -> int:
    """Points for one answer earning the share ``correct`` (True/1.0 fully
    correct, False/0 nothing, a fraction for partial credit; see :func:`credit`).

    The full points are scaled by the share and rounded; the streak bonus
    goes to fully correct answers only. ``elapsed_ms`` is measured by the
    server from the question's start; it is clamped to ``0..limit_ms`` so
    rounding or the network allowance never gives more than the maximum or
    less than the base. Raises ValueError for an unknown mode or a
    non-positive limit.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    if limit_ms <= 0:
        raise ValueError("limit_ms must be positive")
    share = min(1.0, max(0.0, float(correct)))
    if share == 0:
        return 0
    if mode == "speed":
        elapsed = min(max(elapsed_ms, 0), limit_ms)
        points = SPEED_BASE + round(SPEED_BONUS * (1 - elapsed / limit_ms))
    else:
        points = ACCURACY_POINTS
    if share < 1:
        return round(points * share)
    if streak_on:
        points += streak_bonus(streak_before)
    return points


def rank_key(mode: str, player: dict) -> tuple:
    """Sort key for a player row (best first).

    Both modes: higher ``score`` first. Accuracy mode then lower
    ``total_time_ms`` (time spent on correct answers). Then whoever reached
    their score first (``reached_at``), then the join order (``id``) so the
    order is total and stable.
    """
    if mode == "accuracy":
        return (-player["score"], player["total_time_ms"], player["reached_at"], player["id"])
    return (-player["score"], player["reached_at"], player["id"])


def rank_players(mode: str, players: list[dict]) -> list[dict]:
    """Return ``players`` sorted best first, each with ``rank`` (1-based) and
    ``gap`` (points behind the player just ahead; 0 for the leader)."""
    ordered = sorted(players, key=lambda p: rank_key(mode, p))
    previous = None
    for position, player in enumerate(ordered, start=1):
        player["rank"] = position
        player["gap"] = 0 if previous is None else previous["score"] - player["score"]
        previous = player
    return ordered


def ledger_points(score: int) -> int:
    """Festival points for a badge holder's final game score (score // 100, never negative)."""
    return max(0, int(score)) // LEDGER_DIVISOR


# ------------------------------------------------------------------ standings
# Reads over a game's rows. Player entries use the short keys of the socket
# protocol (docs/games.md): "no" player number, "nm" public name or None
# (screens show "Người chơi #no / Player #no"), "sc" score.

TOP_N = 5
PODIUM_N = 3

_PLAYER_COLUMNS = (
    "SELECT p.id, p.num, p.rank, p.nickname, p.hidden, p.attendee_id, p.score, p.streak, p.correct_count, "
    "p.total_time_ms, p.reached_at, a.nickname AS badge_nickname, a.consent_public, a.nickname_hidden "
    "FROM players p LEFT JOIN attendees a ON a.id = p.attendee_id ")


def public_name(row) -> str | None:
    """The name a public screen may show for a player row, or None.

    Badge holders show their festival nickname only with public-display
    consent and an unhidden nickname; walk-ups chose a filtered nickname
    themselves. A name the host hid is never shown.
    """
    if row["hidden"]:
        return None
    if row["attendee_id"] is not None:
        if row["consent_public"] == 1 and row["nickname_hidden"] == 0:
            return row["badge_nickname"]
        return None
    return row["nickname"]


def entry(row) -> dict:
    """A compact public entry: player number, public name (or None) and score."""
    return {"no": row["num"], "nm": public_name(row), "sc": row["score"]}


def standings(db, game: dict) -> list[dict]:
    """Every active player of ``game`` best first, with ``rank`` and ``gap``."""
    rows = [dict(r) for r in db.execute(_PLAYER_COLUMNS + "WHERE p.game_id = ? AND p.removed = 0",
                                        [game["id"]]).fetchall()]
    return rank_players(game["mode"], rows)


# Ranks are stored on the player rows whenever they can change (a question
# closes scored, a player is removed) and a new player is placed last, so an
# ack or a reconnect reads one row instead of ranking the game (issue 7).
# This statement must order exactly as rank_key does; a test compares them.
_STORE_RANKS = (
    "UPDATE players SET rank = r.position, gap = r.gap FROM ("
    " SELECT id, ROW_NUMBER() OVER w AS position, COALESCE(LAG(score) OVER w - score, 0) AS gap"
    " FROM players WHERE game_id = :g AND removed = 0"
    " WINDOW w AS (ORDER BY score DESC, {tiebreak} reached_at, id)"
    ") AS r WHERE r.id = players.id")


def store_ranks(db, game: dict) -> None:
    """Recompute and store every active player's ``rank`` and ``gap`` in ``game``.

    Call inside the transaction that changed scores or removed a player.
    """
    tiebreak = "total_time_ms," if game["mode"] == "accuracy" else ""
    db.execute(_STORE_RANKS.format(tiebreak=tiebreak), {"g": game["id"]})


def own_standing(db, game: dict | None, player: dict) -> dict:
    """One player's score, rank, gap to the player just ahead, the player
    count and streak: one primary-key read of the stored rank. ``game`` is
    only needed (and read when None) for a player without a stored rank."""
    row = db.execute("SELECT p.score, p.rank, p.gap, p.streak, g.players_active FROM players p "
                     "JOIN games g ON g.id = p.game_id WHERE p.id = ?", [player["id"]]).fetchone()
    if row is None or row["rank"] is None:  # a removed player keeps no rank
        if game is None:
            game = dict(db.execute("SELECT g.* FROM games g JOIN players p ON p.game_id = g.id "
                                   "WHERE p.id = ?", [player["id"]]).fetchone())
        return counted_standing(db, game, player)
    return {"sc": row["score"], "rk": row["rank"], "gap": row["gap"], "n": row["players_active"],
            "stk": row["streak"]}


def counted_standing(db, game: dict, player: dict) -> dict:
    """:func:`own_standing` counted in SQL from the scores (O(players)); the
    reference the stored ranks are checked against."""
    p = db.execute("SELECT * FROM players WHERE id = ?", [player["id"]]).fetchone()
    if game["mode"] == "accuracy":
        ahead = ("(score > :s OR (score = :s AND (total_time_ms < :t OR (total_time_ms = :t AND "
                 "(reached_at < :r OR (reached_at = :r AND id < :id))))))")
    else:
        ahead = "(score > :s OR (score = :s AND (reached_at < :r OR (reached_at = :r AND id < :id))))"
    row = db.execute(
        f"SELECT COUNT(*) AS ahead, MIN(score) AS next_score, "
        f"(SELECT COUNT(*) FROM players WHERE game_id = :g AND removed = 0) AS players "
        f"FROM players WHERE game_id = :g AND removed = 0 AND {ahead}",
        {"s": p["score"], "t": p["total_time_ms"], "r": p["reached_at"], "id": p["id"],
         "g": game["id"]}).fetchone()
    gap = 0 if row["next_score"] is None else row["next_score"] - p["score"]
    return {"sc": p["score"], "rk": row["ahead"] + 1, "gap": gap, "n": row["players"],
            "stk": p["streak"]}


def reveal_summary(db, game: dict, idx: int) -> dict:
    """What a closed question reveals.

    ``{"kind": "reveal", "game", "i", "skipped", "correct", "spread",
    "answered", "top" (5 entries), "results": {player_id: {"ok", "pts",
    "sc", "rk", "gap", "n", "stk" (streak), "rt" ([right ticks, right
    options], multi-answer questions only)}}}``; ``ok`` (fully correct) is
    None for a player who did not answer. Reads the stored ranks: one query for every player's result
    and the spread, one for the top 5.
    """
    gq = db.execute("SELECT * FROM game_questions WHERE game_id = ? AND idx = ?", [game["id"], idx]).fetchone()
    q = questions.get_question(db, gq["question_id"])
    rows = db.execute(
        "SELECT p.id, p.score, p.rank, p.gap, p.streak, a.correct, a.points, a.choice FROM players p "
        "LEFT JOIN game_answers a ON a.player_id = p.id AND a.idx = ? "
        "WHERE p.game_id = ? AND p.removed = 0", [idx, game["id"]]).fetchall()
    options, skipped = len(q["options"]), bool(gq["skipped"])
    several = len(q["correct"]) > 1
    counts, results, answered = [0] * options, {}, 0
    for r in rows:
        result = results[r["id"]] = {
            "ok": None if r["correct"] is None else bool(r["correct"]),
            "pts": 0 if r["correct"] is None or skipped else r["points"],
            "sc": r["score"], "rk": r["rank"], "gap": r["gap"], "n": len(rows), "stk": r["streak"]}
        if r["correct"] is not None:
            answered += 1
            picked = json.loads(r["choice"])
            for i in picked:
                if 0 <= i < options:
                    counts[i] += 1
            if several:  # "2 of 3 right" on the phone
                result["rt"] = [ticks(q["correct"], picked)[0], len(q["correct"])]
    return {"kind": "reveal", "game": game, "i": idx, "skipped": skipped,
            "correct": list(q["correct"]), "spread": counts, "answered": answered,
            "top": top_entries(db, game["id"], TOP_N), "results": results,
            "explain": questions.explain(q)}


def top_rows(db, game_id: int, n: int) -> list:
    """The ``n`` best active players' rows (with ``rank``), read by stored rank."""
    return db.execute(_PLAYER_COLUMNS + "WHERE p.game_id = ? AND p.removed = 0 AND p.rank <= ? ORDER BY p.rank",
                      [game_id, n]).fetchall()


def top_entries(db, game_id: int, n: int) -> list[dict]:
    """The ``n`` best active players' public entries, read by stored rank."""
    return [entry(r) for r in top_rows(db, game_id, n)]


def final_podium(db, game: dict) -> dict:
    """The podium (top 3 entries) and every player's final standing."""
    ranked = standings(db, game)
    return {"podium": [entry(p) for p in ranked[:PODIUM_N]],
            "results": {p["id"]: {"sc": p["score"], "rk": p["rank"], "gap": p["gap"], "n": len(ranked)}
                        for p in ranked}}
