"""Errors that carry a machine code and a message for people, in both languages.

Services raise :class:`ServiceError`; views turn it into JSON (API) or a
page. Every HTTP error is answered here too, so nothing reaches a visitor as
a bare 500 or an English-only page.
"""
from __future__ import annotations

import logging

from flask import g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .i18n import both, current_language, gettext

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A refusal a person can act on: ``code`` for machines, ``message`` (English
    source, translated on the way out) for people. ``status`` is the HTTP status
    the API answers with."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None, **params):
        super().__init__(message % params if params else message)
        self.code = code
        self.message = message
        self.params = params
        if status is not None:
            self.status = status
        self.extra: dict = {}

    def payload(self) -> dict:
        texts = both(self.message, **self.params)
        return {
            "code": self.code,
            "message": texts[current_language()],
            "message_vi": texts["vi"],
            "message_en": texts["en"],
            **self.extra,
        }


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


HTTP_MESSAGES = {
    400: ("bad_request", "The request could not be understood."),
    401: ("login_required", "Please sign in or pair this device first."),
    403: ("forbidden", "This device or account is not allowed to do that."),
    404: ("not_found", "That page or item does not exist."),
    405: ("method_not_allowed", "That action is not allowed here."),
    413: ("too_large", "What was sent is too large."),
    415: ("unsupported_media_type", "Please send JSON."),
    429: ("too_many_requests", "Too many attempts. Please wait a minute and try again."),
    500: ("server_error", "Something went wrong on the hub. Nothing was saved; please try again."),
}


def wants_json() -> bool:
    return (
        g.get("json_endpoint", False)  # json_body() was called: the caller speaks JSON
        or request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def json_body() -> dict:
    """The request's JSON object, for every JSON endpoint of every feature.

    Raises ServiceError 415 ``unsupported_media_type`` when another content
    type is declared, 400 ``bad_json`` for invalid JSON or anything but an
    object (a body with no declared type is read as JSON).
    """
    g.json_endpoint = True
    if request.mimetype and not request.is_json:
        raise ServiceError("unsupported_media_type", "Please send JSON.", status=415)
    try:
        payload = request.get_json(silent=True, force=True)
    except RecursionError:  # "[" * 100_000: the parser gives up before any view sees it
        payload = None
    if payload is None:
        raise ServiceError("bad_json", "The request body is not valid JSON.")
    if not isinstance(payload, dict):
        raise ServiceError("bad_json", "The request body must be a JSON object.")
    if too_deep(payload):
        raise ServiceError("bad_json", "The request body is nested too deeply.")
    return payload


MAX_JSON_DEPTH = 16


def too_deep(value, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when lists/objects nest more than ``limit`` levels (no endpoint
    takes more than three); walked without recursion."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values() if isinstance(child, (dict, list)))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item if isinstance(child, (dict, list)))
    return False


def error_response(err: ServiceError):
    if wants_json():
        return jsonify({"ok": False, "error": err.payload()}), err.status
    return (
        render_template("error.html", status=err.status, message=gettext(err.message, **err.params)),
        err.status,
    )


def http_error(exc: HTTPException):
    status = exc.code or 500
    code, message = HTTP_MESSAGES.get(status, ("http_error", "The request could not be completed."))
    return error_response(ServiceError(code, message, status=status))


def unexpected_error(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(ServiceError(*HTTP_MESSAGES[500], status=500))


def number_too_big(exc: OverflowError):
    """A number over 64 bits from outside reached SQLite: the request was bad,
    the hub is fine (every integer parameter should be checked earlier:
    kiosk.validation.row_id / int_field)."""
    log.warning("number out of range on %s %s: %s", request.method, request.path, exc)
    return error_response(ServiceError("bad_number", "A number in the request is too large.", status=400))


def init_app(app) -> None:
    app.register_error_handler(ServiceError, error_response)
    app.register_error_handler(OverflowError, number_too_big)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected_error)
