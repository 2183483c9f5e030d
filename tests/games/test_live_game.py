"""The live-game state machine (games.live.game) driven with an injected clock."""
from __future__ import annotations

import pytest

from games import scoring
from games.live import game as live
from games.quiz import questions
from kiosk.db import migrate, open_db
from kiosk.errors import ServiceError
from kiosk.signals import points_changed

T0 = 1_000_000.0  # an arbitrary server clock; every call passes ``now`` explicitly


def _ids(db, n=3, qtype="single"):
    rows = db.execute("SELECT id FROM questions WHERE type = ? AND active = 1 ORDER BY id LIMIT ?",
                      [qtype, n]).fetchall()
    return [r["id"] for r in rows]


def _new_game(db, n=3, mode="speed", streak=False, limit=10, qtype="single"):
    return live.create_game(db, bank="core", count=n, mode=mode, streak=streak, host="staff:1:host",
                            now=T0, time_limit=limit, question_ids=_ids(db, n, qtype))


def _correct(db, game_id, idx):
    qid = db.execute("SELECT question_id FROM game_questions WHERE game_id = ? AND idx = ?",
                     [game_id, idx]).fetchone()[0]
    return questions.get_question(db, qid)["correct"]


def _wrong(db, game_id, idx):
    right = _correct(db, game_id, idx)
    return [min(set(range(len(right) + 1)) - set(right))]  # no right tick: partial credit scores those


def _attendee(db, nickname="Gấu Dũng Cảm", consent=1, hidden=0):
    cur = db.execute(
        "INSERT INTO attendees (full_name, name_fold, name_sort, nickname, nickname_hidden, age_band, "
        "consent_public, created_at) VALUES ('Nguyễn Văn A', 'nguyen van a', 'a', ?, ?, '16-17', ?, 'x')",
        [nickname, hidden, consent])
    db.conn.commit()
    return cur.lastrowid


def _player(db, game, name):
    return live.join_by_code(db, game["code"], T0, nickname=name)["player"]["id"]


# ------------------------------------------------------------------ create/join

def test_create_game_opens_a_lobby_with_a_unique_six_digit_code(gdb):
    a, b = _new_game(gdb), _new_game(gdb)
    assert a["state"] == b["state"] == "lobby"
    assert len(a["code"]) == 6 and a["code"].isdigit() and a["code"] != b["code"]
    rows = gdb.execute("SELECT time_limit FROM game_questions WHERE game_id = ?", [a["id"]]).fetchall()
    assert [r[0] for r in rows] == [10, 10, 10]


@pytest.mark.parametrize("kwargs,code", [
    ({"mode": "fastest"}, "bad_mode"), ({"count": 0}, "bad_count"), ({"count": "3"}, "bad_count"),
    ({"time_limit": 2}, "bad_time_limit"), ({"bank": "nope"}, "unknown_bank"),
])
def test_create_game_refuses_bad_settings(gdb, kwargs, code):
    args = {"bank": "core", "count": 3, "mode": "speed", "host": "h", "now": T0, **kwargs}
    with pytest.raises(ServiceError) as err:
        live.create_game(gdb, **args)
    assert err.value.code == code
    assert gdb.execute("SELECT COUNT(*) FROM games").fetchone()[0] == 0


def test_join_by_code_generated_and_filtered_nicknames(gdb):
    game = _new_game(gdb)
    joined = live.join_by_code(gdb, game["code"], T0)
    assert joined["player"]["nickname"] and joined["token"]
    assert live.player_for_token(gdb, joined["token"])["id"] == joined["player"]["id"]
    with pytest.raises(ServiceError) as err:
        live.join_by_code(gdb, game["code"], T0, nickname="f.u.c.k")
    assert err.value.code == "bad_nickname"
    with pytest.raises(ServiceError) as err:
        live.join_by_code(gdb, "000000", T0)
    assert err.value.code == "unknown_code"
    # only the token's hash is stored
    assert gdb.execute("SELECT COUNT(*) FROM players WHERE rejoin_hash = ?", [joined["token"]]).fetchone()[0] == 0


def test_badge_join_rejoins_same_player_and_names_respect_consent(gdb):
    game = _new_game(gdb)
    shown, private = _attendee(gdb, "Cáo Vui Vẻ"), _attendee(gdb, "Rùa Kín Đáo", consent=0)
    first = live.join_with_badge(gdb, game["code"], shown, T0)
    again = live.join_with_badge(gdb, game["code"], shown, T0 + 5)
    assert first["player"]["id"] == again["player"]["id"] and first["token"] != again["token"]
    assert live.player_for_token(gdb, first["token"]) is None  # the new token replaced it
    live.join_with_badge(gdb, game["code"], private, T0)
    walkup = _player(gdb, game, "Mèo Nhanh")
    live.hide_player(gdb, game["id"], walkup)
    names = {p["nickname"]: scoring.public_name(p) for p in scoring.standings(gdb, game)}
    assert names == {"Cáo Vui Vẻ": "Cáo Vui Vẻ", "Rùa Kín Đáo": None, "Mèo Nhanh": None}


def test_removed_player_loses_token_and_ranking(gdb):
    game = _new_game(gdb)
    joined = live.join_by_code(gdb, game["code"], T0, nickname="Ong Chăm Chỉ")
    live.remove_player(gdb, game["id"], joined["player"]["id"])
    assert live.player_for_token(gdb, joined["token"]) is None
    assert scoring.standings(gdb, game) == []


# --------------------------------------------------------------- deadlines

def test_start_needs_a_player_then_sets_server_deadline(gdb):
    game = _new_game(gdb)
    with pytest.raises(ServiceError) as err:
        live.start_game(gdb, game["id"], T0)
    assert err.value.code == "no_players"
    _player(gdb, game, "An")
    opened = live.start_game(gdb, game["id"], T0 + 1)
    assert opened["kind"] == "question"
    assert opened["game"]["deadline"] == T0 + 11 and opened["game"]["question_started_at"] == T0 + 1
    q = opened["question"]
    assert q["dl"] == round((T0 + 11) * 1000) and q["i"] == 0 and "correct" not in str(q)


def test_late_answer_refused_whatever_the_client_claims(gdb):
    game = _new_game(gdb)
    p = _player(gdb, game, "An")
    live.start_game(gdb, game["id"], T0)
    deadline = T0 + 10
    # The payload has no client time at all: elapsed is measured by the server.
    with pytest.raises(ServiceError) as err:
        live.answer(gdb, p, 0, _correct(gdb, game["id"], 0), "late-1",
                    deadline + live.ANSWER_ALLOWANCE_S + 0.001)
    assert err.value.code == "too_late"
    assert gdb.execute("SELECT COUNT(*) FROM game_answers").fetchone()[0] == 0


def test_allowance_edge_is_accepted_and_scores_the_base(gdb):
    game = _new_game(gdb)
    p = _player(gdb, game, "An")
    live.start_game(gdb, game["id"], T0)
    ack = live.answer(gdb, p, 0, _correct(gdb, game["id"], 0), "edge", T0 + 10 + live.ANSWER_ALLOWANCE_S)
    assert ack["ms"] == 10_000  # clamped to the limit
    assert gdb.execute("SELECT points FROM game_answers").fetchone()[0] == scoring.SPEED_BASE


def test_tick_closes_only_after_deadline_plus_allowance(gdb):
    game = _new_game(gdb)
    _player(gdb, game, "An")
    live.start_game(gdb, game["id"], T0)
    assert live.tick(gdb, T0 + 10 + live.ANSWER_ALLOWANCE_S) == []
    closed = live.tick(gdb, T0 + 10.5)
    assert [c["i"] for c in closed] == [0]
    assert live.get_game(gdb, game["id"])["state"] == "reveal"
    assert live.tick(gdb, T0 + 11) == []  # closed once


def test_tick_waits_for_answers_that_arrived_in_time_but_are_not_written_yet(gdb):
    """The served hub queues answers (games/live/answers.py): one that arrived at the
    allowance's edge must not be refused because the clock closed the question first."""
    game = _new_game(gdb)
    p = _player(gdb, game, "An")
    _player(gdb, game, "Bình")  # keeps the question open: not everyone answers
    live.start_game(gdb, game["id"], T0)
    arrived = T0 + 10 + live.ANSWER_ALLOWANCE_S
    assert live.tick(gdb, T0 + 10.6, waiting_since=arrived) == []  # still waiting to be written
    ack = live.answer(gdb, p, 0, _correct(gdb, game["id"], 0), "edge", arrived)
    assert ack["ms"] == 10_000
    # Answers queued after the allowance hold nothing: they are too late anyway.
    closed = live.tick(gdb, T0 + 10.8, waiting_since=T0 + 10.7)
    assert [c["i"] for c in closed] == [0]
    assert closed[0]["results"][p]["ok"] is True


def test_one_answer_per_player_and_idempotent_client_id(gdb):
    game = _new_game(gdb)
    p = _player(gdb, game, "An")
    _player(gdb, game, "Bình")
    live.start_game(gdb, game["id"], T0)
    first = live.answer(gdb, p, 0, [0], "c1", T0 + 2)
    replay = live.answer(gdb, p, 0, [0], "c1", T0 + 30)  # even after the deadline
    assert replay["replayed"] and replay["ms"] == first["ms"] == 2000
    with pytest.raises(ServiceError) as err:
        live.answer(gdb, p, 0, [1], "c2", T0 + 3)
    assert err.value.code == "already_answered"
    assert gdb.execute("SELECT COUNT(*) FROM game_answers").fetchone()[0] == 1


@pytest.mark.parametrize("idx,choice,code", [
    ("0", [0], "bad_answer"), (0, "0", "bad_choice"), (0, [9], "bad_choice"), (0, [0, 1], "bad_choice"),
    (1, [0], "not_open"), (0, [True], "bad_choice"),
])
def test_bad_answers_are_refused(gdb, idx, choice, code):
    game = _new_game(gdb)
    p = _player(gdb, game, "An")
    live.start_game(gdb, game["id"], T0)
    with pytest.raises(ServiceError) as err:
        live.answer(gdb, p, idx, choice, "c", T0 + 1)
    assert err.value.code == code


def test_all_answered_is_reported_so_the_question_closes_early(gdb):
    game = _new_game(gdb)
    a, b = _player(gdb, game, "An"), _player(gdb, game, "Bình")
    live.start_game(gdb, game["id"], T0)
    assert not live.answer(gdb, a, 0, [0], "a", T0 + 1)["all_answered"]
    assert live.answer(gdb, b, 0, [0], "b", T0 + 2)["all_answered"]
    summary = live.close_question(gdb, game["id"], T0 + 2, idx=0)
    assert summary["answered"] == 2 and sum(summary["spread"]) == 2
    assert live.close_question(gdb, game["id"], T0 + 3, idx=0) is None  # a racing close does nothing


# ----------------------------------------------------------------- scoring

def test_speed_scoring_formula_and_gap(gdb):
    game = _new_game(gdb)
    fast, slow, wrong = _player(gdb, game, "An"), _player(gdb, game, "Bình"), _player(gdb, game, "Chi")
    live.start_game(gdb, game["id"], T0)
    right = _correct(gdb, game["id"], 0)
    live.answer(gdb, fast, 0, right, "f", T0 + 2.5)
    live.answer(gdb, slow, 0, right, "s", T0 + 7.5)
    live.answer(gdb, wrong, 0, _wrong(gdb, game["id"], 0), "w", T0 + 1)
    summary = live.close_question(gdb, game["id"], T0 + 11)
    res = summary["results"]
    assert res[fast] == {"ok": True, "pts": 875, "sc": 875, "rk": 1, "gap": 0, "n": 3, "stk": 1}
    assert res[slow]["pts"] == 625 and res[slow]["rk"] == 2 and res[slow]["gap"] == 250
    assert res[wrong]["ok"] is False and res[wrong]["pts"] == 0 and res[wrong]["rk"] == 3
    assert [e["sc"] for e in summary["top"]] == [875, 625, 0]
    assert summary["correct"] == right


def test_ties_go_to_who_reached_the_score_first(gdb):
    game = _new_game(gdb, n=2)
    a, b = _player(gdb, game, "An"), _player(gdb, game, "Bình")
    live.start_game(gdb, game["id"], T0)
    live.answer(gdb, b, 0, _correct(gdb, game["id"], 0), "b", T0 + 1)
    live.answer(gdb, a, 0, _correct(gdb, game["id"], 0), "a", T0 + 1)
    summary = live.close_question(gdb, game["id"], T0 + 2)
    # Same points (same elapsed); b answered first in server order of equal time → id decides.
    assert summary["results"][a]["sc"] == summary["results"][b]["sc"]
    assert summary["results"][a]["rk"] == 1 and summary["results"][b]["gap"] == 0


def test_streak_bonus_grows_and_is_capped_and_breaks(gdb):
    game = _new_game(gdb, n=6, streak=True)
    p = _player(gdb, game, "An")
    expected = []
    for idx in range(6):
        live.next_question(gdb, game["id"], T0 + idx * 100)
        choice = _wrong(gdb, game["id"], idx) if idx == 4 else _correct(gdb, game["id"], idx)
        live.answer(gdb, p, idx, choice, f"c{idx}", T0 + idx * 100 + 10)  # at the deadline: base points
        summary = live.close_question(gdb, game["id"], T0 + idx * 100 + 11)
        expected.append(summary["results"][p]["pts"])
    assert expected == [500, 600, 700, 800, 0, 500]


def test_accuracy_mode_counts_correct_answers_and_time_breaks_ties(gdb):
    game = _new_game(gdb, n=2, mode="accuracy")
    quick, slow = _player(gdb, game, "An"), _player(gdb, game, "Bình")
    live.start_game(gdb, game["id"], T0)
    live.answer(gdb, slow, 0, _correct(gdb, game["id"], 0), "s", T0 + 9)
    live.answer(gdb, quick, 0, _correct(gdb, game["id"], 0), "q", T0 + 8)
    summary = live.close_question(gdb, game["id"], T0 + 10)
    assert summary["results"][quick]["sc"] == summary["results"][slow]["sc"] == 1000
    assert summary["results"][quick]["rk"] == 1 and summary["results"][slow]["rk"] == 2
    own = scoring.own_standing(gdb, live.get_game(gdb, game["id"]), {"id": slow})
    assert own["rk"] == 2 and own["gap"] == 0 and own["n"] == 2


def test_own_standing_matches_the_full_ranking(gdb):
    game = _new_game(gdb, n=1)
    ids = [_player(gdb, game, f"Người {i}") for i in range(6)]
    live.start_game(gdb, game["id"], T0)
    for i, pid in enumerate(ids[:5]):
        choice = _correct(gdb, game["id"], 0) if i % 2 == 0 else _wrong(gdb, game["id"], 0)
        live.answer(gdb, pid, 0, choice, f"c{i}", T0 + 1 + i)
    summary = live.close_question(gdb, game["id"], T0 + 11)
    g = live.get_game(gdb, game["id"])
    for pid in ids:
        own = scoring.own_standing(gdb, g, {"id": pid})
        assert (own["rk"], own["gap"]) == (summary["results"][pid]["rk"], summary["results"][pid]["gap"])


# ------------------------------------------------------- pause, skip, end

def test_pause_freezes_remaining_time_and_resume_restores_it(gdb):
    game = _new_game(gdb)
    p = _player(gdb, game, "An")
    live.start_game(gdb, game["id"], T0)
    live.pause(gdb, game["id"], T0 + 4)
    with pytest.raises(ServiceError) as err:
        live.answer(gdb, p, 0, [0], "x", T0 + 5)
    assert err.value.code == "paused"
    assert live.tick(gdb, T0 + 500) == []  # a paused question never times out
    resumed = live.resume(gdb, game["id"], T0 + 600)
    assert resumed["game"]["deadline"] == T0 + 606 and resumed["question"]["dl"] == round((T0 + 606) * 1000)
    ack = live.answer(gdb, p, 0, _correct(gdb, game["id"], 0), "y", T0 + 601)
    assert ack["ms"] == 5000  # 4 s before the pause + 1 s after it


def test_skip_closes_without_scoring_and_keeps_streaks(gdb):
    game = _new_game(gdb, streak=True)
    p = _player(gdb, game, "An")
    live.start_game(gdb, game["id"], T0)
    live.answer(gdb, p, 0, _correct(gdb, game["id"], 0), "a", T0 + 1)
    live.close_question(gdb, game["id"], T0 + 11)
    live.next_question(gdb, game["id"], T0 + 20)
    live.answer(gdb, p, 1, _correct(gdb, game["id"], 1), "b", T0 + 21)
    summary = live.skip(gdb, game["id"], T0 + 22)
    assert summary["skipped"] and summary["results"][p]["pts"] == 0
    row = gdb.execute("SELECT score, streak FROM players WHERE id = ?", [p]).fetchone()
    assert tuple(row) == (950, 1)


def test_end_awards_badge_players_once_and_sends_signal(gdb):
    game = _new_game(gdb, n=1)
    badge = _attendee(gdb, "Hổ Tự Tin")
    pb = live.join_with_badge(gdb, game["code"], badge, T0)["player"]["id"]
    _player(gdb, game, "Walk Up")
    live.start_game(gdb, game["id"], T0)
    live.answer(gdb, pb, 0, _correct(gdb, game["id"], 0), "a", T0)
    live.close_question(gdb, game["id"], T0 + 11)
    seen = []
    receiver = lambda _s, **kw: seen.append(kw["attendee_ids"])  # noqa: E731
    points_changed.connect(receiver)
    try:
        result = live.next_question(gdb, game["id"], T0 + 12)  # past the last question → end
    finally:
        points_changed.disconnect(receiver)
    assert result["kind"] == "end" and result["podium"][0]["sc"] == 1000
    assert seen == [[badge]]
    ledger = gdb.execute("SELECT points, source, reference FROM ledger").fetchall()
    assert [tuple(r) for r in ledger] == [(10, "game", f"game:{game['id']}:player:{pb}")]
    with pytest.raises(ServiceError):
        live.end_game(gdb, game["id"], T0 + 13)
    assert gdb.execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 1


def test_end_early_closes_the_open_question_unscored(gdb):
    game = _new_game(gdb)
    p = _player(gdb, game, "An")
    live.start_game(gdb, game["id"], T0)
    live.answer(gdb, p, 0, _correct(gdb, game["id"], 0), "a", T0 + 1)
    result = live.end_game(gdb, game["id"], T0 + 2)
    assert result["game"]["state"] == "ended" and result["podium"][0]["sc"] == 0
    # the code is free again for a new game
    assert gdb.execute("SELECT COUNT(*) FROM games WHERE code = ? AND state != 'ended'",
                       [game["code"]]).fetchone()[0] == 0


def test_restart_mid_question_resumes_from_the_file(tmp_path):
    path = str(tmp_path / "restart.db")
    first = open_db(path, "OFF")
    migrate(first)
    questions.sync_shipped(first)
    game = _new_game(first)
    p = _player(first, game, "An")
    live.start_game(first, game["id"], T0)
    live.answer(first, p, 0, _correct(first, game["id"], 0), "a", T0 + 5)
    first.conn.close()  # the hub dies mid-question

    second = open_db(path, "OFF")
    try:
        assert live.tick(second, T0 + 8) == []  # still open after the restart
        with pytest.raises(ServiceError):
            live.answer(second, p, 0, [0], "b", T0 + 9)  # one answer, even across restarts
        closed = live.tick(second, T0 + 30)  # the hub was down past the deadline
        assert closed[0]["results"][p]["pts"] == 750
    finally:
        second.conn.close()


def test_scoring_formula_unit():
    assert scoring.answer_points("speed", True, 0, 20_000) == 1000
    assert scoring.answer_points("speed", True, 20_000, 20_000) == 500
    assert scoring.answer_points("speed", True, 99_999, 20_000) == 500
    assert scoring.answer_points("speed", True, -5, 20_000) == 1000
    assert scoring.answer_points("speed", False, 0, 20_000) == 0
    assert scoring.answer_points("accuracy", True, 19_000, 20_000, 5, True) == 1300
    assert [scoring.streak_bonus(n) for n in range(6)] == [0, 100, 200, 300, 300, 300]
    assert scoring.ledger_points(1999) == 19 and scoring.ledger_points(-5) == 0


# ------------------------------------- stored ranks and counters (issue 7)

def _counts(db, game_id, idx):
    """The counters next to what they count, straight from the rows."""
    row = db.execute(
        "SELECT g.players_active, (SELECT COUNT(*) FROM players WHERE game_id = g.id AND removed = 0) AS players, "
        "(SELECT answered FROM game_questions WHERE game_id = g.id AND idx = :i) AS answered, "
        "(SELECT COUNT(*) FROM game_answers a JOIN players p ON p.id = a.player_id "
        " WHERE a.game_id = g.id AND a.idx = :i AND p.removed = 0) AS answers "
        "FROM games g WHERE g.id = :g", {"g": game_id, "i": idx}).fetchone()
    return (row["players_active"], row["answered"]), (row["players"], row["answers"])


def _assert_stored_ranks_are_the_ranking(db, game_id):
    game = live.get_game(db, game_id)
    reference = scoring.standings(db, game)  # sorted in Python by rank_key: the definition
    stored = {r["id"]: (r["rank"], r["gap"]) for r in db.execute(
        "SELECT id, rank, gap FROM players WHERE game_id = ? AND removed = 0", [game_id])}
    assert stored == {p["id"]: (p["rank"], p["gap"]) for p in reference}
    for p in reference:
        assert scoring.own_standing(db, game, p) == scoring.counted_standing(db, game, p)


@pytest.mark.parametrize("mode", ["speed", "accuracy"])
def test_stored_ranks_and_counters_follow_every_change(gdb, mode):
    import random

    rng = random.Random(mode)
    game = _new_game(gdb, n=3, mode=mode, streak=True)
    gid = game["id"]
    ids = [_player(gdb, game, f"Người {i}") for i in range(12)]
    _assert_stored_ranks_are_the_ranking(gdb, gid)
    for idx in range(3):
        live.next_question(gdb, gid, T0 + 100 * idx)
        if idx == 1:  # a late joiner is placed last, and a removal re-ranks the rest
            ids.append(live.join_by_code(gdb, game["code"], T0 + 100 * idx + 0.5, nickname="Mới Đến")
                       ["player"]["id"])
            _assert_stored_ranks_are_the_ranking(gdb, gid)
        for n, pid in enumerate(ids):
            if rng.random() < 0.8:
                choice = _correct(gdb, gid, idx) if rng.random() < 0.6 else _wrong(gdb, gid, idx)
                # Accuracy mode: some equal times, so the time tie-break and reached_at both matter.
                ack = live.answer(gdb, pid, idx, choice, f"{idx}-{n}", T0 + 100 * idx + 1 + rng.choice([1, 2, 2.5]))
                assert ack["standing"] == scoring.counted_standing(gdb, live.get_game(gdb, gid), {"id": pid})
        if idx == 2:
            live.remove_player(gdb, gid, ids[3])
            _assert_stored_ranks_are_the_ranking(gdb, gid)
        counters, truth = _counts(gdb, gid, idx)
        assert counters == truth
        summary = live.close_question(gdb, gid, T0 + 100 * idx + 50)
        _assert_stored_ranks_are_the_ranking(gdb, gid)
        reference = scoring.standings(gdb, live.get_game(gdb, gid))
        assert [e["no"] for e in summary["top"]] == [p["num"] for p in reference[:scoring.TOP_N]]
        assert summary["answered"] == truth[1]


def test_removing_the_only_player_left_unanswered_keeps_counts_exact(gdb):
    game = _new_game(gdb, n=1)
    a, b, c = (_player(gdb, game, name) for name in ("An", "Bình", "Chi"))
    live.start_game(gdb, game["id"], T0)
    assert live.answer(gdb, a, 0, [0], "a", T0 + 1)["all_answered"] is False
    assert live.answer(gdb, b, 0, [0], "b", T0 + 2)["all_answered"] is False
    live.remove_player(gdb, game["id"], b)  # b answered: the answered counter goes down with them
    assert _counts(gdb, game["id"], 0) == ((2, 1), (2, 1))
    assert live.answer(gdb, c, 0, [0], "c", T0 + 3)["all_answered"] is True


def test_a_new_player_ranks_last_with_the_gap_to_the_lowest_score(gdb):
    game = _new_game(gdb, n=1)
    a, b = _player(gdb, game, "An"), _player(gdb, game, "Bình")
    live.start_game(gdb, game["id"], T0)
    live.answer(gdb, a, 0, _correct(gdb, game["id"], 0), "a", T0 + 1)
    live.answer(gdb, b, 0, _correct(gdb, game["id"], 0), "b", T0 + 5)
    live.close_question(gdb, game["id"], T0 + 6)
    late = live.join_by_code(gdb, game["code"], T0 + 7, nickname="Muộn")["player"]
    own = scoring.own_standing(gdb, live.get_game(gdb, game["id"]), late)
    low = gdb.execute("SELECT score FROM players WHERE id = ?", [b]).fetchone()[0]
    assert own == {"sc": 0, "rk": 3, "gap": low, "n": 3, "stk": 0}
    _assert_stored_ranks_are_the_ranking(gdb, game["id"])
