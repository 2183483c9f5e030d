"""Part 3: live-game fan-out. N websocket players in one game on the hub
(gunicorn + eventlet, one worker) and on the Node.js socket.io reference,
driven by the same load generator (bench/players.py) in the same run."""
from __future__ import annotations

import asyncio
import multiprocessing
import queue
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from . import dataset
from .procstat import CpuMeter, rss_mib
from .server import BENCH, Server
from .stats import ratio, summary_ms
from .wsclient import SioClient

REFERENCE = BENCH / "reference"
HOST, SCREEN = "/host", "/gamescreen"


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


def _hub_game(workdir: Path, players: int, questions: int):
    """A hub database with a host and a stage device; the game is created once the server runs."""
    path = workdir / f"fanout-{players}.db"
    db = dataset.new_database(path)
    host_cred = dataset.add_device(db, "host")
    stage_cred = dataset.add_device(db, "stage")
    db.conn.close()
    return path, host_cred, stage_cred


def _create_hub_game(path: Path, players: int, questions: int,
                     time_limit: int = 60) -> tuple[int, list[str]]:
    """Create a game with ``questions`` questions and join ``players`` players (in-process).

    The time limit is long so that a slow server shows up as late delivery and
    a late stage board, not as answers refused for being too late.
    """
    from games.live import game as live
    from kiosk.db import open_db

    db = open_db(str(path), "NORMAL")
    try:
        game = live.create_game(db, bank=None, count=questions, host="bench", now=time.time(), time_limit=time_limit)
        tokens = [live.join_by_code(db, game["code"], time.time())["token"] for _ in range(players)]
        return game["id"], tokens
    finally:
        db.conn.close()


class Stage:
    """The host and the big screen, driven from the parent process."""

    def __init__(self, port: int, host_auth: dict | None, screen_auth: dict | None, game_id: int):
        self.port, self.game_id = port, game_id
        self.host_auth, self.screen_auth = host_auth, screen_auth
        self.reveals: dict[int, float] = {}
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

    async def question(self, idx: int, timeout: float) -> tuple[float, dict]:
        """Start question ``idx``; wait for the screen's reveal. Returns (start time, ack)."""
        began = time.time()
        ack = await asyncio.wait_for(self.host.emit(HOST, "next", {"g": self.game_id}, ack=True), timeout)
        end = time.time() + timeout
        while idx not in self.reveals and time.time() < end:
            await asyncio.sleep(0.01)
        return began, ack

    async def close(self) -> None:
        await self.host.close()
        await self.screen.close()


def _drive(kind: str, port: int, worker_pid: int, game_id: int, tokens: list[str], cfg: dict,
           host_auth, screen_auth, log) -> dict:
    """Connect the players (in 2 processes), run the questions, collect the figures."""
    ctx = multiprocessing.get_context("fork")
    ready, out, done = ctx.Queue(), ctx.Queue(), ctx.Event()
    from .players import run_process

    procs_n = cfg["player_processes"]
    deadline = time.time() + cfg["fanout_timeout_s"]
    meter = CpuMeter(worker_pid).start()
    procs = [ctx.Process(target=run_process, args=("127.0.0.1", port, tokens[i::procs_n], cfg["answer_window_s"],
                                                   ready, done, out, deadline, i), daemon=True)
             for i in range(procs_n)]
    began = time.time()
    for p in procs:
        p.start()
    connected = 0
    for _ in procs:
        try:
            connected += ready.get(timeout=max(1, deadline - time.time()))["connected"]
        except queue.Empty:
            break
    connect_wall = time.time() - began
    connect_cpu = meter.stop()
    rss_connected = rss_mib(worker_pid)
    log(f"  {kind}: {connected}/{len(tokens)} players connected in {connect_wall:.1f} s")

    stage = Stage(port, host_auth, screen_auth, game_id)
    starts, acks = {}, {}
    meter = CpuMeter(worker_pid).start()

    async def play():
        await stage.open()
        for idx in range(cfg["questions"]):
            starts[idx], acks[idx] = await stage.question(idx, cfg["question_timeout_s"])
            await asyncio.sleep(cfg["after_reveal_s"])  # let every phone's own result land
        await stage.close()

    asyncio.run(play())
    play_cpu = meter.stop()
    rss_end = rss_mib(worker_pid)
    done.set()
    parts = []
    for _ in procs:
        try:
            parts.append(out.get(timeout=30))
        except queue.Empty:
            break
    for p in procs:
        p.join(10)
        if p.is_alive():
            p.terminate()
    return _figures(kind, len(tokens), parts, starts, acks, stage, connect_wall, connect_cpu, play_cpu,
                    rss_connected, rss_end, cfg)


def _figures(kind, n, parts, starts, acks, stage, connect_wall, connect_cpu, play_cpu, rss_connected,
             rss_end, cfg) -> dict:
    connect = [s for part in parts for s in part["connect_s"]]
    questions = []
    for idx, t0 in starts.items():
        arrivals = [q[idx] - t0 for part in parts for q in part["questions"] if idx in q]
        sent = [s[idx] for part in parts for s in part["sent"] if idx in s]
        own = [r[idx] - t0 for part in parts for r in part["results"] if idx in r]
        reveal = stage.reveals.get(idx)
        questions.append({
            "idx": idx, "delivered": len(arrivals), "delivered_pct": round(100 * len(arrivals) / n, 2),
            "delivery": summary_ms(arrivals), "answers_sent": len(sent),
            "answer_burst_s": round(max(sent) - min(sent), 3) if sent else None,
            "stage_board_after_last_answer_ms": round((reveal - max(sent)) * 1000, 1) if reveal and sent else None,
            "own_results": len(own), "host_ack": acks.get(idx)})
    delivery_all = [q[idx] - starts[idx] for part in parts for q in part["questions"] for idx in q if idx in starts]
    messages = n * 3 * len(starts)  # per question: q, answer+ack, own result
    board_lat = [q["stage_board_after_last_answer_ms"] for q in questions if q["stage_board_after_last_answer_ms"] is not None]
    return {
        "server": kind, "players": n, "connected": len(connect), "connect_errors": [e for p in parts for e in p["connect_errors"]][:5],
        "connect": summary_ms(connect), "connect_wall_s": round(connect_wall, 2),
        "connect_server_cpu_s": round(connect_cpu, 3),
        "questions": questions, "delivery": summary_ms(delivery_all),
        "delivered_pct_min": min((q["delivered_pct"] for q in questions), default=0.0),
        "stage_board_after_last_answer_ms_max": max(board_lat) if board_lat else None,
        "bad_acks": sum(p["bad_acks"] for p in parts),
        "play_server_cpu_s": round(play_cpu, 3),
        "server_cpu_us_per_message": round(play_cpu / messages * 1e6, 1) if messages else None,
        "server_rss_mib_connected": rss_connected, "server_rss_mib_end": rss_end,
        "load_generator_cpu_s": round(sum(p["cpu_s"] for p in parts), 2),
        "live_pushes_to_screen": stage.lives,
    }


def run_hub(n: int, workdir: Path, cfg: dict, log) -> dict:
    path, host_cred, stage_cred = _hub_game(workdir, n, cfg["questions"])
    with Server("hub", workdir, database=path, connections=n + 500) as server:
        game_id, tokens = _create_hub_game(path, n, cfg["questions"] + 1, cfg["game_time_limit_s"])
        result = _drive("hub", server.port, server.worker_pid, game_id, tokens, cfg,
                        {"token": host_cred}, {"token": stage_cred}, log)
        result["server_errors"] = server.errors_in_log()[:5]
    return result


def run_node(n: int, workdir: Path, cfg: dict, log) -> dict:
    tokens = [secrets.token_urlsafe(18) for _ in range(n)]
    with Server("node", workdir) as server:
        return _drive("node", server.port, server.worker_pid, 1, tokens, cfg, None, None, log)


def run(cfg: dict, workdir: Path, log=print) -> dict:
    """Every player count on both servers; goals judged at the largest count."""
    problem = install_reference(log)
    sizes, out = cfg["players"], {"sizes": {}}
    if problem:
        out["reference_error"] = problem
    for n in sizes:
        entry = {"hub": run_hub(n, workdir, cfg, log)}
        if not problem:
            entry["node"] = run_node(n, workdir, cfg, log)
        for kind, r in entry.items():
            log(f"  {kind} {n} players: delivered ≥ {r['delivered_pct_min']} %, q p99 {r['delivery']['p99_ms']} ms, "
                f"stage board +{r['stage_board_after_last_answer_ms_max']} ms, "
                f"{r['server_cpu_us_per_message']} µs CPU/message")
        out["sizes"][str(n)] = entry
    out["goals"] = goals(out, max(sizes))
    return out


def goals(out: dict, n: int) -> list[dict]:
    entry = out["sizes"].get(str(n), {})
    hub, node = entry.get("hub", {}), entry.get("node", {})
    delivered = hub.get("delivered_pct_min")
    p99 = ratio(hub.get("delivery", {}).get("p99_ms"), node.get("delivery", {}).get("p99_ms"))
    board = hub.get("stage_board_after_last_answer_ms_max")
    return [
        {"goal": f"100 % of questions delivered to {n:,} players", "figure": delivered, "unit": "%",
         "met": delivered == 100.0},
        {"goal": f"question p99 at {n:,} players ≤ 2× the Node.js reference", "figure": p99,
         "unit": "× Node", "met": p99 is not None and p99 <= 2},
        {"goal": "leaderboard on stage ≤ 500 ms after the last answer", "figure": board, "unit": "ms",
         "met": board is not None and board <= 500},
    ]
