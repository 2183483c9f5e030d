"""Exports: the registry, the formula-safe CSV writer, .xlsx with strings
kept as strings, the CLI, the admin page (admin only) and the audit trail."""
from __future__ import annotations

import csv
import io
import threading

import openpyxl
import pytest

from kiosk.csvsafe import safe_cell, write_csv
from kiosk import exports as exports_module
from kiosk.exports import all_exports, xlsx_bytes
from kiosk.realtime import socketio
from kiosk.zones.service import visit
from tests.support.privacy import add_game_rows

EVERY = {"attendees", "zone-visits", "rewards", "points-ledger", "quiz-answers", "games", "game-players",
         "game-answers"}


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
                                  "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20x", "\u22121"])
def test_formula_cells_get_a_quote(text):
    # a tab or line break also gets one after it (issue 24: Excel splits there)
    written = safe_cell(text)
    assert written.startswith("'") and written.replace("'", "") == text


def test_plain_cells_and_numbers_are_unchanged():
    assert safe_cell("Nguyễn Văn An") == "Nguyễn Văn An"
    assert safe_cell(-5) == -5 and safe_cell(None) == "" and safe_cell("a=b") == "a=b"
    out = io.StringIO()
    assert write_csv(out, ["a", "b"], [["=x", 1], ["y", None]], bom=False) == 2
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["a", "b"], ["'=x", "1"], ["y", ""]]


def test_xlsx_keeps_strings_as_strings():
    data = xlsx_bytes(["name", "n"], [["=HYPERLINK(\"http://x\")", 3], ["@cmd", 4.5], ["bad\x01char", None]])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=False))
    assert rows[1][0].value == "=HYPERLINK(\"http://x\")" and rows[1][0].data_type == "s"
    assert rows[1][1].value == 3 and rows[2][0].value == "@cmd" and rows[3][0].value == "badchar"


@pytest.fixture
def festival_day(db, make_zone, make_attendee):
    zone = make_zone()
    people = [make_attendee(full_name=name, nickname=nick)
              for name, nick in (("Nguyễn Văn An", "=cmd|' /C calc'!A0"), ("Lê Thị Bình", "Sao Sáng"))]
    for n, (attendee_id, _token) in enumerate(people):
        visit(db, {"id": attendee_id}, zone, f"scan-{n}", "test")
    add_game_rows(db, people[0][0], "Sao Sáng")
    return {"zone": zone, "people": people}


def test_every_feature_registered_its_exports(app):
    assert EVERY <= {e.name for e in all_exports()}


def test_cli_writes_every_export_as_csv_and_xlsx_and_audits_it(app, db, runner, tmp_path, festival_day):
    for name in sorted(EVERY):
        out = tmp_path / f"{name}.csv"
        result = runner.invoke(args=["export", name, "-o", str(out)])
        assert result.exit_code == 0, (name, result.output)
        assert out.read_bytes().startswith(b"\xef\xbb\xbf")
        book = tmp_path / f"{name}.xlsx"
        assert runner.invoke(args=["export", name, "-o", str(book)]).exit_code == 0
        assert openpyxl.load_workbook(book).active.max_row >= 1
    audited = db.execute("SELECT COUNT(*) FROM audit_log WHERE action LIKE '%.export' AND actor = 'cli:export'")
    assert audited.fetchone()[0] == 2 * len(EVERY)
    listing = runner.invoke(args=["export"])
    assert all(name in listing.output for name in EVERY)
    assert runner.invoke(args=["export", "nonsense"]).exit_code != 0


def test_attendee_export_counts_agree_with_the_stored_facts(app, db, runner, tmp_path, festival_day):
    out = tmp_path / "a.csv"
    assert runner.invoke(args=["export", "attendees", "-o", str(out)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2
    by_name = {r["full_name"]: r for r in rows}
    an = by_name["Nguyễn Văn An"]
    assert an["nickname"].startswith("'=")  # neutralised
    points = db.execute("SELECT points FROM point_totals WHERE attendee_id = ?",
                        [festival_day["people"][0][0]]).fetchone()[0]
    assert int(an["points"]) == points and an["zones_visited"] == "1"
    visits = tmp_path / "v.csv"
    assert runner.invoke(args=["export", "zone-visits", "-o", str(visits)]).exit_code == 0
    assert len(visits.read_text(encoding="utf-8-sig").strip().splitlines()) == 1 + \
        db.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
    answers = tmp_path / "g.xlsx"
    assert runner.invoke(args=["export", "game-answers", "-o", str(answers)]).exit_code == 0
    sheet = openpyxl.load_workbook(answers).active
    assert sheet.max_row == 1 + db.execute("SELECT COUNT(*) FROM game_answers").fetchone()[0]


def test_admin_page_lists_downloads_and_they_are_audited(admin_client, db, festival_day):
    page = admin_client.get("/admin/exports").get_data(as_text=True)
    for name in EVERY:
        assert f'href="/admin/exports/{name}.csv"' in page and f'href="/admin/exports/{name}.xlsx"' in page
    response = admin_client.get("/admin/exports/quiz-answers.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.max_row == 3  # header + two answers
    response = admin_client.get("/admin/exports/points-ledger.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    actors = [r[0] for r in db.execute("SELECT actor FROM audit_log WHERE action IN "
                                       "('quiz-answers.export', 'points-ledger.export')")]
    assert len(actors) == 2 and all(a.startswith("staff:") for a in actors)
    assert admin_client.get("/admin/exports/nope.csv").status_code == 404
    assert admin_client.get("/admin/exports/attendees.pdf").status_code == 400


@pytest.mark.parametrize("url", ["/admin/exports", "/admin/exports/attendees.csv"])
def test_exports_are_admin_only(client, device_client, url):
    assert client.get(url).status_code == 401
    for role in ("desk", "zone", "host", "stage"):
        assert device_client(role).get(url).status_code == 403


def test_export_of_an_empty_festival_is_just_a_header(runner, tmp_path, app):
    out = tmp_path / "e.csv"
    assert runner.invoke(args=["export", "rewards", "--format", "csv", "-o", str(out)]).exit_code == 0
    assert len(out.read_text(encoding="utf-8-sig").strip().splitlines()) == 1


def test_big_exports_let_the_hub_breathe(app, db, monkeypatch, festival_day):
    """A long export yields to the other greenlets every YIELD_EVERY rows."""
    calls = []
    here = threading.get_ident()
    monkeypatch.setattr(exports_module, "YIELD_EVERY", 1)
    # Only this thread's sleeps: earlier tests' background tasks (pushers,
    # coalescers) may still be sleeping through the same socketio object.
    monkeypatch.setattr(socketio, "sleep",
                        lambda seconds=0: calls.append(seconds) if threading.get_ident() == here else None)
    exports_module.run_export(db, "zone-visits", "xlsx", "test")
    visits = db.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
    assert len(calls) == 2 * visits  # while building the rows and while writing them


def test_csv_has_exactly_one_bom(runner, tmp_path, app):
    out = tmp_path / "one.csv"
    assert runner.invoke(args=["export", "points-ledger", "-o", str(out)]).exit_code == 0
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not raw[3:].startswith(b"\xef\xbb\xbf")
