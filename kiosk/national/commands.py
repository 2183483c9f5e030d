"""``festival outcomes …``: the event's identity, this hub's key and bundle
(export), and, on the national hub, trusting hubs and importing bundles.
Errors are bilingual and exit with status 2."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from kiosk.audit import audit
from kiosk.db import get_db, transaction
from kiosk.errors import ServiceError
from kiosk.i18n import translate
from kiosk.outputs import check_output, write_output

from . import bundle, keys, store
from .bundle import KINDS
from .provinces import provinces
from .views import hub_bundle

ACTOR = "cli:outcomes"


def _fail(exc: ServiceError, prefix: str = "") -> None:
    click.echo(f"{prefix}{translate(exc.message, 'vi', **exc.params)} / {translate(exc.message, 'en', **exc.params)}",
               err=True)


@click.group("outcomes")
def outcomes_group():
    """This hub's anonymous outcomes bundle, and the national hub's imports."""


@outcomes_group.command("identity")
@click.option("--name", default=None, help="The event's name.")
@click.option("--province", default=None, help="Province or city (one of 34: festival outcomes provinces).")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="festival or school_workshop.")
@click.option("--dates", default=None, help="Dates, e.g. 2025-11-01,2025-11-02.")
@with_appcontext
def identity_command(name, province, kind, dates):
    """Set (or show) the event's identity carried by its bundle."""
    db = get_db()
    try:
        if any(v is not None for v in (name, province, kind, dates)):
            bundle.set_identity(db, ACTOR, name, province, kind, dates, current_app.config["FESTIVAL_NAME"])
    except ServiceError as exc:
        _fail(exc)
        sys.exit(2)
    event = bundle.identity(db, current_app.config["FESTIVAL_NAME"])
    click.echo(f"{event['name']}\t{event['province'] or '-'}\t{event['kind']}\t{','.join(event['dates'])}")


@outcomes_group.command("provinces")
def provinces_command():
    """The 34 provinces and cities (slug, Vietnamese, English)."""
    for p in provinces():
        click.echo(f"{p['slug']}\t{p['vi']}\t{p['en']}")


@outcomes_group.command("key")
@click.option("-o", "--output", type=click.Path(), default=None,
              help="Write the public key (PEM) to this file (default: print it).")
@with_appcontext
def key_command(output):
    """This hub's public key, for the national hub's `festival outcomes trust`."""
    key = keys.hub_key(current_app.instance_path)
    pem = keys.public_pem(key)
    if output:
        write_output(output, pem, current_app.config["DATABASE"])
        click.echo(f"{keys.fingerprint(keys.raw_public(key))}\t{output}", err=True)
    else:
        click.echo(pem.decode(), nl=False)


@outcomes_group.command("export")
@click.option("-o", "--output", type=click.Path(), required=True,
              help="The bundle file (ending .gz: gzip-compressed).")
@with_appcontext
def export_command(output):
    """Write this hub's signed, anonymous outcomes bundle (and its public key beside it, FILE.pub.pem)."""
    db = get_db()
    for path in (output, output + ".pub.pem"):
        check_output(path, current_app.config["DATABASE"])  # before the bundle is numbered
    try:
        made = hub_bundle(db, current_app)
    except ServiceError as exc:
        _fail(exc)
        sys.exit(2)
    write_output(output, bundle.encode(made, compress=output.endswith(".gz")), current_app.config["DATABASE"])
    pub = write_output(output + ".pub.pem", keys.public_pem(keys.hub_key(current_app.instance_path)),
                       current_app.config["DATABASE"])
    with transaction(db):
        audit(db, ACTOR, "outcomes.export", f"hub:{made['payload']['hub']['id']}", str(made["payload"]["sequence"]))
    click.echo(f"Đã ghi / written: {output} (#{made['payload']['sequence']}, {made['bundle_id'][:16]}); "
               f"khoá công khai / public key: {pub}", err=True)


@outcomes_group.command("trust")
@click.argument("keyfile", type=click.Path(exists=True, dir_okay=False))
@click.option("--label", default="", help="A name for the hub (a school, a venue).")
@with_appcontext
def trust_command(keyfile, label):
    """Register a hub by its public key file: its bundles are then accepted."""
    try:
        fp = store.trust_file(get_db(), Path(keyfile).read_bytes(), ACTOR, label)
    except ServiceError as exc:
        _fail(exc)
        sys.exit(2)
    click.echo(f"Đã tin cậy / trusted: {fp}")


@outcomes_group.command("pair")
@click.option("--label", required=True, help="Whom the code is for (a school, a venue).")
@with_appcontext
def pair_command(label):
    """A one-time pairing code (72 hours) for a hub that will push online."""
    try:
        code = store.create_pairing(get_db(), label, ACTOR)
    except ServiceError as exc:
        _fail(exc)
        sys.exit(2)
    click.echo(code)


MESSAGES = {"imported": ("đã nhập", "imported"), "replaced": ("đã thay bản cũ", "replaced the older bundle"),
            "duplicate": ("đã có, bỏ qua", "already imported, counted once"),
            "older": ("cũ hơn bản đã có, bỏ qua", "older than the one kept, ignored")}


@outcomes_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(files):
    """Import bundles (national hub). Idempotent; exits 2 if any file was refused."""
    db = get_db()
    refused = 0
    for name in files:
        try:
            answer = store.import_bundle(db, bundle.decode(Path(name).read_bytes()), ACTOR)
        except ServiceError as exc:
            refused += 1
            _fail(exc, f"{name}: ")
            continue
        vi, en = MESSAGES[answer["result"]]
        click.echo(f"{name}: {vi} / {en} ({answer['event']}, #{answer['sequence']})")
    if refused:
        sys.exit(2)
