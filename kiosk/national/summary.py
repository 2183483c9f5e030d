"""The national report: every hub's latest bundle merged (``national_*`` tables).

``build(db)`` returns plain data for templates/national/report.html: totals,
per province and per event, learning outcomes per topic nationally and per
province, the topics and questions most often got wrong, and the trend by
date. Every figure is a sum over the hubs' counts; every rate is computed
from those sums (never an average of rates).
"""
from __future__ import annotations

import json

from kiosk.report.service import AGE_BANDS, MODES

from .provinces import by_slug

WORST = 5


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _names(db, kind: str) -> dict[str, tuple[str, str]]:
    return {r[0]: (r[1], r[2]) for r in db.execute("SELECT key, vi, en FROM national_names WHERE kind = ?", [kind])}


def _province(slug: str) -> dict:
    p = by_slug().get(slug, {"vi": slug, "en": slug})
    return {"slug": slug, "vi": p["vi"], "en": p["en"]}


def _topics(rows, topic_names) -> list[dict]:
    """[{topic, vi, en, answers, correct, wrong, rate}] from (topic, answers, correct)."""
    out = []
    for topic, answers, correct in rows:
        vi, en = topic_names.get(topic, (topic, topic))
        out.append({"topic": topic, "vi": vi or topic, "en": en or topic, "answers": answers, "correct": correct,
                    "wrong": answers - correct, "rate": _rate(correct, answers)})
    return sorted(out, key=lambda t: t["topic"])


def build(db) -> dict:
    """Everything the national report shows."""
    events = []
    provinces: dict[str, dict] = {}
    for r in db.execute("SELECT hub_key, event_name, province, kind, dates, registered, checked_in, visits, "
                        "answers, correct, sequence, generated_at FROM national_bundles"):
        dates = json.loads(r["dates"])
        events.append({"hub": r["hub_key"], "name": r["event_name"], "province": _province(r["province"]),
                       "kind": r["kind"], "dates": dates, "registered": r["registered"],
                       "checked_in": r["checked_in"], "visits": r["visits"], "answers": r["answers"],
                       "correct": r["correct"], "rate": _rate(r["correct"], r["answers"]),
                       "sequence": r["sequence"], "generated_at": r["generated_at"]})
        p = provinces.setdefault(r["province"], {**_province(r["province"]), "events": 0, "festivals": 0,
                                                  "workshops": 0, "registered": 0, "checked_in": 0,
                                                  "visits": 0, "answers": 0, "correct": 0})
        p["events"] += 1
        p["festivals" if r["kind"] == "festival" else "workshops"] += 1
        for key in ("registered", "checked_in", "visits", "answers", "correct"):
            p[key] += r[key]
    for p in provinces.values():
        p["rate"] = _rate(p["correct"], p["answers"])
    events.sort(key=lambda e: (e["province"]["vi"], e["dates"][:1], e["name"], e["hub"]))
    by_province = sorted(provinces.values(), key=lambda p: (-p["checked_in"], p["vi"]))

    topic_names = _names(db, "topic")
    national, per_mode = {}, {m: {} for m in MODES}
    for k1, k2, value in db.execute("SELECT k1, k2, SUM(value) FROM national_facts WHERE fact = 'topic' "
                                    "GROUP BY k1, k2"):
        mode, _, topic = k1.partition("|")
        for bucket in (national, per_mode.setdefault(mode, {})):
            bucket.setdefault(topic, [0, 0])[0 if k2 == "answers" else 1] += value
    topics = _topics(((t, a, c) for t, (a, c) in national.items()), topic_names)
    learning = {m: _topics(((t, a, c) for t, (a, c) in per_mode[m].items()), topic_names) for m in MODES}
    by_prov_topic: dict[str, dict] = {}
    for province, k1, k2, value in db.execute(
            "SELECT b.province, f.k1, f.k2, SUM(f.value) FROM national_facts f "
            "JOIN national_bundles b ON b.hub_key = f.hub_key WHERE f.fact = 'topic' GROUP BY 1, 2, 3"):
        topic = k1.partition("|")[2]
        by_prov_topic.setdefault(province, {}).setdefault(topic, [0, 0])[0 if k2 == "answers" else 1] += value
    province_topics = [{**_province(slug), "topics": {t["topic"]: t for t in
                                                      _topics(((t, a, c) for t, (a, c) in data.items()), topic_names)}}
                       for slug, data in sorted(by_prov_topic.items(), key=lambda kv: _province(kv[0])["vi"])]
    answered = [t for t in topics if t["answers"]]
    worst = sorted(answered, key=lambda t: (t["rate"], -t["wrong"], t["topic"]))[:WORST]

    questions = _questions(db)
    days: dict[str, dict] = {}
    for k1, value in db.execute("SELECT k1, SUM(value) FROM national_facts WHERE fact = 'day' GROUP BY k1"):
        days.setdefault(k1, {"date": k1, "checked_in": 0, "events": 0})["checked_in"] = value
    for e in events:
        for d in e["dates"]:
            days.setdefault(d, {"date": d, "checked_in": 0, "events": 0})["events"] += 1
    ages = {band: {"band": band, "registered": 0, "checked_in": 0} for band in AGE_BANDS}
    for k1, k2, value in db.execute("SELECT k1, k2, SUM(value) FROM national_facts WHERE fact = 'age' "
                                    "GROUP BY k1, k2"):
        if k1 in ages and k2 in ("registered", "checked_in"):
            ages[k1][k2] = value
    answers = sum(e["answers"] for e in events)
    correct = sum(e["correct"] for e in events)
    return {
        "totals": {"events": len(events), "provinces": len(provinces), "of_provinces": len(by_slug()),
                   "festivals": sum(e["kind"] == "festival" for e in events),
                   "workshops": sum(e["kind"] != "festival" for e in events),
                   "registered": sum(e["registered"] for e in events),
                   "checked_in": sum(e["checked_in"] for e in events),
                   "visits": sum(e["visits"] for e in events), "answers": answers, "correct": correct,
                   "rate": _rate(correct, answers)},
        "provinces": by_province, "events": events, "topics": topics, "learning": learning,
        "province_topics": province_topics, "topic_columns": topics,
        "worst": worst, "questions": questions, "ages": list(ages.values()),
        "days": [days[d] for d in sorted(days)],
    }


def _questions(db) -> list[dict]:
    """The questions most often got wrong nationally (both modes), with the most common wrong answer."""
    counts: dict[str, list[int]] = {}
    for k1, k2, value in db.execute("SELECT k1, k2, SUM(value) FROM national_facts WHERE fact = 'q' "
                                    "GROUP BY k1, k2"):
        qid = k1.partition("|")[2]
        counts.setdefault(qid, [0, 0])[0 if k2 == "answers" else 1] += value
    ranked = sorted(((qid, a, c) for qid, (a, c) in counts.items() if a > c),
                    key=lambda q: (-(q[1] - q[2]), q[0]))[:10]
    if not ranked:
        return []
    wanted = [q[0] for q in ranked]
    prompts, option_names, topic_of = _names(db, "question"), _names(db, "option"), _names(db, "question_topic")
    wrongs: dict[str, dict[str, int]] = {}
    marks = ",".join("?" for _ in wanted)
    for k1, k2, value in db.execute(f"SELECT k1, k2, SUM(value) FROM national_facts WHERE fact = 'qw' AND "
                                    f"substr(k1, instr(k1, '|') + 1) IN ({marks}) GROUP BY k1, k2", wanted):
        qid = k1.partition("|")[2]
        wrongs.setdefault(qid, {})[k2] = wrongs.get(qid, {}).get(k2, 0) + value
    out = []
    for qid, answers, correct in ranked:
        vi, en = prompts.get(qid, (qid, qid))
        common = None
        if wrongs.get(qid):
            choice, count = sorted(wrongs[qid].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            ovi, oen = option_names.get(f"{qid}|{choice}", (choice, choice))
            common = {"vi": ovi, "en": oen, "count": count}
        out.append({"id": qid, "vi": vi, "en": en, "topic": topic_of.get(qid, ("", ""))[0], "answers": answers,
                    "correct": correct, "wrong": answers - correct, "rate": _rate(correct, answers),
                    "common_wrong": common})
    return out
