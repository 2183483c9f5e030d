"""The impact report (issue 15): who came, what they did and what children
learned, from anonymous facts (``facts``) that outlive the purge; built by
``service``, shown on ``/admin/report`` and written by ``festival report``
(``views``)."""
from __future__ import annotations

from kiosk.views import add_admin_link

from . import views


def init_app(app) -> None:
    """The report page, its admin link and the ``festival report`` command."""
    views.init_app(app)
    add_admin_link(app, "report.page", "Impact report")
