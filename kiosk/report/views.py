"""``/admin/report`` (admin only) and ``festival report -o report.html``.

Both render templates/report/report.html from ``service.build``: the page
links its stylesheet (the app's CSP holds: no script at all), the file
carries the same stylesheet inline so it opens anywhere without a network.
"""
from __future__ import annotations

from pathlib import Path

import click
from flask import Blueprint, current_app, url_for
from flask.cli import with_appcontext

from kiosk.audit import audit
from kiosk.auth import current_principal, role_required
from kiosk.db import get_db, transaction
from kiosk.i18n import translate
from kiosk.outputs import check_output, write_output

from . import service

bp = Blueprint("report", __name__)


def _pair(obj: dict, label_key: str, value_key: str) -> dict:
    """A chart bar from a report row: {label, value} (no value counts as 0)."""
    return {"label": str(obj.get(label_key, "")), "value": obj.get(value_key) or 0}


def render_report(db, standalone: bool) -> str:
    """The report as HTML: ``standalone`` inlines the stylesheet."""
    app = current_app
    offset = int(app.config["REPORT_UTC_OFFSET_HOURS"])
    data = service.build(db, utc_offset_hours=offset)
    css = css_url = None
    if standalone:
        css = (Path(app.static_folder) / "css" / "report.css").read_text(encoding="utf-8")
    else:
        css_url = url_for("static", filename="css/report.css")
    template = app.jinja_env.get_template("report/report.html")
    return template.render(r=data, css=css, css_url=css_url, tr=translate, festival=app.config["FESTIVAL_NAME"])


@bp.route("/admin/report")
@role_required("admin")
def page():
    """The impact report in the browser (print it from there: A4)."""
    db = get_db()
    html = render_report(db, standalone=False)
    with transaction(db):
        audit(db, current_principal().actor, "report.view", None, None)
    return html


def register_variant(app, flag: str, render) -> None:
    """Let a feature add ``festival report --<flag>``: ``render(db) -> standalone HTML``
    (the national feature registers ``national``)."""
    app.extensions.setdefault("festival_report_variants", {})[flag] = render


@click.command("report")
@click.option("-o", "--output", type=click.Path(), default="report.html",
              show_default=True, help="The HTML file to write.")
@click.option("--national", is_flag=True, help="The national report: every imported hub's outcomes merged.")
@with_appcontext
def report_command(output, national):
    """Write the impact report as one self-contained HTML file (prints on A4)."""
    db = get_db()
    check_output(output, current_app.config["DATABASE"])  # before the work: the festival file is never a target
    if national:
        render = current_app.extensions.get("festival_report_variants", {}).get("national")
        if render is None:
            raise click.ClickException("Không có báo cáo toàn quốc / no national report in this install")
        write_output(output, render(db), current_app.config["DATABASE"])
        click.echo(f"Đã ghi / written: {output}", err=True)
        return
    write_output(output, render_report(db, standalone=True), current_app.config["DATABASE"])
    with transaction(db):
        audit(db, "cli:report", "report.export", None, None)
    click.echo(f"Đã ghi / written: {output}", err=True)


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters["attr_pair"] = _pair
    app.cli.add_command(report_command)
