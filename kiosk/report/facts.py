"""The impact report's anonymous facts: counts, never people.

``collect(db)`` counts the raw rows (attendees, check-ins, visits, rewards,
ledger, quiz and game answers); ``store(db)`` adds those counts to the
``report_facts`` table; the purge calls it inside its transaction just before
it deletes the raw rows. ``read(db)`` is what the report uses: the stored
facts plus what the raw rows say now. So the report reads the same before and
after a purge (the counts moved from the rows to the table), and a second
festival day adds to the first.

Keys are hours, age bands, zone slugs, schools with at least ``MIN_GROUP``
registered attendees (smaller groups are counted as "other"), passport rule
ids, question ids with option numbers, and game ids. A fact is ``(fact, k1,
k2) -> value``. Reads tables by SQL (checkin and games are features the core
must not import) and skips tables that do not exist.
"""
from __future__ import annotations

from collections import Counter

from kiosk.db import parse_time
from kiosk.realtime import socketio

# A school with fewer registered attendees is counted as "other schools":
# a school's name next to a count of one or two would point at children.
MIN_GROUP = 5
OTHER = "~other"
NONE = "~none"

Facts = Counter  # (fact, k1, k2) -> int


def _breathe() -> None:
    """Between the big GROUP BYs, let the hub's other greenlets run: on a
    big festival the report's queries take seconds in the one worker."""
    if socketio.server is not None:
        socketio.sleep(0)


def _tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def collect(db) -> Facts:
    """Count what the raw rows say now (nothing for purged data)."""
    have = _tables(db)
    facts: Facts = Counter()

    def add(fact: str, k1, k2, value) -> None:
        if value:
            facts[(fact, str(k1), str(k2))] += int(value)

    _attendance(db, add)
    _breathe()
    _zones(db, add)
    _breathe()
    if "rewards" in have:
        for rule, unlocked, claimed in db.execute(
                "SELECT rule_id, COUNT(*), SUM(claimed_at IS NOT NULL) FROM rewards GROUP BY rule_id"):
            add("reward", rule, "unlocked", unlocked)
            add("reward", rule, "claimed", claimed)
    for source, points, awards in db.execute("SELECT source, SUM(points), COUNT(*) FROM ledger GROUP BY source"):
        add("points", source, "points", points)
        add("points", source, "awards", awards)
    if {"quiz_answers", "quiz_rounds"} <= have:
        for started, finished in db.execute("SELECT COUNT(*), SUM(finished_at IS NOT NULL) FROM quiz_rounds"):
            add("rounds", "", "started", started)
            add("rounds", "", "finished", finished)
        _answers(db, add, "self", (
            "SELECT j.value, a.choice, a.correct, COUNT(*) FROM quiz_answers a "
            "JOIN quiz_rounds r ON r.id = a.round_id JOIN json_each(r.question_ids) j ON j.key = a.idx "
            "GROUP BY 1, 2, 3"))
        _breathe()
    if {"game_answers", "game_questions", "players"} <= have:
        _answers(db, add, "live", (
            "SELECT q.question_id, a.choice, a.correct, COUNT(*) FROM game_answers a "
            "JOIN game_questions q ON q.game_id = a.game_id AND q.idx = a.idx "
            "JOIN players p ON p.id = a.player_id WHERE p.removed = 0 GROUP BY 1, 2, 3"))
        for game, players in db.execute("SELECT game_id, COUNT(*) FROM players WHERE removed = 0 GROUP BY game_id"):
            add("game", game, "players", players)
        for game, answers, correct in db.execute(
                "SELECT a.game_id, COUNT(*), SUM(a.correct) FROM game_answers a JOIN players p ON p.id = a.player_id "
                "WHERE p.removed = 0 GROUP BY a.game_id"):
            add("game", game, "answers", answers)
            add("game", game, "correct", correct)
    return facts


def _attendance(db, add) -> None:
    for band, registered, checked in db.execute(
            "SELECT age_band, COUNT(*), SUM(checked_in_at IS NOT NULL) FROM attendees GROUP BY age_band"):
        add("age", band, "registered", registered)
        add("age", band, "checked_in", checked)
    for school, registered, checked in db.execute(
            "SELECT MIN(school), COUNT(*), SUM(checked_in_at IS NOT NULL) FROM attendees "
            "GROUP BY COALESCE(school_fold, '')"):
        key = NONE if not school else (school if registered >= MIN_GROUP else OTHER)
        add("school", key, "registered", registered)
        add("school", key, "checked_in", checked)
    for hour, count in db.execute(
            "SELECT substr(at, 1, 13), COUNT(*) FROM checkins WHERE undone_at IS NULL GROUP BY 1"):
        add("checkin_hour", hour, "", count)
    for (undone,) in db.execute("SELECT COUNT(*) FROM checkins WHERE undone_at IS NOT NULL"):
        add("checkins", "", "undone", undone)


def _zones(db, add) -> None:
    for slug, kind, count in db.execute(
            "SELECT z.slug, v.kind, COUNT(*) FROM visits v JOIN zones z ON z.id = v.zone_id GROUP BY 1, 2"):
        add("zone", slug, kind, count)
    for slug, visitors in db.execute(
            "SELECT z.slug, COUNT(DISTINCT v.attendee_id) FROM visits v JOIN zones z ON z.id = v.zone_id "
            "WHERE v.kind = 'enter' GROUP BY 1"):
        add("zone", slug, "visitors", visitors)
    # Measured dwell: an exit scan closes the person's latest entry (or repeat) in that zone.
    rows = db.execute(
        "SELECT z.slug, v.attendee_id, v.kind, v.at FROM visits v JOIN zones z ON z.id = v.zone_id "
        "WHERE v.zone_id IN (SELECT DISTINCT zone_id FROM visits WHERE kind = 'exit') "
        "ORDER BY v.zone_id, v.attendee_id, v.at, v.id")
    last_in: dict[tuple, str] = {}
    for slug, person, kind, at in rows:
        if kind != "exit":
            last_in[(slug, person)] = at
        elif (slug, person) in last_in:
            seconds = (parse_time(at) - parse_time(last_in.pop((slug, person)))).total_seconds()
            add("zone", slug, "dwell_s", round(seconds))
            add("zone", slug, "dwell_n", 1)
    for n, people in db.execute(
            "SELECT n, COUNT(*) FROM (SELECT COUNT(DISTINCT zone_id) AS n FROM visits WHERE kind = 'enter' "
            "GROUP BY attendee_id) GROUP BY n"):
        add("funnel", n, "", people)


def _answers(db, add, mode: str, sql: str) -> None:
    for question, choice, correct, count in db.execute(sql):
        add(f"q_{mode}", question, "correct" if correct else "wrong", count)
        if not correct:
            add(f"q_{mode}", question, "choice:" + str(choice), count)


def stored(db) -> Facts:
    """The facts stored by earlier purges."""
    return Counter({(r[0], r[1], r[2]): r[3] for r in
                    db.execute("SELECT fact, k1, k2, value FROM report_facts")})


def read(db) -> Facts:
    """What the report shows: stored facts plus the raw rows' counts now."""
    facts = stored(db)
    facts.update(collect(db))
    return facts


def store(db) -> int:
    """Add the raw rows' counts to ``report_facts`` (call inside the purge's
    transaction, before the rows go). Returns how many facts were written."""
    facts = collect(db)
    for (fact, k1, k2), value in facts.items():
        db.execute("INSERT INTO report_facts (fact, k1, k2, value) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (fact, k1, k2) DO UPDATE SET value = value + excluded.value",
                   [fact, k1, k2, value])
    return len(facts)
