"""Fixtures for the games: a bare game database, a host device and its game."""
from __future__ import annotations

import pytest

from games.quiz import questions
from kiosk.db import migrate, open_db
from tests.support.http import post_json


@pytest.fixture
def gdb(tmp_path):
    """A migrated festival database with the shipped question banks, no app needed."""
    database = open_db(str(tmp_path / "game.db"), "OFF")
    migrate(database)
    questions.sync_shipped(database)
    yield database
    database.conn.close()


@pytest.fixture
def host(device_client):
    return device_client("host")


@pytest.fixture
def game(host):
    """A 2-question speed game in its lobby, made through the host's API."""
    response = post_json(host, "/host/api/games", {"bank": "core", "count": 2, "mode": "speed",
                                                   "streak": False, "time_limit": 20})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["game"]
