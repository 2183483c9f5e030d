"""The access log without secrets: badge tokens, pairing codes and stage
links travel in URL paths (``/b/<token>``, ``/pair/<code>``, ``/s/<token>``,
``/api/quiz/phone/<token>/…``), and whoever holds one of them holds that
badge, device pairing or stage screen. gunicorn logs through
:class:`RedactingLogger` (``festival serve`` passes ``--logger-class``), which
writes them as ``…``; :func:`redact_path` is the rule.

Static files answered 2xx or 304 are not logged: a crowd of phones arriving
would write two such lines each and bury what the log is for, and writing
them was a tenth of the hub's CPU during the arrival (issue 21).
"""
from __future__ import annotations

import re

from gunicorn.glogging import Logger

REDACTED = "…"
# A path segment after one of these prefixes is a secret.
_SECRET_SEGMENT = re.compile(r"(/(?:b|pair|s|api/quiz/phone)/)[^/?#\s]+", re.IGNORECASE)
# The same inside a query string (e.g. ?next=/b/TOKEN), percent-encoded.
_SECRET_QUERY = re.compile(r"(%2F(?:b|pair|s|api%2Fquiz%2Fphone)%2F)[^%&#\s]+", re.IGNORECASE)


def redact_path(text: str | None) -> str | None:
    """``text`` (a path, URL or request line) with every badge token, pairing
    code and stage-link token replaced by ``…``."""
    if not text:
        return text
    return _SECRET_QUERY.sub(r"\1" + REDACTED, _SECRET_SEGMENT.sub(r"\1" + REDACTED, text))


# gunicorn 25 logs this at every worker start; the eventlet choice and the way off it
# (--async-mode gevent) are documented (docs/operations.md), and a newcomer reads it as an error.
EVENTLET_NOTICE = "The eventlet worker is DEPRECATED"


def worth_logging(path: str, status: int) -> bool:
    """False for a static file served (2xx) or revalidated (304); errors are always logged."""
    return not (path.startswith("/static/") and (200 <= status < 300 or status == 304))


class RedactingLogger(Logger):
    """gunicorn's logger with the request line, path, query and referrer redacted, without
    gunicorn's eventlet deprecation notice (:data:`EVENTLET_NOTICE`) and without the lines
    of static files served (:func:`worth_logging`)."""

    def warning(self, msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith(EVENTLET_NOTICE):
            return None
        return super().warning(msg, *args, **kwargs)

    def access(self, resp, req, environ, request_time):
        status = getattr(resp, "status_code", None)
        if isinstance(status, int) and not worth_logging(environ.get("PATH_INFO", ""), status):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{query_string}e",
                    "{request_uri}e", "{http_referer}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_path(atoms[key])
        return atoms
