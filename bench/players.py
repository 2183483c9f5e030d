"""Load generator for live games: one process drives many phones.

Each phone arrives at its own moment of the crowd's arrival window (the join
code has just appeared on the big screen), from its own loopback address, and
makes a browser's first visit over one keep-alive connection: the play page
``/play?code=…`` and every file it references (bench/firstvisit.py), then the
join exactly as the page does (``POST /play/join`` with a JSON body,
static/js/player.js); then it opens its websocket and connects to ``/play`` with the token it was given,
then waits for each question (``q``), answers within the burst window and
waits for its own result (``rv``). Every time is ``time.time()`` so the
parent can compare it with its own stamps (same machine, same clock). The
process stops by itself at ``deadline`` or when the parent sets ``done``.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import secrets
import time

from kiosk.ops.serving import raise_open_file_limit

from .firstvisit import Connection, first_visit, phone_address
from .wsclient import SioClient

PLAY = "/play"
STEP_TIMEOUT_S = 60.0


def _join_body(code: str) -> bytes:
    return json.dumps({"code": code, "nickname": None, "lang": "vi"}).encode()


async def http_join(conn: Connection, code: str, timeout: float) -> tuple[int, dict | None]:
    """``POST /play/join`` on the phone's keep-alive connection, as its page does; returns (status, body)."""
    response = await conn.request("POST", "/play/join", timeout, body=_join_body(code), headers={
        "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": ""})
    try:
        return response.status, json.loads(response.body) if response.body else None
    except ValueError:
        return response.status, None


class Player:
    def __init__(self, arrive_at: float, window_s: float, rng: random.Random, answered=None,
                 source: str | None = None, visit: bool = True):
        self.arrive_at, self.window_s, self.rng = arrive_at, window_s, rng
        self.source, self.visit = source, visit  # own loopback address; load the page first?
        self.conn: Connection | None = None
        self.page_s: float | None = None  # the page and its files loaded
        self.arrived_s: float | None = None  # arrival to joined (socket connected to /play)
        self.requests = 0  # HTTP requests of the first visit
        self.page_bytes = 0  # bytes on the wire for them
        self.failed_files: list[str] = []
        self.retries = 0  # requests sent again after the server closed the keep-alive connection
        self.answered = answered  # shared per-question count of acknowledged answers
        self.client: SioClient | None = None
        self.join_s: float | None = None
        self.connect_s: float | None = None
        self.error: str | None = None
        self.questions: dict[int, float] = {}  # idx -> arrival time
        self.sent: dict[int, float] = {}  # idx -> answer sent
        self.acked: dict[int, float] = {}  # idx -> ack received
        self.results: dict[int, float] = {}  # idx -> own rv received
        self.bad_acks = 0

    def on_event(self, namespace, event, data) -> None:
        if event == "q" and isinstance(data, dict) and isinstance(data.get("i"), int):
            idx = data["i"]
            if idx not in self.questions:
                self.questions[idx] = time.time()
                asyncio.get_running_loop().create_task(self.answer(idx))
        elif event == "rv" and isinstance(data, dict) and isinstance(data.get("i"), int):
            self.results.setdefault(data["i"], time.time())

    async def answer(self, idx: int) -> None:
        await asyncio.sleep(self.rng.random() * self.window_s)
        self.sent[idx] = time.time()
        try:
            ack = await asyncio.wait_for(
                self.client.emit(PLAY, "answer", {"i": idx, "c": [0], "id": secrets.token_hex(8)}, ack=True), 60)
        except Exception:  # counted below: a lost ack is a result, not a crash
            self.bad_acks += 1
            return
        self.acked[idx] = time.time()
        if not (isinstance(ack, dict) and ack.get("ok")):
            self.bad_acks += 1
        elif self.answered is not None and 0 <= idx < len(self.answered):
            with self.answered.get_lock():
                self.answered[idx] += 1

    async def arrive(self, host: str, port: int, code: str) -> None:
        """Wait for this phone's moment; load the page and its files (a first visit), join over
        HTTP on the same keep-alive connection, then connect the socket with the token."""
        await asyncio.sleep(max(0.0, self.arrive_at - time.time()))
        arrived = began = time.time()
        try:
            self.conn = Connection(host, port, self.source)
            if self.visit:
                visit = await first_visit(self.conn, f"{PLAY}?code={code}", STEP_TIMEOUT_S)
                self.requests = visit.requests
                self.page_bytes = sum(r.wire_bytes for r in visit.responses)
                self.failed_files = visit.failed
                self.page_s = time.time() - began
                if self.failed_files:
                    self.error = "page: " + ", ".join(self.failed_files[:3])
                    return
            began = time.time()
            status, body = await http_join(self.conn, code, STEP_TIMEOUT_S)
            if status != 201 or not isinstance(body, dict) or not body.get("token"):
                code_ = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
                self.error = f"join HTTP {status} {code_ or ''}".strip()
                return
            self.join_s = time.time() - began
            self.retries = self.conn.retries
            began = time.time()
            self.client = SioClient(host, port, self.on_event, source=self.source)
            await self.client.open(STEP_TIMEOUT_S)
            await self.client.join(PLAY, {"token": body["token"]}, STEP_TIMEOUT_S)
            self.connect_s = time.time() - began
            self.arrived_s = time.time() - arrived
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:200]


def _failed_at(players) -> dict:
    """How many phones failed at each step: page, join, socket."""
    out: dict[str, int] = {}
    for p in players:
        if p.connect_s is not None or p.error is None:
            continue
        step = "page" if p.error.startswith("page") or (p.visit and p.page_s is None) else \
            "join" if p.join_s is None else "socket"
        out[step] = out.get(step, 0) + 1
    return out


async def _main(host, port, code, arrivals, window_s, ready, done, deadline, seed, answered, first,
                visit) -> dict:
    rng = random.Random(seed)
    players = [Player(at, window_s, rng, answered, phone_address(index), visit) for index, at in zip(first, arrivals)]
    began = time.time()
    await asyncio.gather(*(p.arrive(host, port, code) for p in players))
    connected_in = time.time() - began
    ready.put({"connected": sum(1 for p in players if p.connect_s is not None), "seconds": connected_in})
    while not done.is_set() and time.time() < deadline:
        await asyncio.sleep(0.05)
    for p in players:
        if p.client is not None:
            await p.client.close()
        if p.conn is not None:
            p.conn.close()
    return {
        "page_s": [p.page_s for p in players if p.page_s is not None],
        "arrived_s": [p.arrived_s for p in players if p.arrived_s is not None],
        "requests": [p.requests for p in players if p.page_s is not None],
        "page_bytes": [p.page_bytes for p in players if p.page_s is not None],
        "retries": sum(p.retries for p in players),
        "failed_at": _failed_at(players),
        "join_s": [p.join_s for p in players if p.join_s is not None],
        "connect_s": [p.connect_s for p in players if p.connect_s is not None],
        "connect_errors": [p.error for p in players if p.error][:5],
        "failed": sum(1 for p in players if p.connect_s is None),
        "questions": [p.questions for p in players],
        "sent": [p.sent for p in players],
        "acked": [p.acked for p in players],
        "results": [p.results for p in players],
        "bad_acks": sum(p.bad_acks for p in players),
        "connect_wall_s": connected_in,
    }


def run_process(host, port, code, arrivals, window_s, ready, done, out, deadline, seed, cpu=None,
                answered=None, first=None, visit=True) -> None:
    """Entry point of one load-generator process; puts its figures on ``out``.

    ``arrivals`` are the epoch times at which this process's phones arrive;
    ``cpu`` pins the process to that core (the server runs on another);
    ``answered`` (a shared array) counts acknowledged answers per question;
    ``first`` numbers the phones (each gets its own source address,
    :func:`bench.firstvisit.phone_address`); ``visit``: each phone loads the
    play page and its files before it joins.
    """
    raise_open_file_limit()
    if cpu is not None:
        try:
            os.sched_setaffinity(0, {cpu})
        except (AttributeError, OSError):
            pass
    cpu0 = time.process_time()
    first = list(first) if first is not None else list(range(len(arrivals)))
    result = asyncio.run(_main(host, port, code, arrivals, window_s, ready, done, deadline, seed, answered,
                               first, visit))
    result["cpu_s"] = time.process_time() - cpu0
    out.put(result)
