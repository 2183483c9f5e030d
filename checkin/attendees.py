"""Attendees: registration with the minimal fields and consents, badges (search: search.py).

Personal data kept (DESIGN §4): full name (private), nickname (public),
age band, optional school and class, consent flags with who recorded them
and when. Nothing else. Text is NFC-normalised on the way in.
"""
from __future__ import annotations

from dataclasses import dataclass

from kiosk import nicknames, tokens
from kiosk.audit import audit
from kiosk.db import now, transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.signals import announce, attendee_registered
from kiosk.text import clean, fold, name_sort_key

from .search import search  # noqa: F401  (re-exported: the desk's name search lives in search.py)

AGE_BANDS = ("u7", "7-15", "16-17", "18+")
MINOR_BANDS = ("u7", "7-15")  # under 16: a guardian must consent too
SOURCES = ("import", "walkin", "self", "demo", "game")
MAX_NAME = 80
MAX_SCHOOL = 80
MAX_CLASS = 20


@dataclass
class NewAttendee:
    full_name: str
    age_band: str
    nickname: str | None = None
    school: str | None = None
    class_name: str | None = None
    consent_child: bool = False
    consent_guardian: bool = False
    consent_public: bool = False
    consent_photo: bool = False
    consent_method: str | None = None
    guardian_contact: str | None = None


def validate(data: NewAttendee) -> NewAttendee:
    """Clean and check one registration. Raises ServiceError with a field-specific code."""
    full_name = clean(data.full_name)
    if not full_name:
        raise ServiceError("bad_name", "Please enter the full name.")
    if len(full_name) > MAX_NAME:
        raise ServiceError("bad_name", "The name can have at most %(n)s characters.", n=MAX_NAME)
    if not any(ch.isalpha() for ch in full_name):
        raise ServiceError("bad_name", "The name must contain letters.")
    if data.age_band not in AGE_BANDS:
        raise ServiceError("bad_age_band", "Please choose an age group.")
    school = clean(data.school) or None
    class_name = clean(data.class_name) or None
    if school and len(school) > MAX_SCHOOL:
        raise ServiceError("bad_school", "The school name can have at most %(n)s characters.", n=MAX_SCHOOL)
    if class_name and len(class_name) > MAX_CLASS:
        raise ServiceError("bad_class", "The class can have at most %(n)s characters.", n=MAX_CLASS)
    # None: the insert gives a generated default no other attendee has (needs the db).
    nickname = nicknames.validate(data.nickname) if clean(data.nickname) else None
    contact = clean(data.guardian_contact)[:40] or None
    return NewAttendee(full_name, data.age_band, nickname, school, class_name,
                       bool(data.consent_child), bool(data.consent_guardian),
                       bool(data.consent_public), bool(data.consent_photo),
                       clean(data.consent_method)[:60] or None, contact)


def require_consents(data: NewAttendee) -> None:
    """Walk-ins and self-registrations must record consent before a badge:
    the child's (from 7) and, under 16, a parent's or guardian's."""
    if data.age_band != "u7" and not data.consent_child:
        raise ServiceError("consent_required", "The attendee's own consent is needed.")
    if data.age_band in MINOR_BANDS and not data.consent_guardian:
        raise ServiceError("guardian_consent_required",
                           "Under 16: a parent or guardian must consent before a badge is issued.")


def create_attendee(db, data: NewAttendee, source: str, by: str,
                    check_consents: bool = True) -> tuple[int, str]:
    """Register an attendee and issue their badge; return (attendee_id, token).

    Raises ServiceError for invalid fields or missing consents (nothing is
    written then).
    """
    if source not in SOURCES:
        raise ServiceError("bad_source", "Unknown registration source.")
    data = validate(data)
    if check_consents:
        require_consents(data)
    stamp = now()
    with transaction(db):
        attendee_id = insert_attendee(db, data, source, by, stamp)
        token = issue_badge(db, attendee_id, by, stamp)
        announce(db, attendee_registered, attendee_id=attendee_id)
    return attendee_id, token


def insert_attendee(db, data: NewAttendee, source: str, by: str, stamp: str) -> int:
    """Insert a validated attendee row (call inside a transaction).

    Without a chosen nickname the attendee gets a generated one that no other
    attendee has (:func:`kiosk.nicknames.unique_default`).
    """
    nickname = data.nickname or nicknames.unique_default(db)
    consented = data.consent_child or data.consent_guardian or data.consent_public or data.consent_photo
    cur = db.execute(
        "INSERT INTO attendees (full_name, name_fold, name_sort, nickname, age_band, school, "
        "school_fold, class_name, source, consent_child, consent_guardian, consent_public, "
        "consent_photo, consent_by, consent_method, consent_at, guardian_contact, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [data.full_name, fold(data.full_name), name_sort_key(data.full_name), nickname,
         data.age_band, data.school, fold(data.school) or None, data.class_name, source,
         int(data.consent_child), int(data.consent_guardian), int(data.consent_public),
         int(data.consent_photo), by if consented else None, data.consent_method,
         stamp if consented else None, data.guardian_contact, stamp],
    )
    return cur.lastrowid


def issue_badge(db, attendee_id: int, by: str, stamp: str | None = None) -> str:
    """Insert a new badge token for the attendee (call inside a transaction)."""
    token = tokens.new_token()
    db.execute("INSERT INTO badges (token, attendee_id, issued_at, issued_by) VALUES (?, ?, ?, ?)",
               [token, attendee_id, stamp or now(), by])
    return token


def reissue_badge(db, attendee_id: int, by: str) -> str:
    """Lost badge: revoke the live token and issue a new one. Returns the new token.

    The old token is then recognised as "replaced" when scanned. Raises
    NotFound ``unknown_attendee``.
    """
    stamp = now()
    with transaction(db):
        get_attendee(db, attendee_id)
        old = db.execute("SELECT token FROM badges WHERE attendee_id = ? AND revoked_at IS NULL",
                         [attendee_id]).fetchone()
        if old is not None:
            db.execute("UPDATE badges SET revoked_at = ? WHERE token = ?", [stamp, old["token"]])
        token = issue_badge(db, attendee_id, by, stamp)
        if old is not None:
            db.execute("UPDATE badges SET replaced_by = ? WHERE token = ?", [token, old["token"]])
        audit(db, by, "badge.reissue", f"attendee:{attendee_id}")
    return token


def get_attendee(db, attendee_id: int) -> dict:
    row = db.execute("SELECT * FROM attendees WHERE id = ? AND purged_at IS NULL", [attendee_id]).fetchone()
    if row is None:
        raise NotFound("unknown_attendee", "No such attendee.")
    return dict(row)


def live_token(db, attendee_id: int) -> str | None:
    row = db.execute("SELECT token FROM badges WHERE attendee_id = ? AND revoked_at IS NULL",
                     [attendee_id]).fetchone()
    return row["token"] if row else None


