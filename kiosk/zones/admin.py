"""Organiser pages for zones, passport rules and the zone check-in setting.

The services here validate form text (every field arrives as a string) and
write one transaction with its audit row; the views render or redirect.
"""
from __future__ import annotations

import re

from flask import Blueprint, redirect, render_template, request, url_for

from kiosk.audit import audit
from kiosk.auth import current_principal, role_required
from kiosk.db import get_db, get_setting, now, set_setting, transaction
from kiosk.errors import NotFound, ServiceError
from kiosk.text import clean, fold
from .service import KINDS

bp = Blueprint("zone_admin", __name__, url_prefix="/admin")

MAX_NAME = 80
AUTO_CHECKIN = "auto_checkin_at_zones"


def _name(form, key: str) -> str:
    value = clean(form.get(key, ""))
    if not value or len(value) > MAX_NAME:
        raise ServiceError("bad_name", "Names and texts need 1 to 80 characters in both languages.")
    return value


def _number(form, key: str, low: int, high: int, required: bool = True) -> int | None:
    """A whole number from a form field in [low, high]. Raises ServiceError ``bad_number``."""
    raw = (form.get(key) or "").strip()
    if not raw and not required:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ServiceError("bad_number", "Please enter whole numbers within the allowed range.")
    return value


def _slug(db, name: str, zone_id: int | None) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:40] or "zone"
    slug, n = base, 1
    while db.execute("SELECT 1 FROM zones WHERE slug = ? AND id IS NOT ?", [slug, zone_id]).fetchone():
        n += 1
        slug = f"{base}-{n}"
    return slug


def parse_zone(form) -> dict:
    """Zone fields from a form (minutes become seconds). Raises ServiceError."""
    kind = form.get("kind", "")
    if kind not in KINDS:
        raise ServiceError("bad_kind", "Unknown zone kind.")
    return {
        "name_vi": _name(form, "name_vi"), "name_en": _name(form, "name_en"), "kind": kind,
        "points": _number(form, "points", 0, 1000),
        "cooldown_s": _number(form, "cooldown_min", 0, 24 * 60) * 60,
        "capacity": _number(form, "capacity", 1, 100_000, required=False),
        "dwell_s": _number(form, "dwell_min", 1, 24 * 60) * 60,
        "sort": _number(form, "sort", 0, 10_000, required=False) or 0,
        "active": 1 if form.get("active") else 0,
    }


def save_zone(db, form, by: str, zone_id: int | None = None) -> int:
    """Create (no ``zone_id``) or update a zone from form fields; return its id.

    Raises ServiceError for invalid fields, NotFound ``unknown_zone``.
    """
    data = parse_zone(form)
    with transaction(db):
        if zone_id is None:
            cur = db.execute(
                "INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, capacity, dwell_s, "
                "sort, active, created_at) VALUES (:slug, :name_vi, :name_en, :kind, :points, :cooldown_s, "
                ":capacity, :dwell_s, :sort, :active, :created_at)",
                {**data, "slug": _slug(db, data["name_en"], None), "created_at": now()})
            zone_id = cur.lastrowid
            audit(db, by, "zone.create", f"zone:{zone_id}", data["name_en"])
        else:
            cur = db.execute(
                "UPDATE zones SET name_vi = :name_vi, name_en = :name_en, kind = :kind, points = :points, "
                "cooldown_s = :cooldown_s, capacity = :capacity, dwell_s = :dwell_s, sort = :sort, "
                "active = :active WHERE id = :id", {**data, "id": zone_id})
            if cur.rowcount == 0:
                raise NotFound("unknown_zone", "This zone does not exist or is closed.")
            audit(db, by, "zone.update", f"zone:{zone_id}", data["name_en"])
    return zone_id


def parse_rule(form) -> dict:
    """Passport rule fields from a form. Raises ServiceError."""
    rule = form.get("rule", "")
    if rule not in ("count", "kind"):
        raise ServiceError("bad_rule", "A rule is either a number of zones or every zone of a kind.")
    data = {"name_vi": _name(form, "name_vi"), "name_en": _name(form, "name_en"), "rule": rule,
            "reward_vi": _name(form, "reward_vi"), "reward_en": _name(form, "reward_en"),
            "active": 1 if form.get("active") else 0, "count": None, "zone_kind": None}
    if rule == "count":
        data["count"] = _number(form, "count", 1, 1000)
    else:
        if form.get("zone_kind") not in KINDS:
            raise ServiceError("bad_kind", "Unknown zone kind.")
        data["zone_kind"] = form.get("zone_kind")
    return data


def save_rule(db, form, by: str, rule_id: int | None = None) -> int:
    """Create or update a passport rule; return its id.

    Rewards already unlocked stay unlocked when a rule is edited.
    Raises ServiceError for invalid fields, NotFound ``unknown_rule``.
    """
    data = parse_rule(form)
    with transaction(db):
        if rule_id is None:
            cur = db.execute(
                "INSERT INTO passport_rules (name_vi, name_en, rule, count, zone_kind, reward_vi, reward_en, "
                "active) VALUES (:name_vi, :name_en, :rule, :count, :zone_kind, :reward_vi, :reward_en, "
                ":active)", data)
            rule_id = cur.lastrowid
            audit(db, by, "passport_rule.create", f"rule:{rule_id}", data["name_en"])
        else:
            cur = db.execute(
                "UPDATE passport_rules SET name_vi = :name_vi, name_en = :name_en, rule = :rule, "
                "count = :count, zone_kind = :zone_kind, reward_vi = :reward_vi, reward_en = :reward_en, "
                "active = :active WHERE id = :id", {**data, "id": rule_id})
            if cur.rowcount == 0:
                raise NotFound("unknown_rule", "No such passport rule.")
            audit(db, by, "passport_rule.update", f"rule:{rule_id}", data["name_en"])
    return rule_id


def set_auto_checkin(db, enabled: bool, by: str) -> None:
    """Turn automatic check-in at zone kiosks on or off (audited)."""
    with transaction(db):
        set_setting(db, AUTO_CHECKIN, "1" if enabled else "0")
        audit(db, by, "setting.auto_checkin_at_zones", None, "on" if enabled else "off")


# --- views ----------------------------------------------------------------------

def _page(error=None, zone=None, rule=None, status=200):
    db = get_db()
    zones = [dict(r) for r in db.execute("SELECT * FROM zones ORDER BY sort, id")]
    rules = [dict(r) for r in db.execute("SELECT * FROM passport_rules ORDER BY id")]
    return render_template("zones/admin.html", zones=zones, rules=rules, kinds=KINDS, error=error,
                           edit_zone=zone, edit_rule=rule,
                           auto_checkin=get_setting(db, AUTO_CHECKIN, "0") == "1"), status


def _item(table: str, item_id: int, code: str, message: str) -> dict:
    row = get_db().execute(f"SELECT * FROM {table} WHERE id = ?", [item_id]).fetchone()
    if row is None:
        raise NotFound(code, message)
    return dict(row)


def _echo(form) -> dict:
    """The posted fields, to show the form again after an error. A posted
    ``id`` is never trusted: it would end up in the form's action URL."""
    return {key: value for key, value in form.items() if key != "id"}


@bp.route("/zones", methods=["GET", "POST"])
@role_required("admin")
def zones():
    """List zones and rules; POST creates a zone."""
    if request.method == "POST":
        try:
            save_zone(get_db(), request.form, current_principal().actor)
        except ServiceError as exc:
            return _page(error=exc, zone=_echo(request.form), status=exc.status)
        return redirect(url_for("zone_admin.zones"))
    return _page()


@bp.route("/zones/<id:zone_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_zone(zone_id: int):
    """Edit one zone (GET shows the form filled in)."""
    zone = _item("zones", zone_id, "unknown_zone", "This zone does not exist or is closed.")
    if request.method == "POST":
        try:
            save_zone(get_db(), request.form, current_principal().actor, zone_id)
        except ServiceError as exc:
            return _page(error=exc, zone=dict(request.form, id=zone_id), status=exc.status)
        return redirect(url_for("zone_admin.zones"))
    zone.update(cooldown_min=zone["cooldown_s"] // 60, dwell_min=zone["dwell_s"] // 60)
    return _page(zone=zone)


@bp.route("/passport-rules", methods=["POST"])
@role_required("admin")
def create_rule():
    try:
        save_rule(get_db(), request.form, current_principal().actor)
    except ServiceError as exc:
        return _page(error=exc, rule=_echo(request.form), status=exc.status)
    return redirect(url_for("zone_admin.zones"))


@bp.route("/passport-rules/<id:rule_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_rule(rule_id: int):
    """Edit one passport rule."""
    rule = _item("passport_rules", rule_id, "unknown_rule", "No such passport rule.")
    if request.method == "POST":
        try:
            save_rule(get_db(), request.form, current_principal().actor, rule_id)
        except ServiceError as exc:
            return _page(error=exc, rule=dict(request.form, id=rule_id), status=exc.status)
        return redirect(url_for("zone_admin.zones"))
    return _page(rule=rule)


@bp.route("/zones/settings", methods=["POST"])
@role_required("admin")
def zone_settings():
    """Save the festival setting ``auto_checkin_at_zones``."""
    set_auto_checkin(get_db(), bool(request.form.get("auto_checkin")), current_principal().actor)
    return redirect(url_for("zone_admin.zones"))
