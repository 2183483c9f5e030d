"""Garbage collection for a long-running hub with many live objects (issue 17).

With 2,000 phones connected the hub holds a few hundred thousand live
objects (sockets, queues, greenlets). CPython's default thresholds (700, 10,
10) then ran a full collection every 2–3 s, each one stopping the whole
worker for 250–290 ms while it walked every one of them. Here:

- ``gc.freeze()`` once the app is built: modules, the app, templates and
  routes move to the permanent generation and are never walked again;
- a larger youngest generation (fewer collections) and a middle generation
  that is collected every ``GEN1`` young ones;
- full collections are rare (``GEN2`` middle collections, and CPython's own
  rule that the long-lived objects must have grown by a quarter first);
- ``gc.freeze()`` again every ``FREEZE_EVERY_S``: the youngest generation
  then holds only what survived the last quarter second. CPython counts a
  generation's size as allocations minus deallocations, and a deallocation of
  an *old* object (an eventlet timer cancelled long ago, a Socket.IO packet)
  counts too: with 2,000 phones the youngest generation held 65,000–74,000
  objects when its counter said 10,000 (mostly eventlet's Timer, Timeout and
  Waiter of each phone's send queue, and tuples), and each young collection
  stopped the worker for 73–139 ms. Freezing every second, the longest young
  collection while playing fell to 32–51 ms and the collector's total time
  to a third (bench, 2,000 phones). With 5,000 phones a second's survivors
  still took up to 212 ms to walk; every quarter second, 60 ms;
- frozen objects are never collected, so cyclic garbage frozen with them
  waits: every ``THAW_EVERY_S`` the heap is unfrozen, fully collected once
  and frozen again. That full collection stops the worker for about 0.5 s
  with 2,000 phones connected (measured: 479–518 ms), so it waits while more
  than ``QUIET_SOCKETS`` sockets are open (a big game is on), up to
  ``THAW_AT_MOST_S``.

Only a served hub is tuned (``GC_TUNE``, set by ``festival serve``), never a
test's app. ``GC_STATS=path`` also records every collection's pause and the
event loop's lag (a task that sleeps 10 ms and notes how late it wakes) into
``path`` as JSON at most once a second; the benchmark reads it.
"""
from __future__ import annotations

import gc
import json
import os
import time

from .realtime import socketio

GEN0, GEN1, GEN2 = 10_000, 5, 100
FREEZE_EVERY_S = 0.25
THAW_EVERY_S = 600.0
THAW_AT_MOST_S = 3_600.0
QUIET_SOCKETS = 200
PROBE_S = 0.010
KEEP = 2_000  # pauses over NOTE_MS and lags over LAG_NOTE_MS kept with their time, newest last
NOTE_MS = 5.0
LAG_NOTE_MS = 20.0
FROZEN_EVERY_S = 30.0


def tune() -> None:
    """Freeze what exists now and set the thresholds (see the module docstring)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0, GEN1, GEN2)


class Recorder:
    """Times every collection (``gc.callbacks``) and the event loop's lag."""

    def __init__(self, path: str):
        self.path = path
        self.started = self.started_cpu = 0.0
        self.gc = {"count": 0, "total_ms": 0.0, "max_ms": 0.0, "max_cpu_ms": 0.0,
                   "by_gen": {"0": 0, "1": 0, "2": 0}}
        self.lag = {"count": 0, "max_ms": 0.0, "total_ms": 0.0}
        self.pauses: list[list] = []  # [epoch s, wall ms, generation, CPU ms, objects collected]
        self.lags: list[list] = []  # [epoch s, ms]
        self.changed = True
        self.frozen, self.frozen_at = 0, float("-inf")

    def on_gc(self, phase: str, info: dict) -> None:
        """Wall time is the pause everyone waited; CPU time is the collector's own
        cost (on a busy machine the wall time also holds other processes' turns)."""
        if phase == "start":
            self.started, self.started_cpu = time.perf_counter(), time.thread_time()
            return
        ms = (time.perf_counter() - self.started) * 1000
        cpu_ms = (time.thread_time() - self.started_cpu) * 1000
        gen = info.get("generation", 0)
        self.gc["count"] += 1
        self.gc["total_ms"] += ms
        self.gc["max_ms"] = max(self.gc["max_ms"], ms)
        self.gc["max_cpu_ms"] = max(self.gc["max_cpu_ms"], cpu_ms)
        self.gc["by_gen"][str(gen)] = self.gc["by_gen"].get(str(gen), 0) + 1
        self.changed = True
        if ms >= NOTE_MS:
            self.pauses.append([time.time(), round(ms, 2), gen, round(cpu_ms, 2), info.get("collected", 0)])
            del self.pauses[:-KEEP]

    def probe(self) -> None:
        """Background task: sleep 10 ms, note how late it woke; write the file each second."""
        written = time.monotonic()
        while True:
            began = time.perf_counter()
            socketio.sleep(PROBE_S)
            late = max(0.0, (time.perf_counter() - began - PROBE_S) * 1000)
            self.lag["count"] += 1
            self.lag["total_ms"] += late
            if late > self.lag["max_ms"]:
                self.lag["max_ms"] = late
                self.changed = True
            if late >= LAG_NOTE_MS:
                self.lags.append([time.time(), round(late, 2)])
                del self.lags[:-KEEP]
                self.changed = True
            if time.monotonic() - written >= 1.0:
                written = time.monotonic()
                if self.changed:
                    self.changed = False
                    self.write()

    def write(self) -> None:
        """The whole record as JSON. The frozen count is refreshed at most every
        FROZEN_EVERY_S: ``gc.get_freeze_count()`` walks every frozen object (about a
        million with 2,000 phones, 60 ms), which each second cost the measured worker 8 %."""
        if time.monotonic() - self.frozen_at >= FROZEN_EVERY_S:
            self.frozen, self.frozen_at = gc.get_freeze_count(), time.monotonic()
        data = {"pid": os.getpid(), "at": time.time(), "thresholds": gc.get_threshold(),
                "frozen": self.frozen, "gc": self.gc, "lag": self.lag,
                "pauses": self.pauses, "lags": self.lags}
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, self.path)
        except OSError:  # a stats file must never break the hub
            pass


def init_app(app) -> None:
    """Last step of create_app: tune when serving; record when asked."""
    path = app.config.get("GC_STATS")
    if isinstance(path, str) and path:
        recorder = Recorder(path)
        gc.callbacks.append(recorder.on_gc)
        socketio.start_background_task(recorder.probe)
    if app.config.get("GC_TUNE") and not app.testing:
        tune()
        socketio.start_background_task(freezer, lambda: _open_sockets(socketio))


def _open_sockets(sio) -> int:
    """Sockets open on this process (kiosk/admission.py counts them)."""
    admission = getattr(sio.server, "festival_admission", None)
    return admission.total if admission is not None else 0


def freezer(open_sockets=lambda: 0, rounds: int | None = None) -> None:
    """Background task of a tuned hub: freeze every FREEZE_EVERY_S; every
    THAW_EVERY_S, once at most QUIET_SOCKETS sockets are open (or after
    THAW_AT_MOST_S regardless), unfreeze, collect everything and freeze again
    (see the module docstring). ``rounds`` stops it (tests)."""
    thawed = time.monotonic()
    while rounds is None or rounds > 0:
        socketio.sleep(FREEZE_EVERY_S)
        since = time.monotonic() - thawed
        if since >= THAW_AT_MOST_S or (since >= THAW_EVERY_S and open_sockets() <= QUIET_SOCKETS):
            gc.unfreeze()
            gc.collect()
            thawed = time.monotonic()
        gc.freeze()
        if rounds is not None:
            rounds -= 1
