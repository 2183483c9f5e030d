"""``python -m bench.workers_split [--players 2000] [--questions 3]``

A targeted measurement for issue 21 ("every core"): the fan-out part's game
(bench/fanout.py ``_drive``: a crowd arriving within 10 s over join + socket,
the host running the questions, a desk scanning 5 badges a second) against
``festival serve --workers 2``: the phones join, load and play on the phone
process (the port the big screen's join link names), the host, the big screen
and the desk stay on the hub. Then the same game on one process
(``run_hub``), in the same run. Prints, per setting, each process's CPU per
phone for the arrival and per player per question, and the desk scan p99; the
phone process's figures say how many phones one core holds. Not part of
``python -m bench``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from kiosk.ops.serving import raise_open_file_limit

from . import fanout
from .modes import MODES
from .procstat import children, cpu_seconds
from .server import REPO, free_port


class Spread:
    """``festival serve --workers N`` on loopback; ``port``/``worker_pid``: the first phone process."""

    def __init__(self, workdir: Path, database: Path, env: dict, workers: int = 2):
        self.workdir, self.database, self.env, self.workers = workdir, database, env, workers
        self.hub_port = free_port()
        self.port = self.hub_port + 1

    def __enter__(self) -> "Spread":
        env = {**os.environ, **self.env, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "FESTIVAL_INSTANCE_PATH": str(self.workdir / "instance"), "PYTHONWARNINGS": "ignore"}
        self.log = open(self.workdir / "spread.log", "ab")
        self.proc = subprocess.Popen([sys.executable, "-c", "from kiosk.ops.commands import main; main()", "serve",
                                      "--workers", str(self.workers), "--host", "127.0.0.1",
                                      "--port", str(self.hub_port), "--db", str(self.database)],
                                     cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        for port in range(self.hub_port, self.hub_port + self.workers):
            while True:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError((self.workdir / "spread.log").read_text()[-2000:])
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
        self.workers_by_port = {}
        for master in children(self.proc.pid):
            with open(f"/proc/{master}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
            if b"--bind" in argv:
                port = int(argv[argv.index(b"--bind") + 1].rsplit(b":", 1)[1])
                self.workers_by_port[port] = children(master)[0]
        self.hub_pid, self.worker_pid = self.workers_by_port[self.hub_port], self.workers_by_port[self.port]
        return self

    def errors_in_log(self) -> list[str]:
        return []

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def run_spread(n: int, workdir: Path, cfg: dict, log) -> dict:
    """The fan-out game with the phones on the phone process and the staff on the hub."""
    desk_badges = fanout.DESK_PER_S * (cfg["fanout_timeout_s"] + 30)
    path, host_cred, stage_cred, desk_cred, badges = fanout._hub_game(workdir, n, desk_badges)
    env, _stats = fanout.hub_environment(workdir, n, cfg)
    env.pop("FESTIVAL_SOCKET_MAX_OPEN")  # festival serve sizes it from GAME_MAX_PLAYERS (kiosk/capacity.py)
    with Spread(workdir, path, env) as spread:
        game_id, code = fanout._create_hub_game(path, cfg["questions"] + 1, cfg["game_time_limit_s"])
        stage_cls, watcher_cls = fanout.Stage, fanout.Watcher
        # the host, the big screen and the desk on the hub; the phones (server.port) on the phone process
        fanout.Stage = lambda port, *a: stage_cls(spread.hub_port, *a)
        fanout.Watcher = lambda port, pid, *a: watcher_cls(spread.hub_port, spread.hub_pid, *a)
        hub_before = cpu_seconds(spread.hub_pid)
        try:
            result = fanout._drive("spread", spread, game_id, code, n, cfg, {"token": host_cred},
                                   {"token": stage_cred}, log, desk_cred=desk_cred, badges=badges)
        finally:
            fanout.Stage, fanout.Watcher = stage_cls, watcher_cls
        result["hub_cpu_s"] = round(cpu_seconds(spread.hub_pid) - hub_before, 3)
    return result


def _row(kind: str, r: dict) -> dict:
    desk = r.get("desk", {})
    return {"setting": kind, "players": r["players"], "joined": r["joined"], "connected": r["connected"],
            "arrival_cpu_ms_per_phone": r["join_connect_cpu_ms_per_player"],
            "play_cpu_ms_per_player_question": r["server_cpu_ms_per_player_question"],
            "hub_cpu_s_whole_game": r.get("hub_cpu_s"), "join_p99_ms": r["join"]["p99_ms"],
            "connect_p99_ms": r["connect"]["p99_ms"], "question_p99_ms": r["delivery"]["p99_ms"],
            "ack_p99_ms": r["answer_ack"]["p99_ms"],
            "desk_p99_joining_ms": desk.get("joining", {}).get("p99_ms"),
            "desk_p99_playing_ms": desk.get("playing", {}).get("p99_ms"), "load": r["load_average"]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workers_split", description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args(argv)
    raise_open_file_limit()
    cfg = {**MODES["quick"], "questions": args.questions, "fanout_timeout_s": 300}
    for kind, run in (("workers 2", run_spread), ("one process", fanout.run_hub)):
        with tempfile.TemporaryDirectory(prefix="workers-split-") as tmp:
            print(json.dumps(_row(kind, run(args.players, Path(tmp), cfg, print))), flush=True)


if __name__ == "__main__":
    main()
