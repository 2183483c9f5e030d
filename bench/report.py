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
    for part in ("scan", "boards", "fanout", "badges", "search", "hostile", "failover", "national"):
        for g in (results.get(part) or {}).get("goals", []):
            rows.append([part, g["goal"], f"{_v(g['figure'])} {g['unit']}", "**met**" if g["met"] else "**not met**"])
    return ["## Goals", ""] + _table(["part", "goal", "figure", "verdict"], rows)


def _load_row(label: str, r: dict) -> list:
    return [label, r.get("concurrency", "–"), r["requests"], r["per_s"], r["p50_ms"], r["p95_ms"], r["p99_ms"],
            r.get("server_cpu_ms_per_request"), r.get("server_user_ms_per_request"),
            r.get("server_system_ms_per_request"), r.get("wall_ms_per_request"),
            r.get("load_generator_cpu_ms_per_request"),
            ", ".join(f"{k} {v}" for k, v in r["results"].items()) or "–"]


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
           "gunicorn, eventlet worker, one worker, pinned to one core; closed-loop keep-alive clients in 2 "
           "processes pinned to the other (2+ cores), so neither's CPU time is taken on a core the other "
           "shares. Server CPU is the worker's utime+stime over the run divided by the requests, split into "
           "user and system (kernel: socket writes, fsync); *wall ms/scan* is what an outside client "
           "measures: the run's elapsed time / the scans answered; the load generator's own CPU per scan "
           "is beside it.", ""]
    out += _table(["run", "clients", "requests", "scans/s", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/scan",
                   "user ms", "system ms", "wall ms/scan", "load generator CPU ms/scan", "answers"], rows)
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
    arrive, leave, play, worker = [], [], [], []
    for n, entry in f["sizes"].items():
        node_cpu = (entry.get("node") or {}).get("cpu_ms_per_arriving_phone")
        for kind, r in entry.items():
            cpu = r.get("cpu_ms_per_arriving_phone", r.get("join_connect_cpu_ms_per_player"))
            times = round(cpu / node_cpu, 2) if cpu and node_cpu and kind == "hub" else None
            arrive.append([kind, int(n), r.get("requests_per_phone"), r.get("kib_per_phone"),
                           r.get("arrived_pct", r.get("joined_pct")), (r.get("page") or {}).get("p99_ms"),
                           r["join"]["p99_ms"], r["connect"]["p99_ms"], (r.get("arrival") or {}).get("p50_ms"),
                           (r.get("arrival") or {}).get("p99_ms"), r["connect_wall_s"], cpu, times])
            leave.append([kind, int(n), r.get("leave_s"), r.get("leave_cpu_ms_per_player")])
            play.append([kind, int(n), r["delivered_pct_min"], r["delivery"]["p50_ms"], r["delivery"]["p99_ms"],
                         r["answer_ack"]["p50_ms"], r["answer_ack"]["p99_ms"],
                         r["stage_board_after_last_answer_ms_max"], r["server_cpu_ms_per_player_question"],
                         r.get("rss_peak_mib"), ", ".join(f"{x:.2f}" for x in r.get("load_average", []))])
            w, desk = r.get("worker") or {}, r.get("desk") or {}
            if kind == "hub":
                worker.append([int(n), "tuned" if r.get("gc_tune") else "CPython defaults",
                               (w.get("joining") or {}).get("gc_max_ms"), (w.get("playing") or {}).get("gc_max_ms"),
                               (w.get("playing") or {}).get("full_collections"), w.get("gc_count"),
                               (w.get("playing") or {}).get("lag_max_ms"),
                               (desk.get("quiet") or {}).get("p99_ms"), (desk.get("joining") or {}).get("p99_ms"),
                               (desk.get("playing") or {}).get("p99_ms")])
    served = sorted({r.get("served_by") for e in f["sizes"].values() for k, r in e.items()
                     if k == "hub" and r.get("served_by")})
    out = ["## 3. Live game with a crowd", "",
           f"One game. Every phone arrives within {_v(f.get('arrival_s'))} s (uniformly), from its own loopback "
           "address (127.x.y.z, so per-address limits see phones), and makes a browser's first visit over one "
           "keep-alive connection: the play page `/play?code=…` and every file it references, recursively "
           "(bench/firstvisit.py), then the join (`POST /play/join`, as static/js/player.js does) on the same "
           "connection, then its websocket, connecting to `/play` with its token. *Arrival → joined* runs from "
           "the phone's moment to its socket joined. Then the host runs the questions: every player answers "
           "within the burst window, the question closes on the last answer and the big screen "
           "(`/gamescreen`) gets the reveal with the top 5. Times are measured from the host's `next` to each "
           "phone's arrival, and from each answer to its acknowledgement (one clock: same machine). The server "
           "runs pinned to one core and the load generator to the other (2 cores here); the Node.js socket.io "
           "reference (bench/reference/server.js: the same join, and the hub's play page and files from a "
           "snapshot, served from memory, gzipped once) is measured in the same run. Server CPU per arriving "
           "phone = the worker's utime+stime from the first arrival to the last phone joined / phones (a desk "
           "scanning 5 badges a second on the hub included). Server CPU per player per question = the worker's "
           "CPU during the questions / (players × questions).", ""]
    if served:
        out += ["The hub was started by: " + "; ".join(served) + ".", ""]
    if f.get("reference_error"):
        out += [f"Node.js reference not run: {f['reference_error']}", ""]
    out += ["The crowd's arrival (page + files + join + socket):", ""]
    out += _table(["server", "players", "requests per phone", "KiB per phone", "joined %", "page + files p99 ms",
                   "join p99 ms", "socket p99 ms", "arrival → joined p50 ms", "arrival → joined p99 ms",
                   "all in s", "server CPU ms per arriving phone", "× Node"], arrive)
    out += ["After the game, every phone closing its socket at once (until the server is idle again):", ""]
    out += _table(["server", "players", "all left in s", "server CPU ms per phone leaving"], leave)
    out += ["Playing:", ""]
    out += _table(["server", "players", "delivered %", "q p50 ms", "q p99 ms", "ack p50 ms", "ack p99 ms",
                   "screen top 5 after last answer ms", "server CPU ms/player/question", "peak RSS MiB",
                   "load avg at end"], play)
    if worker:
        out += ["The hub's worker (kiosk/gctune.py records every collection and a 10 ms sleeper's lateness) "
                "and a check-in desk scanning 5 new badges a second on the same hub:", ""]
        out += _table(["players", "GC", "longest GC pause joining ms", "longest GC pause playing ms",
                       "full collections playing", "collections in all", "loop lag max playing ms",
                       "desk p99 quiet ms", "desk p99 joining ms", "desk p99 playing ms"], worker)
    if f.get("notes"):  # written with the run's figures; kept with them when another part reruns
        out += [f"- {n}" for n in f["notes"]] + [""]
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
        for kind in [k for k in ("named", "broad", "typo") if k in entry]:
            a = entry[kind]["all"]
            rows.append([f"{int(size):,} attendees", kind, a["n"], a["p50_ms"], a["p99_ms"], a["max_ms"],
                         f"{entry[kind]['max_steps']:,}"])
    out = ["## 5. Desk name search", "",
           "In-process `checkin.search.search` (first page of 20) over the folded-word index, after one warm-up "
           "pass; every query repeated. *named*: the issue's queries for one person (\"Đoàn\", \"doan minh quan\", "
           "\"quynh phan\", \"nguyen-van an\", …), each checked to put that person first; *broad*: one common "
           "word or prefix (\"nguyen\", \"th\", \"tran thi\"); *typo*: one typo per word (\"nguyen vn an\", "
           "\"ngyuen van an\", \"nguyen van aan\"), each checked to put that person first (issue 22). "
           "*most steps*: SQLite virtual-machine steps of the costliest query, the work done, which a loaded "
           "machine does not change.", ""]
    out += _table(["festival", "queries", "timings", "p50 ms", "p99 ms", "max ms", "most steps"], rows)
    large = s["sizes"][max(s["sizes"], key=int)]
    slow = sorted(((q, t["p99_ms"]) for kind in ("named", "broad") for q, t in large[kind]["per_query"].items()),
                  key=lambda qt: -qt[1])[:5]
    out += ["Slowest queries at the largest size (p99): " + ", ".join(f"`{q}` {_v(t)} ms" for q, t in slow) + ".", ""]
    wrong = {size: e["problems"] for size, e in s["sizes"].items() if e["problems"]}
    out += [f"Named people first: {'every query, every size' if not wrong else wrong}.", ""]
    return out


def _hostile(h: dict) -> list[str]:
    rows = []
    for name, p in h["phases"].items():
        sc, hz, att = p["scans"], p["healthz"], p.get("attacker") or {}
        if "peak_held" in att:
            what = (f"held at most {att['peak_held']:,} idle sockets; {att['opened']:,} upgrades opened, "
                    f"{att['refused']:,} refused")
        elif "events_sent" in att:
            what = f"{att['events_sent']:,} events sent over {att['connections']:,} connections"
        else:
            what = "–"
        rows.append([name, sc["requests"], sc["per_s"], sc["p50_ms"], sc["p99_ms"], hz["n"], hz["p50_ms"],
                     hz["p99_ms"], hz["max_ms"], what])
    s = h.get("settings", {})
    out = ["## 6. Hostile clients: idle sockets and a flooding socket", "",
           "One hub, three phases in the same run: desk scans (`POST /api/scans`, closed-loop clients) and a "
           "`/healthz` probe every 20 ms, first alone, then while one address (127.0.0.66) opens as many idle "
           "websocket upgrades as it can and joins no namespace, then while one `/desk` socket sends events "
           "back to back and reconnects when cut off. Admission and event limits at their defaults "
           f"({s.get('per_address')} connections and {s.get('unjoined_per_address')} not in a namespace per "
           f"address, join deadline {s.get('join_timeout_s')} s, {s.get('event_rate')} events/s, bursts of "
           f"{s.get('event_burst')}, disconnect after {s.get('flood_limit')} refused events).", ""]
    out += _table(["phase", "scans", "scans/s", "scan p50 ms", "scan p99 ms", "/healthz probes", "/healthz p50 ms",
                   "/healthz p99 ms", "/healthz max ms", "attacker"], rows)
    if h.get("server_errors"):
        out += ["Errors in the hub's log: " + "; ".join(f"`{e}`" for e in h["server_errors"]), ""]
    return out


def _failover(f: dict) -> list[str]:
    """Part 7 (bench/failover.py): replication with Litestream, takeover, replay."""
    off, on = f.get("off", {}), f.get("on", {})
    out = ["## 7. Never lose the hub: replica, takeover, replay", "",
           "The hub replicates to a folder with Litestream (`festival serve --replicate file://…`, "
           "kiosk/ops/replication.py). Throughput: closed-loop zone scans, replication off and on, same "
           "database copy, in this run. Lag: a follower (`litestream restore -f`) applies the replica as "
           f"it grows while scans arrive at {f.get('rate')}/s; every 100 ms the newest scan it holds is "
           "compared with the clock. Then the hub is SIGKILLed with its files deleted, `festival takeover` "
           "restores the replica on another port, and every acknowledged scan is sent again by id "
           "(as the kiosks' outboxes do).", ""]
    out += _table(["replication", "scans/s", "p50 ms", "p99 ms", "hub CPU ms/scan", "Litestream CPU ms/scan"],
                  [["off", off.get("per_s"), off.get("p50_ms"), off.get("p99_ms"), off.get("server_cpu_ms_per_scan"), "–"],
                   ["on", on.get("per_s"), on.get("p50_ms"), on.get("p99_ms"), on.get("server_cpu_ms_per_scan"),
                    on.get("litestream_cpu_ms_per_scan")]])
    lag, replay = f.get("lag") or {}, f.get("replay") or {}
    sent = f.get("sent_at_rate") or {}
    # The paced sender asks for `rate` scans/s; a busy machine's hub may answer fewer: say which.
    at = f"asked {f.get('rate')}/s, hub answered {_v(sent.get('per_s'))}/s"
    out += _table(["figure", "value"], [
        [f"replication lag p50 ({at})", _v(lag.get("p50_s"), " s")],
        [f"replication lag p99 ({at})", _v(lag.get("p99_s"), " s")],
        ["replication lag max (samples)", f"{_v(lag.get('max_s'), ' s')} ({_v(lag.get('samples'))})"],
        ["scans acknowledged by the hub before the kill (rate reached)",
         f"{_v(sent.get('acknowledged'))} ({_v(sent.get('per_s'))}/s)"],
        ["acknowledged scans the replica alone lacked", _v(f.get("replica_lacked"))],
        ["kill → first scan accepted on the standby (takeover included)", _v(f.get("kill_to_first_scan_s"), " s")],
        ["replay: already there / stored now / refused", f"{_v(replay.get('replayed'))} / {_v(replay.get('stored'))} / "
                                                         f"{_v(replay.get('failed'))} in {_v(replay.get('seconds'), ' s')}"],
        ["acknowledged scans missing after the replay", _v(replay.get("missing_after_replay"))],
    ])
    out += ["Kiosks notice a dead hub within their watch interval (5 s) and then move to the first standby "
            "that answers, so a kiosk's own gap is this kill → first-scan time plus up to 5 s. "
            "Litestream's CPU is mostly a fixed cost per second (WAL polling, compaction), so per scan it "
            "shrinks as the scan rate grows.", ""]
    return out


def _national(n: dict) -> list[str]:
    t = n["timings"]
    out = ["## 8. National report", "",
           f"`python -m bench --only national`: {n['bundles']:,} generated, signed outcomes bundles (one Ed25519 key "
           f"each, median {n['median_bundle_bytes']:,} bytes: the shipped bank's questions with wrong answers), "
           f"every hub trusted, imported in batches through `kiosk.national.store.import_bundle` "
           f"({n['fact_rows']:,} fact rows, {n['provinces']} provinces). Merge cost per bundle as the tables grow:", ""]
    out += _table(["bundles imported", "batch s", "ms per bundle"],
                  [[b["after"], b["seconds"], b["ms_per_bundle"]] for b in n["batches"]])
    out += [f"The same bundle again: `{n['duplicate']}` in {_v(n['duplicate_ms'])} ms. The national report "
            f"(best of 3 / worst of 3): `summary.build` {_v(t['summary'])} / {_v(t['summary_max'])} s; the whole "
            f"self-contained HTML (`festival report --national`) {_v(t['html'])} / {_v(t['html_max'])} s "
            f"({t['html_bytes']:,} bytes); the stage board {_v(t['board'])} s.", ""]
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
              "a minute and a half), `--smoke` (CI), `--only scan,boards,fanout,badges,search,hostile,failover,national`, `--players 500,1000,2000` "
              "(fan-out sizes), `--out PATH`; `python -m bench.livecost` times the live game's own code "
              "without sockets. "
              "The first run builds the large databases into `bench/.cache/` and runs `npm install` in "
              "`bench/reference/`; later runs reuse both. The hub's settings come from the environment as usual, "
              "so `FESTIVAL_SQLITE_SYNCHRONOUS=NORMAL python -m bench --only fanout` measures the same "
              "hub with a cheaper commit (`FESTIVAL_GAME_SYNCHRONOUS=FULL` puts the fsync back on answers). "
              "The crowd part (fan-out, 1,000/2,000/5,000 phones) takes about 20 minutes on its own; "
              "`BENCH_GC_TUNE=0` measures the hub with CPython's collector defaults, `BENCH_NO_REFERENCE=1` "
              "skips the Node.js reference.", "",
              "Before-and-after comparisons of single changes (two commits measured back to back) are "
              "in [benchmark-history.md](benchmark-history.md); this file is rewritten by every run.", ""]
    if results.get("kept"):
        lines += ["> Only " + ", ".join(results["parts"]) + " ran this time; the other parts' figures are kept "
                  "from earlier runs: " + "; ".join(f"{part} ({k.get('mode')} run of {k.get('started')})"
                                                     for part, k in results["kept"].items()) + ".", ""]
    lines += _machine(results["machine"]) + _goals(results)
    renderers = {"scan": _scan, "boards": _boards, "fanout": _fanout, "badges": _badges, "search": _search,
                 "hostile": _hostile, "failover": _failover, "national": _national}
    for part, fn in renderers.items():
        if part in results.get("errors", {}):
            lines += [f"## {part}", "", f"Failed: `{results['errors'][part]}`", ""]
        elif results.get(part):
            try:
                lines += fn(results[part])
            except (KeyError, TypeError, ValueError) as exc:
                # Figures kept from an earlier run may predate a part's current format.
                lines += [f"## {part}", "", f"Figures kept from an earlier run are in an older format "
                          f"(`{type(exc).__name__}: {exc}`): run `python -m bench --only {part}` again.", ""]
    if results.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in results["notes"]] + [""]
    return "\n".join(lines)
