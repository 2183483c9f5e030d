"""Part 2: leaderboards. Time to compute the overall and per-school boards at
two festival sizes (in-process, repeated, median), and how many board pushes
a stage screen gets while zone scans pour in through the real server."""
from __future__ import annotations

import asyncio
import secrets
import threading
import time
from pathlib import Path

from kiosk.db import migrate, open_db

from . import dataset, httpload
from .procstat import CpuMeter
from .server import Server
from .stats import median, percentile, ratio
from .wsclient import SioClient

BOARDS = ("overall", "schools")
STAGE_NAMESPACE = "/public"


def _database(workdir: Path, attendees: int, log) -> Path:
    """A migrated database with ``attendees`` people who have points."""
    if attendees >= 10_000:
        source = dataset.cached_large(attendees, 0, log)
        db = dataset.copy_database(source, workdir / f"boards-{attendees}.db")
    else:
        db = dataset.new_database(workdir / f"boards-{attendees}.db")
        dataset.add_zones(db)
        dataset.add_attendees(db, attendees, checked_in_share=0.6)
        dataset.add_points(db)
    migrate(db)
    db.conn.close()
    return workdir / f"boards-{attendees}.db"


def time_boards(path: Path, repeats: int) -> dict:
    """Median and p95 milliseconds to compute each board, after one warm-up call."""
    from kiosk.boards.compute import compute_board

    db = open_db(str(path), "NORMAL")
    try:
        out = {}
        for board in BOARDS:
            compute_board(db, board, "bench-secret")
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                compute_board(db, board, "bench-secret")
                times.append(time.perf_counter() - began)
            out[board] = {"median_ms": round(median(times) * 1000, 3),
                          "p95_ms": round(percentile(times, 95) * 1000, 3), "repeats": repeats}
        return out
    finally:
        db.conn.close()


class StageWatcher:
    """A stage screen on /public in its own thread, counting board pushes."""

    def __init__(self, port: int, credential: str):
        self.port, self.credential = port, credential
        self.pushes: dict[str, list[float]] = {b: [] for b in BOARDS}
        self.ready = threading.Event()
        self.stop = threading.Event()
        self.error: str | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def _on_event(self, namespace, event, data) -> None:
        if event == "board" and isinstance(data, dict) and data.get("board") in self.pushes:
            self.pushes[data["board"]].append(time.time())

    async def _main(self) -> None:
        client = SioClient("127.0.0.1", self.port, self._on_event)
        try:
            await client.open(timeout=60)
            await client.join(STAGE_NAMESPACE, {"token": self.credential}, timeout=60)
            ack = await asyncio.wait_for(client.emit(STAGE_NAMESPACE, "subscribe", {"boards": list(BOARDS)},
                                                     ack=True), 20)
            if not (isinstance(ack, dict) and ack.get("ok")):
                self.error = f"subscribe refused: {ack}"
        except Exception as exc:  # report, never hang the run
            self.error = f"{type(exc).__name__}: {exc}"
        self.ready.set()
        while not self.stop.is_set() and not client.closed.is_set():
            await asyncio.sleep(0.05)
        await client.close()


def pushes_during_scans(workdir: Path, cfg: dict, log) -> dict:
    """Zone scans at the reference concurrency while a stage screen counts board pushes."""
    db = dataset.new_database(workdir / "pushes.db")
    zone_ids = dataset.add_zones(db)
    dataset.add_attendees(db, cfg["max_requests"] + 100, checked_in_share=1.0)
    zone_cred = dataset.add_device(db, "zone", zone_ids[0])
    stage_cred = dataset.add_device(db, "stage")
    tokens = dataset.unchecked_tokens(db, 0) or [r[0] for r in db.execute(
        "SELECT token FROM badges ORDER BY attendee_id LIMIT ?", [cfg["max_requests"]])]
    db.conn.close()
    bodies = [{"id": "z" + secrets.token_hex(10), "text": t} for t in tokens]
    with Server("hub", workdir, database=workdir / "pushes.db") as server:
        watcher = StageWatcher(server.port, stage_cred)
        watcher.thread.start()
        watcher.ready.wait(90)
        if watcher.error:
            watcher.stop.set()
            return {"error": watcher.error}
        began = time.time()
        meter = CpuMeter(server.worker_pid).start()
        c = cfg["reference_concurrency"]
        load = httpload.run(server.port, "/api/scans", {"Authorization": f"Bearer {zone_cred}"},
                            [bodies[i::c] for i in range(c)], cfg["duration_s"])
        used = meter.stop()
        time.sleep(0.6)  # the publisher coalesces for 250 ms: let the last push land
        watcher.stop.set()
        watcher.thread.join(10)
        window = load.elapsed_s or 1
        counts = {b: sum(1 for t in ts if t >= began) for b, ts in watcher.pushes.items()}
        out = {"scans": load.summary(), "server_cpu_s": round(used, 3),
               "pushes": counts, "pushes_per_s": {b: round(n / window, 2) for b, n in counts.items()},
               "server_errors": server.errors_in_log()[:5]}
    log(f"  pushes while {out['scans']['per_s']} zone scans/s: {out['pushes_per_s']}")
    return out


def run(cfg: dict, workdir: Path, log=print) -> dict:
    """Board compute times at both sizes, pushes under load, and the goal verdicts."""
    small, large = cfg["board_sizes"]
    timings = {}
    for size in (small, large):
        timings[size] = time_boards(_database(workdir, size, log), cfg["board_repeats"])
        log(f"  boards at {size} attendees: " +
            ", ".join(f"{b} {t['median_ms']} ms" for b, t in timings[size].items()))
    pushes = pushes_during_scans(workdir, cfg, log)
    verdicts = []
    for board in BOARDS:
        figure = ratio(timings[large][board]["median_ms"], timings[small][board]["median_ms"])
        verdicts.append({"goal": f"{board} board at {large:,} attendees ≤ 1.5× the time at {small:,}",
                         "figure": figure, "unit": f"× {small:,}", "met": figure is not None and figure <= 1.5})
    return {"compute": {str(k): v for k, v in timings.items()}, "pushes": pushes, "goals": verdicts}
