"""Type checks for JSON fields and socket payloads: one place, one set of
error codes (``bad_field`` with the field's name, in both languages).

JSON gives Python ``bool`` for true/false, and ``bool`` is a subclass of
``int``: every whole-number check here refuses booleans. Numbers are bounded
to SQLite's signed 64-bit range, so an id of 2**70 is a 400, never an
OverflowError deep in a query.
"""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from .errors import ServiceError

INT64_MAX = 2**63 - 1
MAX_TEXT_FIELD = 200


def is_int(value, low: int = -INT64_MAX - 1, high: int = INT64_MAX) -> bool:
    """A whole number (not a bool) within ``low..high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def int_field(payload: dict, name: str, low: int = 0, high: int = INT64_MAX, required: bool = True,
              default: int | None = None) -> int | None:
    """A whole-number field of the payload. Raises ServiceError ``bad_field``."""
    value = payload.get(name) if isinstance(payload, dict) else None
    if value is None and not required:
        return default
    if not is_int(value, low, high):
        raise ServiceError("bad_field", "The field %(field)s must be a whole number.", field=name)
    return value


def text_field(payload: dict, name: str, required: bool = False, limit: int = MAX_TEXT_FIELD) -> str | None:
    """A string field of the payload (None when absent). Raises ServiceError ``bad_field``."""
    value = payload.get(name)
    if value is None or (value == "" and not required):
        if required:
            raise ServiceError("bad_field", "The field %(field)s is required.", field=name)
        return None
    if not isinstance(value, str):
        raise ServiceError("bad_field", "The field %(field)s must be text.", field=name)
    if len(value) > limit:
        raise ServiceError("bad_field", "The field %(field)s is too long.", field=name)
    return value


def bool_field(payload: dict, name: str, default: bool | None = False) -> bool | None:
    """A true/false field of the payload. Raises ServiceError ``bad_field``."""
    value = payload.get(name, default)
    if value is None and default is None:
        return None
    if not isinstance(value, bool):
        raise ServiceError("bad_field", "The field %(field)s must be true or false.", field=name)
    return value


class IdConverter(IntegerConverter):
    """``<id:name>`` in routes: a row id, digits only, 1..2**63-1. Anything
    else (``0``, ``-1``, ``007``, 2**64) does not match the route, so it is a
    404, never an OverflowError from SQLite. Registered by ``create_app``."""

    regex = r"[1-9][0-9]{0,18}"

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=INT64_MAX)


def row_id(text) -> int:
    """A row id from a query string (``request.args.get("zone_id", type=row_id)``):
    digits only, 1..2**63-1; anything else raises ValueError, which
    ``type=`` turns into the default."""
    text = str(text)
    if not text.isascii() or not text.isdigit() or len(text) > 19 or int(text) < 1 or int(text) > INT64_MAX:
        raise ValueError(text[:30])
    return int(text)
