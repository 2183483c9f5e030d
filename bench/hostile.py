"""Part 6: hostile clients (issue 13). One hub, three phases in the same run:

- *quiet*: desk scans (``POST /api/scans``, closed-loop keep-alive clients)
  and a ``/healthz`` probe, nobody else;
- *hostile sockets*: the same, while one client address (127.0.0.66) opens
  as many idle Engine.IO websocket upgrades as it can, holds them, joins no
  namespace and opens new ones as the hub closes or refuses them;
- *flooding socket*: the same, while one socket on ``/desk`` sends events
  back to back without waiting for answers, reconnecting when cut off.

Figures: scan and ``/healthz`` p99 of each phase, and the ratios to the quiet
phase. Loopback only; counts and time bounded by the mode.
"""
from __future__ import annotations

import base64
import http.client
import multiprocessing
import os
import secrets
import socket
import threading
import time
from pathlib import Path

from kiosk.config import DEFAULTS

from . import dataset, httpload
from .server import Server
from .stats import ratio, summary_ms

HOSTILE_ADDRESS = "127.0.0.66"
FLOOD_ADDRESS = "127.0.0.67"


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


def _upgrade(port: int, source: str, headers: dict | None = None) -> socket.socket | None:
    """:func:`upgrade`'s socket, non-blocking, when it got 101; else None."""
    _status, sock = upgrade(port, source, headers, timeout=10)
    if sock is not None:
        sock.setblocking(False)
    return sock


def _frame(text: str) -> bytes:
    """One masked client text frame."""
    data = text.encode()
    mask = os.urandom(4)
    n = len(data)
    head = bytes([0x81]) + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big"))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _alive(sock: socket.socket) -> bool:
    try:
        data = sock.recv(65536)
        return bool(data) and data[:1] != b"\x88"
    except BlockingIOError:
        return True
    except OSError:
        return False


def _hostile(port: int, want: int, stop_at: float, out) -> None:
    """Hold up to ``want`` idle upgrades from one address until ``stop_at``."""
    held: list[socket.socket] = []
    opened = refused = peak = 0
    last_prune = time.monotonic()
    while time.time() < stop_at:
        if len(held) < want:
            sock = _upgrade(port, HOSTILE_ADDRESS)
            if sock is None:
                refused += 1
                time.sleep(0.005)
            else:
                opened += 1
                held.append(sock)
        else:
            time.sleep(0.05)
        if time.monotonic() - last_prune > 1.0:
            alive = [s for s in held if _alive(s)]
            for s in held:
                if s not in alive:
                    s.close()
            held, last_prune = alive, time.monotonic()
            peak = max(peak, len(held))  # counted after pruning: the ones the hub still keeps open
    for s in held:
        s.close()
    out.put({"opened": opened, "refused": refused, "peak_held": peak})


FLOOD_EVENTS_PER_S = 3000


def _flooder(port: int, credential: str, stop_at: float, out) -> None:
    """One /desk socket sending ``counters`` events, FLOOD_EVENTS_PER_S of them
    (the issue's "thousands a second"; unbounded, the sender alone would take
    a core of the machine the hub runs on); reconnects when cut off."""
    sent = connections = 0
    event = _frame('42/desk,1["counters"]')
    began = time.monotonic()
    while time.time() < stop_at:
        sock = _upgrade(port, FLOOD_ADDRESS, {"Authorization": f"Bearer {credential}"})
        if sock is None:
            time.sleep(0.05)
            continue
        connections += 1
        sock.setblocking(True)
        sock.settimeout(2)
        try:
            sock.sendall(_frame("40/desk,"))
            while time.time() < stop_at:
                ahead = sent / FLOOD_EVENTS_PER_S - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)
                sock.sendall(event * 20)
                sent += 20
                sock.setblocking(False)
                try:  # drain what the hub answers so its writes never block on us
                    while sock.recv(65536):
                        pass
                except BlockingIOError:
                    pass
                sock.setblocking(True)
        except OSError:
            pass
        sock.close()
    out.put({"events_sent": sent, "connections": connections})


def _probe(port: int, stop_at: float, out: list) -> None:
    """``GET /healthz`` one after another, 20 ms apart."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.time() < stop_at:
        began = time.perf_counter()
        try:
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            out.append(time.perf_counter() - began)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(0.02)
    conn.close()


def _phase(server: Server, credential: str, tokens: list[str], cfg: dict, attacker=None) -> dict:
    clients, duration = cfg["reference_concurrency"], cfg["hostile_duration_s"]
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = None
    if attacker is not None:
        target, args, ramp = attacker
        proc = ctx.Process(target=target, args=(*args, time.time() + ramp + duration + 3, queue))
        proc.start()
        time.sleep(ramp)
    health: list[float] = []
    probe = threading.Thread(target=_probe, args=(server.port, time.time() + duration + 1, health))
    probe.start()
    bodies = [{"id": "h" + secrets.token_hex(10), "text": t, "station": "bench"} for t in tokens]
    load = httpload.run(server.port, "/api/scans", {"Authorization": f"Bearer {credential}"},
                        [bodies[i::clients] for i in range(clients)], duration)
    probe.join()
    out = {"scans": load.summary(), "healthz": summary_ms(health)}
    if proc is not None:
        proc.join(timeout=duration + ramp + 30)
        out["attacker"] = queue.get(timeout=5) if not queue.empty() else {}
        if proc.is_alive():
            proc.kill()
    return out


def run(cfg: dict, workdir: Path, log=print) -> dict:
    per_phase = cfg["max_requests"]
    db = dataset.new_database(workdir / "hostile.db")
    dataset.add_attendees(db, per_phase * 3 + 100)
    desk = dataset.add_device(db)
    flood_desk = dataset.add_device(db)
    tokens = dataset.unchecked_tokens(db, per_phase * 3 + 100)
    db.conn.close()
    phases = {}
    with Server("hub", workdir, database=workdir / "hostile.db") as server:
        httpload.run(server.port, "/api/scans", {"Authorization": f"Bearer {desk}"},
                     [[{"id": "w" + secrets.token_hex(8), "text": t} for t in tokens[:20]]], 3, processes=1)
        tokens = tokens[20:]
        plan = [("quiet", None),
                ("hostile sockets", (_hostile, (server.port, cfg["hostile_sockets"]), cfg["hostile_ramp_s"])),
                ("flooding socket", (_flooder, (server.port, flood_desk), 1.0))]
        for i, (name, attacker) in enumerate(plan):
            chunk = tokens[i * per_phase:(i + 1) * per_phase]
            phases[name] = _phase(server, desk, chunk, cfg, attacker)
            p = phases[name]
            log(f"  {name}: scans p99 {p['scans']['p99_ms']} ms ({p['scans']['per_s']}/s), "
                f"/healthz p99 {p['healthz']['p99_ms']} ms {p.get('attacker', '')}")
        errors = server.errors_in_log()[:5]
    d = DEFAULTS
    return {"phases": phases, "server_errors": errors, "goals": goals(phases),
            "settings": {"per_address": d["SOCKET_MAX_PER_ADDRESS"],
                         "unjoined_per_address": d["SOCKET_MAX_UNJOINED_PER_ADDRESS"],
                         "join_timeout_s": d["SOCKET_JOIN_TIMEOUT"], "event_rate": d["SOCKET_EVENT_RATE"],
                         "event_burst": d["SOCKET_EVENT_BURST"], "flood_limit": d["SOCKET_FLOOD_LIMIT"]}}


def goals(phases: dict) -> list[dict]:
    quiet = phases["quiet"]
    out = []
    for name in ("hostile sockets", "flooding socket"):
        p = phases[name]
        scan = ratio(p["scans"]["p99_ms"], quiet["scans"]["p99_ms"])
        health = ratio(p["healthz"]["p99_ms"], quiet["healthz"]["p99_ms"])
        out.append({"goal": f"desk scan p99 with {name} ≤ 2× the quiet hub's", "figure": scan,
                    "unit": "× quiet", "met": scan is not None and scan <= 2})
        out.append({"goal": f"/healthz p99 with {name} ≤ 2× the quiet hub's (or under 50 ms)", "figure": health,
                    "unit": "× quiet", "met": health is not None and (health <= 2 or p["healthz"]["p99_ms"] < 50)})
    return out
