"""Class lists as Vietnamese schools send them: the corpus the import is tested on (issue 22).

    python tests/data/classlists/make.py      # rewrites the .xlsx files and expected.json here

Each workbook is built the way schools build theirs: the national motto
block, the department and school lines, a title that names the class, one-
or two-row headers with merged cells, dates of birth as date cells and as
text, footers with totals and signatures, hidden and empty columns, one
sheet per class. ``expected.json`` says what an import must read from each:
per sheet the class, the school and every pupil's full name with the age
band on the festival's day (FESTIVAL; the birth dates sit on the band
boundaries, so a day read as a month changes the band), how many rows are
ignored, the options given (--school/--class), or the code a refused file
gets. The names and schools are made up.
"""
from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
FESTIVAL = "2025-11-01"
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
BOLD = Font(bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)

# (family and middle, given, date of birth as the cell holds it, age band on FESTIVAL)
PUPILS = [
    ("Nguyễn Thị", "Anh", datetime(2012, 3, 15), "7-15"),
    ("Nguyễn Thị", "Ánh", "02/11/2009", "7-15"),      # 16 tomorrow: still 15 (read as 11 Feb it would be 16)
    ("Nguyễn Văn", "An", "01/11/2009", "16-17"),      # 16 on the day
    ("Nguyễn Văn", "Ân", datetime(2011, 9, 5), "7-15"),
    ("Đoàn Minh", "Quân", "05/09/2007", "18+"),
    ("Doãn Minh", "Quân", date(2018, 11, 2), "u7"),   # 7 tomorrow: 6
    ("Trần Ngọc Bảo", "Châu", "2012", "7-15"),        # a year only
    ("Lê", "Na", "2012-06-30", "7-15"),               # no middle name; ISO text
    ("Phạm Hoàng", "Long", datetime(2007, 11, 1), "18+"),
    ("Hồ Thị Thu", "Thảo", " 12/12/2011 ", "7-15"),
]
FOOTER = ["Tổng số: {n} học sinh", "Hà Nội, ngày 5 tháng 9 năm 2025", "Giáo viên chủ nhiệm",
          "(Ký và ghi rõ họ tên)", "Trần Thị Hoa"]


def full(p) -> str:
    return f"{p[0]} {p[1]}"


def split3(p) -> tuple[str, str, str]:
    """(Họ, Tên đệm, Tên) of a pupil."""
    words = p[0].split(" ")
    return words[0], " ".join(words[1:]), p[1]


def dob_cell(cell, value) -> None:
    cell.value = value
    if isinstance(value, (date, datetime)):
        cell.number_format = "DD/MM/YYYY"


def motto(sheet, left: list[str], right_col: str = "E") -> int:
    """The department and school lines on the left, the motto on the right; returns the next row."""
    for i, text in enumerate(left[:2], 1):
        sheet[f"A{i}"] = text
        sheet.merge_cells(f"A{i}:C{i}")
    for i, text in enumerate(MOTTO, 1):
        sheet[f"{right_col}{i}"] = text
        sheet[f"{right_col}{i}"].font = BOLD
    return 4


def title(sheet, row: int, text: str, last: str = "G") -> None:
    sheet[f"A{row}"] = text
    sheet[f"A{row}"].font = Font(bold=True, size=14)
    sheet[f"A{row}"].alignment = CENTER
    sheet.merge_cells(f"A{row}:{last}{row}")


def footer(sheet, row: int, pupils: int, column: str = "B", signer_col: str = "E") -> int:
    """Totals, place and date, signature block, teacher's name; returns how many rows it adds."""
    sheet[f"{column}{row + 1}"] = FOOTER[0].format(n=pupils)
    for i, text in enumerate(FOOTER[1:], 3):
        sheet[f"{signer_col}{row + i}"] = text
    sheet[f"{signer_col}{row + 8}"] = FOOTER[-1]  # the name, below the space for the signature
    sheet[f"{signer_col}{row + 6}"] = None
    return 5


def two_row_header(sheet, row: int, parts: list[str], after: list[str]) -> int:
    """STT (merged down) | "Họ và tên" merged over ``parts`` | ``after`` (each merged down)."""
    sheet.cell(row, 1, "STT")
    sheet.merge_cells(start_row=row, start_column=1, end_row=row + 1, end_column=1)
    sheet.cell(row, 2, "Họ và tên")
    sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=1 + len(parts))
    for i, part in enumerate(parts):
        sheet.cell(row + 1, 2 + i, part)
    for i, text in enumerate(after):
        column = 2 + len(parts) + i
        sheet.cell(row, column, text)
        sheet.merge_cells(start_row=row, start_column=column, end_row=row + 1, end_column=column)
    for r in (row, row + 1):
        for c in range(1, 2 + len(parts) + len(after)):
            sheet.cell(r, c).font = BOLD
            sheet.cell(r, c).alignment = CENTER
    return row + 2


SAVED: list[str] = []


def new_book(title: str = "Sheet"):
    """(workbook, its one sheet named ``title``)."""
    book = Workbook()
    book.active.title = title
    return book, book.active


def save(book, name: str) -> None:
    book.save(HERE / name)
    SAVED.append(name)


def expect(sheets: dict, ignored: int, options: dict | None = None) -> dict:
    return {"sheets": sheets, "ignored": ignored, "options": options or {}}


def pupils_of(pupils, class_name, school) -> dict:
    return {"class": class_name, "school": school, "pupils": [[full(p), p[3]] for p in pupils]}


def hodem_ten() -> dict:
    """The issue's list: title with class and school, "Họ và tên" over "Họ đệm" | "Tên", footer."""
    book, sheet = new_book("Sheet1")
    title(sheet, 1, "DANH SÁCH HỌC SINH LỚP 8A3 – TRƯỜNG THCS NGÔ SĨ LIÊN – NĂM HỌC 2025-2026")
    row = two_row_header(sheet, 3, ["Họ đệm", "Tên"], ["Ngày sinh", "Giới tính"])
    for n, p in enumerate(PUPILS, 1):
        sheet.cell(row, 1, n)
        sheet.cell(row, 2, p[0])
        sheet.cell(row, 3, p[1])
        dob_cell(sheet.cell(row, 4), p[2])
        sheet.cell(row, 5, "Nữ" if "Thị" in p[0] else "Nam")
        row += 1
    footer(sheet, row, len(PUPILS))
    save(book, "01_hodem_ten.xlsx")
    return expect({"Sheet1": pupils_of(PUPILS, "8A3", "THCS Ngô Sĩ Liên")}, 5)


def ho_tendem_ten() -> dict:
    """Motto block, department and school lines, "Lớp: 6A1", "Họ" | "Tên đệm" | "Tên", "Ngày, tháng, năm sinh"."""
    book, sheet = new_book("DS")
    row = motto(sheet, ["PHÒNG GD&ĐT QUẬN CẦU GIẤY", "TRƯỜNG THCS NGHĨA TÂN"])
    title(sheet, row, "DANH SÁCH HỌC SINH")
    sheet[f"A{row + 1}"] = "Lớp: 6A1"
    row = two_row_header(sheet, row + 3, ["Họ", "Tên đệm", "Tên"], ["Ngày, tháng, năm sinh", "Ghi chú"])
    for n, p in enumerate(PUPILS, 1):
        sheet.cell(row, 1, n)
        for i, part in enumerate(split3(p)):
            sheet.cell(row, 2 + i, part or None)
        dob_cell(sheet.cell(row, 5), p[2])
        row += 1
    sheet.cell(row + 1, 2, "Danh sách này có 10 học sinh.")
    sheet.cell(row + 2, 5, "Cầu Giấy, ngày 10 tháng 9 năm 2025")
    sheet.cell(row + 3, 5, "HIỆU TRƯỞNG")
    sheet.cell(row + 4, 5, "(Ký tên, đóng dấu)")
    sheet.cell(row + 7, 5, "Lê Văn Bình")
    save(book, "02_ho_tendem_ten.xlsx")
    return expect({"DS": pupils_of(PUPILS, "6A1", "THCS Nghĩa Tân")}, 5)


def sheet_per_class() -> dict:
    """One sheet per class named after it, a summary sheet with no header, a class sheet with no pupils."""
    book = Workbook()
    book.remove(book.active)
    result = {}
    for name, pupils in (("6A1", PUPILS[:4]), ("6A2", PUPILS[4:7]), ("6A3", PUPILS[7:])):
        sheet = book.create_sheet(name)
        sheet["A1"] = "TRƯỜNG THCS GIẢNG VÕ"
        title(sheet, 2, "DANH SÁCH HỌC SINH NĂM HỌC 2025 - 2026", "E")
        sheet.append([])
        sheet.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính"])
        for n, p in enumerate(pupils, 1):
            sheet.append([n, full(p), p[2], "Nữ" if "Thị" in p[0] else "Nam"])
        sheet.append([])
        sheet.append(["", f"Tổng số: {len(pupils)}"])
        result[name] = pupils_of(pupils, name, "THCS Giảng Võ")
    empty = book.create_sheet("6A4")
    empty.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính"])
    notes = book.create_sheet("Tổng hợp")
    notes.append(["Khối 6: 3 lớp, 10 học sinh"])
    book.create_sheet("Sheet3")
    save(book, "03_sheet_per_class.xlsx")
    return expect(result, 3) | {"skipped": {"6A4": "no pupils", "Tổng hợp": "no header", "Sheet3": "empty"}}


def nu_ticked() -> dict:
    """A "Nữ" column ticked with x, "LỚP 9A1" in a title of its own, a school with "&"."""
    book, sheet = new_book("9A1")
    motto(sheet, ["SỞ GD&ĐT HÀ NỘI", "TRƯỜNG THCS & THPT LƯƠNG THẾ VINH"], "D")
    title(sheet, 4, "DANH SÁCH HỌC SINH", "F")
    title(sheet, 5, "LỚP 9A1", "F")
    sheet.append(["TT", "Họ và tên học sinh", "Nữ", "Ngày sinh", "Dân tộc"])
    for n, p in enumerate(PUPILS, 1):
        sheet.append([n, full(p), "x" if "Thị" in p[0] else None, p[2], "Kinh"])
    sheet.append([None, "Cộng: 10 học sinh (4 nữ)"])
    save(book, "04_nu_ticked.xlsx")
    return expect({"9A1": pupils_of(PUPILS, "9A1", "THCS & THPT Lương Thế Vinh")}, 1)


def gioi_tinh_nam_nu() -> dict:
    """"Giới tính" merged over "Nam" | "Nữ"; "Họ và tên" merged down both rows."""
    book, sheet = new_book("Lop 7B")
    title(sheet, 1, "TRƯỜNG TH&THCS NGUYỄN TRÃI", "F")
    title(sheet, 2, "DANH SÁCH LỚP 7B", "F")
    header = [("STT", True), ("Họ và tên", True), ("Ngày sinh", True), ("Giới tính", False)]
    for column, (text, down) in enumerate(header, 1):
        sheet.cell(4, column, text)
        if down:
            sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    sheet.merge_cells("D4:E4")
    sheet["D5"], sheet["E5"] = "Nam", "Nữ"
    for n, p in enumerate(PUPILS, 6):
        girl = "Thị" in p[0]
        sheet.append([n - 5, full(p), p[2], None if girl else "x", "x" if girl else None])
    sheet.append([])
    sheet.append([None, "Tổng cộng", None, 7, 3])
    save(book, "05_gioi_tinh_nam_nu.xlsx")
    return expect({"Lop 7B": pupils_of(PUPILS, "7B", "TH&THCS Nguyễn Trãi")}, 1)


def hidden_and_empty_columns() -> dict:
    """A hidden "Mã định danh" column and an empty column inside the table; class in the title."""
    book, sheet = new_book("Danh sách")
    title(sheet, 1, "DANH SÁCH HỌC SINH LỚP 10A2 - TRƯỜNG THPT KIM LIÊN")
    sheet.append([])
    sheet.append(["STT", "Mã định danh", "Họ và tên", None, "Ngày sinh", "Số điện thoại phụ huynh"])
    for n, p in enumerate(PUPILS, 1):
        sheet.append([n, f"00120{n:07d}", full(p), None, p[2], None])
    sheet.column_dimensions["B"].hidden = True
    sheet.column_dimensions["D"].width = 2
    footer(sheet, sheet.max_row, len(PUPILS), "C")
    save(book, "06_hidden_empty_columns.xlsx")
    return expect({"Danh sách": pupils_of(PUPILS, "10A2", "THPT Kim Liên")}, 5)


def escapes() -> dict:
    """Names with ``_xHHHH_`` escapes (as some exporters write them); a line break inside a cell."""
    book, sheet = new_book("Lớp 11A1")
    sheet["A1"] = "TRƯỜNG THPT CHU VĂN AN"
    sheet["A2"] = "Lớp: 11A1"
    sheet.append(["STT", "Họ và tên", "Ngày sinh"])
    names = [("Nguy_x1EC5_n Thị", "Anh"), ("Nguyễn_x000D__x000A_Thị", "Ánh"), ("Nguyễn Văn", "A_x006E_")]
    for n, ((family, given), p) in enumerate(zip(names, PUPILS), 1):
        sheet.append([n, f"{family} {given}", p[2]])
    sheet.append(["", "Ghi chú: danh sách xuất từ phần mềm quản lý_x005F_x0041_"])
    save(book, "07_escapes.xlsx")
    return expect({"Lớp 11A1": pupils_of(PUPILS[:3], "11A1", "THPT Chu Văn An")}, 1)


def dates_every_way() -> dict:
    """Dates of birth as date cells, dd/mm/yyyy, d-m-yyyy, yyyy-mm-dd, a year, an Excel day number."""
    book, sheet = new_book("12A5")
    title(sheet, 1, "DANH SÁCH HỌC SINH LỚP 12A5 – TRƯỜNG THPT PHAN ĐÌNH PHÙNG")
    sheet.append(["STT", "Họ và tên", "Ngày tháng năm sinh"])
    cases = [("Vũ Minh Đức", datetime(2009, 11, 1), "16-17"), ("Vũ Minh Đạt", "2-11-2009", "7-15"),
             ("Vũ Thu Hà", "2007-11-01", "18+"), ("Vũ Thu Hằng", 2009, "7-15"),
             ("Vũ Hải Yến", 40118, "16-17"),  # Excel's day number of 1 Nov 2009
             ("Vũ Hải Nam", "01.11.2007", "18+")]
    for n, (name, born, _band) in enumerate(cases, 1):
        sheet.append([n, name, born])
        if isinstance(born, datetime):
            sheet.cell(sheet.max_row, 3).number_format = "DD/MM/YYYY"
    sheet.append([])
    sheet.append([None, None, "Người lập danh sách"])
    sheet.append([None, None, "Đỗ Thị Lan"])
    save(book, "08_dates_every_way.xlsx")
    pupils = {"class": "12A5", "school": "THPT Phan Đình Phùng", "pupils": [[n, b] for n, _d, b in cases]}
    return expect({"12A5": pupils}, 2)


def columns_for_school_and_class() -> dict:
    """No title: school and class in columns of their own (a list from the education office's software)."""
    book, sheet = new_book("Export")
    sheet.append(["STT", "Họ tên", "Ngày sinh", "Trường", "Lớp"])
    classes = ["8A1", "8A2"]
    for n, p in enumerate(PUPILS, 1):
        sheet.append([n, full(p), p[2], "THCS Cầu Giấy", classes[n % 2]])
    sheet.append([None, "Tổng số học sinh: 10"])
    save(book, "09_school_and_class_columns.xlsx")
    by_class = {}
    for n, p in enumerate(PUPILS, 1):
        by_class.setdefault(classes[n % 2], []).append(p)
    return expect({"Export": {"class": None, "school": "THCS Cầu Giấy",
                              "pupils": [[full(p), p[3]] for p in PUPILS],
                              "classes": {c: [full(p) for p in ps] for c, ps in by_class.items()}}}, 1)


def repeated_header() -> dict:
    """The header repeated where the printed list breaks onto a second page."""
    book, sheet = new_book("Sheet1")
    sheet["A1"] = "PHÒNG GIÁO DỤC VÀ ĐÀO TẠO HUYỆN GIA LÂM"
    sheet["A2"] = "TRƯỜNG THCS ĐA TỐN"
    title(sheet, 3, "DANH SÁCH HỌC SINH LỚP 9C")
    header = ["STT", "Họ và tên", "Ngày sinh", "Giới tính"]
    sheet.append(header)
    for n, p in enumerate(PUPILS, 1):
        if n == 6:
            sheet.append(header)
        sheet.append([n, full(p), p[2], "Nữ" if "Thị" in p[0] else "Nam"])
    footer(sheet, sheet.max_row, len(PUPILS))
    save(book, "10_repeated_header.xlsx")
    return expect({"Sheet1": pupils_of(PUPILS, "9C", "THCS Đa Tốn")}, 6)


def hodem_ten_one_row() -> dict:
    """One header row "Họ đệm" | "Tên"; the school line above a title with the class and school year."""
    book, sheet = new_book("Sheet1")
    motto(sheet, ["SỞ GIÁO DỤC VÀ ĐÀO TẠO HÀ NỘI", "TRƯỜNG THPT VIỆT ĐỨC"])
    title(sheet, 4, "DANH SÁCH LỚP 11A2 NĂM HỌC 2025 - 2026")
    sheet.append([])
    sheet.append(["STT", "Họ đệm", "Tên", "Ngày sinh", "Nữ"])
    for n, p in enumerate(PUPILS, 1):
        sheet.append([n, p[0], p[1], p[2], "x" if "Thị" in p[0] else None])
    footer(sheet, sheet.max_row, len(PUPILS))
    save(book, "11_hodem_ten_one_row.xlsx")
    return expect({"Sheet1": pupils_of(PUPILS, "11A2", "THPT Việt Đức")}, 5)


def no_title() -> dict:
    """Nothing says the class or school: they come from --school and --class."""
    book, sheet = new_book("Sheet1")
    sheet.append(["STT", "Họ và tên", "Ngày sinh"])
    for n, p in enumerate(PUPILS, 1):
        sheet.append([n, full(p), p[2]])
    save(book, "12_no_title.xlsx")
    return expect({"Sheet1": pupils_of(PUPILS, "7A", "THCS Thành Công")}, 0,
                  {"school": "THCS Thành Công", "class_name": "7A"})


def merged_name_no_subheader() -> dict:
    """"Họ và tên" merged over two columns with no second header row: both are the name."""
    book, sheet = new_book("8B")
    sheet["A1"] = "TRƯỜNG THCS TRƯNG VƯƠNG"
    title(sheet, 2, "DANH SÁCH HỌC SINH LỚP 8B", "E")
    sheet.append(["STT", "Họ và tên", None, "Ngày sinh", "Ghi chú"])
    sheet.merge_cells("B3:C3")
    for n, p in enumerate(PUPILS, 1):
        sheet.append([n, p[0], p[1], p[2], None])
    sheet.append([])
    sheet.append([None, "Tổng số: 10"])
    save(book, "13_merged_name_no_subheader.xlsx")
    return expect({"8B": pupils_of(PUPILS, "8B", "THCS Trưng Vương")}, 1)


def refused_given_missing() -> dict:
    """"Họ và tên" over "Họ đệm" and an unlabelled column: only part of the name can be found."""
    book, sheet = new_book()
    title(sheet, 1, "DANH SÁCH HỌC SINH LỚP 8A3")
    two_row_header(sheet, 3, ["Họ đệm", ""], ["Ngày sinh"])
    for n, p in enumerate(PUPILS, 5):
        sheet.append([n - 4, p[0], p[1], p[2]])
    save(book, "refused_given_missing.xlsx")
    return {"refused": "split_name", "columns": ["B"]}


def refused_family_only() -> dict:
    """A family-name column and no given name at all."""
    book, sheet = new_book()
    sheet.append(["STT", "Họ đệm", "Ngày sinh"])
    for n, p in enumerate(PUPILS, 1):
        sheet.append([n, p[0], p[2]])
    save(book, "refused_family_only.xlsx")
    return {"refused": "split_name", "columns": ["B"]}


MAKERS = [hodem_ten, ho_tendem_ten, sheet_per_class, nu_ticked, gioi_tinh_nam_nu, hidden_and_empty_columns,
          escapes, dates_every_way, columns_for_school_and_class, repeated_header, hodem_ten_one_row, no_title,
          merged_name_no_subheader, refused_given_missing, refused_family_only]


def main() -> None:
    expected = {}
    for make in MAKERS:
        result = make()
        expected[SAVED[-1]] = result
    (HERE / "expected.json").write_text(json.dumps({"festival_day": FESTIVAL, "files": expected},
                                                   ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
