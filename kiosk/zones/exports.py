"""The zones' exports: every zone visit, and passport rewards with their claims."""
from __future__ import annotations

from kiosk.exports import register_export


def visit_rows(db):
    """``zone-visits``: one row per logged visit (entries, repeats, exits), oldest first."""
    yield ["visit_id", "at_utc", "zone", "zone_vi", "zone_en", "kind", "points", "attendee_id",
           "nickname", "scan_id"]
    rows = db.execute(
        "SELECT v.id, v.at, z.slug, z.name_vi, z.name_en, v.kind, v.points, v.attendee_id, a.nickname, "
        "v.scan_id FROM visits v JOIN zones z ON z.id = v.zone_id "
        "LEFT JOIN attendees a ON a.id = v.attendee_id ORDER BY v.at, v.id")
    for r in rows:
        yield [r["id"], r["at"], r["slug"], r["name_vi"], r["name_en"], r["kind"], r["points"],
               r["attendee_id"], r["nickname"] or "", r["scan_id"] or ""]


def reward_rows(db):
    """``rewards``: every unlocked reward, who holds it, and whether (when, by
    whom) it was handed out at the desk."""
    yield ["reward_id", "attendee_id", "full_name", "nickname", "rule_vi", "rule_en", "reward_vi",
           "reward_en", "unlocked_at_utc", "claimed_at_utc", "claimed_by"]
    rows = db.execute(
        "SELECT r.id, r.attendee_id, a.full_name, a.nickname, p.name_vi, p.name_en, p.reward_vi, "
        "p.reward_en, r.unlocked_at, r.claimed_at, r.claimed_by FROM rewards r "
        "JOIN passport_rules p ON p.id = r.rule_id JOIN attendees a ON a.id = r.attendee_id "
        "ORDER BY r.unlocked_at, r.id")
    for r in rows:
        yield [r["id"], r["attendee_id"], r["full_name"], r["nickname"], r["name_vi"], r["name_en"],
               r["reward_vi"], r["reward_en"], r["unlocked_at"], r["claimed_at"] or "",
               r["claimed_by"] or ""]


# The Excel files' headers (kiosk.exports.LABELS has the common ones).
LABELS = {
    "visit_id": ("Mã lượt ghé", "Visit ID"), "zone": ("Khu (mã)", "Zone (slug)"), "zone_vi": ("Khu", "Zone (Vietnamese)"),
    "zone_en": ("Khu (tiếng Anh)", "Zone"), "scan_id": ("Mã lượt quét", "Scan ID"),
    "reward_id": ("Mã phần thưởng", "Reward ID"), "rule_vi": ("Điều kiện", "Rule (Vietnamese)"),
    "rule_en": ("Điều kiện (tiếng Anh)", "Rule"), "reward_vi": ("Phần thưởng", "Reward (Vietnamese)"),
    "reward_en": ("Phần thưởng (tiếng Anh)", "Reward"), "unlocked_at_utc": ("Lúc đạt", "Unlocked at"),
    "claimed_at_utc": ("Lúc nhận", "Collected at"), "claimed_by": ("Người trao", "Handed out by"),
}


def init_app(app) -> None:
    register_export("zone-visits", "Lượt ghé các khu", "Zone visits", visit_rows, LABELS)
    register_export("rewards", "Phần thưởng và lượt nhận", "Rewards and claims", reward_rows, LABELS)
