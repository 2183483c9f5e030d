"""Attendee export as CSV for the organiser (and for re-import elsewhere).

UTF-8 with a BOM, because Excel on Windows otherwise shows Vietnamese as
mojibake. The column names are ones the importer maps by default, so an
export can be imported into another festival file. Guardian phone numbers
stay out: the export travels by USB stick and e-mail, and the desk never
needs them outside the hub.
"""
from __future__ import annotations

import csv
import io

from kiosk.audit import audit
from kiosk.db import transaction

from kiosk.tokens import pretty

COLUMNS = ["id", "full_name", "nickname", "age_band", "school", "class", "source",
           "consent_child", "consent_guardian", "consent_public", "consent_photo",
           "consent_by", "consent_at", "checked_in_at", "badge", "created_at"]
BOM = "\ufeff"


def export_attendees_csv(db, by: str) -> str:
    """All attendees (not purged) as CSV text starting with a BOM; audit-logged."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    rows = db.execute(
        "SELECT a.*, b.token FROM attendees a LEFT JOIN badges b "
        "ON b.attendee_id = a.id AND b.revoked_at IS NULL "
        "WHERE a.purged_at IS NULL ORDER BY a.id")
    count = 0
    for r in rows:
        count += 1
        writer.writerow([r["id"], r["full_name"], r["nickname"], r["age_band"], r["school"] or "",
                         r["class_name"] or "", r["source"], r["consent_child"], r["consent_guardian"],
                         r["consent_public"], r["consent_photo"], r["consent_by"] or "",
                         r["consent_at"] or "", r["checked_in_at"] or "",
                         pretty(r["token"]) if r["token"] else "", r["created_at"]])
    with transaction(db):
        audit(db, by, "attendees.export", None, f"rows={count}")
    return out.getvalue()
