"""Real browser: the national report of 60 hubs prints on A4 in Chromium,
and no table is cut across a page edge (like the festival report)."""
from __future__ import annotations

import random

import pytest

from bench.national import _bank, make_payload, signed
from kiosk.national import store
from kiosk.national.provinces import provinces
from kiosk.national.views import render_national
from tests.support.printing import PAGE_CONTENT_HEIGHT, print_blocks, print_pdf, uncut

pytestmark = pytest.mark.browser


def test_national_report_prints_on_a4_without_cutting_a_table(app, db, page, tmp_path):
    rng = random.Random(26)
    questions, topics = _bank()
    slugs = [p["slug"] for p in provinces()]
    with app.app_context():
        for i in range(60):
            made = signed(make_payload(rng, i, questions, topics, slugs[i % len(slugs)]), i)
            store.trust_key(db, made["payload"]["hub"]["key"], "test")
            assert store.import_bundle(db, made, "test")["result"] == "imported"
        html = render_national(db, standalone=True)
    path = tmp_path / "national.html"
    path.write_text(html, encoding="utf-8")
    blocks = print_blocks(page, path)
    assert len(blocks) > 5
    for block in blocks:
        assert block["height"] <= PAGE_CONTENT_HEIGHT, block
    _reader, texts = print_pdf(page, tmp_path / "national.pdf")
    assert uncut(blocks, texts) == []
