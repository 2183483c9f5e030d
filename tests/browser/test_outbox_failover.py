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
