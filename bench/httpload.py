"""A closed-loop HTTP load generator: N keep-alive clients spread over a few
processes, each sending its own list of requests back to back until the list
or the time runs out. Loopback only; bounded in count and time."""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from kiosk.ops.serving import raise_open_file_limit

from .stats import summary_ms


@dataclass
class LoadResult:
    requests: int = 0
    elapsed_s: float = 0.0
    latencies: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    results: Counter = field(default_factory=Counter)
    errors: int = 0
    client_cpu_s: float = 0.0
    sent_per_client: dict = field(default_factory=dict)  # client index -> requests answered

    def summary(self) -> dict:
        rate = self.requests / self.elapsed_s if self.elapsed_s else 0.0
        return {"requests": self.requests, "elapsed_s": round(self.elapsed_s, 3),
                "per_s": round(rate, 1), **summary_ms(self.latencies),
                "statuses": dict(self.statuses), "results": dict(self.results),
                "errors": self.errors, "load_generator_cpu_s": round(self.client_cpu_s, 3)}


def _client(index: int, port: int, path: str, headers: dict, bodies: list[bytes], start_at: float,
            stop_at: float, out: list) -> None:
    """One keep-alive client: send each body in turn; record latency and outcome."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, statuses, results, errors, last = [], Counter(), Counter(), 0, start_at
    while time.time() < start_at:
        time.sleep(0.001)
    for body in bodies:
        if time.time() >= stop_at:
            break
        began = time.perf_counter()
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - began)
        last = time.time()
        statuses[response.status] += 1
        try:
            answer = json.loads(data)
            key = str(answer.get("result", "-")) if isinstance(answer, dict) else "-"
            results[key + (" (replayed)" if isinstance(answer, dict) and answer.get("replayed") else "")] += 1
        except ValueError:
            results["not-json"] += 1
    conn.close()
    out.append((index, latencies, statuses, results, errors, last))


def _process(args) -> dict:
    port, path, headers, per_thread, start_at, stop_at, cpus = args  # per_thread: [(index, bodies)]
    raise_open_file_limit()
    if cpus:
        os.sched_setaffinity(0, cpus)
    cpu0 = time.process_time()
    out: list = []
    threads = [threading.Thread(target=_client, args=(i, port, path, headers, bodies, start_at, stop_at, out))
               for i, bodies in per_thread]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"out": out, "cpu": time.process_time() - cpu0}


def run(port: int, path: str, headers: dict, bodies_per_client: list[list[dict]],
        duration_s: float, processes: int = 2, cpus: set[int] | None = None) -> LoadResult:
    """Send every client's bodies (JSON) to ``POST path`` for at most ``duration_s``.

    Clients are spread round-robin over ``processes`` worker processes so the
    generator is not held back by one interpreter lock; ``cpus`` pins them
    (the server runs on another core).
    """
    headers = dict(headers, **{"Content-Type": "application/json"})
    encoded = [(i, [json.dumps(b).encode() for b in bodies]) for i, bodies in enumerate(bodies_per_client)]
    processes = max(1, min(processes, len(encoded)))
    groups = [encoded[i::processes] for i in range(processes)]
    start_at = time.time() + 0.5 + 0.1 * processes
    stop_at = start_at + duration_s
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(processes) as pool:
        parts = pool.map(_process, [(port, path, headers, g, start_at, stop_at, cpus) for g in groups])
    result = LoadResult()
    last_done = start_at
    for part in parts:
        result.client_cpu_s += part["cpu"]
        for index, latencies, statuses, results, errors, last in part["out"]:
            result.sent_per_client[index] = len(latencies)
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.results.update(results)
            result.errors += errors
            last_done = max(last_done, last)
    result.requests = len(result.latencies)
    result.elapsed_s = last_done - start_at
    return result
