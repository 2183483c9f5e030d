"""Can the hub still write? A probe for /healthz and the dashboard.

A full disk (or a folder gone read-only) makes every scan fail with a 500
while reads still work, so "the database answers SELECT 1" is not health.
At most every ``WRITE_PROBE_SECONDS`` (5 s by default) the hub writes,
fsyncs and removes a small file beside the festival file, and opens a write
transaction on the database; the answer is kept until the next probe, so
devices polling /healthz cost no writes.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from .db import transaction

PROBE_NAME = ".festival-write-probe"
PROBE_BYTES = b"\0" * 4096  # a page: a full disk refuses it
DEFAULT_EVERY_S = 5


def _probe(app, db) -> str | None:
    """None when a write works, else why not (one line)."""
    path = Path(app.config["DATABASE"]).parent / PROBE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
        path.unlink(missing_ok=True)
    except OSError as exc:
        return f"cannot write beside the festival file ({path.parent}): {exc.strerror or exc}"
    try:
        with transaction(db):  # BEGIN IMMEDIATE: the write lock, as a scan takes it
            db.execute("INSERT INTO settings (key, value) VALUES ('write_probe', '1') "
                       "ON CONFLICT(key) DO NOTHING")
    except Exception as exc:  # noqa: BLE001 - any database error means "cannot write"
        return f"cannot write to the festival database: {exc}"
    return None


def write_status(app, db) -> dict:
    """``{"writable": bool, "reason": str | None}``, probed at most every
    ``WRITE_PROBE_SECONDS``."""
    state = app.extensions.setdefault("festival_write_probe", {"at": None, "reason": None})
    every = float(app.config.get("WRITE_PROBE_SECONDS") or DEFAULT_EVERY_S)
    moment = time.monotonic()
    if state["at"] is None or moment - state["at"] >= every:
        state["reason"] = _probe(app, db)
        state["at"] = moment
    return {"writable": state["reason"] is None, "reason": state["reason"]}
