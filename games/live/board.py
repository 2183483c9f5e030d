"""A live game's scoreboard on stage screens: the board ``game:<id>``.

The boards feature (kiosk.boards) serves a board id to any stage screen and
pushes it when it changes; this module registers the ``game`` source and
marks a game's board dirty whenever the game's counters or scores are pushed
(games.live.pushes), so a screen set to ``game:ID`` moves with the game, at
most 4 times a second, only while someone watches it. Names follow the public
screens' rule (games.scoring.public_name); the others are "Người chơi #n".
"""
from __future__ import annotations

from kiosk.boards.compute import board_settings, register_source
from kiosk.boards.publisher import mark_dirty

from games import scoring

PREFIX = "game"


def board_id(game_id: int) -> str:
    return f"{PREFIX}:{game_id}"


def game_board(db, game_id: int) -> dict | None:
    """The board payload of one game (top players by stored rank), or None for an unknown game."""
    game = db.execute("SELECT id, title FROM games WHERE id = ?", [game_id]).fetchone()
    if game is None:
        return None
    settings = board_settings(db)
    rows = []
    for r in scoring.top_rows(db, game_id, settings["board_size"]):
        name = scoring.public_name(r)
        if name is None and settings["anonymous_display"] == "hide":
            continue
        rows.append({"key": f"g{game_id}n{r['num']}", "rank": r["rank"], "score": r["score"],
                     "name_vi": name or f"Người chơi #{r['num']}", "name_en": name or f"Player #{r['num']}",
                     "anonymous": name is None})
    title = game["title"] or ""
    return {"board": board_id(game_id), "title_vi": title or "Trò chơi trực tiếp",
            "title_en": title or "Live game", "unit_vi": "điểm", "unit_en": "points", "rows": rows}


def changed(game_id: int, app=None) -> None:
    """The game's players or scores changed: its board is pushed soon (if watched).
    ``app`` is needed outside an app context (the live counters' background push)."""
    mark_dirty(board_id(game_id), app=app)


def init_app(app) -> None:
    register_source(PREFIX, game_board)
