"""Zone visits: cooldown, points, concurrency across kiosks, occupancy,
traffic, the zone kiosk API and page, and the admin pages."""
from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest

from kiosk.db import set_setting, transaction
from kiosk.points import award
from kiosk.zones.service import visit
from kiosk.zones.stats import occupancy, occupancy_of, traffic
from tests.support.http import post_form, post_json
from tests.support.zones import T0, attendee_row, iso, race


def ledger_rows(db, attendee_id):
    return db.execute("SELECT points, source, reference FROM ledger WHERE attendee_id = ?",
                      [attendee_id]).fetchall()


# --- cooldown -------------------------------------------------------------------

def test_first_visit_awards_points_and_logs_enter(db, make_zone, guest):
    zone = make_zone(points=10, cooldown_s=600)
    person = guest()
    answer = visit(db, person, zone, "scan-0001", "test", at=iso(T0))
    assert answer["result"] == "zone_visit" and answer["level"] == "green"
    assert answer["points_awarded"] == 10 and answer["total_points"] == 10
    assert "+10" in answer["message_en"] and "+10 điểm" in answer["message_vi"]
    assert answer["passport"]["visited"] == 1
    visits = db.execute("SELECT kind, points, scan_id FROM visits").fetchall()
    assert [tuple(v) for v in visits] == [("enter", 10, "scan-0001")]
    assert [tuple(r) for r in ledger_rows(db, person["id"])] == [(10, "zone", f"{zone}:{person['id']}:1")]


def test_cooldown_edges(db, make_zone, guest):
    """One second before the cooldown ends earns nothing; exactly at the end earns again."""
    zone = make_zone(points=10, cooldown_s=600)
    person = guest()
    visit(db, person, zone, "scan-a001", "test", at=iso(T0))
    early = visit(db, person, zone, "scan-a002", "test", at=iso(T0 + timedelta(seconds=599)))
    assert early["result"] == "already_visited" and early["level"] == "yellow"
    assert early["points_awarded"] == 0 and early["total_points"] == 10
    assert early["minutes"] == 1 and early["next_award_in_s"] == 1
    two_min = visit(db, person, zone, "scan-a003", "test", at=iso(T0 + timedelta(seconds=121)))
    assert two_min["minutes"] == 8  # 479 s left: "back in 8 min"
    assert "8 min" in two_min["message_en"] and "8 phút" in two_min["message_vi"]
    on_time = visit(db, person, zone, "scan-a004", "test", at=iso(T0 + timedelta(seconds=600)))
    assert on_time["result"] == "zone_visit" and on_time["points_awarded"] == 10
    assert on_time["total_points"] == 20
    kinds = [r[0] for r in db.execute("SELECT kind FROM visits ORDER BY id")]
    assert kinds == ["enter", "repeat", "repeat", "enter"]
    assert len(ledger_rows(db, person["id"])) == 2


def test_cooldown_is_per_zone(db, make_zone, guest):
    first, second = make_zone(points=10), make_zone(points=20)
    person = guest()
    visit(db, person, first, "scan-b001", "test", at=iso(T0))
    answer = visit(db, person, second, "scan-b002", "test", at=iso(T0 + timedelta(seconds=5)))
    assert answer["points_awarded"] == 20 and answer["total_points"] == 30


def test_zero_point_zone_logs_visit_without_ledger_row(db, make_zone, guest):
    zone = make_zone(points=0)
    person = guest()
    answer = visit(db, person, zone, "scan-c001", "test", at=iso(T0))
    assert answer["result"] == "zone_visit" and answer["points_awarded"] == 0
    assert ledger_rows(db, person["id"]) == []
    assert answer["passport"]["visited"] == 1


def test_closed_zone_is_refused(db, make_zone, guest):
    zone = make_zone()
    db.execute("UPDATE zones SET active = 0 WHERE id = ?", [zone])
    db.conn.commit()
    with pytest.raises(Exception) as info:
        visit(db, guest(), zone, "scan-d001", "test")
    assert info.value.code == "unknown_zone" and info.value.status == 404
    assert db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0


# --- concurrency: two kiosks, one badge -------------------------------------------



def test_two_kiosks_same_badge_same_zone_award_once(app, db, make_zone, guest):
    zone = make_zone(points=10, cooldown_s=600)
    for trial in range(8):
        person = guest()

        def job(n):
            def run(conn):
                with transaction(conn):  # as run_scan does: BEGIN IMMEDIATE
                    return visit(conn, person, zone, f"scan-t{trial}-{n}", f"device:{n}")
            return run

        answers = race(app.config["DATABASE"], [job(1), job(2)])
        assert sorted(a["result"] for a in answers) == ["already_visited", "zone_visit"]
        assert len(ledger_rows(db, person["id"])) == 1
        total = db.execute("SELECT points FROM point_totals WHERE attendee_id = ?", [person["id"]]).fetchone()[0]
        assert total == 10


def test_ledger_award_is_idempotent_under_concurrent_calls(app, db, guest):
    person = guest()
    jobs = [lambda conn: award(conn, person["id"], 7, "zone", "race-ref") for _ in range(4)]
    results = race(app.config["DATABASE"], jobs)
    assert sorted(r.awarded for r in results) == [False, False, False, True]
    assert all(r.total == 7 and r.points == 7 for r in results)
    assert len(ledger_rows(db, person["id"])) == 1


# --- occupancy and traffic ---------------------------------------------------------

def test_occupancy_from_dwell_time(db, make_zone, guest):
    zone = make_zone(dwell_s=900, capacity=2)
    people = [guest() for _ in range(3)]
    visit(db, people[0], zone, "scan-o001", "t", at=iso(T0))
    visit(db, people[1], zone, "scan-o002", "t", at=iso(T0 + timedelta(minutes=10)))
    answer = visit(db, people[2], zone, "scan-o003", "t", at=iso(T0 + timedelta(minutes=12)))
    assert answer["occupancy"] == 3 and answer["zone_full"] is True
    zone_row = dict(db.execute("SELECT * FROM zones WHERE id = ?", [zone]).fetchone())
    # 16 minutes in: the first person's 15-minute dwell is over.
    assert occupancy_of(db, zone_row, iso(T0 + timedelta(minutes=16))) == 2
    listed = occupancy(db, iso(T0 + timedelta(minutes=16)))
    assert listed == [{"zone_id": zone, "name_vi": zone_row["name_vi"], "name_en": zone_row["name_en"],
                       "inside": 2, "capacity": 2}]


def test_occupancy_with_exit_scans(db, make_zone, guest):
    zone = make_zone(dwell_s=60)
    a, b = guest(), guest()
    visit(db, a, zone, "scan-e001", "t", at=iso(T0))
    visit(db, b, zone, "scan-e002", "t", at=iso(T0))
    db.execute("INSERT INTO visits (attendee_id, zone_id, kind, at) VALUES (?, ?, 'exit', ?)",
               [a["id"], zone, iso(T0 + timedelta(minutes=30))])
    db.conn.commit()
    zone_row = dict(db.execute("SELECT * FROM zones WHERE id = ?", [zone]).fetchone())
    # With exit scans the dwell time no longer applies: b is still inside after an hour.
    assert occupancy_of(db, zone_row, iso(T0 + timedelta(hours=1))) == 1


def test_traffic_buckets(db, make_zone, guest):
    first, second = make_zone(), make_zone()
    people = [guest() for _ in range(4)]
    visit(db, people[0], first, "scan-f001", "t", at=iso(T0 + timedelta(minutes=1)))
    visit(db, people[1], first, "scan-f002", "t", at=iso(T0 + timedelta(minutes=14)))
    visit(db, people[1], first, "scan-f003", "t", at=iso(T0 + timedelta(minutes=15)))  # repeat: not a visit
    visit(db, people[2], first, "scan-f004", "t", at=iso(T0 + timedelta(minutes=16)))
    visit(db, people[3], second, "scan-f005", "t", at=iso(T0 + timedelta(minutes=20)))
    rows = traffic(db, since=iso(T0), bucket_minutes=15)
    assert rows == [
        {"zone_id": first, "bucket_start": iso(T0), "visits": 2},
        {"zone_id": first, "bucket_start": iso(T0 + timedelta(minutes=15)), "visits": 1},
        {"zone_id": second, "bucket_start": iso(T0 + timedelta(minutes=15)), "visits": 1},
    ]
    assert traffic(db, since=iso(T0 + timedelta(minutes=16)), bucket_minutes=60) == [
        {"zone_id": first, "bucket_start": iso(T0), "visits": 1},
        {"zone_id": second, "bucket_start": iso(T0), "visits": 1},
    ]
    with pytest.raises(ValueError):
        traffic(db, bucket_minutes=0)


def test_traffic_and_occupancy_use_the_zone_index(db):
    plan = db.execute("EXPLAIN QUERY PLAN SELECT COUNT(*) FROM visits WHERE zone_id = 1 AND at >= '2025' "
                      "AND kind = 'enter'").fetchall()
    assert any("visits_zone_at" in row[3] for row in plan), plan


# --- the API a zone kiosk uses -------------------------------------------------------

def scan(client, text, scan_id, **extra):
    return post_json(client, "/api/scans", {"id": scan_id, "text": text, **extra})


def test_zone_kiosk_scan_api(db, device_client, make_zone, guest):
    zone = make_zone(points=15)
    kiosk = device_client("zone", zone_id=zone)
    person = guest()
    first = scan(kiosk, person["token"], "kiosk-scan-1")
    assert first.status_code == 200
    body = first.get_json()
    assert body["result"] == "zone_visit" and body["points_awarded"] == 15
    assert body["passport"]["total"] == 1 and body["attendee"]["id"] == person["id"]
    again = scan(kiosk, person["token"], "kiosk-scan-1")
    assert again.get_json()["replayed"] is True and again.get_json()["points_awarded"] == 15
    repeat = scan(kiosk, person["token"], "kiosk-scan-2").get_json()
    assert repeat["result"] == "already_visited" and repeat["points_awarded"] == 0
    assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 1


def test_zone_scan_shows_nickname_only_with_public_consent(device_client, make_zone, guest):
    kiosk = device_client("zone", zone_id=make_zone())
    shown = guest(nickname="Mèo Vui", consent_public=True)
    hidden = guest(nickname="Cáo Nhanh", consent_public=False)
    assert scan(kiosk, shown["token"], "kiosk-nick-1").get_json()["display_name"] == "Mèo Vui"
    assert scan(kiosk, hidden["token"], "kiosk-nick-2").get_json()["display_name"] is None


def test_not_checked_in_and_auto_check_in(db, device_client, make_zone, make_attendee):
    kiosk = device_client("zone", zone_id=make_zone())
    attendee_id, token = make_attendee()
    refused = scan(kiosk, token, "kiosk-nci-1").get_json()
    assert refused["result"] == "not_checked_in" and refused["level"] == "yellow"
    assert db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0
    set_setting(db, "auto_checkin_at_zones", "1")
    db.conn.commit()
    auto = scan(kiosk, token, "kiosk-nci-2").get_json()
    assert auto["result"] == "zone_visit" and auto["auto_checked_in"] is True
    assert attendee_row(db, attendee_id)["checked_in_at"] is not None


def test_bad_badges_are_red_and_earn_nothing(db, device_client, make_zone):
    kiosk = device_client("zone", zone_id=make_zone())
    body = scan(kiosk, "NOT-A-BADGE", "kiosk-bad-1").get_json()
    assert body["level"] == "red"
    assert db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0


def test_closed_zone_scan_is_refused_and_not_stored(db, device_client, make_zone, guest):
    zone = make_zone()
    kiosk = device_client("zone", zone_id=zone)
    db.execute("UPDATE zones SET active = 0 WHERE id = ?", [zone])
    db.conn.commit()
    response = scan(kiosk, guest()["token"], "kiosk-closed-1")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_zone"
    assert db.execute("SELECT COUNT(*) FROM scans").fetchone()[0] == 0


@pytest.mark.parametrize("payload", [
    {"id": 12345678, "text": "X"}, {"id": "kiosk-type-1", "text": ["x"]}, {"id": "kiosk-type-2"},
    {"id": "kiosk-type-3", "text": "X", "client_time": {"a": 1}}, {"id": "kiosk-type-4", "text": "X", "station": 5},
])
def test_bad_payload_types_are_400(device_client, make_zone, payload):
    kiosk = device_client("zone", zone_id=make_zone())
    response = post_json(kiosk, "/api/scans", payload)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_scan"


def test_admin_scans_for_a_named_zone(db, admin_client, make_zone, guest):
    zone = make_zone(points=5)
    body = scan(admin_client, guest()["token"], "admin-scan-1", zone_id=zone).get_json()
    assert body["result"] == "zone_visit" and body["zone"]["id"] == zone


# --- the kiosk page -------------------------------------------------------------------

def test_kiosk_page_for_zone_device_and_admin(device_client, admin_client, make_zone, client):
    zone = make_zone()
    kiosk = device_client("zone", zone_id=zone)
    page = kiosk.get("/zone")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-zone-id="{zone}"' in html and "js/zone.js" in html and "<script>" not in html
    # The kiosk's texts, both languages at once, as data attributes of <template id="zone-texts">.
    block = re.search(r'<template id="zone-texts"([^>]*)>', html).group(1)
    texts = {k: html_lib.unescape(v) for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', block)}
    assert texts["ready-vi"] == "Quét thẻ của bạn tại đây" and texts["ready-en"] == "Scan your badge here"
    assert admin_client.get(f"/zone?zone_id={zone}").status_code == 200
    assert admin_client.get("/zone").status_code == 400
    assert client.get("/zone").status_code == 401
    assert device_client("desk").get("/zone").status_code == 403


def test_service_worker_is_served_and_never_touches_the_api(client):
    response = client.get("/zone-sw.js")
    assert response.status_code == 200 and "javascript" in response.content_type
    assert response.headers["Cache-Control"] == "no-cache"
    source = response.get_data(as_text=True)
    assert "'/zone'" in source and "/static/" in source and "respondWith" in source


# --- admin pages ------------------------------------------------------------------------

ZONE_FORM = {"name_vi": "Góc an toàn", "name_en": "Safety corner", "kind": "booth", "points": "12",
             "cooldown_min": "5", "capacity": "", "dwell_min": "10", "sort": "1", "active": "on"}


def test_admin_creates_and_edits_a_zone(db, admin_client):
    assert admin_client.get("/admin/zones").status_code == 200
    response = post_form(admin_client, "/admin/zones", ZONE_FORM)
    assert response.status_code == 302
    row = db.execute("SELECT * FROM zones").fetchone()
    assert (row["name_vi"], row["kind"], row["points"], row["cooldown_s"], row["capacity"], row["dwell_s"]) == \
        ("Góc an toàn", "booth", 12, 300, None, 600)
    assert row["slug"] == "safety-corner"
    assert "Góc an toàn" in admin_client.get(f"/admin/zones/{row['id']}").get_data(as_text=True)
    post_form(admin_client, f"/admin/zones/{row['id']}", dict(ZONE_FORM, points="20", capacity="40", active=""))
    row = db.execute("SELECT * FROM zones").fetchone()
    assert (row["points"], row["capacity"], row["active"]) == (20, 40, 0)
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'zone.%'").fetchone()[0] == 2


@pytest.mark.parametrize("change", [{"name_vi": ""}, {"kind": "disco"}, {"points": "-1"}, {"points": "abc"},
                                    {"cooldown_min": "99999"}, {"capacity": "0"}, {"name_en": "x" * 81}])
def test_admin_zone_form_rejects_bad_values(db, admin_client, change):
    response = post_form(admin_client, "/admin/zones", dict(ZONE_FORM, **change))
    assert response.status_code == 400
    assert db.execute("SELECT COUNT(*) FROM zones").fetchone()[0] == 0


def test_admin_sets_auto_check_in(db, admin_client):
    post_form(admin_client, "/admin/zones/settings", {"auto_checkin": "on"})
    assert db.execute("SELECT value FROM settings WHERE key = 'auto_checkin_at_zones'").fetchone()[0] == "1"
    post_form(admin_client, "/admin/zones/settings", {})
    assert db.execute("SELECT value FROM settings WHERE key = 'auto_checkin_at_zones'").fetchone()[0] == "0"


@pytest.mark.parametrize("role", ["desk", "zone", "host", "stage"])
def test_zone_admin_pages_refuse_other_roles(device_client, make_zone, role):
    other = device_client(role)
    assert other.get("/admin/zones").status_code == 403
    assert post_form(other, "/admin/zones", ZONE_FORM).status_code == 403
    assert post_form(other, "/admin/zones/settings", {"auto_checkin": "on"}).status_code == 403
