"""Every reach into python-socketio and python-engineio internals, in one place.

The hub relies on parts of both libraries that are not their documented API:
the client manager's room table and ``basic_*`` methods, the server's map of
Engine.IO sessions to environs, Engine.IO's socket table, event handlers and
close reasons, and the packet class used to answer an ack before the packet
is decoded. They are reached only through this module, pinned in pyproject
to the minor series they were tested with (python-socketio 5.x,
python-engineio 4.x), and :func:`check_internals` (run by
tests/kiosk/test_realtime_adapter.py) fails with the internal's name when an
upgrade moves one.

Socket.IO room bookkeeping that stays cheap with thousands of phones:
python-socketio's managers find the rooms a socket is in by walking every
room of its namespace (a copy of the whole room table, then a membership test
per room) on each disconnect and each ``rooms()`` call. Every socket has a
room of its own and each phone also joins its player's room, so with 2,000
phones in ``/play`` one disconnect walked about 4,000 rooms, and the phones
leaving at the end of a game cost the worker seconds of CPU in which nothing
else ran (issue 17; ``python -m bench --only fanout`` measures every phone
leaving at once).

:class:`IndexedRooms` keeps the reverse index (socket → its rooms) beside
the library's table, so a disconnect touches only the socket's own rooms.
Every change to the table goes through the library's ``basic_*`` methods,
which this mixin extends; the table itself stays the library's.
"""
from __future__ import annotations

import inspect

import engineio.socket
import socketio
from socketio import packet as socketio_packet


class IndexedRooms:
    """Mixin for a python-socketio manager: the rooms of each socket, indexed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # (namespace, sid) -> the rooms it is in, None and its own included (a dict keeps their order)
        self.rooms_of: dict[tuple, dict] = {}

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        self.rooms_of.setdefault((namespace, sid), {})[room] = None

    def basic_leave_room(self, sid, namespace, room):
        super().basic_leave_room(sid, namespace, room)
        self._forget(sid, namespace, room)

    def _forget(self, sid, namespace, room) -> None:
        rooms = self.rooms_of.get((namespace, sid))
        if rooms is not None:
            rooms.pop(room, None)
            if not rooms:
                del self.rooms_of[(namespace, sid)]

    def basic_disconnect(self, sid, namespace, **kwargs):
        """As the library's, without walking every room of the namespace."""
        for room in list(self.rooms_of.pop((namespace, sid), ())):
            super().basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            sids = pending.get(namespace)
            if sids and sid in sids:
                sids.remove(sid)
                if not sids:
                    del pending[namespace]

    def get_rooms(self, sid, namespace):
        """The rooms a socket is in (its own included, as the library's)."""
        return [room for room in self.rooms_of.get((namespace, sid), ()) if room is not None]


#: sockets written to between two yields of a room's fan-out (SOCKET_FANOUT_SLICE)
FANOUT_SLICE = 128


class SlicedFanOut:
    """Mixin for a python-socketio manager: an emit to a big room yields to the
    other work of the process every ``fanout_slice`` sockets.

    Under eventlet an emit to a room only queues the packet for each socket;
    the sockets' writers run when the emitting task yields, and nothing else
    runs until it does. A question to 2,000 phones was one stretch of about
    145 ms in which a desk's scan waited (issue 21). The library's emit walks
    :meth:`get_participants`; yielding inside that walk lets each slice's
    writers and any waiting request (a desk scan, a host's click) run
    between slices, while every phone still gets the question within the
    same fan-out. The walk is over a copy of the room, so sockets joining or
    leaving meanwhile change nothing. 0 turns the slicing off.
    """

    fanout_slice = FANOUT_SLICE
    _fanouts = 0  # big fan-outs under way in this process
    _fanout_done = None  # the async mode's Event: set when none is

    def get_participants(self, namespace, room):
        every = self.fanout_slice
        started = False
        try:
            for n, participant in enumerate(super().get_participants(namespace, room), start=1):
                yield participant
                if every and n % every == 0:
                    if not started:
                        started = True
                        self._fanout_started()
                    self.server.sleep(0)
        finally:
            if started:
                self._fanout_ended()

    def _fanout_started(self) -> None:
        if self._fanout_done is None:
            self._fanout_done = self.server.eio.create_event()
        self._fanouts += 1
        self._fanout_done.clear()

    def _fanout_ended(self) -> None:
        self._fanouts -= 1
        if self._fanouts <= 0:
            self._fanouts = 0
            self._fanout_done.set()

    def after_fanout(self, timeout: float = 2.0) -> None:
        """Wait (without holding up the process) while a big room's fan-out is under way.

        Phones' answers call this once they are timed: the slices of a question's
        fan-out then leave room for staff (a desk's scan, the host) but not for
        the answers of the phones served first, which would delay the last
        phones' question (the fan-out's fairness). ``timeout`` bounds the wait.
        """
        done = self._fanout_done
        if self._fanouts and done is not None:
            done.wait(timeout)


#: the event name that carries a batch of per-room emits through the message queue
EACH = "festival:each"


class Manager(SlicedFanOut, IndexedRooms, socketio.Manager):
    """The manager of a hub without a message queue."""

    def emit_each(self, event: str, items, namespace: str) -> None:
        """Emit ``event`` with its own data to each room of ``items`` ([(room, data)])."""
        _emit_locally(self, socketio.Manager, event, items, namespace)


def _emit_locally(manager, base, event: str, items, namespace: str) -> None:
    """Each (room, data) to the sockets of this process only, yielding every slice."""
    every = manager.fanout_slice
    for n, (room, data) in enumerate(items, start=1):
        base.emit(manager, event, data, namespace=namespace, room=room)
        if every and n % every == 0:
            manager.server.sleep(0)


class RedisManager(SlicedFanOut, IndexedRooms, socketio.RedisManager):
    """The manager of a hub or edge node sharing a Redis message queue.

    Two savings over the library's, with ``festival serve --workers``
    (kiosk/ops/workers.py) where every process hears every message:

    - an emit to a socket of this process (its own room: the snapshot a
      phone gets on connect) is delivered here without a trip through Redis
      that every other process would decode and drop;
    - :meth:`emit_each` (each phone its own result at a reveal) publishes
      one message for all the players, not one per player: the hub's clock
      made 2,000 publishes per reveal, and every phone process decoded
      2,000 messages.
    """

    def emit(self, event, data, namespace=None, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        room = to or room
        namespace = namespace or "/"
        if callback is None and not kwargs.get("ignore_queue") and isinstance(room, str) \
                and self.is_connected(room, namespace):
            return socketio.Manager.emit(self, event, data, namespace=namespace, room=room, skip_sid=skip_sid)
        return super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback,
                            **kwargs)

    def emit_each(self, event: str, items, namespace: str) -> None:
        """Emit ``event`` with its own data to each room of ``items`` ([(room, data)]), on every process."""
        items = [[room, data] for room, data in items]
        message = {"method": "emit", "event": EACH, "data": [event, items], "binary": False,
                   "namespace": namespace, "room": None, "skip_sid": None, "callback": None,
                   "host_id": self.host_id}
        self._handle_emit(message)
        self._publish(message)

    def _handle_emit(self, message):
        if message.get("event") == EACH:
            event, items = message["data"]
            _emit_locally(self, socketio.Manager, event, items, message.get("namespace") or "/")
            return None
        return super()._handle_emit(message)


def manager_for(message_queue: str | None, channel: str, fanout_slice: int = FANOUT_SLICE):
    """The client manager for ``message_queue`` (None: this process alone).

    Returns None for a queue other than Redis, so Flask-SocketIO picks its
    own (unindexed) manager as before.
    """
    if not message_queue:
        manager = Manager()
    elif message_queue.startswith(("redis://", "rediss://")):
        manager = RedisManager(message_queue, channel=channel, write_only=False)
    else:
        return None
    manager.fanout_slice = fanout_slice
    return manager


# ------------------------------------------------------------ server internals

def eio_sid_of(server, sid, namespace):
    """The Engine.IO session of Socket.IO socket ``sid`` in ``namespace`` (or None)."""
    return server.manager.eio_sid_from_sid(sid, namespace)


def sockets_of_connection(server, eio_sid) -> list[tuple[str, str]]:
    """(namespace, sid) of every namespace an Engine.IO connection joined."""
    found = []
    for namespace in list(server.manager.get_namespaces()):
        sid = server.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is not None:
            found.append((namespace, sid))
    return found


def connection_environ(server, eio_sid) -> dict:
    """The WSGI environ of an Engine.IO connection's handshake ({} when gone)."""
    return server.environ.get(eio_sid) or {}


def close_engineio(server, eio_sid) -> None:
    """Close an Engine.IO connection without waiting for the client to read the close."""
    sock = server.eio.sockets.get(eio_sid)
    if sock is not None:
        sock.close(wait=False, reason=server.eio.reason.SERVER_DISCONNECT)
        server.eio.sockets.pop(eio_sid, None)


def namespaces(server) -> list[str]:
    """Every namespace with a registered handler."""
    return list(server.namespace_handlers)


def participants(server, namespace, room) -> list[str]:
    """The socket ids in ``room`` of ``namespace``."""
    return [sid for sid, _eio in list(server.manager.get_participants(namespace, room))]


def rooms_of(server, sid, namespace) -> list:
    """The rooms a socket is in."""
    return list(server.manager.get_rooms(sid, namespace))


def room_table(server, namespace) -> dict:
    """The manager's rooms of ``namespace``: room → its members (read only)."""
    return server.manager.rooms.get(namespace) or {}


def engineio_handlers(server) -> tuple:
    """Engine.IO's connect, message and disconnect handlers (python-socketio's own)."""
    return tuple(server.eio.handlers[e] for e in ("connect", "message", "disconnect"))


def replace_engineio_handlers(server, connect, message, disconnect) -> None:
    """Put wrappers in place of python-socketio's Engine.IO handlers (see :func:`engineio_handlers`)."""
    server.eio.on("connect", connect)
    server.eio.on("message", message)
    server.eio.on("disconnect", disconnect)


def emit_each(server, event: str, items, namespace: str) -> bool:
    """Each (room, data) of ``items`` through the festival's manager (one message through
    the queue for all); False when the manager is the library's own (the caller loops)."""
    manager = server.manager if server is not None else None
    if not hasattr(manager, "emit_each"):
        return False
    manager.emit_each(event, items, namespace)
    return True


def after_fanout(server) -> None:
    """Wait while a big room's fan-out is under way in this process (see :class:`SlicedFanOut`)."""
    getattr(getattr(server, "manager", None), "after_fanout", lambda: None)()


def create_event(server):
    """An event object of the server's async mode (eventlet, gevent or threading)."""
    return server.eio.create_event()


def ack_before_decoding(server, eio_sid, data, payload) -> None:
    """Answer the event packet ``data`` (raw text) with the ack ``payload``, if it asked for one."""
    try:
        pkt = server.packet_class(encoded_packet=data)
    except ValueError:
        return
    if pkt.id is not None:
        server._send_packet(eio_sid, server.packet_class(
            socketio_packet.ACK, namespace=pkt.namespace, id=pkt.id, data=[payload]))


#: (where, name, what it must be) for every internal reached above
INTERNALS = (
    ("socketio.base_manager.BaseManager", "basic_enter_room", "method (sid, namespace, room, eio_sid=None)"),
    ("socketio.base_manager.BaseManager", "basic_leave_room", "method (sid, namespace, room)"),
    ("socketio.base_manager.BaseManager", "basic_disconnect", "method (sid, namespace, **kwargs)"),
    ("socketio.base_manager.BaseManager", "eio_sid_from_sid", "method (sid, namespace)"),
    ("socketio.base_manager.BaseManager", "sid_from_eio_sid", "method (eio_sid, namespace)"),
    ("socketio.base_manager.BaseManager", "get_namespaces", "method ()"),
    ("socketio.base_manager.BaseManager", "get_participants", "method (namespace, room)"),
    ("socketio.base_manager.BaseManager", "get_rooms", "method (sid, namespace)"),
    ("socketio.base_manager.BaseManager", "is_connected", "method (sid, namespace)"),
    ("socketio.Manager", "emit", "method (event, data, namespace, room=None, skip_sid=None, callback=None, to=None)"),
    ("socketio.PubSubManager", "_handle_emit", "method (message)"),
    ("socketio.PubSubManager", "_publish", "method (data)"),
    ("pubsub", "host_id", "this process's id on the message queue"),
    ("manager", "rooms", "dict namespace -> room -> members"),
    ("manager", "callbacks", "dict"),
    ("manager", "pending_connect", "dict"),
    ("manager", "pending_disconnect", "dict"),
    ("server", "environ", "dict eio_sid -> environ"),
    ("server", "namespace_handlers", "dict"),
    ("server", "packet_class", "class"),
    ("socketio.Server", "_send_packet", "method (eio_sid, pkt)"),
    ("engineio", "sockets", "dict eio_sid -> Socket"),
    ("engineio", "handlers", "dict with connect, message, disconnect"),
    ("engineio", "reason.SERVER_DISCONNECT", "close reason"),
    ("engineio", "create_event", "method ()"),
    ("server", "sleep", "method (seconds)"),
    ("engineio.socket.Socket", "close", "method (wait=True, abort=False, reason=None)"),
)


def check_internals() -> list[str]:
    """What has moved in the installed python-socketio/engine.io, one line per
    internal (empty when all is where this module expects it)."""
    server = socketio.Server()
    manager = Manager()
    manager.set_server(server)
    manager.initialize()
    places = {"socketio.base_manager.BaseManager": socketio.base_manager.BaseManager,
              "socketio.Manager": socketio.Manager, "socketio.PubSubManager": socketio.PubSubManager,
              "pubsub": socketio.PubSubManager(),
              "manager": manager, "server": server, "socketio.Server": socketio.Server,
              "engineio": server.eio, "engineio.socket.Socket": engineio.socket.Socket}
    params = {"basic_enter_room": ["sid", "namespace", "room", "eio_sid"],
              "basic_leave_room": ["sid", "namespace", "room"],
              "eio_sid_from_sid": ["sid", "namespace"], "sid_from_eio_sid": ["eio_sid", "namespace"],
              "get_participants": ["namespace", "room"], "get_rooms": ["sid", "namespace"],
              "_send_packet": ["eio_sid", "pkt"], "close": ["wait", "abort", "reason"],
              "is_connected": ["sid", "namespace"], "_handle_emit": ["message"], "_publish": ["data"],
              "emit": ["event", "data", "namespace", "room", "skip_sid", "callback", "to"]}
    moved = []
    for where, name, what in INTERNALS:
        target = places[where]
        for part in name.split("."):
            target = getattr(target, part, _MISSING)
            if target is _MISSING:
                break
        if target is _MISSING:
            moved.append(f"{where}.{name} is gone (expected {what})")
            continue
        wanted = params.get(name)
        if wanted is not None:
            got = [p for p in inspect.signature(target).parameters if p != "self"]
            if got[:len(wanted)] != wanted:
                moved.append(f"{where}.{name} takes {got}, expected {wanted} ({what})")
    missing = [e for e in ("connect", "message", "disconnect") if e not in getattr(server.eio, "handlers", {})]
    if missing:
        moved.append(f"engineio.handlers lacks python-socketio's {', '.join(missing)} handler")
    return moved


_MISSING = object()
