"""Part 7: never lose the hub. A hub replicating to a folder with Litestream
(kiosk/ops/replication.py) under paced zone scans; the hub SIGKILLed with its
files deleted; ``festival takeover`` on another port; the kiosks' replay.

Figures (one run):

- the hub's scan throughput and CPU per scan with replication off and on
  (closed-loop load, same database copy, same clients; Litestream's own CPU
  is counted separately);
- replication lag p50/p99 under paced zone scans (200/s in full and quick
  mode): a follower (``litestream restore -f``) applies the replica as it
  grows, and every 100 ms the newest scan it holds is compared with the clock
  (every scan carries its server commit time);
- time from the kill to the first scan accepted by the standby (takeover
  command and restore included; kiosks notice within their 5 s watch on top);
- acknowledged scans the replica alone lacked, and after the kiosks' replay
  (every acknowledged scan sent again by id) how many are still missing.
"""
from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from kiosk.ops.replication import litestream_binary, restore_replica

from . import dataset, httpload
from .procstat import CpuMeter, children, cpu_seconds
from .server import REPO, Server, free_port
from .stats import percentile, ratio


def _scan_id() -> str:
    return "f" + secrets.token_hex(10)


def _tokens(db, limit: int) -> list[str]:
    rows = db.execute("SELECT b.token FROM badges b WHERE b.revoked_at IS NULL ORDER BY b.attendee_id LIMIT ?",
                      [limit]).fetchall()
    return [r[0] for r in rows]


def _prepare(workdir: Path, attendees: int) -> tuple[Path, str, list[str]]:
    """A festival with checked-in attendees and one zone kiosk; returns (db, credential, tokens)."""
    path = workdir / "source.db"
    db = dataset.new_database(path)
    dataset.add_attendees(db, attendees, checked_in_share=1.0)
    zone = dataset.add_zones(db, 1)[0]
    credential = dataset.add_device(db, "zone", zone)
    tokens = _tokens(db, attendees)
    db.conn.close()
    return path, credential, tokens


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    dst.close()
    return target


def _litestream_pid(worker: int, wait_s: float = 10.0) -> int | None:
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        for pid in children(worker):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "litestream":
                    return pid
            except OSError:
                continue
        time.sleep(0.1)
    return None


def _throughput(server: Server, headers: dict, tokens: list[str], cfg: dict, litestream: int | None) -> dict:
    clients = cfg["reference_concurrency"]
    bodies = [{"id": _scan_id(), "text": t, "station": "bench"} for t in tokens[:cfg["max_requests"]]]
    meter = CpuMeter(server.worker_pid).start()
    ls_before = cpu_seconds(litestream) if litestream else None
    load = httpload.run(server.port, "/api/scans", headers, [bodies[i::clients] for i in range(clients)],
                        cfg["duration_s"])
    used = meter.stop()
    out = load.summary()
    out["server_cpu_ms_per_scan"] = round(used / load.requests * 1000, 3) if load.requests else None
    if litestream:
        ls_used = cpu_seconds(litestream) - ls_before
        out["litestream_cpu_ms_per_scan"] = round(ls_used / load.requests * 1000, 3) if load.requests else None
    return out


class PacedSender:
    """Zone scans at a fixed rate from a few keep-alive connections; keeps the
    ids the hub acknowledged (2xx), as the kiosks' outboxes do."""

    def __init__(self, port: int, headers: dict, tokens: list[str], rate: float, threads: int = 8):
        self.port, self.headers, self.tokens = port, dict(headers, **{"Content-Type": "application/json"}), tokens
        self.rate, self.threads = rate, threads
        self.acked: list[dict] = []
        self.sent = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.workers: list[threading.Thread] = []

    def _run(self, index: int, start: float) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        step = self.threads / self.rate
        n = 0
        while not self.stop.is_set():
            due = start + (n * self.threads + index) / self.rate
            n += 1
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            with self.lock:
                token = self.tokens[self.sent % len(self.tokens)]
                self.sent += 1
            body = {"id": _scan_id(), "text": token, "station": "bench"}
            try:
                conn.request("POST", "/api/scans", json.dumps(body), self.headers)
                response = conn.getresponse()
                response.read()
                if 200 <= response.status < 300:
                    with self.lock:
                        self.acked.append(body)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                time.sleep(step)

    def start(self) -> "PacedSender":
        start = self.started = time.time() + 0.2
        for i in range(self.threads):
            worker = threading.Thread(target=self._run, args=(i, start), daemon=True)
            worker.start()
            self.workers.append(worker)
        return self

    def finish(self) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join(timeout=10)


def _iso_to_epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _sample_lag(follower: Path, stop: threading.Event, samples: list[float], every: float = 0.1) -> None:
    """Every ``every`` s: now − commit time of the newest scan the follower holds."""
    while not stop.is_set():
        try:
            conn = sqlite3.connect(f"file:{follower}?mode=ro", uri=True, timeout=0.5)
            try:
                row = conn.execute("SELECT MAX(server_time) FROM scans WHERE station = 'bench'").fetchone()
            finally:
                conn.close()
            if row and row[0]:
                samples.append(time.time() - _iso_to_epoch(row[0]))
        except sqlite3.Error:
            pass
        stop.wait(every)


def _stored_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM scans")}
    finally:
        conn.close()


def _post(port: int, headers: dict, body: dict, timeout: float = 2.0) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/api/scans", json.dumps(body), dict(headers, **{"Content-Type": "application/json"}))
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def run(cfg: dict, workdir: Path, log=print) -> dict:
    rate = cfg.get("failover_rate", 200)
    seconds = cfg.get("failover_seconds", 10)
    needed = cfg["max_requests"] * 2 + int(rate * seconds) + 500
    source, credential, tokens = _prepare(workdir, needed)
    headers = {"Authorization": f"Bearer {credential}"}
    replica_url = f"file://{workdir / 'replica'}"
    out: dict = {"rate": rate, "seconds": seconds}

    # 1. Throughput and CPU per scan, replication off then on (same database copy).
    off_db = _copy(source, workdir / "off" / "festival.db")
    with Server("hub", workdir / "off", database=off_db) as server:
        out["off"] = _throughput(server, headers, tokens, cfg, None)
    log(f"  replication off: {out['off']['per_s']}/s, {out['off']['server_cpu_ms_per_scan']} ms CPU/scan")
    hub_db = _copy(source, workdir / "hub" / "festival.db")
    env = {"FESTIVAL_REPLICA_URL": replica_url}
    server = Server("hub", workdir / "hub", database=hub_db, env=env).start()
    follower = None
    try:
        litestream = _litestream_pid(server.worker_pid)
        out["on"] = _throughput(server, headers, tokens[cfg["max_requests"]:], cfg, litestream)
        log(f"  replication on: {out['on']['per_s']}/s, {out['on']['server_cpu_ms_per_scan']} ms CPU/scan "
            f"+ litestream {out['on'].get('litestream_cpu_ms_per_scan')} ms")

        # 2. Lag under paced zone scans, read by a follower of the replica.
        follow_db = workdir / "follower" / "festival.db"
        follow_db.parent.mkdir()
        follower = subprocess.Popen([litestream_binary(), "restore", "-f", "-follow-interval", "100ms",
                                     "-o", str(follow_db), replica_url],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        paced = PacedSender(server.port, headers, tokens[2 * cfg["max_requests"]:], rate).start()
        time.sleep(min(3.0, seconds / 3))  # let the follower catch the stream before sampling
        samples: list[float] = []
        stop = threading.Event()
        sampler = threading.Thread(target=_sample_lag, args=(follow_db, stop, samples), daemon=True)
        sampler.start()
        time.sleep(seconds)
        stop.set()
        sampler.join(timeout=5)
        out["lag"] = {"samples": len(samples), "p50_s": round(percentile(samples, 50), 3) if samples else None,
                      "p99_s": round(percentile(samples, 99), 3) if samples else None,
                      "max_s": round(max(samples), 3) if samples else None}
        log(f"  lag at {rate} scans/s: p50 {out['lag']['p50_s']} s, p99 {out['lag']['p99_s']} s")

        # 3. Kill the hub mid-stream, delete its files, take over.
        killed_at = time.time()
        os.killpg(server.proc.pid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        paced.finish()
        out["sent_at_rate"] = {"acknowledged": len(paced.acked),
                               "per_s": round(len(paced.acked) / (killed_at - paced.started), 1)}
    finally:
        if follower is not None and follower.poll() is None:
            os.killpg(follower.pid, signal.SIGTERM)
            follower.wait(timeout=10)
        server.stop()
    for path in hub_db.parent.iterdir():
        if path.name.startswith(("festival.db", ".festival.db")):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    acked = paced.acked
    check = restore_replica(replica_url, str(workdir / "check" / "festival.db"), str(workdir / "check"))
    in_replica = _stored_ids(check)
    out["replica_lacked"] = sum(1 for body in acked if body["id"] not in in_replica)
    log(f"  acknowledged {len(acked)}, of which the replica alone lacked {out['replica_lacked']}")

    standby_port = free_port()
    standby_instance = workdir / "standby"
    standby_instance.mkdir()
    (standby_instance / "secret_key").write_text((workdir / "hub" / "instance" / "secret_key").read_text())
    env = dict(os.environ, FESTIVAL_INSTANCE_PATH=str(standby_instance), PYTHONWARNINGS="ignore",
               PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("FESTIVAL_DATABASE", None)
    log_file = open(standby_instance / "takeover.log", "ab")
    standby = subprocess.Popen([sys.executable, "-c", "from kiosk.ops.commands import main; main()", "takeover",
                                replica_url, "--db", str(workdir / "standby-data" / "festival.db"),
                                "--host", "127.0.0.1", "--port", str(standby_port)],
                               cwd=REPO, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        first_ok, status = None, None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first_ok is None and standby.poll() is None:
            try:
                status = _post(standby_port, headers, {"id": _scan_id(), "text": tokens[-1]})
                if status == 200:
                    first_ok = time.time()
                else:
                    time.sleep(0.05)
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
        if first_ok is None:
            raise RuntimeError(f"the standby accepted no scan (last status {status}): "
                               f"{(standby_instance / 'takeover.log').read_text()[-1500:]}")
        out["kill_to_first_scan_s"] = round(first_ok - killed_at, 2) if first_ok else None
        log(f"  kill → first scan accepted on the standby: {out['kill_to_first_scan_s']} s")

        # 4. The kiosks' replay: every acknowledged scan again, by id.
        replayed = {"replayed": 0, "stored": 0, "failed": 0}
        conn = http.client.HTTPConnection("127.0.0.1", standby_port, timeout=10)
        send_headers = dict(headers, **{"Content-Type": "application/json"})
        started = time.monotonic()
        for body in acked:
            conn.request("POST", "/api/scans", json.dumps(body), send_headers)
            response = conn.getresponse()
            answer = json.loads(response.read() or b"{}")
            if response.status != 200:
                replayed["failed"] += 1
            elif answer.get("replayed"):
                replayed["replayed"] += 1
            else:
                replayed["stored"] += 1
        conn.close()
        replayed["seconds"] = round(time.monotonic() - started, 2)
        stored = _stored_ids(workdir / "standby-data" / "festival.db")
        replayed["missing_after_replay"] = sum(1 for body in acked if body["id"] not in stored)
        out["replay"] = replayed
        log(f"  replay: {replayed}")
    finally:
        if standby.poll() is None:
            os.killpg(standby.pid, signal.SIGTERM)
            try:
                standby.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(standby.pid, signal.SIGKILL)
        log_file.close()
    out["goals"] = goals(out)
    return out


def goals(out: dict) -> list[dict]:
    cost = ratio(out.get("on", {}).get("per_s"), out.get("off", {}).get("per_s"))
    kill = out.get("kill_to_first_scan_s")
    missing = (out.get("replay") or {}).get("missing_after_replay")
    p99 = (out.get("lag") or {}).get("p99_s")
    return [
        {"goal": "every acknowledged scan on the standby after the replay", "figure": missing,
         "unit": "missing", "met": missing == 0},
        {"goal": "kill → first scan accepted on the standby < 60 s", "figure": kill, "unit": "s",
         "met": kill is not None and kill < 60},
        {"goal": f"replication lag p99 ≤ 5 s under paced zone scans (asked {out.get('rate')}/s, answered "
                 f"{(out.get('sent_at_rate') or {}).get('per_s')}/s)", "figure": p99, "unit": "s",
         "met": p99 is not None and p99 <= 5},
        {"goal": "scan throughput with replication ≥ 80 % of without", "figure": cost, "unit": "× off",
         "met": cost is not None and cost >= 0.8},
    ]
