"""Issue 24: '-o' never overwrites the festival, and a bad path is one clear line, exit 2."""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

COMMANDS = {
    "report": lambda out, tmp: ["report", "-o", out],
    "export": lambda out, tmp: ["export", "attendees", "-o", out],
    "devices-sheet": lambda out, tmp: ["devices", "add", "Bàn", "--role", "desk", "--sheet", out],
    "import-errors": lambda out, tmp: ["import-attendees", str(class_list(tmp)), "--errors", out],
    "outcomes-export": lambda out, tmp: ["outcomes", "export", "-o", out],
    "outcomes-key": lambda out, tmp: ["outcomes", "key", "-o", out],
}


def class_list(tmp: Path) -> Path:
    path = tmp / "lop.csv"
    path.write_text("full_name,age_band\nNguyễn Văn An,7-15\n,7-15\n", encoding="utf-8")
    return path


def digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run(app, args):
    return app.test_cli_runner().invoke(args=args)


def targets(app, tmp_path):
    festival = app.config["DATABASE"]
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    folder = tmp_path / "folder"
    folder.mkdir()
    return {"festival": festival, "wal": festival + "-wal", "shm": festival + "-shm",
            "other-sqlite": str(other), "folder": str(folder), "missing-dir": str(tmp_path / "missing" / "dir" / "x.html"),
            "dev-full": "/dev/full"}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", ["festival", "wal", "shm", "other-sqlite", "folder", "missing-dir", "dev-full"])
def test_bad_outputs_are_refused_in_one_line(app, db, tmp_path, command, kind):
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    path = targets(app, tmp_path)[kind]
    before = digest(app.config["DATABASE"])
    other_before = digest(tmp_path / "other.db")
    devices = db.execute("SELECT COUNT(*) FROM devices").fetchone()[0]
    if command == "outcomes-export":  # a bundle needs the event's province
        province = run(app, ["outcomes", "provinces"]).output.split("\t")[0]
        assert run(app, ["outcomes", "identity", "--province", province]).exit_code == 0
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        before = digest(app.config["DATABASE"])
    result = run(app, COMMANDS[command](path, tmp_path))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error:")]
    assert errors == lines[-1:] and " / " in errors[0], result.output  # one bilingual line, the last
    assert "written" not in result.output
    assert digest(app.config["DATABASE"]) == before and digest(tmp_path / "other.db") == other_before
    # no usable device is left behind (a sheet that cannot be written revokes the new ones)
    assert db.execute("SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL").fetchone()[0] == devices


def test_a_good_output_is_still_written(app, db, tmp_path):
    out = tmp_path / "report.html"
    assert run(app, ["report", "-o", str(out)]).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!doctype html>")
    again = run(app, ["report", "-o", str(out)])  # overwriting an earlier report (not SQLite) is fine
    assert again.exit_code == 0
