"""Configuration: defaults, then the instance folder, then FESTIVAL_* variables.

Later sources win. The secret key is generated on first run and kept in the
instance folder so that sessions and device credentials survive restarts
without a secret ever living in the repository.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

DEFAULTS = {
    "FESTIVAL_NAME": "Ngày hội Không Một Mình",
    "FESTIVAL_NAME_EN": "Not Alone Festival",
    # Socket.IO async mode: eventlet (production default), gevent or threading.
    "ASYNC_MODE": "eventlet",
    "DATABASE": None,  # filled from the instance folder when not given
    "DEFAULT_LANGUAGE": "vi",
    # The festival's time zone (IANA name): Excel exports show times in it (docs/operations.md).
    "TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ("vi", "en"),
    # SQLite durability: FULL survives power loss in WAL mode (see docs/operations.md).
    "SQLITE_SYNCHRONOUS": "FULL",
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 3 * 24 * 3600,
    # The address other devices use (QR codes, pairing links, the join address); None
    # means the URL the request came in on, or the LAN address instead of 127.0.0.1.
    "PUBLIC_URL": None,
    # The address gunicorn listens on, set by festival serve (0.0.0.0: every interface).
    # None (unknown) counts as every interface: links for other devices then use the LAN
    # address when the admin is opened on 127.0.0.1 (kiosk/network.py).
    "LISTEN_HOST": None,
    "MESSAGE_QUEUE": None,
    # Continuous replica of the festival file (Litestream): file:///folder or
    # sftp://user@host/path; devices fail over to STANDBY_URLS (docs/operations.md).
    "REPLICA_URL": None,
    "REPLICA_SSH_KEY": None,
    "REPLICA_SSH_HOST_KEY": None,
    "REPLICA_SYNC_INTERVAL": "1s",
    "REPLICA_MONITOR_INTERVAL": "1s",
    "STANDBY_URLS": [],
    # The national hub this hub pushes its outcomes bundle to (festival serve --national URL;
    # kiosk/national/push.py), its one-time pairing code, and the least seconds between pushes.
    "NATIONAL_URL": None,
    "NATIONAL_PAIRING_CODE": None,
    "NATIONAL_PUSH_EVERY_S": 180,
    # Set by `festival serve` in the gunicorn worker only (never in CLI commands or tests).
    "SERVED": False,
    # Socket.IO admission and event limits (kiosk/admission.py, docs/operations.md).
    # A classroom behind one NAT address can hold many phones: raise
    # SOCKET_MAX_PER_ADDRESS for big schools.
    "SOCKET_MAX_PER_ADDRESS": 300,
    "SOCKET_MAX_UNJOINED_PER_ADDRESS": 100,
    # Players per game (None: 3,000). SOCKET_MAX_OPEN, SOCKET_STAFF_RESERVE,
    # gunicorn's --worker-connections and the open-file limit follow from it
    # when unset (kiosk/capacity.py: 3,400 and 200 for 3,000 players).
    "GAME_MAX_PLAYERS": None,
    "SOCKET_MAX_OPEN": None,
    "SOCKET_STAFF_RESERVE": None,
    "SOCKET_JOIN_TIMEOUT": 10,
    # An emit to a big room (a question to every phone) yields to other work
    # after this many sockets (kiosk/rooms.py); 0: one stretch, as before.
    "SOCKET_FANOUT_SLICE": 128,
    "SOCKET_EVENT_RATE": 5,
    "SOCKET_EVENT_BURST": 20,
    "SOCKET_FLOOD_LIMIT": 60,
    # Staff first while a crowd of phones arrives (kiosk/crowdgate.py): at most this many
    # phone requests (play page, badge page, register, static files) run at once; 0 = no gate.
    "PHONE_REQUESTS_AT_ONCE": 4,
    # An organiser's extra nickname word list (a text file, format as in
    # kiosk/data/blocked_words.txt), added to the shipped one.
    "NICKNAME_BLOCKLIST": None,
    # Failed login attempts per username and address together (pairing: per address) per minute.
    "LOGIN_RATE_LIMIT": 10,
    # Password hashes a minute for addresses where no staff signed in lately (kiosk/security.py).
    "LOGIN_HASHES_PER_MINUTE": 60,
    "PAIRING_TTL_SECONDS": 600,
    # /healthz writes a probe at most this often (kiosk/health.py).
    "WRITE_PROBE_SECONDS": 5,
    # .xlsx class lists are parsed in a child process with these limits (checkin/xlsx.py).
    "XLSX_CHILD_SECONDS": 30,
    "XLSX_CHILD_MEMORY_MB": 1024,
    "TESTING": False,
}

_ENV_PREFIX = "FESTIVAL_"


def _coerce(value: str):
    """Turn an environment string into bool/int/JSON where it clearly is one."""
    low = value.lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    try:
        return int(value)
    except ValueError:
        pass
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            pass
    return value


def load_config(app, test_config: dict | None) -> None:
    """Fill app.config from defaults, instance/config.json, env and test_config."""
    app.config.from_mapping(DEFAULTS)
    instance = Path(app.instance_path)
    if test_config is None:
        app.config.from_file(str(instance / "config.json"), load=json.load, silent=True)
        for key, value in os.environ.items():
            if key.startswith(_ENV_PREFIX) and len(key) > len(_ENV_PREFIX):
                app.config[key[len(_ENV_PREFIX):]] = _coerce(value)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("DATABASE"):
        app.config["DATABASE"] = str(instance / "festival.db")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)


def _instance_secret(instance: Path) -> str:
    """Return the secret key kept in the instance folder, creating it once."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        # O_EXCL: two processes starting at once must not write two keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
