"""Issue 24: /healthz says when the hub cannot write, and the dashboard shows it."""
from __future__ import annotations

from pathlib import Path

from kiosk.health import PROBE_NAME


def block_the_probe(app) -> Path:
    """Make the write beside the festival file fail (as a full disk would):
    a folder where the probe's file goes."""
    folder = Path(app.config["DATABASE"]).parent / PROBE_NAME
    folder.mkdir()
    return folder


def test_healthz_is_ok_when_the_hub_can_write(app, client):
    reply = client.get("/healthz")
    assert reply.status_code == 200 and reply.get_json()["writable"] is True


def test_healthz_answers_503_with_the_reason_when_the_hub_cannot_write(app, client):
    app.config["WRITE_PROBE_SECONDS"] = 0
    block_the_probe(app)
    reply = client.get("/healthz")
    body = reply.get_json()
    assert reply.status_code == 503
    assert body["ok"] is False and body["writable"] is False and "festival file" in body["reason"]
    assert body["message_vi"].startswith("Máy chủ không lưu được") and body["message_en"].startswith("The hub cannot")
    assert body["hub"]  # devices still learn who this hub is


def test_the_probe_runs_at_most_every_few_seconds(app, client):
    app.config["WRITE_PROBE_SECONDS"] = 3600
    assert client.get("/healthz").status_code == 200
    block_the_probe(app)
    assert client.get("/healthz").status_code == 200  # the answer of the last probe, no new write


def test_the_dashboard_shows_that_the_hub_cannot_write(app, admin_client):
    app.config["WRITE_PROBE_SECONDS"] = 0
    block_the_probe(app)
    data = admin_client.get("/admin/dashboard.json").get_json()
    assert data["health"]["writable"] is False and data["health"]["reason"]
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert 'id="health"' in page and "Máy chủ không lưu được" in page
