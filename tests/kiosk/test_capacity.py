"""One setting for a big game (issue 21): GAME_MAX_PLAYERS alone sizes the socket
cap, the staff reserve, gunicorn's worker connections and the open-file limit;
``festival serve`` says what it allows and refuses what it cannot serve."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from kiosk import capacity, create_app
from kiosk.cli import main as festival
from kiosk.ops import serving


def test_the_default_cap_keeps_the_figures_used_before():
    allowed = capacity.derive({})
    assert (allowed.players, allowed.sockets, allowed.staff_reserve, allowed.worker_connections) == \
        (3000, 3400, 200, 4000)


@pytest.mark.parametrize("players", [500, 2000, 6000, 20000])
def test_the_connection_limit_follows_the_player_cap(players):
    allowed = capacity.derive({"GAME_MAX_PLAYERS": players})
    assert allowed.sockets > players  # a full game, plus stage screens and phones reconnecting
    assert allowed.worker_connections > allowed.sockets + allowed.staff_reserve  # and HTTP beside them
    assert allowed.open_files > allowed.worker_connections
    assert capacity.problems(allowed, allowed.open_files) == []


def test_explicit_settings_win_and_an_inconsistent_one_is_named():
    allowed = capacity.derive({"GAME_MAX_PLAYERS": 6000, "SOCKET_MAX_OPEN": 5000, "SOCKET_STAFF_RESERVE": 50})
    assert (allowed.sockets, allowed.staff_reserve) == (5000, 50)
    [problem] = capacity.problems(allowed, 10 ** 6)
    assert "SOCKET_MAX_OPEN (5000)" in problem and "GAME_MAX_PLAYERS (6000)" in problem
    with pytest.raises(ValueError):
        capacity.derive({"GAME_MAX_PLAYERS": "many"})


def test_too_few_open_files_says_what_to_do():
    allowed = capacity.derive({"GAME_MAX_PLAYERS": 6000})
    [problem] = capacity.problems(allowed, 1024)
    assert f"ulimit -n {allowed.open_files}" in problem and "FESTIVAL_GAME_MAX_PLAYERS" in problem


def test_the_app_derives_the_socket_caps_it_admits_with(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path / "i"), "DATABASE": str(tmp_path / "f.db"),
                      "ASYNC_MODE": "threading", "GAME_MAX_PLAYERS": 6000})
    admission = app.extensions["socketio"].server.festival_admission
    assert admission.max_open == app.config["SOCKET_MAX_OPEN"] == 6600
    assert admission.staff_reserve == app.config["SOCKET_STAFF_RESERVE"] == 400


@pytest.fixture
def serve(tmp_path, monkeypatch):
    """Run ``festival serve`` with gunicorn stood in for; returns (result, argv)."""
    captured = {}
    monkeypatch.setattr(serving, "exec_gunicorn", lambda argv: captured.setdefault("argv", argv))
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "instance"))
    for leaked in ("FESTIVAL_DATABASE", "FESTIVAL_ASYNC_MODE", "FESTIVAL_NODE_ROLE", "FESTIVAL_MESSAGE_QUEUE"):
        monkeypatch.setenv(leaked, "")  # the command exports these: restored after the test
        monkeypatch.delenv(leaked)
    monkeypatch.setenv("FESTIVAL_ASYNC_MODE", "threading")

    def run(*args):
        result = CliRunner().invoke(festival, ["serve", "--db", str(tmp_path / "f.db"), *args])
        return result, captured.get("argv")
    return run


def test_serve_sizes_gunicorn_from_the_player_cap_alone(serve, monkeypatch):
    monkeypatch.setenv("FESTIVAL_GAME_MAX_PLAYERS", "6000")
    result, argv = serve()
    assert result.exit_code == 0, result.output
    allowed = capacity.derive({"GAME_MAX_PLAYERS": 6000})
    assert argv[argv.index("--worker-connections") + 1] == str(allowed.worker_connections)
    assert "Sức chứa: 6000 người chơi mỗi trò chơi" in result.output
    assert "Capacity: 6000 players per game, 6600 sockets" in result.output
    assert f"{allowed.worker_connections} worker connections" in result.output


def test_serve_refuses_a_game_it_could_not_serve(serve, monkeypatch):
    monkeypatch.setenv("FESTIVAL_GAME_MAX_PLAYERS", "6000")
    monkeypatch.setattr(capacity, "open_file_limit", lambda wanted: 1024)
    result, argv = serve()
    assert result.exit_code != 0 and argv is None
    assert "ulimit -n" in result.output

    monkeypatch.setenv("FESTIVAL_SOCKET_MAX_OPEN", "2000")
    result, argv = serve()
    assert result.exit_code != 0 and argv is None and "SOCKET_MAX_OPEN (2000)" in result.output
