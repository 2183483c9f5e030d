"""Part 3: a live game with a crowd. N phones arrive within ``arrival_s``
seconds, each from its own loopback address (127.x.y.z), and each makes a
browser's first visit over one keep-alive connection: the play page
``/play?code=…`` and every file it references, recursively
(bench/firstvisit.py), then the join (``POST /play/join``), then its
websocket. Then they play ``questions`` questions on the hub, started as an
organiser starts it (``festival serve``, one worker), and on the Node.js
socket.io reference serving the same files from memory, the same join and
socket, driven by the same load generator (bench/players.py) in the same
run. Meanwhile a check-in desk scans 5 badges a second on the hub and its
latency is recorded, the hub's memory is sampled, and the hub's worker
records every garbage collection's pause and its event loop's lag
(kiosk/gctune.py, ``FESTIVAL_GC_STATS``).
"""
from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import os
import queue
import random
import secrets
import shutil
import subprocess
import threading
import time
from pathlib import Path

from . import dataset
from .firstvisit import Connection, first_visit
from .procstat import CpuMeter, cpu_seconds, pin, rss_mib
from .server import BENCH, Server
from .stats import ratio, summary_ms
from .wsclient import SioClient

REFERENCE = BENCH / "reference"
HOST, SCREEN = "/host", "/gamescreen"
NODE_CODE = "123456"
DESK_PER_S = 5
HOST_CLOSE_AFTER_S = 2.0
SERVER_CPU, LOAD_CPU = 0, 1  # with 2+ cores: the server on one core, the load on another


def install_reference(log=print) -> str | None:
    """``npm install`` the reference server's pinned socket.io (once); returns an error or None."""
    if (REFERENCE / "node_modules" / "socket.io" / "package.json").exists():
        return None
    if shutil.which("npm") is None:
        return "npm is not installed"
    log("  npm install (bench/reference) …")
    done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=REFERENCE,
                          capture_output=True, text=True, timeout=300)
    return None if done.returncode == 0 else f"npm install failed: {done.stderr[-500:]}"


def _pin_all(pid: int) -> None:
    try:
        os.sched_setaffinity(pid, range(os.cpu_count() or 1))
    except (AttributeError, OSError):
        pass


def _hub_game(workdir: Path, players: int, desk_badges: int):
    """A hub database with a host, a stage device, a desk and attendees for the desk to check in."""
    path = workdir / f"fanout-{players}.db"
    db = dataset.new_database(path)
    host_cred = dataset.add_device(db, "host")
    stage_cred = dataset.add_device(db, "stage")
    desk_cred = dataset.add_device(db, "desk")
    dataset.add_attendees(db, desk_badges)
    tokens = dataset.unchecked_tokens(db, desk_badges)
    db.conn.close()
    return path, host_cred, stage_cred, desk_cred, tokens


def _create_hub_game(path: Path, questions: int, time_limit: int = 60) -> tuple[int, str]:
    """Create an empty game with ``questions`` questions (in-process); returns (id, join code).

    The time limit is long so that a slow server shows up as late delivery and
    a late stage board, not as answers refused for being too late.
    """
    from games.live import game as live  # only here: the bench's parent needs no app until now
    from kiosk.db import open_db  # (same)

    db = open_db(str(path), "NORMAL")
    try:
        game = live.create_game(db, bank=None, count=questions, host="bench", now=time.time(), time_limit=time_limit)
        return game["id"], game["code"]
    finally:
        db.conn.close()


class Stage:
    """The host and the big screen, driven from the parent process."""

    def __init__(self, port: int, host_auth: dict | None, screen_auth: dict | None, game_id: int):
        self.port, self.game_id = port, game_id
        self.host_auth, self.screen_auth = host_auth, screen_auth
        self.reveals: dict[int, float] = {}
        self.closed: set[int] = set()  # questions the host closed
        self.lives = 0

    def _on_screen(self, namespace, event, data) -> None:
        if event == "rv" and isinstance(data, dict) and isinstance(data.get("i"), int):
            self.reveals.setdefault(data["i"], time.time())
        elif event == "live":
            self.lives += 1

    async def open(self) -> None:
        self.host = SioClient("127.0.0.1", self.port)
        await self.host.open(60)
        await self.host.join(HOST, self.host_auth, 60)
        self.screen = SioClient("127.0.0.1", self.port, self._on_screen)
        await self.screen.open(60)
        await self.screen.join(SCREEN, self.screen_auth, 60)
        for client, ns in ((self.host, HOST), (self.screen, SCREEN)):
            ack = await asyncio.wait_for(client.emit(ns, "watch", {"g": self.game_id}, ack=True), 60)
            if not (isinstance(ack, dict) and ack.get("ok")):
                raise RuntimeError(f"watch refused on {ns}: {ack}")

    async def question(self, idx: int, timeout: float, answered=None, connected: int = 0) -> tuple[float, dict]:
        """Start question ``idx``; wait for the screen's reveal. Returns (start time, ack).

        A phone that joined but never connected keeps the question open until
        its time limit, as in a venue; when every connected phone's answer
        was acknowledged and no reveal came within ``HOST_CLOSE_AFTER_S``,
        the host closes the question (``close``, its "show answers"), and
        the question is marked ``closed_by_host``.
        """
        began = time.time()
        ack = await asyncio.wait_for(self.host.emit(HOST, "next", {"g": self.game_id}, ack=True), timeout)
        end = time.time() + timeout
        all_in = None
        while idx not in self.reveals and time.time() < end:
            await asyncio.sleep(0.01)
            if answered is not None and all_in is None and answered[idx] >= connected:
                all_in = time.time()
            if all_in is not None and time.time() - all_in > HOST_CLOSE_AFTER_S and idx not in self.closed:
                self.closed.add(idx)
                await asyncio.wait_for(self.host.emit(HOST, "close", {"g": self.game_id}, ack=True), timeout)
        return began, ack

    async def close(self) -> None:
        await self.host.close()
        await self.screen.close()


class Watcher(threading.Thread):
    """Samples the server's memory every 0.2 s and, with a desk credential,
    scans ``DESK_PER_S`` new badges a second at the desk (``POST /api/scans``)."""

    def __init__(self, port: int, pid: int, desk_cred: str | None, badges: list[str]):
        super().__init__(daemon=True)
        self.port, self.pid, self.desk_cred, self.badges = port, pid, desk_cred, list(badges)
        self.stop_event = threading.Event()
        self.rss_peak = 0.0
        self.scans: list[tuple[float, float, int]] = []  # (sent at, seconds, status)

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30) if self.desk_cred else None
        period = 1 / DESK_PER_S
        next_at = time.time()
        while not self.stop_event.is_set():
            try:
                self.rss_peak = max(self.rss_peak, rss_mib(self.pid))
            except OSError:
                pass
            if conn is not None and self.badges:
                body = json.dumps({"id": secrets.token_hex(12), "text": self.badges.pop()})
                began = time.time()
                try:
                    conn.request("POST", "/api/scans", body=body, headers={
                        "Content-Type": "application/json", "Authorization": f"Bearer {self.desk_cred}"})
                    response = conn.getresponse()
                    response.read()
                    self.scans.append((began, time.time() - began, response.status))
                except (OSError, http.client.HTTPException):
                    self.scans.append((began, time.time() - began, 0))
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            next_at += period
            self.stop_event.wait(max(0.0, next_at - time.time()))
        if conn is not None:
            conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)

    def slowest(self, start: float, end: float, starts: dict, n: int = 10) -> list[list]:
        """The ``n`` slowest scans between ``start`` and ``end``: [question index, seconds after
        that question opened, ms], to tell what the desk waited behind (the fan-out, the
        answers, the reveal)."""
        inside = sorted((s for s in self.scans if start <= s[0] <= end), key=lambda s: -s[1])[:n]
        out = []
        for began, took, _status in inside:
            opened = [(t0, idx) for idx, t0 in starts.items() if t0 <= began]
            t0, idx = max(opened) if opened else (start, -1)
            out.append([idx, round(began - t0, 3), round(took * 1000, 1)])
        return out

    def desk(self, start: float, end: float) -> dict:
        inside = [s for s in self.scans if start <= s[0] <= end]
        return {**summary_ms([s[1] for s in inside]), "errors": sum(1 for s in inside if s[2] != 200)}


def _worker_stats(path: Path | None, phases: dict[str, tuple[float, float]]) -> dict | None:
    """The worker's GC pauses and loop lag (kiosk/gctune.py's file), overall and per phase."""
    if path is None:
        return None
    time.sleep(1.2)  # the worker writes the file once a second
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {"error": "no GC statistics file from the worker"}
    out = {"thresholds": data["thresholds"], "frozen": data["frozen"], "gc_count": data["gc"]["count"],
           "gc_by_gen": data["gc"]["by_gen"], "gc_total_ms": round(data["gc"]["total_ms"], 1),
           "gc_max_ms": round(data["gc"]["max_ms"], 2), "lag_max_ms": round(data["lag"]["max_ms"], 2)}
    for name, (start, end) in phases.items():
        pauses = [p for p in data["pauses"] if start <= p[0] <= end]
        lags = [lag for lag in data["lags"] if start <= lag[0] <= end]
        out[name] = {"gc_pauses_over_5ms": len(pauses), "gc_max_ms": max((p[1] for p in pauses), default=0.0),
                     "gc_max_cpu_ms": max((p[3] for p in pauses if len(p) > 3), default=0.0),
                     "full_collections": sum(1 for p in pauses if p[2] == 2),
                     "lag_max_ms": max((lag[1] for lag in lags), default=0.0)}
    return out


def _drive(kind: str, server: Server, game_id: int, code: str, n: int, cfg: dict, host_auth, screen_auth,
           log, desk_cred: str | None = None, badges: list[str] | None = None,
           gc_stats: Path | None = None) -> dict:
    """Let the crowd arrive and join (in 2 processes), run the questions, collect the figures."""
    port, worker_pid = server.port, server.worker_pid
    pinned = pin(worker_pid, SERVER_CPU) and pin(0, LOAD_CPU)
    ctx = multiprocessing.get_context("fork")
    ready, out, done = ctx.Queue(), ctx.Queue(), ctx.Event()
    answered = ctx.Array("i", cfg["questions"] + 1)
    from .players import run_process  # the generator's module, loaded only when a game is driven

    procs_n = cfg["player_processes"]
    deadline = time.time() + cfg["fanout_timeout_s"]
    watcher = Watcher(port, worker_pid, desk_cred, badges or [])
    watcher.start()
    time.sleep(1.0)  # a quiet second of desk scans before the crowd
    arrive_from = time.time() + 0.5
    rng = random.Random(n)
    arrivals = sorted(arrive_from + rng.random() * cfg["arrival_s"] for _ in range(n))
    meter = CpuMeter(worker_pid).start()
    visit = cfg.get("first_visit", True)
    procs = [ctx.Process(target=run_process, args=("127.0.0.1", port, code, arrivals[i::procs_n],
                                                   cfg["answer_window_s"], ready, done, out, deadline, i,
                                                   LOAD_CPU if pinned else None, answered,
                                                   range(i, n, procs_n), visit), daemon=True)
             for i in range(procs_n)]
    for p in procs:
        p.start()
    connected = 0
    for _ in procs:
        try:
            connected += ready.get(timeout=max(1, deadline - time.time()))["connected"]
        except queue.Empty:
            break
    joined_at = time.time()
    connect_wall = joined_at - arrive_from
    connect_cpu = meter.stop()
    rss_connected = rss_mib(worker_pid)
    log(f"  {kind}: {connected}/{n} phones arrived (page + files + join + socket) in {connect_wall:.1f} s, "
        f"{connect_cpu / max(n, 1) * 1000:.2f} ms server CPU each (load {os.getloadavg()[0]:.2f})")

    stage = Stage(port, host_auth, screen_auth, game_id)
    starts, acks = {}, {}
    meter = CpuMeter(worker_pid).start()
    play_from = time.time()

    async def play():
        await stage.open()
        for idx in range(cfg["questions"]):
            starts[idx], acks[idx] = await stage.question(idx, cfg["question_timeout_s"], answered, connected)
            await asyncio.sleep(cfg["after_reveal_s"])  # let every phone's own result land
        await stage.close()

    asyncio.run(play())
    play_cpu = meter.stop()
    play_to = time.time()
    rss_end = rss_mib(worker_pid)
    watcher.stop()
    meter = CpuMeter(worker_pid).start()
    leave_from = time.time()
    done.set()  # every phone closes its socket now, as a crowd leaves when the game ends
    parts = []
    for _ in procs:
        try:
            parts.append(out.get(timeout=60))
        except queue.Empty:
            break
    leave_wall = _until_idle(worker_pid) - leave_from
    leave_cpu = meter.stop()
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.terminate()
    if pinned:
        _pin_all(0)
    worker = _worker_stats(gc_stats, {"joining": (arrive_from, joined_at), "playing": (play_from, play_to)})
    result = _figures(kind, n, parts, starts, acks, stage, connect_wall, connect_cpu, play_cpu,
                      rss_connected, rss_end, cfg)
    result.update({"leave_s": round(leave_wall, 2), "leave_server_cpu_s": round(leave_cpu, 3),
                   "leave_cpu_ms_per_player": round(leave_cpu / n * 1000, 3) if n else None,
                   "pinned": pinned, "rss_peak_mib": max(watcher.rss_peak, rss_end, rss_connected),
                   "worker": worker, "load_average": [round(x, 2) for x in os.getloadavg()]})
    if desk_cred:
        result["desk"] = {"quiet": watcher.desk(0, arrive_from), "joining": watcher.desk(arrive_from, joined_at),
                          "playing": watcher.desk(play_from, play_to),
                          "slowest_playing": watcher.slowest(play_from, play_to, starts)}
    return result


def _until_idle(pid: int, window_s: float = 0.5, busy_share: float = 0.05, limit_s: float = 60.0) -> float:
    """Wait until the process uses under ``busy_share`` of a core over ``window_s``; returns when (epoch s)."""
    end = time.time() + limit_s
    while time.time() < end:
        began = cpu_seconds(pid)
        time.sleep(window_s)
        if cpu_seconds(pid) - began < busy_share * window_s:
            return time.time() - window_s
    return time.time()


def _figures(kind, n, parts, starts, acks, stage, connect_wall, connect_cpu, play_cpu, rss_connected,
             rss_end, cfg) -> dict:
    joins = [s for part in parts for s in part["join_s"]]
    connect = [s for part in parts for s in part["connect_s"]]
    arrived = [s for part in parts for s in part.get("arrived_s", [])]
    pages = [s for part in parts for s in part.get("page_s", [])]
    requests = [r for part in parts for r in part.get("requests", [])]
    wire = [b for part in parts for b in part.get("page_bytes", [])]
    questions = []
    for idx, t0 in starts.items():
        arrivals = [q[idx] - t0 for part in parts for q in part["questions"] if idx in q]
        sent = [s[idx] for part in parts for s in part["sent"] if idx in s]
        own = [r[idx] - t0 for part in parts for r in part["results"] if idx in r]
        acked = [a[idx] - s[idx] for part in parts for s, a in zip(part["sent"], part["acked"]) if idx in a]
        reveal = stage.reveals.get(idx)
        questions.append({
            "idx": idx, "delivered": len(arrivals), "delivered_pct": round(100 * len(arrivals) / n, 2),
            "delivery": summary_ms(arrivals), "answers_sent": len(sent), "answer_ack": summary_ms(acked),
            "answer_burst_s": round(max(sent) - min(sent), 3) if sent else None,
            "stage_board_after_last_answer_ms": round((reveal - max(sent)) * 1000, 1) if reveal and sent else None,
            "own_results": len(own), "host_ack": acks.get(idx), "closed_by_host": idx in stage.closed})
    delivery_all = [q[idx] - starts[idx] for part in parts for q in part["questions"] for idx in q if idx in starts]
    acks_all = [a[idx] - s[idx] for part in parts for s, a in zip(part["sent"], part["acked"]) for idx in a
                if idx in s]
    played = len(connect) * len(starts)
    messages = n * 3 * len(starts)  # per question: q, answer+ack, own result
    # A question the host had to close (a phone joined but never connected) has no
    # "reveal after the last answer": it is counted apart, not in this figure.
    board_lat = [q["stage_board_after_last_answer_ms"] for q in questions
                 if q["stage_board_after_last_answer_ms"] is not None and not q["closed_by_host"]]
    return {
        "server": kind, "players": n, "joined": len(joins), "connected": len(connect),
        "joined_pct": round(100 * len(joins) / n, 2) if n else 0.0,
        "connect_errors": [e for p in parts for e in p["connect_errors"]][:5],
        "join": summary_ms(joins), "connect": summary_ms(connect), "connect_wall_s": round(connect_wall, 2),
        # arrival: the phone's moment to its socket joined to /play (page + files + join + socket)
        "arrival": summary_ms(arrived), "arrived_pct": round(100 * len(arrived) / n, 2) if n else 0.0,
        "page": summary_ms(pages), "first_visit": bool(pages),
        "requests_per_phone": round(sum(requests) / len(requests), 2) if requests else None,
        "requests_retried": sum(part.get("retries", 0) for part in parts),
        "failed_at": {step: sum(part.get("failed_at", {}).get(step, 0) for part in parts)
                      for step in ("page", "join", "socket")},
        "kib_per_phone": round(sum(wire) / len(wire) / 1024, 1) if wire else None,
        "cpu_ms_per_arriving_phone": round(connect_cpu / n * 1000, 3) if n else None,
        "connect_server_cpu_s": round(connect_cpu, 3),
        "join_connect_cpu_ms_per_player": round(connect_cpu / n * 1000, 3) if n else None,
        "questions": questions, "delivery": summary_ms(delivery_all), "answer_ack": summary_ms(acks_all),
        "delivered_pct_min": min((q["delivered_pct"] for q in questions), default=0.0),
        "stage_board_after_last_answer_ms_max": max(board_lat) if board_lat else None,
        "bad_acks": sum(p["bad_acks"] for p in parts),
        "questions_closed_by_host": sum(1 for q in questions if q["closed_by_host"]),
        "play_server_cpu_s": round(play_cpu, 3),
        "server_cpu_ms_per_player_question": round(play_cpu / played * 1000, 4) if played else None,
        "server_cpu_us_per_message": round(play_cpu / messages * 1e6, 1) if messages else None,
        "server_rss_mib_connected": rss_connected, "server_rss_mib_end": rss_end,
        "load_generator_cpu_s": round(sum(p["cpu_s"] for p in parts), 2),
        "live_pushes_to_screen": stage.lives,
    }


def hub_environment(workdir: Path, n: int, cfg: dict) -> tuple[dict, Path]:
    """The hub's settings for a crowd of ``n``: only ``FESTIVAL_GAME_MAX_PLAYERS`` (``n`` with a
    fifth to spare, in thousands: 6,000 for 5,000 phones), as an organiser sets it, plus the
    bench's own instruments: the worker's GC statistics file and its GC tuning as served
    (``BENCH_GC_TUNE=0`` measures CPython's defaults). Each phone comes from its own
    address, so the per-address admission limits stay at their defaults."""
    stats = workdir / f"gc-{n}.json"
    env = {"FESTIVAL_GC_STATS": str(stats), "FESTIVAL_GAME_MAX_PLAYERS": str(max_players_for(n)),
           "FESTIVAL_GC_TUNE": os.environ.get("BENCH_GC_TUNE", "1" if cfg.get("gc_tune", True) else "0")}
    # A/B runs: BENCH_FESTIVAL_X=v sets the hub's FESTIVAL_X (e.g. BENCH_FESTIVAL_PHONE_REQUESTS_AT_ONCE=0)
    env.update({k[len("BENCH_"):]: v for k, v in os.environ.items() if k.startswith("BENCH_FESTIVAL_")})
    return env, stats


def max_players_for(n: int) -> int:
    """The ``GAME_MAX_PLAYERS`` an organiser sets for ``n`` phones: a fifth to spare, in thousands."""
    return max(3000, -(-n * 6 // 5000) * 1000)


def _start_hub(workdir: Path, path: Path, n: int, env: dict, log) -> tuple[Server, str]:
    """``festival serve`` with the environment as given; when that hub cannot hold ``n``
    phones (a ``festival serve`` whose worker connections do not follow GAME_MAX_PLAYERS
    yet), the bench's own gunicorn command with room for them. Returns (server, how)."""
    server = Server("festival", workdir, database=path, env=env).start(timeout=60)
    allowed = server.worker_connections()
    if allowed is None or allowed >= n + 300:
        return server, f"festival serve (worker connections {allowed})"
    server.stop()
    log(f"  festival serve allows {allowed} connections for {n} phones: the bench starts gunicorn itself")
    room = str(n + 500)
    env = dict(env, FESTIVAL_SOCKET_MAX_OPEN=room, FESTIVAL_ASYNC_MODE="eventlet")
    server = Server("hub", workdir, database=path, connections=n + 500, env=env).start()
    return server, f"gunicorn started by the bench (festival serve allowed {allowed} connections)"


def snapshot_site(port: int, code: str, folder: Path) -> dict:
    """One first visit of the hub's play page, saved for the Node.js reference to serve:
    every file's body, type and cache headers under ``folder`` (``site.json``)."""

    async def visit():
        conn = Connection("127.0.0.1", port)
        try:
            return await first_visit(conn, f"/play?code={code}", 30)
        finally:
            conn.close()

    result = asyncio.run(visit())
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for i, response in enumerate(result.responses):
        (folder / f"{i}.bin").write_bytes(response.body)
        entries.append({"path": response.path.split("?")[0], "file": f"{i}.bin", "status": response.status,
                        "type": response.headers.get("content-type", "application/octet-stream"),
                        "cache_control": response.headers.get("cache-control", "")})
    (folder / "site.json").write_text(json.dumps(entries, indent=1))
    return {"requests": len(entries), "bytes": sum(len(r.body) for r in result.responses),
            "failed": result.failed}


def run_hub(n: int, workdir: Path, cfg: dict, log) -> dict:
    desk_badges = DESK_PER_S * (cfg["fanout_timeout_s"] + 30)
    path, host_cred, stage_cred, desk_cred, badges = _hub_game(workdir, n, desk_badges)
    env, stats = hub_environment(workdir, n, cfg)
    server, how = _start_hub(workdir, path, n, env, log)
    with server:
        game_id, code = _create_hub_game(path, cfg["questions"] + 1, cfg["game_time_limit_s"])
        site = snapshot_site(server.port, code, workdir / "site")
        if site["failed"]:
            raise RuntimeError(f"the play page's first visit failed: {site['failed']}")
        result = _drive("hub", server, game_id, code, n, cfg, {"token": host_cred}, {"token": stage_cred}, log,
                        desk_cred=desk_cred, badges=badges, gc_stats=stats)
        result["gc_tune"] = env["FESTIVAL_GC_TUNE"] == "1"
        result["server_errors"] = server.errors_in_log()[:5]
        result["served_by"] = how
        result["site"] = site
    return result


def run_node(n: int, workdir: Path, cfg: dict, log) -> dict:
    """The reference serves the hub's snapshot (:func:`snapshot_site`) from memory, gzipped once."""
    site = workdir / "site"
    with Server("node", workdir, site=site if (site / "site.json").exists() else None) as server:
        return _drive("node", server, 1, NODE_CODE, n, cfg, None, None, log)


def run(cfg: dict, workdir: Path, log=print) -> dict:
    """Every player count on both servers; goals judged per the issue's sizes."""
    problem = "skipped (BENCH_NO_REFERENCE)" if os.environ.get("BENCH_NO_REFERENCE") else install_reference(log)
    sizes, out = cfg["players"], {"sizes": {}, "arrival_s": cfg["arrival_s"]}
    if problem:
        out["reference_error"] = problem
    for n in sizes:
        entry = {"hub": run_hub(n, workdir, cfg, log)}
        if not problem:
            entry["node"] = run_node(n, workdir, cfg, log)
        for kind, r in entry.items():
            worker = r.get("worker") or {}
            log(f"  {kind} {n} players: joined {r['joined_pct']} %, join p99 {r['join']['p99_ms']} ms, "
                f"connect p99 {r['connect']['p99_ms']} ms, delivered ≥ {r['delivered_pct_min']} %, "
                f"q p99 {r['delivery']['p99_ms']} ms, ack p99 {r['answer_ack']['p99_ms']} ms, "
                f"stage +{r['stage_board_after_last_answer_ms_max']} ms, "
                f"{r['server_cpu_ms_per_player_question']} ms CPU/player/question, "
                f"RSS peak {r['rss_peak_mib']} MiB, GC max {worker.get('gc_max_ms', '–')} ms, "
                f"desk p99 {r.get('desk', {}).get('playing', {}).get('p99_ms', '–')} ms, load {r['load_average']}")
        out["sizes"][str(n)] = entry
    out["goals"] = goals(out, sizes)
    return out


def _p99(r: dict, key: str):
    return (r.get(key) or {}).get("p99_ms")


def goals(out: dict, sizes: list[int]) -> list[dict]:
    """The issue's goals at 5,000 and 2,000 players (or the largest and the middle size run)."""
    big = 5000 if 5000 in sizes else max(sizes)
    mid = 2000 if 2000 in sizes else sorted(sizes)[len(sizes) // 2]
    hub = out["sizes"].get(str(big), {}).get("hub", {})
    hub2, node2 = out["sizes"].get(str(mid), {}).get("hub", {}), out["sizes"].get(str(mid), {}).get("node", {})
    rows = []

    def row(goal, figure, unit, met):
        rows.append({"goal": goal, "figure": figure, "unit": unit, "met": bool(met)})

    # the crowd's arrival (issue 21): page + files + join + socket, each phone from its own address
    cpu = hub2.get("cpu_ms_per_arriving_phone")
    row(f"{mid:,} players: hub CPU per arriving phone ≤ 2.5 ms", cpu, "ms", cpu is not None and cpu <= 2.5)
    times = ratio(cpu, node2.get("cpu_ms_per_arriving_phone"))
    row(f"{mid:,} players: hub CPU per arriving phone ≤ 1.5× the Node.js reference's", times, "× Node",
        times is not None and times <= 1.5)
    row(f"{mid:,} players: all joined", hub2.get("arrived_pct"), "%", hub2.get("arrived_pct") == 100.0)
    v = _p99(hub2, "arrival")
    row(f"{mid:,} players: arrival → joined p99 ≤ 1.5 s", v, "ms", v is not None and v <= 1500)
    desk = (hub2.get("desk") or {})
    v = (desk.get("joining") or {}).get("p99_ms")
    row(f"desk scan p99 while {mid:,} phones arrive ≤ 100 ms", v, "ms", v is not None and v <= 100)
    v = (desk.get("playing") or {}).get("p99_ms")
    row(f"desk scan p99 during the {mid:,}-player game ≤ 50 ms", v, "ms", v is not None and v <= 50)
    served = hub.get("served_by", "")
    row(f"{big:,} players on festival serve with only FESTIVAL_GAME_MAX_PLAYERS={max_players_for(big)}",
        served or None, "", served.startswith("festival serve"))
    row(f"{big:,} players: all joined and delivered", min(hub.get("arrived_pct") or 0, hub.get("delivered_pct_min") or 0),
        "%", hub.get("arrived_pct") == 100.0 and hub.get("delivered_pct_min") == 100.0)
    v = _p99(hub, "arrival")
    row(f"{big:,} players: arrival → joined p99 ≤ 5 s", v, "ms", v is not None and v <= 5000)
    for key, label in (("delivery", "question"), ("answer_ack", "answer-ack")):
        v = _p99(hub, key)
        row(f"{big:,} players: {label} p99 ≤ 1 s", v, "ms", v is not None and v <= 1000)
    board = hub.get("stage_board_after_last_answer_ms_max")
    row(f"{big:,} players: screen top 5 ≤ 500 ms after the last answer", board, "ms",
        board is not None and board <= 500)
    # playing (issue 17): kept
    for key, label in (("delivery", "question"), ("answer_ack", "answer-ack")):
        v = _p99(hub2, key)
        row(f"{mid:,} players: {label} p99 ≤ 250 ms", v, "ms", v is not None and v <= 250)
    pause = ((hub2.get("worker") or {}).get("playing") or {}).get("gc_max_ms")
    row(f"{mid:,} players: longest GC pause while playing ≤ 50 ms", pause, "ms", pause is not None and pause <= 50)
    q = ratio(_p99(hub2, "delivery"), _p99(node2, "delivery"))
    row(f"{mid:,} players: question p99 ≤ 1.5× the Node.js reference", q, "× Node", q is not None and q <= 1.5)
    cpu = ratio(hub2.get("server_cpu_ms_per_player_question"), node2.get("server_cpu_ms_per_player_question"))
    row(f"{mid:,} players: server CPU per player per question ≤ 2× Node's", cpu, "× Node",
        cpu is not None and cpu <= 2)
    return rows
