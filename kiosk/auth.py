"""Who is asking: staff accounts, paired devices, read-only stage links, roles.

A request (or Socket.IO connection) is made by at most one *principal*: a
staff member signed in with a password, a paired device presenting its
credential (cookie or ``Authorization: Bearer``), or a stage screen opened
from a read-only link. Every staff view and socket event checks its role
with :func:`role_required` / :func:`require_role`; ``admin`` may do anything.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.security import generate_password_hash

from . import passwords
from .db import get_db, iso, now, transaction
from .errors import ServiceError
from .security import check_failures, check_hash_budget, client_address, record_failure, safe_next, trust_address

ROLES = ("admin", "desk", "zone", "host", "stage")
DEVICE_COOKIE = "festival_device"
STAGE_COOKIE = "festival_stage"
LAST_SEEN_EVERY_S = 30

bp = Blueprint("auth", __name__)


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff", "device" or "stage_link"
    id: int
    role: str
    name: str
    zone_id: int | None = None

    @property
    def actor(self) -> str:
        """How this principal is named in the audit log and check-in records."""
        return f"{self.kind}:{self.id}:{self.name}"


def hash_secret(secret: str) -> str:
    """Credentials are stored hashed: a stolen database file pairs no device."""
    return hashlib.sha256(secret.encode()).hexdigest()


# --- staff -----------------------------------------------------------------

def create_staff(db, username: str, password: str, role: str = "admin") -> int:
    """Create a staff account. Raises ServiceError ``staff_exists`` or ``bad_role``."""
    if role not in ROLES:
        raise ServiceError("bad_role", "Unknown role.")
    username = username.strip()
    if not username or len(username) > 64:
        raise ServiceError("bad_username", "A username of 1 to 64 characters is needed.")
    if len(password) < 8:
        raise ServiceError("weak_password", "The password needs at least 8 characters.")
    with transaction(db):
        if db.execute("SELECT 1 FROM staff WHERE username = ?", [username]).fetchone():
            raise ServiceError("staff_exists", "That username is already taken.", status=409)
        cur = db.execute(
            "INSERT INTO staff (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            [username, generate_password_hash(password), role, now()],
        )
    return cur.lastrowid


def set_staff_password(db, username: str, password: str) -> None:
    if len(password) < 8:
        raise ServiceError("weak_password", "The password needs at least 8 characters.")
    with transaction(db):
        cur = db.execute(
            "UPDATE staff SET password_hash = ? WHERE username = ?",
            [generate_password_hash(password), username],
        )
        if cur.rowcount == 0:
            raise ServiceError("unknown_staff", "No such staff account.", status=404)
        # A new password signs out every browser that knew the old one.
        db.execute("UPDATE staff_sessions SET ended_at = ?, ended_why = 'password' WHERE ended_at IS NULL "
                   "AND staff_id = (SELECT id FROM staff WHERE username = ?)", [now(), username])


def authenticate(db, username: str, password: str) -> int:
    """Return the staff id for a correct username and password.

    Raises ServiceError ``bad_login`` (same message for unknown user and wrong
    password, so the form does not reveal which usernames exist).
    """
    row = db.execute(
        "SELECT id, password_hash FROM staff WHERE username = ? AND disabled_at IS NULL",
        [username.strip()],
    ).fetchone()
    if row is None:
        # The same wait as a hash, without one: the timing tells no usernames,
        # and guessing names costs the worker nothing.
        passwords.pause_like_a_hash()
        raise ServiceError("bad_login", "Wrong username or password.", status=401)
    # Off the event loop under eventlet/gevent (kiosk/passwords.py).
    if not passwords.verify(row["password_hash"], password):
        raise ServiceError("bad_login", "Wrong username or password.", status=401)
    return row["id"]


# --- staff sessions ------------------------------------------------------------
# The signed cookie alone proves nothing: it names a row of staff_sessions
# (by a random id whose hash is stored), and logout, a working day idle, a
# password change or a disabled account end that row. A copied cookie dies
# with its session.

SESSION_IDLE_S = 12 * 3600  # the STAFF_SESSION_IDLE_SECONDS default (kiosk/config.py)
SESSION_TOUCH_S = 60


def start_staff_session(db, staff_id: int) -> str:
    """Record a new sign-in of ``staff_id``; returns the session id for the cookie."""
    sid = secrets.token_urlsafe(32)
    stamp = now()
    with transaction(db):
        db.execute("INSERT INTO staff_sessions (sid_hash, staff_id, created_at, last_seen_at) "
                   "VALUES (?, ?, ?, ?)", [hash_secret(sid), staff_id, stamp, stamp])
    return sid


def end_staff_session(db, sid, why: str = "logout") -> None:
    """End one session (logout); unknown or ended ids are ignored."""
    if not isinstance(sid, str) or not sid:
        return
    with transaction(db):
        db.execute("UPDATE staff_sessions SET ended_at = ?, ended_why = ? "
                   "WHERE sid_hash = ? AND ended_at IS NULL", [now(), why, hash_secret(sid)])


def _staff_principal(db) -> Principal | None:
    sid = session.get("staff_sid")
    if not isinstance(sid, str) or not sid:
        return None
    row = db.execute(
        "SELECT s.id AS session_id, s.last_seen_at, t.id, t.username, t.role FROM staff_sessions s "
        "JOIN staff t ON t.id = s.staff_id "
        "WHERE s.sid_hash = ? AND s.ended_at IS NULL AND t.id = ? AND t.disabled_at IS NULL",
        [hash_secret(sid), session.get("staff_id")],
    ).fetchone()
    if row is None:
        return None
    idle = current_app.config["STAFF_SESSION_IDLE_SECONDS"]
    if row["last_seen_at"] < _ago(idle):
        with transaction(db):
            db.execute("UPDATE staff_sessions SET ended_at = ?, ended_why = 'idle' "
                       "WHERE id = ? AND ended_at IS NULL", [now(), row["session_id"]])
        return None
    if row["last_seen_at"] < _ago(SESSION_TOUCH_S):  # at most one write a minute per session
        with transaction(db):
            db.execute("UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?", [now(), row["session_id"]])
    return Principal("staff", row["id"], row["role"], row["username"])


def _ago(seconds: float) -> str:
    """The stored form (kiosk.db.iso) of ``seconds`` ago: compares as text."""
    return iso(datetime.now(timezone.utc) - timedelta(seconds=seconds))


# --- resolving the principal -------------------------------------------------

def _device_principal(db, credential: str) -> Principal | None:
    row = db.execute(
        "SELECT id, name, role, zone_id, last_seen_at FROM devices "
        "WHERE credential_hash = ? AND revoked_at IS NULL",
        [hash_secret(credential)],
    ).fetchone()
    if row is None:
        return None
    _touch_device(db, row["id"], row["last_seen_at"])
    return Principal("device", row["id"], row["role"], row["name"], row["zone_id"])


def _touch_device(db, device_id: int, last_seen: str | None) -> None:
    """Record last-seen time, at most every 30 s so reads stay reads."""
    stamp = now()
    if last_seen and last_seen[:19] >= _seconds_ago(LAST_SEEN_EVERY_S):
        return
    with transaction(db):
        db.execute("UPDATE devices SET last_seen_at = ? WHERE id = ?", [stamp, device_id])


def _seconds_ago(seconds: int) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds)).isoformat()[:19]


def resolve_principal(db, credential: str | None = None) -> Principal | None:
    """Work out who is making the current request.

    Order: a bearer credential (or the one given, e.g. from a Socket.IO auth
    payload), the signed-in staff session, the device cookie, the stage-link
    cookie. A revoked device or disabled account resolves to nobody.
    """
    header = request.headers.get("Authorization", "")
    if credential is None and header.startswith("Bearer "):
        credential = header[7:].strip()
    if credential:
        return _device_principal(db, credential)
    if session.get("staff_id") is not None:
        principal = _staff_principal(db)
        if principal is not None:
            return principal
    cookie = request.cookies.get(DEVICE_COOKIE)
    if cookie:
        principal = _device_principal(db, cookie)
        if principal is not None:
            return principal
    link = request.cookies.get(STAGE_COOKIE)
    if link:
        row = db.execute(
            "SELECT id, label FROM stage_links WHERE token_hash = ? AND revoked_at IS NULL",
            [hash_secret(link)],
        ).fetchone()
        if row is not None:
            return Principal("stage_link", row["id"], "stage", row["label"])
    return None


def current_principal() -> Principal | None:
    if "principal" not in g:
        g.principal = resolve_principal(get_db())
    return g.principal


def allowed(principal: Principal | None, roles) -> bool:
    return principal is not None and (principal.role == "admin" or principal.role in roles)


def require_role(*roles: str) -> Principal:
    """Return the principal if it holds one of ``roles`` (admin always does).

    Raises ServiceError 401 ``login_required`` with no credential, 403
    ``forbidden`` with the wrong role.
    """
    principal = current_principal()
    if principal is None:
        raise ServiceError("login_required", "Please sign in or pair this device first.", status=401)
    if not allowed(principal, roles):
        raise ServiceError("forbidden", "This device or account is not allowed to do that.", status=403)
    return principal


def role_required(*roles: str):
    """View decorator: only ``roles`` (and admin) may call the view."""
    for role in roles:
        assert role in ROLES, role

    def decorator(view):
        view._roles = roles

        @wraps(view)
        def wrapper(*args, **kwargs):
            require_role(*roles)
            return view(*args, **kwargs)

        return wrapper

    return decorator


# --- views -------------------------------------------------------------------

def refuse_missing_credential(view) -> None:
    """Raise 401 ``login_required`` when ``view`` needs a role
    (:func:`role_required`) and the request resolves to no principal. The
    CSRF check calls this before it refuses a request, so a request without
    any credential hears what is missing, not "this form has expired"."""
    if getattr(view, "_roles", None) and current_principal() is None:
        raise ServiceError("login_required", "Please sign in or pair this device first.", status=401)


@bp.record_once
def _register_credential_check(state) -> None:
    state.app.extensions["festival_credential_check"] = refuse_missing_credential


ROLE_HOME = {"admin": "dashboard.page", "desk": "desk.page", "zone": "zones.kiosk_page",
             "host": "games.host_page", "stage": "stage.page"}


def home_url(role: str) -> str:
    """Where a signed-in principal of ``role`` starts (falls back to the index)."""
    endpoint = ROLE_HOME.get(role)
    if endpoint and endpoint in current_app.view_functions:
        return url_for(endpoint)
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        username = request.form.get("username", "")[:64]
        # Only failures count, per username and address together: guesses
        # from other addresses never lock the right password out. The hash
        # budget bounds what all guessers together cost the worker.
        address = client_address()
        keys = (address + " user:" + username.strip().casefold(),)
        try:
            check_failures("login", keys)
            check_hash_budget(address, keys[0])
            staff_id = authenticate(get_db(), username, request.form.get("password", "")[:256])
        except ServiceError as exc:
            if exc.code == "bad_login":
                record_failure("login", keys)
            error = exc
        else:
            trust_address(address)
            session.clear()
            session.permanent = True
            session["staff_id"] = staff_id
            session["staff_sid"] = start_staff_session(get_db(), staff_id)
            # Only local paths: never bounce a signed-in admin to another site.
            return redirect(safe_next(request.args.get("next", ""), home_url("admin")))
    status = error.status if error else 200
    return render_template("auth/login.html", error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    end_staff_session(get_db(), session.get("staff_sid"))
    session.clear()
    return redirect(url_for("main.index"))


def new_secret() -> str:
    return secrets.token_urlsafe(32)
