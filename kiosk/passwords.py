"""Checking a staff password without stopping the hub.

A password hash (werkzeug's scrypt) costs tens of milliseconds of CPU on
purpose. Under eventlet or gevent the hub's one worker is one OS thread, so
a hash computed there stops every desk and kiosk for that long; a stream of
wrong passwords would stop them for good. So with those async modes the
hash is checked by a short-lived child process (``python -I``, werkzeug
only) that the worker waits for with the async mode's sleep. In threading
mode every request has its own OS thread, and hashlib releases the GIL while
it hashes, so the check runs in place. The hub limits how many hashes it
runs a minute (kiosk/security.py, ``LOGIN_HASHES_PER_MINUTE``), and an
unknown username costs no hash at all (:func:`pause_like_a_hash`).
"""
from __future__ import annotations

import subprocess
import sys
import time

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash

CHILD_TIMEOUT_S = 20
_POLL_S = 0.01
# stdin: the stored hash, a newline, the password; exit 0 when they match.
_CHILD = ("import sys\n"
          "from werkzeug.security import check_password_hash\n"
          "stored, password = sys.stdin.buffer.read().decode('utf-8', 'surrogatepass').split('\\n', 1)\n"
          "sys.exit(0 if check_password_hash(stored, password) else 1)\n")


_HASH_SECONDS: list[float] = []


def pause_like_a_hash(sleep=None) -> float:
    """Wait as long as one password check takes, without computing one: an
    unknown username is answered after the same time as a known one, at no
    CPU cost (a hash per guessed username would let guessers spend the
    worker). The duration is measured once. Returns the seconds waited."""
    if not _HASH_SECONDS:
        from werkzeug.security import generate_password_hash  # (once: only to measure)

        stored = generate_password_hash("measure")
        started = time.perf_counter()
        check_password_hash(stored, "not it")
        _HASH_SECONDS.append(time.perf_counter() - started)
    _sleep(sleep)(_HASH_SECONDS[0])
    return _HASH_SECONDS[0]


def _sleep(sleep):
    if sleep is not None:
        return sleep
    # The app's Flask-SocketIO (kiosk.realtime imports kiosk.auth, so not imported here).
    socketio = current_app.extensions.get("socketio") if has_app_context() else None
    return socketio.sleep if socketio is not None and socketio.server is not None else time.sleep


def verify(stored: str, password: str, sleep=None, in_child: bool | None = None) -> bool:
    """True when ``password`` matches the ``stored`` werkzeug hash.

    ``in_child`` None: a child process when the app's async mode is eventlet
    or gevent, in place otherwise. ``sleep`` defaults to the async mode's
    (Socket.IO's) sleep. A child that fails or hangs counts as no match.
    """
    if in_child is None:
        mode = current_app.config.get("ASYNC_MODE") if has_app_context() else "threading"
        in_child = mode in ("eventlet", "gevent")
    if not in_child:
        return check_password_hash(stored, password)
    return _verify_in_child(stored, password, _sleep(sleep))


def _verify_in_child(stored: str, password: str, sleep) -> bool:
    data = (stored + "\n" + password).encode("utf-8", "surrogatepass")
    # A few hundred bytes: the pipe takes them at once, so writing never blocks.
    proc = subprocess.Popen([sys.executable, "-I", "-c", _CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc.stdin.write(data)
    proc.stdin.close()
    deadline = time.monotonic() + CHILD_TIMEOUT_S
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            return False
        sleep(_POLL_S)
    return proc.returncode == 0
