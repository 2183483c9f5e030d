"""The hub's addresses on the venue LAN (printed by serve, put in certificates), and the
one address other devices use: every QR code and link meant for another device."""
from __future__ import annotations

import socket

from flask import current_app, g, has_request_context, request, url_for


def lan_addresses() -> list[str]:
    """IPv4 addresses other devices on the venue LAN can use to reach this laptop."""
    found = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(info[4][0])
    except OSError:
        pass
    try:
        # No packet is sent: connecting a UDP socket only picks the outgoing interface.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127."))


# Host names that reach only the laptop they are typed on, and bind addresses that mean
# "every interface" (festival serve's default, 0.0.0.0).
LOOPBACK_HOSTS = ("localhost", "::1")
ALL_INTERFACES = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.") or host.endswith(".localhost")


def _split_host(netloc: str) -> tuple[str, str]:
    """("192.168.1.5", "8000") from "192.168.1.5:8000"; IPv6 "[::1]:8000" keeps its brackets."""
    if netloc.startswith("["):
        host, _sep, rest = netloc.partition("]")
        return host + "]", rest.lstrip(":")
    host, _sep, port = netloc.partition(":")
    return host, port


def device_base_url(default_port: int = 8000) -> tuple[str, bool]:
    """The base URL other devices (tablets, phones, stage screens) use to reach the hub,
    and whether that address works only on this laptop.

    ``PUBLIC_URL`` when set. Otherwise the address this request came in on,
    except that a loopback address (an organiser on the hub laptop itself)
    becomes the hub's first LAN address when the hub listens on every
    interface (``LISTEN_HOST``, set by ``festival serve``; unknown counts as
    every interface). Without a request (a command) the serve port is assumed.
    Worked out once per request: a sheet of 2,000 badges asks 2,000 times.
    """
    if not has_request_context():
        return _device_base_url(default_port)
    config = current_app.config
    key = (config.get("PUBLIC_URL"), config.get("LISTEN_HOST"), default_port)
    cache = g.setdefault("device_base_urls", {})
    if key not in cache:
        cache[key] = _device_base_url(default_port)
    return cache[key]


def _device_base_url(default_port: int) -> tuple[str, bool]:
    app = current_app
    configured = app.config.get("PUBLIC_URL")
    if configured:
        return str(configured).rstrip("/"), False
    if has_request_context():
        scheme = request.scheme
        host, port = _split_host(request.host)
    else:
        scheme, host, port = "http", "127.0.0.1", str(default_port)
    if is_loopback(host):
        listen = app.config.get("LISTEN_HOST")
        lan = lan_addresses() if listen is None or str(listen).strip("[]") in ALL_INTERFACES else []
        if not lan:
            return f"{scheme}://{host}{':' + port if port else ''}", True
        host = lan[0]
    return f"{scheme}://{host}{':' + port if port else ''}", False


def device_url(endpoint: str, **values) -> str:
    """An absolute URL of ``endpoint`` for another device (see :func:`device_base_url`)."""
    return device_base_url()[0] + url_for(endpoint, **values)
