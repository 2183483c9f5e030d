"""``python -m bench.staff_first [--players 2000] [--rounds 2] [--slices 0,64]``

A targeted measurement for issue 21 ("staff first during play"): the fan-out
part's hub game (bench/fanout.py, ``run_hub``: the crowd joins, a desk scans
5 badges a second throughout, the host runs the questions), run alternately
with each ``SOCKET_FANOUT_SLICE`` (kiosk/rooms.py; 0 = the question goes out
in one stretch, as before), so that before and after are compared in the same
run on a busy machine. Prints the desk scan p50/p99 during play, the question
delivery and answer-ack p99 and the slowest scans per setting; not part of
``python -m bench``.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from kiosk.ops.serving import raise_open_file_limit

from . import fanout
from .modes import MODES


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.staff_first", description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--slices", default="0,64", help="SOCKET_FANOUT_SLICE values, comma-separated")
    args = parser.parse_args(argv)
    raise_open_file_limit()
    cfg = {**MODES["quick"], "questions": args.questions, "fanout_timeout_s": 300}
    base_env = fanout.hub_environment
    rows = []
    for round_no in range(args.rounds):
        for value in [int(v) for v in args.slices.split(",")]:
            def env_with_slice(workdir, n, c, value=value):
                env, stats = base_env(workdir, n, c)
                return {**env, "FESTIVAL_SOCKET_FANOUT_SLICE": str(value)}, stats
            fanout.hub_environment = env_with_slice
            with tempfile.TemporaryDirectory(prefix="staff-first-") as tmp:
                r = fanout.run_hub(args.players, Path(tmp), cfg, print)
            desk = r.get("desk", {}).get("playing", {})
            row = {"round": round_no, "slice": value, "joined": r["joined"],
                   "desk_p50_ms": desk.get("p50_ms"), "desk_p99_ms": desk.get("p99_ms"),
                   "desk_max_ms": desk.get("max_ms"), "desk_n": desk.get("n"),
                   "question_p99_ms": r["delivery"]["p99_ms"], "question_p50_ms": r["delivery"]["p50_ms"],
                   "ack_p99_ms": r["answer_ack"]["p99_ms"], "delivered_min_pct": r["delivered_pct_min"],
                   "slowest": r.get("desk", {}).get("slowest_playing", [])[:5], "load": r["load_average"]}
            print(json.dumps(row), flush=True)
            rows.append(row)
    fanout.hub_environment = base_env


if __name__ == "__main__":
    main()
