"""Static files as a crowd of phones loads them (issue 21).

- **Bundles.** The pages phones open in crowds (the play page, the badge page,
  /register) load one stylesheet and one script, each named by a hash of its
  content under ``static/bundle/`` (``play.3f2a91c0.css``). The files under
  static/css and static/js stay the source of truth: ``python3
  tools/assets/build.py`` rebuilds every bundle (esbuild for scripts,
  concatenation for stylesheets) with a gzip copy beside it and writes
  ``static/bundle/manifest.json``, which records each bundle's inputs and
  their hashes. Bundles are committed; :func:`stale` (a test runs it) says
  which no longer match their sources.
- **A static layer before Flask.** WhiteNoise answers every ``/static/…``
  request before Flask (and Flask-SocketIO's middleware) sees it, from
  headers computed once at start: a bundle is ``public, max-age=31536000,
  immutable`` and served gzipped to a phone that accepts it; every other
  file carries an ETag and ``no-cache`` (a browser revalidates it with a
  cheap 304).

Templates name a bundle with ``asset_url("play.css")``, and the site icon
with ``favicon_url`` (a ``data:`` URL: no request at all). A page that is the
same for every visitor with the same language and link (the play page) is
rendered once by :func:`render_shared`.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import OrderedDict
from pathlib import Path
from urllib.parse import quote

from flask import current_app, render_template, request
from whitenoise import WhiteNoise

from .i18n import current_language

BUNDLE_DIR = "bundle"
MANIFEST = f"{BUNDLE_DIR}/manifest.json"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# name -> sources under static/: stylesheets are concatenated in order; a script
# bundle has one entry module, and esbuild follows its imports.
BUNDLES: dict[str, list[str]] = {
    "play.css": ["css/app.css", "css/game.css"],
    "play.js": ["js/player.js"],
    "attendee.css": ["css/app.css", "css/attendees.css"],  # /register
    "badge.css": ["css/app.css", "css/attendees.css", "css/zone.css"],  # /b/<token> with its passport
    "register.js": ["js/register.js"],
}

_HASHED = re.compile(rf"/{BUNDLE_DIR}/[^/]+\.[0-9a-f]{{8,}}\.(?:css|js)$")
# What concatenation cannot carry from static/css/ to static/bundle/: an @import or a relative url().
_NOT_CONCATENABLE = re.compile(r"@import\b|url\(\s*['\"]?(?!data:|/|#)", re.I)


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashed_name(name: str, data: bytes) -> str:
    """``play.css`` + content → ``play.<first 10 hex digits of its SHA-256>.css``."""
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.{content_hash(data)[:10]}{dot}{ext}"


def concatenate_css(static: Path, sources: list[str]) -> bytes:
    """The stylesheets one after the other, as the page's ``<link>``s applied them.

    Raises ValueError for a source that an ``@import`` or a relative ``url()``
    would break once it is served from another folder.
    """
    parts = []
    for source in sources:
        text = (static / source).read_text(encoding="utf-8")
        if _NOT_CONCATENABLE.search(text):
            raise ValueError(f"{source}: @import or a relative url() cannot be concatenated into a bundle")
        parts.append(f"/* {source} */\n{text.rstrip()}\n")
    return "".join(parts).encode("utf-8")


def gzipped(data: bytes) -> bytes:
    """Deterministic gzip (no name, no time): the same bundle always gives the same bytes."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def load_manifest(static: Path) -> dict:
    try:
        return json.loads((static / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def stale(static: Path) -> list[str]:
    """Why the committed bundles no longer match their sources (empty: they match)."""
    static, manifest, problems = Path(static), load_manifest(static), []
    for name, sources in BUNDLES.items():
        entry = manifest.get(name)
        if not entry:
            problems.append(f"{name}: not built")
            continue
        if entry.get("sources") != sources:
            problems.append(f"{name}: built from {entry.get('sources')}, declared {sources}")
        for path, digest in entry.get("inputs", {}).items():
            try:
                current = content_hash((static / path).read_bytes())
            except OSError:
                current = None
            if current != digest:
                problems.append(f"{name}: {path} changed since the bundle was built")
        try:
            data = (static / entry["file"]).read_bytes()
            packed = gzip.decompress((static / (entry["file"] + ".gz")).read_bytes())
        except (OSError, KeyError, EOFError, gzip.BadGzipFile):
            problems.append(f"{name}: bundle file or its .gz missing")
            continue
        if hashed_name(name, data) != Path(entry["file"]).name or packed != data:
            problems.append(f"{name}: {entry['file']} does not match its name or its .gz")
    return problems


SHARED_PAGES = 256  # rendered pages kept per app (a few languages × a few game codes)


def render_shared(template: str, **context) -> str:
    """``render_template``, once per (template, language, path and query) and context.

    Only for a page that does not depend on who asks (no session, no CSRF
    token, no principal): the play page a crowd opens at once. The oldest
    entries go first, so odd query strings cannot grow it.
    """
    cache: OrderedDict = current_app.extensions["festival_shared_pages"]
    key = (template, current_language(), request.full_path, repr(sorted(context.items())))
    html = cache.get(key)
    if html is None:
        html = cache[key] = render_template(template, **context)
        while len(cache) > SHARED_PAGES:
            cache.popitem(last=False)
    return html


def _headers(headers, path: str, url: str) -> None:
    """WhiteNoise calls this once per file at start-up."""
    headers["Cache-Control"] = IMMUTABLE if _HASHED.search(url) else REVALIDATE
    headers["X-Content-Type-Options"] = "nosniff"


def init_app(app) -> None:
    """Serve static/ through WhiteNoise, in front of the app and its middleware (only
    kiosk.crowdgate goes in front of it); ``asset_url()`` and ``favicon_url`` in templates."""
    static = Path(app.static_folder)
    manifest = load_manifest(static)
    missing = [name for name in BUNDLES if name not in manifest]
    if missing:
        raise RuntimeError(f"static bundles not built: {missing} (run python3 tools/assets/build.py)")
    urls = {name: f"{app.static_url_path}/{entry['file']}" for name, entry in manifest.items()}
    app.jinja_env.globals["asset_url"] = urls.__getitem__
    icon = (static / "favicon.svg").read_text(encoding="utf-8")
    app.jinja_env.globals["favicon_url"] = "data:image/svg+xml," + quote(" ".join(icon.split()), safe=" =:/'")
    app.extensions["festival_shared_pages"] = OrderedDict()
    app.extensions["festival_assets"] = urls
    app.wsgi_app = WhiteNoise(
        app.wsgi_app, root=str(static), prefix=app.static_url_path.strip("/") + "/",
        autorefresh=bool(app.debug), max_age=None, allow_all_origins=False,
        mimetypes={".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm"},
        add_headers_function=_headers)
