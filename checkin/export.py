"""Attendee export as CSV for the organiser (and for re-import elsewhere).

UTF-8 with a BOM, because Excel on Windows otherwise shows Vietnamese as
mojibake. The column names are ones the importer maps by default, so an
export can be imported into another festival file. Guardian phone numbers
stay out: the export travels by USB stick and e-mail, and the desk never
needs them outside the hub.
"""
from __future__ import annotations

from kiosk.exports import register_export, run_export
from kiosk.tokens import pretty

COLUMNS = ["id", "full_name", "nickname", "age_band", "school", "class", "source",
           "consent_child", "consent_guardian", "consent_public", "consent_photo",
           "consent_by", "consent_at", "checked_in_at", "badge", "created_at"]
# After the importer's columns (an import ignores them): what the day added.
PROGRESS = ["points", "zones_visited", "rewards_unlocked", "rewards_claimed", "rewards"]
BOM = "\ufeff"


def attendee_rows(db):
    """The ``attendees`` export: a header, then one row per attendee (not
    purged) with points, passport progress (distinct zones visited) and
    rewards (English names, "; "-separated)."""
    yield COLUMNS + PROGRESS
    rows = db.execute(
        "SELECT a.*, b.token, COALESCE(t.points, 0) AS points, "
        "(SELECT COUNT(DISTINCT v.zone_id) FROM visits v WHERE v.attendee_id = a.id AND v.kind = 'enter') "
        "  AS zones_visited, "
        "(SELECT COUNT(*) FROM rewards r WHERE r.attendee_id = a.id) AS unlocked, "
        "(SELECT COUNT(*) FROM rewards r WHERE r.attendee_id = a.id AND r.claimed_at IS NOT NULL) AS claimed, "
        "(SELECT group_concat(p.reward_en, '; ') FROM rewards r JOIN passport_rules p ON p.id = r.rule_id "
        "  WHERE r.attendee_id = a.id) AS reward_names "
        "FROM attendees a LEFT JOIN badges b ON b.attendee_id = a.id AND b.revoked_at IS NULL "
        "LEFT JOIN point_totals t ON t.attendee_id = a.id "
        "WHERE a.purged_at IS NULL ORDER BY a.id")
    for r in rows:
        yield [r["id"], r["full_name"], r["nickname"], r["age_band"], r["school"] or "",
               r["class_name"] or "", r["source"], r["consent_child"], r["consent_guardian"],
               r["consent_public"], r["consent_photo"], r["consent_by"] or "",
               r["consent_at"] or "", r["checked_in_at"] or "",
               pretty(r["token"]) if r["token"] else "", r["created_at"],
               r["points"], r["zones_visited"], r["unlocked"], r["claimed"], r["reward_names"] or ""]


def export_attendees_csv(db, by: str) -> str:
    """All attendees (not purged) as CSV text starting with a BOM; audit-logged
    (action ``attendees.export``)."""
    return run_export(db, "attendees", "csv", by)[0].decode("utf-8")


# The Excel file's headers (the CSV keeps the machine names above, which the importer reads).
LABELS = {
    "id": ("Mã", "ID"), "age_band": ("Nhóm tuổi", "Age group"), "school": ("Trường", "School"),
    "class": ("Lớp", "Class"), "consent_child": ("Học sinh đồng ý", "Child consent"),
    "consent_guardian": ("Phụ huynh đồng ý", "Guardian consent"),
    "consent_public": ("Đồng ý hiển thị", "Public display consent"), "consent_photo": ("Đồng ý chụp ảnh", "Photo consent"),
    "consent_by": ("Người ghi nhận đồng ý", "Consent recorded by"), "consent_at": ("Lúc ghi nhận đồng ý", "Consent recorded at"),
    "checked_in_at": ("Lúc check-in", "Checked in at"), "badge": ("Mã thẻ", "Badge"),
    "created_at": ("Lúc đăng ký", "Registered at"), "zones_visited": ("Số khu đã ghé", "Zones visited"),
    "rewards_unlocked": ("Phần thưởng đạt được", "Rewards unlocked"),
    "rewards_claimed": ("Phần thưởng đã nhận", "Rewards collected"), "rewards": ("Phần thưởng", "Rewards"),
}


def init_app(app) -> None:
    register_export("attendees", "Người tham dự (điểm, hộ chiếu, phần thưởng)",
                    "Attendees (points, passport, rewards)", attendee_rows, LABELS)
