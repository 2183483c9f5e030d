"""Self-registration on a kiosk or the attendee's own phone (public, CSRF, rate-limited).

The minimal fields of DESIGN §4 and the consents it requires: the visitor's
own consent from age 7, optional public display, and for under-16s a
parent or guardian who is present. The page script shows the guardian step
when an under-16 age group is chosen; the server refuses without it
(``checkin.attendees.require_consents``), so no script trick skips it.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.i18n import current_language
from kiosk.nicknames import unique_default
from kiosk.security import rate_limit

from .attendees import AGE_BANDS, MINOR_BANDS, NewAttendee, create_attendee

bp = Blueprint("checkin", __name__)

FIELDS = ("full_name", "age_band", "school", "class_name", "nickname", "guardian_contact")
FLAGS = ("consent_child", "consent_public", "consent_guardian")


def _form_values(form) -> dict:
    values = {name: str(form.get(name, ""))[:200] for name in FIELDS}
    values.update({name: form.get(name) == "1" for name in FLAGS})
    return values


def _render(values: dict, error: ServiceError | None = None, status: int = 200):
    return render_template("checkin/register.html", values=values, error=error, age_bands=AGE_BANDS,
                           minor_bands=MINOR_BANDS), status


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Show the form; on POST register the visitor and show their badge."""
    if request.method == "GET":
        return _render({"nickname": unique_default(get_db(), current_language()), "age_band": ""})
    rate_limit("register", current_app.config["REGISTER_RATE_LIMIT"])
    values = _form_values(request.form)
    # A guardian's phone number only makes sense with the guardian's consent.
    contact = values["guardian_contact"] if values["consent_guardian"] else None
    data = NewAttendee(full_name=values["full_name"], age_band=values["age_band"],
                       nickname=values["nickname"] or None, school=values["school"] or None,
                       class_name=values["class_name"] or None, consent_child=values["consent_child"],
                       consent_guardian=values["consent_guardian"], consent_public=values["consent_public"],
                       consent_method="self-registration form", guardian_contact=contact)
    try:
        attendee_id, token = create_attendee(get_db(), data, "self", "self-registration")
    except ServiceError as exc:
        return _render(values, exc, exc.status)
    return redirect(url_for("badges.phone", token=token, new=1))


@bp.route("/register/nickname")
def suggest_nickname():
    """A new generated nickname for the "new suggestion" button."""
    rate_limit("nickname", 120)
    return jsonify({"ok": True, "nickname": unique_default(get_db(), current_language())})
