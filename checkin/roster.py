"""Organiser pages for attendees: list and filter, print, import, export, QR poster."""
from __future__ import annotations

import base64
from datetime import datetime

from flask import Blueprint, Response, current_app, render_template, request, url_for

from kiosk.auth import current_principal, role_required
from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.network import device_base_url
from kiosk.text import clean, sort_key
from kiosk.views import add_admin_link

from .attendees import AGE_BANDS
from .badges import sheet_filters, find_badges
from .export import export_attendees_csv
from .classlist import problems_csv
from .importer import import_csv, parse_mapping

bp = Blueprint("attendees", __name__, url_prefix="/admin")

LIST_LIMIT = 200
# Where a sheet's class or school came from, and why a sheet gave no pupils (the import page's table).
SHEET_FROM = {"title": "from the title", "sheet": "from the sheet name", "option": "as given"}
SHEET_SKIPPED = {"no header": "no header row", "empty": "empty", "no pupils": "no pupils"}


def school_classes(db) -> list[dict]:
    """Every school with its classes and head counts, in Vietnamese order."""
    rows = db.execute(
        "SELECT school, class_name, COUNT(*) AS n FROM attendees WHERE purged_at IS NULL "
        "GROUP BY school_fold, class_name").fetchall()
    schools: dict[str, dict] = {}
    for r in rows:
        entry = schools.setdefault(r["school"] or "", {"school": r["school"] or "", "count": 0, "classes": []})
        entry["count"] += r["n"]
        if r["class_name"]:
            entry["classes"].append({"class_name": r["class_name"], "count": r["n"]})
    for entry in schools.values():
        entry["classes"].sort(key=lambda c: (len(c["class_name"]), sort_key(c["class_name"])))
    return sorted(schools.values(), key=lambda e: sort_key(e["school"]))


@bp.route("/attendees")
@role_required("admin")
def index():
    """Attendees matching the filters (first 200), with print links."""
    db = get_db()
    filters = sheet_filters(request.args)
    rows = find_badges(db, **filters, limit=LIST_LIMIT) if any(filters.values()) else []
    sheet_args = {k: v for k, v in (("school", filters["school"]), ("class", filters["class_name"]),
                                    ("q", filters["q"]), ("checked_in", filters["checked_in"])) if v}
    total = db.execute("SELECT COUNT(*) FROM attendees WHERE purged_at IS NULL").fetchone()[0]
    return render_template("attendees/index.html", rows=rows[:LIST_LIMIT], more=len(rows) > LIST_LIMIT,
                           filters=filters, schools=school_classes(db), total=total,
                           sheet_url=url_for("badges.sheet", **sheet_args) if sheet_args else None)


@bp.route("/attendees/import", methods=["GET", "POST"])
@role_required("admin")
def import_page():
    """Upload a class list (.xlsx or CSV) and show the import report, with every problem as a CSV download."""
    report, error = None, None
    if request.method == "POST":
        # Size: the app-wide MAX_CONTENT_LENGTH (2 MB, about 30,000 rows) answers 413
        # before this view runs; bigger lists go through the CLI.
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise ServiceError("no_file", "Choose a class list to import (Excel .xlsx or CSV).")
            mapping = parse_mapping(line for line in request.form.get("mapping", "")[:2000].splitlines()
                                    if line.strip())
            band = request.form.get("default_age_band") or None
            report = import_csv(get_db(), upload.stream.read(), mapping,
                                all_or_nothing=request.form.get("all_or_nothing") == "1",
                                by=current_principal().actor, default_age_band=band,
                                school=request.form.get("school", "")[:200] or None,
                                class_name=request.form.get("class_name", "")[:50] or None,
                                dry_run=request.form.get("dry_run") == "1")
        except ServiceError as exc:
            error = exc
    # Every problem as a CSV the organiser downloads from the page itself (a
    # data: link): nothing with children's names is kept on the hub for it.
    problems = None
    if report and (report.problems or report.duplicates or report.possible_duplicates):
        problems = base64.b64encode(problems_csv(report).encode("utf-8")).decode("ascii")
    return render_template("attendees/import.html", report=report, error=error, age_bands=AGE_BANDS,
                           sheet_from=SHEET_FROM, sheet_skipped=SHEET_SKIPPED,
                           limit=LIST_LIMIT, problems_csv=problems), (error.status if error else 200)


@bp.route("/attendees/export.csv")
@role_required("admin")
def export():
    """Download every attendee as CSV (UTF-8 with BOM); audit-logged."""
    text = export_attendees_csv(get_db(), current_principal().actor)
    name = f"attendees-{datetime.now().strftime('%Y%m%d-%H%M')}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}",
                             "Cache-Control": "no-store"})


@bp.route("/register-poster")
@role_required("admin")
def poster():
    """A printable A4 poster with a big QR code of the self-registration page."""
    url, loopback = registration_url()
    return render_template("attendees/poster.html", url=url, loopback=loopback)


def registration_url() -> tuple[str, bool]:
    """The registration URL for phones, and whether it only works on this laptop.

    An organiser often opens the admin pages on the hub itself
    (127.0.0.1), which a phone cannot reach: use the LAN address then.
    """
    base, loopback = device_base_url()
    return clean(base + url_for("checkin.register")), loopback


def init_app(app) -> None:
    app.register_blueprint(bp)
    add_admin_link(app, "attendees.index", "Attendees")
    add_admin_link(app, "attendees.poster", "Registration poster")
