"""Fixtures for real-server tests: a real Redis server on loopback for the
tests of the message queue (edge nodes, big games)."""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from tests.support.live import free_port

REDIS = shutil.which("redis-server")


@pytest.fixture(scope="module")
def redis_url():
    if REDIS is None:
        pytest.skip("redis-server is not installed (.ci/run installs it: apt-get install redis-server)")
    import redis

    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
