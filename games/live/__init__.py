"""Live hosted games: the server-timed state machine (``game``), its
connection pool (``db``), the answer writer (``answers``), the ``/play``,
``/host`` and ``/gamescreen`` namespaces (``sockets``), the pusher
(``pushes``), the clock (``clock``), snapshots and counters (``snapshots``),
results (``results``) and the pages (``views``)."""
from __future__ import annotations

from . import board, views


def init_app(app) -> None:
    views.init_app(app)  # /host, /host/screen/<id>, /play, sockets, the clock
    board.init_app(app)  # the stage board game:<id>
