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

import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date

from kiosk.audit import audit
from kiosk.db import get_setting, now, refresh_statistics, transaction
from kiosk.errors import ServiceError
from kiosk.i18n import translate
from kiosk.signals import announce, attendee_registered
from kiosk.text import clean, fold, name_sort_key

from kiosk import nicknames, tokens
from .attendees import AGE_BANDS, NewAttendee, validate
from .classlist import band_on, birth_date, cell_text, find_header, is_xlsx, read_xlsx
from .search import index_rows, pair_rows

# field -> header names that map to it by default (compared folded, without punctuation)
FIELDS = {
    "full_name": ["Họ và tên", "Họ tên", "Họ và tên học sinh", "Tên học sinh", "full_name", "full name",
                  "name", "Tên"],
    # lists that split the name: "Họ và tên đệm" | "Tên" (the full name is both)
    "family_name": ["Họ và tên đệm", "Họ đệm", "Họ và đệm", "Họ", "family name", "surname", "last name"],
    "birth_date": ["Ngày sinh", "Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "Năm sinh", "date of birth",
                   "birth date", "birth_date", "dob", "birthday"],
    "school": ["Trường", "Tên trường", "school"],
    "class_name": ["Lớp", "class", "class_name"],
    "age_band": ["Nhóm tuổi", "age_band", "age band", "age group"],
    "age": ["Tuổi", "age"],
    "nickname": ["Biệt danh", "nickname"],
    "consent_child": ["Học sinh đồng ý", "Đồng ý của học sinh", "consent_child", "child consent"],
    "consent_guardian": ["Phụ huynh đồng ý", "Đồng ý của phụ huynh", "consent_guardian",
                         "guardian consent"],
    "consent_public": ["Đồng ý hiển thị", "Hiển thị công khai", "consent_public", "public display"],
    "consent_photo": ["Đồng ý chụp ảnh", "consent_photo", "photo consent"],
    "guardian_contact": ["Số điện thoại phụ huynh", "SĐT phụ huynh", "guardian_contact", "guardian phone"],
}
CONSENTS = ("consent_child", "consent_guardian", "consent_public", "consent_photo")
YES = {"1", "x", "v", "y", "yes", "true", "co", "dong y", "ok", "\u2713", "\u2714"}
NO = {"", "0", "n", "no", "false", "khong", "khong dong y", "-"}
BATCH = 1000
MAX_ROWS = 100_000


def _header_key(text: str) -> str:
    return re.sub(r"[\s_\-.:(),/]+", " ", fold(text)).strip()


@dataclass(frozen=True)
class RowError:
    """One refused row: ``row, reason = err`` gives the number and the English reason."""

    row: int
    code: str
    message: str
    params: dict = field(default_factory=dict)
    column: str = ""  # the header of the cell at fault, as the file names it
    value: str = ""  # what the cell holds (cut to 200 characters)

    @property
    def reason(self) -> str:
        return self.message % self.params if self.params else self.message

    def text(self, lang: str) -> str:
        return translate(self.message, lang, **self.params)

    def __iter__(self):
        return iter((self.row, self.reason))


@dataclass
class ImportReport:
    """``errors`` has each bad row once (its first problem); ``problems`` has
    every problem of every bad row; ``possible_duplicates`` were imported."""

    imported: int = 0
    duplicates: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    delimiter: str = ","
    columns: dict = field(default_factory=dict)  # field -> header used
    problems: list[RowError] = field(default_factory=list)
    possible_duplicates: list[RowError] = field(default_factory=list)
    format: str = "csv"
    header_row: int = 1


def parse_mapping(pairs) -> dict[str, str]:
    """``["full_name=Tên HS", ...]`` to a mapping. Raises ServiceError ``bad_mapping``."""
    mapping = {}
    for pair in pairs or ():
        name, sep, header = str(pair).partition("=")
        name = name.strip()
        if not sep or name not in FIELDS or not header.strip():
            raise ServiceError("bad_mapping", "A column mapping looks like field=Header; fields: %(fields)s.",
                               fields=", ".join(FIELDS))
        mapping[name] = header.strip()
    return mapping


def decode(data) -> str:
    """Bytes or text to text, without a BOM. Raises ServiceError ``bad_encoding``."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServiceError(
                "bad_encoding",
                "The file is not UTF-8 text. In Excel choose Save As, then 'CSV UTF-8 (Comma delimited)'.",
            ) from None
    elif hasattr(data, "read"):
        return decode(data.read())
    return str(data).lstrip("\ufeff")


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def resolve_columns(header: list[str], mapping: dict[str, str] | None) -> dict[str, int]:
    """Field name -> column index. Raises ServiceError when a mapped or the name column is missing."""
    keys = [_header_key(h) for h in header]
    columns: dict[str, int] = {}
    for name, aliases in FIELDS.items():
        wanted = [(mapping or {})[name]] if name in (mapping or {}) else aliases
        for alias in wanted:
            key = _header_key(alias)
            if key in keys:
                columns[name] = keys.index(key)
                break
        else:
            if name in (mapping or {}):
                raise ServiceError("missing_column", "The file has no column '%(header)s' (mapped to %(field)s).",
                                   header=mapping[name], field=name)
    if "full_name" not in columns:
        raise ServiceError("missing_column", "The file needs a name column, e.g. 'Họ và tên' or 'full_name'.")
    return columns


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


@dataclass
class _Row:
    """One data row on its way in: the cells, where they came from, what is wrong."""

    number: int
    cells: list
    columns: dict
    header: list
    problems: list = field(default_factory=list)

    def cell(self, name: str) -> str:
        index = self.columns.get(name)
        return cell_text(self.cells[index]) if index is not None and index < len(self.cells) else ""

    def raw(self, name: str):
        index = self.columns.get(name)
        return self.cells[index] if index is not None and index < len(self.cells) else ""

    def problem(self, name: str | None, exc: ServiceError, value: str | None = None) -> None:
        column = self.header[self.columns[name]] if name in self.columns else ""
        text = self.cell(name) if value is None and name else (value or "")
        self.problems.append(RowError(self.number, exc.code, exc.message, exc.params, column, text[:200]))


def _full_name(row: _Row) -> str:
    given = row.cell("full_name")
    family = row.cell("family_name")
    return f"{family} {given}".strip() if family else given


def _age_band(row: _Row, default_age_band: str | None, day: date):
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


def _row_to_attendee(row: _Row, default_age_band: str | None, day: date) -> tuple[NewAttendee | None, object]:
    """Build and validate one row: (attendee, date of birth), or (None, None)
    with every problem of the row in ``row.problems``."""
    band, born = _age_band(row, default_age_band, day)
    consents = {}
    for name in CONSENTS:
        value = parse_bool(row.cell(name))
        if value is None:
            row.problem(name, ServiceError(
                "bad_consent", "Consent cells must be yes/no (có/không, 1/0, x); got '%(value)s'.",
                value=row.cell(name)[:20]))
        consents[name] = bool(value)
    data = NewAttendee(full_name=_full_name(row), age_band=band or "18+", nickname=row.cell("nickname") or None,
                       school=row.cell("school") or None, class_name=row.cell("class_name") or None,
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


def _name_key(name: str) -> str:
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
            self.exact.setdefault((_name_key(r[0]), *where), None)
            names = self.folded.setdefault((fold(r[0]), *where), [])
            if all(n != r[0] for _row, n in names):
                names.append((None, r[0]))

    def check(self, number: int, data: NewAttendee, born, report: ImportReport) -> bool:
        """Record ``data`` (row ``number``); False when it is a duplicate to skip."""
        where = (fold(data.school), fold(data.class_name))
        key = (_name_key(data.full_name), *where)
        if key in self.exact:
            report.duplicates.append(RowError(number, "duplicate", "Already registered: same name, school and class.",
                                              column="", value=data.full_name))
            return False
        if born is not None:
            other = self.born.get((key[0], born))
            if other is not None:
                report.duplicates.append(RowError(
                    number, "duplicate", "Same name and date of birth as row %(other)s.", {"other": other},
                    value=data.full_name))
                return False
            self.born[(key[0], born)] = number
        self.exact[key] = number
        namesakes = self.folded.setdefault((fold(data.full_name), *where), [])
        for other_row, other_name in namesakes:
            if other_row is None:
                report.possible_duplicates.append(RowError(
                    number, "possible_duplicate", "Possibly the same person as %(name)s, already registered in "
                    "the same class: the names differ only in accents or capitals. Both have a badge; check.",
                    {"name": other_name}, value=data.full_name))
            else:
                for this, that, name in ((number, other_row, other_name), (other_row, number, data.full_name)):
                    report.possible_duplicates.append(RowError(
                        this, "possible_duplicate", "Possibly the same person as %(name)s in row %(other)s: the "
                        "names differ only in accents or capitals. Both have a badge; check.",
                        {"name": name, "other": that},
                        value=data.full_name if this == number else other_name))
        namesakes.append((number, data.full_name))
        return True


def _csv_rows(text: str, report: ImportReport, mapping):
    """(header, columns, iterator of _Row or RowError) of CSV text.

    A quote never closed (:func:`_swallowed`) is an error on the row where it
    opens, and reading goes on from the next line, so the rows below are not
    merged into one student.
    """
    report.delimiter = sniff_delimiter(text)
    lines = io.StringIO(text, newline="").readlines()
    feed = _Feed(lines)
    reader = csv.reader(feed, delimiter=report.delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ServiceError("empty_file", "The file is empty.") from None
    header = [clean(h) for h in header]
    columns = resolve_columns(header, mapping)

    def rows():
        nonlocal reader
        number = 1
        while True:
            start = feed.index
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error:
                cells = None
            number += 1
            if cells is None or _swallowed(cells, columns, report.delimiter):
                code, message = (("bad_csv", "This row is not valid CSV.") if cells is None else
                                 ("unclosed_quote", "A quote (\") in this row is never closed."))
                yield RowError(number, code, message, value=lines[start].strip()[:200])
                feed.index = start + 1
                reader = csv.reader(feed, delimiter=report.delimiter)
                continue
            if not any(c.strip() for c in cells):
                continue
            yield _Row(number, cells, columns, header)

    return header, columns, rows()


def _swallowed(cells: list[str], columns: dict, delimiter: str) -> bool:
    """A cell the import reads that holds a line break and a separator, or ends
    with the line break: its opening quote was never closed, and it took the
    rest of its line and the rows below (up to the next quote or the end).
    A line break alone is a cell typed on two lines in Excel (Alt+Enter): fine."""
    for index in columns.values():
        cell = cells[index] if index < len(cells) else ""
        if ("\n" in cell or "\r" in cell) and (delimiter in cell or cell.endswith(("\n", "\r"))):
            return True
    return False


class _Feed:
    """Lines for csv.reader that can be moved back (to re-read after a broken quote)."""

    def __init__(self, lines: list[str]):
        self.lines, self.index = lines, 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.index >= len(self.lines):
            raise StopIteration
        self.index += 1
        return self.lines[self.index - 1]


def _xlsx_rows(data: bytes, report: ImportReport, mapping):
    """(header, columns, iterator of _Row) of an Excel workbook's first sheet."""
    report.format = "xlsx"
    sheet = read_xlsx(data)
    index, header, columns = find_header(sheet, lambda cells: resolve_columns(cells, mapping))
    report.header_row = sheet[index][0]
    return header, columns, (_Row(number, cells, columns, header) for number, cells in sheet[index + 1:])


def festival_day(db) -> date:
    """The festival's day (setting ``festival_date``, yyyy-mm-dd), else today."""
    try:
        return date.fromisoformat(get_setting(db, "festival_date", "") or "")
    except ValueError:
        return date.today()


def check_rows(db, source, mapping=None, default_age_band=None, progress=None, day: date | None = None):
    """Parse and validate; return (report, good) with good = [(row, NewAttendee)].

    ``source`` is CSV text or the bytes of a CSV file or an .xlsx workbook.
    """
    report = ImportReport()
    if isinstance(source, (bytes, bytearray)) and is_xlsx(source):
        header, columns, rows = _xlsx_rows(bytes(source), report, mapping)
    else:
        header, columns, rows = _csv_rows(decode(source), report, mapping)
    report.columns = {name: header[i] for name, i in columns.items()}
    day = day or festival_day(db)
    duplicates = _Duplicates(db)
    good: list[tuple[int, NewAttendee]] = []
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
        if len(row.cells) > len(header) and any(cell_text(c) for c in row.cells[len(header):]):
            row.problem(None, ServiceError("extra_cells", "The row has more cells than the header."),
                        " | ".join(cell_text(c) for c in row.cells[len(header):] if cell_text(c)))
        else:
            data, born = _row_to_attendee(row, default_age_band, day)
            if data is not None:
                if duplicates.check(row.number, data, born, report):
                    good.append((row.number, data))
                continue
        report.errors.append(row.problems[0])
        report.problems += row.problems
    if progress:
        progress(report.rows % 500)
    report.possible_duplicates.sort(key=lambda p: p.row)
    return report, good


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
    return {(_name_key(r[0]), r[1] or "", fold(r[2])) for r in rows}


def import_csv(db, source, mapping: dict | None = None, all_or_nothing: bool = False, by: str = "import",
               default_age_band: str | None = None, progress=None, day: date | None = None) -> ImportReport:
    """Import attendees from a class list (CSV bytes or text, .xlsx bytes, or a
    file object holding either); return the report.

    Good rows are imported with a badge each, in one transaction; with
    ``all_or_nothing`` any bad row means nothing is imported. Duplicates
    (same name with its accents, school and class, in the file or already
    registered; or same name and date of birth in the file) are skipped and
    reported; names equal only when folded are imported and listed in
    ``possible_duplicates``. A date of birth gives the age band on ``day``
    (default: the ``festival_date`` setting, else today). ``progress(n)`` is
    called as rows are checked. Raises ServiceError for a file that cannot
    be read at all (encoding, not a workbook, no header, no name column,
    unknown mapping).
    """
    if default_age_band is not None and default_age_band not in AGE_BANDS:
        raise ServiceError("bad_age_band", "Please choose an age group.")
    if hasattr(source, "read"):
        source = source.read()
    report, good = check_rows(db, source, mapping, default_age_band, progress, day)
    if all_or_nothing and report.errors:
        return report
    stamp = now()
    with transaction(db):
        # Someone may have registered meanwhile: re-check against the database
        # inside the write lock so a duplicate never slips in.
        existing = _registered_keys(db)
        fresh = []
        for row, data in good:
            if (_name_key(data.full_name), fold(data.school), fold(data.class_name)) in existing:
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
