"""Zones, zone visits, the passport and its rewards.

Contract used by checkin.scanning:
- ``visit(db, attendee: dict, zone_id, scan_id, by) -> dict``: inside the
  caller's transaction, log a visit, apply the cooldown, award points via
  the ledger, unlock passport rewards; returns a scan answer
  (``result``, ``level``, ``message_vi``, ``message_en``, ``points_awarded`` …).
- ``unclaimed_rewards(db, attendee_id) -> list[dict]``: rewards unlocked and
  not yet collected at a desk.

Why two kiosks at one zone never award twice: the caller runs ``visit``
inside ``BEGIN IMMEDIATE`` (``kiosk.db.transaction``), which serialises
writers, so the cooldown check and the award see each other's committed
visits. As a second guard the ledger reference is the *ordinal* of the
award ("zone 3, attendee 17, 2nd award"), not the scan id: two scans that
somehow both passed the cooldown check would compute the same reference and
the ledger's UNIQUE (source, reference) keeps only one.

Capacity: a full zone still logs the visit and awards its points (the
attendee is already standing there; refusing them helps nobody) but the
answer says ``zone_full: true`` so the kiosk can show staff a warning.
"""
from __future__ import annotations

import math

from kiosk.audit import audit
from kiosk.db import get_db, now, parse_time, transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.i18n import both
from kiosk.points import award, total_points
from kiosk.signals import announce, reward_changed, zone_visited
from kiosk.validation import is_int
from .stats import occupancy_of

KINDS = ("zone", "vr_ar", "workshop", "stage", "booth", "quiz")


def get_zone(db, zone_id: int, active_only: bool = True) -> dict:
    """One zone as a dict. Raises NotFound ``unknown_zone`` (also for a closed zone)."""
    row = db.execute("SELECT * FROM zones WHERE id = ?", [zone_id]).fetchone()
    if row is None or (active_only and not row["active"]):
        raise NotFound("unknown_zone", "This zone does not exist or is closed.")
    return dict(row)


def _seconds_between(earlier: str, later: str) -> float:
    return (parse_time(later) - parse_time(earlier)).total_seconds()


def display_name(attendee: dict) -> str | None:
    """The nickname a public kiosk screen may show, or None without public consent."""
    if attendee.get("consent_public") and not attendee.get("nickname_hidden"):
        return attendee.get("nickname")
    return None


def visit(db, attendee: dict, zone_id: int, scan_id: str, by: str, at: str | None = None) -> dict:
    """Log a zone visit and answer the scan (joins the caller's transaction).

    A scan inside the zone's cooldown after the last awarded visit is logged
    as a ``repeat`` worth nothing (answer ``already_visited``, yellow, with
    the minutes left); otherwise an ``enter`` visit earns the zone's points
    and may unlock passport rewards. ``at`` overrides the clock (tests).
    Raises NotFound ``unknown_zone`` for a missing or closed zone.
    """
    stamp = at or now()
    with transaction(db):
        zone = get_zone(db, zone_id)
        last = db.execute(
            "SELECT at FROM visits WHERE attendee_id = ? AND zone_id = ? AND kind = 'enter' "
            "ORDER BY at DESC LIMIT 1", [attendee["id"], zone_id]).fetchone()
        wait_s = zone["cooldown_s"] - _seconds_between(last["at"], stamp) if last else 0
        if wait_s > 0:
            db.execute("INSERT INTO visits (attendee_id, zone_id, scan_id, kind, points, at) "
                       "VALUES (?, ?, ?, 'repeat', 0, ?)", [attendee["id"], zone_id, scan_id, stamp])
            body = _answer("already_visited", "yellow", zone,
                           "Already visited — come back in %(minutes)s min for more points.",
                           minutes=max(1, math.ceil(wait_s / 60)))
            body.update(points_awarded=0, total_points=total_points(db, attendee["id"]),
                        next_award_in_s=math.ceil(wait_s), rewards_unlocked=[])
        else:
            body = _award_visit(db, attendee, zone, scan_id, stamp)
        body["passport"] = passport(db, attendee["id"])
        if body["result"] == "zone_visit":
            body["rewards_unlocked"] = unlock_rewards(db, attendee["id"], body["passport"], stamp)
        body["display_name"] = display_name(attendee)
        body["auto_checked_in"] = attendee.get("checked_in_at") is None
        inside = occupancy_of(db, zone, stamp)
        body["occupancy"] = inside
        body["zone_full"] = zone["capacity"] is not None and inside > zone["capacity"]
        announce(db, zone_visited, zone_id=zone_id, attendee_id=attendee["id"])
    return body


def _award_visit(db, attendee: dict, zone: dict, scan_id: str, stamp: str) -> dict:
    """Log an ``enter`` visit and award its points under an ordinal ledger reference."""
    ordinal = db.execute(
        "SELECT COUNT(*) FROM visits WHERE attendee_id = ? AND zone_id = ? AND kind = 'enter'",
        [attendee["id"], zone["id"]]).fetchone()[0] + 1
    points = zone["points"]
    if points:
        result = award(db, attendee["id"], points, "zone", f"{zone['id']}:{attendee['id']}:{ordinal}",
                       reason=f"scan:{scan_id}")
        given, total = (result.points if result.awarded else 0), result.total
    else:
        given, total = 0, total_points(db, attendee["id"])
    db.execute("INSERT INTO visits (attendee_id, zone_id, scan_id, kind, points, at) "
               "VALUES (?, ?, ?, 'enter', ?, ?)", [attendee["id"], zone["id"], scan_id, given, stamp])
    if given:
        body = _answer("zone_visit", "green", zone, "Welcome to %(zone)s! +%(points)s points.",
                       points=given)
    else:
        body = _answer("zone_visit", "green", zone, "Welcome to %(zone)s! Your visit is recorded.")
    body.update(points_awarded=given, total_points=total)
    return body


def _answer(result: str, level: str, zone: dict, message: str, **params) -> dict:
    """A scan answer with the message in both languages (zone name in each)."""
    vi = both(message, zone=zone["name_vi"], **params)["vi"]
    en = both(message, zone=zone["name_en"], **params)["en"]
    return {"ok": True, "result": result, "level": level, "message_vi": vi, "message_en": en,
            "zone": {"id": zone["id"], "name_vi": zone["name_vi"], "name_en": zone["name_en"]},
            **({"minutes": params["minutes"]} if "minutes" in params else {})}


# --- passport -----------------------------------------------------------------

def passport(db, attendee_id: int) -> dict:
    """Passport progress: ``{visited, total, zones: [{id, name_vi, name_en, kind, visited}]}``
    over the active zones (distinct zones visited, in display order)."""
    rows = db.execute(
        "SELECT z.id, z.name_vi, z.name_en, z.kind, "
        "EXISTS (SELECT 1 FROM visits v WHERE v.attendee_id = ? AND v.zone_id = z.id "
        "AND v.kind = 'enter') AS visited "
        "FROM zones z WHERE z.active ORDER BY z.sort, z.id", [attendee_id]).fetchall()
    zones = [dict(r, visited=bool(r["visited"])) for r in rows]
    return {"visited": sum(z["visited"] for z in zones), "total": len(zones), "zones": zones}


def rule_met(rule: dict, progress: dict) -> bool:
    """Whether a passport rule holds for this progress.

    'count': at least N distinct active zones; 'kind': every active zone of
    the kind (and there is at least one).
    """
    if rule["rule"] == "count":
        return bool(rule["count"]) and progress["visited"] >= rule["count"]
    of_kind = [z for z in progress["zones"] if z["kind"] == rule["zone_kind"]]
    return bool(of_kind) and all(z["visited"] for z in of_kind)


def unlock_rewards(db, attendee_id: int, progress: dict, stamp: str) -> list[dict]:
    """Unlock every active rule now met and not unlocked before; return the new ones.

    INSERT … ON CONFLICT DO NOTHING on UNIQUE(attendee_id, rule_id): a reward
    is unlocked exactly once however many kiosks race.
    """
    rules = db.execute(
        "SELECT * FROM passport_rules WHERE active AND id NOT IN "
        "(SELECT rule_id FROM rewards WHERE attendee_id = ?) ORDER BY id", [attendee_id]).fetchall()
    unlocked = []
    for rule in map(dict, rules):
        if not rule_met(rule, progress):
            continue
        cur = db.execute("INSERT INTO rewards (attendee_id, rule_id, unlocked_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (attendee_id, rule_id) DO NOTHING", [attendee_id, rule["id"], stamp])
        if cur.rowcount == 1:
            announce(db, reward_changed, attendee_id=attendee_id, rule_id=rule["id"], claimed=False)
            texts_vi = both("Reward unlocked: %(reward)s! Collect it at the check-in desk.",
                            reward=rule["reward_vi"])["vi"]
            texts_en = both("Reward unlocked: %(reward)s! Collect it at the check-in desk.",
                            reward=rule["reward_en"])["en"]
            unlocked.append({"id": cur.lastrowid, "rule_id": rule["id"], "name_vi": rule["name_vi"],
                             "name_en": rule["name_en"], "reward_vi": rule["reward_vi"],
                             "reward_en": rule["reward_en"], "message_vi": texts_vi,
                             "message_en": texts_en})
    return unlocked


def rewards_of(db, attendee_id: int, unclaimed_only: bool = False) -> list[dict]:
    """An attendee's rewards with their rule's names and reward texts, oldest first."""
    sql = ("SELECT r.id, r.rule_id, r.unlocked_at, r.claimed_at, p.name_vi, p.name_en, p.reward_vi, "
           "p.reward_en FROM rewards r JOIN passport_rules p ON p.id = r.rule_id WHERE r.attendee_id = ?")
    if unclaimed_only:
        sql += " AND r.claimed_at IS NULL"
    return [dict(r) for r in db.execute(sql + " ORDER BY r.unlocked_at, r.id", [attendee_id])]


def unclaimed_rewards(db, attendee_id: int) -> list[dict]:
    """Rewards unlocked and not yet collected at a desk (for the desk's scan answer)."""
    return rewards_of(db, attendee_id, unclaimed_only=True)


def claim_reward(db, reward_id: int, by: str) -> dict:
    """Mark a reward collected, exactly once, with an audit row.

    Raises NotFound ``unknown_reward``; ServiceError ``reward_already_claimed``
    (409) when it was collected before (two desks racing: one wins).
    """
    stamp = now()
    with transaction(db):
        cur = db.execute("UPDATE rewards SET claimed_at = ?, claimed_by = ? "
                         "WHERE id = ? AND claimed_at IS NULL", [stamp, by, reward_id])
        row = db.execute("SELECT attendee_id, rule_id, claimed_at FROM rewards WHERE id = ?",
                         [reward_id]).fetchone()
        if row is None:
            raise NotFound("unknown_reward", "No such reward.")
        if cur.rowcount == 0:
            err = ServiceError("reward_already_claimed", "This reward was already collected.", status=409)
            err.extra["claimed_at"] = row["claimed_at"]
            raise err
        audit(db, by, "reward.claim", f"reward:{reward_id}", f"attendee:{row['attendee_id']}")
        announce(db, reward_changed, attendee_id=row["attendee_id"], rule_id=row["rule_id"], claimed=True)
    return {"id": reward_id, "attendee_id": row["attendee_id"], "rule_id": row["rule_id"],
            "claimed_at": stamp}


def passport_for(attendee_id) -> dict | None:
    """Jinja global for the phone page: points, passport and rewards of one
    attendee (nothing private), or None for a bad id."""
    if not is_int(attendee_id, 1):
        return None
    db = get_db()
    return {"points": total_points(db, attendee_id), "passport": passport(db, attendee_id),
            "rewards": rewards_of(db, attendee_id)}
