"""``festival import-attendees`` and ``festival demo`` (``festival export attendees`` is the
core's ``export`` command; checkin.export registers the attendees export)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.i18n import translate
from kiosk.outputs import check_output, write_output
from kiosk.ops import serving  # called as serving.x: tests stand in for exec_gunicorn

from .attendees import AGE_BANDS
from .demo import build_demo
from .classlist import is_xlsx, problems_csv
from .importer import import_csv, parse_mapping

MAX_LISTED = 200


def _both(err: ServiceError) -> str:
    return f"{translate(err.message, 'vi', **err.params)} / {translate(err.message, 'en', **err.params)}"


FROM = {"title": "tiêu đề / title", "sheet": "tên trang / sheet name", "option": "tuỳ chọn / option",
        "": "cột Lớp, Trường / the columns"}
SKIPPED = {"no header": "không có dòng tiêu đề / no header", "empty": "trống / empty",
           "no pupils": "không có học sinh / no pupils"}


def sheet_lines(report) -> list[str]:
    """What each sheet gave, in both languages: its class and school and where they come from, or why it was skipped."""
    lines = []
    for sheet in report.sheets:
        name = f"Trang / Sheet '{sheet.name}'" if sheet.name else "Tệp / File"
        if sheet.skipped:
            lines.append(f"{name}: bỏ qua / skipped ({SKIPPED[sheet.skipped]})")
            continue
        rows = "–".join(str(r) for r in sheet.header_rows[::max(len(sheet.header_rows) - 1, 1)])
        lines.append(f"{name}: tiêu đề dòng / header row {rows}; "
                     f"lớp / class {sheet.class_name or '—'} ({FROM[sheet.class_from]}); "
                     f"trường / school {sheet.school or '—'} ({FROM[sheet.school_from]}); "
                     f"{sheet.pupils} học sinh / pupils, {sheet.ignored} dòng bỏ qua / rows ignored")
    return lines


@click.command("import-attendees")
@click.argument("file", type=click.File("rb"))
@click.option("--school", default=None, metavar="NAME",
              help="School for pupils whose row, sheet title and sheet name do not say (e.g. 'THCS Ngô Sĩ Liên').")
@click.option("--class", "class_name", default=None, metavar="CLASS",
              help="Class for pupils whose row, sheet title and sheet name do not say (e.g. 8A3).")
@click.option("--dry-run", is_flag=True, help="Read and check only: show what would be imported, write nothing.")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=Header",
              help="Use another column for a field, e.g. --map full_name='Tên HS'. Repeatable.")
@click.option("--all-or-nothing", is_flag=True, help="Import nothing if any row is bad.")
@click.option("--default-age-band", type=click.Choice(AGE_BANDS), default=None,
              help="Age group for rows (or files) without one.")
@click.option("--errors", "errors_path", type=click.Path(), default=None,
              help="Write every problem (row, column, value, reason) to this CSV file.")
@with_appcontext
def import_command(file, school, class_name, dry_run, mapping, all_or_nothing, default_age_band, errors_path):
    """Import a class list and issue badges.

    \b
    FILE is an Excel workbook (.xlsx) as schools send it, or CSV (UTF-8,
    comma or semicolon). In a workbook every sheet with a header is read
    (one sheet per class is fine); title rows above the header are skipped
    and give the class ("LỚP 8A3", "Lớp: 6A1") and school ("TRƯỜNG THCS
    …"), else the sheet's name ("8A3") gives the class, else --class and
    --school. Two-row headers ("Họ và tên" over "Họ đệm" | "Tên") are read
    and the name's parts joined; a file where only part of a split name
    can be found is refused, naming the columns. Totals, signatures and the
    teacher's name below the list are listed as ignored, not errors. The
    summary says per sheet what was read (class, school, where from); with
    --dry-run before anything is written. Exit code 0 when no row is bad,
    2 when some are, 1 when the file is refused or --all-or-nothing found
    bad rows. See docs/attendees.md for the layouts read.
    """
    db = get_db()
    if errors_path:
        check_output(errors_path, current_app.config["DATABASE"])  # before anything is imported
    try:
        data = file.read()
        lines = max(data.count(b"\n"), 1) if not is_xlsx(data, file.name) else 1
        with click.progressbar(length=lines, label="Kiểm tra / Checking", file=sys.stderr) as bar:
            report = import_csv(db, data, parse_mapping(mapping), all_or_nothing, by="cli:import",
                                default_age_band=default_age_band, progress=bar.update, school=school,
                                class_name=class_name, dry_run=dry_run)
    except ServiceError as exc:
        raise click.ClickException(_both(exc)) from None
    for line in sheet_lines(report):
        click.echo(line)
    for label, items in (("Bỏ qua / Ignored", report.ignored), ("Trùng / Duplicate", report.duplicates),
                         ("Có thể trùng (đã nhập) / Possible duplicate (imported)", report.possible_duplicates),
                         ("Lỗi / Error", report.errors)):
        for err in items[:MAX_LISTED]:
            click.echo(f"{label} — dòng/row {err.where}: {err.text('vi')} / {err.reason}"
                       + (f" [{err.value[:60]}]" if items is report.ignored else ""))
        if len(items) > MAX_LISTED:
            more = len(items) - MAX_LISTED
            click.echo(f"… thêm {more} / {more} more" + ("" if errors_path else
                       " (--errors FILE ghi tất cả / writes them all)"))
    if errors_path:
        write_output(errors_path, problems_csv(report), current_app.config["DATABASE"])
        total = len(report.problems) + len(report.duplicates) + len(report.possible_duplicates)
        click.echo(f"Đã ghi {total} vấn đề vào / wrote {total} problems to: {errors_path}")
    if all_or_nothing and report.errors:
        click.echo(f"Không nhập gì vì có {len(report.errors)} dòng lỗi. / "
                   f"Nothing imported: {len(report.errors)} bad rows.")
        sys.exit(1)
    if dry_run:
        click.echo(f"Chạy thử, chưa ghi gì / dry run, nothing written: sẽ nhập / would import {report.ready}; "
                   f"trùng / duplicates: {len(report.duplicates)}; lỗi / errors: {len(report.errors)}; "
                   f"bỏ qua / ignored: {len(report.ignored)}")
    else:
        click.echo(f"Đã nhập / imported: {report.imported}; trùng / duplicates: {len(report.duplicates)}; "
                   f"lỗi / errors: {len(report.errors)}; bỏ qua / ignored: {len(report.ignored)}")
    if report.errors:
        sys.exit(2)


@click.command("demo")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--db", "db_path", default=None, help="Demo database file (default: <instance>/demo/festival.db).")
@click.option("--fresh", is_flag=True, help="Delete and rebuild the demo database.")
@click.option("--seed", default=2025, show_default=True, type=int, help="Seed for the demo names and classes.")
@click.option("--no-serve", is_flag=True, help="Only build the demo database.")
@with_appcontext
def demo_command(host, port, db_path, fresh, seed, no_serve):
    """Build a demo festival (8 zones, 300 attendees) in its own database and serve it."""

    path = Path(db_path) if db_path else Path(current_app.instance_path) / "demo" / "festival.db"
    info = build_demo(path.resolve(), seed=seed, fresh=fresh)
    state = "đã tạo / created" if info["created"] else "dùng lại / reused (--fresh rebuilds)"
    click.echo(f"Demo festival {state}: {info['database']}")
    click.echo(f"  {info['zones']} zones, {info['attendees']} attendees")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo("")
    click.echo(f"  Mở / Open:          http://{shown}:{port}/")
    click.echo(f"  Đăng nhập / Login:  http://{shown}:{port}/login   "
               f"user: {info['admin']}   password: {info['password']}")
    click.echo("")
    if no_serve:
        return
    # The demo keeps its own instance folder (secret key) next to its database.
    os.environ["FESTIVAL_DATABASE"] = info["database"]
    os.environ["FESTIVAL_INSTANCE_PATH"] = str(path.resolve().parent)
    mode = current_app.config["ASYNC_MODE"]
    os.environ["FESTIVAL_ASYNC_MODE"] = mode
    serving.print_addresses(host, port)
    allowed = serving.announce_capacity(current_app.config)  # the demo serves as `festival serve` does
    serving.exec_gunicorn(serving.gunicorn_argv(host, port, mode, allowed.worker_connections))


def init_app(app) -> None:
    app.cli.add_command(import_command)
    app.cli.add_command(demo_command)
