"""The hub's addresses on the venue LAN (printed by serve, put in certificates)."""
from __future__ import annotations

import socket


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
