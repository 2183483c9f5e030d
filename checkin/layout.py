"""Class-list layouts as Vietnamese schools make them, worked out from a sheet's
cells alone (checkin/classlist.py reads them; checkin/import_rows.py uses this).

- The header: one row, or two where the second names the parts of a group
  above it ("Họ và tên" over "Họ đệm" | "Tên", or "Họ" | "Tên đệm" | "Tên";
  "STT" and "Ngày sinh" merged down both rows). :func:`read_layout`.
- The name: every column that holds part of it, joined in order. A header
  that covers more columns than it labels, or a family name without a given
  name, is refused with the columns named, never read short.
- Class and school from the title rows ("DANH SÁCH HỌC SINH LỚP 8A3 –
  TRƯỜNG THCS …", "Lớp: 6A1") or the sheet's name ("8A3"). :func:`title_facts`.
- Rows that are not pupils (totals, place and date, signatures, the teacher's
  name, a header repeated): :func:`not_a_pupil` gives the reason.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.errors import ServiceError
from kiosk.text import clean, fold

from .classlist import MAX_TITLE_ROWS, Sheet, cell_text, find_header

NAME_PARTS = ("family_name", "middle_name", "full_name")  # in the order they are joined
# Header keys that name a part of a split name, not the whole of it.
PART_KEYS = {"ho", "ho dem", "ho va dem", "ho va ten dem", "ten dem", "ten", "family name", "surname",
             "last name", "middle name", "given name", "first name"}
# Sub-headers that are not fields but still make a second header row ("Giới tính" over "Nam" | "Nữ").
SUB_KEYS = {"nam", "nu", "ngay", "thang", "nam sinh", "ghi chu", "dan toc", "noi sinh", "ma hs", "ma hoc sinh",
            "gioi tinh"}
# Sample of data rows looked at to decide whether an unlabelled column holds part of the name.
SAMPLE = 50


def header_key(text: str) -> str:
    """A header compared folded, without punctuation ("Ngày, tháng, năm sinh" → "ngay thang nam sinh")."""
    return re.sub(r"[\s_\-.:(),/]+", " ", fold(text)).strip()


def column_letter(index: int) -> str:
    """0 → A, 27 → AB: a column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Layout:
    """Where a sheet's pupils are: header rows, columns, name parts, and what the title says."""

    header_rows: list[int]
    header: list[str]  # each column's header as the file names it ("Họ và tên / Tên")
    columns: dict  # field -> column index
    name_columns: list[int]  # joined in this order for the full name
    first_data: int  # index in sheet.rows of the first row below the header
    class_name: str = ""
    school: str = ""
    class_from: str = ""  # "title" or "sheet"


def read_layout(sheet: Sheet, resolve, known_keys: set[str]) -> Layout:
    """The layout of ``sheet``: ``resolve(header cells)`` gives field -> column
    (raising ServiceError when a row is no header); ``known_keys`` are the
    header keys of every field. Raises ServiceError for no header, and
    ``split_name`` when only part of a split name can be found.
    """
    rows = sheet.rows
    hidden = set(sheet.hidden)
    if hidden:
        # A hidden column's header is not looked at: an old copy of the names, an ID.
        resolve = _skipping(resolve, hidden)
    try:
        index, header, columns = find_header(rows, resolve)
    except ServiceError as exc:
        refuse_parts_alone(rows, exc)
        raise
    top = bottom = index
    if index + 1 < len(rows) and rows[index + 1][0] == rows[index][0] + 1 \
            and _is_subheader(rows[index + 1][1], known_keys):
        bottom = index + 1
    elif index > 0 and rows[index - 1][0] == rows[index][0] - 1 and _fills_gaps(rows[index - 1][1], header,
                                                                                 known_keys):
        top = index - 1
    if top != bottom:
        header, shown = _compose(rows[top], rows[bottom][1], sheet.merged)
        try:
            columns = resolve(header)
        except ServiceError as exc:
            refuse_parts_alone([(0, header)], exc, shown)
            raise
    else:
        shown = list(header)
    data = [cells for _n, cells in rows[bottom + 1:bottom + 1 + SAMPLE]]
    names = name_columns(columns, header, shown, data, hidden)
    layout = Layout([rows[i][0] for i in range(top, bottom + 1)], shown, columns, names, bottom + 1)
    facts = title_facts([cells for _n, cells in rows[:top]], sheet.name)
    layout.class_name, layout.school, layout.class_from = facts
    return layout


def _skipping(resolve, hidden: set):
    return lambda cells: resolve(["" if i in hidden else c for i, c in enumerate(cells)])


def refuse_parts_alone(rows, exc: ServiceError, shown=None) -> None:
    """Raise ``split_name`` for ``exc`` (no name column) when one of ``rows``
    (row number, cells) has a family or middle name column but no given name."""
    if exc.code != "missing_column":
        return
    for _number, cells in rows[:MAX_TITLE_ROWS]:
        texts = _texts(cells)
        parts = [i for i, t in enumerate(texts) if header_key(t) in PART_KEYS - {"ten"}]
        if parts:
            raise _split_refused(shown or texts, parts, "given")


def _texts(cells) -> list[str]:
    return [cell_text(c) for c in cells]


def _is_subheader(cells, known_keys: set[str]) -> bool:
    """A second header row: only text, every text a known header or part name."""
    texts = [t for t in _texts(cells) if t]
    if not texts or any(not isinstance(c, str) for c in cells if cell_text(c)):
        return False
    keys = [header_key(t) for t in texts]
    return all(k in known_keys or k in PART_KEYS or k in SUB_KEYS for k in keys) and \
        any(k in PART_KEYS or k in SUB_KEYS for k in keys)


def _fills_gaps(cells, header: list[str], known_keys: set[str]) -> bool:
    """A row above the header that labels what the header leaves empty (a group
    row above split name parts, with "STT" and "Ngày sinh" merged down)."""
    texts = _texts(cells)
    if not any(header_key(h) in PART_KEYS for h in header):
        return False
    filled = [i for i, t in enumerate(texts) if t]
    return bool(filled) and all(header_key(texts[i]) in known_keys | PART_KEYS | SUB_KEYS or
                                (i < len(header) and not header[i]) or
                                # a group label ("Học sinh") over the name's parts
                                (i < len(header) and header_key(header[i]) in PART_KEYS and
                                 len(header_key(texts[i]).split()) <= 4) for i in filled)


def _compose(top_row, child: list, merged) -> tuple[list[str], list[str]]:
    """(headers to resolve, headers to show) of a two-row header. A group (a
    parent over several columns: merged, or followed by columns whose parent
    cell is empty and whose child is not) gives each column its child's text;
    a parent over one column gives its own text when it has no child."""
    number, parent = top_row
    parent, child = _texts(parent), _texts(child)
    width = max(len(parent), len(child))
    parent += [""] * (width - len(parent))
    child += [""] * (width - len(child))
    spans = {}
    for first_row, first_col, last_row, last_col in merged or ():
        if first_row == number and last_col > first_col:
            spans[first_col - 1] = last_col - 1
    owner = [-1] * width
    for i in range(width):
        if parent[i]:
            owner[i] = i
        elif i and owner[i - 1] >= 0 and (child[i] or spans.get(owner[i - 1], -1) >= i):
            owner[i] = owner[i - 1]
    resolved, shown = [], []
    for i in range(width):
        group = owner[i] >= 0 and owner.count(owner[i]) > 1
        text = child[i] if group or child[i] else parent[i]
        resolved.append(text)
        above = parent[owner[i]] if owner[i] >= 0 else ""
        shown.append(f"{above} / {child[i]}" if above and child[i] and above != child[i] else text or above)
    return resolved, shown


def _split_refused(shown: list[str], found: list[int], missing: str, column: int | None = None) -> ServiceError:
    """``split_name``: the columns found, and what is missing ("given", "family" or an unlabelled column)."""
    named = ", ".join(f"{column_letter(i)} '{shown[i]}'" for i in found) or "—"
    if missing == "given":
        return ServiceError("split_name", "Only part of the name can be found: %(found)s, but no given name column ('Tên'). Label every part (Họ đệm | Tên, or Họ | Tên đệm | Tên), or join them into one 'Họ và tên' column.", found=named)  # noqa: E501 (one literal: the catalog test reads it)
    if missing == "family":
        return ServiceError("split_name", "Only part of the name can be found: %(found)s, but no family name column ('Họ'). Label every part (Họ đệm | Tên, or Họ | Tên đệm | Tên), or join them into one 'Họ và tên' column.", found=named)  # noqa: E501
    return ServiceError("split_name", "Only part of the name can be found: %(found)s; column %(column)s holds names but has no header. Label every part (Họ đệm | Tên, or Họ | Tên đệm | Tên), or join them into one 'Họ và tên' column.", found=named, column=column_letter(column))  # noqa: E501


def name_columns(columns: dict, header: list[str], shown: list[str], data: list, hidden: set) -> list[int]:
    """The columns of the full name, in order. Raises ServiceError ``split_name``."""
    given = columns.get("full_name")
    parts = [columns[n] for n in NAME_PARTS if n in columns]
    if given is not None and header_key(header[given]) not in PART_KEYS:
        # One column for the whole name, and the unlabelled text columns right of
        # it (a "Họ và tên" merged over "Họ đệm" | "Tên" with no second row).
        names = [given]
        for i in range(given + 1, given + 3):
            if i in hidden or (i < len(header) and header[i]) or not _holds_text(data, i, given):
                break
            names.append(i)
        return names
    if given is None:
        raise _split_refused(shown, parts, "given")
    if "middle_name" in columns and "family_name" not in columns:
        raise _split_refused(shown, parts, "family")
    for i in range(min(parts), max(parts) + 1):
        if i not in parts and i not in hidden and not header[i] and _holds_text(data, i, given):
            raise _split_refused(shown, parts, "unlabelled", i)
    if "family_name" not in columns and given > 0 and not header[given - 1] and \
            (given - 1) not in hidden and _holds_text(data, given - 1, given):
        raise _split_refused(shown, parts, "unlabelled", given - 1)
    return parts


def _holds_text(data: list, column: int, name: int) -> bool:
    """Whether ``column`` holds words (not numbers or dates) in most rows that have a name."""
    named = [cells for cells in data if name < len(cells) and cell_text(cells[name])]
    texts = [cells[column] for cells in named if column < len(cells) and isinstance(cells[column], str)
             and re.search(r"[^\W\d_]", cells[column])]
    return bool(named) and len(texts) * 2 >= len(named)


# --- class and school from the title ------------------------------------------

_CLASS = re.compile(r"\blop\s*:?\s*(\d{1,2}[a-z]{0,2}\d{0,2}(?:[./-]\d{1,2})?)(?![a-z0-9])")
_SHEET_CLASS = re.compile(r"^(?:lop\s*)?(\d{1,2}[a-z]{1,2}\d{0,2}(?:[./-]\d{1,2})?)$")
_SCHOOL = re.compile(r"(?<!hieu )\btruong\s*:?\s+(\S.*)")
_SCHOOL_END = re.compile(r"\s+[-\u2013\u2014]\s+|\s*[,;(]|\s+nam hoc\b|\s+lop\b|\s+danh sach\b")
# Words kept in capitals when a title in capitals is written as a name.
ACRONYMS = {"THCS", "THPT", "TH", "PTCS", "PTTH", "PTDTNT", "PTDTBT", "DTNT", "GDTX", "TT", "MN", "PT", "TP", "II",
            "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII"}


def _folded_chars(text: str) -> str:
    """``fold`` character by character, so positions match the original text."""
    return "".join((fold(ch) or " ")[0] for ch in text)


def tidy_name(text: str) -> str:
    """A school name from a title in capitals, as it is written: "THCS NGÔ SĨ LIÊN" → "THCS Ngô Sĩ Liên"."""
    text = clean(text).strip(" -–—:.,")
    if text != text.upper():
        return text
    return " ".join(w if w in ACRONYMS or any(c.isdigit() or c in "&." for c in w) else w.capitalize()
                    for w in text.split(" "))


def title_facts(title_rows: list, sheet_name: str = "") -> tuple[str, str, str]:
    """(class, school, where the class came from: "title", "sheet" or "") from
    the rows above a header and the sheet's name."""
    class_name = school = source = ""
    for cells in title_rows:
        for text in _texts(cells):
            text = clean(text)
            folded = _folded_chars(text)
            if not class_name and (m := _CLASS.search(folded)):
                class_name, source = text[m.start(1):m.end(1)].upper(), "title"
            if not school and (m := _SCHOOL.search(folded)):
                end = _SCHOOL_END.search(folded, m.start(1))
                school = tidy_name(text[m.start(1):end.start() if end else len(text)])
    if not class_name and (m := _SHEET_CLASS.match(_folded_chars(clean(sheet_name)).strip())):
        class_name, source = clean(sheet_name)[m.start(1):m.end(1)].upper(), "sheet"
    return class_name, school, source


# --- rows that are not pupils --------------------------------------------------------

_FOOTERS = [
    (re.compile(r"^(tong so|tong cong|si so|danh sach (nay )?(gom|co))\b|^(tong|cong)\b(?=\s*(\d|$))"),
     "A total line."),
    (re.compile(r"\bngay\b.{0,6}\bthang\b.{0,6}\bnam\b"), "The place and date of signing."),
    (re.compile(r"\bky\b.{0,4}\b(va )?ghi ro\b|^\(?ky ten\)?$|\bky,? dong dau\b"), "A signature line."),
    (re.compile(r"\b(giao vien chu nhiem|gvcn|hieu truong|nguoi lap( bieu| danh sach)?|xac nhan|"
                r"ban giam hieu|to truong|thu truong|giam doc)\b"), "A signature block."),
    (re.compile(r"^(ghi chu|chu y|luu y)\b"), "A note below the list."),
]
AFTER_FOOTER = "Below the list's footer (signatures, notes): not a pupil."


def footer_reason(cells) -> str | None:
    """Why a row is a footer (totals, place and date, signatures), or None."""
    for text in _texts(cells):
        key = re.sub(r"[\s:.…]+", " ", fold(text)).strip()
        for pattern, reason in _FOOTERS:
            if key and pattern.search(key):
                return reason
    return None


def not_a_pupil(layout: Layout, cells, known_keys: set[str], below_footer: bool) -> tuple[str | None, bool]:
    """(reason the row is not a pupil or None, whether it starts or is below the footer).

    A row numbered in the "STT" column with a name is always a pupil.
    """
    names = [cell_text(cells[i]) for i in layout.name_columns if i < len(cells)]
    number = layout.columns.get("number")
    numbered = number is not None and number < len(cells) and not isinstance(cells[number], bool) and \
        re.fullmatch(r"\d{1,6}(\.0+)?", cell_text(cells[number])) is not None
    if numbered and any(names):
        return None, below_footer
    if below_footer:
        return AFTER_FOOTER, True
    reason = footer_reason(cells)
    if reason:
        return reason, True
    if any(names) and all(header_key(t) in known_keys | PART_KEYS for t in names if t):
        return "A header row (repeated).", below_footer
    if not any(names) and not numbered and number is not None:
        return "No name and no number (STT): not a pupil.", below_footer
    return None, below_footer
