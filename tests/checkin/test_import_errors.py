"""Every problem of a class list reachable (issue 14), broken quotes and control characters (issue 13)."""
import base64
import csv
import io
import re

from checkin.classlist import problems_csv
from checkin.importer import import_csv
from checkin.search import search
from kiosk.text import clean
from tests.support.http import post_form

HEADER = "Họ và tên,Trường,Lớp,Tuổi,Phụ huynh đồng ý,Biệt danh\n"


def thousand_bad_rows() -> tuple[str, dict[int, set[str]]]:
    """A list of 1,000 bad rows among 500 good ones; row -> the columns at fault."""
    lines, faults = [HEADER], {}
    kinds = [
        (lambda i: ",THCS A,6A,12,có,", {"Họ và tên"}),
        (lambda i: f"Nguyễn Văn Bé {i},THCS A,6A,mười,có,", {"Tuổi"}),
        (lambda i: f"Nguyễn Văn Bé {i},THCS A,6A,12,có lẽ,", {"Phụ huynh đồng ý"}),
        (lambda i: ",THCS A,6A,hai,chắc,", {"Họ và tên", "Tuổi", "Phụ huynh đồng ý"}),  # three problems
        (lambda i: f"Nguyễn Văn Bé {i},THCS A,6A,12,có,,thừa", {""}),
        (lambda i: f"=HYPERLINK(\"http://x\") {i},THCS A,{'L' * 30},12,có,", {"Lớp"}),
    ]
    row = 1
    for i in range(1500):
        row += 1
        if i % 3 == 2:
            lines.append(f"Trần Thị Tốt {i},THCS A,6A,12,có,\n")
            continue
        make, columns = kinds[len(faults) % len(kinds)]
        lines.append(make(i) + "\n")
        faults[row] = columns
    assert len(faults) == 1000
    return "".join(lines), faults


def read_problems(text: str) -> list[dict]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_cli_errors_file_lists_every_problem_of_a_thousand_bad_rows(app, runner, tmp_path, db):
    text, faults = thousand_bad_rows()
    path, errors = tmp_path / "lop.csv", tmp_path / "loi.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["import-attendees", str(path), "--errors", str(errors)])
    assert result.exit_code == 2, result.output
    assert "imported: 500" in result.output and str(errors) in result.output
    problems = [p for p in read_problems(errors.read_text(encoding="utf-8")) if p["Loại / Kind"].startswith("lỗi")]
    by_row: dict[int, set[str]] = {}
    for p in problems:
        by_row.setdefault(int(p["Dòng / Row"]), set()).add(p["Cột / Column"])
        assert p["Lý do"] and p["Reason"] and p["Lý do"] != p["Reason"]
    assert by_row == faults  # every bad row, every problem of it, nothing else
    assert len(problems) == 1000 + 2 * sum(1 for cols in faults.values() if len(cols) == 3)
    values = {p["Giá trị / Value"] for p in problems}
    assert "mười" in values and "có lẽ" in values and "thừa" in values
    # a cell Excel would run as a formula is written as text
    assert all(not v.startswith(("=", "+", "@")) for p in problems for v in p.values())
    assert "L" * 30 in values  # the too-long class of the rows whose name starts with "="


def test_formula_cells_are_quoted_in_the_problems_file(db):
    report = import_csv(db, HEADER + "=cmd|' /C calc'!A0,THCS A,6A,bảy,có,\n+1,S,6A,-2,có,\n", by="test")
    rows = read_problems(problems_csv(report))
    values = [r["Giá trị / Value"] for r in rows]
    assert "'+1" in values and "'-2" in values and "bảy" in values


def test_unclosed_quote_is_an_error_on_its_row_not_a_merge(db):
    text = (HEADER + "Nguyễn Văn An,THCS A,6A,11,có,\n"
            "\"Trần Thị Bình,THCS A,6A,11,có,\n"
            "Lê Văn Cường,THCS A,6A,11,có,\n"
            "Phạm Thị \"Dung\",THCS A,6A,11,có,\n"
            "Hồ Văn Em,THCS A,6A,11,có,\n")
    report = import_csv(db, text, by="test")
    assert [(e.row, e.code) for e in report.errors] == [(3, "unclosed_quote")]
    assert "Trần Thị Bình" in report.errors[0].value
    names = [r[0] for r in db.execute("SELECT full_name FROM attendees ORDER BY id")]
    assert names == ["Nguyễn Văn An", "Lê Văn Cường", 'Phạm Thị "Dung"', "Hồ Văn Em"]


def test_quote_closed_on_a_later_line_still_keeps_the_rows_apart(db):
    text = (HEADER + "\"Trần Thị Bình,THCS A,6A,11,có,\n"
            "Lê Văn Cường,THCS A,\"6A\",11,có,\n"
            "Hồ Văn Em,THCS A,6A,11,có,\n")
    report = import_csv(db, text, by="test")
    assert [(e.row, e.code) for e in report.errors] == [(2, "unclosed_quote")]
    assert {r[0] for r in db.execute("SELECT full_name FROM attendees")} == {"Lê Văn Cường", "Hồ Văn Em"}


def test_unclosed_quote_on_the_last_row(db):
    report = import_csv(db, HEADER + "Nguyễn Văn An,THCS A,6A,11,có,\n\"Hồ Văn Em,THCS A,6A,11,có,\n", by="test")
    assert [(e.row, e.code) for e in report.errors] == [(3, "unclosed_quote")] and report.imported == 1
    report = import_csv(db, "Họ và tên\n\"Lê Văn Cường\n", default_age_band="7-15", by="test")
    assert [(e.row, e.code) for e in report.errors] == [(2, "unclosed_quote")] and report.imported == 0


def test_a_name_typed_on_two_lines_in_excel_is_still_one_name(db):
    report = import_csv(db, "Họ và tên,Tuổi\n\"Nguyễn\nVăn An\",12\nLê Văn Cường,12\n", by="test")
    assert report.errors == [] and report.imported == 2
    assert db.execute("SELECT full_name FROM attendees ORDER BY id").fetchone()[0] == "Nguyễn Văn An"


def test_line_break_inside_a_quoted_cell_nobody_reads_is_fine(db):
    text = "Họ và tên,Tuổi,Ghi chú\nNguyễn Văn An,12,\"dị ứng\nlạc\"\nLê Văn Cường,12,\n"
    report = import_csv(db, text, by="test")
    assert report.imported == 2 and report.errors == []


def test_control_characters_in_names_are_word_breaks():
    assert clean("Nguyễn\x00Văn\x1fAn") == "Nguyễn Văn An"
    assert clean("Trần\u200bThị") == "TrầnThị"  # zero-width marks carry no break: still dropped
    assert clean(" Lê\x07\x07Văn\u202e ") == "Lê Văn"


def test_control_characters_split_words_on_import_and_in_search(db):
    import_csv(db, "Họ và tên,Tuổi\nNguyễn\x01Văn\x02An,12\n", by="test")
    assert db.execute("SELECT full_name FROM attendees").fetchone()[0] == "Nguyễn Văn An"
    assert [r["full_name"] for r in search(db, "van an")] == ["Nguyễn Văn An"]


def test_admin_upload_offers_the_problems_file(admin_client, db):
    text, faults = thousand_bad_rows()
    response = post_form(admin_client, "/admin/attendees/import",
                         {"file": (io.BytesIO(text.encode("utf-8")), "lop.csv")},
                         content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    link = re.search(r'id="problems-csv" download="import-problems.csv"\s+href="data:text/csv;charset=utf-8;base64,'
                     r'([A-Za-z0-9+/=]+)"', page)
    assert link, page[:2000]
    rows = read_problems(base64.b64decode(link.group(1)).decode("utf-8"))
    assert {int(r["Dòng / Row"]) for r in rows if r["Loại / Kind"].startswith("lỗi")} == set(faults)
    assert "Chỉ liệt kê 200 mục đầu tiên" in page  # the page lists 200; the file has them all
