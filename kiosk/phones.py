"""Phones' sockets on the phone processes of ``festival serve --workers N``.

With N processes on one machine (kiosk/ops/workers.py), the hub keeps the
staff (desks, zone kiosks, hosts, stage screens, admin) and N-1 phone
processes, on the ports after the hub's, hold the phones' ``/play`` sockets.
Every process serves the pages and files and answers a join; the join answer
names the process the phone opens its socket on (:func:`socket_address`),
always the same one for a player, on the host name the phone used.

Phones' sockets are websocket-only (static/js/player.js), so no sticky
session is needed; the browser sends the page's origin (the hub's port) to a
phone process on another port, which :func:`origin_check` accepts for the
same host name on one of the festival's own ports only. The page's CSP
already allows ``ws:``/``wss:`` in connect-src.

Settings (filled in by ``festival serve --workers``, docs/operations.md):
PHONE_PORTS, the phone processes' ports, and HUB_PORT.
"""
from __future__ import annotations

from urllib.parse import urlsplit


def phone_ports(config) -> list[int]:
    """The phone processes' ports (empty: phones' sockets stay on the process that served the join)."""
    ports = config.get("PHONE_PORTS") or []
    if isinstance(ports, int) and not isinstance(ports, bool):
        ports = [ports]
    if not isinstance(ports, (list, tuple)):
        return []
    return [p for p in ports if isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536]


def _hostname(host: str) -> str:
    """``request.host`` without its port (``[::1]:8000`` → ``[::1]``)."""
    if host.startswith("["):
        return host[:host.index("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def socket_address(config, scheme: str, host: str, key: int) -> str | None:
    """Where the phone of player ``key`` opens its ``/play`` socket, as ``scheme://host:port``;
    None when this festival runs one process (the page's own origin)."""
    ports = phone_ports(config)
    if not ports:
        return None
    return f"{scheme}://{_hostname(host)}:{ports[key % len(ports)]}"


def origin_check(config):
    """Engine.IO's ``cors_allowed_origins`` for a phone process: an origin on the same host
    name as the request, on the hub's port or a phone process's; None without phone processes
    (Engine.IO's default: the same origin only)."""
    ports = set(phone_ports(config))
    if not ports:
        return None
    hub = config.get("HUB_PORT")
    if isinstance(hub, int):
        ports.add(hub)

    def allowed(origin, environ=None) -> bool:
        if not origin or environ is None:
            return False
        try:
            parts = urlsplit(origin)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return False
        wanted = urlsplit(f"//{environ.get('HTTP_HOST', '')}").hostname
        return parts.scheme in ("http", "https") and parts.hostname == wanted and port in ports

    return allowed
