"""HTTP helpers for Flask test clients: CSRF tokens, form and JSON posts,
and the constants the fixtures share."""
from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ADMIN_PASSWORD = "festival-admin-pw"


def csrf(client) -> str:
    """The CSRF token of this client's session (creating one if needed)."""
    with client.session_transaction() as sess:
        token = sess.setdefault("_csrf", "test-csrf-token")
    return token


def post_form(client, url, data=None, **kwargs):
    data = dict(data or {})
    data.setdefault("csrf_token", csrf(client))
    return client.post(url, data=data, **kwargs)


def post_json(client, url, payload, **kwargs):
    headers = kwargs.pop("headers", {})
    headers.setdefault("X-CSRF-Token", csrf(client))
    return client.post(url, json=payload, headers=headers, **kwargs)
