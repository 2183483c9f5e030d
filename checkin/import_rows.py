"""Class lists, read: the cells of a CSV file or an .xlsx workbook, row by row, under
their columns found by header (checkin/importer.py imports them; checkin/import_checks.py
checks them)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from kiosk.errors import ServiceError
from kiosk.i18n import translate
from kiosk.text import clean

from .classlist import cell_text, read_xlsx
from .layout import Layout, header_key, name_columns, read_layout, refuse_parts_alone

# field -> header names that map to it by default (compared folded, without punctuation)
FIELDS = {
    "full_name": ["Họ và tên", "Họ tên", "Họ và tên học sinh", "Tên học sinh", "full_name", "full name",
                  "name", "Tên"],
    # lists that split the name: "Họ và tên đệm" | "Tên" (the full name is both)
    "family_name": ["Họ và tên đệm", "Họ đệm", "Họ và đệm", "Họ", "family name", "surname", "last name"],
    "middle_name": ["Tên đệm", "middle name"],
    "number": ["STT", "TT", "Số TT", "Số thứ tự", "No"],
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
MAX_ROWS = 100_000


@dataclass(frozen=True)
class RowError:
    """One refused row: ``row, reason = err`` gives the number and the English reason."""

    row: int
    code: str
    message: str
    params: dict = field(default_factory=dict)
    column: str = ""  # the header of the cell at fault, as the file names it
    value: str = ""  # what the cell holds (cut to 200 characters)
    sheet: str = ""  # the sheet of a workbook with several

    @property
    def where(self) -> str:
        """The row as a person finds it: "12", or "8A3!12" in a workbook with several sheets."""
        return f"{self.sheet}!{self.row}" if self.sheet else str(self.row)

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
    ignored: list[RowError] = field(default_factory=list)  # rows that are not pupils (totals, signatures)
    sheets: list[SheetReport] = field(default_factory=list)
    dry_run: bool = False
    ready: int = 0  # rows that passed every check (with dry_run: what would be imported)


@dataclass
class SheetReport:
    """What one sheet (or the CSV file) gave: where its class and school come from, how many pupils."""

    name: str
    header_rows: list = field(default_factory=list)
    class_name: str = ""
    class_from: str = ""  # "column", "title", "sheet", "option" or ""
    school: str = ""
    school_from: str = ""
    pupils: int = 0
    ignored: int = 0
    skipped: str = ""  # why a sheet gave no pupils


@dataclass
class Row:
    """One data row on its way in: the cells, where they came from, what is wrong."""

    number: int
    cells: list
    columns: dict
    header: list
    problems: list = field(default_factory=list)
    layout: Layout | None = None
    defaults: dict = field(default_factory=dict)  # school and class of the sheet (title or option)
    sheet: str = ""

    def full_name(self) -> str:
        """The name's parts joined in order (empty parts left out)."""
        columns = self.layout.name_columns if self.layout else [self.columns["full_name"]]
        return " ".join(t for t in (cell_text(self.cells[i]) if i < len(self.cells) else "" for i in columns) if t)

    def missing_part(self) -> str | None:
        """The header of a family or given name part left empty while another part is not."""
        if not self.layout or len(self.layout.name_columns) < 2 or not self.full_name():
            return None
        for name in ("family_name", "full_name"):
            if name in self.columns and self.columns[name] in self.layout.name_columns and not self.cell(name):
                return self.header[self.columns[name]]
        return None

    def cell(self, name: str) -> str:
        index = self.columns.get(name)
        return cell_text(self.cells[index]) if index is not None and index < len(self.cells) else ""

    def raw(self, name: str):
        index = self.columns.get(name)
        return self.cells[index] if index is not None and index < len(self.cells) else ""

    def problem(self, name: str | None, exc: ServiceError, value: str | None = None) -> None:
        column = self.header[self.columns[name]] if name in self.columns else ""
        text = self.cell(name) if value is None and name else (value or "")
        self.problems.append(RowError(self.number, exc.code, exc.message, exc.params, column, text[:200],
                                      self.sheet))


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
    keys = [header_key(h) for h in header]
    columns: dict[str, int] = {}
    for name, aliases in FIELDS.items():
        wanted = [(mapping or {})[name]] if name in (mapping or {}) else aliases
        for alias in wanted:
            key = header_key(alias)
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


def csv_rows(text: str, report: ImportReport, mapping):
    """(header, columns, iterator of Row or RowError) of CSV text.

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
    try:
        columns = resolve_columns(header, mapping)
    except ServiceError as exc:
        refuse_parts_alone([(1, header)], exc)
        raise
    layout = Layout([1], header, columns, name_columns(columns, header, header, [], set()), 1)

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
            yield Row(number, cells, columns, header, layout=layout)

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


KNOWN_KEYS = {header_key(alias) for aliases in FIELDS.values() for alias in aliases}


def xlsx_sheets(data: bytes, report: ImportReport, mapping):
    """(sheet report, layout, iterator of Row) of every sheet of a workbook with a
    header; a sheet without one is in ``report.sheets``, skipped. Raises the
    first sheet's ServiceError when no sheet has a header, and ``split_name``
    at once (checkin/layout.py)."""
    report.format = "xlsx"
    sheets, found, first_error = read_xlsx(data), [], None
    several = len(sheets) > 1
    for sheet in sheets:
        summary = SheetReport(sheet.name)
        report.sheets.append(summary)
        try:
            layout = read_layout(sheet, lambda cells: resolve_columns(cells, mapping), KNOWN_KEYS)
        except ServiceError as exc:
            if exc.code == "split_name":
                raise
            first_error = first_error or exc
            summary.skipped = "no header" if exc.code == "missing_column" else "empty"
            continue
        summary.header_rows = layout.header_rows
        summary.class_name, summary.school = layout.class_name, layout.school
        summary.class_from, summary.school_from = layout.class_from, "title" if layout.school else ""
        found.append((summary, layout, _sheet_rows(sheet, layout, sheet.name if several else "")))
    if not found:
        raise first_error or ServiceError("empty_file", "The file is empty.")
    report.header_row = found[0][1].header_rows[-1]
    return found


def _sheet_rows(sheet, layout: Layout, name: str):
    """The rows below a sheet's header as Row."""
    for number, cells in sheet.rows[layout.first_data:]:
        yield Row(number, cells, layout.columns, layout.header, layout=layout, sheet=name)
