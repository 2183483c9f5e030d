"""Operations: serving (gunicorn, LAN addresses, open-file limit), local TLS,
automatic and manual backups, restore, purge and withdrawal, the audit log
page, edge nodes for scaling out, and continuous replication to a standby
(``replication``; ``commands`` holds the CLI)."""
from __future__ import annotations

from flask import current_app

from kiosk.dashboard.service import register_section
from kiosk.views import add_admin_link

from . import commands, node, views
from .backup import start_automatic_backups
from .replication import replication_status, start_replication


def init_app(app) -> None:
    """Commands, the operations pages, automatic backups (hub only) and,
    with a message queue, this node's board publisher."""
    commands.init_app(app)
    app.register_blueprint(views.bp)
    add_admin_link(app, "ops.audit_page", "Audit log")
    start_automatic_backups(app)
    start_replication(app)
    register_section("replication", lambda _db: replication_status(current_app))
    node.init_app(app)
