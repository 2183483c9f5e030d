"""Question storage and import: shipped sync, CLI and admin import, picking, checking."""
from __future__ import annotations

import io
import json
import random

import pytest

from games.quiz import questions as Q
from games.quiz.bank import BankError
from kiosk.errors import ServiceError
from tests.support.http import csrf, post_form


def bank_file(bank="extra", ids=("ex-1", "ex-2", "ex-3"), **changes) -> dict:
    """A small valid bank; ``changes`` patch the first question."""
    text = lambda s: {"vi": f"{s} (vi)", "en": s}  # noqa: E731
    questions = [{
        "id": qid, "topic": "t1" if i % 2 else "t2", "type": "single",
        "prompt": text(f"Prompt {qid}?"), "options": [text("Yes"), text("No")], "correct": [0],
        "explanation": text("Because."), "help": text("Call 111."),
    } for i, qid in enumerate(ids)]
    questions[0].update(changes)
    return {"format": 1, "bank": bank, "title": text(f"Bank {bank}"), "questions": questions}


def raw(data) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


# --- storage -------------------------------------------------------------------

def test_shipped_bank_is_synced_at_startup_and_resync_is_a_no_op(db):
    banks = {b["bank"]: b for b in Q.list_banks(db)}
    assert banks["core"]["source"] == "shipped"
    assert banks["core"]["questions"] >= 60
    assert Q.sync_shipped(db) is None  # hash unchanged: nothing to do
    db.execute("DELETE FROM settings WHERE key = ?", [Q.SHIPPED_HASH_KEY])
    summary = Q.sync_shipped(db)
    assert summary["core"]["added"] == 0 and summary["core"]["updated"] == banks["core"]["questions"]


def test_every_stored_question_is_bilingual_with_explanation_and_help(db):
    for row in db.execute("SELECT id FROM questions WHERE bank = 'core'").fetchall():
        q = Q.get_question(db, row["id"])
        for field in ("prompt", "explanation", "help"):
            assert q[field]["vi"] and q[field]["en"]
        assert all(o["vi"] and o["en"] for o in q["options"])


def test_import_adds_updates_and_retires_questions_with_an_audit_row(db):
    first = Q.import_bank(db, raw(bank_file()), "extra.json", "staff:1:admin")
    assert (first["added"], first["updated"], first["deactivated"]) == (3, 0, 0)
    second = Q.import_bank(db, raw(bank_file(ids=("ex-1", "ex-4"))), "extra.json", "staff:1:admin")
    assert (second["added"], second["updated"], second["deactivated"]) == (1, 1, 2)
    active = {r["id"] for r in db.execute("SELECT id FROM questions WHERE bank = 'extra' AND active = 1")}
    assert active == {"ex-1", "ex-4"}
    assert Q.get_question(db, "ex-2")["active"] is False  # retired, still readable for old rounds
    audits = db.execute("SELECT actor, target FROM audit_log WHERE action = 'questions.import'").fetchall()
    assert [(a["actor"], a["target"]) for a in audits] == [("staff:1:admin", "extra")] * 2


def test_import_refuses_ids_of_another_bank_and_the_shipped_bank_name(db):
    Q.import_bank(db, raw(bank_file()), "extra.json", "cli")
    with pytest.raises(ServiceError) as err:
        Q.import_bank(db, raw(bank_file(bank="other", ids=("ot-1", "ex-2"))), "other.json", "cli")
    assert err.value.code == "question_id_clash" and "ex-2" in str(err.value) and "extra" in str(err.value)
    assert db.execute("SELECT COUNT(*) FROM question_banks WHERE bank = 'other'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM questions WHERE id = 'ot-1'").fetchone()[0] == 0
    with pytest.raises(ServiceError) as err:
        Q.import_bank(db, raw(bank_file(bank="core", ids=("zz-1", "zz-2"))), "core.json", "cli")
    assert err.value.code == "bank_is_shipped"


def test_invalid_file_stores_nothing(db):
    with pytest.raises(BankError):
        Q.import_bank(db, raw(bank_file(correct=[5])), "bad.json", "cli")
    assert db.execute("SELECT COUNT(*) FROM questions WHERE bank = 'extra'").fetchone()[0] == 0


# --- picking and checking ----------------------------------------------------------

def test_pick_is_balanced_across_topics_and_avoids_excluded(db):
    picked = Q.pick_questions(db, "core", 5, rng=random.Random(1))
    assert len({q["id"] for q in picked}) == 5
    assert len({q["topic"] for q in picked}) == 5  # 11 topics: five different ones
    again = Q.pick_questions(db, "core", 5, rng=random.Random(1), exclude=[q["id"] for q in picked])
    assert not {q["id"] for q in picked} & {q["id"] for q in again}
    Q.import_bank(db, raw(bank_file()), "extra.json", "cli")
    # too few fresh ones: the excluded are used to fill the round
    assert len(Q.pick_questions(db, "extra", 3, exclude=["ex-1", "ex-2"])) == 3
    with pytest.raises(ServiceError) as err:
        Q.pick_questions(db, "extra", 4)
    assert err.value.code == "not_enough_questions"
    with pytest.raises(ServiceError) as err:
        Q.pick_questions(db, "nope", 1)
    assert err.value.code == "unknown_bank" and err.value.status == 404


def test_public_question_hides_the_answer_and_check_answer_matches_sets(db):
    multi = next(Q.get_question(db, r["id"]) for r in
                 db.execute("SELECT id FROM questions WHERE type = 'multi' LIMIT 1"))
    public = Q.public_question(multi, "en")
    assert "correct" not in public and "explanation" not in public and "help" not in public
    assert public["select"] == "many" and public["prompt_text"] == multi["prompt"]["en"]
    assert Q.check_answer(multi, list(reversed(multi["correct"])))
    assert not Q.check_answer(multi, multi["correct"][:1])
    wrong = [i for i in range(len(multi["options"])) if i not in multi["correct"]]
    assert not Q.check_answer(multi, multi["correct"] + wrong[:1])
    assert Q.explain(multi) == {"explanation": multi["explanation"], "help": multi["help"]}
    for bad in ("0", [], [True], [0, 0], [99], None, [1.5]):
        with pytest.raises(ServiceError) as err:
            Q.validate_choice(multi, bad)
        assert err.value.code == "bad_choice" and err.value.status == 400


# --- CLI -------------------------------------------------------------------------------

def test_cli_imports_a_good_file(runner, db, tmp_path):
    path = tmp_path / "extra.json"
    path.write_bytes(raw(bank_file()))
    result = runner.invoke(args=["import-questions", str(path)])
    assert result.exit_code == 0, result.output
    assert 'Imported bank "extra"' in result.output
    assert db.execute("SELECT COUNT(*) FROM questions WHERE bank = 'extra'").fetchone()[0] == 3


BAD_FILES = [
    ("wrong type", bank_file(type="quiz"), ["ex-1", '"type"']),
    ("correct out of range", bank_file(correct=[7]), ["ex-1", '"correct[0]"']),
    ("missing English", bank_file(prompt={"vi": "Chỉ có tiếng Việt"}), ["ex-1", '"prompt.en"']),
    ("misspelt key", bank_file(dificulty=2), ["ex-1", '"dificulty"']),
]


@pytest.mark.parametrize("label,data,expected", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_cli_reports_file_question_and_field_and_exits_1(runner, db, tmp_path, label, data, expected):
    path = tmp_path / "broken.json"
    path.write_bytes(raw(data))
    result = runner.invoke(args=["import-questions", str(path)])
    assert result.exit_code == 1
    for part in ["broken.json", *expected]:
        assert part in result.output
    assert db.execute("SELECT COUNT(*) FROM question_banks WHERE bank = 'extra'").fetchone()[0] == 0


def test_cli_reports_json_syntax_errors_and_clashes(runner, db, tmp_path):
    path = tmp_path / "syntax.json"
    path.write_text('{"format": 1, "bank": "x",,}', encoding="utf-8")
    result = runner.invoke(args=["import-questions", str(path)])
    assert result.exit_code == 1 and "syntax.json" in result.output and "line 1" in result.output
    Q.import_bank(db, raw(bank_file()), "extra.json", "cli")
    path = tmp_path / "other.json"
    path.write_bytes(raw(bank_file(bank="other", ids=("ex-3", "ot-2"))))
    result = runner.invoke(args=["import-questions", str(path)])
    assert result.exit_code == 1
    assert "other.json" in result.output and "ex-3" in result.output and '"id"' not in result.output
    assert "“id”" in result.output
    missing = runner.invoke(args=["import-questions", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "nope.json" in missing.output


# --- admin page ---------------------------------------------------------------------------

def upload(client, data: bytes, name="extra.json"):
    return client.post("/admin/questions", data={"csrf_token": csrf(client),
                                                 "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_admin_page_lists_banks_and_imports_a_file(admin_client, db):
    page = admin_client.get("/admin/questions")
    assert page.status_code == 200 and 'data-bank="core"' in page.text
    response = upload(admin_client, raw(bank_file()))
    assert response.status_code == 200 and 'id="import-result"' in response.text
    assert 'data-bank="extra"' in response.text
    row = db.execute("SELECT source, imported_by FROM question_banks WHERE bank = 'extra'").fetchone()
    assert row["source"] == "import" and row["imported_by"].startswith("staff:")


def test_admin_upload_errors_name_file_question_and_field(admin_client, db):
    response = upload(admin_client, raw(bank_file(correct=[9])), "broken.json")
    assert response.status_code == 400
    assert 'id="import-problems"' in response.text
    for part in ("broken.json", "ex-1", "correct[0]"):
        assert part in response.text
    assert db.execute("SELECT COUNT(*) FROM question_banks WHERE bank = 'extra'").fetchone()[0] == 0
    assert upload(admin_client, b"", "").status_code == 400  # no file chosen
    Q.import_bank(db, raw(bank_file()), "extra.json", "cli")
    clash = upload(admin_client, raw(bank_file(bank="other", ids=("ex-1", "o-2"))), "other.json")
    assert clash.status_code == 409 and "ex-1" in clash.text


def test_admin_questions_page_needs_an_admin_and_csrf(app, client, device_client, admin_client):
    assert client.get("/admin/questions").status_code == 401
    for role in ("desk", "zone", "host", "stage"):
        assert device_client(role).get("/admin/questions").status_code == 403
    response = admin_client.post("/admin/questions", data={"file": (io.BytesIO(raw(bank_file())), "x.json")},
                                 content_type="multipart/form-data")
    assert response.status_code == 400  # no CSRF token
    assert post_form(admin_client, "/admin/questions").status_code == 400  # token but no file
