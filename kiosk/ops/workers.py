"""``festival serve --workers N``: the hub and N-1 phone processes on one machine.

The hub (the port asked for) keeps the staff; the phone processes, on the
next ports, hold the phones' sockets (kiosk/phones.py). Each is one gunicorn
with one async worker on the same festival file and instance folder (secret
key), joined by a Redis message queue as an edge node is (kiosk/ops/node.py):
an emit anywhere reaches every process's sockets. Without ``--message-queue``
a private redis-server is started on loopback. This process stays as their
supervisor: Ctrl-C or SIGTERM stops them all, and when one of them stops the
others are stopped too, so a half-running festival is never left behind.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import click

PR_SET_PDEATHSIG = 1


def worker_count(value: str) -> int:
    """``auto`` (this machine's cores) or a whole number from 1 to 64."""
    if str(value).strip().lower() == "auto":
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:
            return max(1, os.cpu_count() or 1)
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= 64:
        raise click.BadParameter(f"takes 'auto' or a number of processes from 1 to 64, not {value!r}")
    return count


def phone_ports(port: int, count: int) -> list[int]:
    """The phone processes' ports: the ones after the hub's."""
    ports = [port + k for k in range(1, count)]
    if ports and ports[-1] > 65535:
        raise click.ClickException(f"--workers {count} needs ports {ports[0]}–{ports[-1]}: choose a lower --port.")
    return ports


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In a child: receive SIGTERM if the supervisor dies (Linux), so no process is orphaned."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def start_redis(ping, timeout: float = 10.0) -> tuple[subprocess.Popen, str]:
    """A private redis-server on loopback (no disk); returns (process, URL).

    ``ping(url)`` raises ConnectionError until Redis answers.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise click.ClickException("--workers needs Redis for its message queue: install redis-server "
                                   "(apt-get install redis-server) or give --message-queue redis://HOST:PORT/N.")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--loglevel", "warning"], stdout=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + timeout
    while True:
        try:
            ping(url)
            return proc, url
        except ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise click.ClickException(f"redis-server did not start on 127.0.0.1:{port}.") from None
            time.sleep(0.05)


def environments(hub_port: int, ports: list[int], queue: str, database: str, instance: str) -> list[dict]:
    """The hub's environment, then each phone process's (FESTIVAL_* settings)."""
    shared = {"FESTIVAL_MESSAGE_QUEUE": queue, "FESTIVAL_PHONE_PORTS": json.dumps(ports),
              "FESTIVAL_HUB_PORT": str(hub_port), "FESTIVAL_DATABASE": database,
              "FESTIVAL_INSTANCE_PATH": instance, "FESTIVAL_GC_TUNE": os.environ.get("FESTIVAL_GC_TUNE", "1")}
    # SERVED: background tasks of a served hub (the national push) run on the hub only
    return [{**shared, "FESTIVAL_NODE_ROLE": "hub", "FESTIVAL_SERVED": "true"}] + \
        [{**shared, "FESTIVAL_NODE_ROLE": "edge", "FESTIVAL_SERVED": "false"} for _ in ports]


def supervise(commands: list[tuple[list[str], dict]], extra: list[subprocess.Popen] = ()) -> int:
    """Run each (argv, env) as a child; return when all have stopped (the first one's exit code).

    SIGINT/SIGTERM stop them all; one stopping stops the others. ``extra``
    (the private Redis) is stopped last.
    """
    sys.stdout.flush()
    children = [subprocess.Popen(argv, env={**os.environ, **env}, preexec_fn=_die_with_parent)
                for argv, env in commands]
    stopping = []

    def stop(*_args) -> None:
        if not stopping:
            stopping.append(True)
            for child in children:
                if child.poll() is None:
                    child.terminate()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        while any(child.poll() is None for child in children):
            for child in children:
                if child.poll() is not None and not stopping:
                    code = child.returncode
                    click.echo(f"A festival process stopped (exit {child.returncode}): stopping the others.",
                               err=True)
                    stop()
            time.sleep(0.2)
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        for proc in extra:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
