"""Property-based fuzzing of every JSON endpoint, form and Socket.IO event.

Generic over ``app.url_map`` and the registered namespaces, so routes and
events added later are fuzzed too. Properties: never a 5xx, never an
unhandled exception in the log, every rejection a clear 4xx with a message
in both languages (JSON) or an error page, and the database stays consistent.
"""
from __future__ import annotations

import json
import logging
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.http import csrf

pytestmark = pytest.mark.slow

ODD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "%s%s%n",
                     "Nguyễn Văn An", "Đ" * 300, "😀" * 50, "\u202e\u200b", "../../etc/passwd",
                     "A" * 5000, "null", "-1", "1e309", "NaN"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), ODD_TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(ODD_TEXT, inner, max_size=4)), max_leaves=12)
FIELD_NAMES = ["id", "text", "client_time", "station", "zone_id", "nickname", "hidden", "full_name",
               "age_band", "school", "class_name", "points", "reason", "attendee_id", "choice",
               "code", "name", "role", "queue_length", "bank", "question_index", "client_id",
               "consent_child", "consent_guardian", "consent_public", "username", "password"]
PAYLOADS = st.one_of(
    JSON_VALUES,
    st.dictionaries(st.sampled_from(FIELD_NAMES), JSON_VALUES, max_size=8),
)
RAW_BODIES = st.one_of(st.binary(max_size=300), st.sampled_from([b"{", b"[1,2", b"\xff\xfe", b"{}" * 1000]))
SETTINGS = settings(max_examples=25, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SKIP_ENDPOINTS = {"static", "auth.logout"}


def _fill(rule, value_for_int, value_for_str) -> str:
    url = rule.rule
    for arg, converter in rule._converters.items():
        kind = type(converter).__name__
        sample = value_for_int if kind in ("IntegerConverter", "FloatConverter", "IdConverter") else value_for_str
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % re.escape(arg), str(sample), url)
    return url


def _routes(app, method):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP_ENDPOINTS or method not in rule.methods:
            continue
        yield rule


@pytest.fixture
def world(app, db, admin_client, device_client, make_attendee, make_zone):
    """Some data so handlers reach deep code paths, and one client per role."""
    for i in range(3):
        make_attendee(full_name=f"Trần Thị Mai {i}")
    make_zone()
    clients = {"admin": admin_client, "anon": app.test_client()}
    for role in ("desk", "zone", "host", "stage"):
        clients[role] = device_client(role)
    return clients


def _assert_clear(response, what):
    assert response.status_code < 500, f"{what} -> {response.status_code}: {response.data[:300]!r}"
    if response.status_code >= 400 and response.is_json:
        error = response.get_json().get("error") or {}
        assert error.get("code"), what
        assert error.get("message_vi") and error.get("message_en"), what


def _no_unhandled(caplog):
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not bad, "\n".join(r.getMessage() for r in bad)


def _consistent(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"


@given(payload=PAYLOADS, ident=st.sampled_from([1, 2, 0, -1, 10**12]),
       word=st.sampled_from(["x", "ABC", "%00", "Đà"]), role=st.sampled_from(["admin", "desk", "zone", "host", "anon"]))
@SETTINGS
def test_json_endpoints_never_fail(app, db, world, caplog, payload, ident, word, role):
    client = world[role]
    caplog.clear()
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for rule in _routes(app, method):
            url = _fill(rule, ident, word)
            response = client.open(url, method=method, data=json.dumps(payload),
                                   headers={"Content-Type": "application/json", "X-CSRF-Token": csrf(client),
                                            "Accept": "application/json"})
            _assert_clear(response, f"{role} {method} {url} {payload!r:.200}")
    _no_unhandled(caplog)
    _consistent(db)


@given(body=RAW_BODIES, role=st.sampled_from(["admin", "desk", "zone"]))
@SETTINGS
def test_raw_garbage_bodies(app, db, world, caplog, body, role):
    client = world[role]
    caplog.clear()
    for rule in _routes(app, "POST"):
        url = _fill(rule, 1, "x")
        for ctype in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=zz"):
            response = client.post(url, data=body, headers={"Content-Type": ctype, "X-CSRF-Token": csrf(client)})
            _assert_clear(response, f"{role} POST {url} {ctype} {body[:60]!r}")
    _no_unhandled(caplog)
    _consistent(db)


@given(form=st.dictionaries(st.sampled_from(FIELD_NAMES + ["csrf_token", "file", "q"]), ODD_TEXT, max_size=8),
       ident=st.sampled_from([1, 2, 999]), role=st.sampled_from(["admin", "desk", "anon"]))
@SETTINGS
def test_forms_and_query_strings(app, db, world, caplog, form, ident, role):
    client = world[role]
    caplog.clear()
    for rule in _routes(app, "POST"):
        url = _fill(rule, ident, "x")
        data = dict(form)
        data.setdefault("csrf_token", csrf(client))
        _assert_clear(client.post(url, data=data), f"{role} form {url} {data!r:.200}")
    for rule in _routes(app, "GET"):
        url = _fill(rule, ident, form.get("q", "x").replace("/", "") or "x")
        _assert_clear(client.get(url, query_string=form), f"{role} GET {url} {form!r:.200}")
    _no_unhandled(caplog)
    _consistent(db)


# HTTP edge cases (issue 13): integers beyond 64 bits in paths, deep nesting,
# CR/LF (header injection) in next= and in header values, odd Host headers.
HUGE_IDS = st.one_of(st.integers(min_value=63, max_value=300).map(lambda bits: 2**bits),
                     st.integers(min_value=63, max_value=300).map(lambda bits: -(2**bits)),
                     st.sampled_from([0, -1, 2**63 - 1, 2**63, "007", "1e3"]))
NEXT_TARGETS = st.one_of(st.sampled_from(["/%0d%0aSet-Cookie:%20x=1", "/%09/evil.example", "//evil.example",
                                          "/%5Cevil.example", "/ok%0d", "%0a%0d", "/\\evil", "https:evil.example",
                                          "/\r\nSet-Cookie: x=1", "/\t/evil.example", "/\n/evil.example"]),
                         st.text(max_size=30).map(lambda t: "/" + t))
ODD_HOSTS = st.one_of(st.sampled_from(["a" * 64 + ".example", "x..y", "a:99999999", "xn--a.com", "[::1", "a" * 300,
                                       "localhost\r\nX: y", "", ":", "[]", "1.2.3.4:0"]),
                      st.text(max_size=80))
INJECTED_HEADERS = st.sampled_from([{"HTTP_ACCEPT_LANGUAGE": "vi\r\nSet-Cookie: x=1"},
                                    {"HTTP_X_FORWARDED_FOR": "1.2.3.4\r\nX: y"},
                                    {"HTTP_COOKIE": "lang=en\r\nSet-Cookie: x=1"},
                                    {"HTTP_REFERER": "http://x/\r\n\r\n<html>"},
                                    {"HTTP_AUTHORIZATION": "Bearer \r\nabc"}])


@given(ident=HUGE_IDS, depth=st.integers(min_value=17, max_value=100_000), target=NEXT_TARGETS, host=ODD_HOSTS,
       headers=INJECTED_HEADERS, role=st.sampled_from(["admin", "desk", "anon"]))
@SETTINGS
def test_http_edge_cases_never_fail(app, db, world, caplog, ident, depth, target, host, headers, role):
    from werkzeug.test import EnvironBuilder

    client = world[role]
    caplog.clear()
    for rule in _routes(app, "GET"):
        url = _fill(rule, ident, "x")
        _assert_clear(client.get(url, environ_overrides=headers), f"{role} GET {url} {headers}")
    body = "[" * depth
    for rule in _routes(app, "POST"):
        url = _fill(rule, ident, "x")
        response = client.post(url, data=body, headers={"Content-Type": "application/json",
                                                        "X-CSRF-Token": csrf(client)})
        _assert_clear(response, f"{role} POST {url} depth={depth}")
    for path in ("/lang/vi", "/login"):
        response = client.get(path, query_string={"next": target})
        _assert_clear(response, f"{role} {path} next={target!r}")
        location = response.headers.get("Location", "")
        assert "\r" not in location and "\n" not in location and "//" not in location.split("://", 1)[-1][:2]
    # an odd Host goes straight through WSGI: the test client cannot build URLs from some
    environ = EnvironBuilder(path="/").get_environ()
    environ["HTTP_HOST"] = host
    status = []
    b"".join(app(environ, lambda line, _headers, exc_info=None: status.append(line)))
    assert status and int(status[0][:3]) < 500, f"Host {host!r} -> {status}"
    _no_unhandled(caplog)
    _consistent(db)


def _namespaces(app):
    from kiosk import socketio

    return {ns: handler for ns, handler in socketio.server.namespace_handlers.items()}


def _nested(depth: int, leaf):
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"g": value}
    return value


# Socket payloads also carry integers beyond SQLite's 64 bits, deep nesting
# (below the decoder's limit: it reaches the handlers) and extra arguments.
BIG_INTS = st.one_of(st.integers(min_value=63, max_value=300).map(lambda bits: 2**bits),
                     st.integers(min_value=63, max_value=300).map(lambda bits: -(2**bits)))
SOCKET_FIELDS = FIELD_NAMES + ["g", "i", "c", "board", "token", "game_id", "player_id"]
SOCKET_PAYLOADS = st.one_of(
    PAYLOADS,
    BIG_INTS,
    st.dictionaries(st.sampled_from(SOCKET_FIELDS), st.one_of(BIG_INTS, JSON_VALUES), min_size=1, max_size=6),
    st.builds(_nested, st.integers(min_value=20, max_value=400), st.one_of(BIG_INTS, SCALARS)),
)
EXTRA_ARGS = st.lists(st.one_of(SCALARS, BIG_INTS, JSON_VALUES), max_size=3)


@given(payload=SOCKET_PAYLOADS, extra=EXTRA_ARGS, role=st.sampled_from(["admin", "desk", "zone", "host", "stage", "anon"]))
@SETTINGS
def test_socket_events_never_crash(app, db, world, caplog, payload, extra, role):
    from kiosk import socketio

    caplog.clear()
    for namespace, handler in _namespaces(app).items():
        events = [name[3:] for name in dir(handler) if name.startswith("on_") and name not in ("on_connect", "on_disconnect")]
        client = socketio.test_client(app, namespace=namespace, flask_test_client=world[role])
        try:
            if not client.is_connected(namespace):
                continue
            for event in events:
                ack = client.emit(event, payload, *extra, namespace=namespace, callback=True)
                if isinstance(ack, dict) and ack.get("ok") is False:
                    assert ack["error"]["code"] != "server_error", f"{namespace} {event} {payload!r:.200}"
        finally:
            if client.is_connected(namespace):
                client.disconnect(namespace=namespace)
    _no_unhandled(caplog)
    _consistent(db)


# --- issue 24: files from outside and paths the commands write ---------------------

def _workbook_with_sheet(sheet_xml: bytes) -> bytes:
    import io
    import zipfile

    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    mutated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as old, zipfile.ZipFile(mutated, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, sheet_xml if item.filename == "xl/worksheets/sheet1.xml" else old.read(item))
    return mutated.getvalue()


ROW_NUMBERS = st.one_of(st.integers(min_value=-5, max_value=3000), st.sampled_from([1_048_576, 10**12, 0]))
CELL_TEXT = st.one_of(ODD_TEXT, st.sampled_from(["_x000D__x000A_=1", "_x005F_x0041_", "=HYPERLINK(1)", "A" * 3000]))
SHEET_ROWS = st.lists(st.tuples(ROW_NUMBERS, st.integers(min_value=1, max_value=400), CELL_TEXT), max_size=12)
RAW_PARTS = st.one_of(st.binary(max_size=200), st.sampled_from([b"<worksheet", b"<?xml version='1.0'?><a>" * 50]))


def _sheet_xml(rows) -> bytes:
    from xml.sax.saxutils import escape

    body = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{escape(text)}</t></is></c></row>'
                   .replace(f'r="A{r}"', f'r="{_column(c)}{r}"') for r, c, text in rows)
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>{body}</sheetData></worksheet>'.encode(
        "utf-8", "surrogatepass")


def _column(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=SHEET_ROWS, raw=st.one_of(st.none(), RAW_PARTS))
def test_hostile_xlsx_parts_are_rows_or_a_bilingual_refusal(app, rows, raw):
    from checkin.classlist import read_xlsx
    from kiosk.errors import ServiceError
    from kiosk.i18n import catalog

    try:
        data = _workbook_with_sheet(raw if raw is not None else _sheet_xml(rows))
    except UnicodeEncodeError:
        return  # a lone surrogate cannot be in a file at all
    try:
        parsed = read_xlsx(data)
    except ServiceError as exc:
        assert exc.code and exc.message in catalog(), exc.message
        return
    assert all(isinstance(number, int) and isinstance(cells, list) for sheet in parsed for number, cells in sheet.rows)


BACKUP_CHANGES = st.one_of(
    st.tuples(st.sampled_from(["table", "view", "index", "trigger"]), st.text("abcxyz_", min_size=1, max_size=8)),
    st.tuples(st.just("column"), st.sampled_from(["devices", "staff", "attendees", "scans", "settings"])),
    st.tuples(st.just("row"), st.sampled_from(["devices", "staff_sessions", "stage_links"])),
    st.tuples(st.just("nothing"), st.just("")),
)


def _change_backup(conn, kind: str, name: str) -> str | None:
    """Apply one change; return the name a refusal must mention (None: a data change only)."""
    ident = f"x_{name}"
    statements = {
        "table": f'CREATE TABLE "{ident}" (full_name TEXT)',
        "view": f'CREATE VIEW "{ident}" AS SELECT full_name FROM attendees',
        "index": f'CREATE INDEX "{ident}" ON attendees (school)',
        "trigger": f'CREATE TRIGGER "{ident}" AFTER INSERT ON scans BEGIN UPDATE staff SET role = \'admin\'; END',
        "column": f'ALTER TABLE "{name}" ADD COLUMN sneaky TEXT',
        "row": {"devices": "INSERT INTO devices (name, role, credential_hash, created_at) "
                           "VALUES ('planted', 'admin', 'h', '2026-01-01')",
                "staff_sessions": "INSERT INTO staff_sessions (sid_hash, staff_id, created_at, last_seen_at) "
                                  "VALUES ('s', (SELECT id FROM staff LIMIT 1), '2026-01-01', '2026-01-01')",
                "stage_links": "INSERT INTO stage_links (token_hash, label, created_at) VALUES ('t', 'l', '2026')"
                }.get(name, ""),
        "nothing": "",
    }[kind]
    if statements:
        conn.execute(statements)
    return {"table": ident, "view": ident, "index": ident, "trigger": ident, "column": name}.get(kind)


@settings(max_examples=10, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=BACKUP_CHANGES)
def test_backup_schemas_restore_exactly_or_are_refused_by_name(app, db, tmp_path_factory, change):
    import sqlite3

    from kiosk.auth import create_staff
    from kiosk.ops.backup import BackupError, backup_to, restore_from

    if db.execute("SELECT COUNT(*) FROM staff").fetchone()[0] == 0:
        create_staff(db, "admin", "mat-khau-rat-dai", "admin")
    folder = tmp_path_factory.mktemp("fuzz-backup")
    backup = backup_to(app.config["DATABASE"], folder)
    conn = sqlite3.connect(backup)
    named = _change_backup(conn, *change)
    conn.commit()
    conn.close()
    target = folder / "restored.db"
    if named is None:
        restore_from(backup, target)
        restored = sqlite3.connect(target)
        assert restored.execute("SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL").fetchone()[0] == 0
        assert restored.execute("SELECT COUNT(*) FROM staff_sessions WHERE ended_at IS NULL").fetchone()[0] == 0
        restored.close()
    else:
        with pytest.raises(BackupError) as caught:
            restore_from(backup, target)
        assert f"'{named}'" in str(caught.value)
        assert not target.exists()


OUTPUT_PATHS = st.one_of(
    st.sampled_from(["{db}", "{db}-wal", "{db}-shm", "{db}-journal", "/dev/full", "{tmp}", "{tmp}/missing/x.html",
                     "{tmp}/other.db", "{tmp}/ok.html", "{tmp}/./../{tmpname}/ok2.html"]),
    st.text("abc./-_ \u00e9", min_size=1, max_size=12).map(lambda name: "{tmp}/" + name),
)


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(template=OUTPUT_PATHS, command=st.sampled_from(["report", "export"]))
def test_output_paths_never_destroy_the_festival_or_end_in_a_traceback(app, db, tmp_path_factory, template, command):
    import hashlib
    import sqlite3
    from pathlib import Path

    tmp = tmp_path_factory.mktemp("fuzz-out")
    other = sqlite3.connect(tmp / "other.db")
    other.execute("CREATE TABLE IF NOT EXISTS t (x)")
    other.commit()
    other.close()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    festival = Path(app.config["DATABASE"])
    before = hashlib.sha256(festival.read_bytes()).hexdigest()
    other_before = (tmp / "other.db").read_bytes()
    path = template.format(db=festival, tmp=tmp, tmpname=tmp.name)
    args = ["report", "-o", path] if command == "report" else ["export", "attendees", "-o", path]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert hashlib.sha256(festival.read_bytes()).hexdigest() == before
    assert (tmp / "other.db").read_bytes() == other_before
