"""Answers written together (games/live/answers.py): chunks of one transaction,
acknowledged only after their commit, one refused answer never undoing another,
and a failed commit refusing the whole chunk."""
from __future__ import annotations

import sqlite3

import eventlet
import pytest
from eventlet.green.threading import Event

from games.live import answers
from games.live import game as live
from games.live.answers import Answer, AnswerQueue, write_chunk
from kiosk.errors import ServiceError

T0 = 1_000_000.0


def _queue(write, after=lambda chunk: None, chunk=answers.CHUNK):
    return AnswerQueue(write, after, eventlet.spawn, eventlet.sleep, Event, chunk=chunk)


def _run(queue, items):
    """Each item submitted from its own green thread (as handlers are); returns what each got."""
    got = {}

    def handler(n, item):
        try:
            got[n] = queue.submit(item)
        except Exception as exc:  # noqa: BLE001 - the test looks at what each handler got
            got[n] = exc

    threads = [eventlet.spawn(handler, n, item) for n, item in enumerate(items)]
    for t in threads:
        t.wait()
    return got


def _answers(n):
    return [Answer(player_id=p, idx=0, choice=[0], client_id=f"c{p}", now=T0) for p in range(n)]


def test_answers_arriving_together_are_written_in_chunks_and_acknowledged_after():
    written, announced = [], []

    def write(chunk):
        # No handler of this chunk has had its ack yet.
        assert all(not a.done.is_set() for a in chunk)
        written.append([a.player_id for a in chunk])
        for a in chunk:
            a.ack = {"player": a.player_id}

    got = _run(_queue(write, lambda chunk: announced.append(len(chunk)), chunk=64), _answers(150))
    assert [len(c) for c in written] == [64, 64, 22]
    assert sorted(p for c in written for p in c) == list(range(150))
    assert announced == [64, 64, 22]
    assert got == {n: {"player": n} for n in range(150)}


def test_a_failed_chunk_fails_its_own_answers_only_and_the_queue_goes_on():
    calls = []

    def write(chunk):
        calls.append(len(chunk))
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        for a in chunk:
            a.ack = {"ok": True}

    queue = _queue(write, chunk=10)
    got = _run(queue, _answers(25))
    assert calls == [10, 10, 5]
    assert all(isinstance(got[n], sqlite3.OperationalError) for n in range(10))
    assert all(got[n] == {"ok": True} for n in range(10, 25))
    # Later answers start a new writer.
    assert _run(queue, _answers(3)) == {n: {"ok": True} for n in range(3)}
    assert not queue.writing


@pytest.fixture
def game(db):
    from games.quiz import questions

    questions.sync_shipped(db)
    created = live.create_game(db, bank=None, count=2, host="test", now=T0, time_limit=20)
    players = [live.join_by_code(db, created["code"], T0)["player"] for _ in range(4)]
    live.next_question(db, created["id"], T0)
    return created, players


def _stored(db, game_id):
    return db.execute("SELECT COUNT(*) FROM game_answers WHERE game_id = ?", [game_id]).fetchone()[0]


def test_a_refused_answer_in_a_chunk_leaves_the_others_stored(db, game):
    created, players = game
    chunk = [Answer(players[0]["id"], 0, [0], "a", T0 + 1),
             Answer(players[1]["id"], 0, [99], "b", T0 + 1),  # no such option
             Answer(players[2]["id"], 0, [1], "c", T0 + 1),
             Answer(players[2]["id"], 0, [0], "other", T0 + 1)]  # a second answer of the same player
    write_chunk(db, chunk)
    assert chunk[0].ack["standing"]["n"] == 4 and chunk[2].ack["ms"] == 1000
    assert isinstance(chunk[1].error, ServiceError) and chunk[1].error.code == "bad_choice"
    assert isinstance(chunk[3].error, ServiceError) and chunk[3].error.code == "already_answered"
    assert _stored(db, created["id"]) == 2
    assert not db.conn.in_transaction


def test_a_replayed_answer_gets_its_standing_too(db, game):
    _created, players = game
    first = [Answer(players[0]["id"], 0, [0], "same", T0 + 1)]
    again = [Answer(players[0]["id"], 0, [0], "same", T0 + 2)]
    write_chunk(db, first)
    write_chunk(db, again)
    assert again[0].ack["replayed"] and again[0].ack["standing"] == first[0].ack["standing"]


class _FailingCommit:
    """A connection whose COMMIT fails (a full disk, say); everything else passes through."""

    def __init__(self, conn):
        self._conn = conn

    def execute(self, sql, *args):
        if sql.strip().upper() == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_a_failed_commit_acknowledges_nothing_and_stores_nothing(db, game):
    created, players = game
    real = db.conn
    db.conn = _FailingCommit(real)
    try:
        chunk = [Answer(p["id"], 0, [0], f"c{p['id']}", T0 + 1) for p in players[:3]]
        write_chunk(db, chunk)
    finally:
        db.conn = real
    assert all(a.ack is None and isinstance(a.error, sqlite3.OperationalError) for a in chunk)
    if real.in_transaction:
        real.execute("ROLLBACK")
    assert _stored(db, created["id"]) == 0


def test_the_clock_sees_the_oldest_answer_still_waiting():
    seen = []

    def write(chunk):
        seen.append(queue.waiting_since())  # what the clock would see meanwhile
        for a in chunk:
            a.ack = {}

    queue = _queue(write, chunk=2)
    assert queue.waiting_since() is None
    items = _answers(5)
    for n, item in enumerate(items):
        item.now = T0 + 5 - n  # handlers may run a little out of arrival order
    _run(queue, items)
    assert seen == [T0 + 1, T0 + 1, None]
    assert queue.waiting_since() is None


@pytest.mark.parametrize("mode, queued", [("eventlet", True), ("gevent", True), ("threading", False)])
def test_served_async_modes_queue_answers_and_threading_writes_each_alone(tmp_path, mode, queued):
    """gevent runs the same chunked answer writer as eventlet (issue 25)."""
    from kiosk import create_app

    pytest.importorskip(mode if mode != "threading" else "threading")
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
                      "ASYNC_MODE": mode, "TESTING": True})
    try:
        assert ("live_answers" in app.extensions) is queued
    finally:
        create_app({"INSTANCE_PATH": str(tmp_path / "j"), "DATABASE": str(tmp_path / "g.db"),
                    "ASYNC_MODE": "threading", "TESTING": True})  # the shared socketio back to threading
