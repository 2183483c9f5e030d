"""Issue 12: two attendees must never share a generated nickname (public boards
name people by nickname only; one of the two may not have consented)."""
from __future__ import annotations

import random
from collections import Counter

from checkin.attendees import NewAttendee, create_attendee
from checkin.demo import build_demo
from checkin.importer import import_csv
from kiosk import nicknames
from kiosk.db import open_db


def _fixed_generator(monkeypatch, names):
    """generate() that draws from ``names`` in a loop: forces collisions."""
    pool = iter(names * 1000)
    monkeypatch.setattr(nicknames, "generate", lambda lang="vi": next(pool))


def _nicknames(db) -> list[str]:
    return [r[0] for r in db.execute("SELECT nickname FROM attendees")]


def test_generated_defaults_can_collide_without_the_check():
    # The plain generator has 27,000 names: a few hundred people already share one.
    rng = random.Random(1)
    names = [f"{rng.choice(nicknames.ANIMALS)[0]} {rng.choice(nicknames.QUALITIES)[0]} {rng.randint(10, 99)}"
             for _ in range(1500)]
    assert len(set(names)) < len(names)


def test_walk_ins_get_distinct_generated_nicknames(db, monkeypatch):
    _fixed_generator(monkeypatch, ["Cáo Dũng Cảm 42"])
    for i in range(4):
        create_attendee(db, NewAttendee(full_name=f"Người Thử {chr(65 + i)}", age_band="18+"),
                        "walkin", "test", check_consents=False)
    names = _nicknames(db)
    assert len(set(names)) == 4
    assert names[0] == "Cáo Dũng Cảm 42" and set(names[1:]) == {"Cáo Dũng Cảm 42 2", "Cáo Dũng Cảm 42 3",
                                                                 "Cáo Dũng Cảm 42 4"}


def test_a_chosen_nickname_is_kept_and_a_default_avoids_it(db, monkeypatch):
    create_attendee(db, NewAttendee(full_name="Người Chọn", age_band="18+", nickname="Mèo Vui Vẻ 10"),
                    "walkin", "test", check_consents=False)
    _fixed_generator(monkeypatch, ["Mèo Vui Vẻ 10", "Mèo Vui Vẻ 11"])
    create_attendee(db, NewAttendee(full_name="Người Mặc Định", age_band="18+"),
                    "walkin", "test", check_consents=False)
    assert sorted(_nicknames(db)) == ["Mèo Vui Vẻ 10", "Mèo Vui Vẻ 11"]


def test_class_list_import_gives_distinct_nicknames(db, monkeypatch):
    create_attendee(db, NewAttendee(full_name="Người Có Sẵn", age_band="18+"),
                    "walkin", "test", check_consents=False)
    _fixed_generator(monkeypatch, ["Gấu Tốt Bụng 7"])
    rows = "\n".join(f"Học Sinh {chr(65 + i)},16-17" for i in range(6))
    report = import_csv(db, f"full_name,age_band\n{rows}\n".encode())
    assert report.imported == 6 and not report.errors, report
    names = _nicknames(db)
    assert len(names) == 7 and len(set(names)) == 7


def test_demo_nicknames_are_unique(tmp_path):
    build_demo(tmp_path / "demo.db")
    db = open_db(str(tmp_path / "demo.db"), "NORMAL")
    try:
        names = _nicknames(db)
    finally:
        db.conn.close()
    repeated = [name for name, n in Counter(names).items() if n > 1]
    assert len(names) == 300 and not repeated
