"""The national hub's side: trusted hubs, pairing codes, and importing bundles.

``import_bundle(db, bundle, by)`` checks the bundle (its id is the SHA-256 of
the signed payload, the signature is the hub's, the hub is trusted), then
keeps only the newest bundle of each hub: the same bundle again changes
nothing (``duplicate``), an older sequence is ignored (``older``), a newer one
replaces the hub's counts (``imported`` / ``replaced``). The counts go to
``national_facts`` as ``(fact, k1, k2) -> value`` rows, so merging N bundles
costs the sum of their sizes and the national report is a few GROUP BYs.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

from kiosk.audit import audit
from kiosk.auth import hash_secret, new_secret
from kiosk.db import iso, now, transaction
from kiosk.errors import ServiceError
from kiosk.signals import announce, outcomes_imported
from kiosk.report.service import AGE_BANDS, MODES
from kiosk.text import clean

from . import keys
from .bundle import CHOICE, FORMAT, KINDS, VERSION, canonical
from .provinces import by_slug

PAIRING_HOURS = 72
MAX_ITEMS = 5000
MAX_COUNT = 1 << 40


# --- trust ---------------------------------------------------------------------

def trust_key(db, public_b64: str, by: str, label: str = "", via: str = "keyfile") -> str:
    """Trust a hub's public key (raw base64). Returns its fingerprint; trusting twice is harmless."""
    fp = keys.fingerprint(public_b64)
    with transaction(db):
        db.execute("INSERT INTO national_hubs (key, public_key, label, via, trusted_by, trusted_at) "
                   "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET label = "
                   "CASE WHEN excluded.label != '' THEN excluded.label ELSE national_hubs.label END",
                   [fp, public_b64, clean(label)[:80], via, by, now()])
        audit(db, by, "national.trust", f"hub:{fp}", via)
    return fp


def trust_file(db, data: bytes, by: str, label: str = "") -> str:
    """Trust the key in a public key file. Raises ``bad_key_file``."""
    public = keys.load_public(data)
    if public is None:
        raise ServiceError("bad_key_file", "This is not a hub's public key file (festival outcomes key writes one).")
    return trust_key(db, public, by, label)


def create_pairing(db, label: str, by: str, hours: int = PAIRING_HOURS) -> str:
    """A one-time code a venue gives ``festival serve --national URL --national-code CODE``."""
    label = clean(label)
    if not label or len(label) > 80:
        raise ServiceError("bad_label", "A label of 1 to 60 characters is needed.")
    code = new_secret()[:20]
    expires = iso(datetime.now(timezone.utc) + timedelta(hours=hours))
    with transaction(db):
        cur = db.execute("INSERT INTO national_pairings (code_hash, label, expires_at, created_by, created_at) "
                         "VALUES (?, ?, ?, ?, ?)", [hash_secret(code), label, expires, by, now()])
        audit(db, by, "national.pairing", f"national_pairing:{cur.lastrowid}", label)
    return code


def _pair(db, code, public_b64: str) -> bool:
    """Consume a pairing code for this key (inside the import's transaction)."""
    if not isinstance(code, str) or not code or len(code) > 100:
        return False
    row = db.execute("SELECT id, label FROM national_pairings WHERE code_hash = ? AND used_at IS NULL "
                     "AND expires_at > ?", [hash_secret(code), now()]).fetchone()
    if row is None:
        return False
    fp = trust_key(db, public_b64, f"national_pairing:{row['id']}", row["label"], via="pairing")
    db.execute("UPDATE national_pairings SET used_at = ?, hub_key = ? WHERE id = ?", [now(), fp, row["id"]])
    return True


def hubs(db) -> list[dict]:
    return list(db.query("SELECT h.key, h.label, h.via, h.trusted_at, b.event_name, b.province, b.sequence, b.generated_at, "
                         "b.imported_at FROM national_hubs h LEFT JOIN national_bundles b ON b.hub_key = h.key "
                         "ORDER BY h.trusted_at"))


# --- checking a bundle ------------------------------------------------------------

def _bad(what: str) -> ServiceError:
    return ServiceError("bad_bundle", "This outcomes bundle is malformed (%(what)s).", what=what)


def verify(bundle: dict) -> dict:
    """The payload of a bundle whose id and signature hold. Raises ``bad_bundle``,
    ``bundle_version`` or ``bundle_tampered``."""
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ServiceError("bad_bundle", "This is not an outcomes bundle.")
    if bundle.get("version") != VERSION:
        raise ServiceError("bundle_version", "This bundle's format version %(v)s is not supported here (%(ours)s).",
                           v=str(bundle.get("version"))[:10], ours=VERSION)
    payload, signature = bundle.get("payload"), bundle.get("signature")
    hub = payload.get("hub") if isinstance(payload, dict) else None
    if not isinstance(hub, dict) or not isinstance(hub.get("key"), str) or not isinstance(signature, str):
        raise _bad("payload")
    signed = canonical(payload)
    if (hashlib.sha256(signed).hexdigest() != bundle.get("bundle_id")
            or payload.get("format") != FORMAT or payload.get("version") != VERSION
            or not keys.verify(hub["key"], signature, signed) or hub.get("id") != keys.fingerprint(hub["key"])):
        raise ServiceError(
            "bundle_tampered", "This bundle was changed after it was signed, or its signature is wrong: refused.",
            status=403)
    return payload


def _n(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_COUNT:
        raise _bad(what)
    return value


def _text(value, what: str, limit: int = 2000) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(what)
    return value


def _list(value, what: str) -> list:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise _bad(what)
    return value


def _event(payload: dict) -> dict:
    event = payload.get("event")
    if not isinstance(event, dict):
        raise _bad("event")
    if event.get("province") not in by_slug() or event.get("kind") not in KINDS:
        raise _bad("event province or kind")
    dates = _list(event.get("dates", []), "event dates")
    for d in dates:
        try:
            datetime.strptime(_text(d, "date", 10), "%Y-%m-%d")
        except ValueError:
            raise _bad("event dates") from None
    return {"name": _text(event.get("name"), "event name", 120), "province": event["province"],
            "kind": event["kind"], "dates": sorted(dates)}


def extract(payload: dict) -> tuple[dict, dict, dict]:
    """(event, facts {(fact, k1, k2): value}, names {(kind, key): (vi, en)}) of a verified payload.
    Raises ``bad_bundle`` on anything out of shape."""
    event = _event(payload)
    report = payload.get("report")
    if not isinstance(report, dict):
        raise _bad("report")
    facts: dict = {}
    names: dict = {}

    def add(fact, k1, k2, value):
        if value:
            facts[(fact, str(k1), str(k2))] = facts.get((fact, str(k1), str(k2)), 0) + value

    totals = report.get("totals") if isinstance(report.get("totals"), dict) else {}
    for key in ("registered", "checked_in", "visits", "undone"):
        add("total", "", key, _n(totals.get(key, 0), "totals"))
    offset = report.get("utc_offset", 7)
    if isinstance(offset, bool) or not isinstance(offset, int) or not -12 <= offset <= 14:
        raise _bad("utc_offset")
    for h in _list(report.get("checkin_hours", []), "checkin_hours"):
        try:
            moment = datetime.strptime(_text(h.get("hour"), "hour", 13), "%Y-%m-%dT%H") + timedelta(hours=offset)
        except (AttributeError, ValueError):
            raise _bad("checkin_hours") from None
        add("day", moment.strftime("%Y-%m-%d"), "checked_in", _n(h.get("count"), "checkin_hours"))
    for a in _list(report.get("ages", []), "ages"):
        if not isinstance(a, dict) or a.get("band") not in AGE_BANDS:
            raise _bad("ages")
        add("age", a["band"], "registered", _n(a.get("registered", 0), "ages"))
        add("age", a["band"], "checked_in", _n(a.get("checked_in", 0), "ages"))
    for key in ("unlocked", "claimed"):
        add("rewards", "", key, sum(_n(w.get(key, 0), "rewards") if isinstance(w, dict) else _n(-1, "rewards")
                                    for w in _list(report.get("rewards", []), "rewards")))
    for step in _list(report.get("funnel", []), "funnel"):
        if not isinstance(step, dict):
            raise _bad("funnel")
        add("funnel", _n(step.get("zones"), "funnel"), "", _n(step.get("people", 0), "funnel"))
    games = report.get("games") if isinstance(report.get("games"), dict) else {}
    for key in ("count", "players", "answers", "correct"):
        add("games", "", key, _n(games.get(key, 0), "games"))
    learning = report.get("learning") if isinstance(report.get("learning"), dict) else {}
    for mode in MODES:
        block = learning.get(mode) or {}
        if not isinstance(block, dict):
            raise _bad("learning")
        for t in _list(block.get("topics", []), "topics"):
            if not isinstance(t, dict):
                raise _bad("topics")
            topic = _text(t.get("topic", ""), "topic", 80)
            add("topic", f"{mode}|{topic}", "answers", _n(t.get("answers", 0), "topics"))
            add("topic", f"{mode}|{topic}", "correct", _n(t.get("correct", 0), "topics"))
            names[("topic", topic)] = (_text(t.get("vi", topic), "topic", 200), _text(t.get("en", topic), "topic", 200))
        for q in _list(block.get("questions", []), "questions"):
            if not isinstance(q, dict) or not isinstance(q.get("prompt"), dict):
                raise _bad("questions")
            qid = _text(q.get("id"), "question id", 80)
            add("q", f"{mode}|{qid}", "answers", _n(q.get("answers", 0), "questions"))
            add("q", f"{mode}|{qid}", "correct", _n(q.get("correct", 0), "questions"))
            names[("question", qid)] = (_text(q["prompt"].get("vi", ""), "prompt"), _text(q["prompt"].get("en", ""), "prompt"))
            names[("question_topic", qid)] = (_text(q.get("topic", ""), "topic", 80),) * 2
            for w in _list(q.get("wrong", []), "wrong answers"):
                if not isinstance(w, dict) or not CHOICE.match(_text(w.get("choice"), "choice", 22)):
                    raise _bad("wrong answers")
                add("qw", f"{mode}|{qid}", w["choice"], _n(w.get("count", 0), "wrong answers"))
                names[("option", f"{qid}|{w['choice']}")] = (_text(w.get("vi", ""), "option", 500),
                                                              _text(w.get("en", ""), "option", 500))
    return event, facts, names


# --- importing ---------------------------------------------------------------------

def import_bundle(db, bundle: dict, by: str, pairing_code: str | None = None) -> dict:
    """Import one bundle: ``{result, hub, sequence, event}`` with result imported |
    replaced | duplicate | older. Raises ``bad_bundle``, ``bundle_version``,
    ``bundle_tampered`` or ``unknown_hub``."""
    payload = verify(bundle)
    event, facts, names = extract(payload)
    sequence = payload.get("sequence")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 < sequence < 1 << 53:
        raise _bad("sequence")
    generated = _text(payload.get("generated_at"), "generated_at", 40)
    public = payload["hub"]["key"]
    fp = payload["hub"]["id"]
    answer = {"hub": fp, "sequence": sequence, "bundle_id": bundle["bundle_id"], "event": event["name"]}
    with transaction(db):
        trusted = db.execute("SELECT 1 FROM national_hubs WHERE key = ?", [fp]).fetchone()
        if trusted is None and not _pair(db, pairing_code, public):
            raise ServiceError(
                "unknown_hub",
                "This bundle comes from a hub that is not registered here: festival outcomes trust KEYFILE, or a pairing code.",
                status=403)
        old = db.execute("SELECT bundle_id, sequence FROM national_bundles WHERE hub_key = ?", [fp]).fetchone()
        if old is not None and old["bundle_id"] == bundle["bundle_id"]:
            return {**answer, "result": "duplicate"}
        if old is not None and old["sequence"] >= sequence:
            return {**answer, "result": "older", "kept_sequence": old["sequence"]}
        db.execute("DELETE FROM national_facts WHERE hub_key = ?", [fp])
        db.conn.executemany("INSERT INTO national_facts (hub_key, fact, k1, k2, value) VALUES (?, ?, ?, ?, ?)",
                       [(fp, f, k1, k2, v) for (f, k1, k2), v in facts.items()])
        db.conn.executemany("INSERT INTO national_names (kind, key, vi, en) VALUES (?, ?, ?, ?) "
                       "ON CONFLICT (kind, key) DO UPDATE SET vi = excluded.vi, en = excluded.en",
                       [(kind, key, vi, en) for (kind, key), (vi, en) in names.items()])
        answers = sum(v for (f, k1, k2), v in facts.items() if f == "topic" and k2 == "answers")
        correct = sum(v for (f, k1, k2), v in facts.items() if f == "topic" and k2 == "correct")
        db.execute(
            "INSERT INTO national_bundles (hub_key, bundle_id, sequence, generated_at, event_name, province, kind, "
            "dates, registered, checked_in, visits, answers, correct, imported_at, imported_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hub_key) DO UPDATE SET "
            "bundle_id = excluded.bundle_id, sequence = excluded.sequence, generated_at = excluded.generated_at, "
            "event_name = excluded.event_name, province = excluded.province, kind = excluded.kind, "
            "dates = excluded.dates, registered = excluded.registered, checked_in = excluded.checked_in, "
            "visits = excluded.visits, answers = excluded.answers, correct = excluded.correct, "
            "imported_at = excluded.imported_at, imported_by = excluded.imported_by",
            [fp, bundle["bundle_id"], sequence, generated, event["name"], event["province"], event["kind"],
             json.dumps(event["dates"]), facts.get(("total", "", "registered"), 0),
             facts.get(("total", "", "checked_in"), 0), facts.get(("total", "", "visits"), 0), answers, correct,
             now(), by])
        audit(db, by, "national.import", f"hub:{fp}", f"{sequence} {bundle['bundle_id'][:16]}")
        announce(db, outcomes_imported, hub=fp)
    return {**answer, "result": "imported" if old is None else "replaced"}
