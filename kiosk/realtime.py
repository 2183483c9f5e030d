"""The realtime hub: Flask-SocketIO bound in create_app, one namespace class
per audience, credentials checked on connect and on every staff event.

The hub is split by job (docs/architecture.md):

- kiosk/realtime.py: the ``socketio`` object and its set-up (this module);
- kiosk/realtime_namespaces.py: the namespace base classes
  (``GuardedNamespace``, ``StaffNamespace``, ``LeanNamespace``), re-exported here;
- kiosk/realtime_guards.py: the transport guards (admission, event limits);
- kiosk/realtime_push.py: ``Coalescer``, ``watched``, disconnecting a room;
- kiosk/realtime_adapter.py: every reach into python-socketio/engine.io internals.

App code never imports eventlet: it uses ``socketio.sleep`` and
``socketio.start_background_task``, so the async mode stays a setting.
"""
from __future__ import annotations

from flask_socketio import SocketIO

from . import phones
from .admission import AdmissionMiddleware, BoundedJSON
from .realtime_adapter import manager_for
from .realtime_guards import close_connection, install_guards
from .realtime_namespaces import (GuardedNamespace, LeanNamespace, StaffNamespace, error_payload,  # noqa: F401
                                  handle_socket_error, refuse, socket_principal)

socketio = SocketIO()

__all__ = ["socketio", "init_app", "is_hub", "GuardedNamespace", "LeanNamespace", "StaffNamespace",
           "error_payload", "refuse", "socket_principal", "close_connection"]


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


def is_hub(app) -> bool:
    """True unless this process is an edge node (NODE_ROLE=edge, docs/operations.md).

    Background writers (coalescing publishers, the game clock, backups) start
    only where this is true: an edge node shares the hub's database and
    message queue, and a second copy of a writer would do its work twice.
    """
    return str(app.config.get("NODE_ROLE") or "hub").lower() != "edge"


def init_app(app) -> None:
    channel = app.config["SOCKETIO_CHANNEL"]
    manager = manager_for(app.config.get("MESSAGE_QUEUE"), channel, int(app.config["SOCKET_FANOUT_SLICE"]))
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config.get("MESSAGE_QUEUE"),
        channel=channel,
        **({} if manager is None else {"client_manager": manager}),
        # a phone process (--workers) takes sockets from pages on the hub's port (kiosk/phones.py)
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS") or phones.origin_check(app.config),
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
        max_http_buffer_size=64 * 1024,
        json=BoundedJSON,
        logger=False,
        engineio_logger=False,
    )
    socketio.on_error_default(handle_socket_error)
    app.wsgi_app = NoWebSocketCompression(app.wsgi_app)
    server = socketio.server
    admission = install_guards(server, app.config, lambda: socketio.server is server)
    app.wsgi_app = AdmissionMiddleware(app.wsgi_app, app, admission)
