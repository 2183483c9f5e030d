"""CSRF protection, security headers and simple rate limits."""
from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from functools import wraps

from flask import current_app, request, session

from .errors import ServiceError

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# No inline script anywhere ('self' only); wasm-unsafe-eval lets the vendored
# QR decoder compile its WebAssembly. Inline style attributes are allowed:
# they cannot run code, and pages set widths and colours with them.
CSP = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def csrf_token() -> str:
    token = session.get("_csrf")
    if not token:
        token = session["_csrf"] = secrets.token_urlsafe(32)
    return token


def csrf_exempt(view):
    """Mark a view as not needing a CSRF token (bearer-token APIs only)."""
    view._csrf_exempt = True
    return view


def check_csrf() -> None:
    """Refuse a state-changing request that relies on cookies without a CSRF token.

    Requests authenticated by an Authorization header carry no ambient
    credential, so a forged cross-site request cannot use them.
    """
    if request.method not in UNSAFE_METHODS or current_app.config.get("CSRF_DISABLED"):
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "_csrf_exempt", False):
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get("_csrf", "")
    # compare bytes: compare_digest refuses non-ASCII str, and a forged token may be anything
    if not expected or not hmac.compare_digest(str(sent).encode("utf-8", "replace"), expected.encode()):
        raise ServiceError(
            "csrf_failed",
            "This form has expired. Please reload the page and try again.",
            status=400,
        )


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # Badge tokens appear in URLs (/b/<token>): never leak them in a Referer.
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


class RateLimiter:
    """Sliding-window counter per (bucket, key). In memory: limits are about
    slowing down guessing on this hub, not state that must survive a restart."""

    def __init__(self):
        self._hits: dict[tuple, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str, limit: int, per: float = 60.0) -> bool:
        """Record one attempt; return False when the limit is already reached."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits[(bucket, key)]
            while hits and hits[0] <= now - per:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


def client_address() -> str:
    return request.remote_addr or "unknown"


def rate_limit(bucket: str, limit: int | None = None, per: float = 60.0, key: str | None = None):
    """Raise a 429 ServiceError when this client exceeded ``limit`` per ``per`` seconds."""
    limiter: RateLimiter = current_app.extensions["festival_ratelimiter"]
    if limit is None:
        limit = current_app.config["LOGIN_RATE_LIMIT"]
    if not limiter.hit(bucket, key or client_address(), limit, per):
        raise ServiceError(
            "rate_limited",
            "Too many attempts. Please wait a minute and try again.",
            status=429,
        )


def rate_limited(bucket: str, limit: int | None = None, per: float = 60.0):
    """Decorator form of :func:`rate_limit` (only unsafe methods count)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in UNSAFE_METHODS:
                rate_limit(bucket, limit, per)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def init_app(app) -> None:
    app.extensions["festival_ratelimiter"] = RateLimiter()
    app.before_request(check_csrf)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
