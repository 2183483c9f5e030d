"""Zones and the passport: visits with cooldowns and points (``service``),
traffic and occupancy (``stats``), the zone kiosk page and reward API
(``views``) and the organiser's zone and passport-rule pages (``admin``)."""
from __future__ import annotations

from kiosk.views import add_admin_link

from . import admin, exports, presence, views
from .service import passport_for


def init_app(app) -> None:
    """Register the zone kiosk, admin pages, reward API and the passport global."""
    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    exports.init_app(app)
    app.register_blueprint(presence.bp)
    add_admin_link(app, "zone_admin.zones", "Zones and passport")
    app.jinja_env.globals["passport_for"] = passport_for
