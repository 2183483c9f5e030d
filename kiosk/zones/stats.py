"""Zone traffic and occupancy for the organisers' dashboard.

Both read only index ranges of ``visits`` (``visits_zone_at`` on
(zone_id, at)), one range per zone, so a call costs the recent visits of the
active zones, never a scan of the whole table.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.db import iso, parse_time

# With exit scans, entries this far back still count as "maybe inside".
EXIT_WINDOW = timedelta(hours=4)
DEFAULT_TRAFFIC_WINDOW = timedelta(hours=12)



def _at(stamp: str | None) -> datetime:
    return parse_time(stamp) if stamp else datetime.now(timezone.utc)


def traffic(db, since: str | None = None, bucket_minutes: int = 15) -> list[dict]:
    """Visits per active zone per time bucket since ``since`` (ISO UTC text;
    default the last 12 hours), oldest bucket first.

    Returns ``[{zone_id, bucket_start, visits}]`` with ``bucket_start`` as
    ISO UTC text; only buckets with visits appear. A visit is an awarded
    entry (``enter``); repeats inside the cooldown and exits are not new
    visits. Raises ValueError for a bucket size outside 1..1440 minutes.
    """
    if not isinstance(bucket_minutes, int) or not 1 <= bucket_minutes <= 1440:
        raise ValueError("bucket_minutes must be 1..1440")
    start = since or iso(datetime.now(timezone.utc) - DEFAULT_TRAFFIC_WINDOW)
    width = bucket_minutes * 60
    out = []
    for zone in db.execute("SELECT id FROM zones WHERE active ORDER BY sort, id").fetchall():
        rows = db.execute(
            "SELECT (CAST(strftime('%s', at) AS INTEGER) / ?) * ? AS bucket, COUNT(*) AS n "
            "FROM visits WHERE zone_id = ? AND at >= ? AND kind = 'enter' "
            "GROUP BY bucket ORDER BY bucket", [width, width, zone["id"], start]).fetchall()
        for row in rows:
            bucket = datetime.fromtimestamp(row["bucket"], timezone.utc)
            out.append({"zone_id": zone["id"], "bucket_start": iso(bucket), "visits": row["n"]})
    out.sort(key=lambda r: (r["bucket_start"], r["zone_id"]))
    return out


# Who is inside: people whose latest entry in the window has no later exit.
INSIDE = ("SELECT attendee_id, MAX(CASE WHEN kind != 'exit' THEN at END) AS last_in, "
          "MAX(CASE WHEN kind = 'exit' THEN at END) AS last_out "
          "FROM visits WHERE zone_id = ? AND at >= ? AND at <= ? GROUP BY attendee_id")
IS_INSIDE = "last_in IS NOT NULL AND (last_out IS NULL OR last_out < last_in)"


def inside_window(db, zone: dict, at: str | None = None) -> list:
    """The query parameters of :data:`INSIDE` for ``zone`` at ``at`` (default now).

    When the zone has exit scans in the last 4 hours, the window is those 4
    hours; otherwise it is the zone's dwell time.
    """
    moment = _at(at)
    has_exits = db.execute(
        "SELECT 1 FROM visits WHERE zone_id = ? AND at >= ? AND at <= ? AND kind = 'exit' LIMIT 1",
        [zone["id"], iso(moment - EXIT_WINDOW), iso(moment)]).fetchone() is not None
    window = EXIT_WINDOW if has_exits else timedelta(seconds=max(zone["dwell_s"], 0))
    return [zone["id"], iso(moment - window), iso(moment)]


def occupancy_of(db, zone: dict, at: str | None = None) -> int:
    """Estimated people inside one zone at ``at`` (default now) (:func:`inside_window`)."""
    return db.execute(f"SELECT COUNT(*) FROM ({INSIDE}) WHERE {IS_INSIDE}", inside_window(db, zone, at)).fetchone()[0]


def occupancy(db, at: str | None = None) -> list[dict]:
    """``[{zone_id, name_vi, name_en, inside, capacity}]`` for every active zone."""
    zones = db.execute("SELECT * FROM zones WHERE active ORDER BY sort, id").fetchall()
    return [{"zone_id": z["id"], "name_vi": z["name_vi"], "name_en": z["name_en"],
             "inside": occupancy_of(db, dict(z), at), "capacity": z["capacity"]} for z in zones]
