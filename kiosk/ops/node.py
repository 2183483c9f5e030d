"""Scale-out: extra Socket.IO nodes ("edge" nodes) beside the hub.

Design (docs/operations.md, "Scaling out"):

- The hub and every edge node join one Redis message queue
  (Flask-SocketIO's ``message_queue``), so an emit made on any node reaches
  the clients of every node. Each client talks to one node only (stage
  screens and phones are given the edge's address), so no sticky-session
  load balancer is needed.
- An edge node runs the same ``create_app`` with ``NODE_ROLE=edge``. It
  serves pages, JSON and socket events, and reads and writes the *same*
  SQLite file as the hub: so it runs on the hub's machine (another core),
  never on another machine. SQLite in WAL mode lets several processes
  share a file; writers queue on the lock (BEGIN IMMEDIATE + busy timeout),
  one transaction at a time, so every write is as safe as on the hub.
- Background writers (coalescing publishers, the game clock, backups) run
  only where :func:`kiosk.realtime.is_hub` is true.

Not supported: an edge node on another machine (it would need the file over
a network share, which SQLite does not allow), and in-process state that is
not in SQLite (rate limits are per process).
"""
from __future__ import annotations

import os
from pathlib import Path

from kiosk.boards.publisher import get_publisher

EDGE = "edge"


def check_message_queue(url: str) -> str:
    """Return ``url`` if it is a redis:// or rediss:// URL; raise ValueError otherwise."""
    if not isinstance(url, str) or not url.startswith(("redis://", "rediss://")):
        raise ValueError("the message queue must be a redis:// URL, e.g. redis://127.0.0.1:6379/0")
    return url


MISSING_REDIS = ("a message queue needs the Redis client, which is not installed: "
                 "pip install -e .[scale] (or pip install redis)")


def ping_message_queue(url: str, timeout: float = 3.0) -> None:
    """Fail early, with a clear message, when Redis cannot be reached or its
    client is not installed. Raises ConnectionError.
    """
    try:
        import redis  # only a hub with a message queue needs the Redis client (the [scale] extra)
    except ImportError:
        raise ConnectionError(MISSING_REDIS) from None
    try:
        redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout).ping()
    except redis.RedisError as exc:
        raise ConnectionError(f"cannot reach the message queue at {url}: {exc}") from None


def hub_environment(message_queue: str | None) -> dict[str, str]:
    """Environment for ``festival serve``: the hub, optionally on a message queue."""
    env = {"FESTIVAL_NODE_ROLE": "hub"}
    if message_queue:
        env["FESTIVAL_MESSAGE_QUEUE"] = check_message_queue(message_queue)
    return env


def edge_environment(hub_db: str, message_queue: str, instance: str | None = None) -> dict[str, str]:
    """Environment for an edge node sharing ``hub_db`` and ``message_queue``.

    Without ``instance`` the node uses the same instance folder as a hub
    started from the same checkout (FESTIVAL_INSTANCE_PATH or the default),
    so it shares the hub's secret key and staff sessions stay valid.
    Raises ValueError for a missing database or a bad queue URL.
    """
    path = Path(hub_db).resolve()
    if not path.is_file():
        raise ValueError(f"no festival database at {path}: start the hub first")
    env = {
        "FESTIVAL_NODE_ROLE": EDGE,
        "FESTIVAL_DATABASE": str(path),
        "FESTIVAL_MESSAGE_QUEUE": check_message_queue(message_queue),
    }
    if instance:
        env["FESTIVAL_INSTANCE_PATH"] = str(Path(instance).resolve())
    return env


def apply_environment(env: dict[str, str]) -> None:
    """Export ``env`` to this process (gunicorn inherits it across exec)."""
    os.environ.update(env)


def start_publishers_on_first_request(app) -> None:
    """With a message queue, start this node's board publisher at once.

    The publisher otherwise starts when a screen connects to ``/public`` on
    *this* process; in a cluster the screens may all sit on other nodes,
    and a change made here (a scan on the hub, an answer on an edge) would
    then never be pushed. The publisher only reads and emits, so every node
    runs one for the changes it makes itself.
    """
    if not app.config.get("MESSAGE_QUEUE"):
        return
    state = {"started": False}

    @app.before_request
    def _start_publishers_once():
        if not state["started"]:
            state["started"] = True
            get_publisher(app).start()


def init_app(app) -> None:
    start_publishers_on_first_request(app)
