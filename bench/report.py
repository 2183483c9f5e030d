"""docs/benchmarks.md from a run's results (the raw figures go to JSON beside it)."""
from __future__ import annotations


def _v(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:,.1f}"
    elif isinstance(value, int):
        value = f"{value:,}"
    return f"{value}{unit}"


def _table(header: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_v(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return lines + [""]


def _machine(m: dict) -> list[str]:
    pkgs = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    return ["## Machine", "",
            f"- CPU: {m['cpu']}, {m['cores']} cores; RAM {m['ram_gib']} GiB; {m['os']} (kernel {m['kernel']})",
            f"- Python {m['python']}, SQLite {m['sqlite']}, Node {m['node'] or '–'}, "
            f"socket.io (Node) {m['socket.io (node)'] or '–'}",
            f"- {pkgs}",
            f"- load average when the run started: {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}",
            ""]


def _goals(results: dict) -> list[str]:
    rows = []
    for part in ("scan", "boards", "fanout", "badges", "search"):
        for g in (results.get(part) or {}).get("goals", []):
            rows.append([part, g["goal"], f"{_v(g['figure'])} {g['unit']}", "**met**" if g["met"] else "**not met**"])
    return ["## Goals", ""] + _table(["part", "goal", "figure", "verdict"], rows)


def _load_row(label: str, r: dict) -> list:
    return [label, r.get("concurrency", "–"), r["requests"], r["per_s"], r["p50_ms"], r["p95_ms"], r["p99_ms"],
            r.get("server_cpu_ms_per_request"), ", ".join(f"{k} {v}" for k, v in r["results"].items()) or "–"]


def _scan(s: dict) -> list[str]:
    rows = []
    for c, r in s["baseline"].items():
        rows.append(_load_row("baseline (one INSERT)", r))
    for c, r in s["hub_empty"]["levels"].items():
        rows.append(_load_row("hub, distinct badges", r))
    for key, label in (("duplicates", "hub, duplicates (replayed ids)"), ("unknown", "hub, unknown badges")):
        if key in s["hub_empty"]:
            rows.append(_load_row(label, s["hub_empty"][key]))
    large = s["large_db"]
    for c, r in s["hub_large"]["levels"].items():
        rows.append(_load_row(f"hub, {large['attendees']:,} attendees + {large['scans']:,} scans", r))
    out = ["## 1. Scan path: `POST /api/scans`", "",
           "gunicorn, eventlet worker, one worker; closed-loop keep-alive clients in 2 processes. "
           "Server CPU is the worker's utime+stime over the run divided by the requests.", ""]
    out += _table(["run", "clients", "requests", "scans/s", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/scan",
                   "answers"], rows)
    cc = s.get("commit_cost")
    if cc:
        out += [f"One SQLite write transaction on this disk (WAL, same run): synchronous=FULL median "
                f"{_v(cc['FULL']['median_ms'])} ms (p95 {_v(cc['FULL']['p95_ms'])} ms), NORMAL median "
                f"{_v(cc['NORMAL']['median_ms'])} ms. Under eventlet the worker waits for each sync with "
                "everything else queued behind it, so the hub and the baseline alike top out near "
                "1 / (FULL commit time) writes per second; their CPU per scan is the comparison that shows "
                "the code's own cost.", ""]
    return out


def _boards(b: dict) -> list[str]:
    rows = [[f"{int(size):,} attendees", board, t["median_ms"], t["p95_ms"], t["repeats"]]
            for size, boards in b["compute"].items() for board, t in boards.items()]
    out = ["## 2. Leaderboards", "", "In-process `kiosk.boards.compute.compute_board`, after one warm-up call.", ""]
    out += _table(["festival size", "board", "median ms", "p95 ms", "repeats"], rows)
    p = b.get("pushes", {})
    if "error" in p:
        out += [f"Pushes under load: not measured ({p['error']}).", ""]
    else:
        out += [f"Pushes to a stage screen on `/public` (subscribed to overall and schools) while zone scans ran at "
                f"{_v(p['scans']['per_s'])}/s: " + ", ".join(f"{k} {_v(v)}/s" for k, v in p["pushes_per_s"].items()) +
                " (the publisher pushes a board only when its top rows change, at most 4 times a second).", ""]
    return out


def _fanout(f: dict) -> list[str]:
    rows = []
    for n, entry in f["sizes"].items():
        for kind, r in entry.items():
            rows.append([kind, int(n), r["connected"], r["connect_wall_s"], r["delivered_pct_min"],
                         r["delivery"]["p50_ms"], r["delivery"]["p99_ms"], r["delivery"]["max_ms"],
                         r["stage_board_after_last_answer_ms_max"], r["server_cpu_us_per_message"],
                         r["server_rss_mib_end"], r["load_generator_cpu_s"]])
    out = ["## 3. Live game fan-out", "",
           "One game; each question is started by the host, every player answers within the burst window, "
           "the question closes on the last answer and the big screen (`/gamescreen`) gets the reveal with "
           "the top 5. Delivery is measured from the host's `next` to each player's arrival (one clock: "
           "same machine). CPU per message = server CPU during the questions / (3 messages per player per "
           "question: question, answer+ack, own result).", ""]
    if f.get("reference_error"):
        out += [f"Node.js reference not run: {f['reference_error']}", ""]
    out += _table(["server", "players", "connected", "connect all s", "delivered %", "q p50 ms", "q p99 ms",
                   "q max ms", "stage board after last answer ms", "server µs/message", "server RSS MiB",
                   "load-gen CPU s"], rows)
    return out


def _badges(b: dict) -> list[str]:
    f = b["figures"]
    return ["## 4. Badges and import", "",
            f"- import {f['rows']:,} rows ({f['bad_rows']} bad): {_v(f['import_s'])} s "
            f"({_v(f['import_rows_per_s'])} rows/s)",
            f"- badge sheet of {f['sheet_badges']:,} badges ({f['sheet_pages']} pages): first render "
            f"{_v(f['sheet_first_render_s'])} s, again {_v(f['sheet_cached_qr_render_s'])} s", ""]


def _search(s: dict) -> list[str]:
    rows = []
    for size, entry in s["sizes"].items():
        for kind in ("named", "broad"):
            a = entry[kind]["all"]
            rows.append([f"{int(size):,} attendees", kind, a["n"], a["p50_ms"], a["p99_ms"], a["max_ms"]])
    out = ["## 5. Desk name search", "",
           "In-process `checkin.search.search` (first page of 20) over the folded-word index, after one warm-up "
           "pass; every query repeated. *named*: the issue's queries for one person (\"Đoàn\", \"doan minh quan\", "
           "\"quynh phan\", \"nguyen-van an\", …), each checked to put that person first; *broad*: one common "
           "word or prefix (\"nguyen\", \"th\", \"tran thi\").", ""]
    out += _table(["festival", "queries", "timings", "p50 ms", "p99 ms", "max ms"], rows)
    large = s["sizes"][max(s["sizes"], key=int)]
    slow = sorted(((q, t["p99_ms"]) for kind in ("named", "broad") for q, t in large[kind]["per_query"].items()),
                  key=lambda qt: -qt[1])[:5]
    out += ["Slowest queries at the largest size (p99): " + ", ".join(f"`{q}` {_v(t)} ms" for q, t in slow) + ".", ""]
    wrong = {size: e["problems"] for size, e in s["sizes"].items() if e["problems"]}
    out += [f"Named people first: {'every query, every size' if not wrong else wrong}.", ""]
    return out


def render(results: dict) -> str:
    """The whole Markdown report."""
    mode = results["mode"]
    lines = ["# Benchmarks", "",
             f"Generated by `python -m bench{'' if mode == 'full' else ' --' + mode}` on {results['started']} "
             f"in {results['seconds']:.0f} s (mode **{mode}**; raw figures in `benchmarks.json`). "
             "Baselines are measured in the same run. Load generators run on the same machine in their own "
             "processes, so every figure includes their CPU use. Do not compare figures across machines; "
             "compare ratios.", ""]
    if mode != "full":
        lines += ["> This is not the full run: sizes are smaller than the goals name, so ratios and verdicts "
                  "are indicative only.", ""]
    lines += ["How to run: `python -m bench` (full, about 10 minutes; on a quiet machine), `--quick` (about "
              "a minute and a half), `--smoke` (CI), `--only scan,boards,fanout,badges,search`, `--players 500,1000,2000` "
              "(fan-out sizes), `--out PATH`; `python -m bench.livecost` times the live game's own code "
              "without sockets. "
              "The first run builds the large databases into `bench/.cache/` and runs `npm install` in "
              "`bench/reference/`; later runs reuse both. The hub's settings come from the environment as usual, "
              "so `FESTIVAL_SQLITE_SYNCHRONOUS=NORMAL python -m bench --only fanout` measures the same "
              "hub with a cheaper commit (`FESTIVAL_GAME_SYNCHRONOUS=FULL` puts the fsync back on answers).", ""]
    lines += _machine(results["machine"]) + _goals(results)
    renderers = {"scan": _scan, "boards": _boards, "fanout": _fanout, "badges": _badges, "search": _search}
    for part, fn in renderers.items():
        if part in results.get("errors", {}):
            lines += [f"## {part}", "", f"Failed: `{results['errors'][part]}`", ""]
        elif results.get(part):
            lines += fn(results[part])
    if results.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in results["notes"]] + [""]
    return "\n".join(lines)
