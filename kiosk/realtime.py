"""The realtime hub: Flask-SocketIO bound in create_app, one namespace class
per audience, credentials checked on connect and on every staff event.

App code never imports eventlet: it uses ``socketio.sleep`` and
``socketio.start_background_task``, so the async mode stays a setting.
"""
from __future__ import annotations

import inspect
import logging
import socket
import threading
import time

from flask import current_app, has_app_context, request
from flask_socketio import Namespace, SocketIO, join_room
# python-socketio's own class: the builtin ConnectionRefusedError (an OSError)
# is not recognised, so a refusal would be swallowed and the client let in.
from socketio.exceptions import ConnectionRefusedError
from socketio import packet as socketio_packet

from .admission import (PENDING_KEY, STAFF_KEY, Admission, AdmissionMiddleware, BoundedJSON,
                        EventLimiter)
from .auth import allowed, resolve_principal
from .db import app_connection, get_db
from .errors import HTTP_MESSAGES, ServiceError
from . import phones
from .rooms import manager_for

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


def _rate_limited_payload() -> dict:
    global _RATE_LIMITED
    if _RATE_LIMITED is None:  # built once: the refusal path allocates nothing per event
        _RATE_LIMITED = error_payload(ServiceError(
            "rate_limited", "Too many messages at once. Please slow down.", status=429))
    return _RATE_LIMITED


_RATE_LIMITED: dict | None = None
_NO_HANDLER = -1
_ANY_COUNT = 1 << 30


class GuardedNamespace(Namespace):
    """The base of every namespace: refusal of extra arguments and the join
    bookkeeping of admission (kiosk/admission.py). The event rate limit runs
    earlier, on each Engine.IO message (:func:`install_guards`).

    Checks run before Flask-SocketIO builds a request context, cheapest first:
    the argument count (cached per event name), then :meth:`_refusal` (the
    role check of staff namespaces).
    """

    def __init__(self, namespace=None):
        super().__init__(namespace)
        self._arity: dict[str, int] = {}

    def trigger_event(self, event, *args):
        if event == "connect":
            result = super().trigger_event(event, *args)  # a refusal raises
            if result is not False:
                self._note_join(args[0], joined=True)
            return result
        if event == "disconnect":
            self._note_join(args[0], joined=False)
            return super().trigger_event(event, *args)
        sid = args[0]
        allowed_args = self._arity.get(event)
        if allowed_args is None:
            allowed_args = self._arity[event] = self._count_args(event)
        if allowed_args == _NO_HANDLER:
            return None  # Flask-SocketIO ignores unknown events
        if len(args) - 1 > allowed_args:
            return error_payload(ServiceError(*HTTP_MESSAGES[400]))
        refusal = self._refusal(sid)
        if refusal is not None:
            return refusal
        return super().trigger_event(event, *args)

    def _count_args(self, event) -> int:
        """How many arguments ``on_<event>`` takes after self (once per event name)."""
        handler = getattr(self, "on_" + (event or ""), None) if isinstance(event, str) else None
        if handler is None:
            return _NO_HANDLER
        count = 0
        for param in inspect.signature(handler).parameters.values():
            if param.kind is param.VAR_POSITIONAL:
                return _ANY_COUNT
            if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
                count += 1
        return count

    def _refusal(self, sid):
        """Hook: an error ack to answer instead of running the event, else None."""
        return None

    def _note_join(self, sid, joined: bool) -> None:
        admission = getattr(self.server, "festival_admission", None)
        if admission is None:
            return
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        if eio_sid is not None:
            (admission.joined if joined else admission.left)(eio_sid)


def drop_connection(server, eio_sid) -> None:
    """Disconnect every namespace of a connection (the client is told), then
    close it, down to the TCP connection: a flooding client that ignores the
    close would otherwise keep the reader busy with what it goes on sending."""
    environ = server.environ.get(eio_sid) or {}
    for namespace in list(server.manager.get_namespaces()):
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is not None:
            server.disconnect(sid, namespace=namespace)
    close_connection(server, eio_sid)
    _shutdown_transport(environ)


def _shutdown_transport(environ) -> None:
    """Shut the client's TCP connection (eventlet's or gunicorn's socket, when there is one)."""
    stream = environ.get("eventlet.input")
    raw = stream.get_socket() if hasattr(stream, "get_socket") else environ.get("gunicorn.socket")
    if raw is None:
        return
    try:
        raw.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already gone


def close_connection(server, eio_sid) -> None:
    """Close an Engine.IO connection without waiting for it to drain.

    ``eio.disconnect`` waits until the client has read the close packet: a
    long-polling client that never polls again would block the caller forever.
    """
    sock = server.eio.sockets.get(eio_sid)
    if sock is not None:
        sock.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)
        server.eio.sockets.pop(eio_sid, None)


class StaffNamespace(GuardedNamespace):
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

    def principal(self):
        """The principal behind the socket of the event being handled (for audit rows)."""
        return socket_principal({"token": request.environ.get(SOCKET_TOKEN_KEY)})

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


class _AppContextDispatch(Namespace):
    """Runs each handler in an app context only (see :class:`LeanNamespace`)."""

    def trigger_event(self, event, *args):
        handler = getattr(self, "on_" + (event or ""), None) if isinstance(event, str) else None
        if handler is None:
            return None
        sid = args[0]
        environ = self.server.get_environ(sid, namespace=self.namespace)
        if not environ:
            # An unknown socket's events are ignored, as Flask-SocketIO does; its
            # disconnect still reaches the handler, which forgets the socket.
            return handler(sid) if event == "disconnect" else None
        with environ["flask.app"].app_context():
            try:
                if event == "connect":
                    return handler(sid, args[2] if len(args) > 2 else None)
                if event == "disconnect":
                    return handler(sid)
                return handler(sid, *args[1:])
            except ConnectionRefusedError:
                raise  # python-socketio refuses the connection
            except ServiceError as err:
                return error_payload(err)
            except Exception:
                log.exception("unhandled error in socket event %s on %s", event, self.namespace)
                return error_payload(ServiceError(*HTTP_MESSAGES[500], status=500))


class LeanNamespace(GuardedNamespace, _AppContextDispatch):
    """The lean path for the crowd's namespace (``/play``, issue 17).

    Flask-SocketIO runs every event inside a full request context: a Request
    built from the handshake environ, URL matching, the session cookie
    unsigned again, every teardown. Phones' events need none of it: their
    credential is the token checked on connect, kept per socket here. So the
    handler runs in an app context only (``current_app``, ``g``, teardown of
    pooled connections) and is called as ``on_<event>(sid, *args)``; it uses
    ``self.server`` (``enter_room``, ``emit(to=sid)``) instead of
    ``flask.request``/``flask_socketio.emit``. The checks of
    :class:`GuardedNamespace` (rate limit, arguments) still run first.
    """

    def _count_args(self, event) -> int:
        count = super()._count_args(event)
        return count - 1 if count not in (_NO_HANDLER, _ANY_COUNT) else count  # not the sid


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
    channel = app.config.get("SOCKETIO_CHANNEL", "festival")
    manager = manager_for(app.config.get("MESSAGE_QUEUE"), channel, int(app.config["SOCKET_FANOUT_SLICE"]))
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config.get("MESSAGE_QUEUE"),
        channel=channel,
        **({} if manager is None else {"client_manager": manager}),
        # a phone process (--workers) takes sockets from pages on the hub's port (kiosk/phones.py)
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS") or phones.origin_check(app.config),
        ping_interval=app.config.get("SOCKETIO_PING_INTERVAL", 25),
        ping_timeout=app.config.get("SOCKETIO_PING_TIMEOUT", 20),
        max_http_buffer_size=64 * 1024,
        json=BoundedJSON,
        logger=False,
        engineio_logger=False,
    )
    socketio.on_error_default(handle_socket_error)
    app.wsgi_app = NoWebSocketCompression(app.wsgi_app)
    admission = install_guards(socketio.server, app.config)
    app.wsgi_app = AdmissionMiddleware(app.wsgi_app, app, admission)


def install_guards(server, config) -> Admission:
    """Hook admission, event limits and the malformed-packet guard into a
    python-socketio server (through Engine.IO's public event handlers)."""
    admission = Admission.from_config(config)
    server.festival_admission = admission
    server.festival_limiter = EventLimiter.from_config(config)
    eio = server.eio
    on_connect, on_message, on_disconnect = (eio.handlers[e] for e in ("connect", "message", "disconnect"))
    sweeper_started = []

    def connect(eio_sid, environ):
        ticket = environ.get(PENDING_KEY)
        address = ticket.pop() if ticket else None
        result = on_connect(eio_sid, environ)
        if address is not None:
            if result is False:
                admission.abandoned(address)
            else:
                admission.opened(eio_sid, address, bool(environ.get(STAFF_KEY)))
                if not sweeper_started:
                    sweeper_started.append(server.start_background_task(_sweep_unjoined, server, admission))
        return result

    limiter = server.festival_limiter
    dropped = server.festival_dropped = {}  # eio_sid -> when it was cut off for flooding
    refusals = [0]

    def message(eio_sid, data):
        # The rate limit runs here, in the connection's reader, before the
        # packet is decoded and before python-socketio starts a task for it:
        # a flood refused later would still cost one task per event.
        if dropped and eio_sid in dropped:
            server.sleep(0)  # what a cut-off client had already sent: let the closing writer run
            return None
        verdict = limiter.check(eio_sid)
        if verdict:
            if verdict == EventLimiter.DISCONNECT:
                dropped[eio_sid] = time.monotonic()
            _refuse_message(server, eio_sid, data, verdict)
            # A flooding reader always has data and would never yield: other
            # clients (and /healthz) get their turn every 16 refusals. Not at
            # each: the reader must get through a flood quickly to cut it off.
            refusals[0] += 1
            if refusals[0] % 16 == 0 or verdict == EventLimiter.DISCONNECT:
                server.sleep(0)
            return None
        try:
            return on_message(eio_sid, data)
        except ValueError as exc:  # a malformed packet (too deep, unknown type): not a client to keep
            log.warning("closing a connection that sent a malformed packet: %s", exc)
            close_connection(server, eio_sid)

    def disconnect(eio_sid, reason=None):
        try:
            return on_disconnect(eio_sid, reason)
        finally:
            admission.closed(eio_sid)
            limiter.forget(eio_sid)

    eio.on("connect", connect)
    eio.on("message", message)
    eio.on("disconnect", disconnect)
    return admission


def _refuse_message(server, eio_sid, data, verdict: int) -> None:
    """Answer an event over the rate limit with a ``rate_limited`` error ack
    (when it asked for one); cut off a connection that keeps flooding."""
    if verdict == EventLimiter.DISCONNECT:
        log.warning("disconnecting a connection that keeps flooding")
        drop_connection(server, eio_sid)
        return
    if not isinstance(data, str) or data[:1] != "2":  # only events carry an ack id
        return
    try:
        pkt = server.packet_class(encoded_packet=data)
    except ValueError:
        return
    if pkt.id is not None:
        server._send_packet(eio_sid, server.packet_class(
            socketio_packet.ACK, namespace=pkt.namespace, id=pkt.id, data=[_rate_limited_payload()]))


def _sweep_unjoined(server, admission: Admission) -> None:
    """Close connections that joined no namespace in time (one task per server)."""
    interval = max(0.2, min(1.0, admission.join_timeout / 4))
    dropped = getattr(server, "festival_dropped", {})
    while socketio.server is server:
        server.sleep(interval)
        if dropped:
            cutoff = time.monotonic() - 30
            for eio_sid in [k for k, since in dropped.items() if since < cutoff]:
                dropped.pop(eio_sid, None)
        for eio_sid in admission.overdue():
            try:
                close_connection(server, eio_sid)
            except Exception:  # a connection closing by itself meanwhile is no reason to stop sweeping
                log.exception("closing an idle connection failed")
            admission.closed(eio_sid)  # idempotent: gone from the counts even if no event came
