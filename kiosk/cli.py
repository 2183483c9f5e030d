"""The ``festival`` command (also ``flask --app kiosk …``)."""
from __future__ import annotations

import os
import secrets
import socket
import sys
from pathlib import Path

import warnings

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from .auth import create_staff, set_staff_password
from .db import get_db, migrate


# Importing eventlet prints a deprecation banner on every command. The choice
# of eventlet (and the way off it: --async-mode) is documented; an organiser
# typing `festival demo` need not read it.
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")


def _create_app():
    from . import create_app

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


def lan_addresses() -> list[str]:
    """IPv4 addresses other devices on the venue LAN can use to reach this laptop."""
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except OSError:
        pass
    try:
        # No packet is sent: connecting a UDP socket only picks the outgoing interface.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


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


@main.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on (0.0.0.0: the whole LAN).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--db", "db_path", default=None, help="The festival's SQLite file.")
@click.option("--async-mode", type=click.Choice(["eventlet", "gevent", "threading"]), default=None,
              help="Socket.IO async mode (default: the ASYNC_MODE setting, eventlet).")
@click.option("--https", "use_https", is_flag=True,
              help="Serve HTTPS with a local certificate (kiosk cameras need it on the LAN).")
@click.option("--message-queue", default=None, metavar="redis://HOST:PORT/N",
              help="Join a Redis message queue so edge nodes ('festival node') reach the same clients.")
def serve_command(host, port, db_path, async_mode, use_https, message_queue):
    """Serve the hub with gunicorn and one async worker."""
    from .node import apply_environment, hub_environment, ping_message_queue
    from .serving import exec_gunicorn, gunicorn_argv, print_addresses, print_tls_help, tls_arguments

    use_database(db_path)
    app = _create_app()  # runs pending migrations once, before the worker starts
    mode = async_mode or app.config["ASYNC_MODE"]
    os.environ["FESTIVAL_ASYNC_MODE"] = mode
    try:
        if message_queue:
            ping_message_queue(message_queue)
        apply_environment(hub_environment(message_queue))
    except (ValueError, ConnectionError) as exc:
        raise click.ClickException(str(exc)) from None
    extra = tls_arguments(app.instance_path) if use_https else []
    print_addresses(host, port, "https" if use_https else "http")
    if use_https:
        print_tls_help(app.instance_path, host, port)
        # Over HTTPS the staff session cookie must never travel in clear text.
        os.environ["FESTIVAL_SESSION_COOKIE_SECURE"] = "true"
    exec_gunicorn(gunicorn_argv(host, port, mode, extra=extra))


def init_app(app) -> None:
    app.cli.add_command(init_command)


from .ops_cli import register_commands as _register_ops_commands  # noqa: E402 - needs main

_register_ops_commands(main)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
