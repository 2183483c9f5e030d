"""Starting the servers under test: the hub (gunicorn + eventlet, one worker;
gevent with ``python -m bench --async-mode gevent``),
the bare-insert baseline under the same gunicorn command, and the Node.js
socket.io reference. Loopback only."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from kiosk.ops.serving import WORKER_CLASSES as _ALL_WORKERS, raise_open_file_limit

from .procstat import children

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent

#: the hub's async modes a bench run can choose, and their gunicorn workers
WORKER_CLASSES = {mode: _ALL_WORKERS[mode] for mode in ("eventlet", "gevent")}
ASYNC_MODE = "eventlet"  # set by ``python -m bench --async-mode``


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on 127.0.0.1 with a log file and a known worker pid.

    ``kind`` is ``festival`` (the hub as an organiser starts it: ``festival
    serve``, with its access log, its gunicorn settings and only the
    environment given), ``hub`` (``kiosk:create_app()`` under the bench's own
    gunicorn command), ``baseline`` (``bench.baseline_app:create_app()``) or
    ``node`` (bench/reference/server.js; ``site`` is the folder of files it
    serves, bench/fanout.py's snapshot of the hub's play page).
    Raises RuntimeError when the server does not answer ``health_path`` in time.
    """

    def __init__(self, kind: str, workdir: Path, database: Path | None = None,
                 connections: int = 4000, env: dict | None = None, site: Path | None = None):
        self.kind = kind
        self.site = site
        self.workdir = Path(workdir)
        self.database = database
        self.connections = connections
        self.port = free_port()
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / f"{kind}-{self.port}.log"
        self.worker_pid: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> tuple[list[str], str]:
        if self.kind == "node":
            site = [str(self.site)] if self.site else []
            return ["node", str(BENCH / "reference" / "server.js"), str(self.port)] + site, "/healthz"
        if self.kind == "festival":
            return [sys.executable, "-c", "import sys; from kiosk.ops.commands import main; sys.exit(main())",
                    "serve", "--host", "127.0.0.1", "--port", str(self.port),
                    "--db", str(self.database), "--async-mode", ASYNC_MODE], "/healthz"
        target = "kiosk:create_app()" if self.kind == "hub" else "bench.baseline_app:create_app()"
        worker = WORKER_CLASSES[ASYNC_MODE] if self.kind == "hub" else "eventlet"
        cmd = [sys.executable, "-m", "gunicorn", "-k", worker, "-w", "1",
               "--bind", f"127.0.0.1:{self.port}", "--no-control-socket",
               "--graceful-timeout", "2", "--timeout", "120", "--backlog", "4096",
               "--worker-connections", str(self.connections), target]
        return cmd, "/healthz"

    def start(self, timeout: float = 30.0) -> "Server":
        raise_open_file_limit()
        env = dict(os.environ)
        env.update({
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
            "FESTIVAL_INSTANCE_PATH": str(self.workdir / "instance"),
            "FESTIVAL_ASYNC_MODE": ASYNC_MODE if self.kind == "hub" else "eventlet",
            "PYTHONWARNINGS": "ignore",
        })
        if self.kind == "festival":  # as an organiser's shell has it: no bench leftovers
            env = {k: v for k, v in env.items() if not k.startswith("FESTIVAL_") or k == "FESTIVAL_INSTANCE_PATH"}
        if self.database is not None:
            env["FESTIVAL_DATABASE"] = str(self.database)
            env["BENCH_DATABASE"] = str(self.database)
        env.update(self.extra_env)
        cmd, health = self._command()
        self.log = open(self.log_path, "ab")
        # The child inherits this process's raised RLIMIT_NOFILE.
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {self.tail()}")
            try:
                if requests.get(self.url + health, timeout=1).status_code == 200:
                    self.worker_pid = self._find_worker()
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not start: {self.tail()}")

    def _find_worker(self) -> int:
        """gunicorn's single worker is the master's child; node serves in its own process."""
        if self.kind == "node":
            return self.proc.pid
        for _ in range(50):
            kids = children(self.proc.pid)
            if kids:
                return kids[0]
            time.sleep(0.1)
        raise RuntimeError("gunicorn worker not found")

    def worker_connections(self) -> int | None:
        """gunicorn's ``--worker-connections`` as the running master was given it (None: not gunicorn)."""
        try:
            argv = Path(f"/proc/{self.proc.pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, AttributeError):
            return None
        for i, arg in enumerate(argv):
            if arg == "--worker-connections" and i + 1 < len(argv):
                return int(argv[i + 1])
            if arg.startswith("--worker-connections="):
                return int(arg.split("=", 1)[1])
        return 1000 if "gunicorn" in " ".join(argv) else None  # gunicorn's own default

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def errors_in_log(self) -> list[str]:
        """The exception line that ends each traceback in the log."""
        lines, out = self.tail(400_000).splitlines(), []
        for i, line in enumerate(lines):
            if "Traceback" in line:
                end = next((j for j in range(i + 1, len(lines)) if lines[j] and not lines[j][0].isspace()), None)
                out.append(lines[end][:300] if end is not None else line)
        return out

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        self.log.close()

    def __enter__(self) -> "Server":
        return self if self.proc is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
