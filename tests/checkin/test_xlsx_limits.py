"""Issue 24: a hostile .xlsx is refused early and parsed away from the worker's event loop."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from checkin import xlsx
from checkin.classlist import read_xlsx
from kiosk.errors import ServiceError
from tests.support.http import post_form

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def workbook(fill=None, sheets=1) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Họ và tên", "Lớp"])
    sheet.append(["Nguyễn Văn An", "9A"])
    for n in range(1, sheets):
        book.create_sheet(f"Lớp {n}")
    if fill:
        fill(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def replace_part(data: bytes, name: str, body: bytes) -> bytes:
    """The workbook ``data`` with part ``name`` replaced by ``body``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, body if item.filename == name else old.read(item.filename))
    return out.getvalue()


def sheet_xml(rows: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}><sheetData>{rows}</sheetData></worksheet>'.encode()


def refused(data: bytes) -> str:
    with pytest.raises(ServiceError) as caught:
        read_xlsx(data)
    return caught.value.code


def test_a_row_at_the_last_excel_row_is_refused_as_a_gap():
    assert refused(workbook(lambda s: s.cell(row=1_048_576, column=1, value="x"))) == "xlsx_row_gap"


def test_a_long_run_of_empty_rows_is_refused():
    empty = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t></t></is></c></row>' for n in range(3, 1500))
    first = '<row r="1"><c r="A1" t="inlineStr"><is><t>Họ và tên</t></is></c></row>'
    data = replace_part(workbook(), "xl/worksheets/sheet1.xml", sheet_xml(first + empty))
    assert refused(data) == "xlsx_empty_rows"


def one_big_cell(size: int) -> bytes:
    """A small file whose one cell unpacks to ``size`` characters."""
    cell = b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"A" * size + b"</t></is></c></row>"
    return replace_part(workbook(), "xl/worksheets/sheet1.xml", sheet_xml("").replace(b"<sheetData>", b"<sheetData>" + cell))


def test_a_string_bomb_is_refused_by_its_zip_directory_before_any_child(monkeypatch):
    bomb = one_big_cell(xlsx.MAX_PART_BYTES + 1)
    assert len(bomb) < 200_000
    monkeypatch.setattr(xlsx, "_run", lambda *a, **k: pytest.fail("a child was started"))
    assert refused(bomb) == "xlsx_too_big"


def test_too_many_sheets_columns_and_long_cells_are_refused():
    assert refused(workbook(sheets=xlsx.MAX_SHEETS + 1)) == "xlsx_too_many_sheets"
    assert refused(workbook(lambda s: s.cell(row=2, column=300, value="x"))) == "xlsx_too_many_columns"
    assert refused(workbook(lambda s: s.cell(row=2, column=1, value="A" * 5000))) == "xlsx_cell_too_long"


def test_the_parse_happens_in_another_process_while_the_worker_sleeps(monkeypatch):
    import openpyxl

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("parsed on the worker"))
    slept = []
    sheets = xlsx.parse_in_child(workbook(), 100, sleep=slept.append)
    assert sheets == [("Sheet", [(1, ["Họ và tên", "Lớp"]), (2, ["Nguyễn Văn An", "9A"])], [], frozenset())]
    assert slept  # the worker waited with the async mode's sleep, so other requests were served


def test_the_child_has_a_time_and_a_memory_limit():
    with pytest.raises(ServiceError) as caught:
        xlsx.parse_in_child(workbook(), 100, seconds=0.001)
    assert caught.value.code == "xlsx_too_slow"
    big = one_big_cell(30 * 1024 * 1024)  # under the zip directory's limits
    with pytest.raises(ServiceError) as caught:
        xlsx.parse_in_child(big, 100, memory_mb=48)  # a bare child needs about 40 MB
    assert caught.value.code == "xlsx_too_big"
    with pytest.raises(ServiceError) as caught:
        xlsx.parse_in_child(big, 100)
    assert caught.value.code == "xlsx_cell_too_long"


def test_an_upload_of_a_hostile_workbook_gets_a_bilingual_refusal(admin_client):
    data = workbook(lambda s: s.cell(row=1_048_576, column=1, value="x"))
    response = post_form(admin_client, "/admin/attendees/import", {"file": (io.BytesIO(data), "lop9a.xlsx")},
                         content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "alert-error" in page, page[-3000:]
    assert "dòng trống" in page


def test_ooxml_escapes_are_decoded_on_import_and_escaped_on_export(db):
    from checkin.importer import import_csv
    from kiosk.exports import xlsx_bytes

    data = workbook(lambda s: s.append(["Trần_x000D__x000A_Bình", "9A"]))
    rows = read_xlsx(data)[0].rows
    assert rows[-1][1][0] == "Trần\r\nBình"
    report = import_csv(db, data, by="test", default_age_band="7-15")
    assert report.imported == 2
    assert db.execute("SELECT COUNT(*) FROM attendees WHERE full_name = 'Trần Bình'").fetchone()[0] == 1
    # an export of text that reads as an escape shows it as typed in Excel
    book = xlsx_bytes(["name"], [["_x000D__x000A_=1"]])
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "_x005F_x000D__x005F_x000A_=1" in xml
    assert read_xlsx(book)[0].rows[-1][1] == ["_x000D__x000A_=1"]


def test_merged_ranges_and_hidden_columns_come_back_from_the_child():
    """The layout reader sees what the file says, not guesses: a two-row header's
    merged cells and a hidden column cross the process boundary."""
    corpus = Path(__file__).resolve().parents[1] / "data" / "classlists"
    (two_rows,) = read_xlsx((corpus / "01_hodem_ten.xlsx").read_bytes())
    assert (3, 2, 3, 3) in two_rows.merged  # "Họ và tên" over "Họ đệm" | "Tên"
    assert (3, 1, 4, 1) in two_rows.merged  # "STT" down both header rows
    (hidden,) = read_xlsx((corpus / "06_hidden_empty_columns.xlsx").read_bytes())
    assert hidden.hidden == frozenset({1})  # column B, "Mã định danh"
