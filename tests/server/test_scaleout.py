"""Scale-out: a hub and an edge node on one real Redis message queue.

A scan on the hub reaches a stage screen connected to the edge node; a live
game question reaches players on both nodes, and a phone on the edge node
answers (its write lands in the shared SQLite file)."""
from __future__ import annotations


import pytest
import requests

from checkin.attendees import NewAttendee, create_attendee
from kiosk import create_app
from kiosk.db import now, open_db
from kiosk.devices.service import create_device, pair_device
from tests.support.live import free_port
from tests.support.recording import RecordingClient, hub_and_edge

pytestmark = [pytest.mark.redis, pytest.mark.server]



@pytest.fixture(scope="module")
def cluster(tmp_path_factory, redis_url):
    """A festival file, a hub and an edge node sharing it and the message queue
    (one cluster for the module: starting two servers is the slow part)."""
    tmp_path = tmp_path_factory.mktemp("cluster")
    instance, database = tmp_path / "instance", tmp_path / "hub.db"
    instance.mkdir()
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    db = open_db(str(database))
    try:
        creds = {}
        db.execute("INSERT INTO zones (slug, name_vi, name_en, points, cooldown_s, created_at) "
                   "VALUES ('ar', 'Khu AR', 'AR zone', 25, 0, ?)", [now()])
        db.conn.commit()
        zone_id = db.execute("SELECT id FROM zones WHERE slug = 'ar'").fetchone()[0]
        for role in ("desk", "zone", "stage", "host"):
            _id, code = create_device(db, f"{role} node test", role, zone_id if role == "zone" else None, "test")
            creds[role] = pair_device(db, code)[2]
        attendee_id, token = create_attendee(
            db, NewAttendee(full_name="Vũ Hải Yến", age_band="16-17", nickname="Mây Hồng",
                            consent_child=True, consent_public=True), "walkin", "test", check_consents=False)
    finally:
        db.conn.close()
    with hub_and_edge(instance, database, redis_url) as (hub, edge):
        yield {"hub": hub, "edge": edge, "creds": creds, "token": token, "attendee_id": attendee_id}


def bearer(cred: str) -> dict:
    return {"Authorization": f"Bearer {cred}"}


def scan(node, cred: str, scan_id: str, text: str) -> dict:
    response = requests.post(node.url + "/api/scans", json={"id": scan_id, "text": text},
                             headers=bearer(cred), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_scan_on_the_hub_reaches_a_stage_screen_on_the_edge(cluster):
    hub, edge, creds = cluster["hub"], cluster["edge"], cluster["creds"]
    auth = {"token": creds["stage"]}
    # The only screen is on the edge: the hub must push although none of its own clients watch.
    screens = [RecordingClient(edge.url, "/public", auth, ("board",))]
    try:
        for screen in screens:
            ack = screen.call("subscribe", {"boards": ["overall"]})
            assert ack["ok"] and ack["boards"][0]["board"] == "overall"
        scan(hub, creds["desk"], "scaleout-desk-0001", cluster["token"])
        answer = scan(hub, creds["zone"], "scaleout-zone-0001", cluster["token"])
        assert answer["points_awarded"] == 25

        def shows_points(event, data):
            return event == "board" and data["board"] == "overall" and any(
                r["name_vi"] == "Mây Hồng" and r["score"] == 25 for r in data["rows"])

        for screen in screens:
            assert screen.first(shows_points), screen.received
    finally:
        for screen in screens:
            screen.close()
    assert not edge.errors_in_log() and not hub.errors_in_log()


def test_a_live_question_reaches_players_on_both_nodes(cluster):
    hub, edge, creds = cluster["hub"], cluster["edge"], cluster["creds"]
    created = requests.post(hub.url + "/host/api/games", json={"bank": "core", "count": 2, "mode": "speed"},
                            headers=bearer(creds["host"]), timeout=10)
    assert created.status_code == 201, created.text
    game = created.json()["game"]
    phones = {}
    for name, node in (("hub", hub), ("edge", edge)):
        joined = requests.post(node.url + "/play/join", json={"code": game["code"], "nickname": f"Sóc {name}"},
                               timeout=10)
        assert joined.status_code == 201, joined.text
        phones[name] = RecordingClient(node.url, "/play", {"token": joined.json()["token"]}, ("state", "q", "rv"))
    host = RecordingClient(hub.url, "/host", {"token": creds["host"]}, ("q",))
    try:
        for phone in phones.values():
            assert phone.first(lambda e, d: e == "state")
        started = host.call("start", {"g": game["id"]})
        assert started["ok"], started
        questions = {name: phone.first(lambda e, d: e == "q" and d["i"] == 0) for name, phone in phones.items()}
        assert questions["hub"] and questions["edge"], {n: p.received for n, p in phones.items()}
        assert questions["hub"][1]["p"] == questions["edge"][1]["p"]

        # The phone on the edge answers: the write goes to the shared festival file.
        ack = phones["edge"].call("answer", {"i": 0, "c": [0], "id": "edge-answer-0001"})
        assert ack["ok"], ack
        db = open_db(str(hub.database))
        try:
            stored = db.execute("SELECT p.nickname FROM game_answers a JOIN players p ON p.id = a.player_id "
                                "WHERE a.client_id = 'edge-answer-0001'").fetchall()
        finally:
            db.conn.close()
        assert [r[0] for r in stored] == ["Sóc edge"]
    finally:
        for listener in (*phones.values(), host):
            listener.close()
    assert not edge.errors_in_log() and not hub.errors_in_log()


def test_the_edge_runs_no_game_clock_or_backups(cluster, tmp_path):
    """The edge serves pages and sockets but leaves background writers to the hub."""
    edge = cluster["edge"]
    health = requests.get(edge.url + "/healthz", timeout=10).json()
    assert health["ok"] is True and health["hub"]  # the edge answers, and says which hub it serves
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(edge.database),
                      "ASYNC_MODE": "threading", "NODE_ROLE": "edge", "BACKUP_DIR": str(tmp_path),
                      "GAME_CLOCK": True})
    from kiosk.realtime import is_hub

    assert not is_hub(app) and "festival_backups" not in app.extensions
    from games.live.clock import ensure_clock

    ensure_clock(app)
    assert not app.extensions.get("games_clock")


def test_serve_and_node_commands_join_the_queue(redis_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from kiosk.ops import node, serving
    from kiosk.cli import main as festival

    calls = []
    monkeypatch.setattr(serving, "exec_gunicorn", lambda argv: calls.append(("exec", argv)))
    monkeypatch.setattr(node, "apply_environment", lambda env: calls.append(("env", env)))
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "instance"))
    for leaked in ("FESTIVAL_DATABASE", "FESTIVAL_ASYNC_MODE", "FESTIVAL_NODE_ROLE", "FESTIVAL_MESSAGE_QUEUE"):
        # The commands export these; setenv first so monkeypatch restores the original state.
        monkeypatch.setenv(leaked, "")
        monkeypatch.delenv(leaked)
    database = tmp_path / "f.db"
    runner = CliRunner()
    result = runner.invoke(festival, ["serve", "--db", str(database), "--message-queue", redis_url,
                                      "--async-mode", "threading"])
    assert result.exit_code == 0, result.output
    assert ("env", {"FESTIVAL_NODE_ROLE": "hub", "FESTIVAL_MESSAGE_QUEUE": redis_url}) in calls

    calls.clear()
    result = runner.invoke(festival, ["node", "--hub-db", str(database), "--message-queue", redis_url,
                                      "--port", "8101"])
    assert result.exit_code == 0, result.output
    [env] = [c[1] for c in calls if c[0] == "env"]
    assert env["FESTIVAL_NODE_ROLE"] == "edge" and env["FESTIVAL_MESSAGE_QUEUE"] == redis_url
    assert env["FESTIVAL_DATABASE"] == str(database.resolve())
    [argv] = [c[1] for c in calls if c[0] == "exec"]
    assert "0.0.0.0:8101" in argv and "kiosk:create_app()" in argv

    dead = f"redis://127.0.0.1:{free_port()}/0"
    for args in (["node", "--hub-db", str(database), "--message-queue", "amqp://x"],
                 ["node", "--hub-db", str(database), "--message-queue", dead],
                 ["serve", "--db", str(database), "--message-queue", dead]):
        calls.clear()
        result = runner.invoke(festival, args)
        assert result.exit_code != 0 and not [c for c in calls if c[0] == "exec"], args
