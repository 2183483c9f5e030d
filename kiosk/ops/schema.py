"""What this version's migrations make, object by object, and a backup checked against it.

A backup is data, never code: a trigger, a view, an index or a table that
the migrations do not make could run on every scan, keep a copy of every
child's name past the purge, or hand the file to someone else. So a backup's
schema must be exactly the one a fresh database gets from the same
migrations (the ones the backup has applied, so an older festival still
restores and is migrated afterwards). Anything else is refused by name.
"""
from __future__ import annotations

import re
import sqlite3

# SQLite's own tables: statistics from ANALYZE and AUTOINCREMENT counters.
INTERNAL_TABLES = {"sqlite_sequence", "sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4"}


class SchemaMismatch(Exception):
    """The backup's schema is not the one this version's migrations make."""


def _normal_sql(sql: str | None) -> str:
    """SQL text with quoting, case and spacing differences removed."""
    if sql is None:
        return ""
    text = re.sub(r'["`\[\]]', "", sql.lower())
    return re.sub(r"\s+", " ", re.sub(r"\s*([(),;=])\s*", r"\1", text)).strip()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple]:
    """Every schema object of ``conn`` as ``(type, name) -> description``:
    tables by their columns (``pragma table_xinfo``) and foreign keys, virtual
    tables, indexes, triggers and views by their SQL."""
    found = {}
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    for kind, name, table, sql in rows:
        if kind == "table" and name in INTERNAL_TABLES:
            continue
        if kind == "index" and sql is None and name.startswith("sqlite_autoindex_"):
            continue  # UNIQUE and PRIMARY KEY constraints: part of the table's columns
        if kind == "table" and not _normal_sql(sql).startswith("create virtual"):
            cols = tuple(tuple(r) for r in conn.execute(f"PRAGMA table_xinfo({_quote(name)})"))
            fks = tuple(sorted(tuple(map(str, r)) for r in conn.execute(f"PRAGMA foreign_key_list({_quote(name)})")))
            found[(kind, name)] = (table, cols, fks)
        else:
            found[(kind, name)] = (table, _normal_sql(sql))
    return found


def expected_schema(applied: set[str]) -> dict[tuple[str, str], tuple]:
    """The schema a fresh database has after exactly the migrations ``applied``
    (the first ones of this version's). Raises SchemaMismatch otherwise."""
    # Imported here: the backup child (python -m kiosk.ops.backup) never needs the migrations.
    import sqlite_utils
    from kiosk.migrations import migrations  # (the same reason)

    fresh = sqlite_utils.Database(memory=True)
    known = [m.name for m in migrations.pending(fresh)]
    if set(applied) != set(known[:len(applied)]):
        missing = [name for name in known[:len(applied)] if name not in applied]
        raise SchemaMismatch("its migrations are not the first ones of this version's"
                             + (f" (missing: {', '.join(missing[:5])})" if missing else ""))
    stop = known[len(applied)] if len(applied) < len(known) else None
    migrations.apply(fresh, stop_before=stop)
    try:
        return describe(fresh.conn)
    finally:
        fresh.conn.close()


def schema_differences(conn: sqlite3.Connection, applied: set[str]) -> list[str]:
    """Each way the schema of ``conn`` differs from what ``applied`` makes,
    one phrase per object (``"trigger 'x' is not made by this version"``)."""
    expected = expected_schema(applied)
    actual = describe(conn)
    problems = []
    for key in sorted(actual.keys() - expected.keys()):
        problems.append(f"{key[0]} '{key[1]}' is not made by this version")
    for key in sorted(expected.keys() - actual.keys()):
        problems.append(f"{key[0]} '{key[1]}' is missing")
    for key in sorted(actual.keys() & expected.keys()):
        if actual[key] != expected[key]:
            problems.append(f"{key[0]} '{key[1]}' is not as this version makes it")
    return problems
