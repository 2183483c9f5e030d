"""The exports registry: every feature's "take it home" tables, one place.

Features register their exports from their ``init_app``::

    register_export("zone-visits", "Lượt ghé khu", "Zone visits", builder)

where ``builder(db)`` yields the header row first, then the data rows. The
core writes them as CSV (UTF-8 with a BOM so Excel on Windows shows
Vietnamese; every cell formula-safe, ``kiosk.csvsafe``; the header keeps the
machine names, e.g. ``checked_in_at``, and times stay UTC ISO text) or as an
Excel workbook for people (.xlsx: the header in the organiser's language
from ``labels``, times as Excel dates in the festival's time zone (setting
``TIMEZONE``), columns sized to their contents, the header row frozen and
filtered; every text cell stored as text, never as a formula), audits
who exported what (action ``<name>.export``), and offers them on
``festival export <name>`` and the admin page ``/admin/exports``. The core
imports no feature: it only knows the names it was given.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app, has_app_context, render_template

from .audit import audit
from .auth import current_principal, role_required
from .csvsafe import write_csv
from .db import get_db, transaction
from .errors import NotFound, ServiceError
from .i18n import current_language
from .realtime import socketio
from .views import add_admin_link

BOM = "\ufeff"
FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NAME = re.compile(r"^[a-z][a-z0-9-]{1,40}$")
# Characters XML 1.0 (and so .xlsx) cannot hold.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Text that reads as an OOXML escape ("_x000D_" is a line break to Excel): its
# underscore is escaped ("_x005F_"), so Excel shows what was typed.
_OOXML_LOOKALIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")

Builder = Callable[[object], Iterable[Iterable]]


@dataclass(frozen=True)
class Export:
    name: str
    title_vi: str
    title_en: str
    builder: Builder
    labels: dict = field(default_factory=dict)  # machine column name -> (Vietnamese, English)


# Column labels every export may use; an export's own ``labels`` add to them.
LABELS = {
    "attendee_id": ("Mã người tham dự", "Attendee ID"), "full_name": ("Họ và tên", "Full name"),
    "nickname": ("Biệt danh", "Nickname"), "points": ("Điểm", "Points"), "reason": ("Lý do", "Reason"),
    "source": ("Nguồn", "Source"), "reference": ("Tham chiếu", "Reference"), "topic": ("Chủ đề", "Topic"),
    "kind": ("Loại", "Kind"), "correct": ("Đúng", "Correct"), "choice": ("Lựa chọn", "Choice"),
    "question_id": ("Mã câu hỏi", "Question ID"), "question_no": ("Câu số", "Question no."),
    "game_id": ("Mã trò chơi", "Game ID"), "player_no": ("Số người chơi", "Player no."),
    "ledger_id": ("Mã dòng điểm", "Ledger ID"), "at_utc": ("Thời điểm", "Time"),
}
# Machine names of columns holding a moment (UTC ISO text): Excel dates in the festival's time zone.
_TIME_COLUMN = re.compile(r"(^|_)(at|utc)$")
TIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
MIN_WIDTH, MAX_WIDTH = 6, 60


_REGISTRY: dict[str, Export] = {}


def register_export(name: str, title_vi: str, title_en: str, builder: Builder, labels: dict | None = None) -> None:
    """Offer ``builder(db)`` (yields a header row of machine names, then rows) as
    export ``name``; ``labels`` maps a machine name to its (Vietnamese, English)
    header for people (the Excel file). Registering a name again replaces it
    (each app built registers anew)."""
    assert NAME.match(name), name
    _REGISTRY[name] = Export(name, title_vi, title_en, builder, dict(labels or {}))


def header_labels(export: Export, header: list, lang: str) -> list[str]:
    """The header for people: each machine name's label in ``lang`` ("vi" or "en"),
    else the name itself with spaces."""
    pick = 0 if lang == "vi" else 1
    known = {**LABELS, **export.labels}
    return [known[h][pick] if h in known else str(h).replace("_", " ") for h in header]


def festival_zone(name: str | None) -> ZoneInfo | timezone:
    """The festival's time zone (setting ``TIMEZONE``); UTC when the name is unknown."""
    try:
        return ZoneInfo(name or "Asia/Ho_Chi_Minh")
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def local_time(value, zone) -> datetime | object:
    """A stored moment (UTC ISO text) as a naive datetime in ``zone`` (Excel has no
    time zones); anything else unchanged."""
    if not isinstance(value, str) or len(value) < 16 or not value[:4].isdigit():
        return value
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone).replace(tzinfo=None)


def all_exports() -> list[Export]:
    """Every registered export, sorted by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]


def get_export(name) -> Export:
    """The export called ``name``. Raises NotFound ``unknown_export`` (404)."""
    export = _REGISTRY.get(name) if isinstance(name, str) else None
    if export is None:
        raise NotFound("unknown_export", "There is no export called %(name)s.", name=str(name)[:40])
    return export


# Building a big export is CPU work in the hub's one worker: every this many
# rows the builder and the writers let the other greenlets (scans, sockets) run.
YIELD_EVERY = 500


def _pause(count: int) -> None:
    if count % YIELD_EVERY == 0 and socketio.server is not None:  # no server: plain Python, nothing to yield to
        socketio.sleep(0)


def table(db, name: str) -> tuple[list, list[list]]:
    """(header, rows) of export ``name``, materialised."""
    produced = iter(get_export(name).builder(db))
    header = list(next(produced, []))
    rows = []
    for row in produced:
        rows.append(list(row))
        _pause(len(rows))
    return header, rows


def csv_bytes(header, rows) -> bytes:
    """UTF-8 CSV with a BOM, formula-safe."""
    out = io.StringIO()
    write_csv(out, header, rows, bom=True)
    return out.getvalue().encode("utf-8")


def _xlsx_cell(sheet, value):
    # Imported here: openpyxl is only needed when someone asks for Excel.
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=_OOXML_LOOKALIKE.sub(r"_x005F_\1", _ILLEGAL_XML.sub("", value)))
        cell.data_type = "s"  # text that starts with "=" stays text, never a formula
        return cell
    return WriteOnlyCell(sheet, value=value)


def xlsx_bytes(header, rows, title: str = "export", labels: list | None = None, zone=timezone.utc) -> bytes:
    """An Excel workbook with one sheet: the header row (``labels``, else the
    machine names), then the rows. Columns whose machine name ends in ``_at``
    or ``utc`` hold moments: written as Excel dates in ``zone``. Every string
    is stored as a string (data type 's'); the header row is frozen and has
    an autofilter; each column is as wide as its longest cell (within limits)."""
    # Imported here: loading openpyxl costs a few hundred ms at start-up.
    from openpyxl import Workbook
    from openpyxl.styles import Font  # (same reason)
    from openpyxl.utils import get_column_letter  # (same reason)

    times = {i for i, name in enumerate(header) if _TIME_COLUMN.search(str(name))}
    shown = list(labels or header)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "-", title)[:31] or "export")
    widths = [len(str(h)) for h in shown]
    for row in rows[:1000]:  # the widths from the first rows: enough to size a column
        for i, value in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], 19 if i in times and value else len("" if value is None else str(value)))
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    if shown:
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(shown))}{len(rows) + 1}"
    bold = Font(bold=True)
    head = [_xlsx_cell(sheet, value) for value in shown]
    for cell in head:
        cell.font = bold
    sheet.append(head)
    for count, row in enumerate(rows, 1):
        sheet.append([_xlsx_time(sheet, value, zone) if i in times else _xlsx_cell(sheet, value)
                      for i, value in enumerate(row)])
        _pause(count)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_time(sheet, value, zone):
    # Imported here: openpyxl is only needed when someone asks for Excel.
    from openpyxl.cell import WriteOnlyCell

    moment = local_time(value, zone)
    if not isinstance(moment, datetime):
        return _xlsx_cell(sheet, value)
    cell = WriteOnlyCell(sheet, value=moment)
    cell.number_format = TIME_FORMAT
    return cell


def run_export(db, name, fmt, by: str, lang: str = "vi", zone=None) -> tuple[bytes, str, str]:
    """Build export ``name`` as ``fmt`` ("csv" or "xlsx") for actor ``by``,
    audit it, and return (content, mimetype, suggested file name). An Excel
    file has its header in ``lang`` and its times in ``zone`` (default: the
    app's ``TIMEZONE``). Raises NotFound ``unknown_export``; ServiceError
    ``bad_format`` (400)."""
    if fmt not in FORMATS:
        raise ServiceError("bad_format", "Choose CSV or Excel (xlsx).")
    export = get_export(name)
    header, rows = table(db, export.name)
    if fmt == "csv":
        data = csv_bytes(header, rows)
    else:
        zone = zone or festival_zone(current_app.config.get("TIMEZONE") if has_app_context() else None)
        data = xlsx_bytes(header, rows, export.name, header_labels(export, header, lang), zone)
    with transaction(db):
        audit(db, by, f"{export.name}.export", None, f"format={fmt} rows={len(rows)}")
    return data, MIMETYPES[fmt], f"{export.name}.{fmt}"


# --- the admin page and downloads ---------------------------------------------

bp = Blueprint("exports", __name__)


@bp.route("/admin/exports")
@role_required("admin")
def exports_page():
    """Every export with its CSV and Excel download links."""
    return render_template("admin/exports.html", exports=all_exports())


@bp.route("/admin/exports/<name>.<fmt>")
@role_required("admin")
def download(name: str, fmt: str):
    """One export as a file download; audit-logged."""
    data, mimetype, filename = run_export(get_db(), name, fmt, current_principal().actor, current_language())
    stamp = datetime.now().strftime("%Y%m%d-%H%M")
    filename = filename.replace(".", f"-{stamp}.", 1)
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename={filename}",
                             "Cache-Control": "no-store"})


def ledger_rows(db):
    """``points-ledger``: every award in the core points ledger, oldest first."""
    yield ["ledger_id", "at_utc", "attendee_id", "nickname", "points", "source", "reference", "reason"]
    rows = db.execute("SELECT l.*, a.nickname FROM ledger l LEFT JOIN attendees a ON a.id = l.attendee_id "
                      "ORDER BY l.at, l.id")
    for r in rows:
        yield [r["id"], r["at"], r["attendee_id"], r["nickname"] or "", r["points"], r["source"],
               r["reference"], r["reason"] or ""]


def init_app(app) -> None:
    """The admin page and its link, and the core's own export (the points
    ledger); features register theirs from their ``init_app``."""
    register_export("points-ledger", "Sổ điểm", "Points ledger", ledger_rows)  # its columns are all in LABELS
    app.register_blueprint(bp)
    add_admin_link(app, "exports.exports_page", "Exports")
