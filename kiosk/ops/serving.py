"""Running the hub: gunicorn with one async worker (one hub, one writer)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from kiosk import capacity
from kiosk.network import lan_addresses
from kiosk.ops.tls import ca_cert_path, ensure_certificates, fingerprint

WORKER_CLASSES = {"eventlet": "eventlet", "gevent": "gevent", "threading": "gthread"}
GUNICORN_CONF = Path(__file__).with_name("gunicorn_conf.py")
# What eventlet's websocket writes when it shuts down a socket the browser's
# departure already closed: one line per closed browser, nothing to act on.
CLOSED_SOCKET_NOISE = "socket shutdown error: [Errno 9]"


class _ErrorsWithoutClosedSockets:
    """A ``wsgi.errors`` stream that drops :data:`CLOSED_SOCKET_NOISE` lines only."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        if CLOSED_SOCKET_NOISE in str(text):
            return None
        return self.stream.write(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        return self.stream.flush()


class QuietClosedSockets:
    """WSGI middleware (installed by gunicorn_conf.py in the worker): eventlet's
    websocket logs to ``environ["wsgi.errors"]``; this stream filters out the
    EBADF shutdown line of a browser that left and passes everything else."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        errors = environ.get("wsgi.errors")
        if errors is not None:
            environ["wsgi.errors"] = _ErrorsWithoutClosedSockets(errors)
        return self.app(environ, start_response)


def raise_open_file_limit(wanted: int = 65536) -> int:
    """Each websocket is a file descriptor: 2,000 phones need more than the usual 1,024."""
    return capacity.open_file_limit(wanted)


def announce_capacity(config, processes: int = 1) -> capacity.Capacity:
    """What this hub allows, from GAME_MAX_PLAYERS (kiosk/capacity.py), said in one
    line each in Vietnamese and English; a ClickException, saying what to do, when
    a full game could not be served (an inconsistent setting, too few open files)."""
    try:
        allowed = capacity.derive(config)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    limit = raise_open_file_limit(max(65536, allowed.open_files))
    found = capacity.problems(allowed, limit)
    if found:
        raise click.ClickException("Không phục vụ được một trò chơi đầy đủ với cấu hình này / "
                                   "A full game could not be served as configured: " + " ".join(found))
    for line in allowed.lines(limit, processes):
        click.echo(line)
    return allowed


def gunicorn_argv(host: str, port: int, async_mode: str = "eventlet", connections: int = 4000,
                  extra: list[str] | None = None) -> list[str]:
    """The gunicorn command line for one hub worker.

    ``--worker-connections`` (gunicorn's default 1,000) is past which clients
    wait in the accept backlog with nothing logged: ``festival serve`` gives
    the figure derived from GAME_MAX_PLAYERS (kiosk/capacity.py); ``--graceful-timeout 2`` stops a hub
    with open websockets in 2 s instead of 30. ``--no-control-socket``:
    gunicorn 25's control socket is one per machine, shared by the hub, an
    edge node or a standby started there; nothing here uses it.
    """
    argv = [sys.executable, "-m", "gunicorn", "-w", "1", "-k", WORKER_CLASSES[async_mode],
            "--bind", f"{host}:{port}", "--env", f"FESTIVAL_LISTEN_HOST={host}", "--no-control-socket", "--worker-connections", str(connections),
            "--graceful-timeout", "2", "--timeout", "120", "--access-logfile", "-",
            # badge tokens, pairing codes and stage links are in URLs: logged as "…"
            "--logger-class", "kiosk.ops.accesslog.RedactingLogger"]
    if async_mode == "threading":
        argv += ["--threads", "64"]
    # No eventlet banner, eventlet patched first, no log line per closed browser.
    argv += ["-c", str(GUNICORN_CONF)]
    return argv + (extra or []) + ["kiosk:create_app()"]


def print_addresses(host: str, port: int, scheme: str = "http") -> None:
    click.echo(f"Festival Kiosk is starting on {scheme}://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/")
    if host in ("0.0.0.0", "::"):
        for address in lan_addresses():
            click.echo(f"  other devices on the venue network: {scheme}://{address}:{port}/")


def tls_arguments(instance_path: str) -> list[str]:
    """gunicorn's --certfile/--keyfile for the local certificate (made if needed, kiosk/tls.py)."""
    files = ensure_certificates(instance_path)
    return ["--certfile", str(files.cert), "--keyfile", str(files.key)]


def print_tls_help(instance_path: str, host: str, port: int) -> None:
    """Say where the CA certificate is, for the organiser to install on kiosks."""
    ca = ca_cert_path(instance_path)
    local = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"  kiosks must trust this certificate authority once: {ca}")
    click.echo(f"  (download it on a kiosk from https://{local}:{port}/ca.crt or the LAN address; "
               f"SHA-256 {fingerprint(ca)})")


def exec_gunicorn(argv: list[str]) -> None:
    """Replace this process with gunicorn (signals then reach it directly)."""
    raise_open_file_limit()
    # A served hub tunes its garbage collector (kiosk/gctune.py); tests' apps never do.
    os.environ.setdefault("FESTIVAL_GC_TUNE", "1")
    # The worker knows it serves (background tasks such as the national push start only then).
    os.environ["FESTIVAL_SERVED"] = "1"
    sys.stdout.flush()
    os.execv(argv[0], argv)
