"""The namespace base classes: every namespace subclasses one of them.

:class:`GuardedNamespace` refuses an event with more arguments than its
handler takes and tells admission when a connection joins or leaves a
namespace; :class:`StaffNamespace` checks a role on connect and on every
event; :class:`LeanNamespace` is the crowd's path (an app context only, no
Flask request per event). Handlers answer their own client (an ack, or an
emit to their own socket on connect); every other push goes through a pusher
module (docs/architecture.md, "One door for effects").
"""
from __future__ import annotations

import inspect
import logging

from flask import request
from flask_socketio import Namespace, join_room
# python-socketio's own class: the builtin ConnectionRefusedError (an OSError)
# is not recognised, so a refusal would be swallowed and the client let in.
from socketio.exceptions import ConnectionRefusedError

from .auth import allowed, resolve_principal
from .db import get_db
from .errors import HTTP_MESSAGES, ServiceError
from .realtime_adapter import eio_sid_of

log = logging.getLogger(__name__)

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


_NO_HANDLER = -1
_ANY_COUNT = 1 << 30


class GuardedNamespace(Namespace):
    """The base of every namespace: refusal of extra arguments and the join
    bookkeeping of admission (kiosk/admission.py). The event rate limit runs
    earlier, on each Engine.IO message (:func:`kiosk.realtime_guards.install_guards`).

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
        eio_sid = eio_sid_of(self.server, sid, self.namespace)
        if eio_sid is not None:
            (admission.joined if joined else admission.left)(eio_sid)


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
