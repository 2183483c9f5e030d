"""Who this hub is, for devices that fail over to a standby.

A device keeps the scans a hub acknowledged in the last minutes and sends
them again to "a hub it has not seen before". So a hub's identity must
change whenever the file it serves might lack something a device was told
is stored, and only then:

- the same hub restarted on the same file (a crash, a reboot): nothing
  acknowledged is lost (every acknowledged write is committed with
  ``synchronous=FULL``), so the identity stays the same;
- a standby serving a copy restored from the replica or from a backup may
  lack the last second(s): ``festival takeover`` and ``festival restore``
  call :func:`new_generation`, so the identity changes;
- a file copied by hand to another laptop: the instance folder's own id
  differs, so the identity changes too.

A standby proves it belongs to this festival before a device sends it its
credential or a scan: the festival's standby key (random, in the database's
``settings``, so it travels with the replica and with backups to the standby
that takes over) gives each device its own key, HMAC(standby key,
"device:<id>"), which the hub puts on the device's page. A device asks a
standby ``/healthz?challenge=<random>&device=<id>`` and follows it only when
the answer's ``proof`` is HMAC(device key, "<challenge>|<hub identity>"):
an address that answers with any hub id but no such proof gets nothing. A
stolen kiosk knows only its own key.

identity = ``<instance id>-<generation>``: a random id kept in the instance
folder (``hub_id``, made once per install) and a random generation kept in
the database's ``settings`` table (replaced by takeover and restore). The
identity is computed once per process and travels in the ``X-Festival-Hub``
header of every API answer and in ``/healthz``.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from .db import app_connection, transaction
from .security import CSP

GENERATION_KEY = "hub_generation"
STANDBY_KEY = "standby_key"
CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
HEADER = "X-Festival-Hub"
# What a device may call on a hub that is not the origin of its page (a
# standby): it authenticates with its bearer credential, never a cookie.
FAILOVER_PATHS = ("/api/scans", "/healthz", "/api/devices/status")


def instance_id(instance_path: str) -> str:
    """This install's random id (``instance/hub_id``), created once."""
    path = Path(instance_path) / "hub_id"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        value = secrets.token_hex(4)
        try:  # O_EXCL: two processes starting at once must agree on one id
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(value)
        return value


def generation(db) -> str:
    """The database's generation, created on first use."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [GENERATION_KEY]).fetchone()
    if row and row[0]:
        return row[0]
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)",
                   [GENERATION_KEY, secrets.token_hex(4)])
    return db.execute("SELECT value FROM settings WHERE key = ?", [GENERATION_KEY]).fetchone()[0]


def new_generation(db) -> str:
    """Give a restored file a new generation: devices will replay to it."""
    value = secrets.token_hex(4)
    with transaction(db):
        db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [GENERATION_KEY, value])
    return value


def standby_key(db) -> str:
    """The festival's standby key (hex), created on first use; it lives in
    the database so the replica and backups carry it to the standby."""
    row = db.execute("SELECT value FROM settings WHERE key = ?", [STANDBY_KEY]).fetchone()
    if row and row[0]:
        return row[0]
    with transaction(db):
        db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)", [STANDBY_KEY, secrets.token_hex(32)])
    return db.execute("SELECT value FROM settings WHERE key = ?", [STANDBY_KEY]).fetchone()[0]


def _hmac(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def device_key(db, device_id: int) -> str:
    """The key one device checks standbys with (on its own page only)."""
    return _hmac(standby_key(db), f"device:{int(device_id)}")


def standby_proof(db, hub: str, device_id: int, challenge: str) -> str:
    """What this hub answers to ``challenge`` from device ``device_id``."""
    return _hmac(device_key(db, device_id), f"{challenge}|{hub}")


def hub_identity(app) -> str:
    """This process's identity (computed once, on first use)."""
    cached = app.extensions.get("festival_hub_id")
    if cached is None:
        with app_connection(app) as db:
            cached = f"{instance_id(app.instance_path)}-{generation(db)}"
        app.extensions["festival_hub_id"] = cached
    return cached


def standby_urls(app) -> list[str]:
    """Addresses of the standby hubs devices may fail over to (STANDBY_URLS)."""
    value = app.config.get("STANDBY_URLS") or []
    if isinstance(value, str):
        value = [part for part in value.replace(",", " ").split() if part]
    return [str(url).rstrip("/") for url in value if str(url).startswith(("http://", "https://"))]


def add_failover_headers(app, request, response):
    """The hub's identity on API answers; CORS for the failover paths.

    ``Access-Control-Allow-Origin: *`` is safe here because a device calls a
    hub that is not its page's origin with a bearer credential and
    ``credentials: 'omit'``: no cookie travels, so a foreign page gains nothing
    it does not already hold.
    """
    path = request.path
    if path.startswith("/api/") or path == "/healthz":
        response.headers[HEADER] = hub_identity(app)
    if path in FAILOVER_PATHS:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type, Accept"
        response.headers["Access-Control-Expose-Headers"] = HEADER
        response.headers["Access-Control-Max-Age"] = "600"
    standbys = standby_urls(app)
    if standbys and response.mimetype == "text/html":
        # A page may reach the standbys (the security module keeps a CSP already set).
        extra = " ".join(standbys)
        response.headers["Content-Security-Policy"] = CSP.replace(
            "connect-src 'self' ws: wss:", f"connect-src 'self' ws: wss: {extra}")
    return response
