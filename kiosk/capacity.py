"""What one hub process can hold, derived from one setting: GAME_MAX_PLAYERS.

An organiser raising the players per game should not have to know that the
open-socket cap (``SOCKET_MAX_OPEN``, kiosk/admission.py), the staff reserve
above it, gunicorn's ``--worker-connections`` and the process's open-file
limit must all move with it. Here they follow from the cap:

- sockets = players + max(400, players / 10): the game's phones, stage
  screens and phones reconnecting (an old socket not yet timed out);
- staff reserve = max(200, players / 15): desks, kiosks and hosts still get
  in when the phones have filled the sockets;
- worker connections = sockets + reserve + max(400, players / 10) for the
  HTTP requests (page loads, joins, desk scans) alongside the sockets;
- open files = worker connections + 256 (the database, logs, the queue).

The default cap (3,000) gives exactly the figures used before (3,400 sockets,
200 reserve, 4,000 worker connections). ``SOCKET_MAX_OPEN`` and
``SOCKET_STAFF_RESERVE`` set explicitly still win; :func:`problems` says
when they cannot serve a full game, and ``festival serve`` refuses to start.
"""
from __future__ import annotations

import resource
from dataclasses import dataclass

DEFAULT_PLAYERS = 3000  # players per game unless GAME_MAX_PLAYERS says otherwise (docs/games.md)
SPARE_FILES = 256


@dataclass(frozen=True)
class Capacity:
    players: int  # per game
    sockets: int  # SOCKET_MAX_OPEN
    staff_reserve: int  # SOCKET_STAFF_RESERVE
    worker_connections: int  # gunicorn --worker-connections
    open_files: int  # the open-file limit this needs

    def lines(self, file_limit: int, processes: int = 1) -> tuple[str, str]:
        """What start-up prints: one line in Vietnamese, one in English."""
        spread = (f"; {processes} tiến trình" if processes > 1 else "",
                  f"; {processes} processes" if processes > 1 else "")
        return (f"  Sức chứa: {self.players} người chơi mỗi trò chơi, {self.sockets} kết nối socket "
                f"(+{self.staff_reserve} dành cho nhân viên), {self.worker_connections} kết nối mỗi tiến trình, "
                f"giới hạn tệp mở {file_limit}{spread[0]}",
                f"  Capacity: {self.players} players per game, {self.sockets} sockets "
                f"(+{self.staff_reserve} kept for staff), {self.worker_connections} worker connections, "
                f"open-file limit {file_limit}{spread[1]}")


def _setting(config, key: str) -> int | None:
    value = config.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key} must be a whole number above 0, not {value!r}")
    return value


def players_per_game(config) -> int:
    """GAME_MAX_PLAYERS, else :data:`DEFAULT_PLAYERS` (a bad value raises ValueError)."""
    return _setting(config, "GAME_MAX_PLAYERS") or DEFAULT_PLAYERS


def derive(config) -> Capacity:
    """The capacity ``config`` asks for: explicit socket settings win, the rest follow the cap."""
    players = players_per_game(config)
    sockets = _setting(config, "SOCKET_MAX_OPEN") or players + max(400, players // 10)
    reserve = _setting(config, "SOCKET_STAFF_RESERVE") or max(200, players // 15)
    connections = sockets + reserve + max(400, players // 10)
    return Capacity(players, sockets, reserve, connections, connections + SPARE_FILES)


def apply(config) -> Capacity:
    """Fill SOCKET_MAX_OPEN and SOCKET_STAFF_RESERVE in ``config`` where they are unset."""
    try:
        capacity = derive(config)
    except ValueError:
        capacity = derive({})  # a bad setting is reported by ``festival serve``; the app keeps the defaults
    if not config.get("SOCKET_MAX_OPEN"):
        config["SOCKET_MAX_OPEN"] = capacity.sockets
    if not config.get("SOCKET_STAFF_RESERVE"):
        config["SOCKET_STAFF_RESERVE"] = capacity.staff_reserve
    return capacity


def problems(capacity: Capacity, file_limit: int) -> list[str]:
    """Why a full game cannot be served as configured (empty when it can), each with what to do."""
    found = []
    if capacity.sockets < capacity.players:
        found.append(f"SOCKET_MAX_OPEN ({capacity.sockets}) is below GAME_MAX_PLAYERS ({capacity.players}): "
                     f"phones past {capacity.sockets} would be refused. Raise it or leave it unset "
                     f"(it then follows GAME_MAX_PLAYERS).")
    if file_limit < capacity.open_files:
        found.append(f"the open-file limit is {file_limit} but {capacity.players} players per game need "
                     f"{capacity.open_files}: run 'ulimit -n {capacity.open_files}' (or raise the hard limit "
                     f"in /etc/security/limits.conf) before 'festival serve', or lower FESTIVAL_GAME_MAX_PLAYERS.")
    return found


def open_file_limit(wanted: int) -> int:
    """Raise this process's soft open-file limit towards ``wanted`` (up to the hard limit); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft
