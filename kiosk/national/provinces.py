"""Vietnam's 34 provinces and centrally-run cities (after the 2025 merger),
from kiosk/data/provinces.json: a bundle names its province by slug."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from kiosk.text import fold

DATA = Path(__file__).resolve().parents[1] / "data" / "provinces.json"


@lru_cache(maxsize=1)
def provinces() -> tuple[dict, ...]:
    """Every province as ``{slug, vi, en, kind}`` (city | province), in the file's order."""
    return tuple(json.loads(DATA.read_text(encoding="utf-8"))["provinces"])


def by_slug() -> dict[str, dict]:
    return {p["slug"]: p for p in provinces()}


def find(text: str | None) -> dict | None:
    """A province from its slug or its Vietnamese or English name (accents and case ignored)."""
    wanted = fold(str(text or "")).replace("-", " ").strip()
    if not wanted:
        return None
    for p in provinces():
        names = (p["slug"].replace("-", " "), fold(p["vi"]), fold(p["en"]),
                 fold(p["en"]).removesuffix(" province"))
        if wanted in names:
            return p
    return None
