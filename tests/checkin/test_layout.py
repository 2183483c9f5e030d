"""The layout reader on cells alone (checkin/layout.py): merged ranges and hidden
columns as a parser gives them, titles, footers (issue 22)."""
import pytest

from checkin.classlist import Sheet
from checkin.import_rows import KNOWN_KEYS, resolve_columns
from checkin.layout import column_letter, footer_reason, read_layout, tidy_name, title_facts
from kiosk.errors import ServiceError
from kiosk.text import decode_ooxml_escapes


def layout(rows, merged=(), hidden=frozenset(), name="Sheet1"):
    sheet = Sheet(name, [(n, cells) for n, cells in enumerate(rows, 1) if any(str(c).strip() for c in cells)],
                  list(merged), frozenset(hidden))
    return read_layout(sheet, lambda cells: resolve_columns(cells, None), KNOWN_KEYS)


def test_merged_group_over_two_labelled_parts():
    found = layout([["STT", "Họ và tên", "", "Ngày sinh"], ["", "Họ đệm", "Tên", ""],
                    [1, "Nguyễn Thị", "Anh", "01/02/2012"]], merged=[(1, 2, 1, 3), (1, 1, 2, 1), (1, 4, 2, 4)])
    assert found.name_columns == [1, 2] and found.header_rows == [1, 2]
    assert found.header[1:3] == ["Họ và tên / Họ đệm", "Họ và tên / Tên"] and found.columns["birth_date"] == 3


def test_a_merged_group_with_one_part_unlabelled_is_refused_naming_the_column():
    rows = [["STT", "Họ và tên", "", "Ngày sinh"], ["", "", "Tên", ""], [1, "Nguyễn Thị", "Anh", "01/02/2012"]]
    with pytest.raises(ServiceError) as exc:
        layout(rows, merged=[(1, 2, 1, 3)])
    assert exc.value.code == "split_name" and exc.value.params["column"] == "B"


def test_a_hidden_column_is_not_read():
    rows = [["STT", "Họ và tên", "Họ và tên", "Lớp"], [1, "cũ", "Nguyễn Văn An", "8A3"]]
    assert layout(rows, hidden={1}).name_columns == [2]
    assert layout(rows).name_columns == [1]


def test_a_group_row_above_the_parts_with_stt_merged_down():
    found = layout([["STT", "Học sinh", "", "Ngày sinh"], ["", "Họ đệm", "Tên", ""], [1, "Lê", "Na", 2012]])
    assert found.header_rows == [1, 2] and found.name_columns == [1, 2] and found.columns["birth_date"] == 3


@pytest.mark.parametrize("rows, expected", [
    ([["DANH SÁCH HỌC SINH LỚP 8A3 – TRƯỜNG THCS NGÔ SĨ LIÊN – NĂM HỌC 2025-2026"]], ("8A3", "THCS Ngô Sĩ Liên", "title")),
    ([["TRƯỜNG THPT CHU VĂN AN"], ["Lớp: 10a1"]], ("10A1", "THPT Chu Văn An", "title")),
    ([["Trường: THCS Thành Công, Ba Đình"], ["Danh sách lớp 9 năm học 2025"]], ("9", "THCS Thành Công", "title")),
    ([["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"], ["Độc lập - Tự do - Hạnh phúc"]], ("", "", "")),
])
def test_class_and_school_from_titles(rows, expected):
    assert title_facts(rows) == expected


def test_class_from_the_sheet_name_only_when_it_is_one():
    assert title_facts([], "Lớp 7B") == ("7B", "", "sheet")
    assert title_facts([], "Sheet1") == ("", "", "")
    assert tidy_name("TH&THCS NGUYỄN TRÃI") == "TH&THCS Nguyễn Trãi" and tidy_name("THCS Nghĩa Tân") == "THCS Nghĩa Tân"


@pytest.mark.parametrize("cells, reason", [
    (["", "Tổng số: 40 học sinh"], "A total line."), (["", "", "", "Hà Nội, ngày 5 tháng 9 năm 2025"],
                                                       "The place and date of signing."),
    (["(Ký và ghi rõ họ tên)"], "A signature line."), (["GIÁO VIÊN CHỦ NHIỆM"], "A signature block."),
    (["Nguyễn Văn Công"], None), (["Cồng Văn Tổng"], None),
])
def test_footer_reasons(cells, reason):
    assert footer_reason(cells) == reason


def test_ooxml_escapes_and_column_letters():
    assert decode_ooxml_escapes("Nguy_x1EC5_n_x000D_Văn") == "Nguyễn\rVăn"
    assert decode_ooxml_escapes("_x005F_x0041_") == "_x0041_" and decode_ooxml_escapes("_xZZZZ_") == "_xZZZZ_"
    assert [column_letter(i) for i in (0, 25, 26, 27)] == ["A", "Z", "AA", "AB"]
