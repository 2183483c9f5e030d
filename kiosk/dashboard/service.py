"""The organiser's dashboard: what it shows, and the devices' status reports.

Numbers (:func:`dashboard_data`):

- *registered*: attendees not purged; *checked in*: with a live check-in;
- *in venue*: checked in **today** (local day of the hub). The desk records
  no exits, so "checked in minus left" cannot be known; a check-in from a
  previous day of a two-day festival does not count as present today;
- check-ins per 15 minutes over the last 12 hours (undone ones excluded);
- zone traffic (with each zone's names) and occupancy from :mod:`kiosk.zones.stats`;
- devices with last-seen time, online (seen in the last 90 s) and the
  offline queue length their pages report (``POST /api/devices/status``);
- quiz participation (self-paced rounds and live games, when those tables exist).

Live updates: pushed over ``/admin`` (admins only) at most every 2 s, and
only while an admin is watching. A push after a change (rather than polling
every 5 s) keeps the hub idle when nothing happens and shows a check-in
within 2 s; the snapshot is a few KB, to a handful of organisers.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.db import iso, now, transaction
from kiosk.signals import announce, device_reported
from kiosk.zones.stats import occupancy, traffic

ONLINE_WITHIN_S = 90
BUCKET_MINUTES = 15
HOURS_SHOWN = 12
MAX_QUEUE = 1_000_000

_sections: dict = {}


def register_section(name: str, builder) -> None:
    """Add a dashboard section: ``builder(db) -> JSON-able`` (e.g. games' quiz stats)."""
    _sections[name] = builder



def local_midnight_utc() -> str:
    """Today's start in the hub's local time, as UTC ISO text (comparable to stored stamps)."""
    local = datetime.now().astimezone()
    return iso(local.replace(hour=0, minute=0, second=0, microsecond=0))


def summary(db) -> dict:
    row = db.execute(
        "SELECT COUNT(*) AS registered, COUNT(checked_in_at) AS checked_in, "
        "SUM(checked_in_at >= ?) AS in_venue FROM attendees WHERE purged_at IS NULL",
        [local_midnight_utc()]).fetchone()
    return {"registered": row["registered"], "checked_in": row["checked_in"],
            "in_venue": row["in_venue"] or 0}


def checkins_per_bucket(db, hours: int = HOURS_SHOWN, minutes: int = BUCKET_MINUTES) -> list[dict]:
    """Check-ins (not undone) per ``minutes`` bucket over the last ``hours`` (index checkins_at)."""
    step = timedelta(minutes=minutes)
    end = datetime.now(timezone.utc)
    start = end - timedelta(hours=hours)
    start = start.replace(minute=start.minute - start.minute % minutes, second=0, microsecond=0)
    count = int((end - start) / step) + 1
    buckets = [0] * count
    for r in db.execute("SELECT at FROM checkins WHERE at >= ? AND undone_at IS NULL", [iso(start)]):
        try:
            at = datetime.fromisoformat(r["at"])
        except (TypeError, ValueError):  # a hand-edited stamp must not break the dashboard
            continue
        at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        index = int((at - start) / step)
        if 0 <= index < count:
            buckets[index] += 1
    return [{"start": iso(start + i * step), "count": n} for i, n in enumerate(buckets)]


def devices(db) -> list[dict]:
    cutoff = iso(datetime.now(timezone.utc) - timedelta(seconds=ONLINE_WITHIN_S))
    rows = db.execute(
        "SELECT id, name, role, zone_id, last_seen_at, queue_length FROM devices "
        "WHERE revoked_at IS NULL AND paired_at IS NOT NULL ORDER BY role, name")
    return [dict(r, online=bool(r["last_seen_at"] and r["last_seen_at"] >= cutoff)) for r in rows]


def _has_table(db, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None


def quiz_participation(db) -> dict:
    """Self-paced rounds and live games so far (zeros until the games tables exist)."""
    out = {"self_paced_players": 0, "self_paced_rounds": 0, "live_games": 0, "live_players": 0}
    if _has_table(db, "quiz_rounds"):
        row = db.execute("SELECT COUNT(DISTINCT attendee_id), COUNT(*) FROM quiz_rounds "
                         "WHERE finished_at IS NOT NULL").fetchone()
        out["self_paced_players"], out["self_paced_rounds"] = row[0], row[1]
    if _has_table(db, "games") and _has_table(db, "players"):
        out["live_games"] = db.execute("SELECT COUNT(*) FROM games").fetchone()[0]
        out["live_players"] = db.execute("SELECT COUNT(*) FROM players WHERE removed = 0").fetchone()[0]
    return out


def zone_traffic(db, zones: list[dict], since: str) -> list[dict]:
    """Visits per zone per 15 minutes (:func:`kiosk.zones.stats.traffic`), each
    row with its zone's names, so a chart never has to label a zone "#3"."""
    names = {z["zone_id"]: z for z in zones}
    out = []
    for row in traffic(db, since=since, bucket_minutes=BUCKET_MINUTES):
        zone = names.get(row["zone_id"], {})
        out.append({**row, "name_vi": zone.get("name_vi"), "name_en": zone.get("name_en")})
    return out


def dashboard_data(db) -> dict:
    """Everything the dashboard shows, as one JSON-able snapshot."""
    since = iso(datetime.now(timezone.utc) - timedelta(hours=HOURS_SHOWN))
    zones = occupancy(db)
    listed = devices(db)
    data = {"ok": True, "at": now(), "summary": summary(db), "checkins": checkins_per_bucket(db),
            "zone_traffic": zone_traffic(db, zones, since),
            "occupancy": zones, "devices": listed,
            "devices_offline": sum(1 for d in listed if not d["online"]),
            "quiz": quiz_participation(db)}
    for name, builder in _sections.items():
        data[name] = builder(db)
    return data


def report_status(db, device_id: int, queue_length: int, online: bool | None) -> None:
    """Store a device's offline queue length and mark it seen now (the dashboard shows it)."""
    with transaction(db):
        db.execute("UPDATE devices SET queue_length = ?, last_seen_at = ? WHERE id = ?",
                   [queue_length, now(), device_id])
        announce(db, device_reported, device_id=device_id)
