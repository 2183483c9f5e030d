"""Phones on the phone processes of ``festival serve --workers N`` (issue 21):
the join answer names the process, on the host name the phone used; a phone
process accepts sockets from the festival's own origins only; the command
starts the hub and the phone processes with one queue."""
from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from kiosk import phones
from kiosk.cli import main as festival
from kiosk.ops import serving, workers


def test_without_phone_processes_the_socket_stays_on_the_page():
    assert phones.socket_address({}, "http", "10.0.0.2:8000", 7) is None
    assert phones.origin_check({}) is None


def test_each_player_is_given_one_phone_process_on_the_host_it_used():
    config = {"PHONE_PORTS": [8001, 8002, 8003], "HUB_PORT": 8000}
    seen = {phones.socket_address(config, "http", "192.168.1.10:8000", key) for key in range(30)}
    assert seen == {f"http://192.168.1.10:{p}" for p in (8001, 8002, 8003)}
    assert phones.socket_address(config, "https", "hub.local", 4) == "https://hub.local:8002"
    assert phones.socket_address(config, "http", "[::1]:8000", 3) == "http://[::1]:8001"
    assert phones.socket_address(config, "http", "x:8000", 5) == phones.socket_address(config, "http", "x:8000", 5)


@pytest.mark.parametrize("origin, ok", [
    ("http://192.168.1.10:8000", True), ("http://192.168.1.10:8002", True), ("https://192.168.1.10:8000", True),
    ("http://192.168.1.10:9000", False), ("http://evil.example:8000", False), ("http://192.168.1.10", False),
    (None, False), ("javascript:alert(1)", False), ("http://192.168.1.10:99999", False)])
def test_a_phone_process_accepts_the_festivals_own_origins_only(origin, ok):
    allowed = phones.origin_check({"PHONE_PORTS": [8001, 8002], "HUB_PORT": 8000})
    assert allowed(origin, {"HTTP_HOST": "192.168.1.10:8001"}) is ok


def test_workers_takes_a_number_or_auto():
    assert workers.worker_count("auto") >= 1
    assert workers.worker_count("3") == 3
    for bad in ("0", "x", "65"):
        with pytest.raises(click.BadParameter):
            workers.worker_count(bad)
    assert workers.phone_ports(8000, 3) == [8001, 8002] and workers.phone_ports(8000, 1) == []


def test_serve_with_workers_starts_the_hub_and_the_phone_processes(tmp_path, monkeypatch):
    started = {}
    monkeypatch.setattr(serving, "exec_gunicorn", lambda argv: started.setdefault("exec", argv))
    monkeypatch.setattr(workers, "start_redis", lambda ping: ("redis-process", "redis://127.0.0.1:6399/0"))
    monkeypatch.setattr(workers, "supervise", lambda commands, extra: started.update(commands=commands,
                                                                                     extra=extra) or 0)
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "instance"))
    for leaked in ("FESTIVAL_DATABASE", "FESTIVAL_ASYNC_MODE", "FESTIVAL_NODE_ROLE", "FESTIVAL_MESSAGE_QUEUE"):
        monkeypatch.setenv(leaked, "")  # the command exports these: restored after the test
        monkeypatch.delenv(leaked)
    monkeypatch.setenv("FESTIVAL_ASYNC_MODE", "threading")
    result = CliRunner().invoke(festival, ["serve", "--workers", "3", "--port", "8200", "--db", str(tmp_path / "f.db")])
    assert result.exit_code == 0, result.output
    assert "exec" not in started and started["extra"] == ["redis-process"]
    (hub_argv, hub_env), *phone_processes = started["commands"]
    assert "0.0.0.0:8200" in hub_argv and hub_env["FESTIVAL_NODE_ROLE"] == "hub"
    assert [argv[argv.index("--bind") + 1] for argv, _env in phone_processes] == ["0.0.0.0:8201", "0.0.0.0:8202"]
    for _argv, env in started["commands"]:
        assert env["FESTIVAL_MESSAGE_QUEUE"] == "redis://127.0.0.1:6399/0"
        assert json.loads(env["FESTIVAL_PHONE_PORTS"]) == [8201, 8202] and env["FESTIVAL_HUB_PORT"] == "8200"
        assert env["FESTIVAL_DATABASE"] == str((tmp_path / "f.db").resolve())
    assert {env["FESTIVAL_NODE_ROLE"] for _argv, env in phone_processes} == {"edge"}
    assert hub_env["FESTIVAL_SERVED"] == "true" and {env["FESTIVAL_SERVED"] for _a, env in phone_processes} == {"false"}
    assert "3 processes" in result.output and "phones' sockets on port(s) 8201, 8202" in result.output


def test_workers_without_redis_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(workers.shutil, "which", lambda name: None)
    with pytest.raises(click.ClickException, match="install redis-server"):
        workers.start_redis(lambda url: None)
