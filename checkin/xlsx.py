"""Excel workbooks from outside, opened with limits and parsed in a child process.

An .xlsx is a zip of XML parts, so a few kilobytes can stand for hundreds of
megabytes of text (one shared string), or for a million empty rows (one cell
at row 1,048,576). Parsing one on the hub's single async worker would stop
every desk for as long as it takes. So:

1. :func:`check_parts` reads only the zip's central directory (no
   decompression) and refuses too many parts, too many sheets, or parts and
   a total whose uncompressed sizes are over the limits;
2. :func:`parse_in_child` runs ``python -m checkin.xlsx`` with an address
   space limit (``XLSX_CHILD_MEMORY_MB``) and a time limit
   (``XLSX_CHILD_SECONDS``), and waits for it with the async mode's sleep,
   so the worker keeps answering while the child works;
3. the child (checkin/xlsx_child.py, run as a script so it imports
   nothing of the hub) reads every sheet row by row as the
   file holds it and refuses a long cell, a gap of rows, a long run of empty
   rows, a cell beyond the last column, and too many rows.

Each refusal is a ServiceError with a bilingual message. What the rows mean
(headers, titles, classes) is decided elsewhere (checkin/import_rows.py).
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

from flask import current_app, has_app_context

from kiosk.errors import ServiceError
from kiosk.realtime import socketio
from kiosk.text import decode_ooxml_escapes

from .xlsx_child import MAX_COLUMNS  # noqa: F401 - the column limit, one value for both sides

MAX_PARTS = 2000
MAX_SHEETS = 100
MAX_PART_BYTES = 32 * 1024 * 1024  # one uncompressed part (a sheet, the shared strings)
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # all parts together
DEFAULT_SECONDS = 30
DEFAULT_MEMORY_MB = 1024
_POLL_S = 0.05


def check_parts(data: bytes) -> None:
    """Refuse a workbook by its zip directory alone. Raises ServiceError
    ``bad_xlsx``, ``xlsx_too_many_parts``, ``xlsx_too_many_sheets`` or
    ``xlsx_too_big``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise not_a_workbook() from None
    if len(parts) > MAX_PARTS:
        raise ServiceError("xlsx_too_many_parts", "The workbook has too many parts (at most %(n)s).", n=MAX_PARTS)
    sheets = sum(1 for p in parts if p.filename.startswith("xl/worksheets/") and p.filename.endswith(".xml"))
    if sheets > MAX_SHEETS:
        raise ServiceError("xlsx_too_many_sheets", "The workbook has %(found)s sheets; at most %(n)s are read.",
                           found=sheets, n=MAX_SHEETS)
    total = sum(p.file_size for p in parts)
    if total > MAX_UNPACKED_BYTES or any(p.file_size > MAX_PART_BYTES for p in parts):
        raise too_big()


def too_big() -> ServiceError:
    return ServiceError(
        "xlsx_too_big", "The workbook unpacks to more than %(mb)s MB; save only the class list in a new file.",
        mb=MAX_UNPACKED_BYTES // (1024 * 1024))


def not_a_workbook() -> ServiceError:
    return ServiceError("bad_xlsx", "The file is not an Excel workbook (.xlsx).")


# --- the parent: run the child and wait without blocking the worker --------------

def parse_in_child(data: bytes, max_rows: int, seconds: float | None = None, memory_mb: int | None = None,
                   sleep=None) -> list[tuple[str, list, list, frozenset]]:
    """(sheet name, rows, merged ranges, hidden columns) of every sheet, a row being
    (row number, cells), a merged range (first row, first column, last row, last
    column) and a hidden column its 0-based index, parsed by a child process
    (:func:`check_parts` first). Raises ServiceError for every refusal of
    the child, ``xlsx_too_slow`` past the time limit and ``xlsx_too_big``
    when the child runs out of memory."""
    check_parts(data)
    seconds, memory_mb, sleep = _limits(seconds, memory_mb, sleep)
    with tempfile.TemporaryDirectory(prefix="festival-xlsx-") as folder:
        source, result = Path(folder) / "in.xlsx", Path(folder) / "out.json"
        source.write_bytes(data)
        os.chmod(source, 0o600)
        code = _run(source, result, max_rows, seconds, memory_mb, sleep)
        answer = json.loads(result.read_text()) if code == 0 and result.exists() else None
    if answer is None:  # the child ran out of memory (or died): the file is too big for the hub
        raise too_big()
    if "error" in answer:
        code, message, params = answer["error"]
        raise ServiceError(code, message, **params)  # the child's own refusal, translated here
    return [(sheet["name"], [(number, [_decode(c) for c in cells]) for number, cells in sheet["rows"]],
             [tuple(r) for r in sheet.get("merged", [])], frozenset(sheet.get("hidden", [])))
            for sheet in answer["sheets"]]


def _limits(seconds, memory_mb, sleep):
    config = current_app.config if has_app_context() else {}
    seconds = seconds or float(config.get("XLSX_CHILD_SECONDS") or DEFAULT_SECONDS)
    memory_mb = memory_mb or int(config.get("XLSX_CHILD_MEMORY_MB") or DEFAULT_MEMORY_MB)
    if sleep is None:
        sleep = socketio.sleep if getattr(socketio, "server", None) is not None else time.sleep
    return seconds, memory_mb, sleep


def _run(source: Path, result: Path, max_rows: int, seconds: float, memory_mb: int, sleep) -> int | None:
    import subprocess  # here: only an .xlsx import starts a child

    cmd = [sys.executable, "-I", str(Path(__file__).with_name("xlsx_child.py")), str(source), str(result), str(max_rows), str(memory_mb),
           str(int(seconds) + 1)]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + seconds
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise ServiceError(
                "xlsx_too_slow",
                "Reading the workbook took longer than %(s)s s; save only the class list in a new file.",
                s=int(seconds))
        sleep(_POLL_S)
    return proc.returncode


def _decode(cell):
    if isinstance(cell, str):
        return decode_ooxml_escapes(cell)  # "_x000D_" is a line break in Excel: clean() then makes it a space
    if isinstance(cell, dict):
        if "datetime" in cell:
            return datetime.fromisoformat(cell["datetime"])
        return date.fromisoformat(cell["date"])
    return cell
