"""The benchmark harness keeps working: ``python -m bench --smoke`` runs every
part at tiny sizes and writes its report where it is told. No timing is
asserted, only that each part produced figures and a verdict per goal."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.server
def test_bench_smoke_writes_report_to_given_path(tmp_path):
    committed = REPO / "docs" / "benchmarks.md"
    before = committed.stat().st_mtime_ns if committed.exists() else None
    out = tmp_path / "benchmarks.md"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--out", str(out)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    results = json.loads(out.with_suffix(".json").read_text())
    assert results["mode"] == "smoke" and results["errors"] == {}
    for part in ("scan", "boards", "fanout", "badges", "national"):
        assert results[part]["goals"], part
        for goal in results[part]["goals"]:
            assert isinstance(goal["met"], bool)
    scan = results["scan"]
    assert all(level["requests"] > 0 and level["statuses"] == {"200": level["requests"]}
               for level in scan["hub_empty"]["levels"].values())
    assert set(scan["hub_empty"]["duplicates"]["results"]) == {"checked_in (replayed)"}
    assert set(scan["hub_empty"]["unknown"]["results"]) == {"unknown_badge"}
    hub = results["fanout"]["sizes"]["20"]["hub"]
    assert hub["connected"] == 20 and hub["bad_acks"] == 0
    # the real arrival: every phone loaded the page and its files first, on the hub as served
    assert hub["arrived_pct"] == 100.0 and hub["site"]["failed"] == [] and hub["requests_per_phone"] >= 2
    assert hub["served_by"].startswith("festival serve") and hub["cpu_ms_per_arriving_phone"] > 0
    assert "## Goals" in out.read_text()
    # The committed report is only written by a real run, never by the smoke test.
    assert (committed.stat().st_mtime_ns if committed.exists() else None) == before
