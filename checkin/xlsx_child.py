"""The .xlsx parsing child: ``python -I checkin/xlsx_child.py IN OUT MAX_ROWS MEMORY_MB SECONDS``.

Run as a script (checkin/xlsx.py starts it), so it imports openpyxl and
nothing of the hub: it starts in a fraction of the time the app takes to
import. It limits its own address space and CPU time first, then reads the
sheets row by row as the file holds them and writes the rows, or the
refusal, as JSON to OUT.
"""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, time as clock
from pathlib import Path

MAX_CELL_CHARS = 2000
MAX_ROW_GAP = 1000  # rows with nothing between two rows that have something
MAX_EMPTY_RUN = 1000  # rows present in the file but empty, one after another
MAX_COLUMNS = 100
MAX_MERGED = 5000  # merged ranges kept per sheet (a class list has a handful)


class SheetServiceError(Exception):
    """A refusal the parent raises as kiosk.errors.ServiceError with the same
    code, message and params (named so the catalog test finds its messages)."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message % params if params else message)
        self.code, self.message, self.params = code, message, params


def not_a_workbook() -> SheetServiceError:
    return SheetServiceError("bad_xlsx", "The file is not an Excel workbook (.xlsx).")


def _encode(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, clock):
        return value.isoformat()
    return str(value)


def workbook_sheets(path: str, max_rows: int) -> list[dict]:
    """Every sheet as ``{"name", "rows"}``, its non-empty rows as (row number,
    cells), read as the file holds them (gaps are not filled in); at most
    ``max_rows`` rows in all. Raises SheetServiceError."""
    from openpyxl import load_workbook  # here: the parent never parses a workbook
    from openpyxl.worksheet._reader import WorkSheetParser  # the row parser, without the gap filling

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception:  # untrusted file through a third-party parser: any failure means "not a workbook"
        raise not_a_workbook() from None
    try:
        if not book.worksheets:
            raise SheetServiceError("empty_file", "The file is empty.")
        sheets, left = [], max_rows
        for sheet in book.worksheets:
            with sheet._get_source() as source:
                parser = WorkSheetParser(source, sheet._shared_strings, data_only=True, epoch=book.epoch,
                                         date_formats=book._date_formats,
                                         timedelta_formats=book._timedelta_formats)
                rows = _collect(parser.parse(), left, max_rows)
            sheets.append({"name": str(sheet.title), "rows": rows,
                           "merged": _merged(parser), "hidden": _hidden(parser)})
            left -= len(rows)
        return sheets
    except (SheetServiceError, MemoryError):
        raise
    except Exception:  # a damaged sheet inside a valid zip
        raise not_a_workbook() from None
    finally:
        book.close()


def _collect(parsed, left: int, max_rows: int) -> list[tuple[int, list]]:
    rows, previous, empty_run = [], 0, 0
    for number, cells in parsed:
        if number - previous > MAX_ROW_GAP or number > max_rows + MAX_ROW_GAP:
            raise SheetServiceError(
                "xlsx_row_gap", "Row %(row)s comes after %(gap)s empty rows; delete the empty rows and save again.",
                row=number, gap=number - previous - 1)
        previous = number
        values = []
        for cell in cells:
            value = cell.get("value")
            if value is None or value == "":
                continue
            column = cell.get("column") or 0
            if column > MAX_COLUMNS:
                raise SheetServiceError("xlsx_too_many_columns", "Row %(row)s has data beyond column %(n)s.",
                                   row=number, n=MAX_COLUMNS)
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise SheetServiceError("xlsx_cell_too_long", "A cell in row %(row)s holds more than %(n)s characters.",
                                   row=number, n=MAX_CELL_CHARS)
            values.extend([""] * (column - len(values)))
            values[column - 1] = _encode(value)
        if not any(str(v).strip() for v in values):
            empty_run += 1
            if empty_run > MAX_EMPTY_RUN:
                raise SheetServiceError(
                    "xlsx_empty_rows", "The sheet has more than %(n)s empty rows in a row; delete them and save again.",
                    n=MAX_EMPTY_RUN)
            continue
        empty_run = 0
        rows.append((number, values))
        if len(rows) > left:
            raise SheetServiceError("too_many_rows", "A file can hold at most %(n)s rows; split it.", n=max_rows)
    return rows


def _merged(parser) -> list[list[int]]:
    """The sheet's merged ranges as [first row, first column, last row, last column]
    (the read-only parser keeps them aside; a range it cannot read is left out)."""
    from openpyxl.utils.cell import range_boundaries  # here: the parent never loads openpyxl

    ranges = []
    for merged in (parser.merged_cells.mergeCell if parser.merged_cells else [])[:MAX_MERGED]:
        try:
            first_col, first_row, last_col, last_row = range_boundaries(str(merged.ref))
        except (TypeError, ValueError):
            continue
        if None not in (first_col, first_row, last_col, last_row):
            ranges.append([first_row, first_col, last_row, last_col])
    return ranges


def _hidden(parser) -> list[int]:
    """The 0-based indexes of hidden columns within the first MAX_COLUMNS."""
    hidden = set()
    for attrs in parser.column_dimensions.values():
        if str(attrs.get("hidden", "")).lower() not in ("1", "true"):
            continue
        try:
            low, high = int(attrs["min"]), int(attrs.get("max", attrs["min"]))
        except (KeyError, TypeError, ValueError):
            continue
        hidden.update(range(max(low, 1) - 1, min(high, MAX_COLUMNS)))
    return sorted(hidden)


def _limit_self(memory_mb: int, seconds: int) -> None:
    import resource  # POSIX only: the hub runs on Linux or macOS

    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))


def main(argv: list[str]) -> int:
    """Parse IN, write OUT; the exit status is 0 when OUT was written."""
    source, result, max_rows, memory_mb, seconds = argv
    _limit_self(int(memory_mb), int(seconds))
    try:
        answer = {"sheets": workbook_sheets(source, int(max_rows))}
    except SheetServiceError as exc:
        answer = {"error": [exc.code, exc.message, exc.params]}
    except MemoryError:
        return 3
    Path(result).write_text(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":  # pragma: no cover - run as the parsing child
    sys.exit(main(sys.argv[1:]))
