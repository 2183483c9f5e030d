"""A zone kiosk in a real browser keeps working offline: 50 scans made while
the hub is unreachable (browser offline *and* the hub stopped), a reload in
the middle (served by the kiosk's service worker), then back online: all 50
recorded exactly once, in order, with the right visits and points."""
from __future__ import annotations

import pytest

from checkin.attendees import NewAttendee, create_attendee
from kiosk.db import now, open_db
from kiosk.devices.service import create_device

pytestmark = [pytest.mark.browser, pytest.mark.server]

DISTINCT = 40  # 40 first visits + 10 repeats inside the cooldown = 50 scans


def seed(database):
    """A zone, 40 checked-in attendees; returns (zone_id, tokens, pairing code)."""
    db = open_db(str(database), "NORMAL")
    try:
        zone = db.execute(
            "INSERT INTO zones (slug, name_vi, name_en, kind, points, cooldown_s, created_at) "
            "VALUES ('vr', 'Khu thực tế ảo', 'VR zone', 'vr_ar', 10, 600, ?)", [now()]).lastrowid
        db.conn.commit()
        tokens = []
        for n in range(DISTINCT):
            data = NewAttendee(full_name=f"Trần Thị Khách {n}", age_band="16-17", consent_child=True,
                               consent_guardian=True, consent_public=True)
            attendee_id, token = create_attendee(db, data, "walkin", "test", check_consents=False)
            tokens.append(token)
        db.execute("UPDATE attendees SET checked_in_at = ?", [now()])
        db.conn.commit()
        _device, code = create_device(db, "Kiosk VR", "zone", zone, "test")
        return zone, tokens, code
    finally:
        db.conn.close()


def wedge(page, text):
    """Type like a USB scanner: the whole text fast, then Enter."""
    page.keyboard.type(text, delay=0)
    page.keyboard.press("Enter")


def wait_outbox(page, count, timeout=30_000):
    page.wait_for_selector(f'#zone-kiosk[data-outbox="{count}"]', state="attached", timeout=timeout)


def test_fifty_offline_scans_with_a_reload_sync_exactly_once(live_hub, context, page):
    zone, tokens, code = seed(live_hub.database)
    page.goto(f"{live_hub.url}/pair/{code}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_hub.url}/zone")
    page.wait_for_selector('#zone-kiosk[data-offline-ready="1"]', state="attached", timeout=15_000)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15_000)

    sequence = tokens + tokens[:10]  # the last 10 are repeats inside the 10-minute cooldown
    context.set_offline(True)
    live_hub.stop()  # nothing can reach the hub, whatever the browser's emulation covers

    for token in sequence[:25]:
        wedge(page, token)
    wait_outbox(page, 25)
    assert "Đã lưu" in page.text_content("#big")

    page.reload()  # the kiosk is reloaded while offline: the service worker serves it
    wait_outbox(page, 25)
    for token in sequence[25:]:
        wedge(page, token)
    wait_outbox(page, 50)
    stored = page.evaluate("window.__festival.outbox.pending().map((i) => i.text)")
    assert stored == sequence

    live_hub.start()
    context.set_offline(False)
    wait_outbox(page, 0, timeout=60_000)
    assert page.evaluate("window.__festival.outbox.rejected().length") == 0

    db = open_db(str(live_hub.database), "NORMAL")
    try:
        scans = db.execute("SELECT scanned_text, result, zone_id FROM scans ORDER BY server_time, rowid").fetchall()
        assert [s["scanned_text"] for s in scans] == sequence  # all 50, once each, in order
        assert {s["zone_id"] for s in scans} == {zone}
        assert [s["result"] for s in scans] == ["zone_visit"] * DISTINCT + ["already_visited"] * 10
        kinds = db.execute("SELECT kind, COUNT(*) FROM visits GROUP BY kind ORDER BY kind").fetchall()
        assert [tuple(k) for k in kinds] == [("enter", DISTINCT), ("repeat", 10)]
        assert db.execute("SELECT COUNT(*), SUM(points) FROM ledger").fetchone()[:] == (DISTINCT, 10 * DISTINCT)
        assert {r[0] for r in db.execute("SELECT points FROM point_totals")} == {10}
    finally:
        db.conn.close()
    assert not live_hub.errors_in_log()


def test_refused_scans_are_kept_for_staff(live_hub, page):
    """A scan the hub refuses (closed zone) is listed for staff, not dropped."""
    zone, tokens, code = seed(live_hub.database)
    page.goto(f"{live_hub.url}/pair/{code}")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_hub.url}/zone")
    db = open_db(str(live_hub.database), "NORMAL")
    db.execute("UPDATE zones SET active = 0 WHERE id = ?", [zone])
    db.conn.commit()
    db.conn.close()
    wedge(page, tokens[0])
    page.wait_for_selector('#result[data-level="red"]', timeout=10_000)
    wait_outbox(page, 0)
    assert page.text_content("#rejected-count") == "1"
    page.click("#staff-toggle")
    assert tokens[0] in page.text_content("#rejected-list")
    kept = page.evaluate("JSON.parse(localStorage.getItem('festival-outbox:zone-%d:rejected'))" % zone)
    assert kept[0]["status"] == 404 and kept[0]["body"]["error"]["code"] == "unknown_zone"


# --- the Outbox class itself, driven with a fake hub ----------------------------------

STATIC = __import__("pathlib").Path(__file__).resolve().parents[2] / "static"
ORIGIN = "http://outbox.test"


@pytest.fixture
def outbox_page(page):
    """A blank page on a fake origin that serves /static/ from the checkout."""

    def serve(route):
        path = route.request.url[len(ORIGIN):].split("?")[0]
        if path.startswith("/static/"):
            route.fulfill(path=str(STATIC / path[len("/static/"):]), content_type="text/javascript")
        else:
            route.fulfill(body="<!doctype html><title>outbox</title><body></body>", content_type="text/html")

    page.route(f"{ORIGIN}/**", serve)
    page.goto(f"{ORIGIN}/")
    page.evaluate("""async () => {
        const {Outbox} = await import('/static/js/outbox.js');
        window.replies = [];      // what the fake hub answers next, in order ('down' throws)
        window.sent = [];         // ids the fake hub saw
        window.late = [];         // onResult calls
        window.make = (name) => new Outbox(name, async (item) => {
            window.sent.push(item.id);
            const next = window.replies.length ? window.replies.shift() : {status: 200, body: {ok: true}};
            if (next === 'down') throw new TypeError('Failed to fetch');
            return next;
        }, {retryMs: 60000, answerWaitMs: 2000, onResult: (item, reply) => window.late.push([item.id, reply.status])});
    }""")
    return page


def test_outbox_keeps_order_through_failures_and_never_loses_an_item(outbox_page):
    result = outbox_page.evaluate("""async () => {
        const box = window.make('t1');
        window.replies = ['down'];
        const first = await box.submit({id: 'a-000001'});
        const second = await box.submit({id: 'a-000002'});   // hub known down: answered at once
        const third = await box.submit({id: 'a-000002'});    // same id again: not queued twice
        const pendingWhileDown = box.pending().map((i) => i.id);
        await box.flush();
        return {first, second, third, pendingWhileDown, sent: window.sent, late: window.late,
                pending: box.pending().length, state: box.state};
    }""")
    assert result["first"] == {"queued": True} and result["second"] == {"queued": True}
    assert result["pendingWhileDown"] == ["a-000001", "a-000002"]
    assert result["sent"] == ["a-000001", "a-000001", "a-000002"]  # retried head first, then in order
    assert result["late"] == [["a-000001", 200], ["a-000002", 200]]  # late answers are not dropped
    assert result["pending"] == 0 and result["state"] == "idle"


def test_outbox_sorts_replies_into_retry_blocked_rejected_and_sent(outbox_page):
    result = outbox_page.evaluate("""async () => {
        const box = window.make('t2');
        const out = {};
        window.replies = [{status: 503, body: null}];
        out.server_error = await box.submit({id: 'b-000001'});
        out.after_503 = box.pending().length;
        window.replies = [{status: 401, body: {error: {code: 'login_required'}}}];
        await box.flush();
        out.blocked_state = box.state;
        out.after_401 = box.pending().length;
        window.replies = [{status: 400, body: {error: {code: 'csrf_failed'}}}];
        await box.flush();
        out.after_csrf = box.pending().length;
        window.replies = [{status: 404, body: {ok: false, error: {code: 'unknown_zone'}}}];
        await box.flush();
        out.after_404 = box.pending().length;
        out.rejected = box.rejected().map((r) => [r.item.id, r.status]);
        window.replies = [{status: 200, body: {ok: true, result: 'zone_visit'}}];
        out.ok = await box.flush().then(() => box.submit({id: 'b-000002'}));
        // the rejected list survives a new Outbox on the same key (a reload)
        out.rejected_after_reload = window.make('t2').rejected().length;
        return out;
    }""")
    assert result["server_error"] == {"queued": True} and result["after_503"] == 1
    assert result["blocked_state"] == "blocked" and result["after_401"] == 1
    assert result["after_csrf"] == 1
    assert result["after_404"] == 0 and result["rejected"] == [["b-000001", 404]]
    assert result["ok"]["status"] == 200 and result["ok"]["body"]["result"] == "zone_visit"
    assert result["rejected_after_reload"] == 1
