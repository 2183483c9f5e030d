"""Festival databases for the benchmarks, generated fast with executemany.

A large database (100,000 attendees, 1,000,000 scans in the full run) takes
a while to build, so it is built once into ``bench/.cache/`` and copied for
each run; the copy is what the server writes to.
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
from pathlib import Path

from kiosk.tokens import new_token
from kiosk.db import migrate, now, open_db
from kiosk.devices.service import create_device, pair_device
from kiosk.text import fold, name_sort_key

CACHE = Path(__file__).resolve().parent / ".cache"
# Bump when the generated content changes, so stale caches are not reused.
GENERATOR_VERSION = 1

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Gia", "Bảo", "Khánh", "Hải"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Khoa", "Lan", "Linh", "Mai", "Nam",
         "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Đạt", "Hiếu", "Nhi"]
NICK = ["Mèo", "Cá Heo", "Sao Băng", "Gấu", "Cú", "Rồng", "Sóc", "Hổ"]
AGE_BANDS = ["7-15", "7-15", "16-17", "18+"]


def schools(n: int = 200) -> list[tuple[str, str]]:
    """(school, folded school) pairs: a festival has a couple of hundred schools."""
    names = [f"Trường THCS Số {i}" if i % 2 else f"Trường THPT Đống Đa {i}" for i in range(1, n + 1)]
    return [(s, fold(s)) for s in names]


def new_database(path: Path):
    """An empty, migrated festival database at ``path`` (replaced if present)."""
    path = Path(path)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_db(str(path), "NORMAL")
    migrate(db)
    return db


def add_zones(db, n: int = 5) -> list[int]:
    ids = []
    for i in range(n):
        cur = db.execute(
            "INSERT INTO zones (slug, name_vi, name_en, points, cooldown_s, sort, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [f"bench-{i}", f"Khu {i}", f"Zone {i}", 10, 600, i, now()])
        ids.append(cur.lastrowid)
    db.conn.commit()
    return ids


def add_attendees(db, count: int, checked_in_share: float = 0.0, seed: int = 7) -> None:
    """Insert ``count`` attendees with live badges; a share of them checked in."""
    rng = random.Random(seed)
    school_list = schools()
    names: dict[str, tuple[str, str]] = {}
    stamp = now()
    people, badges, checkins = [], [], []
    start = (db.execute("SELECT COALESCE(MAX(id), 0) FROM attendees").fetchone()[0]) + 1
    for attendee_id in range(start, start + count):
        full = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        if full not in names:
            names[full] = (fold(full), name_sort_key(full))
        school, school_fold = rng.choice(school_list)
        checked = rng.random() < checked_in_share
        people.append((attendee_id, full, names[full][0], names[full][1], f"{rng.choice(NICK)} {attendee_id}",
                       rng.choice(AGE_BANDS), school, school_fold, f"{rng.randint(6, 12)}A{rng.randint(1, 9)}",
                       1, 1, int(rng.random() < 0.8), stamp if checked else None,
                       "desk 1" if checked else None, stamp))
        badges.append((new_token(), attendee_id, stamp))
        if checked:
            checkins.append((attendee_id, "desk 1", stamp))
    with db.conn:
        db.conn.executemany(
            "INSERT INTO attendees (id, full_name, name_fold, name_sort, nickname, age_band, school, "
            "school_fold, class_name, consent_child, consent_guardian, consent_public, checked_in_at, "
            "checked_in_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
        db.conn.executemany("INSERT INTO badges (token, attendee_id, issued_at) VALUES (?, ?, ?)", badges)
        db.conn.executemany("INSERT INTO checkins (attendee_id, station, at) VALUES (?, ?, ?)", checkins)


def add_points(db, per_attendee: int = 3, seed: int = 11) -> None:
    """Ledger rows (zone visits) and running totals for every attendee."""
    rng = random.Random(seed)
    ids = [r[0] for r in db.execute("SELECT id FROM attendees")]
    ledger, totals = [], []
    for attendee_id in ids:
        total = 0
        for k in range(rng.randint(0, per_attendee * 2)):
            pts = rng.choice((5, 10, 10, 20))
            total += pts
            ledger.append((attendee_id, pts, "zone", f"bench-{attendee_id}-{k}", now()))
        if total:
            totals.append((attendee_id, total, f"2026-11-28T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00"))
    with db.conn:
        db.conn.executemany("INSERT INTO ledger (attendee_id, points, source, reference, at) "
                            "VALUES (?, ?, ?, ?, ?)", ledger)
        db.conn.executemany("INSERT INTO point_totals (attendee_id, points, reached_at) VALUES (?, ?, ?)",
                            totals)


def add_scans(db, count: int, seed: int = 13, batch: int = 50_000) -> None:
    """``count`` past scans (check-ins and zone visits) with stored answers."""
    rng = random.Random(seed)
    top = db.execute("SELECT MAX(id) FROM attendees").fetchone()[0] or 1
    answer = json.dumps({"ok": True, "result": "checked_in", "level": "green",
                         "message_vi": "Đã check-in. Chào mừng bạn!", "message_en": "Checked in. Welcome!",
                         "attendee": {"id": 0, "nickname": "Mèo", "given_name": "An", "age_band": "7-15"}},
                        ensure_ascii=False)
    stamp = now()
    done = 0
    while done < count:
        rows = []
        for i in range(done, min(count, done + batch)):
            rows.append((f"past-{i:09d}", "desk 1", "checkin", None, "X" * 18, rng.randint(1, top),
                         "checked_in", answer, stamp))
        with db.conn:
            db.conn.executemany(
                "INSERT INTO scans (id, station, kind, zone_id, scanned_text, attendee_id, result, response, "
                "server_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        done += len(rows)


def _schema_key() -> str:
    """Changes whenever a migration is added, so a cache never misses new tables or triggers."""
    from kiosk import migrations

    names = ",".join(m.name for m in migrations.migrations._migrations)
    return hashlib.sha256(names.encode()).hexdigest()[:8]


def cached_large(attendees: int, scans: int, log=print) -> Path:
    """The path of a cached database with ``attendees`` and ``scans`` (built once)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"festival-{attendees}-{scans}-v{GENERATOR_VERSION}-{_schema_key()}.db"
    if path.exists():
        return path
    for stale in CACHE.glob(f"festival-{attendees}-{scans}-v*.db"):
        stale.unlink()  # built for an older schema or generator
    log(f"  building {path.name} (once; cached for later runs)")
    tmp = path.with_suffix(".building")
    db = new_database(tmp)
    add_zones(db)
    # 60 % already checked in: the rest are the badges a run can still check in.
    add_attendees(db, attendees, checked_in_share=0.6)
    add_points(db)
    add_scans(db, scans)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    Path(str(tmp) + "-wal").unlink(missing_ok=True)
    Path(str(tmp) + "-shm").unlink(missing_ok=True)
    tmp.rename(path)
    return path


def copy_database(source: Path, target: Path):
    """Copy a cached database for one run and open it."""
    shutil.copyfile(source, target)
    return open_db(str(target), "NORMAL")


def add_device(db, role: str = "desk", zone_id: int | None = None) -> str:
    """Create and pair a device; return its credential (sent as a bearer token)."""
    device_id, code = create_device(db, f"bench {role}", role, zone_id, "bench")
    return pair_device(db, code)[2]


def unchecked_tokens(db, limit: int) -> list[str]:
    """Live badges of attendees not yet checked in (each can be checked in once)."""
    rows = db.execute(
        "SELECT b.token FROM badges b JOIN attendees a ON a.id = b.attendee_id "
        "WHERE a.checked_in_at IS NULL AND b.revoked_at IS NULL ORDER BY a.id LIMIT ?", [limit]).fetchall()
    return [r[0] for r in rows]
