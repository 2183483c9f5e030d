"""Real browser: the national report of 60 hubs prints on A4 in Chromium,
and no table is cut across a page edge (like the festival report)."""
from __future__ import annotations

import random

import pytest
from pypdf import PdfReader

from bench.national import _bank, make_payload, signed
from kiosk.national import store
from kiosk.national.provinces import provinces
from kiosk.national.views import render_national
from tests.browser.test_report_print import PAGE_CONTENT_HEIGHT, PAGE_CONTENT_WIDTH, squash

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
    page.set_viewport_size({"width": round(PAGE_CONTENT_WIDTH), "height": 1000})
    page.goto(path.as_uri())
    page.emulate_media(media="print")
    blocks = page.eval_on_selector_all(
        "[data-chart]", """els => els.map(e => {
            const lines = e.innerText.split('\\n').map(s => s.trim()).filter(Boolean);
            return {id: e.id, height: e.getBoundingClientRect().height, first: lines[0] || '',
                    last: lines[lines.length - 1] || ''};
        })""")
    assert len(blocks) > 5
    for block in blocks:
        assert block["height"] <= PAGE_CONTENT_HEIGHT, block
    pdf = tmp_path / "national.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    reader = PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    texts = [squash(p.extract_text() or "") for p in reader.pages]
    for block in blocks:
        first, last = squash(block["first"])[:40], squash(block["last"])[-40:]
        assert [n for n, text in enumerate(texts) if first in text and last in text], block["id"]
