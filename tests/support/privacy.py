"""Festival data with personal details, for the privacy tests (purge,
withdrawal, exports, the impact report, the day page): three attendees with
consents, check-ins, zone visits, points and game play, and what must not
survive a purge."""
from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.audit import audit
from kiosk.db import transaction
from tests.support.http import post_json

NAMES = ["Nguyễn Thị Hoa Mai", "Lê Văn Khánh", "Phạm Quỳnh Anh"]


def add_game_rows(db, attendee_id: int, nickname: str) -> None:
    """A live game with one badge player and one code player, and a self-paced round."""
    with transaction(db):
        game = db.execute("INSERT INTO games (code, title, mode, question_count, host, created_at) "
                          "VALUES ('1234', 'Vòng 1', 'speed', 1, 'staff:1:admin', 0)").lastrowid
        db.execute("INSERT INTO game_questions (game_id, idx, question_id, time_limit) VALUES (?, 0, 'q-pass', 20)",
                   [game])
        for n, (linked, nick) in enumerate(((attendee_id, nickname), (None, "SaoBangXanh"))):
            player = db.execute(
                "INSERT INTO players (game_id, num, attendee_id, nickname, rejoin_hash, reached_at, joined_at) "
                "VALUES (?, ?, ?, ?, ?, 0, 0)", [game, n + 1, linked, nick, f"h{game}-{n}"]).lastrowid
            db.execute("INSERT INTO game_answers (game_id, player_id, idx, choice, correct, elapsed_ms, client_id, "
                       "answered_at) VALUES (?, ?, 0, 'a', ?, 900, ?, 0)", [game, player, n == 0, f"c{player}"])
        rnd = db.execute("INSERT INTO quiz_rounds (attendee_id, bank, question_ids, started_at) "
                         "VALUES (?, 'core', '[\"q-pass\", \"q-link\"]', '2026-01-01')", [attendee_id]).lastrowid
        for idx, correct in ((0, 1), (1, 0)):
            db.execute("INSERT INTO quiz_answers (round_id, idx, choice, correct, client_id, answered_at) "
                       "VALUES (?, ?, 'b', ?, ?, '2026-01-01')", [rnd, idx, correct, f"r{rnd}-{idx}"])


@pytest.fixture
def festival(app, db, make_attendee, device_client):
    """Three attendees with consents, check-ins, zone visits, points and game play."""
    people = [make_attendee(full_name=name, nickname=f"Bạn Nhỏ {n}", school="THCS Đoàn Kết",
                            guardian_contact="0912 345 678", age_band=("7-15", "16-17", "18+")[n])
              for n, name in enumerate(NAMES)]
    desk = device_client("desk")
    kiosk = device_client("zone")
    for n, (_attendee_id, token) in enumerate(people):
        assert post_json(desk, "/api/scans", {"id": f"desk-scan-{n:04d}", "text": token}).status_code == 200
        zone = post_json(kiosk, "/api/scans", {"id": f"zone-scan-{n:04d}", "text": token})
        assert zone.status_code == 200, zone.get_json()
    add_game_rows(db, people[0][0], "Bạn Nhỏ 0")
    with transaction(db):
        audit(db, "staff:1:admin", "attendee.rename", f"attendee:{people[1][0]}", f"was {NAMES[1]}")
        audit(db, "staff:1:admin", "checkin.class", "class:THCS Đoàn Kết/9A", "3 of 3")
    return {"people": people, "zone_id": db.execute("SELECT zone_id FROM devices WHERE role='zone'").fetchone()[0]}


def file_bytes(path: str) -> bytes:
    data = Path(path).read_bytes()
    wal = Path(path + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


def personal_strings(db, people) -> list[bytes]:
    tokens = [t for _a, t in people]
    return [s.encode() for s in NAMES + ["Bạn Nhỏ 0", "SaoBangXanh", "0912 345 678", "Đoàn Kết"] + tokens]
