"""A hostile websocket client for tests: raw Engine.IO websocket upgrades
that never join a namespace, from a chosen loopback source address (any
127.x.y.z reaches a hub bound to 127.0.0.1). The upgrade itself is the
benchmark's (bench/hostile.py; bench does not import tests)."""
from __future__ import annotations

import socket

from bench.hostile import upgrade

__all__ = ["upgrade", "is_closed", "hold"]


def is_closed(sock: socket.socket, wait: float = 0.2) -> bool:
    """True when the server closed the connection (EOF or a close frame)."""
    sock.settimeout(wait)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
            if any(byte == 0x88 for byte in data[:1]):  # a websocket close frame
                return True
    except socket.timeout:
        return False
    except OSError:
        return True


def hold(port: int, count: int, source: str) -> list[socket.socket]:
    """Up to ``count`` idle upgraded sockets from ``source`` (stops at the first refusal)."""
    held = []
    for _ in range(count):
        status, sock = upgrade(port, source)
        if sock is None:
            break
        held.append(sock)
    return held
