"""The indexed room manager (kiosk/realtime_adapter.py) keeps exactly the library's room
table, and a disconnect no longer walks every room of the namespace."""
from __future__ import annotations

import random
import threading

import pytest
import socketio

from kiosk import create_app
from kiosk import realtime_adapter as rooms
from kiosk.realtime import socketio as flask_socketio


class _Server:
    """What a manager asks of its server here: fresh ids."""

    def __init__(self):
        self.n = 0
        self.eio = self
        self.packet_class = socketio.packet.Packet

    def generate_id(self):
        self.n += 1
        return f"s{self.n}"


def _pair():
    made = []
    for cls in (socketio.Manager, rooms.Manager):
        manager = cls()
        manager.set_server(_Server())
        made.append(manager)
    return made


def _table(manager) -> dict:
    return {ns: {room: dict(members) for room, members in by_room.items()}
            for ns, by_room in manager.rooms.items()}


def test_random_operations_leave_the_same_table_as_the_library():
    rng = random.Random(17)
    stock, indexed = _pair()
    live: list[tuple[str, str]] = []  # (namespace, sid), the same in both
    for step in range(4_000):
        op = rng.random()
        if op < 0.3 or not live:
            namespace = rng.choice(["/play", "/host"])
            eio = f"e{step}"
            sids = {m.connect(eio, namespace) for m in (stock, indexed)}
            assert len(sids) == 1
            live.append((namespace, sids.pop()))
        elif op < 0.6:
            namespace, sid = rng.choice(live)
            room = rng.choice(["g:1", "g:2", f"p:{rng.randrange(30)}"])
            for m in (stock, indexed):
                m.enter_room(sid, namespace, room)
        elif op < 0.75:
            namespace, sid = rng.choice(live)
            room = rng.choice(["g:1", "g:2", f"p:{rng.randrange(30)}"])
            for m in (stock, indexed):
                m.leave_room(sid, namespace, room)
        elif op < 0.8:
            room = rng.choice(["g:1", "g:2"])
            for m in (stock, indexed):
                m.close_room(room, "/play")
        else:
            namespace, sid = live.pop(rng.randrange(len(live)))
            for m in (stock, indexed):
                m.pre_disconnect(sid, namespace)
                m.disconnect(sid, namespace)
        if step % 97 == 0 and live:
            namespace, sid = rng.choice(live)
            assert sorted(indexed.get_rooms(sid, namespace), key=str) == \
                sorted(stock.get_rooms(sid, namespace), key=str)
    assert _table(indexed) == _table(stock)
    assert indexed.pending_disconnect == stock.pending_disconnect == {}
    # Nothing is remembered of sockets that are gone.
    assert set(indexed.rooms_of) == {(ns, sid) for ns, sid in live}


def test_a_disconnect_forgets_callbacks_and_pending_connects():
    manager = rooms.Manager()
    manager.set_server(_Server())
    sid = manager.pre_connect("e1", "/play")
    manager._generate_ack_id(sid, lambda *a: None)
    manager.basic_disconnect(sid, "/play")
    assert sid not in manager.callbacks
    assert manager.pending_connect == {}
    assert manager.rooms == {}
    assert manager.rooms_of == {}


def test_a_disconnect_touches_only_its_own_rooms():
    """The library copies the namespace's whole room table on each disconnect; this does not."""
    manager = rooms.Manager()
    manager.set_server(_Server())
    sids = [manager.connect(f"e{n}", "/play") for n in range(500)]
    for n, sid in enumerate(sids):
        manager.enter_room(sid, "/play", f"p:{n}")

    class Untouchable(dict):
        def copy(self):
            raise AssertionError("walked the whole room table")

        def items(self):
            raise AssertionError("walked the whole room table")

    manager.rooms["/play"] = Untouchable(manager.rooms["/play"])
    manager.pre_disconnect(sids[7], "/play")
    manager.disconnect(sids[7], "/play")
    assert "p:7" not in manager.rooms["/play"] and sids[7] not in manager.rooms["/play"]
    assert "p:8" in manager.rooms["/play"]


@pytest.mark.parametrize("queue, kind", [(None, rooms.Manager), ("redis://127.0.0.1:6379/0", rooms.RedisManager)])
def test_the_app_uses_the_indexed_manager(tmp_path, queue, kind):
    create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"),
                "DATABASE": str(tmp_path / "festival.db"), "SECRET_KEY": "test-secret",
                "ASYNC_MODE": "threading", "MESSAGE_QUEUE": queue})
    assert type(flask_socketio.server.manager) is kind


def test_another_queue_keeps_the_library_s_choice():
    assert rooms.manager_for("kafka://x", "festival") is None


class _SendingServer(_Server):
    """Records each packet sent and each yield, in order."""

    def __init__(self):
        super().__init__()
        self.log: list = []

    def _send_eio_packet(self, eio_sid, pkt):
        self.log.append(eio_sid)

    def sleep(self, seconds=0):
        self.log.append("yield")

    def create_event(self):
        return threading.Event()


@pytest.mark.parametrize("every", [0, 1, 128])
def test_an_emit_to_a_big_room_yields_between_slices_and_reaches_everyone(every):
    manager = rooms.Manager()
    server = _SendingServer()
    manager.set_server(server)
    manager.fanout_slice = every
    for n in range(300):
        sid = manager.connect(f"e{n}", "/play")
        manager.enter_room(sid, "/play", "g:1")
    manager.emit("q", {"i": 0}, namespace="/play", room="g:1")
    sent = [entry for entry in server.log if entry != "yield"]
    assert sorted(sent) == sorted(f"e{n}" for n in range(300))  # every phone, once
    yields = [i for i, entry in enumerate(server.log) if entry == "yield"]
    if every == 0:
        assert yields == []
    else:
        # after every slice of ``every`` sockets (the last, shorter slice goes out without one)
        assert len(yields) == 300 // every
        assert all(server.log[i - every:i].count("yield") == 0 for i in yields)


def _redis_manager():
    manager = rooms.RedisManager("redis://127.0.0.1:1/0", channel="t", write_only=True)  # never connects here
    server = _SendingServer()
    manager.set_server(server)
    manager.published = []
    manager._publish = manager.published.append
    return manager, server


def test_an_emit_to_a_socket_of_this_process_skips_the_queue():
    manager, server = _redis_manager()
    sid = manager.connect("e1", "/play")
    manager.enter_room(sid, "/play", "g:1")
    manager.emit("state", {"st": "lobby"}, namespace="/play", to=sid)
    assert server.log == ["e1"] and manager.published == []
    manager.emit("q", {"i": 0}, namespace="/play", to="g:1")  # a room: every process must hear it
    assert server.log == ["e1", "e1"] and len(manager.published) == 1
    manager.emit("rv", {"i": 0}, namespace="/play", to="someone-elsewhere")
    assert len(manager.published) == 2


def test_each_player_its_own_result_in_one_message_through_the_queue():
    here, here_server = _redis_manager()
    there, there_server = _redis_manager()
    for manager, eio, player in ((here, "e1", 1), (there, "e2", 2), (there, "e3", 3)):
        sid = manager.connect(eio, "/play")
        manager.enter_room(sid, "/play", f"p:{player}")
    here.emit_each("rv", ((f"p:{n}", {"pts": n}) for n in (1, 2, 3)), "/play")
    assert here_server.log == ["e1"] and len(here.published) == 1
    [message] = here.published
    there._handle_emit(message)  # what the other process's listener does with it
    assert there_server.log == ["e2", "e3"]


def test_emit_each_without_a_queue_reaches_each_room():
    manager = rooms.Manager()
    server = _SendingServer()
    manager.set_server(server)
    for n in range(3):
        manager.enter_room(manager.connect(f"e{n}", "/play"), "/play", f"p:{n}")
    manager.emit_each("rv", [(f"p:{n}", {"pts": n}) for n in (2, 0)], "/play")
    assert server.log == ["e2", "e0"]


def test_answers_wait_while_a_big_fanout_is_under_way():
    manager = rooms.Manager()
    server = _SendingServer()
    waits = []

    class _Event:
        def __init__(self):
            self.is_set = True

        def set(self):
            self.is_set = True

        def clear(self):
            self.is_set = False

        def wait(self, timeout):
            waits.append(self.is_set)

    server.eio.create_event = _Event
    manager.set_server(server)
    manager.fanout_slice = 2
    for n in range(5):
        manager.enter_room(manager.connect(f"e{n}", "/play"), "/play", "g:1")
    server.sleep = lambda seconds=0: manager.after_fanout()  # an answer arriving between slices
    manager.emit("q", {"i": 0}, namespace="/play", room="g:1")
    assert waits == [False, False]  # it waited, the fan-out unfinished
    manager.after_fanout()
    assert waits == [False, False] and manager._fanouts == 0  # after it: no wait at all
