"""The impact report's contents, from anonymous facts only (``facts.read``).

``build(db)`` returns plain data for the template: attendance by hour, age
band and school; zone traffic and dwell; the passport funnel; rewards; what
children learned (per question and per topic, self-paced and live apart, the
most common wrong answer, the topics answered worst); live games played.
Names of zones, rules, questions, topics and games come from tables the purge
keeps (zones, passport_rules, questions, question_banks, games). Nothing here
depends on the time of the call, so the same facts give the same report.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from .facts import NONE, OTHER, read

AGE_BANDS = ("u7", "7-15", "16-17", "18+")
MODES = ("self", "live")
WORST_TOPICS = 3
DEFAULT_UTC_OFFSET_HOURS = 7  # Vietnam (no daylight saving)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _by(facts, fact: str) -> dict[str, dict[str, int]]:
    """{k1: {k2: value}} of one fact."""
    out: dict[str, dict[str, int]] = {}
    for (name, k1, k2), value in facts.items():
        if name == fact:
            out.setdefault(k1, {})[k2] = value
    return out


def build(db, utc_offset_hours: int = DEFAULT_UTC_OFFSET_HOURS, facts=None) -> dict:
    """Everything the report shows, as plain data (from ``facts``, read now when not given)."""
    facts = read(db) if facts is None else facts
    ages = _by(facts, "age")
    registered = sum(v.get("registered", 0) for v in ages.values())
    checked_in = sum(v.get("checked_in", 0) for v in ages.values())
    report = {
        "totals": {"registered": registered, "checked_in": checked_in,
                   "undone": _by(facts, "checkins").get("", {}).get("undone", 0)},
        "hours": _hours(facts, utc_offset_hours),
        "utc_offset": utc_offset_hours,
        "ages": [{"band": band, "registered": ages.get(band, {}).get("registered", 0),
                  "checked_in": ages.get(band, {}).get("checked_in", 0)} for band in AGE_BANDS],
        "schools": _schools(facts),
        "zones": _zones(db, facts),
        "funnel": _funnel(db, facts),
        "rewards": _rewards(db, facts),
        "points": sorted(({"source": k, "points": v.get("points", 0), "awards": v.get("awards", 0)}
                          for k, v in _by(facts, "points").items()), key=lambda r: -r["points"]),
        "rounds": _by(facts, "rounds").get("", {}),
        "learning": {mode: _learning(db, facts, mode) for mode in MODES},
        "games": _games(db, facts),
    }
    report["totals"]["visits"] = sum(z["visits"] for z in report["zones"])
    return report


def _hours(facts, offset: int) -> list[dict]:
    out = []
    for hour, value in sorted((k1, v) for (f, k1, _k2), v in facts.items() if f == "checkin_hour"):
        try:
            local = datetime.strptime(hour, "%Y-%m-%dT%H").replace(tzinfo=timezone.utc) + timedelta(hours=offset)
        except ValueError:
            continue
        out.append({"label": local.strftime("%d/%m %H:00"), "count": value})
    return out


def _schools(facts) -> list[dict]:
    rows = [{"school": k, "registered": v.get("registered", 0), "checked_in": v.get("checked_in", 0)}
            for k, v in _by(facts, "school").items()]
    named = sorted((r for r in rows if r["school"] not in (OTHER, NONE)),
                   key=lambda r: (-r["checked_in"], -r["registered"], r["school"]))
    rest = [dict(r, school=None, kind=r["school"]) for key in (OTHER, NONE) for r in rows if r["school"] == key]
    return [dict(r, kind="named") for r in named] + rest


def _zones(db, facts) -> list[dict]:
    data = _by(facts, "zone")
    zones = {r["slug"]: dict(r) for r in db.execute("SELECT slug, name_vi, name_en, dwell_s, sort, id FROM zones")}
    out = []
    for slug in sorted(set(data) | {s for s, z in zones.items()},
                       key=lambda s: (zones.get(s, {}).get("sort", 1 << 30), zones.get(s, {}).get("id", 0), s)):
        d, z = data.get(slug, {}), zones.get(slug, {})
        if not d and slug not in zones:
            continue
        measured = d.get("dwell_n", 0)
        out.append({"slug": slug, "vi": z.get("name_vi", slug), "en": z.get("name_en", slug),
                    "visits": d.get("enter", 0), "visitors": d.get("visitors", 0), "repeats": d.get("repeat", 0),
                    "exits": d.get("exit", 0), "dwell_measured": measured,
                    "dwell_min": round(d.get("dwell_s", 0) / measured / 60, 1) if measured
                    else round((z.get("dwell_s") or 0) / 60, 1)})
    return [z for z in out if z["visits"] or z["repeats"] or z["exits"] or z["slug"] in zones]


def _funnel(db, facts) -> dict:
    counts = {int(k1): v for (f, k1, _k2), v in facts.items() if f == "funnel" and k1.isdigit()}
    zones = db.execute("SELECT COUNT(*) FROM zones WHERE active").fetchone()[0]
    top = max([zones, *counts]) if counts or zones else 0
    steps = [{"n": n, "people": sum(v for k, v in counts.items() if k >= n)} for n in range(1, top + 1)]
    return {"zones": zones, "steps": steps}


def _rewards(db, facts) -> list[dict]:
    rules = {str(r["id"]): dict(r) for r in db.execute("SELECT id, name_vi, name_en, reward_vi, reward_en "
                                                        "FROM passport_rules ORDER BY id")}
    data = _by(facts, "reward")
    return [{"vi": rules.get(k, {}).get("reward_vi", k), "en": rules.get(k, {}).get("reward_en", k),
             "rule_vi": rules.get(k, {}).get("name_vi", ""), "rule_en": rules.get(k, {}).get("name_en", ""),
             "unlocked": data.get(k, {}).get("unlocked", 0), "claimed": data.get(k, {}).get("claimed", 0)}
            for k in sorted(set(data) | set(rules), key=lambda k: (len(k), k))]


def _question_info(db, ids) -> tuple[dict, dict]:
    """({question id: data}, {topic: {vi, en}}) from the question tables."""
    questions, topics = {}, {}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" for _ in chunk)
        for r in db.execute(f"SELECT id, topic, data FROM questions WHERE id IN ({marks})", chunk):
            questions[r["id"]] = {**json.loads(r["data"]), "topic": r["topic"]}
    for r in db.execute("SELECT topics FROM question_banks"):
        try:
            topics.update({k: v for k, v in json.loads(r["topics"] or "{}").items() if isinstance(v, dict)})
        except ValueError:
            continue
    return questions, topics


def _option_text(q: dict, choice: str) -> dict:
    try:
        picked = json.loads(choice)
    except ValueError:
        picked = []
    options = q.get("options") or []
    if not isinstance(picked, list):
        picked = []
    texts = [options[i] for i in picked if isinstance(i, int) and 0 <= i < len(options)]
    return {"vi": " + ".join(t.get("vi", "") for t in texts) or choice,
            "en": " + ".join(t.get("en", "") for t in texts) or choice}


def _learning(db, facts, mode: str) -> dict:
    data = _by(facts, f"q_{mode}")
    questions, topic_names = _question_info(db, data)
    rows, topics = [], {}
    for qid, counts in data.items():
        q = questions.get(qid, {"prompt": {"vi": qid, "en": qid}, "topic": ""})
        correct, wrong = counts.get("correct", 0), counts.get("wrong", 0)
        wrongs = sorted(((v, k[len("choice:"):]) for k, v in counts.items() if k.startswith("choice:")),
                        key=lambda p: (-p[0], p[1]))
        wrong_answers = [{**_option_text(q, choice), "choice": choice, "count": count} for count, choice in wrongs]
        common = dict(wrong_answers[0]) if wrong_answers else None
        topic = q.get("topic") or ""
        rows.append({"id": qid, "prompt": q.get("prompt") or {"vi": qid, "en": qid}, "topic": topic,
                     "answers": correct + wrong, "correct": correct, "rate": _rate(correct, correct + wrong),
                     "common_wrong": common, "wrong_answers": wrong_answers})
        t = topics.setdefault(topic, {"topic": topic, "answers": 0, "correct": 0,
                                      **topic_names.get(topic, {"vi": topic, "en": topic})})
        t["answers"] += correct + wrong
        t["correct"] += correct
    for t in topics.values():
        t["rate"] = _rate(t["correct"], t["answers"])
    rows.sort(key=lambda r: (r["topic"], r["id"]))
    ordered = sorted(topics.values(), key=lambda t: (t["rate"] if t["rate"] is not None else 101, t["topic"]))
    answers = sum(r["answers"] for r in rows)
    return {"questions": rows, "topics": sorted(topics.values(), key=lambda t: t["topic"]),
            "worst": [t for t in ordered if t["answers"]][:WORST_TOPICS], "answers": answers,
            "rate": _rate(sum(r["correct"] for r in rows), answers)}


def _games(db, facts) -> list[dict]:
    data = _by(facts, "game")
    info = {str(r["id"]): dict(r) for r in db.execute("SELECT id, title, created_at FROM games")}
    out = []
    for gid in sorted(data, key=lambda k: (len(k), k)):
        d, g = data[gid], info.get(gid, {})
        started = g.get("created_at")
        out.append({"id": gid, "title": g.get("title") or f"#{gid}",
                    "date": datetime.fromtimestamp(started, timezone.utc).strftime("%d/%m/%Y") if started else "",
                    "players": d.get("players", 0), "answers": d.get("answers", 0),
                    "rate": _rate(d.get("correct", 0), d.get("answers", 0))})
    return out
