"""What machine and software a benchmark ran on (for the report's header)."""
from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = ("flask", "flask-socketio", "python-socketio", "python-engineio", "eventlet",
            "gunicorn", "sqlite-utils", "simple-websocket")
REFERENCE = Path(__file__).resolve().parent / "reference"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _node_version() -> str | None:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


def _socketio_node_version() -> str | None:
    pkg = REFERENCE / "node_modules" / "socket.io" / "package.json"
    if not pkg.exists():
        return None
    import json

    return json.loads(pkg.read_text()).get("version")


def describe() -> dict:
    """CPU, cores, RAM, OS, Python, SQLite, Node and the stack's package versions."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gib": _ram_gib(),
        "os": _os_name(),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "node": _node_version(),
        "socket.io (node)": _socketio_node_version(),
        "packages": versions,
        "load_average_at_start": list(os.getloadavg()),
    }
