"""Class-list import (CSV) and attendee export, as services, CLI and admin page."""
import io
import unicodedata

import pytest

from checkin.attendees import search
from kiosk.badgecheck import lookup_badge
from checkin.demo import sample_csv
from checkin.importer import import_csv, parse_mapping
from kiosk.errors import ServiceError
from tests.support.http import post_form


def count(db, table="attendees"):
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.mark.slow
def test_twenty_thousand_rows_with_fifty_bad_ones(db):
    text, bad_rows = sample_csv(20_000, bad=50)
    report = import_csv(db, text.encode("utf-8"), by="test")
    assert report.imported == 20_000 - 50
    assert [row for row, _reason in report.errors] == bad_rows
    assert all(reason for _row, reason in report.errors)
    assert report.duplicates == []
    assert count(db) == 19_950 and count(db, "badges") == 19_950
    # every imported attendee has exactly one live, valid badge
    orphans = db.execute("SELECT COUNT(*) FROM attendees a LEFT JOIN badges b ON b.attendee_id = a.id "
                         "AND b.revoked_at IS NULL WHERE b.token IS NULL").fetchone()[0]
    assert orphans == 0
    token = db.execute("SELECT token FROM badges LIMIT 1").fetchone()[0]
    assert lookup_badge(db, token).status == "ok"
    assert db.execute("SELECT action, detail FROM audit_log WHERE action = 'attendees.import'").fetchone()[1] \
        == "imported=19950 duplicates=0 errors=50"


def test_all_or_nothing_imports_nothing_when_a_row_is_bad(db):
    text, bad_rows = sample_csv(500, bad=3)
    report = import_csv(db, text, all_or_nothing=True, by="test")
    assert report.imported == 0 and [r for r, _ in report.errors] == bad_rows
    assert count(db) == 0 and count(db, "badges") == 0
    good, _ = sample_csv(200, bad=0)
    assert import_csv(db, good, all_or_nothing=True, by="test").imported == 200


def test_each_bad_row_names_its_reason(db):
    text = ("Họ và tên,Trường,Lớp,Nhóm tuổi,Biệt danh,Phụ huynh đồng ý\n"
            "Nguyễn Văn An,THCS A,6A,7-15,,có\n"
            ",THCS A,6A,7-15,,có\n"
            "Trần Thị Bình,THCS A,6A,bảy,,có\n"
            "Lê Văn Cường,THCS A,6A,7-15,,có lẽ\n"
            "Phạm Thị Dung,THCS A,6A,7-15,F.u.c.k,có\n"
            "Hồ Văn Em,THCS A,6A,7-15,,có,thừa\n"
            "Đỗ Thị Giang,THCS A,6A,,,có\n")
    report = import_csv(db, text, by="test")
    assert report.imported == 1
    codes = {e.row: e.code for e in report.errors}
    assert codes == {3: "bad_name", 4: "bad_age_band", 5: "bad_consent", 6: "bad_nickname",
                     7: "extra_cells", 8: "bad_age_band"}
    vi = {e.row: e.text("vi") for e in report.errors}
    assert "Thiếu nhóm tuổi" in vi[8] and "bảy" in vi[4]


def test_bom_semicolons_and_vietnamese_headers(db):
    text = "\ufeffHọ và tên;Trường;Lớp;Tuổi;Đồng ý hiển thị\r\nNguyễn Văn An;THCS Đoàn Kết;7B;12;x\r\n"
    report = import_csv(db, text.encode("utf-8"), by="test")
    assert report.imported == 1 and report.delimiter == ";"
    row = db.execute("SELECT * FROM attendees").fetchone()
    assert (row["full_name"], row["school"], row["class_name"], row["age_band"]) == \
        ("Nguyễn Văn An", "THCS Đoàn Kết", "7B", "7-15")
    assert row["consent_public"] == 1 and row["consent_guardian"] == 0 and row["source"] == "import"
    assert row["consent_method"] == "paper form (import)" and row["consent_by"] == "test"


def test_english_headers_and_age_numbers_map_to_bands(db):
    text = "name,school,class,age\nA An,S,1A,6\nB Binh,S,1A,15\nC Chi,S,1A,16\nD Dung,S,1A,18\n"
    import_csv(db, text, by="test")
    bands = [r[0] for r in db.execute("SELECT age_band FROM attendees ORDER BY id")]
    assert bands == ["u7", "7-15", "16-17", "18+"]
    assert all(r[0] == 0 for r in db.execute("SELECT consent_child FROM attendees"))  # default: no consent


def test_column_mapping_overrides_defaults(db):
    text = "Tên HS,Đơn vị,Khối lớp,Nhóm\nNguyễn Thị Mai,THPT X,10A,16-17\n"
    with pytest.raises(ServiceError) as exc:
        import_csv(db, text, by="test")
    assert exc.value.code == "missing_column"
    mapping = parse_mapping(["full_name=Tên HS", "school=Đơn vị", "class_name=Khối lớp", "age_band=Nhóm"])
    assert import_csv(db, text, mapping=mapping, by="test").imported == 1
    assert db.execute("SELECT school, class_name FROM attendees").fetchone()[:] == ("THPT X", "10A")
    with pytest.raises(ServiceError):
        parse_mapping(["nonsense=X"])
    with pytest.raises(ServiceError) as exc:
        import_csv(db, text, mapping={"full_name": "Không có"}, by="test")
    assert exc.value.code == "missing_column"


def test_duplicates_in_the_file_and_against_the_database(db):
    text = ("Họ và tên,Trường,Lớp,Tuổi\nNguyễn Văn An,THCS A,6A,11\n"
            "NGUYEN VAN AN,thcs a,6a,11\nNguyễn Văn An,THCS A,6B,11\n")
    report = import_csv(db, text, by="test")
    # Issue 14: a name equal only without its accents may be another child: imported, listed for review.
    assert report.imported == 3 and report.duplicates == []
    assert [d.row for d in report.possible_duplicates] == [2, 3]
    again = import_csv(db, text, by="test")  # re-importing the same list is harmless
    assert again.imported == 0 and [d.row for d in again.duplicates] == [2, 3, 4]
    assert count(db) == 3


def test_input_is_nfc_normalised_and_searchable(db):
    nfd = unicodedata.normalize("NFD", "Nguyễn Văn An")
    import_csv(db, f"Họ và tên,Tuổi\n{nfd},12\nĐoàn Thị Hà,12\n", by="test")
    names = [r[0] for r in db.execute("SELECT full_name FROM attendees ORDER BY id")]
    assert names[0] == "Nguyễn Văn An" and unicodedata.is_normalized("NFC", names[0])
    assert search(db, "nguyen van an")[0]["full_name"] == "Nguyễn Văn An"
    assert search(db, "doan")[0]["full_name"] == "Đoàn Thị Hà"


@pytest.mark.parametrize("data, code", [
    (b"\xff\xfeH\x00o\x00", "bad_encoding"),
    (b"", "empty_file"),
    (b"STT,Lop\n1,6A\n", "missing_column"),
])
def test_unreadable_files_are_refused_with_a_reason(db, data, code):
    with pytest.raises(ServiceError) as exc:
        import_csv(db, data, by="test")
    assert exc.value.code == code
    assert count(db) == 0


def test_default_age_band_for_lists_without_ages(db):
    report = import_csv(db, "Họ và tên\nNguyễn Văn An\n", by="test")
    assert report.imported == 0 and report.errors[0].code == "bad_age_band"
    assert import_csv(db, "Họ và tên\nNguyễn Văn An\n", default_age_band="7-15", by="test").imported == 1


# --- command line -------------------------------------------------------------

def test_cli_import_reports_rows_and_exit_code(app, runner, tmp_path, db):
    path = tmp_path / "lop.csv"
    text, bad_rows = sample_csv(300, bad=2, delimiter=";")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = runner.invoke(args=["import-attendees", str(path)])
    assert result.exit_code == 2, result.output
    for row in bad_rows:
        assert f"row {row}:" in result.output
    assert "imported: 298" in result.output
    assert count(db) == 298


def test_cli_all_or_nothing_and_mapping(app, runner, tmp_path, db):
    path = tmp_path / "lop.csv"
    path.write_text("Tên HS,Tuổi\nNguyễn Văn An,12\n,12\n", encoding="utf-8")
    result = runner.invoke(args=["import-attendees", "--all-or-nothing", "--map", "full_name=Tên HS", str(path)])
    assert result.exit_code == 1 and "Nothing imported" in result.output
    assert count(db) == 0
    result = runner.invoke(args=["import-attendees", "--map", "bogus", str(path)])
    assert result.exit_code != 0 and "field=Header" in result.output


def test_cli_export_round_trips_through_import(app, runner, tmp_path, db, make_attendee):
    make_attendee("Nguyễn Văn An", school="THCS Đoàn Kết", class_name="7B")
    make_attendee("Trần Thị Bình", age_band="18+", school=None, class_name=None)
    out = tmp_path / "export.csv"
    result = runner.invoke(args=["export", "attendees", "-o", str(out)])
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "Nguyễn Văn An".encode() in raw
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'attendees.export'").fetchone()[0] == 1
    report = import_csv(db, raw, by="test")  # same people: every row is a duplicate
    assert report.imported == 0 and len(report.duplicates) == 2 and not report.errors
    stdout = runner.invoke(args=["export", "attendees"])
    assert stdout.exit_code == 0


# --- admin page ----------------------------------------------------------------

def test_admin_upload_imports_and_shows_the_report(admin_client, db):
    text, bad_rows = sample_csv(40, bad=2)
    response = post_form(admin_client, "/admin/attendees/import",
                         {"file": (io.BytesIO(text.encode("utf-8")), "lop.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Đã nhập: 38" in page
    for row in bad_rows:
        assert f"<td>{row}</td>" in page
    assert count(db) == 38


def test_admin_upload_without_file_or_with_garbage_is_a_clear_400(admin_client, db):
    response = post_form(admin_client, "/admin/attendees/import", {}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Hãy chọn tệp danh sách lớp để nhập (Excel .xlsx hoặc CSV)" in response.get_data(as_text=True)
    response = post_form(admin_client, "/admin/attendees/import",
                         {"file": (io.BytesIO(b"\x00\xff\xfe garbage"), "x.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 400 and "UTF-8" in response.get_data(as_text=True)


def test_admin_export_download_is_audited(admin_client, db, make_attendee):
    make_attendee("Nguyễn Văn An")
    response = admin_client.get("/admin/attendees/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf") and "attachment" in response.headers["Content-Disposition"]
    assert db.execute("SELECT actor FROM audit_log WHERE action = 'attendees.export'").fetchone()[0].startswith("staff:")


@pytest.mark.parametrize("url", ["/admin/attendees", "/admin/attendees/import", "/admin/attendees/export.csv",
                                 "/admin/register-poster"])
def test_admin_attendee_pages_refuse_other_roles(client, device_client, url):
    assert client.get(url).status_code == 401
    assert device_client("desk").get(url).status_code == 403
