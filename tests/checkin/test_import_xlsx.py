"""Class lists as schools send them: .xlsx with title rows, STT, Giới tính, Ngày sinh (issue 14)."""
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from checkin.classlist import band_on, birth_date
from checkin.importer import import_csv
from kiosk.db import set_setting
from kiosk.errors import ServiceError
from tests.support.http import post_form

FESTIVAL = date(2025, 11, 1)


def class_list(rows, header=("STT", "Họ và tên", "Giới tính", "Ngày sinh", "Lớp")) -> bytes:
    """A workbook like a school's: two title rows (one merged), a blank row, the header, the pupils."""
    book = Workbook()
    sheet = book.active
    sheet.append(["SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI"])
    sheet.append(["DANH SÁCH HỌC SINH LỚP 9A – TRƯỜNG THCS CHU VĂN AN – NĂM HỌC 2025-2026"])
    sheet.merge_cells("A2:E2")
    sheet.append([])
    sheet.append(list(header))
    for number, row in enumerate(rows, 1):
        sheet.append([number, *row])
    for cell in sheet["D"][4:]:
        if isinstance(cell.value, datetime):
            cell.number_format = "DD/MM/YYYY"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


PUPILS = [
    ("Đoàn Minh Quân", "Nam", "15/03/2011", "9A"),                 # text dd/mm/yyyy: 14 → 7-15
    ("Doãn Minh Quân", "Nam", datetime(2008, 12, 20), "9A"),       # a date cell: 16 on the day → 16-17
    ("Phan Ngọc Quỳnh", "Nữ", 2007, "9A"),                         # a year: 17 or 18 → the younger, 16-17
    ("Lê Đức Óc", "Nam", "2019", "9A"),                            # a year as text: 5 or 6 → u7
    ("Lê Đức Ộc", "Nam", datetime(2007, 10, 31), "9A"),            # 18 the day before → 18+
    ("Nguyễn Văn An", "Nam", "05/11/2010", "9A"),                  # birthday 4 days after the festival: 14
    ("Trần Thị Mai", "Nữ", "31/02/2012", "9A"),                    # no such day: an error on its row
]


def bands(db):
    return {r[0]: r[1] for r in db.execute("SELECT full_name, age_band FROM attendees")}


def test_xlsx_class_list_imports_with_age_bands_from_dates_of_birth(db):
    report = import_csv(db, class_list(PUPILS), by="test", day=FESTIVAL)
    assert report.format == "xlsx" and report.header_row == 4
    assert report.imported == 6
    assert bands(db) == {"Đoàn Minh Quân": "7-15", "Doãn Minh Quân": "16-17", "Phan Ngọc Quỳnh": "16-17",
                         "Lê Đức Óc": "u7", "Lê Đức Ộc": "18+", "Nguyễn Văn An": "7-15"}
    # row numbers as Excel shows them: title rows 1-2, blank 3, header 4, pupils from 5
    assert [(e.row, e.code, e.column, e.value) for e in report.errors] == [
        (11, "bad_birth_date", "Ngày sinh", "31/02/2012")]
    # nothing but the age band is kept: no date of birth anywhere in the attendee row
    row = dict(db.execute("SELECT * FROM attendees WHERE full_name = 'Nguyễn Văn An'").fetchone())
    assert not any("2010" in str(v) for v in row.values())
    assert row["class_name"] == "9A"


def test_namesakes_by_accent_both_get_badges_and_are_listed(db):
    report = import_csv(db, class_list(PUPILS), by="test", day=FESTIVAL)
    live = {r[0] for r in db.execute(
        "SELECT a.full_name FROM attendees a JOIN badges b ON b.attendee_id = a.id WHERE b.revoked_at IS NULL")}
    assert {"Đoàn Minh Quân", "Doãn Minh Quân", "Lê Đức Óc", "Lê Đức Ộc"} <= live
    assert report.duplicates == []
    listed = {(p.row, p.params["name"]) for p in report.possible_duplicates}
    assert listed == {(5, "Doãn Minh Quân"), (6, "Đoàn Minh Quân"), (8, "Lê Đức Ộc"), (9, "Lê Đức Óc")}
    assert all(p.code == "possible_duplicate" for p in report.possible_duplicates)
    # the same list again: every pupil is now a real duplicate (same name with accents, class)
    again = import_csv(db, class_list(PUPILS[:6]), by="test", day=FESTIVAL)
    assert again.imported == 0 and [d.row for d in again.duplicates] == [5, 6, 7, 8, 9, 10]


def test_same_name_and_birth_date_is_a_duplicate_even_in_another_class(db):
    rows = [("Nguyễn Văn An", "Nam", "01/02/2011", "9A"), ("Nguyễn Văn An", "Nam", "01/02/2011", "9B"),
            ("Nguyễn Văn An", "Nam", "02/02/2011", "9C")]
    report = import_csv(db, class_list(rows), by="test", day=FESTIVAL)
    assert report.imported == 2 and [(d.row, d.params) for d in report.duplicates] == [(6, {"other": 5})]


def test_split_name_columns_and_festival_date_setting(db):
    set_setting(db, "festival_date", "2026-06-01")
    rows = [("Nguyễn Văn", "An", "01/06/2010")]  # 16 exactly on 1 June 2026
    data = class_list([(f, g, d) for f, g, d in rows], header=("STT", "Họ và tên đệm", "Tên", "Ngày sinh"))
    report = import_csv(db, data, by="test")
    assert report.imported == 1, report.errors
    assert bands(db) == {"Nguyễn Văn An": "16-17"}


@pytest.mark.parametrize("value, expected", [
    ("15/03/2011", date(2011, 3, 15)), ("5-3-2011", date(2011, 3, 5)), ("05.03.2011", date(2011, 3, 5)),
    ("2011-03-15", date(2011, 3, 15)), (datetime(2011, 3, 15, 0, 0), date(2011, 3, 15)),
    (date(2011, 3, 15), date(2011, 3, 15)), (2011, 2011), ("2011", 2011), (2011.0, 2011),
    (40617, date(2011, 3, 15)),  # a date cell read as Excel's day number
])
def test_birth_date_forms(value, expected):
    assert birth_date(value) == expected


@pytest.mark.parametrize("value", ["15/13/2011", "31/02/2012", "mười lăm", "", "1800", "15/03", True])
def test_birth_date_refuses_what_is_not_a_date(value):
    with pytest.raises(ServiceError) as exc:
        birth_date(value)
    assert exc.value.code == "bad_birth_date"


def test_age_band_boundaries_on_the_festival_day():
    assert band_on(date(2018, 11, 1), FESTIVAL) == "7-15"   # 7 today
    assert band_on(date(2018, 11, 2), FESTIVAL) == "u7"     # 7 tomorrow
    assert band_on(date(2009, 11, 1), FESTIVAL) == "16-17"  # 16 today: no longer needs a guardian
    assert band_on(2009, FESTIVAL) == "7-15"                # year only: the younger age (15)
    with pytest.raises(ServiceError):
        band_on(date(2026, 1, 1), FESTIVAL)


def test_not_a_workbook_is_a_clear_error(db):
    with pytest.raises(ServiceError) as exc:
        import_csv(db, b"PK\x03\x04 not really a zip", by="test")
    assert exc.value.code == "bad_xlsx"


def test_workbook_without_a_name_header_is_refused(db):
    data = class_list([("x", "y", "z", "w")], header=("STT", "Cột 1", "Cột 2", "Cột 3", "Cột 4"))
    with pytest.raises(ServiceError) as exc:
        import_csv(db, data, by="test")
    assert exc.value.code == "missing_column"


def test_admin_uploads_an_xlsx_and_sees_possible_duplicates(admin_client, db):
    set_setting(db, "festival_date", FESTIVAL.isoformat())
    response = post_form(admin_client, "/admin/attendees/import",
                         {"file": (io.BytesIO(class_list(PUPILS)), "lop9a.xlsx")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đã nhập: 6" in page and "Có thể trùng" in page
    assert "Doãn Minh Quân" in page and "Đoàn Minh Quân" in page
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 6
