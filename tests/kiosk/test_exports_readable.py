"""Exports a person can read (issue 22): the Excel file's headers in the
organiser's language, times as Excel dates in the festival's time zone,
sized columns, a frozen and filtered header row; CSV keeps machine names."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from kiosk.db import iso
from kiosk.exports import LABELS, all_exports, festival_zone, run_export, table, xlsx_bytes
from kiosk.zones.service import visit
from tests.support.privacy import add_game_rows


@pytest.fixture
def checked_in(db, make_zone, make_attendee):
    zone = make_zone()
    attendee_id, _token = make_attendee(full_name="Nguyễn Văn An", nickname="Sao Sáng")
    visit(db, {"id": attendee_id}, zone, "scan-1", "test")
    moment = datetime(2026, 11, 1, 2, 30, 15, tzinfo=timezone.utc)  # 09:30:15 in Hà Nội
    db.execute("UPDATE attendees SET checked_in_at = ? WHERE id = ?", [iso(moment), attendee_id])
    db.conn.commit()
    add_game_rows(db, attendee_id, "Sao Sáng")
    return attendee_id


def sheet_of(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_attendee_xlsx_is_readable_in_vietnamese(app, db, checked_in):
    with app.app_context():
        data, _mime, _name = run_export(db, "attendees", "xlsx", "test")
    sheet = sheet_of(data)
    header = [c.value for c in sheet[1]]
    assert header[:6] == ["Mã", "Họ và tên", "Biệt danh", "Nhóm tuổi", "Trường", "Lớp"]
    assert "Lúc check-in" in header and "checked_in_at" not in header
    cell = sheet.cell(2, header.index("Lúc check-in") + 1)
    assert cell.is_date and cell.value == datetime(2026, 11, 1, 9, 30, 15)
    assert cell.number_format == "dd/mm/yyyy hh:mm:ss"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}2"
    widths = {sheet.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width for i in range(len(header))}
    assert min(widths) >= 6 and max(widths) <= 60
    assert sheet.column_dimensions["B"].width >= len("Nguyễn Văn An")


def test_english_headers_and_another_time_zone(app, db, checked_in):
    app.config["TIMEZONE"] = "Asia/Tokyo"
    with app.app_context():
        data, _mime, _name = run_export(db, "attendees", "xlsx", "test", lang="en")
    sheet = sheet_of(data)
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["ID", "Full name", "Nickname"]
    assert sheet.cell(2, header.index("Checked in at") + 1).value == datetime(2026, 11, 1, 11, 30, 15)


def test_csv_keeps_machine_names_and_utc(app, db, checked_in):
    with app.app_context():
        data, _mime, _name = run_export(db, "attendees", "csv", "test")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["full_name"] == "Nguyễn Văn An"
    assert rows[0]["checked_in_at"] == "2026-11-01T02:30:15.000+00:00"


def test_every_export_has_a_label_for_every_column(app, db, checked_in):
    for export in all_exports():
        header, _rows = table(db, export.name)
        missing = [h for h in header if h not in LABELS and h not in export.labels]
        assert not missing, (export.name, missing)


def test_every_export_xlsx_has_dates_frozen_header_and_filter(app, db, runner, tmp_path, checked_in):
    for export in all_exports():
        out = tmp_path / f"{export.name}.xlsx"
        assert runner.invoke(args=["export", export.name, "-o", str(out)]).exit_code == 0
        sheet = openpyxl.load_workbook(out).active
        header = [c.value for c in sheet[1]]
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:"), export.name
        assert not any("_" in str(h) for h in header), (export.name, header)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                # no moment left as ISO text
                assert not (isinstance(cell.value, str) and cell.value[:2] == "20" and "T" in cell.value[10:11]), \
                    (export.name, header[cell.column - 1], cell.value)
    result = runner.invoke(args=["export", "attendees", "--lang", "en", "-o", str(tmp_path / "en.xlsx")])
    assert result.exit_code == 0
    assert openpyxl.load_workbook(tmp_path / "en.xlsx").active["B1"].value == "Full name"


def test_admin_download_follows_the_page_language(admin_client, db, checked_in):
    response = admin_client.get("/admin/exports/attendees.xlsx")
    assert response.status_code == 200
    assert sheet_of(response.data)["B1"].value == "Họ và tên"
    admin_client.set_cookie("lang", "en")
    assert sheet_of(admin_client.get("/admin/exports/attendees.xlsx").data)["B1"].value == "Full name"


def test_times_and_zones():
    zone = festival_zone("Asia/Ho_Chi_Minh")
    assert zone.utcoffset(datetime(2026, 1, 1)) == timedelta(hours=7)
    assert festival_zone("Nowhere/Atlantis") == timezone.utc
    data = xlsx_bytes(["n", "at_utc"], [[1, "2026-11-01T00:00:00.000+00:00"], [2, ""], [3, "not a time"]],
                      zone=zone)
    sheet = sheet_of(data)
    assert sheet["B2"].value == datetime(2026, 11, 1, 7, 0) and sheet["B3"].value is None
    assert sheet["B4"].value == "not a time"
