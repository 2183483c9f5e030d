"""Question storage: shipped and imported banks in SQLite, picking and checking.

API for other game modules (the live games use these; all take ``db`` first)::

    sync_shipped(db) -> dict | None        # upsert games/quiz/banks/*.json; None when unchanged
    import_bank(db, raw: bytes, filename: str, by: str) -> dict
        # all-or-nothing import of one bank file; summary
        # {"bank", "title": {vi,en}, "questions", "added", "updated", "deactivated"}
        # raises BankError (file/question/field) or ServiceError
        # ("bank_is_shipped", "question_id_clash")
    list_banks(db) -> list[dict]           # {"bank", "title": {vi,en}, "source", "questions", ...}
    get_question(db, qid) -> dict          # raises NotFound "unknown_question"
    pick_questions(db, bank: str | None, n: int, rng=None, exclude=()) -> list[dict]
        # random, balanced across topics; raises NotFound "unknown_bank",
        # ServiceError "not_enough_questions"
    public_question(q, lang=None) -> dict  # what a player screen may see: NO answer
    validate_choice(q, choice) -> list[int]  # raises ServiceError "bad_choice" (400)
    check_answer(q, choice: list[int]) -> bool  # multi: exact set match
    explain(q) -> dict                     # {"explanation": {vi,en}, "help": {vi,en}}

A question dict is the validated question of games.quiz.bank (``id, topic, type,
prompt, options, correct, explanation, help, time_limit, difficulty``; text
fields are ``{"vi", "en"}``) plus ``bank`` and ``active``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import random
from collections import defaultdict

from kiosk.audit import audit
from kiosk.db import app_connection, get_setting, now, set_setting, transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.validation import is_int

from games.quiz.bank import SHIPPED_DIR, BankError, load_shipped_banks, loads_bank

log = logging.getLogger(__name__)

SHIPPED_HASH_KEY = "games.shipped_banks_hash"
DEFAULT_BANK = "core"


# ------------------------------------------------------------------ storing

def _shipped_hash() -> str:
    """A hash of every shipped bank file's name and bytes (cheap: no parsing)."""
    digest = hashlib.sha256()
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def sync_shipped(db) -> dict | None:
    """Upsert the banks shipped in games/quiz/banks into the database.

    Does nothing (returns None) when the files are unchanged since the last
    sync; otherwise returns ``{bank: summary}``. Raises BankError if a shipped
    file is invalid (a packaging bug, so it should fail loudly).
    """
    digest = _shipped_hash()
    if get_setting(db, SHIPPED_HASH_KEY) == digest:
        return None
    banks = load_shipped_banks()
    summaries = {}
    with transaction(db):
        for bank in banks:
            summaries[bank["bank"]] = _store_bank(db, bank, "shipped", "system", skip_clashes=True)
        set_setting(db, SHIPPED_HASH_KEY, digest)
    return summaries


def import_bank(db, raw: bytes, filename: str, by: str) -> dict:
    """Validate and store one uploaded bank file, all or nothing, audit-logged.

    Re-importing a bank updates its questions and deactivates those no longer
    in the file. Raises BankError (naming file, question and field) for an
    invalid file, ServiceError ``bank_is_shipped`` (409) when the file would
    overwrite a shipped bank and ``question_id_clash`` (409) when a question
    id already belongs to another bank.
    """
    bank = loads_bank(raw, filename)
    with transaction(db):
        row = db.execute("SELECT source FROM question_banks WHERE bank = ?",
                         [bank["bank"]]).fetchone()
        if row is not None and row["source"] == "shipped":
            raise ServiceError("bank_is_shipped",
                               "The set name “%(bank)s” belongs to a set shipped with the product; use another name in the file.",
                               status=409, bank=bank["bank"])
        summary = _store_bank(db, bank, "import", by, skip_clashes=False, filename=filename)
        audit(db, by, "questions.import", bank["bank"],
              json.dumps({"file": filename, **{k: summary[k] for k in
                          ("questions", "added", "updated", "deactivated")}}))
    return summary


def _store_bank(db, bank: dict, source: str, by: str, skip_clashes: bool,
                filename: str = "") -> dict:
    """Upsert a validated bank inside the caller's transaction; return a summary."""
    name, stamp = bank["bank"], now()
    owners = _owners(db, [q["id"] for q in bank["questions"]])
    clashes = [qid for qid, owner in owners.items() if owner != name]
    if clashes and not skip_clashes:
        raise ServiceError("question_id_clash",
                           "%(file)s: question “%(question)s”: field “id”: this id is already used by the set “%(other)s”; give the question another id.",
                           status=409, file=filename, question=clashes[0], other=owners[clashes[0]])
    for qid in clashes:
        log.warning("shipped question %s skipped: its id belongs to bank %s", qid, owners[qid])
    db.execute(
        "INSERT INTO question_banks (bank, title_vi, title_en, topics, source, imported_at, imported_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (bank) DO UPDATE SET title_vi = excluded.title_vi, "
        "title_en = excluded.title_en, topics = excluded.topics, source = excluded.source, "
        "imported_at = excluded.imported_at, imported_by = excluded.imported_by",
        [name, bank["title"]["vi"], bank["title"]["en"],
         json.dumps(bank["topics"], ensure_ascii=False), source, stamp, by])
    added = updated = 0
    kept = []
    for q in bank["questions"]:
        if q["id"] in clashes:
            continue
        kept.append(q["id"])
        data = json.dumps(q, ensure_ascii=False, sort_keys=True)
        if q["id"] in owners:
            updated += 1
        else:
            added += 1
        db.execute(
            "INSERT INTO questions (id, bank, topic, type, data, active, imported_at) "
            "VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (id) DO UPDATE SET topic = excluded.topic, "
            "type = excluded.type, data = excluded.data, active = 1, imported_at = excluded.imported_at",
            [q["id"], name, q["topic"], q["type"], data, stamp])
    marks = ",".join("?" * len(kept))
    cur = db.execute(f"UPDATE questions SET active = 0 WHERE bank = ? AND active = 1 "
                     f"AND id NOT IN ({marks})", [name, *kept])
    return {"bank": name, "title": bank["title"], "questions": len(kept), "added": added,
            "updated": updated, "deactivated": cur.rowcount, "skipped": len(clashes)}


def _owners(db, ids: list[str]) -> dict[str, str]:
    """Map each of ``ids`` already stored to the bank that holds it."""
    found = {}
    for start in range(0, len(ids), 500):  # stay under SQLite's variable limit
        chunk = ids[start:start + 500]
        rows = db.execute(f"SELECT id, bank FROM questions WHERE id IN ({','.join('?' * len(chunk))})",
                          chunk).fetchall()
        found.update({r["id"]: r["bank"] for r in rows})
    return found


# ------------------------------------------------------------------ reading

def list_banks(db) -> list[dict]:
    """Every bank with its title, source, topics and count of active questions."""
    rows = db.execute(
        "SELECT b.*, (SELECT COUNT(*) FROM questions q WHERE q.bank = b.bank AND q.active = 1) "
        "AS questions FROM question_banks b ORDER BY b.source DESC, b.bank").fetchall()
    return [{"bank": r["bank"], "title": {"vi": r["title_vi"], "en": r["title_en"]},
             "topics": json.loads(r["topics"]), "source": r["source"],
             "questions": r["questions"], "imported_at": r["imported_at"],
             "imported_by": r["imported_by"]} for r in rows]


def bank_exists(db, bank: str) -> bool:
    """True when ``bank`` is stored and has at least one active question."""
    return db.execute("SELECT 1 FROM questions WHERE bank = ? AND active = 1 LIMIT 1",
                      [bank]).fetchone() is not None


def _from_row(row) -> dict:
    q = json.loads(row["data"])
    q["bank"], q["active"] = row["bank"], bool(row["active"])
    return q


def get_question(db, qid: str) -> dict:
    """Return the stored question ``qid`` (active or not). Raises NotFound ``unknown_question``."""
    row = db.execute("SELECT bank, data, active FROM questions WHERE id = ?", [qid]).fetchone()
    if row is None:
        raise NotFound("unknown_question", "That question does not exist.")
    return _from_row(row)


def get_questions(db, ids: list[str]) -> list[dict]:
    """Return the questions ``ids`` in that order. Raises NotFound for a missing id."""
    rows = db.execute(f"SELECT id, bank, data, active FROM questions WHERE id IN "
                      f"({','.join('?' * len(ids))})", list(ids)).fetchall() if ids else []
    by_id = {r["id"]: _from_row(r) for r in rows}
    missing = [qid for qid in ids if qid not in by_id]
    if missing:
        raise NotFound("unknown_question", "That question does not exist.")
    return [by_id[qid] for qid in ids]


def pick_questions(db, bank: str | None, n: int, rng: random.Random | None = None,
                   exclude=()) -> list[dict]:
    """Pick ``n`` random active questions of ``bank`` (None: every bank).

    Topics are taken in turns (a shuffled round-robin) so a round covers as
    many topics as it can. Ids in ``exclude`` are avoided, and used only when
    the bank has too few others. Raises NotFound ``unknown_bank`` when the
    bank has no active question and ServiceError ``not_enough_questions``
    when it has fewer than ``n``.
    """
    rng = rng or random.SystemRandom()
    if bank is None:
        rows = db.execute("SELECT id, bank, data, active FROM questions WHERE active = 1").fetchall()
    else:
        rows = db.execute("SELECT id, bank, data, active FROM questions WHERE active = 1 AND bank = ?",
                          [bank]).fetchall()
    if not rows:
        raise NotFound("unknown_bank", "There is no question set called “%(bank)s”.",
                       bank=str(bank))
    if len(rows) < n:
        raise ServiceError("not_enough_questions",
                           "This question set has only %(count)s questions.", count=len(rows))
    excluded = set(exclude)
    fresh = [_from_row(r) for r in rows if r["id"] not in excluded]
    stale = [_from_row(r) for r in rows if r["id"] in excluded]
    picked = _balanced(fresh, n, rng)
    if len(picked) < n:
        picked += _balanced(stale, n - len(picked), rng)
    return picked


def _balanced(questions: list[dict], n: int, rng: random.Random) -> list[dict]:
    """Take up to ``n`` questions, one topic at a time in a shuffled order."""
    by_topic: dict[str, list[dict]] = defaultdict(list)
    for q in sorted(questions, key=lambda q: q["id"]):  # deterministic under a seeded rng
        by_topic[q["topic"]].append(q)
    pools = [by_topic[t] for t in sorted(by_topic)]
    for pool in pools:
        rng.shuffle(pool)
    rng.shuffle(pools)
    picked: list[dict] = []
    while len(picked) < n and any(pools):
        for pool in pools:
            if pool and len(picked) < n:
                picked.append(pool.pop())
    return picked


# ------------------------------------------------------------ for players

def public_question(q: dict, lang: str | None = None) -> dict:
    """What a player's screen may see: both languages, NO correct answer.

    ``select`` is "one" or "many" (multi questions). With ``lang`` the texts
    in that language are also given as ``prompt_text`` and ``option_texts``.
    """
    out = {"id": q["id"], "bank": q.get("bank"), "topic": q["topic"], "type": q["type"],
           "select": "many" if q["type"] == "multi" else "one",
           "prompt": dict(q["prompt"]), "options": [dict(o) for o in q["options"]],
           "time_limit": q.get("time_limit"), "difficulty": q.get("difficulty")}
    if lang in ("vi", "en"):
        out["prompt_text"] = q["prompt"][lang]
        out["option_texts"] = [o[lang] for o in q["options"]]
    return out


def validate_choice(q: dict, choice) -> list[int]:
    """Check a player's choice for ``q`` and return it sorted.

    A choice is a non-empty list of distinct option indexes (exactly one for
    single and true/false questions). Raises ServiceError ``bad_choice`` (400).
    """
    count = len(q["options"])
    if (not isinstance(choice, list) or not choice
            or not all(is_int(i) for i in choice)):
        raise ServiceError("bad_choice", "An answer must be a list of option numbers.")
    if any(not 0 <= i < count for i in choice) or len(set(choice)) != len(choice):
        raise ServiceError("bad_choice", "That answer is not one of the options.")
    if q["type"] != "multi" and len(choice) != 1:
        raise ServiceError("bad_choice", "Choose exactly one answer.")
    return sorted(choice)


def check_answer(q: dict, choice: list[int]) -> bool:
    """True when ``choice`` is exactly the set of correct options (multi: all of them, no others)."""
    try:
        return sorted(set(choice)) == sorted(q["correct"]) and len(set(choice)) == len(choice)
    except TypeError:
        return False


def explain(q: dict) -> dict:
    """The teaching part shown after an answer: explanation and help line, both languages."""
    return {"explanation": dict(q["explanation"]), "help": dict(q["help"])}


def init_app(app) -> None:
    """Sync the shipped banks at startup, on a connection of its own."""
    with app.app_context():
        with app_connection(app) as db:
            sync_shipped(db)


__all__ = ["BankError", "DEFAULT_BANK", "bank_exists", "check_answer", "explain", "get_question",
           "get_questions", "import_bank", "list_banks", "pick_questions", "public_question",
           "sync_shipped", "validate_choice"]
