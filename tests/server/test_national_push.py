"""Real servers: a served venue hub (gunicorn + eventlet) started with
NATIONAL_URL and a pairing code pushes its bundle to a served national hub
in a background task; the national hub registers it by the code and keeps it."""
from __future__ import annotations

import shutil
import time

import pytest

from kiosk import create_app
from kiosk.db import open_db
from kiosk.national import bundle, store
from tests.support.live import LiveServer
from tests.support.national import add_person

pytestmark = pytest.mark.server


def _site(tmp_path, template, name):
    instance = tmp_path / f"{name}-instance"
    instance.mkdir()
    database = tmp_path / f"{name}.db"
    shutil.copyfile(template, database)
    create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(database), "ASYNC_MODE": "threading"})
    return instance, database


def test_a_served_hub_pushes_its_bundle_to_the_national_hub(tmp_path, migrated_template):
    n_instance, n_database = _site(tmp_path, migrated_template, "national")
    v_instance, v_database = _site(tmp_path, migrated_template, "venue")
    ndb, vdb = open_db(str(n_database), "NORMAL"), open_db(str(v_database), "NORMAL")
    try:
        code = store.create_pairing(ndb, "Trường THCS Quang Trung", "test")
        add_person(vdb, "Lò Văn Sáng", "", "7-15", "", "", checked=True)
        bundle.set_identity(vdb, "test", name="Buổi học an toàn mạng", province="Sơn La", kind="school_workshop")
        national = LiveServer(n_instance, n_database).start()
        venue = LiveServer(v_instance, v_database, env={
            "FESTIVAL_NATIONAL_URL": national.url, "FESTIVAL_NATIONAL_PAIRING_CODE": code,
            "FESTIVAL_SERVED": "1"}).start()
        try:
            deadline = time.monotonic() + 60
            row = None
            while row is None and time.monotonic() < deadline:
                row = ndb.execute("SELECT province, checked_in, sequence FROM national_bundles").fetchone()
                time.sleep(0.5)
            assert row is not None, venue.log_path.read_text()[-2000:]
            assert tuple(row)[:2] == ("son-la", 1) and row["sequence"] > 0
            via = ndb.execute("SELECT via, label FROM national_hubs").fetchone()
            assert tuple(via) == ("pairing", "Trường THCS Quang Trung")
            acked = vdb.execute("SELECT value FROM settings WHERE key = 'national_push_acked'").fetchone()
            assert acked is not None
        finally:
            venue.stop()
            national.stop()
    finally:
        ndb.conn.close()
        vdb.conn.close()
