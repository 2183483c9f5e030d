"""Idempotent scans: every scan carries a client-generated id, stored with a
unique key, so a retry, a double tap or an offline replay is answered from
the stored first answer and never counted twice."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from .db import iso, now, transaction
from .errors import ServiceError

SCAN_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_SCANNED_TEXT = 512


@dataclass
class ScanRequest:
    id: str
    text: str
    client_time: str | None
    station: str | None


def parse_scan(payload) -> ScanRequest:
    """Validate a scan payload ``{"id", "text", "client_time"?, "station"?}``.

    Raises ServiceError ``bad_scan`` naming the field at fault.
    """
    if not isinstance(payload, dict):
        raise ServiceError("bad_scan", "A scan must be a JSON object.")
    scan_id = payload.get("id")
    if not isinstance(scan_id, str) or not SCAN_ID.match(scan_id):
        raise ServiceError("bad_scan", "The scan needs an id of 8 to 64 letters, digits, - or _.")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ServiceError("bad_scan", "The scan has no badge text.")
    if len(text) > MAX_SCANNED_TEXT:
        raise ServiceError("bad_scan", "The scanned text is too long to be a badge.")
    client_time = payload.get("client_time")
    if client_time is not None:
        client_time = _parse_client_time(client_time)
    station = payload.get("station")
    if station is not None and (not isinstance(station, str) or len(station) > 60):
        raise ServiceError("bad_scan", "The station name is too long.")
    return ScanRequest(scan_id, text, client_time, station)


def _parse_client_time(value) -> str:
    """Client time is kept for the record (offline replays happen later) but
    never trusted for anything that matters."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            stamp = datetime.fromtimestamp(value / 1000, timezone.utc)
        elif isinstance(value, str) and len(value) <= 40:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=timezone.utc)
        else:
            raise ValueError
    except (ValueError, OverflowError, OSError):
        raise ServiceError("bad_scan", "The scan's client time is not a valid time.") from None
    return iso(stamp)


def stored_answer(db, scan_id: str, device_id: int | None) -> dict | None:
    """The first answer to this scan id, or None when the id is new.

    Raises ServiceError ``scan_id_conflict`` when another device used the id
    (an id is only a retry from the device that made it).
    """
    row = db.execute("SELECT device_id, response FROM scans WHERE id = ?", [scan_id]).fetchone()
    if row is None:
        return None
    if row["device_id"] != device_id:
        raise ServiceError("scan_id_conflict", "This scan id was already used by another device.", status=409)
    answer = json.loads(row["response"])
    answer["replayed"] = True
    return answer


def record_scan(db, scan: ScanRequest, device_id: int | None, kind: str, zone_id: int | None,
                attendee_id: int | None, answer: dict) -> None:
    """Store the scan and its answer (call in the same transaction as its effects)."""
    db.execute(
        "INSERT INTO scans (id, device_id, station, kind, zone_id, scanned_text, attendee_id, result, "
        "response, client_time, server_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [scan.id, device_id, scan.station, kind, zone_id, scan.text[:MAX_SCANNED_TEXT], attendee_id,
         answer["result"], json.dumps(answer, ensure_ascii=False), scan.client_time, now()],
    )


def run_scan(db, scan: ScanRequest, device_id: int | None, kind: str, zone_id: int | None, handler):
    """Answer a scan exactly once.

    ``handler(db) -> (attendee_id, answer)`` does the work inside one write
    transaction together with storing the answer; a repeat of the id returns
    the stored answer. Returns ``(answer, is_new)``.
    """
    with transaction(db):
        previous = stored_answer(db, scan.id, device_id)
        if previous is not None:
            return previous, False
        attendee_id, answer = handler(db)
        answer.setdefault("scan_id", scan.id)
        record_scan(db, scan, device_id, kind, zone_id, attendee_id, answer)
    return answer, True
