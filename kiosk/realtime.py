"""The realtime hub: Flask-SocketIO bound in create_app, one namespace class
per audience, credentials checked on connect and on every staff event.

App code never imports eventlet: it uses ``socketio.sleep`` and
``socketio.start_background_task``, so the async mode stays a setting.
"""
from __future__ import annotations

import logging
import threading
import time

from flask import current_app, has_app_context, request
from flask_socketio import Namespace, SocketIO, join_room
# python-socketio's own class: the builtin ConnectionRefusedError (an OSError)
# is not recognised, so a refusal would be swallowed and the client let in.
from socketio.exceptions import ConnectionRefusedError

from .auth import allowed, resolve_principal
from .db import app_connection, get_db
from .errors import HTTP_MESSAGES, ServiceError

log = logging.getLogger(__name__)

socketio = SocketIO()
SOCKET_TOKEN_KEY = "festival.socket_token"


def error_payload(err: ServiceError) -> dict:
    return {"ok": False, "error": err.payload()}


def handle_socket_error(exc: Exception):
    """Every handler's exception becomes an error acknowledgement, never a crash."""
    if isinstance(exc, ServiceError):
        return error_payload(exc)
    log.exception("unhandled error in socket event %s", getattr(request, "event", None))
    return error_payload(ServiceError(*HTTP_MESSAGES[500], status=500))


def socket_principal(auth=None):
    """The principal behind this socket: an auth token, else the handshake cookies."""
    token = auth.get("token") if isinstance(auth, dict) and isinstance(auth.get("token"), str) else None
    return resolve_principal(get_db(), token)


def refuse(code: str, message: str):
    err = ServiceError(code, message)
    raise ConnectionRefusedError(err.payload())


class StaffNamespace(Namespace):
    """A namespace for one staff audience. Subclasses set ``roles``.

    Connecting needs one of ``roles`` (admin always may); every event is
    checked again so a device revoked mid-connection is refused at once.
    Connected devices join ``device:<id>`` so they can be kicked on revoke.
    """

    roles: tuple[str, ...] = ()

    def on_connect(self, auth=None):
        principal = socket_principal(auth)
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            # Remembered for the per-event checks of a socket that connected with a token.
            request.environ[SOCKET_TOKEN_KEY] = auth["token"]
        if principal is None:
            refuse("login_required", "Please sign in or pair this device first.")
        if not allowed(principal, self.roles):
            refuse("forbidden", "This device or account is not allowed to do that.")
        if principal.kind == "device":
            join_room(f"device:{principal.id}")
        self.joined(principal, auth)

    def joined(self, principal, auth) -> None:
        """Hook for subclasses: join rooms, send the initial state."""

    def trigger_event(self, event, *args):
        if event not in ("connect", "disconnect") and args:
            refusal = self._refusal(args[0])
            if refusal is not None:
                return refusal
        return super().trigger_event(event, *args)

    def _refusal(self, sid):
        """The error ack for an event from a socket that lost its role, else None.

        python-socketio calls trigger_event before Flask-SocketIO pushes a
        request context, so the check builds one from the handshake environ.
        """
        environ = self.socketio.server.get_environ(sid, namespace=self.namespace)
        if not environ:
            return None  # unknown socket: Flask-SocketIO ignores the event
        with environ["flask.app"].request_context(environ):
            principal = socket_principal({"token": environ.get(SOCKET_TOKEN_KEY)})
            if allowed(principal, self.roles):
                return None
            status = 401 if principal is None else 403
            payload = error_payload(ServiceError(
                "login_required" if principal is None else "forbidden", HTTP_MESSAGES[status][1], status=status))
        self.socketio.server.disconnect(sid, namespace=self.namespace)
        return payload


def kick_device(device_id: int) -> None:
    """Disconnect every socket of a device (after it is revoked)."""
    server = socketio.server
    if server is None:
        return
    for namespace in list(server.namespace_handlers):
        for sid, _eio in list(server.manager.get_participants(namespace, f"device:{device_id}")):
            server.disconnect(sid, namespace=namespace)


class NoWebSocketCompression:
    """WSGI middleware that hides the browser's permessage-deflate offer.

    Compressing each sub-1 KB message separately for every client costs
    20–25 % CPU and about 110 KB of memory per connection, for nothing
    (notes/browser-and-server.md).
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.app(environ, start_response)


def watched(namespace: str, room: str | None = None) -> bool:
    """True when at least one socket on this process is in ``namespace`` (or its ``room``)."""
    server = socketio.server
    if server is None:
        return False
    rooms = server.manager.rooms.get(namespace) or {}
    return any(rooms.values()) if room is None else bool(rooms.get(room))


class Coalescer:
    """Merges a burst of changes into one push: the one pusher of every pushed view.

    ``poke(key)`` schedules at most one pending push per key. The push runs
    ``delay`` seconds after the first poke, and at least ``min_interval``
    after the previous push of that key; ``build(db, key)`` reads the state
    then, from its own connection, so changes made during the wait are in it.
    The pending mark is cleared before the read, so a change during the read
    schedules another push. ``active(key)`` (optional) skips the read when
    nobody would receive it; ``send(payload, key)`` emits.
    """

    def __init__(self, name: str, build, send, delay: float = 0.15, min_interval: float = 0.0,
                 active=None):
        self.name, self.build, self.send, self.active = name, build, send, active
        self.delay, self.min_interval = delay, min_interval
        self.app = None
        self._lock = threading.Lock()
        self._pending: set = set()
        self._last: dict = {}

    def bind(self, app) -> None:
        """The app to push for when poked outside an app context (background tasks)."""
        self.app = app

    def poke(self, key=None) -> None:
        app = current_app._get_current_object() if has_app_context() else self.app
        if app is None:
            return
        with self._lock:
            if key in self._pending:
                return
            self._pending.add(key)
        socketio.start_background_task(self._run, app, key)

    def _run(self, app, key) -> None:
        since = time.monotonic() - self._last.get(key, float("-inf"))
        socketio.sleep(max(self.delay, self.min_interval - since))
        with self._lock:
            self._pending.discard(key)
        try:
            self.push_now(key, app)
        except Exception:  # a background task has nobody to report to but the log
            app.logger.exception("%s push failed", self.name)

    def push_now(self, key=None, app=None) -> bool:
        """Build and send now; False when nobody would receive it."""
        app = app or self.app
        if self.active is not None and not self.active(key):
            return False
        with app.app_context():
            with app_connection(app) as db:
                payload = self.build(db, key)
        if payload is None:
            return False
        self._last[key] = time.monotonic()
        self.send(payload, key)
        return True


def is_hub(app) -> bool:
    """True unless this process is an edge node (NODE_ROLE=edge, docs/operations.md).

    Background writers (coalescing publishers, the game clock, backups) start
    only where this is true: an edge node shares the hub's database and
    message queue, and a second copy of a writer would do its work twice.
    """
    return str(app.config.get("NODE_ROLE") or "hub").lower() != "edge"


def init_app(app) -> None:
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config.get("MESSAGE_QUEUE"),
        channel=app.config.get("SOCKETIO_CHANNEL", "festival"),
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS"),
        ping_interval=app.config.get("SOCKETIO_PING_INTERVAL", 25),
        ping_timeout=app.config.get("SOCKETIO_PING_TIMEOUT", 20),
        max_http_buffer_size=64 * 1024,
        logger=False,
        engineio_logger=False,
    )
    socketio.on_error_default(handle_socket_error)
    app.wsgi_app = NoWebSocketCompression(app.wsgi_app)
