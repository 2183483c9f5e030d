"""Issue 26: two festivals' signed outcomes bundles merged on a national hub.

The national figures equal the sums (and the rates of the sums) of the two
festivals' own impact reports (kiosk.report.service.build, the real service);
the raw bundle bytes hold nothing personal; a tampered or unregistered
bundle is refused; the same bundle twice counts once, an older one is
ignored; the admin page and the endpoint refuse everyone else."""
from __future__ import annotations

import gzip
import json
import os
import unicodedata

import pytest

from kiosk.national import bundle as outcomes
from kiosk.national import store, summary
from kiosk.national.board import national_board
from kiosk.national.push import Pusher
from kiosk.report import service as report_service
from kiosk.text import fold
from tests.support.national import add_live_game, add_person, add_round, add_zone, make_hub

SMALL_SCHOOL = "THCS Hoa Sen Nhỏ"  # 2 pupils: never named
BIG_SCHOOL = "THPT Chu Văn An"      # 5 pupils: named


def _festival_a(db):
    zone = add_zone(db, "lua-dao")
    people = []
    for n in range(5):
        people.append(("Trần Minh Khôi " + "ABCDE"[n], BIG_SCHOOL, "7-15", f"Mèo Con {n}", f"0912 000 10{n}"))
    people += [("Đoàn Thị Ngọc Ánh", SMALL_SCHOOL, "16-17", "Cá Heo Xanh", "0987 654 321"),
               ("Phạm Gia Bảo", SMALL_SCHOOL, "18+", "Sao Băng", "bao.pham@example.vn")]
    made = [add_person(db, *p, checked=n != 6, zone_id=zone if n < 4 else None) for n, p in enumerate(people)]
    for n, (attendee_id, _token) in enumerate(made[:5]):
        add_round(db, attendee_id, [("kidnap-01", 1 if n < 3 else 0, n < 3), ("apps-01", 1, True)])
    add_live_game(db, [made[0][0], made[5][0]], ["Mèo Con 0", "Cá Heo Xanh"], [True, False])
    return people, made


def _festival_b(db):
    zone = add_zone(db, "bat-nat")
    people = [("Lê Hoàng Yến", "THCS Quang Trung", "7-15", "Bướm Vàng", "0903 111 222"),
              ("Vũ Đức Thịnh", "THCS Quang Trung", "7-15", "Hổ Con", "0903 111 333"),
              ("Ngô Thu Trang", "", "u7", "", "")]
    made = [add_person(db, *p, checked=True, zone_id=zone) for p in people]
    for attendee_id, _token in made[:2]:
        add_round(db, attendee_id, [("kidnap-01", 0, False), ("jobs-01", 0, True), ("jobs-05", 1, False)])
    return people, made


@pytest.fixture
def hubs(tmp_path, migrated_template):
    a_app, a_db = make_hub(tmp_path, migrated_template, "hanoi")
    b_app, b_db = make_hub(tmp_path, migrated_template, "hue")
    n_app, n_db = make_hub(tmp_path, migrated_template, "national")
    a = {"app": a_app, "db": a_db, "people": _festival_a(a_db)}
    b = {"app": b_app, "db": b_db, "people": _festival_b(b_db)}
    run = lambda hub, *args: hub["app"].test_cli_runner().invoke(args=list(args))  # noqa: E731
    assert run(a, "outcomes", "identity", "--name", "Ngày hội Không Một Mình", "--province", "Hà Nội",
               "--kind", "festival", "--dates", "2025-11-01,2025-11-02").exit_code == 0
    assert run(b, "outcomes", "identity", "--name", "Hội thảo an toàn mạng Huế", "--province", "hue",
               "--kind", "school_workshop", "--dates", "2025-11-20").exit_code == 0
    yield {"a": a, "b": b, "national": {"app": n_app, "db": n_db}, "run": run, "tmp": tmp_path}
    for db in (a_db, b_db, n_db):
        db.conn.close()


def _export(hubs, name, path):
    result = hubs["run"](hubs[name], "outcomes", "export", "-o", str(path))
    assert result.exit_code == 0, result.output
    return path


def _report(hub):
    with hub["app"].app_context():
        return report_service.build(hub["db"])


def test_two_festivals_imported_twice_equal_the_sums_of_their_own_reports(hubs):
    tmp, run, nat = hubs["tmp"], hubs["run"], hubs["national"]
    files = [_export(hubs, "a", tmp / "a.json"), _export(hubs, "b", tmp / "b.json.gz")]
    assert gzip.decompress(files[1].read_bytes())[:1] == b"{"
    for f in files:
        assert run(nat, "outcomes", "trust", f"{f}.pub.pem").exit_code == 0
    first = run(nat, "outcomes", "import", *map(str, files))
    assert first.exit_code == 0 and first.output.count("/ imported (") == 2, first.output
    again = run(nat, "outcomes", "import", *map(str, files))
    assert again.exit_code == 0 and again.output.count("counted once (") == 2, again.output

    ra, rb = _report(hubs["a"]), _report(hubs["b"])
    n = summary.build(nat["db"])
    t = n["totals"]
    assert (t["events"], t["provinces"], t["festivals"], t["workshops"]) == (2, 2, 1, 1)
    for key in ("registered", "checked_in", "visits"):
        assert t[key] == ra["totals"][key] + rb["totals"][key], key
    answers = sum(r["learning"][m]["answers"] for r in (ra, rb) for m in ("self", "live"))
    correct = sum(q["correct"] for r in (ra, rb) for m in ("self", "live") for q in r["learning"][m]["questions"])
    assert (t["answers"], t["correct"]) == (answers, correct) and answers == 18
    assert t["rate"] == round(100 * correct / answers, 1)
    # per topic: sums of both festivals' topic counts, rate of the sums
    own: dict = {}
    for r in (ra, rb):
        for m in ("self", "live"):
            for topic in r["learning"][m]["topics"]:
                pair = own.setdefault(topic["topic"], [0, 0])
                pair[0] += topic["answers"]
                pair[1] += topic["correct"]
    assert {x["topic"]: [x["answers"], x["correct"]] for x in n["topics"]} == own
    kid = next(x for x in n["topics"] if x["topic"] == "kidnapping")
    assert kid["rate"] == round(100 * own["kidnapping"][1] / own["kidnapping"][0], 1)
    # per province and per event
    provinces = {p["slug"]: p for p in n["provinces"]}
    assert provinces["ha-noi"]["checked_in"] == ra["totals"]["checked_in"]
    assert provinces["hue"]["checked_in"] == rb["totals"]["checked_in"]
    hue_topics = next(p for p in n["province_topics"] if p["slug"] == "hue")["topics"]
    assert hue_topics["fake_jobs"]["answers"] == 4 and hue_topics["fake_jobs"]["rate"] == 50.0
    assert {a["band"]: a["checked_in"] for a in n["ages"]} == {
        band: sum(x["checked_in"] for r in (ra, rb) for x in r["ages"] if x["band"] == band)
        for band in ("u7", "7-15", "16-17", "18+")}
    assert sum(d["checked_in"] for d in n["days"]) == t["checked_in"]
    assert {d["date"] for d in n["days"] if d["events"]} == {"2025-11-01", "2025-11-02", "2025-11-20"}
    # the most missed question nationally, with its most common wrong answer
    worst_q = n["questions"][0]
    assert worst_q["id"] == "kidnap-01" and worst_q["wrong"] == 4
    assert worst_q["common_wrong"]["en"] == "Obey and tell no one"
    # the report pages: file, admin page and the board
    out = tmp / "national.html"
    assert run(nat, "report", "--national", "-o", str(out)).exit_code == 0
    html = out.read_text(encoding="utf-8")
    assert "Báo cáo toàn quốc" in html and "Hà Nội" in html and "<script" not in html and "<style>" in html
    board = national_board(nat["db"])
    assert [r["score"] for r in board["rows"]] == sorted([ra["totals"]["checked_in"], rb["totals"]["checked_in"]],
                                                         reverse=True)
    assert "đúng" in board["rows"][0]["name_vi"] and "correct" in board["rows"][0]["name_en"]


def test_a_newer_bundle_replaces_the_older_and_an_older_one_is_ignored(hubs):
    tmp, run, nat = hubs["tmp"], hubs["run"], hubs["national"]
    old = _export(hubs, "a", tmp / "old.json")
    assert _export(hubs, "a", tmp / "same.json").read_bytes() == old.read_bytes()  # unchanged: same bundle
    add_person(hubs["a"]["db"], "Hồ Văn Mới", "", "18+", "", "", checked=True)
    new = _export(hubs, "a", tmp / "new.json")
    assert json.loads(new.read_bytes())["payload"]["sequence"] > json.loads(old.read_bytes())["payload"]["sequence"]
    assert run(nat, "outcomes", "trust", f"{new}.pub.pem").exit_code == 0
    assert "imported" in run(nat, "outcomes", "import", str(new)).output
    older = run(nat, "outcomes", "import", str(old))
    assert older.exit_code == 0 and "older" in older.output
    assert summary.build(nat["db"])["totals"]["checked_in"] == _report(hubs["a"])["totals"]["checked_in"]


def test_tampered_and_unregistered_bundles_are_refused(hubs):
    tmp, run, nat = hubs["tmp"], hubs["run"], hubs["national"]
    path = _export(hubs, "a", tmp / "a.json")
    unregistered = run(nat, "outcomes", "import", str(path))
    assert unregistered.exit_code == 2 and "not registered" in unregistered.output
    assert "không" in unregistered.output.lower() or "chưa" in unregistered.output.lower()
    not_a_key = run(nat, "outcomes", "trust", str(path))
    assert not_a_key.exit_code == 2 and "public key file" in not_a_key.output and "khoá" in not_a_key.output
    assert run(hubs["a"], "outcomes", "key", "-o", str(tmp / "a-key.pem")).exit_code == 0
    assert (tmp / "a-key.pem").read_bytes() == (tmp / "a.json.pub.pem").read_bytes()
    assert run(nat, "outcomes", "trust", str(tmp / "a-key.pem"), "--label", "Hà Nội").exit_code == 0
    doc = json.loads(path.read_bytes())
    doc["payload"]["report"]["totals"]["checked_in"] += 1000
    forged = tmp / "forged.json"
    forged.write_bytes(outcomes.canonical(doc))
    refused = run(nat, "outcomes", "import", str(forged))
    assert refused.exit_code == 2 and "signed" in refused.output
    doc["bundle_id"] = __import__("hashlib").sha256(outcomes.canonical(doc["payload"])).hexdigest()
    forged.write_bytes(outcomes.canonical(doc))  # a matching id does not help: the signature fails
    assert run(nat, "outcomes", "import", str(forged)).exit_code == 2
    junk = tmp / "junk.json"
    for data in (b"[[[[" * 10000, gzip.compress(b" " * (17 << 20)), b"\x1f\x8bnot gzip", b"\xff\xfe"):
        junk.write_bytes(data)
        assert run(nat, "outcomes", "import", str(junk)).exit_code == 2
    assert nat["db"].execute("SELECT COUNT(*) FROM national_bundles").fetchone()[0] == 0


def _variants(text: str) -> set[bytes]:
    out = set()
    for form in {text, text.lower(), text.upper(), text.casefold(), fold(text), unicodedata.normalize("NFD", text)}:
        if len(form) < 4:
            continue
        out.add(form.encode("utf-8"))
        out.add(json.dumps(form, ensure_ascii=True)[1:-1].encode())
    return out


def test_the_raw_bundle_bytes_hold_no_personal_string_before_or_after_purge(hubs):
    tmp, run = hubs["tmp"], hubs["run"]
    for name in ("a", "b"):
        people, made = hubs[name]["people"]
        secrets = set()
        for (full, school, _band, nick, contact), (_id, token) in zip(people, made):
            for text in (full, nick, contact, token, *full.split()[1:]):
                if text and len(text) >= 4:
                    secrets |= _variants(text)
            if school and school != BIG_SCHOOL:
                secrets |= _variants(school)
        raws = []
        before = _export(hubs, name, tmp / f"{name}-before.json")
        raws.append(before.read_bytes())
        raws.append(gzip.decompress(_export(hubs, name, tmp / f"{name}.json.gz").read_bytes()))
        assert run(hubs[name], "purge", "--yes").exit_code == 0
        after = _export(hubs, name, tmp / f"{name}-after.json")
        raws.append(after.read_bytes())
        for raw in raws:
            leaks = [s for s in secrets if s in raw]
            assert not leaks, (name, leaks[:3])
        if name == "a":
            assert BIG_SCHOOL.encode() in raws[0]  # a school of 5 is named, like the report names it
        # the outcomes survive the purge: same counts in the bundle
        assert json.loads(after.read_bytes())["payload"]["report"] == json.loads(before.read_bytes())["payload"]["report"]
        assert json.loads(after.read_bytes())["bundle_id"] == json.loads(before.read_bytes())["bundle_id"]


def test_the_hub_key_is_owner_only_and_export_needs_a_province(app, runner, tmp_path):
    result = runner.invoke(args=["outcomes", "export", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "province" in result.output
    bad = runner.invoke(args=["outcomes", "identity", "--province", "Sài Gòn Cũ"])
    assert bad.exit_code == 2 and "Unknown province" in result.output + bad.output
    assert runner.invoke(args=["outcomes", "identity", "--province", "Đắk Lắk"]).exit_code == 0
    assert runner.invoke(args=["outcomes", "export", "-o", str(tmp_path / "x.json")]).exit_code == 0
    mode = os.stat(os.path.join(app.instance_path, "outcomes_key.pem")).st_mode & 0o777
    assert mode == 0o600


def test_the_endpoint_takes_bundles_only_from_registered_hubs(hubs, ):
    tmp, nat = hubs["tmp"], hubs["national"]
    data = _export(hubs, "a", tmp / "a.json").read_bytes()
    client = nat["app"].test_client()
    refused = client.post("/api/national/bundles", data=data, content_type="application/json")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "unknown_hub"
    with nat["app"].app_context():
        code = store.create_pairing(nat["db"], "Hà Nội festival", "test")
    assert client.post("/api/national/bundles", data=b"{}", content_type="application/json").status_code == 400
    ok = client.post("/api/national/bundles", data=gzip.compress(data), headers={"X-Pairing-Code": code})
    assert ok.status_code == 200 and ok.get_json()["result"] == "imported"
    again = client.post("/api/national/bundles", data=data)
    assert again.status_code == 200 and again.get_json()["result"] == "duplicate"
    used = client.post("/api/national/bundles", data=_export(hubs, "b", tmp / "b.json").read_bytes(),
                       headers={"X-Pairing-Code": code})
    assert used.status_code == 403  # a pairing code registers one hub, once


def test_the_pusher_sends_after_a_change_and_backs_off_when_offline(hubs):
    nat_client = hubs["national"]["app"].test_client()
    with hubs["national"]["app"].app_context():
        code = store.create_pairing(hubs["national"]["db"], "Huế", "test")
    sent, online = [], {"up": False}
    clock = {"t": 1000.0}

    def post(url, data, headers):
        sent.append(url)
        if not online["up"]:
            return 0, {}
        response = nat_client.post("/api/national/bundles", data=data, headers=headers)
        return response.status_code, response.get_json()

    pusher = Pusher(hubs["b"]["app"], "https://national.example.vn/", code, every_s=180, post=post,
                    clock=lambda: clock["t"])
    assert pusher.due() and pusher.push_once()["result"] == "failed"
    assert not pusher.due() and pusher.next_try == 1010.0  # backoff
    clock["t"] = 1010.0
    online["up"] = True
    assert pusher.due() and pusher.push_once()["result"] == "imported"
    assert sent[-1] == "https://national.example.vn/api/national/bundles"
    assert not pusher.due()  # nothing changed
    pusher.mark()
    clock["t"] += 60
    assert not pusher.due()  # at most every 180 s
    clock["t"] += 200
    assert pusher.due() and pusher.push_once()["result"] == "unchanged"  # same bundle: not sent again
    add_person(hubs["b"]["db"], "Hồ Văn Mới", "", "18+", "", "", checked=True)
    clock["t"] += 200
    pusher.mark()
    assert pusher.push_once()["result"] == "replaced"
    assert summary.build(hubs["national"]["db"])["totals"]["checked_in"] == 4


def test_admin_page_shows_the_identity_form_and_saves_it(admin_client, db):
    page = admin_client.get("/admin/national")
    assert page.status_code == 200 and "<script" not in page.get_data(as_text=True)
    assert "Hà Nội / Hanoi" in page.get_data(as_text=True)
    from tests.support.http import post_form  # noqa: E402 the form helper
    bad = post_form(admin_client, "/admin/national/identity", {"name": "X", "province": "nowhere", "kind": "festival",
                                                               "dates": ""})
    assert bad.status_code == 400 and "Unknown province" in bad.get_data(as_text=True)
    ok = post_form(admin_client, "/admin/national/identity", {"name": "Hội thảo", "province": "can-tho",
                                                              "kind": "school_workshop", "dates": "2025-12-01"})
    assert ok.status_code == 302
    assert outcomes.identity(db)["province"] == "can-tho"
    download = post_form(admin_client, "/admin/national/bundle", {})
    assert download.status_code == 200 and json.loads(download.data)["payload"]["event"]["kind"] == "school_workshop"


@pytest.mark.parametrize("role", ["desk", "zone", "host", "stage"])
def test_national_admin_pages_are_admin_only(client, device_client, role):
    assert client.get("/admin/national").status_code == 401
    device = device_client(role)
    for path in ("/admin/national", "/admin/national/key.pem"):
        assert device.get(path).status_code == 403
    assert device.post("/admin/national/pairing", data={"label": "x"}).status_code in (400, 403)
    refused = device.post("/api/national/bundles", data=b'{"format": "festival-outcomes"}')
    assert refused.status_code in (400, 403)  # a device credential is no hub signature


def test_the_national_board_is_a_stage_rotation_slot_and_a_public_subscription(app, db, device_client,
                                                                                 socket_client, tmp_path):
    from kiosk.boards.stage import parse_rotation  # noqa: E402 the stage's own parser
    from kiosk.errors import ServiceError  # noqa: E402 only this test expects it

    assert parse_rotation("national:20,overall:10") == [("national", 20), ("overall", 10)]
    with pytest.raises(ServiceError):
        parse_rotation("nosuchboard:20")
    hub, hub_db = make_hub(tmp_path, app.config["DATABASE"], "venue")
    add_person(hub_db, "Lý Thị Hạnh", "", "7-15", "", "", checked=True)
    hub.test_cli_runner().invoke(args=["outcomes", "identity", "--province", "an-giang"])
    with hub.app_context():
        made = outcomes.build(hub_db, hub.instance_path)
        store.trust_key(db, made["payload"]["hub"]["key"], "test")
        assert store.import_bundle(db, made, "test")["result"] == "imported"
    hub_db.conn.close()
    sc = socket_client("/public", device_client("stage"))
    ack = sc.emit("subscribe", {"boards": ["national"]}, namespace="/public", callback=True)
    assert ack["ok"], ack
    (board,) = ack["boards"]
    assert board["board"] == "national" and board["rows"][0]["name_en"].startswith("An Giang Province")
    assert board["rows"][0]["score"] == 1
