"""Push this hub's bundle to the national hub when online (``festival serve --national URL``).

A background task (``socketio.start_background_task``, started only in a
served worker) wakes every ``TICK_S``. When the report changed (a check-in,
a visit, points, a reward, a game's end) and ``NATIONAL_PUSH_EVERY_S`` passed
since the last push, it builds the bundle and POSTs it to
``URL/api/national/bundles``. The bundle's id and sequence make the push
idempotent: the national hub counts a bundle once and keeps the newest, so a
retry after a lost answer is harmless. A failed push is retried with
exponential backoff (``BACKOFF_S`` doubling up to ``MAX_BACKOFF_S``); an
offline hub just keeps trying and its bundle stays exportable for a USB stick.
"""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from kiosk.db import app_connection, get_setting, set_setting, transaction
from kiosk.errors import ServiceError
from kiosk.realtime import socketio
from kiosk.signals import checked_in, game_ended, points_changed, reward_changed, zone_visited

from . import bundle
from .views import hub_bundle

TICK_S = 5
BACKOFF_S = 10
MAX_BACKOFF_S = 600
TIMEOUT_S = 30
ACKED_KEY = "national_push_acked"


def http_post(url: str, data: bytes, headers: dict) -> tuple[int, dict]:
    """POST and return (status, JSON answer); status 0 when the hub is unreachable."""
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 (the organiser's URL)
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}
    except (OSError, ValueError):
        return 0, {}


class Pusher:
    """Sends the bundle after a change, at most every ``every_s``; backs off on failure."""

    def __init__(self, app, url: str, code: str | None = None, every_s: float = 180, post=http_post,
                 clock=time.monotonic):
        self.app = app
        self.url = url.rstrip("/") + "/api/national/bundles"
        self.code = code
        self.every_s = every_s
        self.post = post
        self.clock = clock
        self.dirty = True  # push once at start
        self.last = None
        self.failures = 0
        self.next_try = 0.0
        self.last_result: dict = {}

    def mark(self, _sender=None, **_kwargs) -> None:
        self.dirty = True

    def due(self) -> bool:
        moment = self.clock()
        if self.failures:
            return moment >= self.next_try
        return self.dirty and (self.last is None or moment - self.last >= self.every_s)

    def push_once(self) -> dict:
        """Build and send the bundle now (unless the national hub already has it)."""
        self.dirty = False
        self.last = self.clock()
        with self.app.app_context(), app_connection(self.app) as db:
            try:
                made = hub_bundle(db, self.app)
            except ServiceError as exc:
                return self._failed({"result": "not_ready", "error": exc.code})
            if get_setting(db, ACKED_KEY) == made["bundle_id"]:
                self.failures = 0
                self.last_result = {"result": "unchanged"}
                return self.last_result
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if self.code:
                headers["X-Pairing-Code"] = self.code
            status, answer = self.post(self.url, bundle.encode(made, compress=True), headers)
            if status == 200 and answer.get("ok"):
                with transaction(db):
                    set_setting(db, ACKED_KEY, made["bundle_id"])
                self.failures = 0
                self.last_result = answer
                return answer
        return self._failed({"result": "failed", "status": status, "error": answer.get("error")})

    def _failed(self, result: dict) -> dict:
        self.failures += 1
        self.dirty = True
        self.next_try = self.clock() + min(MAX_BACKOFF_S, BACKOFF_S * 2 ** (self.failures - 1))
        self.last_result = result
        self.app.logger.warning("national push: %s", result)
        return result

    def run(self, rounds: int | None = None) -> None:
        while rounds is None or rounds > 0:
            if self.due():
                try:
                    self.push_once()
                except Exception:  # noqa: BLE001 a broken push must not end the loop
                    self.app.logger.exception("national push failed")
                    self._failed({"result": "error"})
            socketio.sleep(TICK_S)
            if rounds is not None:
                rounds -= 1


def make_pusher(app) -> Pusher:
    pusher = Pusher(app, app.config["NATIONAL_URL"], app.config.get("NATIONAL_PAIRING_CODE"),
                    float(app.config.get("NATIONAL_PUSH_EVERY_S") or 180))
    for signal in (checked_in, zone_visited, points_changed, reward_changed, game_ended):
        signal.connect(pusher.mark, weak=False)
    app.extensions["festival_national_pusher"] = pusher
    return pusher


def init_app(app) -> None:
    """Start the pusher in a served worker (``SERVED``, set by ``festival serve``) given NATIONAL_URL."""
    if app.config.get("NATIONAL_URL") and app.config.get("SERVED") and not app.testing:
        socketio.start_background_task(make_pusher(app).run)
