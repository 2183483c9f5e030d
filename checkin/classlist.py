"""Class lists as schools send them: Excel workbooks, dates of birth, and
the problems file an organiser opens next to the list.

- :func:`read_xlsx` reads every sheet of an ``.xlsx`` workbook (openpyxl, in
  a child process with limits: checkin/xlsx.py) into rows of cells;
  :func:`find_header` skips the title rows above the header ("DANH SÁCH HỌC
  SINH LỚP 9A …"); checkin/layout.py works out the rest of a sheet's layout.
- :func:`birth_date` accepts ``Ngày sinh`` as dd/mm/yyyy text, a date cell,
  an Excel day number or a year; :func:`band_on` gives the age band on the
  festival's day. The date itself is not stored (DESIGN §4: no birth dates).
- :func:`problems_csv` writes every problem of an import (row, column,
  value, reason) as CSV that Excel opens with Vietnamese intact.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kiosk.csvsafe import write_csv
from kiosk.errors import ServiceError
from kiosk.i18n import translate

from .xlsx import MAX_COLUMNS, parse_in_child  # noqa: F401 - MAX_COLUMNS: callers read it here

MAX_TITLE_ROWS = 30
# Excel counts days from 1899-12-30 (its 1900 leap-year bug included).
_EXCEL_EPOCH = date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{2}|\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_YEAR = re.compile(r"^(\d{4})(?:\.0+)?$")


@dataclass
class Sheet:
    """One worksheet as read: its name, (row number, cells) of its non-empty
    rows, its merged ranges as (first row, first column, last row, last
    column), 1-based, and its hidden columns (0-based indexes). The layout
    (checkin/layout.py) is worked out from these alone."""

    name: str
    rows: list = field(default_factory=list)
    merged: list = field(default_factory=list)
    hidden: frozenset = frozenset()


def read_xlsx(data: bytes, max_rows: int = 100_100) -> list[Sheet]:
    """Every sheet of an ``.xlsx`` workbook, in order, empty rows left out.

    Cells are str (``_xHHHH_`` escapes decoded), int, float, date/datetime or
    "" (empty); at most MAX_COLUMNS per row. The workbook is checked by its
    zip directory and parsed in a child process with memory and time limits
    (checkin/xlsx.py), never on the worker's event loop. Raises ServiceError
    ``bad_xlsx`` for a file that is not a readable Excel workbook,
    ``too_many_rows`` past ``max_rows`` (all sheets together) and the
    limits' own codes (``xlsx_too_big``, ``xlsx_row_gap`` …).
    """
    return [Sheet(name, rows, merged, hidden) for name, rows, merged, hidden in parse_in_child(data, max_rows)]


def is_xlsx(data: bytes, filename: str | None = None) -> bool:
    """An Excel workbook: a zip file (PK header), or named .xlsx."""
    return bytes(data[:4]) == b"PK\x03\x04" or bool(filename and filename.lower().endswith(".xlsx"))


def find_header(rows: list[tuple[int, list]], resolve) -> tuple[int, list, dict]:
    """The header among the first rows: the first one ``resolve(header)``
    accepts. Returns (index in rows, header cells as text, columns).
    Raises the ServiceError of the first row when no row is a header.
    """
    first_error = None
    for index, (_number, cells) in enumerate(rows[:MAX_TITLE_ROWS]):
        header = [cell_text(c) for c in cells]
        try:
            return index, header, resolve(header)
        except ServiceError as exc:
            first_error = first_error or exc
    if first_error is None:
        raise ServiceError("empty_file", "The file is empty.")
    raise first_error


def cell_text(value) -> str:
    """A cell as the text a person sees (whole numbers without ".0", dates as dd/mm/yyyy)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- dates of birth --------------------------------------------------------------

def birth_date(value) -> date | int:
    """A ``Ngày sinh`` cell to a date, or to a year (int) when only the year is
    given. Raises ServiceError ``bad_birth_date``.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 1900 <= value <= 2100:
            return int(value)
        if 1 <= value < 80_000:  # a date cell formatted as a number: Excel's day count
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise _bad_date(value)
    text = str(value).strip()
    try:
        if m := _YEAR.match(text):
            return _year(int(m.group(1)), text)
        if m := _DMY.match(text):
            day, month, year = (int(g) for g in m.groups())
            if year < 100:  # 05/09/12: this century unless that is in the future
                year += 2000 if 2000 + year <= date.today().year else 1900
            return date(year, month, day)
        if m := _YMD.match(text):
            year, month, day = (int(g) for g in m.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise _bad_date(text)


def _year(year: int, text: str) -> int:
    if not 1900 <= year <= 2100:
        raise _bad_date(text)
    return year


def _bad_date(value) -> ServiceError:
    return ServiceError("bad_birth_date", "'%(value)s' is not a date of birth (use dd/mm/yyyy or a year).",
                        value=str(value)[:20])


def age_on(born: date | int, day: date) -> int:
    """Age in whole years on ``day``. For a year alone, the younger of the two
    possible ages: a child is never put in an older band than they may be,
    so a guardian's consent is asked for whenever it may be needed."""
    if isinstance(born, int):
        return day.year - born - 1
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def band_on(born: date | int, day: date) -> str:
    """The age band on the festival's day. Raises ServiceError ``bad_birth_date``
    for a date after that day or more than 120 years before it."""
    if (isinstance(born, int) and born > day.year) or (isinstance(born, date) and born > day):
        raise ServiceError("bad_birth_date", "The date of birth is after the festival's day.")
    age = max(age_on(born, day), 0)
    if age > 120:
        raise _bad_date(born.strftime("%d/%m/%Y") if isinstance(born, date) else born)
    return "u7" if age < 7 else "7-15" if age <= 15 else "16-17" if age <= 17 else "18+"


# --- the problems file -------------------------------------------------------------

KINDS = {"error": ("lỗi", "error"), "duplicate": ("trùng, không nhập", "duplicate, not imported"),
         "possible_duplicate": ("có thể trùng, đã nhập", "possible duplicate, imported")}
HEADER = ["Dòng / Row", "Cột / Column", "Giá trị / Value", "Loại / Kind", "Lý do", "Reason"]
def problems_csv(report) -> str:
    """Every problem of an import report as CSV text (UTF-8 BOM, comma):
    row ("12", or "6A1!12" in a workbook of several sheets), column, value,
    kind and the reason in Vietnamese and English."""
    out = io.StringIO()
    write_csv(out, HEADER, _problem_rows(report), bom=True)  # every cell formula-safe (kiosk.csvsafe)
    return out.getvalue()


def _problem_rows(report):
    for kind, items in (("error", report.problems), ("duplicate", report.duplicates),
                        ("possible_duplicate", report.possible_duplicates)):
        vi_kind, en_kind = KINDS[kind]
        for p in items:
            yield [p.row if not p.sheet else f"{p.sheet}!{p.row}", p.column, p.value, f"{vi_kind} / {en_kind}",
                   translate(p.message, "vi", **p.params), p.reason]
