"""Part 8: the national report at thousands of outcomes bundles (issue 26).

Generates N signed bundles as many venues would send them (each its own
Ed25519 key, a province among the 34, a festival or a school workshop, the
shipped bank's questions answered in self-paced rounds and a third of them
live, with wrong answers), trusts every hub and imports the bundles in
batches through the real service (``kiosk.national.store.import_bundle``),
timing each batch: merge cost is linear when the time per bundle stays flat
as the table grows. Then times the national report: ``summary.build`` and the
whole self-contained HTML (``festival report --national``), and the stage
board. Goal: the report at 5,000 bundles in under 5 s.
"""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 5.0


def _bank() -> list[dict]:
    data = json.loads((ROOT / "games" / "quiz" / "banks" / "core.json").read_text(encoding="utf-8"))
    return data["questions"], data.get("topics", {})


def make_payload(rng: random.Random, index: int, questions, topic_names, province: str) -> dict:
    """A bundle's unsigned contents, shaped like ``kiosk.national.bundle.outcomes``."""
    kind = "festival" if index % 20 == 0 else "school_workshop"
    people = rng.randint(30, 400) if kind == "school_workshop" else rng.randint(2000, 20000)
    day = f"2025-{10 + index % 2:02d}-{1 + index % 28:02d}"
    learning = {}
    for mode, share in (("self", 1.0), ("live", 0.3)):
        rows, topics = [], {}
        for q in questions:
            if rng.random() > share:
                continue
            answers = rng.randint(5, people)
            correct = int(answers * rng.uniform(0.35, 0.95))
            wrong = []
            left = answers - correct
            for option in range(len(q["options"])):
                if [option] != q["correct"] and left:
                    count = left if option == len(q["options"]) - 1 else rng.randint(0, left)
                    left -= count
                    if count:
                        wrong.append({"choice": f"[{option}]", "vi": q["options"][option]["vi"],
                                      "en": q["options"][option]["en"], "count": count})
            rows.append({"id": q["id"], "topic": q["topic"], "prompt": q["prompt"], "answers": answers,
                         "correct": correct, "rate": round(100 * correct / answers, 1), "wrong": wrong})
            t = topics.setdefault(q["topic"], {"topic": q["topic"], **topic_names.get(q["topic"], {}),
                                               "answers": 0, "correct": 0})
            t["answers"] += answers
            t["correct"] += correct
        for t in topics.values():
            t.setdefault("vi", t["topic"])
            t.setdefault("en", t["topic"])
            t["rate"] = round(100 * t["correct"] / t["answers"], 1)
        total = sum(r["answers"] for r in rows)
        learning[mode] = {"answers": total, "correct": sum(r["correct"] for r in rows),
                          "rate": round(100 * sum(r["correct"] for r in rows) / total, 1) if total else None,
                          "questions": rows, "topics": list(topics.values())}
    checked = int(people * 0.9)
    hours = [{"hour": f"{day}T{h:02d}", "count": checked // 4} for h in (1, 2, 3, 4)]
    return {"event": {"name": f"Buổi học an toàn mạng #{index}", "province": province, "kind": kind,
                      "dates": [day]},
            "report": {"totals": {"registered": people, "checked_in": checked, "visits": checked * 3, "undone": 0},
                       "utc_offset": 7, "checkin_hours": hours,
                       "ages": [{"band": "7-15", "registered": people, "checked_in": checked}],
                       "schools": [], "zones": [], "funnel": [{"zones": 1, "people": checked}],
                       "rewards": [], "rounds": {"started": checked, "finished": checked},
                       "learning": learning, "games": {"count": 1, "players": 40, "answers": 400, "correct": 300}}}


def signed(body: dict, index: int) -> dict:
    """A bundle signed by a new hub key (as ``kiosk.national.bundle.build`` does)."""
    import hashlib  # noqa: E402 imported when the part runs, as in the other bench parts

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.national import keys
    from kiosk.national.bundle import FORMAT, VERSION, canonical

    key = Ed25519PrivateKey.generate()
    public = keys.raw_public(key)
    payload = {"format": FORMAT, "version": VERSION, "hub": {"key": public, "id": keys.fingerprint(public)},
               "sequence": 1, "generated_at": "2025-11-30T12:00:00.000+00:00", **body}
    data = canonical(payload)
    return {"format": FORMAT, "version": VERSION, "bundle_id": hashlib.sha256(data).hexdigest(),
            "payload": payload, "signature": keys.sign(key, data)}


def run(cfg: dict, workdir: Path, log=print) -> dict:
    from kiosk import create_app  # noqa: E402 imported when the part runs, as in the other bench parts
    from kiosk.db import open_db
    from kiosk.national import store, summary
    from kiosk.national.board import national_board
    from kiosk.national.bundle import canonical
    from kiosk.national.provinces import provinces
    from kiosk.national.views import render_national

    total = cfg.get("national_bundles", 5000)
    batch = max(1, total // 5)
    rng = random.Random(26)
    questions, topic_names = _bank()
    slugs = [p["slug"] for p in provinces()]
    app = create_app({"INSTANCE_PATH": str(workdir / "instance"), "DATABASE": str(workdir / "national.db"),
                      "SECRET_KEY": "bench", "ASYNC_MODE": "threading", "SQLITE_SYNCHRONOUS": "NORMAL"})
    db = open_db(app.config["DATABASE"], "NORMAL")
    began = time.perf_counter()
    bundles = [signed(make_payload(rng, i, questions, topic_names, slugs[i % len(slugs)]), i) for i in range(total)]
    sizes = [len(canonical(b)) for b in bundles]
    log(f"  {total:,} bundles generated in {time.perf_counter() - began:.1f} s "
        f"(median {sorted(sizes)[len(sizes) // 2]:,} bytes)")
    batches = []
    with app.app_context():
        for b in bundles:
            store.trust_key(db, b["payload"]["hub"]["key"], "bench")
        for start in range(0, total, batch):
            t0 = time.perf_counter()
            for b in bundles[start:start + batch]:
                assert store.import_bundle(db, b, "bench")["result"] == "imported"
            seconds = time.perf_counter() - t0
            batches.append({"after": start + len(bundles[start:start + batch]), "seconds": round(seconds, 2),
                            "ms_per_bundle": round(1000 * seconds / len(bundles[start:start + batch]), 2)})
            log(f"  imported {batches[-1]['after']:,}: {batches[-1]['ms_per_bundle']} ms per bundle")
        t0 = time.perf_counter()
        again = store.import_bundle(db, bundles[0], "bench")["result"]
        duplicate_ms = round(1000 * (time.perf_counter() - t0), 2)
        timings = {}
        for label, fn in (("summary", lambda: summary.build(db)),
                          ("html", lambda: render_national(db, standalone=True)),
                          ("board", lambda: national_board(db))):
            runs = []
            for _ in range(3):
                t0 = time.perf_counter()
                out = fn()
                runs.append(time.perf_counter() - t0)
            timings[label] = round(min(runs), 3)
            timings[label + "_max"] = round(max(runs), 3)
            if label == "html":
                timings["html_bytes"] = len(out)
        n = summary.build(db)
    facts = db.execute("SELECT COUNT(*) FROM national_facts").fetchone()[0]
    db.conn.close()
    log(f"  report: summary {timings['summary']} s, HTML {timings['html']} s ({timings['html_bytes']:,} bytes), "
        f"board {timings['board']} s; {facts:,} fact rows")
    first, last = batches[0]["ms_per_bundle"], batches[-1]["ms_per_bundle"]
    ratio = round(last / first, 2) if first else None
    return {"bundles": total, "median_bundle_bytes": sorted(sizes)[len(sizes) // 2], "fact_rows": facts,
            "batches": batches, "duplicate": again, "duplicate_ms": duplicate_ms, "timings": timings,
            "totals": n["totals"], "provinces": len(n["provinces"]),
            "goals": [{"goal": f"national report (HTML) at {total:,} bundles < {GOAL_S:g} s",
                       "figure": timings["html_max"], "unit": "s", "met": timings["html_max"] < GOAL_S},
                      {"goal": "merge linear: ms per bundle, last batch ≤ 2× first", "figure": ratio,
                       "unit": "×", "met": ratio is not None and ratio <= 2}]}
