"""Load generator for live games: one process drives many phones.

Each phone arrives at its own moment of the crowd's arrival window (the join
code has just appeared on the big screen), joins over HTTP exactly as the
phone page does (``POST /play/join`` with a JSON body, static/js/player.js),
opens its websocket and connects to ``/play`` with the token it was given,
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

from .wsclient import SioClient

PLAY = "/play"
STEP_TIMEOUT_S = 60.0


async def http_join(host: str, port: int, code: str, timeout: float) -> tuple[int, dict | None]:
    """``POST /play/join`` on a fresh connection, as a phone's page does; returns (status, body)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        body = json.dumps({"code": code, "nickname": None, "lang": "vi"}).encode()
        writer.write((f"POST /play/join HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                      f"Accept: application/json\r\nX-CSRF-Token: \r\nContent-Length: {len(body)}\r\n"
                      f"Connection: close\r\n\r\n").encode() + body)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        data = await asyncio.wait_for(reader.readexactly(length) if length is not None else reader.read(),
                                      timeout)
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None
    finally:
        writer.close()


class Player:
    def __init__(self, arrive_at: float, window_s: float, rng: random.Random, answered=None):
        self.arrive_at, self.window_s, self.rng = arrive_at, window_s, rng
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
        """Wait for this phone's moment, join over HTTP, then connect the socket with the token."""
        await asyncio.sleep(max(0.0, self.arrive_at - time.time()))
        began = time.time()
        try:
            status, body = await http_join(host, port, code, STEP_TIMEOUT_S)
            if status != 201 or not isinstance(body, dict) or not body.get("token"):
                code_ = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
                self.error = f"join HTTP {status} {code_ or ''}".strip()
                return
            self.join_s = time.time() - began
            began = time.time()
            self.client = SioClient(host, port, self.on_event)
            await self.client.open(STEP_TIMEOUT_S)
            await self.client.join(PLAY, {"token": body["token"]}, STEP_TIMEOUT_S)
            self.connect_s = time.time() - began
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"[:200]


async def _main(host, port, code, arrivals, window_s, ready, done, deadline, seed, answered) -> dict:
    rng = random.Random(seed)
    players = [Player(at, window_s, rng, answered) for at in arrivals]
    began = time.time()
    await asyncio.gather(*(p.arrive(host, port, code) for p in players))
    connected_in = time.time() - began
    ready.put({"connected": sum(1 for p in players if p.connect_s is not None), "seconds": connected_in})
    while not done.is_set() and time.time() < deadline:
        await asyncio.sleep(0.05)
    for p in players:
        if p.client is not None:
            await p.client.close()
    return {
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
                answered=None) -> None:
    """Entry point of one load-generator process; puts its figures on ``out``.

    ``arrivals`` are the epoch times at which this process's phones arrive;
    ``cpu`` pins the process to that core (the server runs on another);
    ``answered`` (a shared array) counts acknowledged answers per question.
    """
    raise_open_file_limit()
    if cpu is not None:
        try:
            os.sched_setaffinity(0, {cpu})
        except (AttributeError, OSError):
            pass
    cpu0 = time.process_time()
    result = asyncio.run(_main(host, port, code, arrivals, window_s, ready, done, deadline, seed, answered))
    result["cpu_s"] = time.process_time() - cpu0
    out.put(result)
