"""Load generator for live games: one process drives many websocket players.

Each player connects to ``/play`` with its token, waits for each question
(``q``), answers within the burst window and waits for its own result
(``rv``). Every time is ``time.time()`` so the parent can compare it with
its own stamps (same machine, same clock). The process stops by itself at
``deadline`` or when the parent sets ``done``.
"""
from __future__ import annotations

import asyncio
import random
import secrets
import time

from kiosk.ops.serving import raise_open_file_limit

from .wsclient import SioClient

PLAY = "/play"
CONNECT_AT_ONCE = 100


class Player:
    def __init__(self, token: str, window_s: float, rng: random.Random):
        self.token, self.window_s, self.rng = token, window_s, rng
        self.client: SioClient | None = None
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

    async def connect(self, host: str, port: int, gate: asyncio.Semaphore, timeout: float) -> None:
        async with gate:
            began = time.time()
            self.client = SioClient(host, port, self.on_event)
            try:
                await self.client.open(timeout)
                await self.client.join(PLAY, {"token": self.token}, timeout)
                self.connect_s = time.time() - began
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"[:200]


async def _main(host, port, tokens, window_s, ready, done, deadline, seed) -> dict:
    rng = random.Random(seed)
    players = [Player(t, window_s, rng) for t in tokens]
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    began = time.time()
    await asyncio.gather(*(p.connect(host, port, gate, timeout=max(5.0, deadline - time.time())) for p in players))
    connected_in = time.time() - began
    ready.put({"connected": sum(1 for p in players if p.connect_s is not None), "seconds": connected_in})
    while not done.is_set() and time.time() < deadline:
        await asyncio.sleep(0.05)
    for p in players:
        if p.client is not None:
            await p.client.close()
    return {
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


def run_process(host, port, tokens, window_s, ready, done, out, deadline, seed) -> None:
    """Entry point of one load-generator process; puts its figures on ``out``."""
    raise_open_file_limit()
    cpu0 = time.process_time()
    result = asyncio.run(_main(host, port, tokens, window_s, ready, done, deadline, seed))
    result["cpu_s"] = time.process_time() - cpu0
    out.put(result)
