"""Paired devices: an admin creates one with a role, the device opens a
one-time pairing link (valid 10 minutes) and from then on acts in that role
with a long-lived credential. Revoking locks it out at once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.audit import audit
from kiosk.auth import ROLES, hash_secret, new_secret
from kiosk.db import now, transaction
from kiosk.errors import ServiceError
from kiosk.text import clean

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
    expires = (datetime.now(timezone.utc) + timedelta(seconds=ttl_s)).isoformat(timespec="milliseconds")
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
    expires = (datetime.now(timezone.utc) + timedelta(seconds=ttl_s)).isoformat(timespec="milliseconds")
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
    """Lock a device out at once: its credential stops working on the next request."""
    with transaction(db):
        cur = db.execute(
            "UPDATE devices SET revoked_at = ?, credential_hash = NULL, pairing_hash = NULL "
            "WHERE id = ?", [now(), device_id])
        if cur.rowcount == 0:
            raise ServiceError("unknown_device", "No such device.", status=404)
        audit(db, by, "device.revoke", f"device:{device_id}")


def list_devices(db) -> list[dict]:
    return list(db.query(
        "SELECT d.id, d.name, d.role, d.zone_id, z.name_vi AS zone_vi, z.name_en AS zone_en, "
        "d.paired_at, d.revoked_at, d.last_seen_at, d.queue_length, d.pairing_expires_at "
        "FROM devices d LEFT JOIN zones z ON z.id = d.zone_id ORDER BY d.role, d.name"))
