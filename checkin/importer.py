"""Class lists from schools: import of attendees with their badges.

A school sends a spreadsheet: an Excel workbook (.xlsx, read directly; title
rows above the header are skipped) or CSV (UTF-8, with or without a BOM,
comma- or semicolon-separated). Columns are found by their header, in
Vietnamese or English ("Họ và tên" / "full_name"), and a mapping can name
others. Every row is checked; good rows are imported in one transaction
(or none with ``all_or_nothing``), each bad row is reported with its row
number as a spreadsheet shows it and every problem of it (column, value,
reason). Duplicates (the same name, school and class, or the same name and
date of birth) are skipped; names equal only without accents or capitals
(Doãn and Đoàn) are different people: imported, and listed as possible
duplicates for the organiser to review.
"""
from __future__ import annotations

from datetime import date

from kiosk import nicknames, tokens
from kiosk.audit import audit
from kiosk.db import now, refresh_statistics, transaction
from kiosk.errors import ServiceError
from kiosk.signals import announce, attendee_registered
from kiosk.text import fold, name_sort_key

from .attendees import AGE_BANDS
from .import_checks import check_rows, name_key
from .import_rows import ImportReport, RowError, parse_mapping
from .search_words import index_rows, pair_rows

__all__ = ["ImportReport", "import_csv", "parse_mapping"]


BATCH = 1000


def _insert_all(db, good, by: str, stamp: str) -> None:
    """Insert attendees and their badges in batches (inside the caller's transaction)."""
    next_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM attendees").fetchone()[0] + 1
    # Generated nicknames must differ from every attendee's, and within the file.
    taken = {r[0] for r in db.execute("SELECT nickname FROM attendees WHERE purged_at IS NULL")}
    taken.update(d.nickname for _row, d in good if d.nickname)
    for start in range(0, len(good), BATCH):
        people, badges, words, pairs = [], [], [], []
        for _row, d in good[start:start + BATCH]:
            consented = d.consent_child or d.consent_guardian or d.consent_public or d.consent_photo
            nickname = d.nickname or nicknames.unique_default(db, taken=taken)
            people.append((next_id, d.full_name, fold(d.full_name), name_sort_key(d.full_name), nickname,
                           d.age_band, d.school, fold(d.school) or None, d.class_name,
                           int(d.consent_child), int(d.consent_guardian), int(d.consent_public),
                           int(d.consent_photo), by if consented else None, d.consent_method,
                           stamp if consented else None, d.guardian_contact, stamp))
            badges.append((tokens.new_token(), next_id, stamp, by))
            words += index_rows(next_id, d.full_name, d.school, d.class_name)
            pairs += pair_rows(next_id, d.full_name)
            next_id += 1
        # The search words first: the insert trigger then skips these attendees
        # (it would cost four times the row; the foreign key is deferred).
        db.conn.executemany("INSERT INTO attendee_words (word, attendee_id, pos, role, exact) VALUES (?, ?, ?, ?, ?)",
                            words)
        db.conn.executemany("INSERT INTO attendee_pairs (pair, attendee_id) VALUES (?, ?)", pairs)
        db.conn.executemany(
            "INSERT INTO attendees (id, full_name, name_fold, name_sort, nickname, age_band, school, "
            "school_fold, class_name, source, consent_child, consent_guardian, consent_public, "
            "consent_photo, consent_by, consent_method, consent_at, guardian_contact, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
        db.conn.executemany("INSERT INTO badges (token, attendee_id, issued_at, issued_by) VALUES (?, ?, ?, ?)",
                            badges)


def _registered_keys(db) -> set[tuple]:
    rows = db.execute("SELECT full_name, school_fold, class_name FROM attendees WHERE purged_at IS NULL")
    return {(name_key(r[0]), r[1] or "", fold(r[2])) for r in rows}


def import_csv(db, source, mapping: dict | None = None, all_or_nothing: bool = False, by: str = "import",
               default_age_band: str | None = None, progress=None, day: date | None = None,
               school: str | None = None, class_name: str | None = None, dry_run: bool = False) -> ImportReport:
    """Import attendees from a class list (CSV bytes or text, .xlsx bytes, or a
    file object holding either); return the report.

    Good rows are imported with a badge each, in one transaction; with
    ``all_or_nothing`` any bad row means nothing is imported. Duplicates
    (same name with its accents, school and class, in the file or already
    registered; or same name and date of birth in the file) are skipped and
    reported; names equal only when folded are imported and listed in
    ``possible_duplicates``. A date of birth gives the age band on ``day``
    (default: the ``festival_date`` setting, else today). ``progress(n)`` is
    called as rows are checked. Every sheet of a workbook with a header is
    read; ``school`` and ``class_name`` fill in what neither a column nor
    a sheet's title says; with ``dry_run`` nothing is written (the report
    says what would be). Raises ServiceError for a file that cannot be read
    at all (encoding, not a workbook, no header, no name column, a name
    split into columns of which only some can be found, unknown mapping).
    """
    if default_age_band is not None and default_age_band not in AGE_BANDS:
        raise ServiceError("bad_age_band", "Please choose an age group.")
    if hasattr(source, "read"):
        source = source.read()
    report, good = check_rows(db, source, mapping, default_age_band, progress, day, school, class_name)
    report.dry_run, report.ready = dry_run, len(good)
    if dry_run or (all_or_nothing and report.errors):
        return report
    stamp = now()
    with transaction(db):
        # Someone may have registered meanwhile: re-check against the database
        # inside the write lock so a duplicate never slips in.
        existing = _registered_keys(db)
        fresh = []
        for row, data in good:
            if (name_key(data.full_name), fold(data.school), fold(data.class_name)) in existing:
                report.duplicates.append(RowError(row, "duplicate", "Already registered: same name, school and class.",
                                                  value=data.full_name))
            else:
                fresh.append((row, data))
        _insert_all(db, fresh, by, stamp)
        report.imported = len(fresh)
        if fresh:
            announce(db, attendee_registered, attendee_id=None)
        audit(db, by, "attendees.import", None,
              f"imported={report.imported} duplicates={len(report.duplicates)} errors={len(report.errors)}")
    if report.imported and not db.conn.in_transaction:
        refresh_statistics(db)  # a class list can double the festival: let the search's planner know
    return report
