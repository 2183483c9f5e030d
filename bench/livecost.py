"""In-process cost of one live game's server work, without sockets.

``python -m bench.livecost [--players 500,1000,2000] [--sync FULL|NORMAL]``
prints, per player count, the milliseconds per answer (the service call plus
the standing sent in its ack), per phone (re)connect snapshot, and for
closing a question and building its reveal. It isolates the hub's own code
from the network stack: the socket fan-out in bench/fanout.py adds the
Socket.IO cost on top. Everything runs in this process on a temporary file.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from . import dataset


def _setup(path: Path, players: int, sync: str):
    """A migrated database with one game of ``players`` walk-ups; returns (db, game, players)."""
    from games.live import game as live
    from games.quiz import questions
    from kiosk.db import open_db

    dataset.new_database(path).conn.close()
    db = open_db(str(path), sync)
    questions.sync_shipped(db)
    game = live.create_game(db, bank=None, count=3, host="bench", now=time.time(), time_limit=60)
    rows = [live.join_by_code(db, game["code"], time.time())["player"] for _ in range(players)]
    return db, game, rows


def measure(players: int, sync: str = "NORMAL") -> dict:
    """Milliseconds per answer, per connect snapshot, and for one close + reveal at ``players``."""
    from flask import Flask

    from games.live import answers
    from games.live import game as live
    from games.live import sockets as live_sockets

    app = Flask("livecost")  # player_snapshot needs no request, only an app for the clock
    with tempfile.TemporaryDirectory(prefix="livecost-") as tmp, app.app_context():
        db, game, rows = _setup(Path(tmp) / "game.db", players, sync)
        try:
            opened = live.next_question(db, game["id"], time.time())
            gid = opened["game"]["id"]
            began = time.perf_counter()
            # As the served hub: in chunks of answers.CHUNK, one transaction each (games/live/answers.py).
            waiting = [answers.Answer(p["id"], 0, [0], f"c{n}", time.time()) for n, p in enumerate(rows[:-1])]
            for start in range(0, len(waiting), answers.CHUNK):
                answers.write_chunk(db, waiting[start:start + answers.CHUNK])
            assert all(a.ack and a.ack["standing"] for a in waiting), "an answer was refused"
            per_answer = (time.perf_counter() - began) / max(1, len(rows) - 1)
            began = time.perf_counter()
            for player in rows[:200]:
                live_sockets.player_snapshot(db, player)
            per_connect = (time.perf_counter() - began) / min(200, len(rows))
            began = time.perf_counter()
            last = live.answer(db, rows[-1]["id"], 0, [0], "last", time.time())
            summary = live.close_question(db, gid, time.time(), idx=0) if last["all_answered"] else None
            close_ms = (time.perf_counter() - began) * 1000
        finally:
            db.conn.close()
    return {"players": players, "sync": sync, "answer_ms": round(per_answer * 1000, 3),
            "connect_snapshot_ms": round(per_connect * 1000, 3), "last_answer_close_reveal_ms": round(close_ms, 1),
            "closed_on_last_answer": summary is not None}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.livecost", description=__doc__.splitlines()[0])
    parser.add_argument("--players", default="500,1000,2000")
    parser.add_argument("--sync", default="NORMAL", choices=("FULL", "NORMAL"))
    args = parser.parse_args(argv)
    for n in [int(x) for x in args.players.split(",")]:
        print(measure(n, args.sync), flush=True)


if __name__ == "__main__":
    main()
