"""Badges: the attendee's phone page and printing (single labels, A4 sheets of 8).

What a printed badge shows (docs/attendees.md): the nickname large, the QR,
the token in groups of four for typing by hand, and small the given name
and class. The given name and class are for the desk volunteer who hands
out a pile of printed badges to the right child; they are not enough to
find the child (no family name, no school, no age), and the QR holds only
the opaque token URL. The phone page shows even less: no name at all.
"""
from __future__ import annotations

from flask import Blueprint, current_app, has_request_context, make_response, render_template, request

from kiosk.auth import role_required
from kiosk.badgecheck import lookup_badge
from kiosk.db import get_db
from kiosk.errors import ServiceError
from kiosk.network import device_base_url
from kiosk.security import rate_limit
from kiosk.text import clean, fold, given_name
from kiosk.validation import row_id

from .attendees import get_attendee, live_token
from kiosk.tokens import pretty

bp = Blueprint("badges", __name__)

PER_SHEET = 8
MAX_BADGES = 2000


def badge_url(token: str) -> str:
    """The URL a badge's QR holds: the hub's address for other devices + ``b/<token>``."""
    if current_app.config.get("PUBLIC_URL") or has_request_context():
        return device_base_url()[0] + "/b/" + token
    return "/b/" + token  # no request: a relative URL still ends in the token


def badge_view(row: dict) -> dict:
    """What a printed badge needs, and nothing more."""
    token = row["token"]
    return {"id": row["id"], "nickname": row["nickname"], "given_name": given_name(row["full_name"]),
            "class_name": row.get("class_name") or "", "token": token, "pretty": pretty(token),
            "url": badge_url(token)}


def _no_store(response):
    # The page URL is the badge: keep it out of shared caches and history sync.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/b/<token>")
def phone(token: str):
    """The attendee's own badge page: nickname, QR and token; nothing private."""
    rate_limit("badge_page", current_app.config["BADGE_PAGE_RATE_LIMIT"])
    found = lookup_badge(get_db(), token[:80])
    if found.status == "replaced":
        return _no_store(make_response(render_template("badges/replaced.html"), 410))
    if found.status != "ok":
        return _no_store(make_response(render_template("badges/not_found.html"), 404))
    attendee = found.attendee
    response = make_response(render_template(
        "badges/phone.html", nickname=attendee["nickname"], token=found.token,
        pretty=pretty(found.token), url=badge_url(found.token), attendee_id=attendee["id"],
        just_registered=request.args.get("new") == "1"))
    return _no_store(response)


@bp.route("/badges/<id:attendee_id>/label")
@role_required("desk")
def label(attendee_id: int):
    """One badge for a 62 mm label printer."""
    db = get_db()
    row = get_attendee(db, attendee_id)
    token = live_token(db, attendee_id)
    if token is None:
        raise ServiceError("no_badge", "This attendee has no valid badge; reissue one at the desk.", status=404)
    return render_template("badges/label.html", badge=badge_view({**row, "token": token}))


def sheet_filters(args) -> dict:
    """Parse the sheet's query string. Raises ServiceError ``bad_filter``."""
    try:
        ids = [row_id(v) for v in args.getlist("attendee")][:MAX_BADGES]  # 64-bit ids only
    except ValueError:
        raise ServiceError("bad_filter", "Attendee numbers must be whole numbers.") from None
    checked_in = args.get("checked_in", "")
    if checked_in not in ("", "0", "1"):
        raise ServiceError("bad_filter", "checked_in must be 0 or 1.")
    return {"ids": ids, "school": clean(args.get("school", ""))[:80], "class_name": clean(args.get("class", ""))[:20],
            "q": clean(args.get("q", ""))[:100], "checked_in": checked_in}


def find_badges(db, ids=(), school="", class_name="", q="", checked_in="", limit=MAX_BADGES) -> list[dict]:
    """Attendees with a live badge matching every given filter, by school, class and name."""
    where, params = ["a.purged_at IS NULL"], []
    if ids:
        where.append(f"a.id IN ({', '.join('?' * len(ids))})")
        params += list(ids)
    if school:
        where.append("a.school_fold = ?")
        params.append(fold(school))
    if class_name:
        where.append("a.class_name = ? COLLATE NOCASE")
        params.append(class_name)
    for word in fold(q).split()[:6]:
        where.append("(' ' || a.name_fold) LIKE ? ESCAPE '\\'")
        params.append("% " + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    if checked_in:
        where.append("a.checked_in_at IS NOT NULL" if checked_in == "1" else "a.checked_in_at IS NULL")
    rows = db.execute(
        "SELECT a.id, a.full_name, a.nickname, a.school, a.class_name, b.token FROM attendees a "
        "JOIN badges b ON b.attendee_id = a.id AND b.revoked_at IS NULL "
        f"WHERE {' AND '.join(where)} ORDER BY a.school_fold, a.class_name, a.name_sort LIMIT ?",
        params + [limit + 1]).fetchall()
    return [dict(r) for r in rows]


@bp.route("/badges/sheet")
@role_required("desk")
def sheet():
    """A4 sheets of 8 badges for the attendees matching the filters."""
    filters = sheet_filters(request.args)
    if not any(filters.values()):
        raise ServiceError("bad_filter", "Choose attendees, a school, a class or a search to print.")
    rows = find_badges(get_db(), **filters)
    truncated = len(rows) > MAX_BADGES
    badges = [badge_view(r) for r in rows[:MAX_BADGES]]
    pages = [badges[i:i + PER_SHEET] for i in range(0, len(badges), PER_SHEET)]
    return render_template("badges/sheet.html", pages=pages, count=len(badges), truncated=truncated,
                           limit=MAX_BADGES, filters=filters)


def init_app(app) -> None:
    app.register_blueprint(bp)
