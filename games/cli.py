"""``festival`` commands for quiz games (registered on app.cli by games.init_app)."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from kiosk.db import get_db
from kiosk.errors import ServiceError

from .quiz.bank import MAX_FILE_BYTES, BankError, Problem
from .quiz.questions import import_bank, list_banks


@click.command("import-questions")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def import_questions_command(file: Path):
    """Import a question bank file (JSON, docs/questions.md) into the festival.

    Prints every problem (file, question, field) and exits with status 1 when
    the file is invalid; nothing is stored unless the whole file is valid.
    """
    try:
        with file.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        _fail(BankError([Problem(file.name, f"cannot read file: {exc.strerror or exc}")]).report())
    try:
        summary = import_bank(get_db(), raw, file.name, "cli")
    except BankError as exc:
        _fail(exc.report())
    except ServiceError as exc:
        _fail(str(exc))
    click.echo(f"Imported bank \"{summary['bank']}\" from {file.name}: {summary['questions']} questions "
               f"({summary['added']} new, {summary['updated']} updated, "
               f"{summary['deactivated']} retired).")


@click.command("list-questions")
@with_appcontext
def list_questions_command():
    """List the question banks and how many active questions each has."""
    for bank in list_banks(get_db()):
        click.echo(f"{bank['bank']:<24} {bank['source']:<8} {bank['questions']:>4}  {bank['title']['en']}")


def _fail(report: str) -> None:
    click.echo(report, err=True)
    raise SystemExit(1)


def init_app(app) -> None:
    app.cli.add_command(import_questions_command)
    app.cli.add_command(list_questions_command)
