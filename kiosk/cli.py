"""The ``festival`` command group and ``festival init``.

Features add their commands: ``app.cli`` commands from their ``init_app``,
commands that run before any app exists (serve, restore, node) from
``kiosk.ops.commands``, which is the console script's entry point.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import warnings

import click
from cryptography.utils import CryptographyDeprecationWarning
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from . import create_app
from .auth import create_staff, set_staff_password
from .db import get_db, migrate
from .errors import ServiceError
from .exports import FORMATS, all_exports, run_export
from .i18n import translate
from .outputs import check_output, write_output


# Notices a newcomer reads as errors, each filtered by its category and message
# only, and set before anything imports eventlet (create_app does):
# - importing eventlet prints a deprecation banner on every command; the choice
#   of eventlet (and the way off it: --async-mode) is documented;
# - cryptography 51 deprecates DSA, and dnspython (eventlet's green DNS) touches
#   its DSA classes at import. The worker sets the same (kiosk/ops/gunicorn_conf.py).
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
warnings.filterwarnings("ignore", message=r"(?s).*\bDSA\b", category=CryptographyDeprecationWarning)


def _create_app():
    return create_app()


def use_database(path: str | None) -> None:
    """Point this process (and the servers it starts) at another festival file."""
    if path:
        os.environ["FESTIVAL_DATABASE"] = str(Path(path).resolve())


def _db_option(ctx, _param, value):
    use_database(value)


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
@click.option("--db", callback=_db_option, expose_value=False, is_eager=True,
              help="The festival's SQLite file (default: instance/festival.db; or FESTIVAL_DATABASE).")
def main():
    """Festival Kiosk: check-in, zone passport, quizzes and live leaderboards.

    Commands that need the festival's data take the file from --db (before
    the command name), FESTIVAL_DATABASE, or the instance folder.
    """


@click.command("init")
@click.option("--admin", "username", default="admin", show_default=True, help="Admin username.")
@click.option("--password", default=None, help="Admin password (generated and printed once if omitted).")
@with_appcontext
def init_command(username, password):
    """Create the database and an admin account."""
    db = get_db()
    migrate(db)
    generated = password is None
    password = password or secrets.token_urlsafe(9)
    exists = db.execute("SELECT 1 FROM staff WHERE username = ?", [username]).fetchone()
    if exists:
        if not generated:
            set_staff_password(db, username, password)
            click.echo(f"Password of '{username}' updated.")
        else:
            click.echo(f"Database ready at {current_app.config['DATABASE']}; admin '{username}' already exists.")
        return
    create_staff(db, username, password, "admin")
    click.echo(f"Database ready at {current_app.config['DATABASE']}")
    click.echo(f"Admin login: {username} / {password}" + ("   (shown once: write it down)" if generated else ""))


@click.command("export")
@click.argument("what", required=False)
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Write to this file instead of standard output.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv (UTF-8 with BOM) or xlsx; default from the file name, else csv.")
@click.option("--lang", type=click.Choice(("vi", "en")), default=None,
              help="Language of an Excel file's column headers (default: DEFAULT_LANGUAGE, Vietnamese). "
                   "CSV keeps the machine names.")
@with_appcontext
def export_command(what, output, fmt, lang):
    """Export festival data (run without WHAT to list the exports)."""
    if not what:
        for export in all_exports():
            click.echo(f"{export.name:24} {export.title_vi} / {export.title_en}")
        return
    if output:
        check_output(output, current_app.config["DATABASE"])  # before the export runs
    fmt = fmt or ("xlsx" if output and output.lower().endswith(".xlsx") else "csv")
    try:
        data, _mimetype, _name = run_export(get_db(), what, fmt, "cli:export",
                                            lang or current_app.config["DEFAULT_LANGUAGE"])
    except ServiceError as exc:
        raise click.ClickException(f"{translate(exc.message, 'vi', **exc.params)} / "
                                   f"{translate(exc.message, 'en', **exc.params)}") from None
    if output:
        write_output(output, data, current_app.config["DATABASE"])
        click.echo(f"Đã ghi / written: {output}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def init_app(app) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(export_command)
