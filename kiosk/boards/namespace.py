"""``/public``: the namespace stage screens subscribe to boards on."""
from __future__ import annotations

import re

from flask import current_app, request
from flask_socketio import join_room, leave_room

from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.realtime import StaffNamespace, socketio
from kiosk.realtime_adapter import rooms_of

from .compute import compute_board
from .publisher import NAMESPACE, get_publisher

MAX_SUBSCRIPTIONS = 16
BOARD_ID = re.compile(r"^(overall|schools|classes|[a-z]{3,20}|[a-z]+:[0-9]{1,9})$")


def parse_board_ids(data) -> list[str]:
    """Board ids from a ``subscribe`` payload. Raises ServiceError ``bad_board``."""
    boards = data.get("boards") if isinstance(data, dict) else None
    if not isinstance(boards, list) or len(boards) > MAX_SUBSCRIPTIONS or not all(
            isinstance(b, str) and BOARD_ID.match(b) for b in boards):
        raise ServiceError("bad_board", "Unknown board.")
    return list(dict.fromkeys(boards))


class PublicNamespace(StaffNamespace):
    """``/public``: stage screens (paired stage devices, stage links, admins).

    ``subscribe {boards: [...]}`` replaces the screen's board rooms and answers
    with the current payload of each, so a (re)connecting screen is current at
    once; afterwards ``board`` events arrive when a board changes.
    """

    roles = ("stage",)

    def joined(self, principal, auth) -> None:
        if principal.kind == "stage_link":
            join_room(f"stage_link:{principal.id}")
        publisher = get_publisher()
        if not current_app.testing or current_app.config.get("BOARD_PUBLISHER_THREAD"):
            publisher.start()

    def on_subscribe(self, data=None):
        boards = parse_board_ids(data)
        db = get_db()
        payloads = []
        for board_id in boards:
            payload = compute_board(db, board_id)
            if payload is None:
                raise ServiceError("bad_board", "Unknown board.")
            payloads.append(payload)
        for room in rooms_of(socketio.server, request.sid, NAMESPACE):
            if room.startswith("board:") and room[6:] not in boards:
                leave_room(room)
        publisher = get_publisher()
        for board_id, payload in zip(boards, payloads):
            join_room(f"board:{board_id}")
            publisher.remember(board_id, payload)
        return {"ok": True, "boards": payloads}

