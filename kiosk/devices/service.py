"""Paired devices: an admin creates one with a role, the device opens a
one-time pairing link (valid 10 minutes) and from then on acts in that role
with a long-lived credential. Revoking locks it out at once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.audit import audit
from kiosk.auth import ROLES, hash_secret, new_secret
from kiosk.db import iso, now, transaction
from kiosk.errors import ServiceError
from kiosk.signals import announce, device_revoked
from kiosk.text import clean

# Pairing links work 10 minutes; a printed sheet may ask for longer, up to a day.
DEFAULT_TTL_S = 600
MAX_VALID_HOURS = 24
MAX_BATCH = 200

# What each role is called on the pairing page and the printed sheet.
ROLE_NAMES = {"desk": "Check-in desk", "zone": "Zone kiosk", "stage": "Stage screen",
              "host": "Game host", "admin": "Organiser"}


def create_device(db, name: str, role: str, zone_id: int | None, by: str, ttl_s: int = 600):
    """Create a device and return (device_id, one-time pairing code).

    Raises ServiceError ``bad_role``, ``bad_name`` or ``zone_required``.
    """
    name = clean(name)
    if role not in ROLES:
        raise ServiceError("bad_role", "Unknown role.")
    if not name or len(name) > 60:
        raise ServiceError("bad_name", "A device name of 1 to 60 characters is needed.")
    if role == "zone":
        if zone_id is None or db.execute("SELECT 1 FROM zones WHERE id = ?", [zone_id]).fetchone() is None:
            raise ServiceError("zone_required", "A zone kiosk needs a zone.")
    else:
        zone_id = None
    code = new_secret()
    expires = iso(datetime.now(timezone.utc) + timedelta(seconds=ttl_s))
    with transaction(db):
        cur = db.execute(
            "INSERT INTO devices (name, role, zone_id, pairing_hash, pairing_expires_at, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [name, role, zone_id, hash_secret(code), expires, by, now()],
        )
        audit(db, by, "device.create", f"device:{cur.lastrowid}", f"{role} {name}")
    return cur.lastrowid, code


def new_pairing_code(db, device_id: int, by: str, ttl_s: int = 600) -> str:
    """Issue a fresh pairing link for an existing device (re-pair a wiped browser)."""
    code = new_secret()
    expires = iso(datetime.now(timezone.utc) + timedelta(seconds=ttl_s))
    with transaction(db):
        cur = db.execute(
            "UPDATE devices SET pairing_hash = ?, pairing_expires_at = ?, revoked_at = NULL "
            "WHERE id = ?", [hash_secret(code), expires, device_id])
        if cur.rowcount == 0:
            raise ServiceError("unknown_device", "No such device.", status=404)
        audit(db, by, "device.repair", f"device:{device_id}")
    return code


def pair_device(db, code: str) -> tuple[int, str, str]:
    """Consume a pairing code; return (device_id, role, new credential).

    Raises ServiceError ``pairing_invalid`` (unknown, used or expired: one
    message, so the link reveals nothing).
    """
    credential = new_secret()
    with transaction(db):
        row = db.execute(
            "SELECT id, role, pairing_expires_at FROM devices WHERE pairing_hash = ?",
            [hash_secret(code)],
        ).fetchone()
        if row is None or row["pairing_expires_at"] < now():
            raise ServiceError(
                "pairing_invalid",
                "This pairing link is invalid, already used or expired. Ask an organiser for a new one.",
                status=403,
            )
        db.execute(
            "UPDATE devices SET credential_hash = ?, pairing_hash = NULL, pairing_expires_at = NULL, "
            "paired_at = ?, last_seen_at = ?, revoked_at = NULL WHERE id = ?",
            [hash_secret(credential), now(), now(), row["id"]],
        )
        audit(db, f"device:{row['id']}", "device.pair", f"device:{row['id']}")
    return row["id"], row["role"], credential


def revoke_device(db, device_id: int, by: str) -> None:
    """Lock a device out at once: its credential stops working on the next request,
    and its open sockets are disconnected (``device_revoked``, after the commit)."""
    with transaction(db):
        cur = db.execute(
            "UPDATE devices SET revoked_at = ?, credential_hash = NULL, pairing_hash = NULL "
            "WHERE id = ?", [now(), device_id])
        if cur.rowcount == 0:
            raise ServiceError("unknown_device", "No such device.", status=404)
        audit(db, by, "device.revoke", f"device:{device_id}")
        announce(db, device_revoked, device_id=device_id)


def list_devices(db) -> list[dict]:
    return list(db.query(
        "SELECT d.id, d.name, d.role, d.zone_id, z.name_vi AS zone_vi, z.name_en AS zone_en, "
        "d.paired_at, d.revoked_at, d.last_seen_at, d.queue_length, d.pairing_expires_at "
        "FROM devices d LEFT JOIN zones z ON z.id = d.zone_id ORDER BY d.role, d.name"))


def pairing_ttl(valid_hours) -> int:
    """Seconds a pairing link lives: 10 minutes by default, else 1..24 whole hours.

    Raises ServiceError ``bad_validity``.
    """
    if valid_hours in (None, ""):
        return DEFAULT_TTL_S
    try:
        hours = int(valid_hours)
    except (TypeError, ValueError):
        hours = 0
    if isinstance(valid_hours, bool) or not 1 <= hours <= MAX_VALID_HOURS:
        raise ServiceError("bad_validity", "A pairing link can be valid for 1 to %(n)s hours.",
                           n=MAX_VALID_HOURS)
    return hours * 3600


def create_devices(db, name: str, role: str, zone_id: int | None, by: str, count: int = 1,
                   ttl_s: int = DEFAULT_TTL_S) -> list[tuple[int, str]]:
    """Create ``count`` devices in one transaction: "NAME" alone, or "NAME 1" … "NAME N".

    Returns [(device_id, pairing code)]. Raises ServiceError ``bad_count`` and
    those of :func:`create_device` (then none is created).
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise ServiceError("bad_count", "Create 1 to %(n)s devices at a time.", n=MAX_BATCH)
    name = clean(name)
    width = len(str(count))
    names = [name] if count == 1 else [f"{name} {i:0{width}d}" for i in range(1, count + 1)]
    with transaction(db):
        return [create_device(db, each, role, zone_id, by, ttl_s) for each in names]


def pairing_preview(db, code: str) -> dict | None:
    """The device a pairing link would pair, without consuming it (GET of the
    pairing page): ``{id, name, role, zone_vi, zone_en, expires_at}``, or None
    for an unknown, used or expired link."""
    row = db.execute(
        "SELECT d.id, d.name, d.role, d.pairing_expires_at AS expires_at, z.name_vi AS zone_vi, "
        "z.name_en AS zone_en FROM devices d LEFT JOIN zones z ON z.id = d.zone_id "
        "WHERE d.pairing_hash = ?", [hash_secret(code)]).fetchone()
    if row is None or row["expires_at"] < now():
        return None
    return dict(row)


def find_zone(db, ref: str | int | None) -> int | None:
    """A zone id from its id or slug (CLI ``--zone``). Raises ServiceError ``zone_required``."""
    if ref in (None, ""):
        return None
    text = str(ref).strip()
    row = db.execute("SELECT id FROM zones WHERE slug = ? OR (? GLOB '[0-9]*' AND id = CAST(? AS INTEGER))",
                     [text, text, text]).fetchone()
    if row is None:
        raise ServiceError("zone_required", "A zone kiosk needs a zone.")
    return row["id"]


def sheet_rows(db, created: list[tuple[int, str]], link) -> list[dict]:
    """Rows of a printable pairing sheet: each device's name, role, zone, link and expiry.

    ``link(code)`` makes the absolute pairing URL.
    """
    rows = []
    for device_id, code in created:
        device = db.execute(
            "SELECT d.id, d.name, d.role, d.pairing_expires_at AS expires_at, z.name_vi AS zone_vi, "
            "z.name_en AS zone_en FROM devices d LEFT JOIN zones z ON z.id = d.zone_id WHERE d.id = ?",
            [device_id]).fetchone()
        rows.append({**dict(device), "url": link(code)})
    return rows
