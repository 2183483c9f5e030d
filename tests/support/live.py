"""A real festival hub for tests: gunicorn with the eventlet worker on loopback."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import requests

from kiosk import create_app

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a server started with ``start_new_session=True`` and its workers: ``sig`` to its
    process group, SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


class LiveServer:
    """Start/stop/restart ``gunicorn -k eventlet -w 1 kiosk:create_app()``.

    The database and instance folder are the caller's, so a test can write
    through services and read results straight from the SQLite file.
    """

    def __init__(self, instance: Path, database: Path, port: int | None = None,
                 worker: str = "eventlet", env: dict | None = None,
                 extra_args: list[str] | None = None, https: bool = False, host: str = "127.0.0.1"):
        self.instance = Path(instance)
        self.database = Path(database)
        self.port = port or free_port()
        self.worker = worker
        self.extra_env = env or {}
        # e.g. ["--certfile", …, "--keyfile", …] with https=True (tests/server/test_tls.py)
        self.extra_args = list(extra_args or [])
        self.https = https
        self.host = host  # 0.0.0.0: the whole LAN, as festival serve does; tests still use 127.0.0.1
        self.proc: subprocess.Popen | None = None
        self.log_path = self.instance / f"gunicorn-{self.port}.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> "LiveServer":
        env = dict(os.environ)
        env.update({
            "FESTIVAL_INSTANCE_PATH": str(self.instance),
            "FESTIVAL_DATABASE": str(self.database),
            "FESTIVAL_ASYNC_MODE": "threading" if self.worker == "gthread" else self.worker,
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
            "FESTIVAL_LISTEN_HOST": self.host,  # what festival serve tells the worker
        })
        env.update(self.extra_env)
        cmd = [sys.executable, "-m", "gunicorn", "-k", self.worker, "-w", "1",
               "--bind", f"{self.host}:{self.port}", "--no-control-socket",
               "--graceful-timeout", "2", "--timeout", "60",
               "--worker-connections", "3000", "kiosk:create_app()"]
        if self.worker == "gthread":
            cmd += ["--threads", "50"]
        cmd[cmd.index("kiosk:create_app()"):cmd.index("kiosk:create_app()")] = self.extra_args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                with warnings.catch_warnings():
                    # https=True: the test's own CA is checked by the test, not here
                    warnings.simplefilter("ignore")
                    ok = requests.get(self.url + "/healthz", timeout=1, verify=False).status_code == 200
                if ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None:
            return
        stop_group(self.proc, sig)
        self.proc = None
        self.log.close()

    def kill(self) -> None:
        """Crash the hub: SIGKILL, no chance to flush or clean up."""
        self.stop(signal.SIGKILL)

    def restart(self) -> "LiveServer":
        self.stop()
        return self.start()

    def errors_in_log(self) -> list[str]:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or "ERROR" in line]


def start_hub(base: Path, host: str = "127.0.0.1") -> LiveServer:
    """A fresh festival (migrated) in ``base``, served by a started :class:`LiveServer`."""
    instance, database = base / "instance", base / "hub.db"
    instance.mkdir()
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database),
                "ASYNC_MODE": "threading"})  # runs the migrations; the server opens the same file
    return LiveServer(instance, database, host=host).start()
