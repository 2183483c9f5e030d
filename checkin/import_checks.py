"""Class lists, checked: each row read (checkin/import_rows.py) made an attendee, or
every problem of it reported; duplicates in the file and among those registered found
(checkin/importer.py writes the good rows)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from kiosk.db import get_setting
from kiosk.errors import ServiceError
from kiosk.text import clean, fold

from .attendees import AGE_BANDS, NewAttendee, validate
from .classlist import band_on, birth_date, cell_text, is_xlsx
from .import_rows import KNOWN_KEYS, MAX_ROWS, ImportReport, Row, RowError, SheetReport, csv_rows, decode, xlsx_sheets
from .layout import not_a_pupil

CONSENTS = ("consent_child", "consent_guardian", "consent_public", "consent_photo")
YES = {"1", "x", "v", "y", "yes", "true", "co", "dong y", "ok", "\u2713", "\u2714"}
NO = {"", "0", "n", "no", "false", "khong", "khong dong y", "-"}


def parse_bool(value: str) -> bool | None:
    """Consent cell to True/False; None when it is neither."""
    key = fold(value).strip(" .")
    if key in YES:
        return True
    if key in NO:
        return False
    return None


def age_band_of(value: str) -> str | None:
    """An age band cell ("7-15", "7–15", "18+", "dưới 7") or an age number to a band; None if neither."""
    key = fold(value).replace("\u2013", "-").replace("\u2014", "-").replace(" ", "")
    aliases = {"<7": "u7", "duoi7": "u7", "under7": "u7", "7-15": "7-15", "16-17": "16-17",
               "18+": "18+", ">=18": "18+", "tu18": "18+", "tren18": "18+", "18ormore": "18+"}
    if key in AGE_BANDS or key in aliases:
        return aliases.get(key, key)
    if key.isdigit():
        age = int(key)
        if age > 120:
            return None
        return "u7" if age < 7 else "7-15" if age <= 15 else "16-17" if age <= 17 else "18+"
    return None


_FIELD_OF_CODE = {"bad_name": "full_name", "bad_school": "school", "bad_class": "class_name",
                  "bad_nickname": "nickname"}
# A harmless stand-in for a bad field, so validation goes on to find the row's other problems.
_STAND_IN = {"full_name": "X", "school": None, "class_name": None, "nickname": None}


def _full_name(row: Row) -> str:
    """Every part of the name, in order; a row with a family or given name part empty is refused."""
    missing = row.missing_part()
    if missing:
        row.problems.append(RowError(row.number, "name_part_missing", "Part of the name is empty: %(column)s.",
                                     {"column": missing}, missing, row.full_name()[:200], row.sheet))
    return row.full_name()


def _age_band(row: Row, default_age_band: str | None, day: date):
    """(age band or None, date of birth or None), recording the row's problem if any."""
    born = None
    if row.cell("birth_date"):
        try:
            born = birth_date(row.raw("birth_date"))
        except ServiceError as exc:
            row.problem("birth_date", exc)
    for name in ("age_band", "age"):
        text = row.cell(name)
        if text:
            band = age_band_of(text)
            if band is None:
                row.problem(name, ServiceError(
                    "bad_age_band", "Unknown age group '%(value)s' (use u7, 7-15, 16-17, 18+ or an age).",
                    value=text[:20]))
            return band, born
    if born is not None:
        try:
            return band_on(born, day), born
        except ServiceError as exc:
            row.problem("birth_date", exc)
            return None, born
    if any(p.code == "bad_birth_date" for p in row.problems):
        return None, None
    if default_age_band:
        return default_age_band, None
    row.problem("age_band" if "age_band" in row.columns else "age", ServiceError(
        "bad_age_band", "The age group is missing."), "")
    return None, None


def _row_to_attendee(row: Row, default_age_band: str | None, day: date) -> tuple[NewAttendee | None, object]:
    """Build and validate one row: (attendee, date of birth), or (None, None)
    with every problem of the row in ``row.problems``."""
    full_name = _full_name(row)
    band, born = _age_band(row, default_age_band, day)
    consents = {}
    for name in CONSENTS:
        value = parse_bool(row.cell(name))
        if value is None:
            row.problem(name, ServiceError(
                "bad_consent", "Consent cells must be yes/no (có/không, 1/0, x); got '%(value)s'.",
                value=row.cell(name)[:20]))
        consents[name] = bool(value)
    data = NewAttendee(full_name=full_name, age_band=band or "18+", nickname=row.cell("nickname") or None,
                       school=row.cell("school") or row.defaults.get("school") or None,
                       class_name=row.cell("class_name") or row.defaults.get("class_name") or None,
                       guardian_contact=row.cell("guardian_contact") or None,
                       consent_method="paper form (import)" if any(consents.values()) else None,
                       **consents)
    for _attempt in range(len(_STAND_IN) + 1):
        try:
            valid = validate(data)
            break
        except ServiceError as exc:
            name = _FIELD_OF_CODE.get(exc.code)
            value = data.full_name if name == "full_name" else None
            row.problem(name, exc, value)
            if name is None:
                return None, None
            data = replace(data, **{name: _STAND_IN[name]})
    if row.problems:
        return None, None
    return valid, born


def name_key(name: str) -> str:
    """Names are the same person's only when equal with their accents (NFC), whatever the capitals."""
    return clean(name).casefold()


class _Duplicates:
    """Duplicates and possible duplicates among the file's rows and the registered attendees."""

    def __init__(self, db):
        self.exact: dict[tuple, int | None] = {}  # (name, school, class) -> row, None when registered
        self.folded: dict[tuple, list[tuple[int | None, str]]] = {}
        self.born: dict[tuple, int] = {}
        self.refresh(db)

    def refresh(self, db) -> None:
        for r in db.execute("SELECT full_name, school_fold, class_name FROM attendees WHERE purged_at IS NULL"):
            where = (r[1] or "", fold(r[2]))
            self.exact.setdefault((name_key(r[0]), *where), None)
            names = self.folded.setdefault((fold(r[0]), *where), [])
            if all(n != r[0] for _row, n in names):
                names.append((None, r[0]))

    def check(self, number: int, data: NewAttendee, born, report: ImportReport, sheet: str = "") -> bool:
        """Record ``data`` (row ``number``); False when it is a duplicate to skip."""
        where = (fold(data.school), fold(data.class_name))
        key = (name_key(data.full_name), *where)
        if key in self.exact:
            report.duplicates.append(RowError(number, "duplicate", "Already registered: same name, school and class.",
                                              column="", value=data.full_name, sheet=sheet))
            return False
        if born is not None:
            other = self.born.get((key[0], born))
            if other is not None:
                report.duplicates.append(RowError(
                    number, "duplicate", "Same name and date of birth as row %(other)s.", {"other": other},
                    value=data.full_name, sheet=sheet))
                return False
            self.born[(key[0], born)] = number
        self.exact[key] = number
        namesakes = self.folded.setdefault((fold(data.full_name), *where), [])
        for other_row, other_name in namesakes:
            if other_row is None:
                report.possible_duplicates.append(RowError(
                    number, "possible_duplicate", "Possibly the same person as %(name)s, already registered in "
                    "the same class: the names differ only in accents or capitals. Both have a badge; check.",
                    {"name": other_name}, value=data.full_name, sheet=sheet))
            else:
                for this, that, name in ((number, other_row, other_name), (other_row, number, data.full_name)):
                    report.possible_duplicates.append(RowError(
                        this, "possible_duplicate", "Possibly the same person as %(name)s in row %(other)s: the "
                        "names differ only in accents or capitals. Both have a badge; check.",
                        {"name": name, "other": that},
                        value=data.full_name if this == number else other_name, sheet=sheet))
        namesakes.append((number, data.full_name))
        return True


def festival_day(db) -> date:
    """The festival's day (setting ``festival_date``, yyyy-mm-dd), else today."""
    try:
        return date.fromisoformat(get_setting(db, "festival_date", "") or "")
    except ValueError:
        return date.today()


def _sources(source, report: ImportReport, mapping, school, class_name):
    """(sheet report, iterator of Row or RowError) of each part of ``source`` with pupils,
    the sheet's school and class (title, sheet name, else the options) set on its rows."""
    if isinstance(source, (bytes, bytearray)) and is_xlsx(source):
        parts = [(summary, rows) for summary, _layout, rows in xlsx_sheets(bytes(source), report, mapping)]
    else:
        summary = SheetReport("")
        report.sheets.append(summary)
        parts = [(summary, csv_rows(decode(source), report, mapping)[2])]
    for summary, rows in parts:
        if not summary.class_name and class_name:
            summary.class_name, summary.class_from = class_name, "option"
        if not summary.school and school:
            summary.school, summary.school_from = school, "option"
        yield summary, {"class_name": summary.class_name, "school": summary.school}, rows


def check_rows(db, source, mapping=None, default_age_band=None, progress=None, day: date | None = None,
               school: str | None = None, class_name: str | None = None):
    """Parse and validate; return (report, good) with good = [(row, NewAttendee)].

    ``source`` is CSV text or the bytes of a CSV file or an .xlsx workbook
    (every sheet with a header). ``school`` and ``class_name`` stand for
    what neither a column nor the sheet's title or name says. Rows that are
    not pupils (totals, signatures) are listed in ``report.ignored``.
    """
    report = ImportReport()
    school, class_name = clean(school) or None, clean(class_name) or None
    day = day or festival_day(db)
    duplicates = _Duplicates(db)
    good: list[tuple[int, NewAttendee]] = []
    for summary, defaults, rows in _sources(source, report, mapping, school, class_name):
        below_footer = False
        for row in rows:
            report.rows += 1
            if report.rows > MAX_ROWS:
                raise ServiceError("too_many_rows", "A file can hold at most %(n)s rows; split it.", n=MAX_ROWS)
            if progress and report.rows % 500 == 0:
                progress(500)
            if isinstance(row, RowError):
                report.errors.append(row)
                report.problems.append(row)
                continue
            if not report.columns:
                report.columns = {name: row.header[i] for name, i in row.columns.items()}
            row.defaults = defaults
            if row.layout is not None:
                reason, below_footer = not_a_pupil(row.layout, row.cells, KNOWN_KEYS, below_footer)
                if reason:
                    text = " | ".join(t for t in (cell_text(c) for c in row.cells) if t)
                    report.ignored.append(RowError(row.number, "ignored", reason, value=text[:200], sheet=row.sheet))
                    summary.ignored += 1
                    continue
            if len(row.cells) > len(row.header) and any(cell_text(c) for c in row.cells[len(row.header):]):
                row.problem(None, ServiceError("extra_cells", "The row has more cells than the header."),
                            " | ".join(cell_text(c) for c in row.cells[len(row.header):] if cell_text(c)))
            else:
                data, born = _row_to_attendee(row, default_age_band, day)
                if data is not None:
                    summary.pupils += 1
                    if duplicates.check(row.number, data, born, report, row.sheet):
                        good.append((row.number, data))
                    continue
            report.errors.append(row.problems[0])
            report.problems += row.problems
        if not summary.pupils and not summary.skipped:
            summary.skipped = "no pupils"
    if progress:
        progress(report.rows % 500)
    report.possible_duplicates.sort(key=lambda p: (p.sheet, p.row))
    return report, good
