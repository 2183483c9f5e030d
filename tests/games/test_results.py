"""Live-game results: the host's results page (podium, per-question answer
spread and accuracy, players), the list of past games, the JSON and the
exports, checked against the stored answers."""
from __future__ import annotations

import csv
import io

import pytest

from games.live import game as live
from games.live import results
from games.quiz import questions
from kiosk.db import get_db

T0 = 2_000_000.0


def _play(db) -> dict:
    """Three players, two questions: Ann right twice, Bao right once, Chi wrong twice."""
    ids = [r[0] for r in db.execute("SELECT id FROM questions WHERE type = 'single' AND active "
                                    "ORDER BY id LIMIT 2")]
    game = live.create_game(db, bank="core", count=2, mode="speed", host="staff:1:host", now=T0,
                            time_limit=10, question_ids=ids)
    players = {name: live.join_by_code(db, game["code"], T0, nickname=name)["player"]["id"]
               for name in ("Ann", "Bao", "Chi")}
    for idx, qid in enumerate(ids):
        start = T0 + 100 * idx
        live.next_question(db, game["id"], start)
        right = questions.get_question(db, qid)["correct"]
        wrong = [0 if right != [0] else 1]
        picks = {"Ann": right, "Bao": right if idx == 0 else wrong, "Chi": wrong}
        for name, choice in picks.items():
            live.answer(db, players[name], idx, choice, f"{name}-{idx}", start + 1)
        live.close_question(db, game["id"], start + 20, idx=idx)
    live.end_game(db, game["id"], T0 + 500)
    return {"game": game, "ids": ids, "players": players}


@pytest.fixture
def played(app):
    with app.app_context():
        return _play(get_db())


def test_results_agree_with_the_stored_answers(app, played):
    with app.app_context():
        r = results.game_results(get_db(), played["game"]["id"])
    assert [p["nickname"] for p in r["podium"]] == ["Ann", "Bao", "Chi"]
    assert [q["accuracy"] for q in r["questions"]] == [round(200 / 3, 1), round(100 / 3, 1)]
    assert r["answers"] == 6 and r["accuracy"] == 50.0
    first = r["questions"][0]
    assert sum(o["count"] for o in first["options"]) == 3
    assert sum(o["count"] for o in first["options"] if o["correct"]) == 2
    assert [p["correct"] for p in r["players"]] == [2, 1, 0]


def test_host_sees_history_and_results_page(app, device_client, played):
    host = device_client("host")
    listing = host.get("/host/games").get_data(as_text=True)
    game_id = played["game"]["id"]
    assert f'href="/host/games/{game_id}/results"' in listing
    page = host.get(f"/host/games/{game_id}/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("Ann") < html.index("Bao") < html.index("Chi") and "<script>" not in html
    data = host.get(f"/host/api/games/{game_id}/results").get_json()
    assert data["ok"] and data["answers"] == 6
    assert host.get("/host/games/999/results").status_code == 404


@pytest.mark.parametrize("url", ["/host/games", "/host/games/1/results", "/host/api/games/1/results"])
def test_results_refuse_other_roles(client, device_client, url):
    assert client.get(url).status_code == 401
    for role in ("desk", "zone", "stage"):
        assert device_client(role).get(url).status_code == 403


def test_game_exports_match(app, runner, played, tmp_path):
    out = tmp_path / "games.csv"
    assert runner.invoke(args=["export", "games", "-o", str(out)]).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["first"].startswith("#1 Ann") and rows[0]["answers"] == "6"
    assert rows[0]["accuracy_percent"] == "50.0"
    out = tmp_path / "answers.csv"
    assert runner.invoke(args=["export", "game-answers", "-o", str(out)]).exit_code == 0
    answers = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(answers) == 6 and sum(int(a["correct"]) for a in answers) == 3
