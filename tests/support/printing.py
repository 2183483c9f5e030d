"""Printing a report to A4 in Chromium (the browser tests of the printed reports)."""
from __future__ import annotations

import re
import unicodedata

from pypdf import PdfReader

MM = 96 / 25.4  # CSS pixels per millimetre
PAGE_CONTENT_HEIGHT = (297 - 2 * 14) * MM  # A4 minus report.css's @page margins
PAGE_CONTENT_WIDTH = (210 - 2 * 12) * MM


def squash(text: str) -> str:
    """Text without spaces and with ligatures undone (the PDF has "ﬃ")."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def print_blocks(page, path):
    """Open ``path`` as printed: each ``[data-chart]`` block's id, height, first and last line."""
    page.set_viewport_size({"width": round(PAGE_CONTENT_WIDTH), "height": 1000})
    page.goto(path.as_uri())
    page.emulate_media(media="print")
    return page.eval_on_selector_all(
        "[data-chart]", """els => els.map(e => {
            const lines = e.innerText.split('\\n').map(s => s.trim()).filter(Boolean);
            return {id: e.id, height: e.getBoundingClientRect().height, first: lines[0] || '',
                    last: lines[lines.length - 1] || ''};
        })""")


def print_pdf(page, pdf) -> tuple[PdfReader, list[str]]:
    """Print the open page to ``pdf`` (A4 from the CSS); the reader and each page's squashed text."""
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    reader = PdfReader(str(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)
    return reader, [squash(p.extract_text() or "") for p in reader.pages]


def uncut(blocks, texts) -> list[str]:
    """Ids of blocks whose first and last lines are not on one page (cut across a page edge)."""
    cut = []
    for block in blocks:
        first, last = squash(block["first"])[:40], squash(block["last"])[-40:]
        if not [n for n, text in enumerate(texts) if first in text and last in text]:
            cut.append(block["id"])
    return cut
