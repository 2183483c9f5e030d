"""A minimal Socket.IO client over a raw asyncio websocket, for load generation.

Only what the benchmarks need: Engine.IO 4 over the websocket transport (no
polling), namespace connect with an auth payload, events with and without
acknowledgements, server pings. Small enough that one process can drive a
thousand clients without the client becoming the bottleneck; needs nothing
beyond the standard library.
"""
from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import struct
from typing import Callable


class ConnectError(Exception):
    """The websocket handshake or a namespace connection was refused."""


def _mask(payload: bytes) -> bytes:
    """Client frames must be masked; XOR on one big integer is fast in CPython."""
    key = os.urandom(4)
    n = len(payload)
    repeated = (key * (n // 4 + 1))[:n]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big") if n else b""
    return key + masked


def _frame(text: str, opcode: int = 1) -> bytes:
    data = text.encode()
    n = len(data)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + _mask(data)


class SioClient:
    """One Socket.IO connection. ``on_event(namespace, event, data)`` sees every event."""

    def __init__(self, host: str, port: int, on_event: Callable | None = None, path: str = "/socket.io/",
                 source: str | None = None):
        self.host, self.port, self.path = host, port, path
        self.source = source  # the local address to connect from (a phone's own, bench/firstvisit.py)
        self.on_event = on_event or (lambda ns, event, data: None)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self._acks: dict[int, asyncio.Future] = {}
        self._connected: dict[str, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._task: asyncio.Task | None = None
        self.closed = asyncio.Event()

    async def open(self, timeout: float = 20.0) -> None:
        """Open the websocket and wait for Engine.IO's open packet. Raises ConnectError."""
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=1 << 20,
                                    local_addr=(self.source, 0) if self.source else None), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET {self.path}?EIO=4&transport=websocket HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                   f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                   f"Sec-WebSocket-Version: 13\r\n\r\n")
        self.writer.write(request.encode())
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectError(head[:200].decode(errors="replace"))
        first = await asyncio.wait_for(self._read_message(), timeout)
        if not first or first[0] != "0":
            raise ConnectError(f"unexpected Engine.IO open packet {first!r}")
        self._task = asyncio.get_running_loop().create_task(self._read_loop())

    async def join(self, namespace: str = "/", auth: dict | None = None, timeout: float = 20.0) -> dict:
        """Connect to a namespace; returns the server's connect payload. Raises ConnectError."""
        future = asyncio.get_running_loop().create_future()
        self._connected[namespace] = future
        prefix = "" if namespace == "/" else f"{namespace},"
        self._send("40" + prefix + (json.dumps(auth) if auth else ""))
        return await asyncio.wait_for(future, timeout)

    def emit(self, namespace: str, event: str, data=None, ack: bool = False) -> asyncio.Future | None:
        """Send an event; with ``ack`` return a future resolved with the acknowledgement."""
        prefix = "" if namespace == "/" else f"{namespace},"
        args = json.dumps([event] if data is None else [event, data], separators=(",", ":"))
        if not ack:
            self._send("42" + prefix + args)
            return None
        ident = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._acks[ident] = future
        self._send("42" + prefix + str(ident) + args)
        return future

    def _send(self, text: str) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(_frame(text))

    async def _read_message(self) -> str | None:
        """One complete text message (joins fragments; answers websocket pings)."""
        parts: list[bytes] = []
        while True:
            b1, b2 = await self.reader.readexactly(2)
            opcode, n = b1 & 0x0F, b2 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await self.reader.readexactly(n) if n else b""
            if opcode == 8:
                return None
            if opcode == 9:
                self.writer.write(_frame(payload.decode(errors="replace"), opcode=10))
                continue
            if opcode == 10:
                continue
            parts.append(payload)
            if b1 & 0x80:
                return b"".join(parts).decode()

    async def _read_loop(self) -> None:
        try:
            while True:
                message = await self._read_message()
                if message is None:
                    break
                self._dispatch(message)
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.closed.set()
            for future in list(self._acks.values()) + list(self._connected.values()):
                if not future.done():
                    future.set_exception(ConnectError("connection closed"))

    def _dispatch(self, message: str) -> None:
        kind = message[0]
        if kind == "2":  # Engine.IO ping: answer at once or the server drops us
            self._send("3")
            return
        if kind != "4" or len(message) < 2:
            return
        packet, body = message[1], message[2:]
        namespace = "/"
        if body.startswith("/"):
            namespace, _, body = body.partition(",")
        digits = ""
        while body and body[0].isdigit():
            digits, body = digits + body[0], body[1:]
        if packet == "0":
            future = self._connected.pop(namespace, None)
            if future and not future.done():
                future.set_result(json.loads(body) if body else {})
        elif packet == "4":
            future = self._connected.pop(namespace, None)
            if future and not future.done():
                future.set_exception(ConnectError(body))
        elif packet == "2":
            args = json.loads(body)
            self.on_event(namespace, args[0], args[1] if len(args) > 1 else None)
        elif packet == "3" and digits:
            future = self._acks.pop(int(digits), None)
            if future and not future.done():
                args = json.loads(body)
                future.set_result(args[0] if args else None)

    async def close(self) -> None:
        if self.writer is not None:
            try:
                self.writer.write(_frame("1"))  # Engine.IO close
                self.writer.close()
            except (ConnectionError, OSError, RuntimeError):
                pass
        if self._task is not None:
            self._task.cancel()
