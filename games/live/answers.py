"""Answers written together: one transaction for the answers that arrive together.

When a question opens, every phone answers within a second or two: 2,000
answers, each its own transaction (BEGIN IMMEDIATE, a few reads, an insert,
COMMIT) and each run to the end as soon as it arrived. Under eventlet nothing
else runs until the worker yields, so the answers that arrived together ran
back to back, and a desk scan or a host's click waited behind all of them
(issue 17: desk p99 about 300 ms while 2,000 phones answered).

Here each ``/play`` answer handler queues its answer and waits; a writer task
takes up to ``CHUNK`` queued answers, writes them in one transaction (each in
its own savepoint, so one refused answer never undoes another), wakes their
handlers and yields before the next chunk. Nothing is acknowledged before its
commit. Staff requests and other games' events run between chunks, and the
commit is paid once per chunk instead of once per answer.

Only a worker that serves many sockets at once (eventlet or gevent) queues;
the threading mode of the unit tests writes each answer alone, through the
same :func:`write_chunk`. Either way, after the commit the game service
settles the answers (:func:`games.live.game.settle_answers`: the rule that
closes a question when everyone answered) and announces what changed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kiosk.db import transaction
from kiosk.realtime import socketio
from kiosk.realtime_adapter import after_fanout, create_event

from games.live import clock as live_clock
from games.live import db as live_db
from games.live import game as live
from games import scoring

log = logging.getLogger(__name__)

CHUNK = 64  # answers per transaction: about 20 ms of the worker before it yields


@dataclass
class Answer:
    """One phone's answer as received (``now``: the hub's clock on arrival)."""

    player_id: int
    idx: object
    choice: object
    client_id: object
    now: float
    ack: dict | None = None
    error: BaseException | None = None
    done: object = field(default=None, repr=False)  # the event its handler waits on


def write_chunk(db, answers: list[Answer]) -> None:
    """Store ``answers`` in one transaction; each gets its ``ack`` (with the
    player's standing) or its ``error``. If the commit itself fails, every
    answer gets that error: nothing is acknowledged that was not stored."""
    try:
        with transaction(db):
            for a in answers:
                try:
                    # live.answer's own transaction is a savepoint of the chunk's: a refused
                    # answer undoes only itself.
                    ack = live.answer(db, a.player_id, a.idx, a.choice, a.client_id, a.now)
                    if not ack.get("standing"):
                        # A replayed answer: the standing stored when the last question
                        # closed (one row), as a new answer's, which live.answer read.
                        ack["standing"] = scoring.own_standing(db, None, {"id": a.player_id})
                    a.ack = ack
                except Exception as exc:  # noqa: BLE001 - this answer's error, reported to its phone
                    a.error = exc
    except Exception as exc:  # noqa: BLE001 - the commit failed: no answer of the chunk stands
        for a in answers:
            a.ack, a.error = None, a.error or exc


class AnswerQueue:
    """Answers waiting for the writer task.

    ``write(chunk)`` stores a chunk (as :func:`write_chunk`), then the
    chunk's handlers are woken, then ``after(chunk)`` announces what the
    chunk changed (a question closed by its last answer, the live counters).
    ``spawn``, ``sleep`` and ``event`` are the async mode's (eventlet or
    gevent in a served hub): :meth:`submit` is called from a handler's green thread and
    blocks only that one.
    """

    def __init__(self, write, after, spawn, sleep, event, chunk: int = CHUNK):
        self.write, self.after = write, after
        self.spawn, self.sleep, self.event = spawn, sleep, event
        self.chunk = chunk
        self.pending: list[Answer] = []
        self.writing = False

    def waiting_since(self) -> float | None:
        """Arrival time of the oldest answer not yet written, or None.

        The clock asks before closing a question on time: an answer that
        arrived in time but waits here must not be refused as too late. (A
        chunk being written is never seen half-way: the writer yields only
        between chunks.)"""
        return min((a.now for a in self.pending), default=None)

    def submit(self, answer: Answer) -> dict:
        """Queue ``answer`` and return its ack once stored (or raise its error)."""
        answer.done = self.event()
        self.pending.append(answer)
        if not self.writing:
            self.writing = True
            self.spawn(self._drain)
        answer.done.wait()
        if answer.error is not None:
            raise answer.error
        return answer.ack

    def _drain(self) -> None:
        try:
            # The answers that arrived with the first one queue behind it first.
            self.sleep(0)
            while self.pending:
                chunk, self.pending = self.pending[:self.chunk], self.pending[self.chunk:]
                try:
                    self.write(chunk)
                except Exception as exc:  # noqa: BLE001 - a handler must never wait for ever
                    for a in chunk:
                        a.ack, a.error = None, a.error or exc
                for a in chunk:
                    a.done.set()
                try:
                    self.after(chunk)
                except Exception:  # noqa: BLE001 - the answers stand; the next chunk must still be written
                    log.exception("announcing a chunk of answers failed")
                self.sleep(0)
        finally:
            self.writing = False
            if self.pending:  # queued after the last look (a flush that yielded)
                self.writing = True
                self.spawn(self._drain)


def submit(app, answer: Answer) -> dict:
    """Store ``answer`` (queued with others in a served hub, alone otherwise); returns its ack.

    Timed already: it waits while a question's fan-out is under way (kiosk/realtime_adapter.py).
    """
    after_fanout(socketio.server)
    queue = app.extensions.get("live_answers")
    if queue is not None:
        return queue.submit(answer)
    write_answers(app, [answer])
    announce_answers(app, [answer])
    if answer.error is not None:
        raise answer.error
    return answer.ack


def write_answers(app, chunk: list[Answer]) -> None:
    with app.app_context():
        source = live_db.pool_for(app)
        db = source.take()
        try:
            write_chunk(db, chunk)
        finally:
            source.give(db)


def announce_answers(app, chunk: list[Answer]) -> None:
    """After a chunk's commit: the game service settles it (a question its last
    answer completed closes; the other games' counters changed)."""
    acks = [a.ack for a in chunk if a.ack is not None]
    if not acks:
        return
    with app.app_context():
        source = live_db.pool_for(app)
        db = source.take()
        try:
            live.settle_answers(db, acks, live_clock.clock())
        finally:
            source.give(db)


#: async modes whose handlers wait cheaply on an event: their answers are queued and written together
QUEUED_MODES = ("eventlet", "gevent", "gevent_uwsgi")


def init_app(app, socketio) -> None:
    """A served hub (eventlet or gevent) writes answers in chunks (:class:`AnswerQueue`);
    the threading mode of the unit tests writes each alone."""
    server = socketio.server
    if server is not None and server.async_mode in QUEUED_MODES:
        app.extensions["live_answers"] = AnswerQueue(
            lambda chunk: write_answers(app, chunk), lambda chunk: announce_answers(app, chunk),
            socketio.start_background_task, socketio.sleep, lambda: create_event(server))
