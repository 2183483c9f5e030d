"""The outcomes bundle: this hub's anonymous outcomes as one signed file.

``build(db, instance_path, ...)`` reads the impact report (kiosk.report: the
counts that outlive ``festival purge``) and returns the bundle as a dict;
``encode`` writes it as canonical JSON (sorted keys, no spaces, UTF-8),
gzip-compressed when asked. The file is::

    {"format": "festival-outcomes", "version": 1, "bundle_id": "<hex>",
     "payload": {hub, sequence, generated_at, event, report}, "signature": "<base64>"}

``signature`` is the hub's Ed25519 signature of the canonical payload;
``bundle_id`` is the SHA-256 of the same bytes, so the same outcomes give the
same id. ``sequence`` grows each time the outcomes change: the time in
milliseconds, or the last sequence plus one if the clock went back (kept in
the ``settings`` table; a festival file restored from an old backup still
gets a higher sequence), so a national hub keeps the highest one per hub.

What it holds: the event's identity (name, province slug, venue kind,
dates), and counts only: check-ins by UTC hour, age bands, schools with at
least 5 registered attendees (the others merged), zones and the passport
funnel, rewards, quiz outcomes per question and per topic (self-paced and
live apart, every wrong option with its count, the most common first) and live-game totals. No name,
nickname, token, contact, game title or free text a child typed.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
import time
import zlib
from datetime import date

from kiosk.audit import audit
from kiosk.db import get_setting, now, set_setting, transaction
from kiosk.errors import ServiceError
from kiosk.report import facts as report_facts
from kiosk.report import service as report_service
from kiosk.text import clean

from . import keys
from .provinces import by_slug, find

FORMAT = "festival-outcomes"
VERSION = 1
KINDS = ("festival", "school_workshop")
IDENTITY_KEY = "national_event"
STATE_KEY = "national_bundle_state"
MAX_DATES = 62
MAX_BYTES = 16 * 1024 * 1024  # a bundle with every shipped question is about 50 kB
CHOICE = re.compile(r"^\[[0-9, ]{0,20}\]$|^[a-d]$")


def canonical(obj) -> bytes:
    """The one encoding that is signed and hashed."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


# --- the event's identity ---------------------------------------------------------

def identity(db, default_name: str = "") -> dict:
    """The event's identity as the organiser set it: {name, province, kind, dates}."""
    try:
        stored = json.loads(get_setting(db, IDENTITY_KEY, "") or "{}")
    except ValueError:
        stored = {}
    return {"name": stored.get("name") or default_name, "province": stored.get("province") or "",
            "kind": stored.get("kind") or "festival", "dates": list(stored.get("dates") or [])}


def parse_dates(text) -> list[str]:
    """"2025-11-01,2025-11-02" (or a list) as sorted ISO dates. Raises ``bad_dates``."""
    parts = text if isinstance(text, list) else str(text or "").replace(";", ",").replace(" ", ",").split(",")
    out = set()
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        try:
            out.add(date.fromisoformat(part).isoformat())
        except ValueError:
            raise ServiceError("bad_dates", "Dates are written 2025-11-01, separated by commas.") from None
    if len(out) > MAX_DATES:
        raise ServiceError("bad_dates", "Dates are written 2025-11-01, separated by commas.")
    return sorted(out)


def set_identity(db, by: str, name=None, province=None, kind=None, dates=None, default_name: str = "") -> dict:
    """Change the parts given. Raises ``bad_event_name``, ``bad_province``, ``bad_kind``, ``bad_dates``."""
    current = identity(db, default_name)
    if name is not None:
        name = clean(str(name))
        if not name or len(name) > 120:
            raise ServiceError("bad_event_name", "An event name of 1 to 120 characters is needed.")
        current["name"] = name
    if province is not None:
        found = find(province)
        if found is None:
            raise ServiceError("bad_province", "Unknown province or city %(p)s: use one of the 34 (festival outcomes provinces).",
                               p=str(province)[:60])
        current["province"] = found["slug"]
    if kind is not None:
        if kind not in KINDS:
            raise ServiceError("bad_kind", "The venue is a festival or a school workshop.")
        current["kind"] = kind
    if dates is not None:
        current["dates"] = parse_dates(dates)
    with transaction(db):
        set_setting(db, IDENTITY_KEY, json.dumps(current, ensure_ascii=False, sort_keys=True))
        audit(db, by, "outcomes.identity", None, f"{current['province']} {current['kind']}")
    return current


# --- the outcomes ---------------------------------------------------------------

def _int(value) -> int:
    return int(value or 0)


def outcomes(db, utc_offset_hours: int) -> dict:
    """The anonymous outcomes from the impact report (works before and after a purge)."""
    facts = report_facts.read(db)
    r = report_service.build(db, utc_offset_hours=utc_offset_hours, facts=facts)
    hours = sorted((k1, v) for (f, k1, _k2), v in facts.items() if f == "checkin_hour")
    learning = {}
    for mode, block in r["learning"].items():
        questions = []
        for q in block["questions"]:
            wrong = [{"choice": w["choice"], "vi": w["vi"], "en": w["en"], "count": _int(w["count"])}
                     for w in q.get("wrong_answers", []) if CHOICE.match(str(w["choice"]))]
            questions.append({"id": q["id"], "topic": q["topic"],
                              "prompt": {"vi": q["prompt"].get("vi", ""), "en": q["prompt"].get("en", "")},
                              "answers": _int(q["answers"]), "correct": _int(q["correct"]), "rate": q["rate"],
                              "wrong": wrong, "common_wrong": wrong[0] if wrong else None})
        topics = [{"topic": t["topic"], "vi": t["vi"], "en": t["en"], "answers": _int(t["answers"]),
                   "correct": _int(t["correct"]), "rate": t["rate"]} for t in block["topics"]]
        learning[mode] = {"answers": _int(block["answers"]), "correct": sum(q["correct"] for q in questions),
                          "rate": block["rate"], "questions": questions, "topics": topics}
    games = {"count": len(r["games"]), "players": sum(g["players"] for g in r["games"]),
             "answers": sum(g["answers"] for g in r["games"]),
             "correct": sum(v for (f, _k1, k2), v in facts.items() if f == "game" and k2 == "correct")}
    return {
        "totals": {"registered": r["totals"]["registered"], "checked_in": r["totals"]["checked_in"],
                   "visits": r["totals"]["visits"], "undone": r["totals"]["undone"]},
        "utc_offset": utc_offset_hours,
        "checkin_hours": [{"hour": h, "count": _int(v)} for h, v in hours],
        "ages": [{"band": a["band"], "registered": a["registered"], "checked_in": a["checked_in"]}
                 for a in r["ages"]],
        "schools": [{"kind": s["kind"], "school": s["school"] if s["kind"] == "named" else None,
                     "registered": s["registered"], "checked_in": s["checked_in"]} for s in r["schools"]],
        "zones": [{k: z[k] for k in ("slug", "vi", "en", "visits", "visitors", "repeats", "exits", "dwell_min")}
                  for z in r["zones"]],
        "funnel": [{"zones": s["n"], "people": s["people"]} for s in r["funnel"]["steps"]],
        "rewards": [{"vi": w["vi"], "en": w["en"], "unlocked": w["unlocked"], "claimed": w["claimed"]}
                    for w in r["rewards"]],
        "rounds": {"started": _int(r["rounds"].get("started")), "finished": _int(r["rounds"].get("finished"))},
        "learning": learning,
        "games": games,
    }


def build(db, instance_path: str, utc_offset_hours: int = report_service.DEFAULT_UTC_OFFSET_HOURS,
          default_name: str = "") -> dict:
    """The signed bundle of this hub's outcomes now. Raises ``no_province``.

    The sequence (and generated_at) move on only when the outcomes or the
    identity changed since the last bundle, so exporting twice without a
    change gives the same bytes and the same bundle id.
    """
    event = identity(db, default_name)
    if event["province"] not in by_slug():
        raise ServiceError(
            "no_province",
            "Set the event's province or city first: festival outcomes identity --province … (or the admin page).")
    body = {"event": event, "report": outcomes(db, utc_offset_hours)}
    digest = hashlib.sha256(canonical(body)).hexdigest()
    key = keys.hub_key(instance_path)
    with transaction(db):
        try:
            state = json.loads(get_setting(db, STATE_KEY, "") or "{}")
        except ValueError:
            state = {}
        if state.get("digest") != digest:
            sequence = max(int(state.get("sequence") or 0) + 1, int(time.time() * 1000))
            state = {"digest": digest, "sequence": sequence, "generated_at": now()}
            set_setting(db, STATE_KEY, json.dumps(state))
    public = keys.raw_public(key)
    payload = {"format": FORMAT, "version": VERSION, "hub": {"key": public, "id": keys.fingerprint(public)},
               "sequence": state["sequence"], "generated_at": state["generated_at"], **body}
    signed = canonical(payload)
    return {"format": FORMAT, "version": VERSION, "bundle_id": hashlib.sha256(signed).hexdigest(),
            "payload": payload, "signature": keys.sign(key, signed)}


def encode(bundle: dict, compress: bool = False) -> bytes:
    data = canonical(bundle)
    return gzip.compress(data, mtime=0) if compress else data


def decode(data: bytes) -> dict:
    """A bundle file's bytes (gzip or not) as a dict. Raises ``bad_bundle``
    (also for more than ``MAX_BYTES`` once unzipped: no gzip bomb)."""
    try:
        if data[:2] == b"\x1f\x8b":
            data = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, MAX_BYTES + 1)
        bundle = json.loads(data.decode("utf-8")) if len(data) <= MAX_BYTES else None
    except (zlib.error, ValueError, UnicodeDecodeError, RecursionError):
        bundle = None
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise ServiceError("bad_bundle", "This is not an outcomes bundle.")
    return bundle
