"""Time a class-list import and a big badge sheet.

    python -m bench.import_badges           # 20,000 rows with 50 bad, a 1,000-badge sheet
    python -m bench.import_badges --quick   # 2,000 rows with 5 bad, a 100-badge sheet

Uses the project and the standard library only; prints one JSON object.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path


def _time(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def run(quick: bool = False) -> dict:
    """Import a generated CSV and render one badge sheet; return the figures (seconds)."""
    from checkin.demo import sample_csv
    from checkin.importer import import_csv
    from kiosk import create_app
    from kiosk.auth import create_staff
    from kiosk.db import open_db

    rows, bad, sheet = (2_000, 5, 100) if quick else (20_000, 50, 1_000)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": tmp, "DATABASE": str(Path(tmp) / "f.db"), "SECRET_KEY": "bench",
                          "ASYNC_MODE": "threading", "TESTING": True, "CSRF_DISABLED": True})
        db = open_db(app.config["DATABASE"], "FULL")
        text, _bad_rows = sample_csv(rows, bad=bad)
        data = text.encode("utf-8")
        report, import_s = _time(lambda: import_csv(db, data, by="bench"))
        create_staff(db, "bench", "bench-password", "admin")
        db.conn.close()
        client = app.test_client()
        client.post("/login", data={"username": "bench", "password": "bench-password"})
        ids = "&".join(f"attendee={i}" for i in range(1, sheet + 1))
        response, cold_s = _time(lambda: client.get(f"/badges/sheet?{ids}"))
        assert response.status_code == 200, response.status_code
        html = response.get_data(as_text=True)
        _again, warm_s = _time(lambda: client.get(f"/badges/sheet?{ids}"))
    return {
        "rows": rows, "bad_rows": bad, "imported": report.imported, "errors_reported": len(report.errors),
        "csv_bytes": len(data), "import_s": round(import_s, 3),
        "import_rows_per_s": round(rows / import_s),
        "sheet_badges": html.count('class="badge"'), "sheet_pages": html.count('class="sheet"'),
        "sheet_html_bytes": len(html.encode("utf-8")),
        "sheet_first_render_s": round(cold_s, 3), "sheet_cached_qr_render_s": round(warm_s, 3),
    }


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv[1:]), indent=2))
