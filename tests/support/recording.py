"""A python-socketio client that records what it receives, and a hub with
an edge node sharing its database and message queue (real-server tests of
scale-out and big games)."""
from __future__ import annotations

import contextlib
import threading
import time

import socketio

from tests.support.live import LiveServer

WAIT_S = 20


class RecordingClient:
    """Connects to one namespace over websocket and keeps every (event, data) of ``events``."""

    def __init__(self, url: str, namespace: str, auth: dict, events: tuple[str, ...], origin: str | None = None):
        # origin: the page's, when it is not the socket's (a phone process of --workers)
        self.sio = socketio.Client(reconnection=False,
                                   **({"websocket_extra_options": {"origin": origin}} if origin else {}))
        self.namespace = namespace
        self.received: list[tuple[str, object]] = []
        self.changed = threading.Condition()
        for event in events:
            self.sio.on(event, self._recorder(event), namespace=namespace)
        self.sio.connect(url, namespaces=[namespace], auth=auth, transports=["websocket"], wait_timeout=10)

    def _recorder(self, event):
        def record(data=None):
            with self.changed:
                self.received.append((event, data))
                self.changed.notify_all()
        return record

    def first(self, predicate, timeout: float = WAIT_S):
        """The first received (event, data) with ``predicate(event, data)``, or None after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for item in self.received:
                    if predicate(*item):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)

    def wait_for(self, event: str, test=lambda data: True, timeout: float = WAIT_S):
        """The data of the first ``event`` that passes ``test``, or None after ``timeout``."""
        found = self.first(lambda name, data: name == event and test(data), timeout)
        return None if found is None else found[1]

    def call(self, event, data):
        return self.sio.call(event, data, namespace=self.namespace, timeout=10)

    def close(self):
        self.sio.disconnect()


@contextlib.contextmanager
def hub_and_edge(instance, database, redis_url: str):
    """A hub and an edge node on one festival file and one Redis queue; stopped afterwards."""
    queue = {"FESTIVAL_MESSAGE_QUEUE": redis_url}
    hub = LiveServer(instance, database, env={**queue, "FESTIVAL_NODE_ROLE": "hub"}).start()
    edge = LiveServer(instance, database, env={**queue, "FESTIVAL_NODE_ROLE": "edge"})
    try:
        edge.start()
    except Exception:
        hub.stop()
        raise
    try:
        yield hub, edge
    finally:
        edge.stop()
        hub.stop()
