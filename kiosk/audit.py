"""The audit log of staff actions (who checked in, reissued, hid a name, exported)."""
from __future__ import annotations

from .db import now


def audit(db, actor: str, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Append one audit row. Call inside the transaction of the action itself,
    so an action and its record are committed together or not at all."""
    db.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        [now(), actor, action, target, detail],
    )
