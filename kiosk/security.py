"""CSRF protection, security headers and simple rate limits."""
from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from urllib.parse import urlsplit

from flask import current_app, request, session
from flask.sessions import SecureCookieSessionInterface

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
        # A staff route asked with no credential at all: say that (401), not
        # "this form has expired". kiosk.auth registers the check (it imports us).
        missing_credential = current_app.extensions.get("festival_credential_check")
        if missing_credential is not None and view is not None:
            missing_credential(view)
        raise ServiceError(
            "csrf_failed",
            "This form has expired. Please reload the page and try again.",
            status=400,
        )


def safe_next(target, default: str) -> str:
    """``target`` when it is a path on this site, else ``default``: for
    ``next=`` parameters. Refuses anything a browser could read as another
    site: ``//host``, a scheme, backslashes (``/\\host``), and control
    characters or whitespace that browsers drop (``/%09/host`` becomes
    ``//host``); CR/LF could not go into a Location header anyway."""
    if not isinstance(target, str) or not target.startswith("/") or len(target) > 2000:
        return default
    if any(ch < " " or ch == "\x7f" or ch == "\\" for ch in target):
        return default
    if target.startswith("//") or urlsplit(target).scheme or urlsplit(target).netloc:
        return default
    return target


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

    def blocked(self, bucket: str, key: str, limit: int, per: float = 60.0) -> bool:
        """True when ``limit`` attempts are already recorded in the window
        (records nothing: for counting only failures, see :func:`record_failure`)."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.get((bucket, key))
            while hits and hits[0] <= now - per:
                hits.popleft()
            return bool(hits) and len(hits) >= limit

    def record(self, bucket: str, key: str) -> None:
        with self._lock:
            self._hits[(bucket, key)].append(time.monotonic())

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


def check_failures(bucket: str, keys, limit: int | None = None, per: float = 60.0) -> None:
    """Raise the 429 of :func:`rate_limit` when any of ``keys`` (e.g. the
    client address and the username) has ``limit`` failures recorded in the
    last ``per`` seconds. Successes are never counted: a desk team signing in
    together is not a brute-force attack."""
    limiter: RateLimiter = current_app.extensions["festival_ratelimiter"]
    if limit is None:
        limit = current_app.config["LOGIN_RATE_LIMIT"]
    if any(limiter.blocked(bucket, key, limit, per) for key in keys):
        raise ServiceError(
            "rate_limited",
            "Too many attempts. Please wait a minute and try again.",
            status=429,
        )


# An address where staff signed in lately keeps its sign-ins when the hash budget is spent.
TRUSTED_FOR_S = 12 * 3600


def check_hash_budget(address: str, key: str) -> None:
    """Before a password hash for the login ``key`` (username and address):
    the first attempt of a key without failures in the last minute is always
    hashed, so the right password is never refused because others failed;
    a key that failed lately, unless its address had a staff sign-in within
    12 hours (:func:`trust_address`), spends one of the hub's
    ``LOGIN_HASHES_PER_MINUTE``, and gets a 429 ``login_busy`` when they are
    spent: guessers together cannot keep the worker from desks and staff."""
    limiter: RateLimiter = current_app.extensions["festival_ratelimiter"]
    if not limiter.blocked("login", key, 1) or limiter.blocked("login_ok", address, 1, TRUSTED_FOR_S):
        return
    if not limiter.hit("password_hashes", "all", int(current_app.config["LOGIN_HASHES_PER_MINUTE"])):
        raise ServiceError("login_busy", "The hub is busy checking sign-ins. Please wait a minute and try again.",
                           status=429)


def trust_address(address: str) -> None:
    """Remember that staff signed in from ``address`` (see :func:`check_hash_budget`)."""
    current_app.extensions["festival_ratelimiter"].record("login_ok", address)


def record_failure(bucket: str, keys) -> None:
    """Count one failed attempt against each of ``keys``."""
    limiter: RateLimiter = current_app.extensions["festival_ratelimiter"]
    for key in keys:
        limiter.record(bucket, key)


# --- the Host header ----------------------------------------------------------
# Flask builds every URL (url_for, even relative ones) from a URL adapter bound
# to the request's Host. A Host it cannot bind (a label over 63 characters, an
# empty label, a bad xn-- label, a port beyond 65535) leaves no adapter, and
# then even the error page fails. Such a request is refused before Flask sees
# it, with a fixed text that builds no URL.

_HOST_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_IPV6 = re.compile(r"^\[[0-9A-Fa-f:.]{2,45}\]$")
BAD_HOST_BODY = ("Yêu cầu không hợp lệ: tên máy chủ (Host) sai.\n"
                 "Bad request: the Host header is not valid.\n").encode("utf-8")


def valid_host(host: str) -> bool:
    """A Host header value Flask can build URLs from: a DNS name (labels of
    1-63 letters, digits, ``-`` or ``_``; 253 characters at most; xn-- labels
    that decode), an IPv4 address or a bracketed IPv6 address, and an
    optional port 1-65535. An absent Host is fine (the server's name is used)."""
    if not host:
        return True
    name, port = host, ""
    if host.startswith("["):
        name, sep, rest = host.partition("]")
        if not sep:
            return False
        name += "]"
        if rest:
            if not rest.startswith(":"):
                return False
            port = rest[1:]
        if not _IPV6.match(name):
            return False
    elif ":" in host:
        name, _sep, port = host.rpartition(":")
    if port and not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) <= 65535):
        return False
    if name.startswith("["):
        return True
    name = name[:-1] if name.endswith(".") else name
    if not name or len(name) > 253:
        return False
    for label in name.split("."):
        if not _HOST_LABEL.match(label):
            return False
        if label[:4].lower() == "xn--":
            try:
                label.encode("ascii").decode("idna")
            except UnicodeError:
                return False
    return True


class HostGuard:
    """WSGI middleware: 400 with a fixed bilingual text for a Host header
    Flask could not build URLs from (see :func:`valid_host`)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if not valid_host(environ.get("HTTP_HOST", "")):
            start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                               ("Content-Length", str(len(BAD_HOST_BODY))),
                                               ("Cache-Control", "no-store")])
            return [BAD_HOST_BODY]
        return self.wsgi_app(environ, start_response)


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per secret key
    instead of on every request (about 0.1 ms each: 3 % of the hub's CPU while a crowd
    of phones arrives, issue 21)."""

    def get_signing_serializer(self, app):
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        cached = self.__dict__.get("_serializer")
        if cached is None or cached[0] != key:
            cached = self._serializer = (key, super().get_signing_serializer(app))
        return cached[1]


def init_app(app) -> None:
    app.extensions["festival_ratelimiter"] = RateLimiter()
    app.session_interface = SessionInterface()
    app.wsgi_app = HostGuard(app.wsgi_app)
    app.before_request(check_csrf)
    app.after_request(set_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
