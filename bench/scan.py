"""Part 1: the scan path (POST /api/scans) through gunicorn + eventlet against
a bare one-insert endpoint under the same server and load generator."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from kiosk.tokens import new_token

from . import commitcost, dataset, httpload
from .procstat import CpuMeter, pin
from .server import Server
from .stats import ratio


def _scan_id() -> str:
    return "b" + secrets.token_hex(10)


def _split(bodies: list[dict], clients: int) -> list[list[dict]]:
    return [bodies[i::clients] for i in range(clients)]


def _measure(server: Server, path: str, headers: dict, bodies: list[dict], clients: int,
             duration: float, split: list[list[dict]] | None = None) -> dict:
    """Run one load level and add the worker's CPU per request to the summary.

    The summary's ``sent`` holds, per client, the bodies that were answered
    (so a later run can replay exactly those).
    """
    pinned = not os.environ.get("BENCH_NO_PIN") and pin(server.worker_pid, SERVER_CPU)
    meter = CpuMeter(server.worker_pid).start()
    split = split or _split(bodies, clients)
    load = httpload.run(server.port, path, headers, split, duration, cpus={LOAD_CPU} if pinned else None)
    used = meter.stop()
    out = load.summary()
    per = (lambda seconds: round(seconds / load.requests * 1000, 3)) if load.requests else (lambda seconds: None)
    out.update({"concurrency": clients, "server_cpu_s": round(used, 3), "pinned": pinned,
                "server_cpu_ms_per_request": per(used),
                # what the worker spent in user space and in the kernel (socket writes, fsync)
                "server_user_ms_per_request": per(meter.user), "server_system_ms_per_request": per(meter.system),
                # what an outside client sees: one scan's share of the wall clock at this load
                "wall_ms_per_request": per(load.elapsed_s),
                "load_generator_cpu_ms_per_request": per(load.client_cpu_s)})
    out["sent"] = [split[i][:load.sent_per_client.get(i, 0)] for i in range(len(split))]
    return out


# With 2+ cores: the worker on one, the load generator on another (as the fan-out part does),
# so neither's CPU time is taken on a core the other shares (BENCH_NO_PIN=1: unpinned, as before).
SERVER_CPU, LOAD_CPU = 0, 1


def _warm(server: Server, path: str, headers: dict, bodies: list[dict]) -> None:
    httpload.run(server.port, path, headers, [bodies], duration_s=5, processes=1)


def _baseline(cfg: dict, workdir: Path, log) -> dict:
    levels = {}
    with Server("baseline", workdir, database=workdir / "baseline.db") as server:
        _warm(server, "/scan", {}, [{"id": _scan_id(), "text": new_token()} for _ in range(20)])
        for clients in cfg["concurrency"]:
            bodies = [{"id": _scan_id(), "text": new_token()} for _ in range(cfg["max_requests"])]
            levels[clients] = _measure(server, "/scan", {}, bodies, clients, cfg["duration_s"])
            levels[clients].pop("sent")
            log(f"  baseline c={clients}: {levels[clients]['per_s']}/s p99 {levels[clients]['p99_ms']} ms")
    return levels


def _hub_run(db_path: Path, workdir: Path, cfg: dict, tokens: list[str], credential: str, log,
             label: str, levels_wanted, extras: bool) -> dict:
    """Distinct check-ins at each concurrency, then (if ``extras``) duplicates and unknown badges."""
    headers = {"Authorization": f"Bearer {credential}"}
    out: dict = {"levels": {}}
    with Server("hub", workdir, database=db_path) as server:
        _warm(server, "/api/scans", headers, [{"id": _scan_id(), "text": t} for t in tokens[:20]])
        tokens = tokens[20:]
        kept = None
        for clients in levels_wanted:
            chunk, tokens = tokens[:cfg["max_requests"]], tokens[cfg["max_requests"]:]
            bodies = [{"id": _scan_id(), "text": t, "station": "bench"} for t in chunk]
            level = _measure(server, "/api/scans", headers, bodies, clients, cfg["duration_s"])
            sent = level.pop("sent")
            out["levels"][clients] = level
            log(f"  {label} c={clients}: {out['levels'][clients]['per_s']}/s "
                f"p99 {out['levels'][clients]['p99_ms']} ms")
            if clients == cfg["reference_concurrency"]:
                kept = sent
        if extras and kept:
            c = cfg["reference_concurrency"]
            # Replay exactly what each client got answered: every one is a duplicate.
            out["duplicates"] = _measure(server, "/api/scans", headers, [], c, cfg["duration_s"], split=kept)
            unknown = [{"id": _scan_id(), "text": new_token()} for _ in range(cfg["max_requests"])]
            out["unknown"] = _measure(server, "/api/scans", headers, unknown, c, cfg["duration_s"])
            out["duplicates"].pop("sent")
            out["unknown"].pop("sent")
            log(f"  {label} duplicates: {out['duplicates']['per_s']}/s, unknown: {out['unknown']['per_s']}/s")
        out["server_errors"] = server.errors_in_log()[:5]
    return out


def run(cfg: dict, workdir: Path, log=print) -> dict:
    """Measure baseline and hub; return figures and goal verdicts."""
    needed = cfg["max_requests"] * (len(cfg["concurrency"]) + 1) + 100
    commits = commitcost.measure(workdir)
    log(f"  one commit: FULL {commits['FULL']['median_ms']} ms, NORMAL {commits['NORMAL']['median_ms']} ms (median)")
    baseline = _baseline(cfg, workdir, log)

    db = dataset.new_database(workdir / "empty.db")
    dataset.add_attendees(db, needed)
    credential = dataset.add_device(db)
    tokens = dataset.unchecked_tokens(db, needed)
    db.conn.close()
    empty = _hub_run(workdir / "empty.db", workdir, cfg, tokens, credential, log, "hub (empty db)",
                     cfg["concurrency"], extras=True)

    attendees, scans = cfg["large_db"]
    source = dataset.cached_large(attendees, scans, log)
    db = dataset.copy_database(source, workdir / "large.db")
    credential = dataset.add_device(db)
    tokens = dataset.unchecked_tokens(db, cfg["max_requests"] + 100)
    db.conn.close()
    large = _hub_run(workdir / "large.db", workdir, cfg, tokens, credential, log,
                     f"hub ({attendees} attendees, {scans} scans)", [cfg["reference_concurrency"]], extras=False)
    return {"commit_cost": commits, "baseline": baseline, "hub_empty": empty, "hub_large": large,
            "large_db": {"attendees": attendees, "scans": scans}, "goals": goals(cfg, baseline, empty, large)}


def goals(cfg: dict, baseline: dict, empty: dict, large: dict) -> list[dict]:
    """The issue's three scan-path goals, each with its figure and verdict."""
    c_ref, c_max = cfg["reference_concurrency"], max(cfg["concurrency"])
    hub_ref, base_ref = empty["levels"].get(c_ref, {}), baseline.get(c_ref, {})
    throughput = ratio(hub_ref.get("per_s"), base_ref.get("per_s"))
    p99 = ratio(empty["levels"].get(c_max, {}).get("p99_ms"), baseline.get(c_max, {}).get("p99_ms"))
    cost = ratio(large["levels"].get(c_ref, {}).get("server_cpu_ms_per_request"),
                 hub_ref.get("server_cpu_ms_per_request"))
    return [
        {"goal": f"scans/s at concurrency {c_ref} ≥ 40 % of the bare baseline",
         "figure": throughput, "unit": "× baseline", "met": throughput is not None and throughput >= 0.4},
        {"goal": f"p99 at concurrency {c_max} ≤ 3× the baseline's",
         "figure": p99, "unit": "× baseline", "met": p99 is not None and p99 <= 3},
        {"goal": "server CPU per scan with the large database ≤ 1.2× the empty one's",
         "figure": cost, "unit": "× empty", "met": cost is not None and cost <= 1.2},
    ]
