"""The impact report: counts that agree with the stored facts, the same
report before and after `festival purge`, no personal data in the purged
file, the admin page (admin only, no script) and the CLI file."""
from __future__ import annotations

import re

import pytest

from kiosk.report import facts, service
from kiosk.zones.service import visit
from tests.support.national import add_round
from tests.support.privacy import NAMES, add_game_rows, festival, file_bytes, personal_strings  # noqa: F401
from tests.support.zones import T0, iso

BIG_SCHOOL = "THPT Chu Văn An"


@pytest.fixture
def big_day(db, festival, make_attendee, make_zone):
    """The purge test's festival plus five pupils of one school who learned
    about online kidnapping (kidnap-01: option 2 is right, 1 the trap)."""
    zone2 = make_zone()
    pupils = [make_attendee(full_name=f"Trần Minh Học Sinh {n}", school=BIG_SCHOOL, age_band="7-15")
              for n in range(5)]
    for n, (pupil, _token) in enumerate(pupils):
        visit(db, {"id": pupil}, festival["zone_id"], f"z1-{n}", "test", at=iso(T0))
        if n < 2:
            visit(db, {"id": pupil}, zone2, f"z2-{n}", "test", at=iso(T0))
        add_round(db, pupil, [("kidnap-01", 1 if n < 3 else 0, n < 3), ("kidnap-02", 1, True)])
    return festival | {"pupils": pupils, "zone2": zone2}


def report_file(runner, path) -> str:
    result = runner.invoke(args=["report", "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def test_report_counts_agree_with_the_stored_facts(app, db, big_day):
    with app.app_context():
        r = service.build(db)
    assert r["totals"]["registered"] == db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 8
    assert r["totals"]["checked_in"] == 3
    assert sum(h["count"] for h in r["hours"]) == 3
    assert {a["band"]: a["checked_in"] for a in r["ages"]} == {"u7": 0, "7-15": 1, "16-17": 1, "18+": 1}
    schools = {s["kind"] if s["kind"] != "named" else s["school"]: s["registered"] for s in r["schools"]}
    assert schools == {BIG_SCHOOL: 5, "~other": 3}  # 3 pupils of THCS Đoàn Kết: too few to name
    zones = {z["slug"]: z for z in r["zones"]}
    slug = db.execute("SELECT slug FROM zones WHERE id = ?", [big_day["zone_id"]]).fetchone()[0]
    assert zones[slug]["visits"] == 8 and zones[slug]["visitors"] == 8
    assert [s["people"] for s in r["funnel"]["steps"]][:2] == [8, 2]
    self_paced = {q["id"]: q for q in r["learning"]["self"]["questions"]}
    k1 = self_paced["kidnap-01"]
    assert (k1["answers"], k1["correct"], k1["rate"]) == (5, 3, 60.0)
    assert k1["common_wrong"]["en"] == "Obey and tell no one" and k1["common_wrong"]["count"] == 2
    assert self_paced["kidnap-02"]["rate"] == 100.0
    topics = {t["topic"]: t for t in r["learning"]["self"]["topics"]}
    assert topics["kidnapping"]["answers"] == 10 and topics["kidnapping"]["rate"] == 80.0
    assert r["learning"]["self"]["worst"][0]["topic"] in ("kidnapping", "")
    live = r["learning"]["live"]
    assert live["answers"] == 2 and live["rate"] == 50.0
    assert len(r["games"]) == 1 and r["games"][0]["players"] == 2


def test_report_is_the_same_before_and_after_purge_and_the_file_keeps_no_person(app, db, runner, big_day,
                                                                               tmp_path):
    secrets = personal_strings(db, big_day["people"]) + [f"Trần Minh Học Sinh {n}".encode() for n in range(5)]
    before = report_file(runner, tmp_path / "before.html")
    assert "Obey and tell no one" in before and BIG_SCHOOL in before
    assert not [s for s in secrets if s.decode() in before]  # the report itself names no one
    assert runner.invoke(args=["purge", "--yes"]).exit_code == 0
    assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0
    after = report_file(runner, tmp_path / "after.html")
    assert after == before
    db.conn.close()
    raw = file_bytes(app.config["DATABASE"])
    assert not [s for s in secrets if s in raw]


def test_a_second_purge_changes_nothing(app, db, runner, big_day, tmp_path):
    assert runner.invoke(args=["purge", "--yes"]).exit_code == 0
    first = facts.stored(db)
    assert runner.invoke(args=["purge", "--yes"]).exit_code == 0
    assert facts.stored(db) == first


def test_report_file_is_self_contained(runner, big_day, tmp_path):
    html = report_file(runner, tmp_path / "r.html")
    assert "<style>" in html and "<svg" in html and "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "Báo cáo tác động" in html and "Impact report" in html


def test_admin_report_page_obeys_the_csp(admin_client, db, big_day):
    response = admin_client.get("/admin/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script" not in html and "<style>" not in html and "/static/css/report.css" in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("role", ["desk", "zone", "host", "stage"])
def test_report_page_is_admin_only(client, device_client, role):
    assert client.get("/admin/report").status_code == 401
    assert device_client(role).get("/admin/report").status_code == 403
