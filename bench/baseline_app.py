"""The scan path's baseline: a bare Flask endpoint doing one SQLite insert.

Served by the same gunicorn command as the hub (eventlet, one worker) with
the hub's pragmas (WAL, synchronous=FULL) and one connection kept open, as
the hub keeps its request connections in a pool (one eventlet worker: its
greenlets never switch inside a SQLite call, so they can share it). Only
the database comes from the environment (``BENCH_DATABASE``).
"""
from __future__ import annotations

import os
import sqlite3
from datetime import datetime, timezone

from flask import Flask, jsonify, request


def _connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def create_app(database: str | None = None) -> Flask:
    """The baseline app: ``POST /scan`` stores ``{"id", "text"}``, ``GET /healthz``."""
    app = Flask(__name__)
    path = database or os.environ["BENCH_DATABASE"]
    conn = _connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS scans (id TEXT PRIMARY KEY, text TEXT, at TEXT)")
    conn.commit()

    @app.get("/healthz")
    def healthz():
        return "ok"

    @app.post("/scan")
    def scan():
        payload = request.get_json(silent=True) or {}
        with conn:
            conn.execute("INSERT OR IGNORE INTO scans (id, text, at) VALUES (?, ?, ?)",
                         [str(payload.get("id")), str(payload.get("text")),
                          datetime.now(timezone.utc).isoformat()])
        return jsonify({"ok": True, "result": "stored"})

    return app
