"""Staff first while a crowd arrives (issue 21).

When the join code appears on the big screen, hundreds of phones load the
play page, its bundles and the join at once. The worker runs one request at a
time until it waits for the network, so a desk's scan that arrives then waits
behind every phone request already running. :class:`CrowdGate` lets at most
``PHONE_REQUESTS_AT_ONCE`` phone requests run in the worker at a time; the
others wait for a slot without using the worker, and every other request
(desks, zone kiosks, the host, the big screen: anything with a device
credential or an ``Authorization`` header, and every path that is not a
phone's) passes the gate at once. So a scan waits behind at most that many
phone requests, each a fraction of a millisecond to a few milliseconds, and
the phones still go through in the order they came (the slots are handed out
first come, first served). The gate sits in front of everything else,
static files included.

Phone paths: the play page and its join (``/play``), the badge page and its
game (``/b/…``), self-registration (``/register``) and static files.
``PHONE_REQUESTS_AT_ONCE = 0`` turns the gate off.
"""
from __future__ import annotations

import threading

from .auth import DEVICE_COOKIE

PHONE_PATHS = ("/static/", "/play", "/b/", "/register")


class CrowdGate:
    """WSGI middleware: at most ``slots`` phone requests in the app at once.

    The semaphore is the standard library's, which eventlet and gevent make
    green when they patch it (``festival serve``): a phone waiting for a slot
    yields to the worker's other green threads.
    """

    def __init__(self, app, slots: int):
        self.app = app
        self.slots = threading.BoundedSemaphore(slots)
        self.device_cookie = DEVICE_COOKIE + "="

    def is_phone(self, environ) -> bool:
        if not environ.get("PATH_INFO", "").startswith(PHONE_PATHS):
            return False
        if environ.get("HTTP_AUTHORIZATION"):
            return False
        return self.device_cookie not in environ.get("HTTP_COOKIE", "")

    def __call__(self, environ, start_response):
        if not self.is_phone(environ):
            return self.app(environ, start_response)
        with self.slots:
            # The response body is built by now (a page, JSON) or is a file the
            # server streams after the slot is given back: a slow phone holds none.
            return self.app(environ, start_response)


def init_app(app) -> None:
    """Put the gate in front of every other middleware (call it last)."""
    slots = int(app.config.get("PHONE_REQUESTS_AT_ONCE") or 0)
    if slots > 0:
        app.wsgi_app = CrowdGate(app.wsgi_app, slots)
