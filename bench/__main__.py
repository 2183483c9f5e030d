"""``python -m bench [--quick | --smoke] [--only scan,boards,fanout,badges] [--players N,N] [--async-mode eventlet|gevent] [--out PATH]``

Runs the benchmarks, writes the Markdown report (default docs/benchmarks.md)
and the raw figures as JSON beside it (same name, .json).
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

from kiosk.ops.serving import raise_open_file_limit

from . import machine, report, server
from .modes import MODES, PARTS

DOCS = Path(__file__).resolve().parents[1] / "docs"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="smaller sizes, about a minute")
    size.add_argument("--smoke", action="store_true", help="tiny sizes: only checks that the harness works")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts: " + ",".join(PARTS))
    parser.add_argument("--players", default=None,
                        help="fan-out player counts, comma-separated (e.g. 500,1000,2000); overrides the mode's")
    parser.add_argument("--async-mode", choices=sorted(server.WORKER_CLASSES), default=server.ASYNC_MODE,
                        help="the hub's async mode and gunicorn worker (default eventlet)")
    parser.add_argument("--out", type=Path, default=DOCS / "benchmarks.md", help="Markdown report path")
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s): {', '.join(unknown)}")
    args.mode = "quick" if args.quick else "smoke" if args.smoke else "full"
    args.player_counts = None
    if args.players is not None:
        try:
            args.player_counts = [int(n) for n in args.players.split(",") if n.strip()]
        except ValueError:
            parser.error("--players takes whole numbers separated by commas")
        if not args.player_counts or any(not 1 <= n <= 5000 for n in args.player_counts):
            parser.error("--players takes counts from 1 to 5000")
    return args


def run_part(part: str, cfg: dict, workdir: Path, log):
    """Run one part. Parts are imported only when asked for: each pulls in its
    own dependencies (the Node reference, large cached databases, Litestream)."""
    module = importlib.import_module(f"bench.{part}")
    if part == "badges":
        return module.run(cfg["badges_quick"], log)
    return module.run(cfg, workdir, log)


def _keep_other_parts(results: dict, previous: Path) -> None:
    """With ``--only``, the parts not run keep their figures from the report's last run
    (and say so), so updating one part does not erase the others."""
    try:
        old = json.loads(previous.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    for part in PARTS:
        if part not in results["parts"] and old.get(part) and part not in old.get("errors", {}):
            results[part] = old[part]
            results.setdefault("kept", {})[part] = old.get("kept", {}).get(part) or {
                "started": old.get("started"), "mode": old.get("mode")}


def main(argv=None) -> int:
    args = parse_args(argv)
    raise_open_file_limit()
    cfg = dict(MODES[args.mode])
    if args.player_counts:
        cfg["players"] = args.player_counts
    # The hub's async mode: bench/server.py's gunicorn worker, and FESTIVAL_ASYNC_MODE for a
    # hub started any other way (`festival serve` reads it as its default).
    cfg["async_mode"] = server.ASYNC_MODE = args.async_mode
    os.environ["FESTIVAL_ASYNC_MODE"] = args.async_mode

    def log(message: str) -> None:
        print(message, flush=True)

    began = time.time()
    results = {"mode": args.mode, "config": cfg, "parts": args.parts, "machine": machine.describe(),
               "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "errors": {}}
    for part in args.parts:
        log(f"== {part} ({args.mode})")
        with tempfile.TemporaryDirectory(prefix=f"bench-{part}-") as tmp:
            try:
                results[part] = run_part(part, cfg, Path(tmp), log)
            except Exception as exc:  # one broken part must not lose the others' figures
                traceback.print_exc()
                results["errors"][part] = f"{type(exc).__name__}: {exc}"[:500]
    results["machine"]["socket.io (node)"] = machine.describe()["socket.io (node)"]
    results["seconds"] = time.time() - began
    _keep_other_parts(results, args.out.with_suffix(".json"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.render(results), encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str),
                                             encoding="utf-8")
    log(f"wrote {args.out} and {args.out.with_suffix('.json').name} in {results['seconds']:.0f} s")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
