"""Socket.IO room bookkeeping that stays cheap with thousands of phones.

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

import socketio


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

    def get_participants(self, namespace, room):
        every = self.fanout_slice
        for n, participant in enumerate(super().get_participants(namespace, room), start=1):
            yield participant
            if every and n % every == 0:
                self.server.sleep(0)


class Manager(SlicedFanOut, IndexedRooms, socketio.Manager):
    """The manager of a hub without a message queue."""


class RedisManager(SlicedFanOut, IndexedRooms, socketio.RedisManager):
    """The manager of a hub or edge node sharing a Redis message queue."""


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
