"""gunicorn settings for `festival serve` (passed by file path with ``-c``).

Loaded by gunicorn's master before anything else, by path rather than as
``kiosk.ops.gunicorn_conf``: importing the ``kiosk`` package would import
Flask before eventlet patches the standard library, and eventlet then prints
a traceback per patched object. So this file imports nothing of the project
at load time.

- eventlet's 8-line deprecation banner (printed when the worker class imports
  eventlet) and cryptography's DSA deprecation (dnspython, through eventlet)
  are silenced, as the CLI does for its own process: the choice of eventlet
  and the way off it (``--async-mode gevent``) are documented (gunicorn's own
  eventlet notice is dropped by kiosk.ops.accesslog.RedactingLogger);
- with the eventlet worker, eventlet patches the standard library here, first;
- once the worker has loaded the app, its WSGI errors stream drops eventlet's
  "socket shutdown error: [Errno 9] Bad file descriptor" (a browser that went
  away; see :class:`kiosk.ops.serving.QuietClosedSockets`). Other errors stay.
"""
import sys
import warnings

from cryptography.utils import CryptographyDeprecationWarning

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
# cryptography 51 deprecates DSA; dnspython, imported by eventlet, touches its DSA classes.
warnings.filterwarnings("ignore", message=r"(?s).*\bDSA\b", category=CryptographyDeprecationWarning)


def _worker_class(argv: list[str]) -> str | None:
    """The ``-k`` value of gunicorn's command line (kiosk.ops.serving.gunicorn_argv always gives one)."""
    for i, arg in enumerate(argv):
        if arg in ("-k", "--worker-class") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--worker-class="):
            return arg.split("=", 1)[1]
    return None


if _worker_class(sys.argv) == "eventlet":
    import eventlet

    eventlet.monkey_patch()


def post_worker_init(worker):
    # Imported here: the app (and so the kiosk package) is loaded by now.
    from kiosk.ops.serving import QuietClosedSockets

    worker.wsgi = QuietClosedSockets(worker.wsgi)
