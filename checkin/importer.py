"""Class lists from schools: CSV import of attendees with their badges.

A school sends a spreadsheet saved as CSV (UTF-8, with or without a BOM,
comma- or semicolon-separated). Columns are found by their header, in
Vietnamese or English ("Họ và tên" / "full_name"), and a mapping can name
others. Every row is checked; good rows are imported in one transaction
(or none with ``all_or_nothing``), each bad row is reported with its row
number as a spreadsheet shows it (the header is row 1) and the reason.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from kiosk.audit import audit
from kiosk.db import now, transaction
from kiosk.errors import ServiceError
from kiosk.i18n import translate
from kiosk.signals import announce, attendee_registered
from kiosk.text import clean, fold, name_sort_key

from kiosk import tokens
from .attendees import AGE_BANDS, NewAttendee, validate

# field -> header names that map to it by default (compared folded, without punctuation)
FIELDS = {
    "full_name": ["Họ và tên", "Họ tên", "Họ và tên học sinh", "Tên học sinh", "full_name", "full name",
                  "name", "Tên"],
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
    return re.sub(r"[\s_\-.:()]+", " ", fold(text)).strip()


@dataclass(frozen=True)
class RowError:
    """One refused row: ``row, reason = err`` gives the number and the English reason."""

    row: int
    code: str
    message: str
    params: dict = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.message % self.params if self.params else self.message

    def text(self, lang: str) -> str:
        return translate(self.message, lang, **self.params)

    def __iter__(self):
        return iter((self.row, self.reason))


@dataclass
class ImportReport:
    imported: int = 0
    duplicates: list[RowError] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    delimiter: str = ","
    columns: dict = field(default_factory=dict)  # field -> header used


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


def _row_to_attendee(cells: list[str], columns: dict[str, int], default_age_band: str | None) -> NewAttendee:
    """Build and validate one row. Raises ServiceError with the row's problem."""
    def cell(name):
        index = columns.get(name)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    band_text = cell("age_band") or cell("age")
    if band_text:
        band = age_band_of(band_text)
        if band is None:
            raise ServiceError("bad_age_band", "Unknown age group '%(value)s' (use u7, 7-15, 16-17, 18+ or an age).",
                               value=band_text[:20])
    elif default_age_band:
        band = default_age_band
    else:
        raise ServiceError("bad_age_band", "The age group is missing.")
    consents = {}
    for name in CONSENTS:
        value = parse_bool(cell(name))
        if value is None:
            raise ServiceError("bad_consent", "Consent cells must be yes/no (có/không, 1/0, x); got '%(value)s'.",
                               value=cell(name)[:20])
        consents[name] = value
    data = NewAttendee(full_name=cell("full_name"), age_band=band, nickname=cell("nickname") or None,
                       school=cell("school") or None, class_name=cell("class_name") or None,
                       guardian_contact=cell("guardian_contact") or None,
                       consent_method="paper form (import)" if any(consents.values()) else None,
                       **consents)
    return validate(data)


def _existing_keys(db) -> set[tuple]:
    rows = db.execute("SELECT name_fold, school_fold, class_name FROM attendees WHERE purged_at IS NULL")
    return {(r[0], r[1] or "", fold(r[2])) for r in rows}


def check_rows(db, text: str, mapping=None, default_age_band=None, progress=None):
    """Parse and validate; return (report, good) with good = [(row, NewAttendee)]."""
    report = ImportReport(delimiter=sniff_delimiter(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ServiceError("empty_file", "The file is empty.") from None
    header = [clean(h) for h in header]
    columns = resolve_columns(header, mapping)
    report.columns = {name: header[i] for name, i in columns.items()}
    seen = _existing_keys(db)
    good: list[tuple[int, NewAttendee]] = []
    row_number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            row_number += 1
            report.errors.append(RowError(row_number, "bad_csv", "This row is not valid CSV."))
            continue
        row_number += 1
        if not any(c.strip() for c in cells):
            continue
        report.rows += 1
        if report.rows > MAX_ROWS:
            raise ServiceError("too_many_rows", "A file can hold at most %(n)s rows; split it.", n=MAX_ROWS)
        if progress and report.rows % 500 == 0:
            progress(500)
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            report.errors.append(RowError(row_number, "extra_cells", "The row has more cells than the header."))
            continue
        try:
            data = _row_to_attendee(cells, columns, default_age_band)
        except ServiceError as exc:
            report.errors.append(RowError(row_number, exc.code, exc.message, exc.params))
            continue
        key = (fold(data.full_name), fold(data.school), fold(data.class_name))
        if key in seen:
            report.duplicates.append(RowError(row_number, "duplicate",
                                              "Already registered: same name, school and class."))
            continue
        seen.add(key)
        good.append((row_number, data))
    if progress:
        progress(report.rows % 500)
    return report, good


def _insert_all(db, good, by: str, stamp: str) -> None:
    """Insert attendees and their badges in batches (inside the caller's transaction)."""
    next_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM attendees").fetchone()[0] + 1
    for start in range(0, len(good), BATCH):
        people, badges = [], []
        for _row, d in good[start:start + BATCH]:
            consented = d.consent_child or d.consent_guardian or d.consent_public or d.consent_photo
            people.append((next_id, d.full_name, fold(d.full_name), name_sort_key(d.full_name), d.nickname,
                           d.age_band, d.school, fold(d.school) or None, d.class_name,
                           int(d.consent_child), int(d.consent_guardian), int(d.consent_public),
                           int(d.consent_photo), by if consented else None, d.consent_method,
                           stamp if consented else None, d.guardian_contact, stamp))
            badges.append((tokens.new_token(), next_id, stamp, by))
            next_id += 1
        db.conn.executemany(
            "INSERT INTO attendees (id, full_name, name_fold, name_sort, nickname, age_band, school, "
            "school_fold, class_name, source, consent_child, consent_guardian, consent_public, "
            "consent_photo, consent_by, consent_method, consent_at, guardian_contact, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'import', ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
        db.conn.executemany("INSERT INTO badges (token, attendee_id, issued_at, issued_by) VALUES (?, ?, ?, ?)",
                            badges)


def import_csv(db, source, mapping: dict | None = None, all_or_nothing: bool = False, by: str = "import",
               default_age_band: str | None = None, progress=None) -> ImportReport:
    """Import attendees from CSV bytes, text or a file object; return the report.

    Good rows are imported with a badge each, in one transaction; with
    ``all_or_nothing`` any bad row means nothing is imported. Duplicates
    (same folded name, school and class, in the file or already registered)
    are skipped and reported. ``progress(n)`` is called as rows are checked.
    Raises ServiceError for a file that cannot be read at all (encoding,
    no header, no name column, unknown mapping).
    """
    if default_age_band is not None and default_age_band not in AGE_BANDS:
        raise ServiceError("bad_age_band", "Please choose an age group.")
    report, good = check_rows(db, decode(source), mapping, default_age_band, progress)
    if all_or_nothing and report.errors:
        return report
    stamp = now()
    with transaction(db):
        # Someone may have registered meanwhile: re-check against the database
        # inside the write lock so a duplicate never slips in.
        existing = _existing_keys(db)
        fresh = []
        for row, data in good:
            if (fold(data.full_name), fold(data.school), fold(data.class_name)) in existing:
                report.duplicates.append(RowError(row, "duplicate", "Already registered: same name, school and class."))
            else:
                fresh.append((row, data))
        _insert_all(db, fresh, by, stamp)
        report.imported = len(fresh)
        if fresh:
            announce(db, attendee_registered, attendee_id=None)
        audit(db, by, "attendees.import", None,
              f"imported={report.imported} duplicates={len(report.duplicates)} errors={len(report.errors)}")
    return report
