"""Festival Kiosk: check-in, zone passport, quiz games and live leaderboards.

``create_app`` is the only way to get an app (gunicorn target:
``kiosk:create_app()``). Extensions are created unbound and bound here; the
features (kiosk's own packages, ``checkin`` and ``games``) are imported and
registered inside this function, in one list.
"""
from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from flask import Flask

from . import (assets, auth, capacity, config, crowdgate, db, errors, exports, gctune, i18n, realtime, security,
               validation, views)
from .realtime import socketio

__all__ = ["create_app", "socketio"]

_HERE = Path(__file__).resolve().parent


# Chromium refuses to compile WebAssembly served with another type, and not
# every machine's /etc/mime.types knows .wasm or .mjs.
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")


def _asset_dir(name: str) -> str:
    """static/ and templates/ sit at the checkout's top level; an installed
    wheel carries them inside the kiosk package."""
    inside = _HERE / name
    return str(inside if inside.is_dir() else _HERE.parent / name)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app, bind extensions and register every feature."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=(test_config or {}).get("INSTANCE_PATH") or os.environ.get("FESTIVAL_INSTANCE_PATH"),
        static_folder=_asset_dir("static"),
        template_folder=_asset_dir("templates"),
    )
    config.load_config(app, test_config)
    capacity.apply(app.config)  # the socket caps follow GAME_MAX_PLAYERS where unset
    app.url_map.converters["id"] = validation.IdConverter  # before any route: <id:...> row ids
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # secret key, database: owner only

    # The core, then every feature, in order. Features are imported here, the
    # one place the app is composed: the core never imports a feature.
    import checkin
    import games.cli
    import games.live
    import games.quiz

    from . import boards, cli, dashboard, devices, national, ops, report, zones

    for part in (db, i18n, errors, security, realtime):
        part.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(auth.bp)
    cli.init_app(app)
    exports.init_app(app)
    for feature in (devices, zones, boards, dashboard, checkin, games.quiz, games.cli, games.live, ops, report,
                    national):
        feature.init_app(app)
    app.jinja_env.globals["festival_name"] = lambda: app.config["FESTIVAL_NAME"]
    assets.init_app(app)  # static files answered before anything else
    crowdgate.init_app(app)  # the outermost middleware: staff first while a crowd arrives
    gctune.init_app(app)  # last: freezes what the app built (only when served, GC_TUNE)
    return app
