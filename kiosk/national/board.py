"""The ``national`` stage board: provinces by participation, with quiz accuracy.

Registered as a bare board source (``/stage?rotation=national:20``); marked
dirty when a national hub imports a newer bundle. Provinces and counts only.
"""
from __future__ import annotations

from kiosk.boards.compute import board_settings, register_source
from kiosk.boards.publisher import mark_dirty
from kiosk.signals import outcomes_imported

from .provinces import by_slug

BOARD = "national"


def national_board(db, _ident=None) -> dict:
    """Top provinces by people who took part; each row says its share of correct answers."""
    size = board_settings(db)["board_size"]
    names = by_slug()
    rows = []
    for r in db.execute("SELECT province, COUNT(*) AS events, SUM(checked_in) AS people, SUM(answers) AS answers, "
                        "SUM(correct) AS correct FROM national_bundles GROUP BY province "
                        "ORDER BY people DESC, province LIMIT ?", [size]):
        p = names.get(r["province"], {"vi": r["province"], "en": r["province"]})
        rate = f"{round(100.0 * r['correct'] / r['answers'])}%" if r["answers"] else "–"
        rows.append({"key": "n-" + r["province"], "rank": len(rows) + 1, "anonymous": False,
                     "name_vi": f"{p['vi']} · {rate} đúng", "name_en": f"{p['en']} · {rate} correct",
                     "score": r["people"], "events": r["events"], "accuracy": rate})
    return {"board": BOARD, "title_vi": "Toàn quốc: tham gia và trả lời đúng",
            "title_en": "Nationwide: taking part and answering right",
            "unit_vi": "người tham gia", "unit_en": "took part", "rows": rows}


def _imported(_sender=None, **_kwargs) -> None:
    mark_dirty(BOARD)


def init_app(app) -> None:
    register_source(BOARD, national_board, bare=True)
    outcomes_imported.connect(_imported)
