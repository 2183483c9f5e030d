"""Vietnamese first, English second.

Source strings are English; catalogs in ``kiosk/translations/*.json`` map each
one to Vietnamese (one file per feature so features can grow independently).
The language comes from the ``lang`` cookie (set by /lang/<code>), else the
festival default (Vietnamese). ``_("Hello %(name)s", name=...)`` formats
after translating.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import current_app, g, has_request_context, request

TRANSLATIONS = Path(__file__).parent / "translations"
LANGUAGES = ("vi", "en")


@lru_cache(maxsize=1)
def catalog() -> dict[str, str]:
    """English → Vietnamese, merged from every catalog file."""
    merged: dict[str, str] = {}
    for path in sorted(TRANSLATIONS.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def current_language() -> str:
    if has_request_context():
        lang = g.get("lang")
        if lang is None:
            lang = request.cookies.get("lang")
            if lang not in LANGUAGES:
                lang = current_app.config["DEFAULT_LANGUAGE"]
            g.lang = lang
        return lang
    return "vi"


def translate(message: str, lang: str, **params) -> str:
    """Translate an English source string into ``lang`` and fill %(name)s params."""
    text = catalog().get(message, message) if lang == "vi" else message
    return text % params if params else text


def gettext(message: str, **params) -> str:
    return translate(message, current_language(), **params)


_ = gettext


def both(message: str, **params) -> dict[str, str]:
    """The message in every language, for API payloads and public screens."""
    return {lang: translate(message, lang, **params) for lang in LANGUAGES}


def pick(vi: str | None, en: str | None) -> str:
    """Choose between stored Vietnamese and English texts for the current language."""
    if current_language() == "en" and en:
        return en
    return vi or en or ""


def init_app(app) -> None:
    app.jinja_env.globals.update(_=gettext, current_language=current_language, pick=pick)
