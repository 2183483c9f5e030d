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


@click.command("import-attendees")
@click.argument("file", type=click.File("rb"))
@click.option("--map", "mapping", multiple=True, metavar="FIELD=Header",
              help="Use another column for a field, e.g. --map full_name='Tên HS'. Repeatable.")
@click.option("--all-or-nothing", is_flag=True, help="Import nothing if any row is bad.")
@click.option("--default-age-band", type=click.Choice(AGE_BANDS), default=None,
              help="Age group for rows (or files) without one.")
@click.option("--errors", "errors_path", type=click.Path(), default=None,
              help="Write every problem (row, column, value, reason) to this CSV file.")
@with_appcontext
def import_command(file, mapping, all_or_nothing, default_age_band, errors_path):
    """Import a class list (Excel .xlsx, or CSV: UTF-8, comma or semicolon) and issue badges."""
    db = get_db()
    if errors_path:
        check_output(errors_path, current_app.config["DATABASE"])  # before anything is imported
    try:
        data = file.read()
        lines = max(data.count(b"\n"), 1) if not is_xlsx(data, file.name) else 1
        with click.progressbar(length=lines, label="Kiểm tra / Checking", file=sys.stderr) as bar:
            report = import_csv(db, data, parse_mapping(mapping), all_or_nothing, by="cli:import",
                                default_age_band=default_age_band, progress=bar.update)
    except ServiceError as exc:
        raise click.ClickException(_both(exc)) from None
    for label, items in (("Trùng / Duplicate", report.duplicates),
                         ("Có thể trùng (đã nhập) / Possible duplicate (imported)", report.possible_duplicates),
                         ("Lỗi / Error", report.errors)):
        for err in items[:MAX_LISTED]:
            click.echo(f"{label} — dòng/row {err.row}: {err.text('vi')} / {err.reason}")
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
    click.echo(f"Đã nhập / imported: {report.imported}; trùng / duplicates: {len(report.duplicates)}; "
               f"lỗi / errors: {len(report.errors)}")
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
    serving.exec_gunicorn(serving.gunicorn_argv(host, port, mode))


def init_app(app) -> None:
    app.cli.add_command(import_command)
    app.cli.add_command(demo_command)
