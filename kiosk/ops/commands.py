"""Operations commands: serve, backup, restore, purge, withdraw, and edge nodes.

``backup``, ``purge`` and ``withdraw`` need the festival's app (its database
setting) and live on ``app.cli`` (added by :func:`init_app`); ``serve``,
``restore`` and ``node`` run before any app exists and are added to the
``festival`` group here. This module's ``main`` is the console script.
"""
from __future__ import annotations

import getpass
import json
import os
import sqlite3
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from kiosk import create_app
from kiosk.audit import audit
from kiosk.cli import main, use_database
from kiosk.ops.backup import DEFAULT_KEEP, BackupError, backup_to, check_backup_file, list_backups, restore_from
from kiosk.db import get_db, open_db, transaction
from kiosk.errors import ServiceError
from kiosk.hubid import new_generation
from kiosk.ops import node  # called as node.x: tests stand in for apply_environment
from kiosk.ops.purge import aggregates, purge_personal_data, withdraw_attendee
from kiosk.ops.replication import ReplicationError, litestream_binary, parse_replica_url, restore_replica
from kiosk.ops import serving  # called as serving.x: tests stand in for exec_gunicorn
from kiosk.ops import workers as workers_mod  # called as workers_mod.x: tests stand in for supervise


def cli_actor() -> str:
    """How a command-line action is named in the audit log."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{os.getpid()}:{user}"


def _audit_now(db, action: str, target: str | None = None, detail: str | None = None) -> None:
    with transaction(db):
        audit(db, cli_actor(), action, target, detail)


@click.command("backup")
@click.option("--to", "folder", default=None, help="Folder for the backup (default: the BACKUP_DIR setting).")
@click.option("--keep", default=None, type=click.IntRange(1, 10_000), help="How many backups to keep there.")
@with_appcontext
def backup_command(folder, keep):
    """Write an online backup of the festival (the hub may keep running)."""
    folder = folder or current_app.config.get("BACKUP_DIR")
    if not folder:
        raise click.UsageError("Say where with --to DIR, or set BACKUP_DIR.")
    keep = keep or int(current_app.config.get("BACKUP_KEEP") or DEFAULT_KEEP)
    try:
        path = backup_to(current_app.config["DATABASE"], folder, keep)
    except (OSError, BackupError, sqlite3.Error) as exc:
        raise click.ClickException(f"Backup failed: {exc}") from None
    _audit_now(get_db(), "backup.manual", None, str(path)[:200])
    click.echo(f"Backup written: {path}")


@click.command("purge")
@click.option("--yes", is_flag=True, help="Really delete (nothing happens without it).")
@click.option("--backups", "backups_dir", default=None, metavar="DIR",
              help="Delete the festival backups in DIR instead (they hold personal data too).")
@with_appcontext
def purge_command(yes, backups_dir):
    """After the event: delete all personal data, keep anonymous counts."""
    if backups_dir:
        found = list_backups(backups_dir)
        if not yes:
            raise click.ClickException(f"{len(found)} backups in {backups_dir} would be deleted; add --yes.")
        for path in found:
            path.unlink(missing_ok=True)
        _audit_now(get_db(), "festival.purge_backups", None, f"deleted={len(found)}")
        click.echo(f"Deleted {len(found)} backups from {backups_dir}.")
        return
    if not yes:
        raise click.ClickException("This deletes every attendee's personal data for good. Stop the hub, "
                                   "make a last backup if you need one, then run again with --yes.")
    db = get_db()
    try:
        outcome = purge_personal_data(db, cli_actor())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Deleted {outcome['removed']['attendees']} attendees and their data; "
               f"{len(aggregates(db))} anonymous counts kept in the 'aggregates' table.")
    if outcome["wal_busy"] or not outcome["vacuumed"]:
        click.echo("Warning: the hub seems to be running, so the file could not be compacted. "
                   "Stop the hub and run 'festival purge --yes' again.", err=True)
    click.echo("Backups made before now still hold personal data: delete them with "
               "'festival purge --backups DIR --yes'.")


@click.command("withdraw")
@click.argument("attendee_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def withdraw_command(attendee_id, yes):
    """Delete one attendee's data at once (a guardian withdrew consent)."""
    if not yes:
        click.confirm(f"Delete all data of attendee {attendee_id} for good?", abort=True)
    try:
        withdraw_attendee(get_db(), attendee_id, cli_actor())
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Attendee {attendee_id}: data deleted.")


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--db", "target", default=None, help="The festival file to restore into (default: this install's).")
@click.option("--force", is_flag=True, help="Overwrite a festival that already has attendees.")
def restore_command(backup_file, target, force):
    """Restore a backup into this install (stop the hub first)."""
    try:
        check_backup_file(backup_file)  # before create_app touches any festival file
    except (BackupError, sqlite3.Error) as exc:
        raise click.ClickException(f"Restore failed: {exc}") from None
    use_database(target)
    app = create_app()  # finds the target from --db, FESTIVAL_DATABASE or the instance folder
    target = app.config["DATABASE"]
    try:
        restore_from(backup_file, target, force=force)
    except (BackupError, sqlite3.Error) as exc:
        raise click.ClickException(f"Restore failed: {exc}") from None
    db = open_db(target)
    try:
        new_generation(db)  # devices replay their recent scans to the restored hub (kiosk/hubid.py)
        _audit_now(db, "backup.restore", None, Path(backup_file).name[:200])
        count = db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0]
    finally:
        db.conn.close()
    click.echo(f"Restored {backup_file} into {target} ({count} attendees). Start the hub with 'festival serve'.")
    click.echo("Every device, stage link and staff session of the backup was revoked: pair every device "
               "again (Admin → Devices) and sign in again. / Mọi thiết bị, liên kết sân khấu và phiên đăng nhập "
               "trong bản sao lưu đã bị thu hồi: hãy ghép nối lại từng thiết bị và đăng nhập lại.")


@click.command("node")
@click.option("--hub-db", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The hub's festival file (this node runs on the hub's machine).")
@click.option("--message-queue", required=True, help="The hub's Redis, e.g. redis://127.0.0.1:6379/0.")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--instance", default=None, help="Instance folder (default: the hub's, for its secret key).")
@click.option("--https", "use_https", is_flag=True, help="Serve HTTPS with the hub's local certificate.")
@click.option("--async-mode", type=click.Choice(["eventlet", "gevent", "threading"]), default="eventlet",
              show_default=True)
def node_command(hub_db, message_queue, host, port, instance, use_https, async_mode):
    """Start an edge Socket.IO node for stage screens and phones."""
    try:
        env = node.edge_environment(hub_db, message_queue, instance)
        node.ping_message_queue(message_queue)
    except (ValueError, ConnectionError) as exc:
        raise click.ClickException(str(exc)) from None
    node.apply_environment({**env, "FESTIVAL_ASYNC_MODE": async_mode})
    extra = serving.tls_arguments(instance or _default_instance()) if use_https else []
    serving.print_addresses(host, port, "https" if use_https else "http")
    click.echo("Edge node: give this address to stage screens and phones; desks and kiosks stay on the hub.")
    serving.exec_gunicorn(serving.gunicorn_argv(host, port, async_mode, extra=extra))


@click.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on (0.0.0.0: the whole LAN).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--db", "db_path", default=None, help="The festival's SQLite file.")
@click.option("--async-mode", type=click.Choice(["eventlet", "gevent", "threading"]), default=None,
              help="Socket.IO async mode (default: the ASYNC_MODE setting, eventlet).")
@click.option("--https", "use_https", is_flag=True,
              help="Serve HTTPS with a local certificate (kiosk cameras need it on the LAN).")
@click.option("--message-queue", default=None, metavar="redis://HOST:PORT/N",
              help="Join a Redis message queue so edge nodes ('festival node') reach the same clients.")
@click.option("--workers", default="1", show_default=True, metavar="N|auto",
              help="Processes: the hub for staff plus N-1 for the phones' sockets on the next ports "
                   "(auto: one per core). Starts a private Redis unless --message-queue is given.")
@click.option("--replicate", "replica_url", default=None, metavar="URL",
              help="Stream the festival file to a replica with Litestream: file:///folder or "
                   "sftp://user@host/path (default: the REPLICA_URL setting).")
@click.option("--standby", "standby_urls", multiple=True, metavar="URL",
              help="Address of the standby laptop (http://192.168.1.11:8000); devices fail over to it. Repeatable.")
@click.option("--national", "national_url", default=None, metavar="URL",
              help="Push this hub's outcomes bundle to the national hub at URL when online (https:// on the internet).")
@click.option("--national-code", default=None, metavar="CODE",
              help="The national hub's one-time pairing code (first push only; or `festival outcomes trust` there).")
def serve_command(host, port, db_path, async_mode, use_https, message_queue, workers, replica_url, standby_urls,
                  national_url, national_code):
    """Serve the hub with gunicorn and one async worker (and phone processes with --workers)."""
    count = workers_mod.worker_count(workers)
    use_database(db_path)
    _replication_environment(replica_url, standby_urls)
    if national_url:
        if not national_url.startswith(("http://", "https://")):
            raise click.UsageError(f"--national takes an http:// or https:// address, not {national_url!r}.")
        os.environ["FESTIVAL_NATIONAL_URL"] = national_url
        if national_code:
            os.environ["FESTIVAL_NATIONAL_PAIRING_CODE"] = national_code
    app = create_app()  # runs pending migrations once, before the worker starts
    _serve(app, host, port, async_mode, use_https, message_queue, count)


def _replication_environment(replica_url: str | None, standby_urls) -> None:
    """Hand --replicate/--standby to the worker (it reads FESTIVAL_* settings)."""
    if replica_url:
        try:
            parse_replica_url(replica_url)
            litestream_binary()
        except ReplicationError as exc:
            raise click.ClickException(str(exc)) from None
        os.environ["FESTIVAL_REPLICA_URL"] = replica_url
    if standby_urls:
        bad = [url for url in standby_urls if not url.startswith(("http://", "https://"))]
        if bad:
            raise click.UsageError(f"--standby takes http:// or https:// addresses, not {bad[0]!r}.")
        os.environ["FESTIVAL_STANDBY_URLS"] = json.dumps([url.rstrip("/") for url in standby_urls])


def _serve(app, host, port, async_mode, use_https, message_queue, workers: int = 1) -> None:
    """Start gunicorn for ``app``'s festival (replaces this process); with ``workers`` > 1,
    the hub and the phone processes under this one (kiosk/ops/workers.py)."""
    if app.config.get("REPLICA_URL"):
        try:
            click.echo(f"  replicating continuously to {parse_replica_url(app.config['REPLICA_URL']).shown}")
        except ReplicationError as exc:
            raise click.ClickException(str(exc)) from None
    mode = async_mode or app.config["ASYNC_MODE"]
    os.environ["FESTIVAL_ASYNC_MODE"] = mode
    ports, private = workers_mod.phone_ports(port, workers), []
    try:
        if message_queue:
            node.ping_message_queue(message_queue)
        elif ports:
            redis_server, message_queue = workers_mod.start_redis(node.ping_message_queue)
            private.append(redis_server)
        node.apply_environment(node.hub_environment(message_queue))
    except (ValueError, ConnectionError) as exc:
        raise click.ClickException(str(exc)) from None
    extra = serving.tls_arguments(app.instance_path) if use_https else []
    serving.print_addresses(host, port, "https" if use_https else "http")
    if use_https:
        serving.print_tls_help(app.instance_path, host, port)
        # Over HTTPS the staff session cookie must never travel in clear text.
        os.environ["FESTIVAL_SESSION_COOKIE_SECURE"] = "true"
    allowed = serving.announce_capacity(app.config, workers)
    if not ports:
        serving.exec_gunicorn(serving.gunicorn_argv(host, port, mode, allowed.worker_connections, extra=extra))
        return
    click.echo(f"  Nhân viên ở cổng {port}; socket của điện thoại ở cổng {', '.join(map(str, ports))} "
               f"({len(ports)} tiến trình, hàng đợi {message_queue})")
    click.echo(f"  Staff on port {port}; phones' sockets on port(s) {', '.join(map(str, ports))} "
               f"({len(ports)} process{'es' if len(ports) > 1 else ''}, queue {message_queue})")
    envs = workers_mod.environments(port, ports, message_queue, str(Path(app.config["DATABASE"]).resolve()),
                                    app.instance_path)
    commands = [(serving.gunicorn_argv(host, p, mode, allowed.worker_connections, extra=extra), env)
                for p, env in zip([port, *ports], envs)]
    raise SystemExit(workers_mod.supervise(commands, private))


@click.command("takeover")
@click.argument("replica_url")
@click.option("--db", "db_path", default=None, help="Where to put the festival file (default: this install's).")
@click.option("--host", default="0.0.0.0", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--https", "use_https", is_flag=True, help="Serve HTTPS with this laptop's local certificate.")
@click.option("--async-mode", type=click.Choice(["eventlet", "gevent", "threading"]), default=None)
@click.option("--ssh-key", default=None, type=click.Path(exists=True, dir_okay=False),
              help="Private key for an sftp:// replica.")
@click.option("--replicate", "next_replica", default=None, metavar="URL",
              help="Replicate the standby in turn (another folder or laptop).")
@click.option("--force", is_flag=True, help="Replace a festival file that already has attendees here.")
def takeover_command(replica_url, db_path, host, port, use_https, async_mode, ssh_key, next_replica, force):
    """On the standby laptop: restore the newest state from the replica and serve it.

    Devices that were paired with the hub follow on their own (they know this
    laptop's address from 'festival serve --standby') and send again the scans
    the hub acknowledged in its last minutes. Make sure the old hub is off.
    """
    started = time.monotonic()
    if db_path:
        Path(db_path).resolve().parent.mkdir(parents=True, exist_ok=True)  # e.g. a fresh folder on the standby
    use_database(db_path)
    os.environ.pop("FESTIVAL_REPLICA_URL", None)  # never write a new history into the replica read from
    _replication_environment(next_replica, ())
    app = create_app()  # finds the target from --db, FESTIVAL_DATABASE or the instance folder
    target = app.config["DATABASE"]
    if app.config.get("REPLICA_URL") and app.config["REPLICA_URL"].rstrip("/") == replica_url.rstrip("/"):
        raise click.ClickException("This laptop is set to replicate into the replica it takes over from: "
                                   "remove REPLICA_URL from its settings or give --replicate another URL.")
    if not force and _attendee_count(target):
        raise click.ClickException(f"{target} already holds a festival; add --force to replace it.")
    try:
        restore_replica(replica_url, target, app.instance_path, ssh_key=ssh_key or app.config.get("REPLICA_SSH_KEY"),
                        host_key=app.config.get("REPLICA_SSH_HOST_KEY"))
    except ReplicationError as exc:
        raise click.ClickException(f"Takeover failed: {exc}") from None
    app = create_app()  # the restored file: pending migrations, if this install is newer
    db = open_db(target)
    try:
        # A new generation: devices see a hub they have not met and replay (kiosk/hubid.py).
        generation = new_generation(db)
        _audit_now(db, "replication.takeover", None, f"{parse_replica_url(replica_url).shown} gen={generation}"[:200])
        count = db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0]
    finally:
        db.conn.close()
    if not (Path(app.instance_path) / "secret_key").exists():
        click.echo("Warning: this laptop has no copy of the hub's secret key; staff must log in again "
                   "and anonymous board numbers change (docs/operations.md).", err=True)
    click.echo(f"Restored {count} attendees from {parse_replica_url(replica_url).shown} into {target} "
               f"in {time.monotonic() - started:.1f} s. This laptop is the hub now.")
    _serve(app, host, port, async_mode, use_https, None)


def _attendee_count(path: str) -> int:
    """Attendees in the file at ``path`` (0 when it is missing or has no such table)."""
    if not Path(path).exists():
        return 0
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT COUNT(*) FROM attendees").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _default_instance() -> str:
    """The instance folder an app started here would use."""
    return os.environ.get("FESTIVAL_INSTANCE_PATH") or Flask("kiosk").instance_path


for _command in (serve_command, restore_command, node_command, takeover_command):
    main.add_command(_command)


def init_app(app) -> None:
    """The commands that need an app."""
    for command in (backup_command, purge_command, withdraw_command):
        app.cli.add_command(command)
