"""``python -m bench --async-mode gevent`` starts the hub with the gevent worker
(eventlet stays the default); an unknown mode is refused."""
from __future__ import annotations

import pytest

from bench import server
from bench.__main__ import parse_args


def test_async_mode_defaults_to_eventlet_and_takes_gevent():
    assert parse_args([]).async_mode == "eventlet"
    assert parse_args(["--async-mode", "gevent"]).async_mode == "gevent"
    with pytest.raises(SystemExit):
        parse_args(["--async-mode", "threads"])


def test_the_hub_runs_the_chosen_worker(tmp_path, monkeypatch):
    monkeypatch.setattr(server, "ASYNC_MODE", "gevent")
    cmd, _health = server.Server("hub", tmp_path)._command()
    assert cmd[cmd.index("-k") + 1] == "gevent"
    baseline, _health = server.Server("baseline", tmp_path)._command()
    assert baseline[baseline.index("-k") + 1] == "eventlet"  # the bare-insert baseline is not the hub


def test_festival_serve_gets_the_chosen_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(server, "ASYNC_MODE", "gevent")
    cmd, _health = server.Server("festival", tmp_path, database=tmp_path / "f.db")._command()
    assert cmd[cmd.index("--async-mode") + 1] == "gevent"
