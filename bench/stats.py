"""Small statistics helpers shared by every benchmark part."""
from __future__ import annotations

import statistics


def percentile(values: list[float], pct: float) -> float | None:
    """The ``pct`` percentile (0–100) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


def summary_ms(seconds: list[float]) -> dict:
    """p50/p95/p99/max of durations given in seconds, reported in milliseconds."""
    if not seconds:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "p99_ms": round(percentile(seconds, 99) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
    }


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def ratio(value, base) -> float | None:
    """value / base rounded, or None when either is missing or base is zero."""
    if value is None or base in (None, 0):
        return None
    return round(value / base, 3)
