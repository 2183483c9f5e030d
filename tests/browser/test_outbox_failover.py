"""The outbox's failover logic in Chromium, driven with a fake HubLink: what
a hub acknowledged is kept, replayed in order (ahead of newer items) to a hub
not met before, never to the same hub after a restart, and the replay's
answers do not reach the page as new results."""
from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static"
ORIGIN = "http://outbox-failover.test"


@pytest.fixture
def box_page(page):
    def serve(route):
        path = route.request.url[len(ORIGIN):].split("?")[0]
        if path.startswith("/static/"):
            route.fulfill(path=str(STATIC / path[len("/static/"):]), content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><title>failover</title><body></body>", content_type="text/html")

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.evaluate("""async () => {
        const {Outbox} = await import('/static/js/outbox.js');
        // A fake link: window.hub is who answers ('' = nobody); each hub stores ids it saw.
        window.hub = 'A';
        window.stores = {};
        window.late = [];
        const link = {
            hello: async () => { if (!window.hub) throw new TypeError('down'); return window.hub; },
        };
        window.make = (name, options = {}) => new Outbox(name, async (item) => {
            if (!window.hub) throw new TypeError('Failed to fetch');
            (window.stores[window.hub] = window.stores[window.hub] || []).push(item.id);
            return {status: 200, body: {ok: true}, hub: window.hub};
        }, {link, retryMs: 60000, watchMs: 3600000, answerWaitMs: 2000,
            onResult: (item) => window.late.push(item.id), ...options});
    }""")
    return page


def test_a_new_hub_gets_the_acknowledged_items_again_first_and_in_order(box_page):
    result = box_page.evaluate("""async () => {
        const box = window.make('f1');
        for (const id of ['s1', 's2', 's3']) await box.submit({id});
        const kept = box.acknowledged().map((e) => [e.item.id, e.hub]);
        window.hub = '';                         // the hub dies
        const queued = await box.submit({id: 's4'});
        window.hub = 'B';                        // the standby took over
        await box.flush();
        return {kept, queued, B: window.stores.B, late: window.late, pending: box.pending().length,
                keptAfter: box.acknowledged().map((e) => [e.item.id, e.hub])};
    }""")
    assert result["kept"] == [["s1", "A"], ["s2", "A"], ["s3", "A"]]
    assert result["queued"] == {"queued": True}
    assert result["B"] == ["s1", "s2", "s3", "s4"]  # the replay first, then what waited
    assert result["late"] == ["s4"]  # replayed answers are not new results for the page
    assert result["pending"] == 0
    assert result["keptAfter"] == [["s1", "B"], ["s2", "B"], ["s3", "B"], ["s4", "B"]]


def test_the_same_hub_after_a_restart_gets_nothing_again(box_page):
    result = box_page.evaluate("""async () => {
        const box = window.make('f2');
        await box.submit({id: 'r1'});
        window.hub = '';
        await box.submit({id: 'r2'});
        window.hub = 'A';                        // the same hub, restarted
        await box.flush();
        // A reload of the page: a new Outbox on the same storage meets A again.
        const again = window.make('f2');
        await again.flush();
        return window.stores.A;
    }""")
    assert result == ["r1", "r2"]


def test_only_the_last_minutes_of_contact_are_kept(box_page):
    result = box_page.evaluate("""async () => {
        const box = window.make('f3', {keepMs: 200});
        await box.submit({id: 'old'});
        await new Promise((r) => setTimeout(r, 400));
        await box.submit({id: 'new'});
        const kept = box.acknowledged().map((e) => e.item.id);
        // Another hub at the same address with no failure in between (a name
        // that moved): the first answer reveals it, the replay follows at once.
        window.hub = 'C';
        await box.submit({id: 'after'});
        await box.flush();
        return {kept, C: window.stores.C};
    }""")
    assert result["kept"] == ["new"]
    assert result["C"] == ["after", "new"]


def test_a_kiosk_that_never_met_a_hub_replays_nothing(box_page):
    result = box_page.evaluate("""async () => {
        window.hub = 'B';
        const box = window.make('f4');
        await box.submit({id: 'x1'});
        return window.stores.B;
    }""")
    assert result == ["x1"]


# --- issue 24: a standby proves it belongs to the festival --------------------------

STANDBY = "http://standby.test"
IMPOSTOR = "http://impostor.test"
KEY = "k" * 64


@pytest.fixture
def link_page(page):
    """A page whose hub is down, with an impostor and a real standby listed."""
    import hmac
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    seen = {"impostor": [], "standby": []}
    cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
            "Access-Control-Allow-Methods": "GET, POST", "Access-Control-Expose-Headers": "X-Festival-Hub"}

    def serve(route):
        request = route.request
        url = urlsplit(request.url)
        origin = f"{url.scheme}://{url.netloc}"
        if origin == ORIGIN:
            if url.path.startswith("/static/"):
                route.fulfill(path=str(STATIC / url.path[len("/static/"):]), content_type="text/javascript")
            elif url.path == "/":
                route.fulfill(body="<!doctype html><title>link</title><body></body>", content_type="text/html")
            else:
                route.abort()  # the hub is gone
            return
        who = "standby" if origin == STANDBY else "impostor"
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors)
            return
        seen[who].append({"path": url.path, "auth": request.headers.get("authorization")})
        if url.path == "/healthz":
            challenge = parse_qs(url.query).get("challenge", [""])[0]
            hub = "standby-1" if who == "standby" else "hub-A"  # the impostor claims the old hub's id
            proof = hmac.new(KEY.encode(), f"{challenge}|{hub}".encode(), hashlib.sha256).hexdigest()
            body = {"ok": True, "hub": hub, "proof": proof if who == "standby" else "0" * 64}
        else:
            body = {"ok": True, "result": "stored"}
        route.fulfill(status=200, json=body, headers={**cors, "X-Festival-Hub": "standby-1"})

    page.route("**/*", serve)
    page.goto(f"{ORIGIN}/")
    page.seen = seen
    return page


def _send(page, hubs, key=KEY):
    return page.evaluate("""async ([hubs, key]) => {
        const {HubLink} = await import('/static/js/outbox.js');
        localStorage.clear();
        const link = new HubLink('t', {hubs, credential: 'secret-credential', device: 7, key});
        let reply = null, error = null;
        // As the outbox does when the hub stops answering: find who answers, then send.
        try { await link.hello(); reply = await link.request('POST', '/api/scans', {id: 's1', text: 'X'}); }
        catch (e) { error = String(e); }
        return {reply, error, current: link.current};
    }""", [hubs, key])


def test_an_impostor_that_answers_first_gets_no_credential_and_no_scan(link_page):
    result = _send(link_page, [IMPOSTOR, STANDBY])
    assert result["error"] is None and result["current"] == STANDBY
    assert result["reply"]["body"] == {"ok": True, "result": "stored"}
    impostor = link_page.seen["impostor"]
    assert impostor and all(r["path"] == "/healthz" and r["auth"] is None for r in impostor)
    standby = link_page.seen["standby"]
    assert standby[0]["path"] == "/healthz" and standby[0]["auth"] is None  # the proof first
    assert [r for r in standby if r["path"] == "/api/scans"][0]["auth"] == "Bearer secret-credential"


def test_without_a_proven_standby_nothing_is_sent(link_page):
    result = _send(link_page, [IMPOSTOR])
    assert result["reply"] is None and "no hub" in result["error"]
    assert all(r["auth"] is None and r["path"] == "/healthz" for r in link_page.seen["impostor"])
    wrong_key = _send(link_page, [STANDBY], key="not the festival's key")
    assert wrong_key["reply"] is None
    assert not [r for r in link_page.seen["standby"] if r["path"] == "/api/scans"]
