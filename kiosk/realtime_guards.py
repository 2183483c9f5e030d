"""The socket transport guards: admission, event limits and the
malformed-packet guard, hooked into Engine.IO's event handlers of the hub's
python-socketio server (the counting and the limits themselves are
kiosk/admission.py; docs/architecture.md, "Socket guards").
"""
from __future__ import annotations

import logging
import socket
import time

from .admission import PENDING_KEY, STAFF_KEY, Admission, EventLimiter
from .errors import ServiceError
from .realtime_adapter import (ack_before_decoding, close_engineio, connection_environ, engineio_handlers,
                               replace_engineio_handlers, sockets_of_connection)
from .realtime_namespaces import error_payload

log = logging.getLogger(__name__)

def _rate_limited_payload() -> dict:
    global _RATE_LIMITED
    if _RATE_LIMITED is None:  # built once: the refusal path allocates nothing per event
        _RATE_LIMITED = error_payload(ServiceError(
            "rate_limited", "Too many messages at once. Please slow down.", status=429))
    return _RATE_LIMITED


_RATE_LIMITED: dict | None = None


def drop_connection(server, eio_sid) -> None:
    """Disconnect every namespace of a connection (the client is told), then
    close it, down to the TCP connection: a flooding client that ignores the
    close would otherwise keep the reader busy with what it goes on sending."""
    environ = connection_environ(server, eio_sid)
    for namespace, sid in sockets_of_connection(server, eio_sid):
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
    close_engineio(server, eio_sid)


def install_guards(server, config, serving) -> Admission:
    """Hook admission, event limits and the malformed-packet guard into a
    python-socketio server (through Engine.IO's event handlers). ``serving()``
    is true while ``server`` is the hub's (the sweeper stops when it is not)."""
    admission = Admission.from_config(config)
    server.festival_admission = admission
    server.festival_limiter = EventLimiter.from_config(config)
    on_connect, on_message, on_disconnect = engineio_handlers(server)
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
                    sweeper_started.append(server.start_background_task(_sweep_unjoined, server, admission, serving))
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

    replace_engineio_handlers(server, connect, message, disconnect)
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
    ack_before_decoding(server, eio_sid, data, _rate_limited_payload())


def _sweep_unjoined(server, admission: Admission, serving) -> None:
    """Close connections that joined no namespace in time (one task per server)."""
    interval = max(0.2, min(1.0, admission.join_timeout / 4))
    dropped = getattr(server, "festival_dropped", {})
    while serving():
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
