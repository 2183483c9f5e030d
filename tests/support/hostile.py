"""A hostile websocket client for tests and benchmarks: raw Engine.IO
websocket upgrades that never join a namespace, from a chosen loopback
source address (any 127.x.y.z reaches a hub bound to 127.0.0.1)."""
from __future__ import annotations

import base64
import os
import socket


def upgrade(port: int, source: str = "127.0.0.1", headers: dict | None = None,
            timeout: float = 5.0) -> tuple[int, socket.socket | None]:
    """Open ``/socket.io/?EIO=4&transport=websocket`` and return (HTTP status,
    the open socket when it was upgraded, else None)."""
    sock = socket.socket()
    sock.settimeout(timeout)
    try:
        sock.bind((source, 0))
        sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
        sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      f"Sec-WebSocket-Version: 13\r\n{extra}\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    except OSError:
        sock.close()
        return 0, None
    if status != 101:
        sock.close()
        return status, None
    return status, sock


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
