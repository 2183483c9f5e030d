"""Live games over Socket.IO: who receives what, role checks, rejoin, the clock."""
from __future__ import annotations

import time

import pytest

from games.live import clock as live_clock
from games.live import pushes
from games.live import sockets as live_sockets
from tests.support.http import post_json


def _wait(predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _events(received, name):
    return [m["args"][0] if m["args"] else None for m in received if m["name"] == name]


class Inbox:
    """Keeps everything a socket test client received, by namespace."""

    def __init__(self, sc, namespace):
        self.sc, self.ns, self.all = sc, namespace, []

    def pull(self):
        self.all += self.sc.get_received(self.ns)
        return self.all

    def of(self, name):
        return _events(self.pull(), name)


def _join(app, code, nickname):
    response = app.test_client().post("/play/join", json={"code": code, "nickname": nickname})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _player_socket(socket_client, token):
    sc = socket_client(live_sockets.PLAY, auth={"token": token})
    assert sc.is_connected(live_sockets.PLAY)
    return Inbox(sc, live_sockets.PLAY)


def _correct_choice(db, game_id, idx):
    from games.quiz import questions

    qid = db.execute("SELECT question_id FROM game_questions WHERE game_id = ? AND idx = ?",
                     [game_id, idx]).fetchone()[0]
    return questions.get_question(db, qid)["correct"]


def test_host_and_screen_namespaces_check_roles(app, client, device_client, socket_client, game):
    stage, desk = device_client("stage"), device_client("desk")
    assert not socket_client(live_sockets.HOST, client).is_connected(live_sockets.HOST)
    assert not socket_client(live_sockets.HOST, stage).is_connected(live_sockets.HOST)
    assert not socket_client(live_sockets.SCREEN, desk).is_connected(live_sockets.SCREEN)
    screen = socket_client(live_sockets.SCREEN, stage)
    assert screen.is_connected(live_sockets.SCREEN)
    ack = screen.emit("watch", {"g": game["id"]}, namespace=live_sockets.SCREEN, callback=True)
    assert ack["ok"] and ack["game"]["code"] == game["code"] and ack["st"] == "lobby"


def test_http_roles_and_bad_input(app, client, device_client, host, game):
    assert client.get("/host").status_code == 401
    assert device_client("stage").get("/host").status_code == 403
    assert host.get("/host").status_code == 200
    assert device_client("stage").get(f"/host/screen/{game['id']}").status_code == 200
    assert device_client("desk").get(f"/host/screen/{game['id']}").status_code == 403
    assert client.get(f"/host/screen/{game['id']}").status_code == 401
    for payload in ([], {"bank": 5, "count": 2}, {"bank": "core", "count": "x"}, {"bank": "core", "count": 2,
                                                                                  "streak": "yes"}):
        assert post_json(host, "/host/api/games", payload).status_code == 400
    assert client.post("/play/join", json={"code": "12"}).status_code == 404
    assert client.post("/play/join", json={"code": game["code"], "nickname": 7}).status_code == 400
    assert client.post("/play/join", data="nope").status_code == 400
    page = client.get(f"/play?code={game['code']}").get_data(as_text=True)
    assert game["code"] in page and "/static/bundle/play." in page  # player.js, bundled (kiosk/assets.py)


def test_a_question_round_trip_fans_out_correctly(app, db, host, socket_client, game, device_client):
    gid = game["id"]
    screen = Inbox(socket_client(live_sockets.SCREEN, device_client("stage")), live_sockets.SCREEN)
    screen.sc.emit("watch", {"g": gid}, namespace=live_sockets.SCREEN)
    hsock = socket_client(live_sockets.HOST, host)
    assert hsock.emit("watch", {"g": gid}, namespace=live_sockets.HOST, callback=True)["ok"]
    a, b = _join(app, game["code"], "Cáo Nhanh"), _join(app, game["code"], "Gấu Chậm")
    pa, pb = _player_socket(socket_client, a["token"]), _player_socket(socket_client, b["token"])
    assert pa.of("state")[0]["st"] == "lobby" and pa.of("state")[0]["me"]["nick"] == "Cáo Nhanh"
    assert _wait(lambda: any(e["np"] == 2 for e in screen.of("live")))  # the lobby count reaches the screen

    ack = hsock.emit("start", {"g": gid}, namespace=live_sockets.HOST, callback=True)
    assert ack == {"ok": True, "st": "question"}
    for inbox in (pa, pb, screen):
        questions = inbox.of("q")
        assert len(questions) == 1 and questions[0]["i"] == 0 and "dl" in questions[0] and "now" in questions[0]
        assert "c" not in questions[0] and "correct" not in questions[0]

    right = _correct_choice(db, gid, 0)
    # Not any option of the right answer: a multiple-answer question may be picked.
    wrong = [min(set(range(5)) - set(right))]
    ack_a = pa.sc.emit("answer", {"i": 0, "c": right, "id": "a-0"}, namespace=live_sockets.PLAY, callback=True)
    assert ack_a["ok"] and ack_a["i"] == 0 and ack_a["rk"] >= 1 and ack_a["n"] == 2 and "sc" in ack_a
    assert pa.sc.emit("answer", {"i": 0, "c": right, "id": "a-0"}, namespace=live_sockets.PLAY,
                      callback=True)["re"] == 1
    assert _wait(lambda: any(e["a"] == 1 for e in screen.of("live")))
    pb.sc.emit("answer", {"i": 0, "c": wrong, "id": "b-0"}, namespace=live_sockets.PLAY, callback=True)

    # All answered: the question closed at once. Each phone got its own result, once.
    [rv_a], [rv_b] = pa.of("rv"), pb.of("rv")
    assert rv_a["ok"] is True and rv_a["rk"] == 1 and rv_a["pts"] > 500 and rv_a["c"] == right
    assert rv_b["ok"] is False and rv_b["rk"] == 2 and rv_b["gap"] == rv_a["sc"]
    [board] = screen.of("rv")
    assert board["sp"][right[0]] == 1 and [e["nm"] for e in board["top"]] == ["Cáo Nhanh", "Gấu Chậm"]
    time.sleep(pushes.PUSH_DELAY_S + 0.1)  # let any pending coalesced push happen
    for phone in (pa, pb):
        assert phone.of("live") == [] and phone.of("end") == []  # phones never get the frequent updates

    assert hsock.emit("next", {"g": gid}, namespace=live_sockets.HOST, callback=True)["st"] == "question"
    again = pa.sc.emit("answer", {"i": 0, "c": right, "id": "a-new"}, namespace=live_sockets.PLAY, callback=True)
    assert again["ok"] is False and again["error"]["code"] == "already_answered"
    assert hsock.emit("end", {"g": gid}, namespace=live_sockets.HOST, callback=True)["st"] == "ended"
    [end_a] = pa.of("end")
    assert end_a["rk"] == 1 and end_a["pod"][0]["nm"] == "Cáo Nhanh"
    assert screen.of("end")[0]["pod"][0]["sc"] == rv_a["sc"]


def test_rejoin_with_token_restores_score_and_removed_player_is_kicked(app, host, socket_client, game):
    gid = game["id"]
    hsock = socket_client(live_sockets.HOST, host)
    joined = _join(app, game["code"], "Rùa Kiên Trì")
    phone = _player_socket(socket_client, joined["token"])
    hsock.emit("start", {"g": gid}, namespace=live_sockets.HOST, callback=True)
    phone.sc.disconnect(namespace=live_sockets.PLAY)

    again = _player_socket(socket_client, joined["token"])  # the phone slept and came back
    [state] = again.of("state")
    assert state["st"] == "question" and state["q"]["i"] == 0 and state["ans"] is False

    ack = hsock.emit("remove", {"g": gid, "p": joined["player"]["id"]}, namespace=live_sockets.HOST, callback=True)
    assert ack["ok"] and not again.sc.is_connected(live_sockets.PLAY)
    assert [m["name"] for m in again.sc.queue if m["namespace"] == live_sockets.PLAY] == ["kicked"]
    refused = socket_client(live_sockets.PLAY, auth={"token": joined["token"]})
    assert not refused.is_connected(live_sockets.PLAY)


def test_clock_step_closes_expired_questions_and_pushes_reveals(app, host, socket_client, game, monkeypatch):
    gid = game["id"]
    hsock = socket_client(live_sockets.HOST, host)
    joined = _join(app, game["code"], "Ong Vui")
    phone = _player_socket(socket_client, joined["token"])
    hsock.emit("start", {"g": gid}, namespace=live_sockets.HOST, callback=True)
    assert live_clock.clock_step(app, time.time()) == []
    later = time.time() + 21
    monkeypatch.setattr(live_clock, "clock", lambda: later)
    closed = live_clock.clock_step(app, later)
    assert [c["i"] for c in closed] == [0]
    [rv] = phone.of("rv")
    assert rv["ok"] is None and rv["pts"] == 0 and rv["rk"] == 1
    late = phone.sc.emit("answer", {"i": 0, "c": [0], "id": "x"}, namespace=live_sockets.PLAY, callback=True)
    assert late["error"]["code"] == "too_late"


@pytest.mark.parametrize("payload", [None, "x", {"i": "0"}, {"i": 0, "c": "a", "id": "1"},
                                     {"i": 0, "c": [0], "id": 5}, {"i": 0, "c": [99], "id": "z"}])
def test_garbage_answers_get_error_acks_not_crashes(app, host, socket_client, game, payload):
    hsock = socket_client(live_sockets.HOST, host)
    phone = _player_socket(socket_client, _join(app, game["code"], "Sóc Nhỏ")["token"])
    hsock.emit("start", {"g": game["id"]}, namespace=live_sockets.HOST, callback=True)
    ack = phone.sc.emit("answer", payload, namespace=live_sockets.PLAY, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] in ("bad_answer", "bad_choice")
    bad = hsock.emit("pause", {"g": "x"}, namespace=live_sockets.HOST, callback=True)
    assert bad["ok"] is False


def test_badge_join_page_and_rejoin(app, db, make_attendee, game):
    attendee_id, token = make_attendee(nickname="Hổ Dũng Cảm")
    client = app.test_client()
    page = client.get(f"/b/{token}/play?code={game['code']}")
    assert page.status_code == 200 and "Hổ Dũng Cảm" in page.get_data(as_text=True)
    first = client.post(f"/b/{token}/play/join", json={"code": game["code"]})
    second = client.post(f"/b/{token}/play/join", json={"code": game["code"]})
    assert first.status_code == second.status_code == 201
    assert first.get_json()["player"]["id"] == second.get_json()["player"]["id"]
    assert client.get("/b/NOTATOKEN/play").status_code == 404


# ------------------------------------------------- speed and durability (issue 7)

def test_phone_events_borrow_pooled_connections_that_skip_the_fsync(app, host, socket_client, game):
    from games.live import db as live_db

    phone = _player_socket(socket_client, _join(app, game["code"], "Sóc Nhanh")["token"])
    host_sock = socket_client(live_sockets.HOST, host)
    host_sock.emit("start", {"g": game["id"]}, namespace=live_sockets.HOST, callback=True)
    for n in range(3):  # each event gives its connection back: the pool does not grow
        ack = phone.sc.emit("state", namespace=live_sockets.PLAY, callback=True)
        assert ack["ok"] and ack["st"] == "question"
    pool = live_db.pool_for(app)
    assert len(pool._idle) == 1
    [db] = pool._idle
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert live_db.game_synchronous({"GAME_SYNCHRONOUS": "full"}) == "FULL"
    assert live_db.game_synchronous({"GAME_SYNCHRONOUS": "sometimes"}) == "NORMAL"
    assert live_db.game_synchronous({}) == "NORMAL"
    db.conn.execute("BEGIN IMMEDIATE")  # a handler that died mid-transaction
    pool.give(pool.take())
    assert not pool._idle[0].conn.in_transaction


def test_reveal_reaches_the_stage_first_and_the_player_loop_yields(monkeypatch):
    calls = []
    monkeypatch.setattr(live_sockets.socketio, "server", None)  # a manager without emit_each: the loop here
    monkeypatch.setattr(live_sockets.socketio, "emit",
                        lambda event, data, namespace, to: calls.append((namespace, to)))
    monkeypatch.setattr(live_sockets.socketio, "sleep", lambda seconds: calls.append("yield"))
    players = 2 * pushes.YIELD_EVERY + 50
    results = {pid: {"ok": True, "pts": 600, "sc": 600, "rk": pid, "gap": 0, "n": players, "stk": 1}
               for pid in range(1, players + 1)}
    pushes.push_reveal({"game": {"id": 7}, "i": 0, "correct": [1], "spread": [0, players],
                              "answered": players, "top": [], "results": results, "skipped": False,
                              "explain": {}})
    assert calls[:3] == [(live_sockets.SCREEN, "g:7"), (live_sockets.HOST, "g:7"), "yield"]
    to_players = [c for c in calls[3:] if c != "yield"]
    assert to_players == [(live_sockets.PLAY, f"p:{pid}") for pid in range(1, players + 1)]
    assert calls.count("yield") == 1 + players // pushes.YIELD_EVERY


def test_reveal_sends_each_players_result_in_one_batch_after_the_stage(monkeypatch):
    calls = []

    class _Manager:
        def emit_each(self, event, items, namespace):
            calls.append((event, namespace, [room for room, _data in items]))

    class _Server:
        manager = _Manager()

    monkeypatch.setattr(live_sockets.socketio, "server", _Server())
    monkeypatch.setattr(live_sockets.socketio, "emit",
                        lambda event, data, namespace, to: calls.append((namespace, to)))
    monkeypatch.setattr(live_sockets.socketio, "sleep", lambda seconds: calls.append("yield"))
    results = {pid: {"ok": True, "pts": 600, "sc": 600, "rk": pid, "gap": 0, "n": 3, "stk": 1} for pid in (1, 2, 3)}
    pushes.push_reveal({"game": {"id": 7}, "i": 0, "correct": [1], "spread": [0, 3], "answered": 3,
                        "top": [], "results": results, "skipped": False, "explain": {}})
    assert calls == [(live_sockets.SCREEN, "g:7"), (live_sockets.HOST, "g:7"), "yield",
                     ("rv", live_sockets.PLAY, ["p:1", "p:2", "p:3"])]


#: the served async modes: eventlet (the default) and gevent run the same answer writer
WORKERS = ["eventlet", "gevent"]


def _game_on_a_real_hub(tmp_path, players: int, worker: str = "eventlet"):
    """A game with ``players`` walk-ups and its first question open, and a real
    gunicorn hub (``worker``: eventlet or gevent) on its file (not started);
    returns (game, tokens, server)."""
    from games.live import game as live
    from kiosk import create_app
    from kiosk.db import open_db
    from tests.support.live import LiveServer

    instance, database = tmp_path / "instance", tmp_path / "hub.db"
    instance.mkdir()
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database))
    try:
        game = live.create_game(db, bank="core", count=2, host="test", now=time.time(), time_limit=60)
        tokens = [live.join_by_code(db, game["code"], time.time(), nickname=f"Người {n}")["token"]
                  for n in range(players)]
        live.next_question(db, game["id"], time.time())
    finally:
        db.conn.close()
    return game, tokens, LiveServer(instance, database, worker=worker)


def _phone(server, token):
    import socketio as sio

    phone = sio.Client(reconnection=False)
    phone.connect(server.url, namespaces=[live_sockets.PLAY], auth={"token": token},
                  transports=["websocket"], wait_timeout=10)
    return phone


def _stored_after_the_kill(server, game_id: int) -> tuple[dict, int]:
    from kiosk.db import open_db

    db = open_db(str(server.database))
    try:
        stored = {r["client_id"]: r["elapsed_ms"] for r in db.execute("SELECT client_id, elapsed_ms FROM game_answers")}
        answered = db.execute("SELECT answered FROM game_questions WHERE game_id = ? AND idx = 0",
                              [game_id]).fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.conn.close()
    return stored, answered


def _disconnect(phones) -> None:
    for phone in phones:
        try:
            phone.disconnect()
        except Exception:  # noqa: BLE001 - the server is gone; only the client is cleaned up
            pass


@pytest.mark.server
@pytest.mark.parametrize("worker", WORKERS)
def test_answers_acknowledged_survive_a_sigkill_of_the_hub(tmp_path, worker):
    """synchronous=NORMAL for answers: a crash of the hub process loses no acknowledged answer."""
    game, tokens, server = _game_on_a_real_hub(tmp_path, 12, worker)
    server.start()
    phones, acked = [], {}
    try:
        for n, token in enumerate(tokens[:-1]):  # one stays silent: the question must stay open
            phone = _phone(server, token)
            phones.append(phone)
            ack = phone.call("answer", {"i": 0, "c": [0], "id": f"crash-{n}"}, namespace=live_sockets.PLAY,
                             timeout=10)
            assert ack["ok"], ack
            acked[f"crash-{n}"] = ack["ms"]
        server.kill()  # right after the last ack: no flush, no checkpoint, no clean close
    finally:
        _disconnect(phones)
        server.stop()
    stored, answered = _stored_after_the_kill(server, game["id"])
    assert stored == acked and answered == len(acked)


@pytest.mark.server
@pytest.mark.parametrize("worker", WORKERS)
def test_answers_arriving_together_are_stored_before_their_acks(tmp_path, worker):
    """The served hub writes answers that arrive together in chunks (games/live/answers.py),
    under eventlet and gevent alike: every acknowledged one is stored even when the hub
    dies right after the acks, and a refused or repeated answer in the same burst does
    not undo the others."""
    import threading

    game, tokens, server = _game_on_a_real_hub(tmp_path, 41, worker)
    server.start()
    phones, acks, lock, all_in = [], {}, threading.Lock(), threading.Event()
    try:
        phones = [_phone(server, token) for token in tokens[:-1]]  # one stays silent, as above
        bursts = [(n, phone, {"i": 0, "c": [0], "id": f"burst-{n}"}) for n, phone in enumerate(phones)]
        bursts += [("bad", phones[0], {"i": 0, "c": [99], "id": "bad"}),  # not an option (after its good one)
                   ("twice", phones[1], {"i": 0, "c": [1], "id": "twice"})]  # a second answer
        expected = len(bursts)

        def on_ack(key):
            def got(ack):
                with lock:
                    acks[key] = ack
                    if len(acks) == expected:
                        all_in.set()
            return got

        for key, phone, payload in bursts:  # all sent before any ack can come back
            phone.emit("answer", payload, namespace=live_sockets.PLAY, callback=on_ack(key))
        assert all_in.wait(20), f"{len(acks)} of {expected} acks"
        server.kill()
    finally:
        _disconnect(phones)
        server.stop()
    good = {f"burst-{n}": ack["ms"] for n, ack in acks.items() if isinstance(n, int) and ack.get("ok")}
    refused = {key: ack.get("error", {}).get("code") for key, ack in acks.items() if not isinstance(key, int)}
    stored, answered = _stored_after_the_kill(server, game["id"])
    assert len(good) == len(phones)
    assert refused["bad"] in ("bad_choice", "already_answered") and refused["twice"] == "already_answered"
    assert stored == good and answered == len(good)
