"""Privacy operations: the purge after the event, and one person's withdrawal.

Personal data in the festival file (DESIGN §4) and what happens to it:

- ``attendees``: full_name, name_fold, name_sort, nickname, school,
  school_fold, class_name, consent_* (who recorded consent, how, when),
  guardian_contact, checked_in_by → the row is deleted.
- ``badges`` (tokens), ``checkins``, ``visits``, ``ledger``, ``point_totals``,
  ``rewards``, ``quiz_rounds`` / ``quiz_answers``: rows of one person →
  deleted (every table with an ``attendee_id`` column, found at run time).
- ``players`` (nickname, attendee link) and ``game_answers``: every table
  with a ``player_id`` column → deleted.
- ``scans``: scanned_text (a token) and the stored answer (it carries the
  nickname and given name) → cleared; the anonymous row (time, station,
  result) stays.
- ``board_group_totals``, ``board_school_totals`` (school and class names
  with their points): every table with a ``school``, ``school_fold`` or
  ``class_name`` column → emptied; the per-school boards are gone after
  the event.
- ``report_facts`` (kiosk/report/facts.py): the impact report's anonymous
  counts are added here before the rows go; no person and no small school
  is named in it.
- ``audit_log``: detail text of person-related actions, class names in
  targets → cleared. Staff and device names stay: they are accountability.

``kiosk`` must not import ``checkin`` or ``games``: this module works on
tables with SQL and asks ``sqlite_master`` which tables exist, so it keeps
working as features add tables. A new table with an ``attendee_id`` or
``player_id`` column is treated as personal automatically. Both operations
check their own result before they commit: no column of any table may still
hold a removed person's full name (:func:`verify_gone`), or nothing is
removed and the command says where the names would have stayed.
"""
from __future__ import annotations

import sqlite3

from kiosk.audit import audit
from kiosk.db import now, transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.report import facts as report_facts
from kiosk.signals import announce, nickname_changed, points_changed

# Audit actions whose detail text never names an attendee.
KEEP_DETAIL = ("device.", "backup.", "festival.", "staff.", "zone.", "game.create", "bank.")
SCAN_ANONYMOUS = "json_object('result', result, 'purged', 1)"
# Tables without a person column that still name schools or classes (those
# with a school/class column are found by group_tables() as well).
GROUP_TABLES = ("board_group_totals",)
GROUP_COLUMNS = {"school", "school_fold", "class_name"}


def tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def columns(db, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({quote(table)})")}


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def person_tables(db) -> tuple[list[str], list[str]]:
    """(tables with an attendee_id column, tables with a player_id column),
    leaving out ``scans`` (anonymised instead) and ``attendees`` itself."""
    by_attendee, by_player = [], []
    for table in sorted(tables(db)):
        if table in ("scans", "attendees", "aggregates", "report_facts") or table.startswith("sqlite_"):
            continue
        cols = columns(db, table)
        if "attendee_id" in cols:
            by_attendee.append(table)
        elif "player_id" in cols:
            by_player.append(table)
    return by_attendee, by_player


def group_tables(db) -> list[str]:
    """Tables other than ``attendees`` that name schools or classes."""
    have = tables(db)
    found = {t for t in have - {"attendees"} if not t.startswith("sqlite_") and columns(db, t) & GROUP_COLUMNS}
    return sorted(found | (set(GROUP_TABLES) & have))


# --- verifying the result ------------------------------------------------------

def remember_names(db, where: str = "", params=()) -> None:
    """Keep the full names (and their folded forms) of the people about to
    be removed in a temporary table, for :func:`verify_gone`."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS purged_names (name TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DELETE FROM temp.purged_names")
    for column in ("full_name", "name_fold"):
        db.execute(f"INSERT OR IGNORE INTO temp.purged_names SELECT {column} FROM attendees "
                   f"WHERE {column} IS NOT NULL AND {column} != '' {where}", list(params))


def verify_gone(db, skip: set[str] = frozenset()) -> None:
    """Raise ServiceError ``purge_incomplete`` (so the caller's transaction
    rolls back and nothing reports success) when any column of any table,
    whatever the schema, still holds one of the names :func:`remember_names`
    kept; ``skip`` names tables whose rows of the person were deleted by id
    (others there may share the name). Drops the temporary table."""
    try:
        found = []
        for table in sorted(tables(db) - set(skip)):
            if table.startswith("sqlite_"):
                continue
            for column in sorted(columns(db, table)):
                hit = db.execute(f"SELECT 1 FROM {quote(table)} WHERE {quote(column)} IN "
                                 "(SELECT name FROM temp.purged_names) LIMIT 1").fetchone()
                if hit:
                    found.append(f"{table}.{column}")
    finally:
        db.execute("DROP TABLE IF EXISTS temp.purged_names")
    if found:
        raise ServiceError("purge_incomplete", "Nothing was removed: personal names would stay in %(where)s.",
                           status=409, where=", ".join(found[:10]))


# --- aggregates --------------------------------------------------------------

def _add(db, kind: str, key, value, stamp: str) -> None:
    if value:
        db.execute(
            "INSERT INTO aggregates (kind, key, value, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = value + excluded.value, "
            "updated_at = excluded.updated_at",
            [kind, str(key), int(value), stamp])


def compute_aggregates(db) -> int:
    """Add this festival's anonymous counts to ``aggregates`` (inside the
    caller's transaction); returns how many (kind, key) rows were touched.

    Counts are added to what is there, so purging twice (day one, day two)
    sums the days and a second purge of an empty festival adds nothing.
    """
    stamp = now()
    have = tables(db)
    queries = [
        ("registered_per_age_band", "SELECT age_band, COUNT(*) FROM attendees GROUP BY age_band"),
        ("checked_in_per_age_band",
         "SELECT age_band, COUNT(*) FROM attendees WHERE checked_in_at IS NOT NULL GROUP BY age_band"),
        ("checkins_per_hour_utc",
         "SELECT substr(at, 1, 13) || ':00', COUNT(*) FROM checkins WHERE undone_at IS NULL GROUP BY 1"),
        ("visits_per_zone",
         "SELECT z.slug, COUNT(*) FROM visits v JOIN zones z ON z.id = v.zone_id GROUP BY z.slug"),
        ("visitors_per_zone",
         "SELECT z.slug, COUNT(DISTINCT v.attendee_id) FROM visits v JOIN zones z ON z.id = v.zone_id "
         "GROUP BY z.slug"),
        ("points_per_source", "SELECT source, SUM(points) FROM ledger GROUP BY source"),
    ]
    if {"quiz_answers", "quiz_rounds"} <= have:
        per_question = (
            "SELECT j.value AS question, a.correct FROM quiz_answers a "
            "JOIN quiz_rounds r ON r.id = a.round_id JOIN json_each(r.question_ids) j ON j.key = a.idx")
        queries += _question_queries(per_question, "self_paced")
    if {"game_answers", "game_questions"} <= have:
        per_question = (
            "SELECT q.question_id AS question, a.correct FROM game_answers a "
            "JOIN game_questions q ON q.game_id = a.game_id AND q.idx = a.idx")
        queries += _question_queries(per_question, "live")
    touched = 0
    for kind, sql in queries:
        for key, value in db.execute(sql).fetchall():
            if key is not None:
                _add(db, kind, key, value, stamp)
                touched += 1
    return touched


def _question_queries(source_sql: str, mode: str) -> list[tuple[str, str]]:
    return [
        (f"answers_correct_{mode}", f"SELECT question, COUNT(*) FROM ({source_sql}) WHERE correct GROUP BY 1"),
        (f"answers_incorrect_{mode}",
         f"SELECT question, COUNT(*) FROM ({source_sql}) WHERE NOT correct GROUP BY 1"),
    ]


def aggregates(db) -> list[dict]:
    """Every aggregate row, for reports and tests."""
    return [dict(r) for r in db.execute("SELECT kind, key, value FROM aggregates ORDER BY kind, key")]


# --- the purge ---------------------------------------------------------------

def purge_personal_data(db, by: str) -> dict:
    """Compute the aggregates, then delete every person's data, in one
    transaction; then rewrite the file so nothing is left in free pages or
    the WAL. Returns counts of what was removed.

    Run it with the hub stopped: the final VACUUM and WAL truncation need
    the file to themselves (``wal_busy`` in the result says when they did not
    get it; run the command again then).
    """
    db.conn.execute("PRAGMA secure_delete = ON")
    with transaction(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        touched = compute_aggregates(db)
        # The impact report's anonymous counts move from the rows to
        # report_facts, so the report reads the same after the purge.
        report_facts.store(db)
        removed = {"attendees": db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0]}
        remember_names(db)
        by_attendee, by_player = person_tables(db)
        for table in by_player + by_attendee:
            removed[table] = db.execute(f"DELETE FROM {quote(table)}").rowcount
        db.execute(f"UPDATE scans SET scanned_text = NULL, attendee_id = NULL, response = {SCAN_ANONYMOUS}")
        db.execute("DELETE FROM attendees")
        for table in group_tables(db):
            removed[table] = db.execute(f"DELETE FROM {quote(table)}").rowcount
        scrub_audit(db)
        verify_gone(db)
        audit(db, by, "festival.purge", None, f"attendees={removed['attendees']} aggregates={touched}")
    return {"removed": removed, "aggregates": touched, **compact(db)}


def scrub_audit(db, target: str | None = None) -> None:
    """Clear audit details that may name people (all rows, or one target's)."""
    keep = " AND ".join("action NOT LIKE ?" for _ in KEEP_DETAIL)
    params = [prefix + "%" for prefix in KEEP_DETAIL]
    if target is None:
        db.execute(f"UPDATE audit_log SET detail = NULL WHERE detail IS NOT NULL AND {keep}", params)
        db.execute("UPDATE audit_log SET target = 'class' WHERE target LIKE 'class:%'")
    else:
        db.execute("UPDATE audit_log SET detail = NULL WHERE target = ?", [target])


def compact(db) -> dict:
    """VACUUM (deleted rows leave no trace in free pages) and truncate the WAL
    (old page images of deleted rows live there until checkpointed)."""
    conn = db.conn
    try:
        conn.execute("VACUUM")
        vacuumed = True
    except sqlite3.OperationalError:
        vacuumed = False  # another connection is reading; secure_delete still zeroed the pages
    busy, _log, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return {"vacuumed": vacuumed, "wal_busy": bool(busy)}


# --- withdrawal of one attendee ----------------------------------------------

def withdraw_attendee(db, attendee_id: int, by: str) -> dict:
    """Delete one attendee's data at once (a guardian withdrew consent).

    One transaction: the attendee row, badges, check-ins, visits, ledger rows
    and totals, rewards, quiz rounds, game players and their answers; scans
    keep only their anonymous result. The audit row names the id, never the
    person. Returns ``{"attendee_id", "player_ids", "removed"}`` and announces
    ``points_changed`` and ``nickname_changed`` (boards drop the person).
    Raises NotFound ``unknown_attendee``.
    """
    with transaction(db):
        db.execute("PRAGMA defer_foreign_keys = ON")
        if db.execute("SELECT 1 FROM attendees WHERE id = ?", [attendee_id]).fetchone() is None:
            raise NotFound("unknown_attendee", "No such attendee.")
        tokens = [r[0] for r in db.execute("SELECT token FROM badges WHERE attendee_id = ?", [attendee_id])]
        remember_names(db, "AND id = ?", [attendee_id])
        by_attendee, by_player = person_tables(db)
        player_ids = []
        if "players" in by_attendee:
            player_ids = [r[0] for r in db.execute("SELECT id FROM players WHERE attendee_id = ?",
                                                   [attendee_id])]
        removed = {}
        marks = ",".join("?" for _ in player_ids)
        for table in by_player if player_ids else []:
            removed[table] = db.execute(f"DELETE FROM {quote(table)} WHERE player_id IN ({marks})",
                                        player_ids).rowcount
        for table in by_attendee:
            removed[table] = db.execute(f"DELETE FROM {quote(table)} WHERE attendee_id = ?",
                                        [attendee_id]).rowcount
        db.execute(f"UPDATE scans SET scanned_text = NULL, attendee_id = NULL, response = {SCAN_ANONYMOUS} "
                   "WHERE attendee_id = ?", [attendee_id])
        for token in tokens:
            # Scans of a replaced badge may not link to the person but still hold the token.
            db.execute(f"UPDATE scans SET scanned_text = NULL, response = {SCAN_ANONYMOUS} "
                       "WHERE upper(scanned_text) LIKE ?", ["%" + token.upper() + "%"])
        scrub_audit(db, f"attendee:{attendee_id}")
        db.execute("DELETE FROM attendees WHERE id = ?", [attendee_id])
        # Rows of this person were deleted by id; others there may share the name.
        verify_gone(db, skip={"attendees", *by_attendee, *by_player})
        audit(db, by, "attendee.withdraw", f"attendee:{attendee_id}", None)
        announce(db, points_changed, attendee_ids=[attendee_id])
        announce(db, nickname_changed, attendee_id=attendee_id, nickname=None, hidden=True)
    return {"attendee_id": attendee_id, "player_ids": player_ids, "removed": removed}
