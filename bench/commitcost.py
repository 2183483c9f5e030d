"""What one SQLite commit costs on this disk, with the hub's pragmas.

In WAL mode ``synchronous=FULL`` syncs the log on every commit; SQLite calls
are not cooperative under eventlet, so the single hub worker waits for that
sync with every other request and socket event queued behind it. Measured in
the run so the report can show how much of each figure is the disk.
"""
from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from .stats import percentile


def measure(directory: Path, commits: int = 200) -> dict:
    """Median and p95 milliseconds of one-row write transactions at FULL and NORMAL."""
    out = {}
    for sync in ("FULL", "NORMAL"):
        path = Path(directory) / f"commit-{sync}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={sync}")
            conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)")
            times = []
            for _ in range(commits):
                began = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("INSERT INTO t (v) VALUES ('scan')")
                conn.execute("COMMIT")
                times.append(time.perf_counter() - began)
        finally:
            conn.close()
        out[sync] = {"median_ms": round(percentile(times, 50) * 1000, 3),
                     "p95_ms": round(percentile(times, 95) * 1000, 3), "commits": commits}
    return out
