"""``festival devices add`` and ``festival devices list``: set up forty kiosks
from a terminal, with one printable A4 sheet of their pairing QR codes."""
from __future__ import annotations


import click
from flask import current_app, url_for
from flask.cli import with_appcontext

from kiosk.auth import ROLES
from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.i18n import translate
from kiosk.network import device_base_url
from kiosk.outputs import OutputRefused, check_output, write_output

from .admin import local_expiry, render_sheet, validity_text
from .service import (MAX_BATCH, MAX_VALID_HOURS, create_devices, find_zone, list_devices, pairing_ttl,
                      revoke_device)

ACTOR = "cli:devices"


def _fail(exc: ServiceError) -> click.ClickException:
    return click.ClickException(f"{translate(exc.message, 'vi', **exc.params)} / "
                                f"{translate(exc.message, 'en', **exc.params)}")


def default_base_url() -> str:
    """PUBLIC_URL, else this laptop's first LAN address on the serve port (kiosk/network.py)."""
    base, loopback = device_base_url()
    if loopback:
        click.echo("Cảnh báo: máy này không có địa chỉ mạng, thiết bị khác không mở được liên kết; "
                   "dùng --base-url hoặc PUBLIC_URL. / Warning: this laptop has no network address, "
                   "other devices cannot open these links; use --base-url or PUBLIC_URL.", err=True)
    return base


@click.group("devices")
def devices_group():
    """Create and list paired devices (desks, zone kiosks, stage screens, hosts)."""


@devices_group.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice([r for r in ROLES if r != "admin"]),
              help="What the device does.")
@click.option("--zone", "zone_ref", default=None, help="Zone slug or id (needed for --role zone).")
@click.option("--count", default=1, show_default=True, type=click.IntRange(1, MAX_BATCH),
              help='How many: names become "NAME 01" … "NAME N".')
@click.option("--valid-hours", type=click.IntRange(1, MAX_VALID_HOURS), default=None,
              help=f"How long the pairing links work (default 10 minutes; at most {MAX_VALID_HOURS} hours).")
@click.option("--sheet", type=click.Path(), default=None,
              help="Write a printable A4 HTML sheet of the pairing QR codes to this file.")
@click.option("--base-url", default=None,
              help="The hub's address the devices open (default PUBLIC_URL, else http://LAN-IP:8000).")
@with_appcontext
def add_command(name, role, zone_ref, count, valid_hours, sheet, base_url):
    """Create COUNT devices called NAME and print their one-time pairing links."""
    db = get_db()
    if sheet:
        check_output(sheet, current_app.config["DATABASE"])  # before any device is created
    base = (base_url or default_base_url()).rstrip("/")
    try:
        ttl_s = pairing_ttl(valid_hours)
        zone_id = find_zone(db, zone_ref) if role == "zone" else None
        created = create_devices(db, name, role, zone_id, ACTOR, count, ttl_s)
    except ServiceError as exc:
        raise _fail(exc) from None
    # url_for needs a request for absolute links: one aimed at the hub's address.
    with current_app.test_request_context("/", base_url=base):
        link = lambda code: url_for("devices.pair", code=code, _external=True)  # noqa: E731
        if sheet:
            try:
                write_output(sheet, render_sheet(db, created, link, ttl_s), current_app.config["DATABASE"])
            except OutputRefused:
                for device_id, _code in created:  # no sheet, no links: the new devices go too
                    revoke_device(db, device_id, ACTOR)
                raise
        for device_id, code in created:
            device = db.execute("SELECT name, pairing_expires_at FROM devices WHERE id = ?",
                                [device_id]).fetchone()
            click.echo(f"{device['name']}\t{role}\t{link(code)}\t{local_expiry(device['pairing_expires_at'])}")
        validity = validity_text(ttl_s)
        click.echo(f"{validity['vi']} / {validity['en']}", err=True)
        if sheet:
            click.echo(f"Đã ghi tờ mã ghép nối / pairing sheet written: {sheet}", err=True)


@devices_group.command("list")
@with_appcontext
def list_command():
    """Every device with its role, zone and state."""
    for d in list_devices(get_db()):
        state = "revoked" if d["revoked_at"] else "paired" if d["paired_at"] else "waiting"
        zone = d["zone_vi"] or ""
        seen = (d["last_seen_at"] or "")[:19]
        click.echo(f"{d['id']}\t{d['name']}\t{d['role']}\t{zone}\t{state}\t{seen}")
