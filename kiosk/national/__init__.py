"""Many hubs, one national picture (issue 26).

Each hub (a festival venue, a school workshop) writes its anonymous outcomes
as one signed bundle (``bundle``, ``keys``: ``festival outcomes export``);
a national hub trusts hubs by key or pairing code and imports their bundles
(``store``: ``festival outcomes import``, ``POST /api/national/bundles``),
merges them (``summary``) into the national report (``views``:
``/admin/national``, ``festival report --national``) and a stage board
(``board``); a served hub pushes its bundle when online (``push``).
"""
from __future__ import annotations

from kiosk.report.views import register_variant
from kiosk.views import add_admin_link

from . import board, commands, push, views


def init_app(app) -> None:
    views.init_app(app)
    app.cli.add_command(commands.outcomes_group)
    register_variant(app, "national", lambda db: views.render_national(db, standalone=True))
    board.init_app(app)
    push.init_app(app)
    add_admin_link(app, "national.page", "National report")
