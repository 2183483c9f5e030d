"""Part 4: badges and import, through bench/import_badges.py's ``run(quick)``
(written with the registration feature). Quick runs use smaller sizes, so
the goals are judged on rates scaled to the goal's size."""
from __future__ import annotations

IMPORT_GOAL_ROWS, IMPORT_GOAL_S = 20_000, 20.0
SHEET_GOAL_BADGES, SHEET_GOAL_S = 1_000, 2.0


def run(quick: bool, log=print) -> dict:
    """The import/badge figures and the two goal verdicts."""
    from . import import_badges

    figures = import_badges.run(quick=quick)
    rows, import_s = figures["rows"], figures["import_s"]
    badges, sheet_s = figures.get("sheet_badges") or 0, figures["sheet_first_render_s"]
    import_at_goal = round(import_s * IMPORT_GOAL_ROWS / rows, 2) if rows else None
    sheet_at_goal = round(sheet_s * SHEET_GOAL_BADGES / badges, 3) if badges else None
    scaled = " (scaled from a smaller run)" if quick else ""
    log(f"  import {rows} rows in {import_s} s; sheet of {badges} badges in {sheet_s} s")
    return {"figures": figures, "goals": [
        {"goal": f"render {SHEET_GOAL_BADGES:,} badges as a sheet in < {SHEET_GOAL_S:g} s{scaled}",
         "figure": sheet_at_goal, "unit": "s", "met": sheet_at_goal is not None and sheet_at_goal < SHEET_GOAL_S},
        {"goal": f"import {IMPORT_GOAL_ROWS:,} rows in < {IMPORT_GOAL_S:g} s{scaled}",
         "figure": import_at_goal, "unit": "s", "met": import_at_goal is not None and import_at_goal < IMPORT_GOAL_S},
    ]}
