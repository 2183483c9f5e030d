"""``festival demo``: a demo festival in its own database, then served."""
import os
import unicodedata
from pathlib import Path

from checkin.attendees import search
from checkin.demo import build_demo
from kiosk import create_app
from kiosk.auth import authenticate
from kiosk.db import open_db


def test_demo_builds_zones_rules_and_300_attendees(app, runner, tmp_path):
    result = runner.invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    path = Path(app.instance_path) / "demo" / "festival.db"
    assert path.exists() and str(path) != app.config["DATABASE"]
    password = result.output.split("password: ")[1].split()[0]
    db = open_db(str(path), "NORMAL")
    try:
        assert db.execute("SELECT COUNT(*) FROM zones").fetchone()[0] == 8
        kinds = {r[0] for r in db.execute("SELECT kind FROM zones")}
        assert {"vr_ar", "quiz", "workshop", "stage", "booth"} <= kinds
        assert db.execute("SELECT COUNT(*) FROM passport_rules").fetchone()[0] == 2
        assert db.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 300
        assert db.execute("SELECT COUNT(DISTINCT school) FROM attendees").fetchone()[0] == 6
        assert db.execute("SELECT COUNT(*) FROM badges WHERE revoked_at IS NULL").fetchone()[0] == 300
        names = [r[0] for r in db.execute("SELECT full_name FROM attendees")]
        assert all(unicodedata.is_normalized("NFC", n) and len(n.split()) == 3 for n in names)
        assert any("ễ" in n for n in names) and any(n.startswith("Đ") for n in names)
        # some minors without guardian consent, most with public display consent
        missing = db.execute("SELECT COUNT(*) FROM attendees WHERE age_band = '7-15' "
                             "AND consent_guardian = 0").fetchone()[0]
        public = db.execute("SELECT COUNT(*) FROM attendees WHERE consent_public = 1").fetchone()[0]
        assert 0 < missing < 60 and public > 200
        # age bands agree with the class: grades 6-9 are under 16
        assert db.execute("SELECT COUNT(*) FROM attendees WHERE CAST(class_name AS INTEGER) <= 9 "
                          "AND age_band != '7-15'").fetchone()[0] == 0
        assert search(db, "nguyen van an")[0]["full_name"] == "Nguyễn Văn An"
        assert search(db, "NGUYEN VAN AN")[0]["full_name"] == "Nguyễn Văn An"
        assert any(r["full_name"].startswith("Đoàn") for r in search(db, "doan"))
        authenticate(db, "admin", password)
    finally:
        db.conn.close()
    # the festival's own database is untouched
    main = open_db(app.config["DATABASE"], "NORMAL")
    assert main.execute("SELECT COUNT(*) FROM attendees").fetchone()[0] == 0
    main.conn.close()


def test_demo_is_deterministic_with_a_seed_and_fresh_rebuilds(tmp_path):
    first = build_demo(tmp_path / "a.db", seed=5)
    second = build_demo(tmp_path / "b.db", seed=5)
    assert first["created"] and first["password"] != second["password"]

    def people(name):
        db = open_db(str(tmp_path / name), "NORMAL")
        rows = [tuple(r) for r in db.execute("SELECT full_name, nickname, school, class_name, age_band, "
                                              "consent_guardian FROM attendees ORDER BY id")]
        db.conn.close()
        return rows

    assert people("a.db") == people("b.db")
    again = build_demo(tmp_path / "a.db", seed=5)
    assert not again["created"] and again["attendees"] == 300  # reused, not doubled
    rebuilt = build_demo(tmp_path / "a.db", seed=6, fresh=True)
    assert rebuilt["created"] and people("a.db") != people("b.db")


def test_demo_serves_like_festival_serve(app, runner, tmp_path, monkeypatch):
    import kiosk.ops.serving

    started = {}
    monkeypatch.setattr(kiosk.ops.serving, "exec_gunicorn", lambda argv: started.setdefault("argv", argv))
    for key in ("FESTIVAL_DATABASE", "FESTIVAL_INSTANCE_PATH", "FESTIVAL_ASYNC_MODE"):
        monkeypatch.setenv(key, "placeholder")  # restored after the test
    path = tmp_path / "show" / "demo.db"
    result = runner.invoke(args=["demo", "--db", str(path), "--host", "127.0.0.1", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.output and "user: admin" in result.output
    assert "127.0.0.1:8123" in started["argv"] and started["argv"][-1] == "kiosk:create_app()"
    assert os.environ["FESTIVAL_DATABASE"] == str(path.resolve())
    assert os.environ["FESTIVAL_INSTANCE_PATH"] == str(path.resolve().parent)


def test_demo_says_what_it_allows_and_sizes_gunicorn_from_the_player_cap(tmp_path, monkeypatch):
    """The demo serves as `festival serve` does: one setting sizes the worker's connections."""
    import kiosk.ops.serving  # as above: the stand-in must replace the module's own function

    started = {}
    monkeypatch.setattr(kiosk.ops.serving, "exec_gunicorn", lambda argv: started.setdefault("argv", argv))
    for key in ("FESTIVAL_DATABASE", "FESTIVAL_INSTANCE_PATH", "FESTIVAL_ASYNC_MODE"):
        monkeypatch.setenv(key, "placeholder")  # restored after the test
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
                      "ASYNC_MODE": "threading", "GAME_MAX_PLAYERS": 6000})
    result = app.test_cli_runner().invoke(args=["demo", "--db", str(tmp_path / "demo.db"), "--port", "8124"])
    assert result.exit_code == 0, result.output
    assert "Sức chứa: 6000" in result.output and "Capacity: 6000 players per game" in result.output
    argv = started["argv"]
    assert argv[argv.index("--worker-connections") + 1] == "7600"
