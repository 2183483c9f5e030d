"""Hubs for the national tests: separate festivals (an app and a database
each, from the migrated template) filled with people, check-ins, visits and
quiz rounds through the real services."""
from __future__ import annotations

import shutil

from checkin.attendees import NewAttendee, create_attendee
from checkin.scanning import check_in
from kiosk import create_app
from kiosk.db import now, open_db, transaction
from kiosk.zones.service import visit
from tests.support.zones import attendee_row


def make_hub(tmp_path, template, name: str):
    """(app, db) of a new festival in ``tmp_path/name``."""
    folder = tmp_path / name
    folder.mkdir()
    shutil.copyfile(template, folder / "festival.db")
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(folder / "instance"),
                      "DATABASE": str(folder / "festival.db"), "SECRET_KEY": f"secret-{name}",
                      "ASYNC_MODE": "threading", "SQLITE_SYNCHRONOUS": "NORMAL"})
    return app, open_db(app.config["DATABASE"], "NORMAL")


def add_zone(db, slug: str) -> int:
    with transaction(db):
        return db.execute("INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, dwell_s, sort, "
                          "created_at) VALUES (?, ?, ?, 'zone', 10, 600, 900, 1, ?)",
                          [slug, f"Khu {slug}", f"Zone {slug}", now()]).lastrowid


def add_person(db, full_name: str, school: str, band: str, nickname: str, contact: str, checked: bool,
               zone_id: int | None = None) -> tuple[int, str]:
    data = NewAttendee(full_name=full_name, age_band=band, nickname=nickname, school=school, class_name="6A",
                       consent_child=True, consent_guardian=True, consent_public=True, guardian_contact=contact)
    attendee_id, token = create_attendee(db, data, "walkin", "test", check_consents=False)
    if checked:
        check_in(db, attendee_row(db, attendee_id), "staff:1:admin", "desk-1")
        if zone_id:
            visit(db, {"id": attendee_id}, zone_id, f"v-{attendee_id}", "test")
    return attendee_id, token


def add_round(db, attendee_id: int, answers: list[tuple[str, int, bool]]) -> None:
    """A finished self-paced round of shipped questions: (question id, chosen option, correct)."""
    ids = "[" + ",".join(f'"{q}"' for q, _c, _ok in answers) + "]"
    with transaction(db):
        rnd = db.execute("INSERT INTO quiz_rounds (attendee_id, bank, question_ids, started_at, finished_at) "
                         "VALUES (?, 'core', ?, '2026-01-01', '2026-01-01')", [attendee_id, ids]).lastrowid
        for idx, (_q, choice, ok) in enumerate(answers):
            db.execute("INSERT INTO quiz_answers (round_id, idx, choice, correct, client_id, answered_at) "
                       "VALUES (?, ?, ?, ?, ?, '2026-01-01')", [rnd, idx, f"[{choice}]", int(ok), f"x{rnd}-{idx}"])


def add_live_game(db, player_ids: list[int], nicknames: list[str], correct: list[bool]) -> None:
    """A live game on one shipped question, one badge player per attendee."""
    with transaction(db):
        game = db.execute("INSERT INTO games (code, title, mode, question_count, host, created_at) "
                          "VALUES ('4321', 'Vòng chung kết', 'speed', 1, 'staff:1:admin', 0)").lastrowid
        db.execute("INSERT INTO game_questions (game_id, idx, question_id, time_limit) "
                   "VALUES (?, 0, 'phish-03', 20)", [game])
        for n, (attendee_id, nick, ok) in enumerate(zip(player_ids, nicknames, correct)):
            player = db.execute(
                "INSERT INTO players (game_id, num, attendee_id, nickname, rejoin_hash, reached_at, joined_at) "
                "VALUES (?, ?, ?, ?, ?, 0, 0)", [game, n + 1, attendee_id, nick, f"h{game}-{n}"]).lastrowid
            db.execute("INSERT INTO game_answers (game_id, player_id, idx, choice, correct, elapsed_ms, client_id, "
                       "answered_at) VALUES (?, ?, 0, ?, ?, 900, ?, 0)",
                       [game, player, "[0,1,2]" if ok else "[0]", int(ok), f"c{player}"])
