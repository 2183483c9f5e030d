"""Desk name search at festival scale (issue 14).

    python -m bench --only search        # 1,000 and 100,000 attendees
    python -m bench.search [--quick]     # the same, printed as JSON

A generated festival with Vietnamese family names in their real shares
(Nguyễn about 38 %), a few hundred schools and the named people of the
issue's done-when (Đoàn and Doãn Minh Quân in one class, Phan Ngọc Quỳnh,
Lê Đức Óc and Ộc, ...) placed among them. Every query runs against both
sizes; the figure is the in-process time of ``checkin.search.search``
(first page of 20), after one warm-up pass.
"""
from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from .stats import summary_ms

# Family names with rough shares of the population (per mille).
FAMILY = [("Nguyễn", 380), ("Trần", 110), ("Lê", 95), ("Phạm", 70), ("Hoàng", 50), ("Huỳnh", 40),
          ("Phan", 40), ("Vũ", 40), ("Võ", 30), ("Đặng", 25), ("Bùi", 25), ("Đỗ", 20), ("Hồ", 15),
          ("Ngô", 15), ("Dương", 10), ("Lý", 5), ("Đinh", 10), ("Trương", 10), ("Mai", 5), ("Tô", 5)]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Gia", "Bảo", "Khánh", "Hải", "Thanh", "Hoàng",
          "Quốc", "Anh", "Phương", "Tuấn", "Xuân", "Hữu", "Thùy", "Mỹ"]
GIVEN = ["An", "Anh", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Khoa", "Lan", "Linh", "Mai", "Nam",
         "Phúc", "Quân", "Quang", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Đạt", "Hiếu", "Nhi",
         "Huy", "Long", "Ngân", "Trâm", "Vân", "Khôi", "Minh", "Duy", "Hương", "Nhung", "Uyên", "Phong"]
SCHOOL_NAMES = ["Chu Văn An", "Lê Quý Đôn", "Trưng Vương", "Nguyễn Du", "Giảng Võ", "Cầu Giấy", "Kim Liên",
                "Đống Đa", "Ba Đình", "Hoàn Kiếm", "Thăng Long", "Việt Đức", "Phan Đình Phùng", "Marie Curie"]
# (full name, school, class) of the people the queries look for.
NAMED = [("Đoàn Minh Quân", "THCS Chu Văn An", "9A"), ("Doãn Minh Quân", "THCS Chu Văn An", "9A"),
         ("Doãn Thu Hà", "THCS Kim Liên", "8B"), ("Phan Ngọc Quỳnh", "THPT Việt Đức", "11A2"),
         ("Lê Đức Óc", "THCS Giảng Võ", "7C"), ("Lê Đức Ộc", "THCS Giảng Võ", "7C"),
         ("Nguyễn Văn An", "THCS Chu Văn An", "9A"), ("Trịnh Công Sơn", "THPT Thăng Long", "12A1")]
# query -> the full names expected first (and second), in order.
QUERIES = {
    "Đoàn": ["Đoàn Minh Quân", "Doãn Minh Quân|Doãn Thu Hà"],
    "doan minh quan": ["Đoàn Minh Quân|Doãn Minh Quân", "Đoàn Minh Quân|Doãn Minh Quân"],
    "Doãn Minh Quân": ["Doãn Minh Quân", "Đoàn Minh Quân"],
    "quynh phan": ["Phan Ngọc Quỳnh"],
    "nguyen-van an": ["Nguyễn Văn An"],
    "Ộc": ["Lê Đức Ộc", "Lê Đức Óc"],
    "le duc oc": ["Lê Đức Óc|Lê Đức Ộc", "Lê Đức Óc|Lê Đức Ộc"],
    "doan thu ha": ["Doãn Thu Hà"],
    "trinh cong son": ["Trịnh Công Sơn"],
    "son trinh": ["Trịnh Công Sơn"],
    "quan 9a": ["Đoàn Minh Quân|Doãn Minh Quân", "Đoàn Minh Quân|Doãn Minh Quân"],
    "an chu van an 9a": ["Nguyễn Văn An"],
}
# Queries typed with one typo per word (issue 22) -> the full names expected first.
TYPOS = {
    "nguyen vn an": ["Nguyễn Văn An"],
    "ngyuen van an": ["Nguyễn Văn An"],
    "nguyen van aan": ["Nguyễn Văn An"],
    "phan ngoc quynhh": ["Phan Ngọc Quỳnh"],
    "doan mihn quan": ["Đoàn Minh Quân|Doãn Minh Quân"],
    "trinh cogn son": ["Trịnh Công Sơn"],
}
# Queries a desk types with no single right answer (common words, prefixes).
BROAD = ["nguyen", "nguyen van", "tran thi", "an", "ngu", "minh anh", "hoang", "th", "le thi thu", "quan",
         "quan chu van an"]


def _weighted(rng: random.Random, pairs):
    names = [n for n, _ in pairs]
    weights = [w for _, w in pairs]
    return lambda: rng.choices(names, weights)[0]


def schools(n: int = 300) -> list[str]:
    kinds = ["THCS", "THPT", "Tiểu học"]
    return [f"{kinds[i % 3]} {SCHOOL_NAMES[i % len(SCHOOL_NAMES)]}" + (f" {i // len(SCHOOL_NAMES)}" if i >= 14 else "")
            for i in range(n)]


def generate(count: int, seed: int = 14) -> list[tuple[str, str, str]]:
    """``count`` (full name, school, class) rows with the named people among them.

    The generator leaves out the family names Đoàn, Doãn and Trịnh and the given
    names Quỳnh, Óc and Ộc, so the named people are the only ones a query
    for them can be about.
    """
    rng = random.Random(seed)
    family = _weighted(rng, FAMILY)
    school_list = schools()
    rows = []
    for _ in range(count - len(NAMED)):
        name = f"{family()} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        rows.append((name, rng.choice(school_list), f"{rng.randint(6, 12)}{rng.choice('ABCD')}{rng.randint(1, 5)}"))
    for person in NAMED:
        rows.insert(rng.randrange(len(rows) + 1), person)
    return rows


def build(db, count: int, seed: int = 14) -> None:
    """Insert a generated festival of ``count`` attendees (no badges) fast:
    the search words first (computed in Python), then the rows."""
    # The project is imported when a part runs, as in the other bench parts (python -m bench --only …).
    from checkin.search_words import index_rows, pair_rows
    from kiosk.db import now, refresh_statistics
    from kiosk.text import fold, name_sort_key

    stamp = now()
    start = db.execute("SELECT COALESCE(MAX(id), 0) FROM attendees").fetchone()[0] + 1
    keys: dict[str, tuple[str, str]] = {}
    people, words, pairs = [], [], []
    for attendee_id, (name, school, class_name) in enumerate(generate(count, seed), start):
        if name not in keys:
            keys[name] = (fold(name), name_sort_key(name))
        people.append((attendee_id, name, *keys[name], f"Bạn {attendee_id}", "7-15", school, fold(school),
                       class_name, stamp))
        words += index_rows(attendee_id, name, school, class_name)
        pairs += pair_rows(attendee_id, name)
    with db.conn:
        db.conn.executemany("INSERT INTO attendee_words (word, attendee_id, pos, role, exact) VALUES (?, ?, ?, ?, ?)",
                            words)
        db.conn.executemany("INSERT INTO attendee_pairs (pair, attendee_id) VALUES (?, ?)", pairs)
        db.conn.executemany(
            "INSERT INTO attendees (id, full_name, name_fold, name_sort, nickname, age_band, school, school_fold, "
            "class_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
    refresh_statistics(db)  # as the hub does at start-up and after an import


def check(db) -> dict[str, list[str]]:
    """Query -> problems (empty when the expected people come first)."""
    from checkin.search import search  # imported when a part runs, as in the other bench parts

    problems = {}
    for query, expected in {**QUERIES, **TYPOS}.items():
        got = [r["full_name"] for r in search(db, query)]
        wrong = [f"#{i + 1}: expected {want}, got {got[i] if i < len(got) else None}"
                 for i, want in enumerate(expected) if i >= len(got) or got[i] not in want.split("|")]
        if wrong:
            problems[query] = wrong
    return problems


def work(db, queries) -> dict[str, int]:
    """Query -> SQLite virtual-machine steps of one search (counted by a progress
    handler every 100 steps): the work done, which a loaded machine does not change."""
    from checkin.search import search  # imported when a part runs, as in the other bench parts

    steps = [0]

    def tick():
        steps[0] += 100
        return 0

    counted = {}
    db.conn.set_progress_handler(tick, 100)
    try:
        for q in queries:
            steps[0] = 0
            search(db, q)
            counted[q] = steps[0]
    finally:
        db.conn.set_progress_handler(None, 0)
    return counted


def time_queries(db, queries, repeats: int) -> dict:
    """Every query ``repeats`` times after a warm-up; timings in ms, and the work
    (VM steps) of each."""
    from checkin.search import search  # imported when a part runs, as in the other bench parts

    for q in queries:
        search(db, q)
    per_query, all_times = {}, []
    for q in queries:
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            search(db, q)
            times.append(time.perf_counter() - began)
        per_query[q] = summary_ms(times)
        all_times += times
    steps = work(db, queries)
    return {"all": summary_ms(all_times), "per_query": per_query, "steps": steps, "max_steps": max(steps.values())}


def run(cfg: dict, workdir: Path, log=print) -> dict:
    """Build each festival size in ``workdir``, check the named queries, time them."""
    from kiosk.db import migrate, open_db  # imported when a part runs, as in the other bench parts

    # The leaderboards' sizes of each mode: 1,000 and 100,000 in the full run.
    sizes = cfg.get("search_sizes") or cfg.get("board_sizes") or (1_000, 100_000)
    repeats = cfg.get("search_repeats", 30)
    result = {"sizes": {}, "goals": [], "work": {}}
    for size in sizes:
        path = Path(workdir) / f"search-{size}.db"
        db = open_db(str(path), "NORMAL")
        migrate(db)
        began = time.perf_counter()
        build(db, size)
        log(f"  {size:,} attendees built in {time.perf_counter() - began:.1f} s")
        entry = {"problems": check(db), "named": time_queries(db, list(QUERIES), repeats),
                 "broad": time_queries(db, BROAD, repeats), "typo": time_queries(db, list(TYPOS), repeats)}
        entry["index_rows"] = db.execute("SELECT COUNT(*) FROM attendee_words").fetchone()[0]
        db.conn.close()
        log(f"  named p50 {entry['named']['all']['p50_ms']} ms, p99 {entry['named']['all']['p99_ms']} ms, "
            f"at most {entry['named']['max_steps']:,} steps; broad p99 {entry['broad']['all']['p99_ms']} ms, "
            f"at most {entry['broad']['max_steps']:,} steps; typo p99 {entry['typo']['all']['p99_ms']} ms; "
            f"problems: {entry['problems'] or 'none'}")
        result["sizes"][str(size)] = entry
    small, large = (result["sizes"][str(s)] for s in (min(sizes), max(sizes)))
    for kind in ("named", "broad"):
        p99, base = large[kind]["all"]["p99_ms"], small[kind]["all"]["p99_ms"]
        result["goals"].append({"goal": f"{kind} queries: p99 at {max(sizes):,} ≤ 20 ms", "figure": p99,
                                "unit": "ms", "met": p99 is not None and p99 <= 20})
        ratio = round(p99 / base, 2) if base else None
        result["goals"].append({"goal": f"{kind} queries: p99 at {max(sizes):,} ≤ 2× p99 at {min(sizes):,}",
                                "figure": ratio, "unit": "×", "met": ratio is not None and ratio <= 2})
        # The same comparison in work done, which the machine's load does not change.
        result["work"][kind] = {"max_steps_small": small[kind]["max_steps"], "max_steps_large": large[kind]["max_steps"],
                                "ratio": round(large[kind]["max_steps"] / max(small[kind]["max_steps"], 1), 1)}
    p99 = large["typo"]["all"]["p99_ms"]
    result["goals"].append({"goal": f"typo queries (one typo per word): p99 at {max(sizes):,} ≤ 20 ms", "figure": p99,
                            "unit": "ms", "met": p99 is not None and p99 <= 20})
    result["goals"].append({"goal": "named people first at every size (typos too)", "figure": sum(
        len(e["problems"]) for e in result["sizes"].values()), "unit": "queries wrong",
        "met": not any(e["problems"] for e in result["sizes"].values())})
    return result


if __name__ == "__main__":
    import tempfile

    quick = "--quick" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        figures = run({"search_sizes": (1_000, 20_000) if quick else (1_000, 100_000)}, Path(tmp))
    print(json.dumps(figures, indent=1, ensure_ascii=False))
