"""Privacy operations: the purge after the event keeps only anonymous counts
and leaves no personal bytes in the file; one person's withdrawal deletes
their data at once; the audit log page."""
from __future__ import annotations

import json
import sqlite3

import pytest

from kiosk.audit import audit
from kiosk.ops.backup import backup_to, list_backups
from kiosk.db import transaction
from kiosk.errors import ServiceError
from kiosk.ops.purge import aggregates, purge_personal_data, withdraw_attendee
from kiosk.signals import nickname_changed, points_changed
from tests.support.http import post_form
from tests.support.privacy import NAMES, festival, file_bytes, personal_strings  # noqa: F401 (festival: a fixture)

def test_purge_keeps_only_anonymous_counts_and_no_personal_bytes(app, db, festival):
    secrets = personal_strings(db, festival["people"])
    assert any(s in file_bytes(app.config["DATABASE"]) for s in secrets)
    result = app.test_cli_runner().invoke(args=["purge", "--yes"])
    assert result.exit_code == 0, result.output

    for table in ("attendees", "badges", "checkins", "visits", "ledger", "point_totals", "players",
                  "game_answers", "quiz_rounds", "quiz_answers"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
    scans = db.execute("SELECT scanned_text, attendee_id, response FROM scans").fetchall()
    assert len(scans) == 6 and all(r[0] is None and r[1] is None for r in scans)
    assert all(set(json.loads(r[2])) == {"result", "purged"} for r in scans)
    details = [tuple(r) for r in db.execute("SELECT action, target, detail FROM audit_log")]
    assert ("attendee.rename", f"attendee:{festival['people'][1][0]}", None) in details
    assert ("checkin.class", "class", None) in details
    assert any(a == "device.create" and d for a, _t, d in details)  # device names are not personal
    assert any(a == "festival.purge" for a, _t, _d in details)

    counts = {(r["kind"], r["key"]): r["value"] for r in aggregates(db)}
    assert counts[("registered_per_age_band", "7-15")] == 1
    assert counts[("checked_in_per_age_band", "18+")] == 1
    assert sum(v for (k, _), v in counts.items() if k == "checkins_per_hour_utc") == 3
    slug = db.execute("SELECT slug FROM zones WHERE id = ?", [festival["zone_id"]]).fetchone()[0]
    assert counts[("visits_per_zone", slug)] == 3 and counts[("visitors_per_zone", slug)] == 3
    assert counts[("answers_correct_live", "q-pass")] == 1 and counts[("answers_incorrect_live", "q-pass")] == 1
    assert counts[("answers_correct_self_paced", "q-pass")] == 1
    assert counts[("answers_incorrect_self_paced", "q-link")] == 1

    db.conn.close()  # let the raw bytes settle (nothing left in the WAL)
    raw = file_bytes(app.config["DATABASE"])
    assert not [s for s in secrets if s in raw]
    assert sqlite3.connect(app.config["DATABASE"]).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_purge_twice_adds_nothing_the_second_time(app, db, festival):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["purge", "--yes"]).exit_code == 0
    first = aggregates(db)
    assert runner.invoke(args=["purge", "--yes"]).exit_code == 0
    assert aggregates(db) == first


def test_purge_needs_yes(app, db, festival):
    result = app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code != 0 and "--yes" in result.output
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 3


def test_purge_backups_deletes_the_usb_copies(app, festival, tmp_path):
    usb = tmp_path / "usb"
    usb.mkdir()
    backup_to(app.config["DATABASE"], usb)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["purge", "--backups", str(usb)]).exit_code != 0
    assert len(list_backups(usb)) == 1
    result = runner.invoke(args=["purge", "--backups", str(usb), "--yes"])
    assert result.exit_code == 0, result.output
    assert list_backups(usb) == []


def person_rows(db, attendee_id: int) -> dict:
    return {
        table: db.execute(f"SELECT COUNT(*) FROM {table} WHERE attendee_id = ?", [attendee_id]).fetchone()[0]
        for table in ("attendees", "badges", "checkins", "visits", "ledger", "point_totals", "rewards",
                      "quiz_rounds", "players", "scans", "zone_totals")
        if table != "attendees"
    } | {"attendees": db.execute("SELECT COUNT(*) FROM attendees WHERE id = ?", [attendee_id]).fetchone()[0]}


def test_withdrawal_deletes_one_person_at_once_and_tells_the_boards(app, db, festival):
    (gone, gone_token), (kept, _t), _ = festival["people"]
    kept_before = person_rows(db, kept)
    heard = []
    points_changed.connect(lambda _s, **kw: heard.append(("points", kw)), weak=False)
    nickname_changed.connect(lambda _s, **kw: heard.append(("nickname", kw)), weak=False)

    withdraw_attendee(db, gone, "staff:1:admin")

    assert set(person_rows(db, gone).values()) == {0}
    assert db.execute("SELECT COUNT(*) FROM game_answers a JOIN players p ON p.id = a.player_id "
                      "WHERE p.nickname = 'Bạn Nhỏ 0'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM players WHERE nickname = 'SaoBangXanh'").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM scans WHERE scanned_text LIKE ?", [f"%{gone_token}%"]).fetchone()[0] == 0
    assert person_rows(db, kept) == kept_before
    row = db.execute("SELECT actor, target, detail FROM audit_log WHERE action = 'attendee.withdraw'").fetchone()
    assert tuple(row) == ("staff:1:admin", f"attendee:{gone}", None)
    assert ("points", {"attendee_ids": [gone]}) in heard
    assert any(kind == "nickname" and kw["attendee_id"] == gone and kw["hidden"] for kind, kw in heard)


def test_withdraw_page_confirms_then_deletes(app, db, festival, admin_client):
    attendee_id = festival["people"][1][0]
    page = admin_client.get(f"/admin/attendees/{attendee_id}/withdraw")
    assert page.status_code == 200 and NAMES[1] in page.get_data(as_text=True)
    url = f"/admin/attendees/{attendee_id}/withdraw"
    assert post_form(admin_client, url, {}).status_code == 400  # not confirmed
    assert admin_client.post(url, data={"confirm": "yes"}).status_code == 400  # no CSRF token
    assert person_rows(db, attendee_id)["attendees"] == 1
    done = post_form(admin_client, url, {"confirm": "yes"})
    assert done.status_code == 200 and NAMES[1] not in done.get_data(as_text=True)
    assert person_rows(db, attendee_id)["attendees"] == 0
    assert post_form(admin_client, url, {"confirm": "yes"}).status_code == 404


@pytest.mark.parametrize("role", ["desk", "zone", "host", "stage"])
def test_withdraw_and_audit_pages_are_admin_only(app, db, festival, device_client, client, role):
    attendee_id = festival["people"][0][0]
    other = device_client(role)
    for url in (f"/admin/attendees/{attendee_id}/withdraw", "/admin/audit"):
        assert other.get(url).status_code == 403
        assert client.get(url).status_code == 401
    assert post_form(other, f"/admin/attendees/{attendee_id}/withdraw", {"confirm": "yes"}).status_code == 403
    assert person_rows(db, attendee_id)["attendees"] == 1


def test_withdraw_command(app, db, festival):
    attendee_id = festival["people"][2][0]
    runner = app.test_cli_runner()
    assert runner.invoke(args=["withdraw", str(attendee_id)], input="n\n").exit_code != 0
    assert person_rows(db, attendee_id)["attendees"] == 1
    result = runner.invoke(args=["withdraw", str(attendee_id), "--yes"])
    assert result.exit_code == 0, result.output
    assert person_rows(db, attendee_id)["attendees"] == 0
    missing = runner.invoke(args=["withdraw", "999999", "--yes"])
    assert missing.exit_code != 0 and "No such attendee" in missing.output


def test_audit_page_lists_filters_and_pages(app, db, admin_client):
    with transaction(db):
        for n in range(60):
            audit(db, "staff:1:admin", "badge.reissue", f"attendee:{n}")
        audit(db, "staff:1:admin", "attendees.export", None, "rows=3")
    first = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "<td>attendees.export</td>" in first and "Trang 1 / 2" in first
    filtered = admin_client.get("/admin/audit?action=attendees.export").get_data(as_text=True)
    assert "<td>attendees.export</td>" in filtered and "attendee:59" not in filtered
    family = admin_client.get("/admin/audit?action=badge.&page=2").get_data(as_text=True)
    assert "<td>attendee:0</td>" in family and "<td>attendees.export</td>" not in family
    assert admin_client.get("/admin/audit?page=abc").status_code == 200
    assert admin_client.get("/admin/audit?action=%25").status_code == 200
    assert "/admin/audit" in admin_client.get("/admin/").get_data(as_text=True)


# --- issue 24: purge and withdraw check their own result, whatever the schema ---------------

def _plant_copy(db):
    """A table no migration makes (a hostile restore, a hand edit) holding every name."""
    db.execute("CREATE TABLE shadow (name TEXT, note TEXT)")
    db.execute("INSERT INTO shadow SELECT full_name, school || ' ' || class_name FROM attendees")
    db.conn.commit()


def test_purge_refuses_to_report_success_while_a_table_keeps_the_names(app, db, festival):
    _plant_copy(db)
    before = db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0]
    with pytest.raises(ServiceError) as caught:
        purge_personal_data(db, "test")
    assert caught.value.code == "purge_incomplete" and "shadow.name" in str(caught.value)
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == before  # all or nothing
    result = app.test_cli_runner().invoke(args=["purge", "--yes"])
    assert result.exit_code != 0 and "shadow.name" in result.output


def test_withdraw_refuses_to_report_success_while_a_table_keeps_the_name(app, db, festival):
    _plant_copy(db)
    gone = festival["people"][0][0]
    with pytest.raises(ServiceError) as caught:
        withdraw_attendee(db, gone, "test")
    assert caught.value.code == "purge_incomplete"
    assert db.execute("SELECT COUNT(*) FROM attendees WHERE id = ?", [gone]).fetchone()[0] == 1


def test_withdraw_of_someone_whose_name_another_attendee_shares(app, db, festival, make_attendee):
    gone = festival["people"][0][0]
    name = db.execute("SELECT full_name FROM attendees WHERE id = ?", [gone]).fetchone()[0]
    twin, _token = make_attendee(full_name=name)
    withdraw_attendee(db, gone, "test")
    assert [r[0] for r in db.execute("SELECT id FROM attendees WHERE full_name = ?", [name])] == [twin]
