"""Helpers for zone and passport tests: fixed times, attendee rows and
races between kiosks on separate connections."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from kiosk.db import open_db


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


T0 = datetime(2025, 11, 8, 9, 0, tzinfo=timezone.utc)


def attendee_row(db, attendee_id: int) -> dict:
    return dict(db.execute("SELECT * FROM attendees WHERE id = ?", [attendee_id]).fetchone())


def race(path, jobs):
    """Run each job(db) in its own thread with its own connection, released together."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(i, job):
        conn = open_db(path, "NORMAL")
        try:
            barrier.wait(timeout=10)
            results[i] = job(conn)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            conn.conn.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    return results
