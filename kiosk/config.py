"""Configuration: defaults, then the instance folder, then FESTIVAL_* variables.

Every setting is in :data:`SETTINGS`, with its default, type and meaning;
``python -m kiosk.config`` prints them as the table in docs/operations.md.

Later sources win. The secret key is generated on first run and kept in the
instance folder so that sessions and device credentials survive restarts
without a secret ever living in the repository.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import NamedTuple

class Setting(NamedTuple):
    key: str
    default: object
    type: str
    meaning: str


#: Every setting: its key (``FESTIVAL_<key>`` in the environment, or the key in
#: instance/config.json), default, type and meaning. docs/operations.md's
#: settings table is made from this one (tests/kiosk/test_config.py checks it),
#: and the code reads no setting that is not here, with no default of its own.
SETTINGS = (
    # -- the festival
    Setting("FESTIVAL_NAME", "Ngày hội Không Một Mình", "text", "the festival's name (Vietnamese), on pages and the report"),
    Setting("FESTIVAL_NAME_EN", "Not Alone Festival", "text", "the festival's name in English"),
    Setting("DEFAULT_LANGUAGE", "vi", "vi or en", "the language of a visitor who has not chosen one"),
    Setting("PUBLIC_URL", None, "URL", "the address other devices use (QR codes, pairing links, the join address); none: the URL the request came in on, or the LAN address instead of 127.0.0.1"),
    Setting("LISTEN_HOST", None, "address", "the address gunicorn listens on (festival serve sets it); none counts as every interface"),
    Setting("REPORT_UTC_OFFSET_HOURS", 7, "hours", "the time zone of the impact report's hours (Vietnam: +7)"),
    Setting("TIMEZONE", "Asia/Ho_Chi_Minh", "IANA time zone", "the festival's time zone: Excel exports show times in it"),
    # -- serving and storage
    Setting("DATABASE", None, "path", "the festival's SQLite file; none: instance/festival.db"),
    Setting("ASYNC_MODE", "eventlet", "eventlet, gevent or threading", "the Socket.IO async mode and gunicorn worker"),
    Setting("SQLITE_SYNCHRONOUS", "FULL", "FULL or NORMAL", "SQLite durability of every commit (FULL survives power loss)"),
    Setting("GAME_SYNCHRONOUS", "NORMAL", "FULL or NORMAL", "durability of live-game answers (NORMAL survives a crash of the hub process)"),
    Setting("MAX_CONTENT_LENGTH", 2 * 1024 * 1024, "bytes", "the largest request body (class lists included)"),
    Setting("GC_TUNE", False, "bool", "tune the garbage collector of a served hub (festival serve sets it)"),
    Setting("SERVED", False, "bool", "set by festival serve in the gunicorn worker only (never in CLI commands or tests)"),
    Setting("GC_STATS", None, "path", "a file the worker writes its garbage-collection pauses to (benchmarks)"),
    Setting("WRITE_PROBE_SECONDS", 5, "seconds", "/healthz writes a probe at most this often (kiosk/health.py)"),
    Setting("XLSX_CHILD_SECONDS", 30, "seconds", "an .xlsx class list is parsed in a child process stopped after this long (checkin/xlsx.py)"),
    Setting("XLSX_CHILD_MEMORY_MB", 1024, "MiB", "the memory that child may use"),
    # -- scaling out and failing over
    Setting("MESSAGE_QUEUE", None, "redis:// URL", "the Redis message queue shared with edge nodes (needs the [scale] extra)"),
    Setting("SOCKETIO_CHANNEL", "festival", "text", "the channel name on the message queue"),
    Setting("NODE_ROLE", "hub", "hub or edge", "an edge node serves pages and sockets and leaves background writers to the hub"),
    Setting("CORS_ALLOWED_ORIGINS", None, "list of origins", "origins allowed to open sockets; none: same origin only"),
    Setting("PHONE_PORTS", [], "list of ports", "the phone processes' ports (festival serve --workers sets it; kiosk/phones.py)"),
    Setting("HUB_PORT", None, "port", "the hub's port, whose pages phone processes take sockets from (festival serve --workers)"),
    Setting("STANDBY_URLS", [], "list of URLs", "standby hubs devices fail over to"),
    Setting("REPLICA_URL", None, "file:// or sftp:// URL", "the continuous replica (Litestream) of the festival file"),
    Setting("REPLICA_SSH_KEY", None, "path", "the SSH key for an sftp:// replica"),
    Setting("REPLICA_SSH_HOST_KEY", None, "text", "the replica host's public key (known_hosts line)"),
    Setting("REPLICA_SYNC_INTERVAL", "1s", "duration", "how often the replica is brought up to date"),
    Setting("REPLICA_MONITOR_INTERVAL", "1s", "duration", "how often the WAL is checked for new writes"),
    # -- the national picture (kiosk/national/push.py; festival serve --national URL)
    Setting("NATIONAL_URL", None, "URL", "the national hub this hub pushes its outcomes bundle to"),
    Setting("NATIONAL_PAIRING_CODE", None, "text", "the one-time pairing code for the national hub"),
    Setting("NATIONAL_PUSH_EVERY_S", 180, "seconds", "the least time between two pushes to the national hub"),
    # -- backups
    Setting("BACKUP_DIR", None, "path", "the folder (USB stick) automatic backups go to; none: no automatic backups"),
    Setting("BACKUP_KEEP", 10, "int", "backups kept in that folder"),
    Setting("BACKUP_INTERVAL_MINUTES", 5, "minutes", "time between automatic backups"),
    # -- sockets (kiosk/admission.py). A classroom behind one NAT address can hold many
    # phones: raise SOCKET_MAX_PER_ADDRESS for big schools. SOCKET_MAX_OPEN,
    # SOCKET_STAFF_RESERVE, gunicorn's --worker-connections and the open-file limit
    # follow from GAME_MAX_PLAYERS when unset (kiosk/capacity.py).
    Setting("SOCKET_MAX_PER_ADDRESS", 300, "int", "open Socket.IO connections from one client address"),
    Setting("SOCKET_MAX_UNJOINED_PER_ADDRESS", 100, "int", "of those, connections that have joined no namespace yet"),
    Setting("SOCKET_MAX_OPEN", None, "int", "open connections in all (not counting the staff reserve); none: from GAME_MAX_PLAYERS (3,400 for 3,000)"),
    Setting("SOCKET_STAFF_RESERVE", None, "int", "extra connections only staff may use once a cap is reached; none: from GAME_MAX_PLAYERS (200 for 3,000)"),
    Setting("SOCKET_FANOUT_SLICE", 128, "int", "an emit to a big room yields to other work after this many sockets; 0: one stretch"),
    Setting("SOCKET_JOIN_TIMEOUT", 10, "seconds", "a connection in no namespace this long is closed"),
    Setting("SOCKET_EVENT_RATE", 5, "per second", "Socket.IO messages per connection (token bucket rate)"),
    Setting("SOCKET_EVENT_BURST", 20, "int", "the token bucket's burst"),
    Setting("SOCKET_FLOOD_LIMIT", 60, "int", "messages refused in a row before the connection is cut off"),
    Setting("PHONE_REQUESTS_AT_ONCE", 4, "int", "staff first while a crowd arrives: phone requests (play page, badge page, register, static files) run at once; 0: no gate (kiosk/crowdgate.py)"),
    Setting("SOCKETIO_PING_INTERVAL", 25, "seconds", "Engine.IO ping interval"),
    Setting("SOCKETIO_PING_TIMEOUT", 20, "seconds", "Engine.IO ping timeout: a silent client is dropped after it"),
    # -- accounts, devices and rate limits
    Setting("LOGIN_RATE_LIMIT", 10, "per minute", "failed logins per username and address together (pairing: per address)"),
    Setting("LOGIN_HASHES_PER_MINUTE", 60, "per minute", "password hashes for addresses where no staff signed in lately (kiosk/security.py)"),
    Setting("REGISTER_RATE_LIMIT", 30, "per minute", "self-registrations per client address"),
    Setting("GAME_JOIN_RATE_LIMIT", 60, "per minute", "live-game joins per client address"),
    Setting("BADGE_PAGE_RATE_LIMIT", 60, "per minute", "badge (phone) page views per client address"),
    Setting("STAFF_SESSION_IDLE_SECONDS", 12 * 3600, "seconds", "a staff session unused this long ends"),
    Setting("PERMANENT_SESSION_LIFETIME", 3 * 24 * 3600, "seconds", "the staff session cookie's lifetime"),
    Setting("SESSION_COOKIE_HTTPONLY", True, "bool", "the session cookie is hidden from scripts"),
    Setting("SESSION_COOKIE_SAMESITE", "Lax", "Lax or Strict", "the session cookie's SameSite"),
    Setting("NICKNAME_BLOCKLIST", None, "path", "an organiser's extra blocked nickname words (as kiosk/data/blocked_words.txt)"),
    # -- live games
    Setting("GAME_MAX_PLAYERS", None, "int", "players per live game; none: 3,000 (kiosk/capacity.py); the socket caps follow from it"),
    Setting("GAME_CLOCK", None, "bool", "run the game clock; none: on in a served hub, off in tests"),
    # -- tests
    Setting("TESTING", False, "bool", "Flask's test mode"),
    Setting("CSRF_DISABLED", False, "bool", "tests only: skip the CSRF check"),
    Setting("DASHBOARD_PUSH", False, "bool", "tests only: push the dashboard in a test app"),
    Setting("BOARD_PUBLISHER_THREAD", False, "bool", "tests only: start the boards' publisher in a test app"),
)

DEFAULTS = {s.key: s.default for s in SETTINGS}


def setting(config, key: str):
    """``config[key]``, or its default here when ``config`` lacks it (a plain dict in a test)."""
    return config.get(key, DEFAULTS[key])


def settings_table() -> str:
    """The Markdown table of every setting (docs/operations.md, "Settings")."""
    def shown(value) -> str:
        if value is None:
            return "none"
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, (list, tuple)):
            return "none" if not value else ", ".join(map(str, value))
        return f"`{value}`"

    rows = ["| setting | default | type | meaning |", "|---|---|---|---|"]
    rows += [f"| `{s.key}` | {shown(s.default)} | {s.type} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"


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


if __name__ == "__main__":
    print(settings_table(), end="")
