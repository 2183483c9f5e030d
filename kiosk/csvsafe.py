"""Formula-safe CSV cells (CSV injection, OWASP).

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@``
(or a tab, carriage return or line feed before one) as a formula. Exports
carry text typed by attendees and staff (names, nicknames, schools), so every
text cell that starts with one of those characters, or with a full-width or
look-alike form of one (``＝``, ``＋``, ``－``, ``＠``, ``﹦``, ``−`` …, which
some spreadsheets fold to the ASCII character), gets a single quote in
front: the spreadsheet then shows the text as typed and runs nothing. Leading
whitespace does not hide a trigger (`` =1+1`` is quoted too): spreadsheets
trim it before they look.

Inside a cell, the same holds after a separator: Excel set to ``;`` as its
list separator (usual in Vietnamese locales) splits ``THCS;=1+1;`` into
cells and runs ``=1+1``, and so does a tab. So a trigger after ``;``, ``,``,
a tab or a line break, with any spaces or double quotes between, gets the
single quote too (``THCS;'=1+1;``).

    safe_cell(value) -> the value to write (numbers unchanged, None -> "")
    write_csv(fileobj, header, rows, bom=True) -> number of rows written
"""
from __future__ import annotations

import csv
import re
import unicodedata

BOM = "\ufeff"
# ASCII triggers, and characters whose compatibility form (NFKC) is one of
# them or that spreadsheets are known to read as one.
_TRIGGERS = frozenset("=+-@\t\r\n")
_LOOKALIKES = frozenset("\u2212\u2012\u2013\u2014\u2015\ufe63\ufe62\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20")


# A separator (any list separator a spreadsheet may use, or a line break),
# then spaces and quotes, then a trigger: the quote goes before the trigger.
_INNER = re.compile(r'([;,\t\r\n]["\s]*)([=+\-@' + "".join(sorted(_LOOKALIKES)) + "])")


def _dangerous(text: str) -> bool:
    if text[0] in _TRIGGERS:  # tab, CR and LF are triggers before any strip
        return True
    first = text.lstrip()[:1]
    if not first:
        return False
    return (first in _TRIGGERS or first in _LOOKALIKES
            or unicodedata.normalize("NFKC", first)[:1] in _TRIGGERS)


def safe_cell(value):
    """``value`` ready for a CSV cell: text starting with a formula
    character gets a leading single quote; ints and floats are returned
    unchanged (a spreadsheet reads them as numbers); None becomes ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    text = _INNER.sub(r"\1'\2", str(value))
    return "'" + text if text and _dangerous(text) else text


def write_csv(fileobj, header, rows, bom: bool = True) -> int:
    """Write ``header`` and ``rows`` (iterables of cells) to the text file
    ``fileobj`` as CSV (comma, CRLF), every cell through ``safe_cell``;
    with ``bom`` a UTF-8 byte order mark first (Excel on Windows otherwise
    shows Vietnamese as mojibake). Returns the number of data rows written."""
    if bom:
        fileobj.write(BOM)
    writer = csv.writer(fileobj, lineterminator="\r\n")
    writer.writerow([safe_cell(cell) for cell in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count
