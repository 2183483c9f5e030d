"""Websocket admission and per-socket event limits: one client cannot lock
everyone else out of the hub or slow it down.

The hub is one gunicorn worker with a fixed number of connections
(``--worker-connections``). Idle Socket.IO connections used to be free: one
address holding thousands of them filled the worker and ``/healthz`` and the
desks' API timed out. Here:

- :class:`Admission` counts open Engine.IO connections per client address and
  those that joined no namespace. A new handshake over a cap is answered
  ``429`` at once (:class:`AdmissionMiddleware`), before Engine.IO keeps
  anything for it. Staff (a device credential cookie or bearer, a staff
  session or a stage link in the handshake) are checked only when a cap
  would refuse them, and then get in up to a reserve above the global cap.
- A connection that has joined no namespace ``SOCKET_JOIN_TIMEOUT`` seconds
  after it opened (or after it left its last one) is closed by a sweeper.
- :class:`EventLimiter`: a token bucket per connection, checked on every
  Socket.IO message in the connection's reader before the packet is decoded
  or a task started for it (kiosk/realtime.py). An event over the rate gets
  a ``rate_limited`` error ack; a connection that keeps sending while its
  bucket is empty is disconnected. O(1) per event: one dict lookup and
  arithmetic on a small list made at the connection's first message.

Settings (kiosk/config.py, docs/operations.md): SOCKET_MAX_PER_ADDRESS,
SOCKET_MAX_UNJOINED_PER_ADDRESS, SOCKET_MAX_OPEN, SOCKET_STAFF_RESERVE,
SOCKET_JOIN_TIMEOUT, SOCKET_EVENT_RATE, SOCKET_EVENT_BURST, SOCKET_FLOOD_LIMIT.
"""
from __future__ import annotations

import json
import threading
import time

from .auth import DEVICE_COOKIE, STAGE_COOKIE, resolve_principal
from .config import setting
from .db import get_db


# Set on a handshake's environ by the middleware: a one-item list holding the
# address it was admitted for, emptied when Engine.IO's connect event moves it
# from "pending" to "open".
PENDING_KEY = "festival.admission.pending"
STAFF_KEY = "festival.admission.staff"

REFUSED_BODY = json.dumps({"ok": False, "error": {
    "code": "too_many_connections",
    "message_vi": "Quá nhiều kết nối từ thiết bị hoặc mạng này. Vui lòng thử lại sau ít phút.",
    "message_en": "Too many connections from this device or network. Please try again in a few minutes.",
}}).encode()


class _Conn:
    __slots__ = ("address", "staff", "namespaces", "unjoined_since")

    def __init__(self, address: str, staff: bool, now: float):
        self.address, self.staff, self.namespaces, self.unjoined_since = address, staff, 0, now


class Admission:
    """Counts of open and not-yet-joined Socket.IO connections, and the caps on them."""

    def __init__(self, per_address: int = 300, unjoined_per_address: int = 100, max_open: int = 3400,
                 staff_reserve: int = 200, join_timeout: float = 10.0, clock=time.monotonic):
        self.per_address, self.unjoined_per_address = per_address, unjoined_per_address
        self.max_open, self.staff_reserve, self.join_timeout = max_open, staff_reserve, join_timeout
        self.clock = clock
        self._lock = threading.Lock()
        self.conns: dict[str, _Conn] = {}
        self.open_by_address: dict[str, int] = {}  # open + pending handshakes
        self.unjoined_by_address: dict[str, int] = {}  # idem, not in any namespace
        self.total = 0
        self.refused = 0

    @classmethod
    def from_config(cls, config) -> "Admission":
        return cls(per_address=int(setting(config, "SOCKET_MAX_PER_ADDRESS")),
                   unjoined_per_address=int(setting(config, "SOCKET_MAX_UNJOINED_PER_ADDRESS")),
                   max_open=int(setting(config, "SOCKET_MAX_OPEN")),
                   staff_reserve=int(setting(config, "SOCKET_STAFF_RESERVE")),
                   join_timeout=float(setting(config, "SOCKET_JOIN_TIMEOUT")))

    # -- admission of a new handshake (the middleware)

    def _over(self, address: str) -> str | None:
        if self.total >= self.max_open:
            return "total"
        if self.open_by_address.get(address, 0) >= self.per_address:
            return "address"
        if self.unjoined_by_address.get(address, 0) >= self.unjoined_per_address:
            return "unjoined"
        return None

    def admit(self, address: str, is_staff) -> tuple[bool, bool]:
        """(admitted, staff) for a new handshake from ``address``.

        ``is_staff()`` (a database lookup) runs only when a cap would refuse.
        An admitted handshake counts as pending until :meth:`opened` or
        :meth:`abandoned`.
        """
        with self._lock:
            over = self._over(address)
        staff = False
        if over is not None:
            staff = bool(is_staff())
            if not staff or self.total >= self.max_open + self.staff_reserve:
                with self._lock:
                    self.refused += 1
                return False, staff
        with self._lock:
            self.total += 1
            self.open_by_address[address] = self.open_by_address.get(address, 0) + 1
            self.unjoined_by_address[address] = self.unjoined_by_address.get(address, 0) + 1
        return True, staff

    def abandoned(self, address: str) -> None:
        """A pending handshake that never became a connection (bad request, refused)."""
        with self._lock:
            self._release(address, unjoined=True)

    def _release(self, address: str, unjoined: bool) -> None:
        self.total -= 1
        _decrement(self.open_by_address, address)
        if unjoined:
            _decrement(self.unjoined_by_address, address)

    # -- Engine.IO and namespace events

    def opened(self, eio_sid: str, address: str, staff: bool) -> None:
        with self._lock:
            self.conns[eio_sid] = _Conn(address, staff, self.clock())

    def closed(self, eio_sid: str) -> None:
        with self._lock:
            conn = self.conns.pop(eio_sid, None)
            if conn is not None:
                self._release(conn.address, unjoined=conn.namespaces == 0)

    def joined(self, eio_sid: str) -> None:
        with self._lock:
            conn = self.conns.get(eio_sid)
            if conn is not None:
                conn.namespaces += 1
                if conn.namespaces == 1:
                    _decrement(self.unjoined_by_address, conn.address)

    def left(self, eio_sid: str) -> None:
        with self._lock:
            conn = self.conns.get(eio_sid)
            if conn is not None and conn.namespaces > 0:
                conn.namespaces -= 1
                if conn.namespaces == 0:
                    conn.unjoined_since = self.clock()
                    self.unjoined_by_address[conn.address] = self.unjoined_by_address.get(conn.address, 0) + 1

    def overdue(self) -> list[str]:
        """Connections in no namespace for longer than the join deadline."""
        cutoff = self.clock() - self.join_timeout
        with self._lock:
            return [sid for sid, c in self.conns.items() if c.namespaces == 0 and c.unjoined_since <= cutoff]

    def stats(self) -> dict:
        with self._lock:
            return {"open": self.total, "unjoined": sum(self.unjoined_by_address.values()),
                    "addresses": len(self.open_by_address), "refused": self.refused}


def _decrement(counts: dict, key) -> None:
    left = counts.get(key, 0) - 1
    if left > 0:
        counts[key] = left
    else:
        counts.pop(key, None)


def _has_credential(environ, session_cookie: str) -> bool:
    """Cheap look at the handshake: anything that could be a staff principal."""
    if environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer "):
        return True
    cookies = environ.get("HTTP_COOKIE", "")
    return DEVICE_COOKIE in cookies or STAGE_COOKIE in cookies or session_cookie in cookies


class AdmissionMiddleware:
    """WSGI middleware in front of Engine.IO: refuses new handshakes over a cap
    with ``429`` (and closes the HTTP connection) before any work is done."""

    def __init__(self, wsgi_app, flask_app, admission: Admission, path: str = "socket.io"):
        self.wsgi_app, self.flask_app, self.admission = wsgi_app, flask_app, admission
        self.prefix = "/" + path.strip("/") + "/"
        self.session_cookie = flask_app.config["SESSION_COOKIE_NAME"] + "="

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.prefix) or "sid=" in environ.get("QUERY_STRING", ""):
            return self.wsgi_app(environ, start_response)
        address = environ.get("REMOTE_ADDR") or "?"
        admitted, staff = self.admission.admit(address, lambda: self._is_staff(environ))
        if not admitted:
            start_response("429 Too Many Requests", [
                ("Content-Type", "application/json"), ("Content-Length", str(len(REFUSED_BODY))),
                ("Retry-After", "10"), ("Connection", "close")])
            return [REFUSED_BODY]
        # A ticket, not a flag: Flask-SocketIO hands Engine.IO a copy of environ,
        # and the connect hook claims the ticket by emptying it.
        ticket = [address]
        environ[PENDING_KEY] = ticket
        environ[STAFF_KEY] = staff
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            if ticket and ticket.pop() is not None:  # Engine.IO never opened a connection for it
                self.admission.abandoned(address)

    def _is_staff(self, environ) -> bool:
        if not _has_credential(environ, self.session_cookie):
            return False
        # A copy: the request context must not consume the handshake's environ.
        with self.flask_app.request_context(dict(environ)):
            return resolve_principal(get_db()) is not None


class EventLimiter:
    """A token bucket per connection: ``rate`` events a second, bursts of ``burst``.

    :meth:`check` answers 0 (go on), 1 (refuse this event) or 2 (refuse and
    disconnect: ``flood_limit`` events refused since the bucket was last full).
    """

    OK, REFUSE, DISCONNECT = 0, 1, 2

    def __init__(self, rate: float = 5.0, burst: float = 20.0, flood_limit: int = 60, clock=time.monotonic):
        self.rate, self.burst, self.flood_limit, self.clock = float(rate), float(burst), flood_limit, clock
        self.buckets: dict[str, list] = {}

    @classmethod
    def from_config(cls, config) -> "EventLimiter":
        return cls(rate=float(setting(config, "SOCKET_EVENT_RATE")), burst=float(setting(config, "SOCKET_EVENT_BURST")),
                   flood_limit=int(setting(config, "SOCKET_FLOOD_LIMIT")))

    def check(self, sid) -> int:
        now = self.clock()
        bucket = self.buckets.get(sid)
        if bucket is None:
            # [tokens, last refill, events refused since the bucket was full]
            bucket = self.buckets[sid] = [self.burst, now, 0]
        tokens = bucket[0] + (now - bucket[1]) * self.rate
        bucket[1] = now
        if tokens >= self.burst:
            tokens = self.burst
            bucket[2] = 0
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0
        bucket[0] = tokens
        bucket[2] += 1
        return 2 if bucket[2] > self.flood_limit else 1

    def forget(self, sid) -> None:
        self.buckets.pop(sid, None)


class BoundedJSON:
    """The json module Socket.IO decodes packets with, refusing deep nesting.

    ``[`` × 60,000 fits in a 64 KB message and makes the C decoder raise
    RecursionError; this turns it into ValueError, a malformed packet, which
    the message guard answers by closing the connection.
    """

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text, *args, **kwargs):
        try:
            return json.loads(text, *args, **kwargs)
        except RecursionError:
            raise ValueError("nested too deeply") from None
