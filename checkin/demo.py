"""A demo festival in its own database: zones, passport rules, 300 attendees.

Everything except secrets follows ``seed``: names, schools, classes,
nicknames and consents repeat from run to run. Badge tokens and the admin
password always come from ``secrets`` so a demo file that ends up in use
never holds guessable credentials.
"""
from __future__ import annotations

import csv
import io
import random
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kiosk.auth import create_staff, set_staff_password
from kiosk.db import migrate, now, open_db, transaction
from kiosk.nicknames import ANIMALS, QUALITIES
from kiosk.zones import service as zones

from .attendees import NewAttendee, insert_attendee, issue_badge, validate
from .scanning import check_in

# (slug, Vietnamese, English, kind, points)
ZONES = [
    ("scam-spotting", "Góc nhận diện lừa đảo", "Scam spotting corner", "booth", 10),
    ("vr-cyber-city", "Thành phố mạng thực tế ảo", "VR cyber city", "vr_ar", 20),
    ("ar-hunt", "Săn kho báu thực tế tăng cường", "AR treasure hunt", "vr_ar", 20),
    ("quiz-arena", "Đấu trường câu đố an toàn mạng", "Online safety quiz arena", "quiz", 15),
    ("privacy-workshop", "Xưởng bảo vệ thông tin cá nhân", "Protect-your-privacy workshop", "workshop", 15),
    ("main-stage", "Sân khấu chính", "Main stage", "stage", 5),
    ("helpline-booth", "Gian tổng đài hỗ trợ trẻ em 111", "Child helpline 111 booth", "booth", 10),
    ("kind-words-wall", "Bức tường lời nói tử tế", "Kind words wall", "zone", 10),
]
RULES = [
    ("Hộ chiếu 5 khu", "Five-zone passport", "count", 5, None,
     "Vòng tay Không Một Mình", "Not Alone wristband"),
    ("Nhà thám hiểm thực tế ảo", "Virtual reality explorer", "kind", None, "vr_ar",
     "Huy hiệu VR/AR", "VR/AR pin badge"),
]
SCHOOLS = [
    "THCS Trưng Vương", "THCS Nguyễn Du", "THCS Cầu Giấy",
    "THPT Chu Văn An", "THPT Việt Đức", "THPT Kim Liên",
]
FAMILY = ["Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Trần", "Lê", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan",
          "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đoàn"]
MIDDLE_BOY = ["Văn", "Minh", "Đức", "Gia", "Bảo", "Quốc", "Hữu", "Thành", "Anh"]
MIDDLE_GIRL = ["Thị", "Ngọc", "Thu", "Minh", "Gia", "Bảo", "Thanh", "Khánh", "Phương"]
GIVEN_BOY = ["An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Huy", "Khang", "Khoa",
             "Kiên", "Long", "Nam", "Nghĩa", "Phúc", "Quân", "Sơn", "Thắng", "Trung", "Tuấn", "Việt"]
GIVEN_GIRL = ["An", "Anh", "Chi", "Diệp", "Giang", "Hà", "Hân", "Hương", "Lan", "Linh", "Mai", "My",
              "Ngân", "Nhi", "Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Uyên", "Vy", "Yến"]
ATTENDEES = 300
# The first demo attendees have names the README's search examples use.
FIXED_NAMES = ["Nguyễn Văn An", "Đoàn Thị Hà", "Nguyễn Văn Anh"]


def demo_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_BOY)} {rng.choice(GIVEN_BOY)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_GIRL)} {rng.choice(GIVEN_GIRL)}"


def demo_class(rng: random.Random, school: str) -> tuple[str, str]:
    """(class, age band): lower secondary is grades 6-9 (ages 11-15), upper 10-12 (15-18)."""
    grade = rng.randint(6, 9) if school.startswith("THCS") else rng.randint(10, 12)
    if grade <= 9:
        band = "7-15"
    elif grade == 10:
        band = rng.choice(["7-15", "16-17"])
    elif grade == 11:
        band = "16-17"
    else:
        band = "18+" if rng.random() < 0.3 else "16-17"
    return f"{grade}{rng.choice('ABC')}", band


def demo_nickname(rng: random.Random, used: set[str]) -> str:
    """A generated-looking nickname no other demo attendee has (public boards
    name people by nickname: two people under one name mixes up who consented)."""
    while True:
        animal, quality = rng.choice(ANIMALS), rng.choice(QUALITIES)
        nickname = f"{animal[0]} {quality[0]} {rng.randint(10, 99)}"
        if nickname not in used:
            used.add(nickname)
            return nickname


def demo_attendee(rng: random.Random, school: str, full_name: str | None = None,
                  used: set[str] | None = None) -> NewAttendee:
    class_name, band = demo_class(rng, school)
    nickname = demo_nickname(rng, used if used is not None else set())
    minor = band == "7-15"
    # Most class lists come with signed paper forms; a few guardians did not sign.
    guardian = (not minor) or rng.random() > 0.08
    return NewAttendee(full_name=full_name or demo_name(rng), age_band=band, school=school, class_name=class_name,
                       nickname=nickname,
                       consent_child=True, consent_guardian=guardian and minor,
                       consent_public=guardian and rng.random() < 0.85,
                       consent_method="paper form (demo)")


def _insert_zones(db, stamp: str) -> None:
    for sort, (slug, vi, en, kind, points) in enumerate(ZONES, start=1):
        db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, capacity, sort, "
                   "created_at) VALUES (?, ?, ?, ?, ?, 600, ?, ?, ?)",
                   [slug, vi, en, kind, points, 40 if kind == "vr_ar" else None, sort, stamp])
    for name_vi, name_en, rule, count, kind, reward_vi, reward_en in RULES:
        db.execute("INSERT INTO passport_rules (name_vi, name_en, rule, count, zone_kind, reward_vi, "
                   "reward_en) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [name_vi, name_en, rule, count, kind, reward_vi, reward_en])


def build_demo(path: str | Path, seed: int = 2025, fresh: bool = False,
               admin_password: str | None = None) -> dict:
    """Create (or reuse) the demo festival file; return what the organiser needs.

    Returns ``{"database", "created", "admin", "password", "zones", "attendees"}``.
    An existing file is kept unless ``fresh``; the admin password is set anew
    each time (generated unless given) so it can always be printed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    db = open_db(str(path), "NORMAL")
    try:
        migrate(db)
        created = db.execute("SELECT COUNT(*) FROM zones").fetchone()[0] == 0
        if created:
            rng = random.Random(seed)
            _fill(db, rng)
            _activity(db, rng)
        password = admin_password or secrets.token_urlsafe(9)
        if db.execute("SELECT 1 FROM staff WHERE username = 'admin'").fetchone():
            set_staff_password(db, "admin", password)
        else:
            create_staff(db, "admin", password, "admin")
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("zones", "attendees")}
    finally:
        db.conn.close()
    return {"database": str(path), "created": created, "admin": "admin", "password": password, **counts}


def _fill(db, rng: random.Random) -> None:
    stamp = now()
    used: set[str] = set()
    with transaction(db):
        _insert_zones(db, stamp)
        for i in range(ATTENDEES):
            fixed = FIXED_NAMES[i] if i < len(FIXED_NAMES) else None
            data = validate(demo_attendee(rng, SCHOOLS[i % len(SCHOOLS)], fixed, used))
            attendee_id = insert_attendee(db, data, "demo", "demo", stamp)
            issue_badge(db, attendee_id, "demo", stamp)


def _activity(db, rng: random.Random) -> None:
    """A festival already under way: two thirds checked in, zone visits and
    points through the real services, so boards and the dashboard show life.
    Visits are spread over the last two hours (outside every cooldown)."""
    zone_ids = [r[0] for r in db.execute("SELECT id FROM zones WHERE active ORDER BY sort, id")]
    people = [dict(r) for r in db.execute("SELECT * FROM attendees ORDER BY id")]
    start = datetime.now(timezone.utc) - timedelta(hours=2)
    with transaction(db):
        for person in rng.sample(people, k=len(people) * 2 // 3):
            check_in(db, person, "demo", "Bàn 1 / Desk 1", method="demo")
            visited = rng.sample(zone_ids, k=rng.randint(0, len(zone_ids)))
            for step, zone_id in enumerate(sorted(visited)):
                at = start + timedelta(minutes=15 * step + rng.randint(0, 14))
                zones.visit(db, person, zone_id, f"demo-{person['id']}-{zone_id}", "demo",
                            at=at.isoformat(timespec="milliseconds"))


BAD_ROWS = [
    ("", "7-15", "1", "missing name"),
    ("Trần Văn Lỗi", "chín tuổi", "1", "bad age"),
    ("Lê Thị Sai", "12", "có lẽ", "bad consent"),
    ("Phạm Văn Dài " + "A" * 90, "12", "1", "name too long"),
    ("12345", "12", "1", "no letters"),
]


def sample_csv(rows: int, bad: int = 0, seed: int = 7, delimiter: str = ",") -> tuple[str, list[int]]:
    """A class-list CSV like schools send (for tests and benchmarks).

    Returns (text, bad_row_numbers); row numbers count the header as row 1.
    Names are unique per row, so only the ``bad`` rows fail.
    """
    rng = random.Random(seed)
    step = max(rows // max(bad, 1), 1)
    bad_at = {2 + i * step + step // 2 for i in range(bad)}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["STT", "Họ và tên", "Trường", "Lớp", "Tuổi", "Phụ huynh đồng ý", "Học sinh đồng ý",
                     "Đồng ý hiển thị"])
    for number in range(2, rows + 2):
        school = SCHOOLS[number % len(SCHOOLS)]
        class_name, _band = demo_class(rng, school)
        if number in bad_at:
            name, age, consent, _why = BAD_ROWS[number % len(BAD_ROWS)]
        else:
            name, age, consent = f"{demo_name(rng)} {number}", str(11 + int(class_name[:-1]) - 6), "x"
        writer.writerow([number - 1, name, school, class_name, age, consent, "1", "1"])
    return out.getvalue(), sorted(bad_at)
