"""Class lists exactly as schools send them (issue 22): every workbook of
tests/data/classlists/ (made by its make.py) imported with the names, classes,
schools and age bands (from the dates of birth) it holds; footers listed as
ignored; a name split into columns of which only part can be found refused."""
import io
import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from checkin.importer import import_csv
from kiosk.db import set_setting
from kiosk.errors import ServiceError
from tests.support.http import post_form

CORPUS = Path(__file__).resolve().parents[1] / "data" / "classlists"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
FESTIVAL = date.fromisoformat(EXPECTED["festival_day"])
READ = {name: e for name, e in EXPECTED["files"].items() if "refused" not in e}
REFUSED = {name: e for name, e in EXPECTED["files"].items() if "refused" in e}


def test_the_corpus_is_big_enough():
    assert len(READ) >= 12 and len(REFUSED) >= 2
    assert sorted(p.name for p in CORPUS.glob("*.xlsx")) == sorted(EXPECTED["files"])


def attendees(db):
    return sorted((r["full_name"], r["class_name"], r["school"], r["age_band"]) for r in db.execute(
        "SELECT full_name, class_name, school, age_band FROM attendees"))


def wanted(expected) -> list[tuple]:
    rows = []
    for sheet in expected["sheets"].values():
        classes = {n: c for c, names in sheet.get("classes", {}).items() for n in names}
        rows += [(name, classes.get(name, sheet["class"]), sheet["school"], band) for name, band in sheet["pupils"]]
    return sorted(rows)


@pytest.mark.parametrize("name", sorted(READ))
def test_every_workbook_imports_exactly(db, name):
    expected = READ[name]
    options = expected["options"]
    report = import_csv(db, (CORPUS / name).read_bytes(), by="test", day=FESTIVAL,
                        school=options.get("school"), class_name=options.get("class_name"))
    assert report.errors == [] and report.duplicates == []
    assert attendees(db) == wanted(expected)
    assert report.imported == len(wanted(expected))
    assert len(report.ignored) == expected["ignored"]
    assert all(i.code == "ignored" and i.reason for i in report.ignored)
    read = {s.name: s for s in report.sheets if not s.skipped}
    assert set(read) == set(expected["sheets"])
    for sheet_name, sheet in expected["sheets"].items():
        assert read[sheet_name].pupils == len(sheet["pupils"])
        assert (read[sheet_name].class_name or None) == sheet["class"]
    skipped = {s.name: s.skipped for s in report.sheets if s.skipped}
    assert skipped == expected.get("skipped", {})


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_part_of_a_split_name_is_refused_naming_the_columns(db, name):
    with pytest.raises(ServiceError) as exc:
        import_csv(db, (CORPUS / name).read_bytes(), by="test", day=FESTIVAL)
    assert exc.value.code == REFUSED[name]["refused"]
    found = exc.value.params["found"]
    assert all(f"{column} '" in found for column in REFUSED[name]["columns"])
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0


def test_footer_rows_are_listed_with_their_reasons(db):
    report = import_csv(db, (CORPUS / "01_hodem_ten.xlsx").read_bytes(), by="test", day=FESTIVAL)
    assert [(i.row, i.reason, i.value) for i in report.ignored] == [
        (16, "A total line.", "Tổng số: 10 học sinh"),
        (18, "Below the list's footer (signatures, notes): not a pupil.", "Hà Nội, ngày 5 tháng 9 năm 2025"),
        (19, "Below the list's footer (signatures, notes): not a pupil.", "Giáo viên chủ nhiệm"),
        (20, "Below the list's footer (signatures, notes): not a pupil.", "(Ký và ghi rõ họ tên)"),
        (23, "Below the list's footer (signatures, notes): not a pupil.", "Trần Thị Hoa")]
    assert report.ignored[0].text("vi") == "Dòng tổng số."
    assert report.sheets[0].header_rows == [3, 4]


def test_children_whose_names_differ_in_one_accent_both_get_a_badge(db):
    report = import_csv(db, (CORPUS / "01_hodem_ten.xlsx").read_bytes(), by="test", day=FESTIVAL)
    names = {r[0] for r in db.execute(
        "SELECT a.full_name FROM attendees a JOIN badges b ON b.attendee_id = a.id")}
    assert {"Nguyễn Thị Anh", "Nguyễn Thị Ánh", "Nguyễn Văn An", "Nguyễn Văn Ân"} <= names
    assert report.duplicates == [] and len(report.possible_duplicates) == 6


def test_dry_run_shows_class_and_school_and_writes_nothing(db):
    report = import_csv(db, (CORPUS / "01_hodem_ten.xlsx").read_bytes(), by="test", day=FESTIVAL, dry_run=True)
    assert report.dry_run and report.ready == 10 and report.imported == 0
    sheet = report.sheets[0]
    assert (sheet.class_name, sheet.class_from, sheet.school, sheet.school_from) == (
        "8A3", "title", "THCS Ngô Sĩ Liên", "title")
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0


def test_options_do_not_override_the_title(db):
    report = import_csv(db, (CORPUS / "01_hodem_ten.xlsx").read_bytes(), by="test", day=FESTIVAL,
                        school="THCS Khác", class_name="9Z")
    assert report.sheets[0].class_name == "8A3"
    assert {r[0] for r in db.execute("SELECT DISTINCT class_name FROM attendees")} == {"8A3"}


def test_cli_dry_run_prints_the_summary_per_sheet_and_exits_0(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-attendees", "--dry-run", str(CORPUS / "03_sheet_per_class.xlsx")])
    assert result.exit_code == 0, result.output
    assert "Trang / Sheet '6A2': tiêu đề dòng / header row 4; lớp / class 6A2 (tên trang / sheet name)" in result.output
    assert "Trang / Sheet '6A4': bỏ qua / skipped (không có học sinh / no pupils)" in result.output
    assert "Bỏ qua / Ignored — dòng/row 6A1!10" in result.output
    assert "would import 10" in result.output
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0


def test_cli_clean_list_exits_0_and_options_fill_in(app, db):
    runner = app.test_cli_runner()
    set_setting(db, "festival_date", FESTIVAL.isoformat())
    result = runner.invoke(args=["import-attendees", "--school", "THCS Thành Công", "--class", "7A",
                                 str(CORPUS / "12_no_title.xlsx")])
    assert result.exit_code == 0, result.output
    assert "lớp / class 7A (tuỳ chọn / option)" in result.output
    assert "imported: 10" in result.output
    result = runner.invoke(args=["import-attendees", str(CORPUS / "01_hodem_ten.xlsx")])
    assert result.exit_code == 0 and "bỏ qua / ignored: 5" in result.output


def test_cli_refuses_a_name_cut_short_with_exit_1(app):
    result = app.test_cli_runner().invoke(args=["import-attendees", str(CORPUS / "refused_given_missing.xlsx")])
    assert result.exit_code == 1 and "'Họ và tên / Họ đệm'" in result.output and "('Tên')" in result.output


def test_cli_help_names_the_new_options(app):
    result = app.test_cli_runner().invoke(args=["import-attendees", "--help"])
    assert all(o in result.output for o in ("--school", "--class", "--dry-run", "LỚP 8A3"))


def test_upload_page_takes_school_and_class_and_says_excel(admin_client, db):
    page = admin_client.get("/admin/attendees/import").get_data(as_text=True)
    assert "(CSV)" not in page and 'name="school"' in page and 'name="class_name"' in page
    data = (CORPUS / "12_no_title.xlsx").read_bytes()
    response = post_form(admin_client, "/admin/attendees/import",
                         {"file": (io.BytesIO(data), "lop.xlsx"), "school": "THCS Thành Công", "class_name": "7A",
                          "dry_run": "1"}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="dry-run"' in html and "THCS Thành Công" in html
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0
    response = post_form(admin_client, "/admin/attendees/import",
                         {"file": (io.BytesIO(data), "lop.xlsx"), "school": "THCS Thành Công", "class_name": "7A"},
                         content_type="multipart/form-data")
    assert {tuple(r) for r in db.execute("SELECT DISTINCT school, class_name FROM attendees")} == {
        ("THCS Thành Công", "7A")}


def test_upload_page_lists_ignored_rows_and_sheets(admin_client):
    data = (CORPUS / "03_sheet_per_class.xlsx").read_bytes()
    response = post_form(admin_client, "/admin/attendees/import", {"file": (io.BytesIO(data), "khoi6.xlsx")},
                         content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "6A1!10" in html and "Dòng tổng số." in html and "không có học sinh" in html


def test_a_family_name_part_left_empty_on_one_row_is_an_error_for_that_row(db):
    book = Workbook()
    sheet = book.active
    sheet.append(["STT", "Họ đệm", "Tên"])
    sheet.append([1, "Nguyễn Văn", "An"])
    sheet.append([2, None, "Bình"])
    out = io.BytesIO()
    book.save(out)
    report = import_csv(db, out.getvalue(), by="test", default_age_band="7-15")
    assert report.imported == 1
    assert [(e.row, e.code, e.column) for e in report.errors] == [(3, "name_part_missing", "Họ đệm")]


def test_csv_footer_rows_are_ignored_too(db):
    text = "STT,Họ và tên,Lớp\n1,Nguyễn Văn An,8A3\n2,Trần Thị Bình,8A3\n,Tổng số: 2 học sinh,\n,Giáo viên chủ nhiệm,\n"
    report = import_csv(db, text, by="test", default_age_band="7-15")
    assert report.imported == 2 and report.errors == [] and len(report.ignored) == 2


def test_problems_file_names_the_sheet_of_each_row(db):
    from checkin.classlist import problems_csv

    report = import_csv(db, (CORPUS / "03_sheet_per_class.xlsx").read_bytes(), by="test", day=FESTIVAL)
    assert "6A1!5," in problems_csv(report)  # a possible duplicate (Anh and Ánh) on sheet 6A1, row 5


def test_csv_with_only_a_family_name_column_is_refused_naming_it(db):
    with pytest.raises(ServiceError) as exc:
        import_csv(db, "STT,Họ đệm,Lớp\n1,Nguyễn Văn,8A3\n", by="test", default_age_band="7-15")
    assert exc.value.code == "split_name" and "B 'Họ đệm'" in exc.value.params["found"]
