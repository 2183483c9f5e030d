"""Real browser: the impact report of a big festival prints on A4 in
Chromium, and no chart or table is cut across a page edge."""
from __future__ import annotations

import random

import pytest

from kiosk.db import transaction
from kiosk.report.views import render_report
from tests.support.printing import PAGE_CONTENT_HEIGHT, print_blocks, print_pdf, squash, uncut

pytestmark = pytest.mark.browser



def big_festival(db) -> None:
    """600 attendees of 30 schools over 20 hours, 12 zones, every shipped
    question answered in self-paced rounds, a few live games: many pages."""
    rng = random.Random(15)
    questions = [r[0] for r in db.execute("SELECT id FROM questions WHERE active ORDER BY id")]
    with transaction(db):
        for z in range(12):
            db.execute("INSERT INTO zones (slug, name_vi, name_en, sort, created_at) VALUES (?, ?, ?, ?, 'x')",
                       [f"z{z}", f"Khu trải nghiệm số {z}", f"Experience zone {z}", z])
        db.execute("INSERT INTO passport_rules (name_vi, name_en, rule, count, reward_vi, reward_en) "
                   "VALUES ('Ba khu', 'Three zones', 'count', 3, 'Móc khóa', 'Key ring')")
        for n in range(600):
            hour = f"2025-11-01T{1 + n % 20:02d}:15:00.000+00:00"
            aid = db.execute(
                "INSERT INTO attendees (full_name, name_fold, name_sort, nickname, age_band, school, school_fold, "
                "created_at, checked_in_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'x', ?)",
                [f"Học Sinh {n}", f"hoc sinh {n}", f"{n}", f"Bạn {n}", ("7-15", "16-17", "18+")[n % 3],
                 f"Trường THCS Số {n % 30}", f"truong thcs so {n % 30}", hour]).lastrowid
            db.execute("INSERT INTO checkins (attendee_id, at) VALUES (?, ?)", [aid, hour])
            for z in rng.sample(range(1, 13), rng.randint(0, 6)):
                db.execute("INSERT INTO visits (attendee_id, zone_id, kind, points, at) VALUES (?, ?, 'enter', 10, ?)",
                           [aid, z, hour])
            picked = rng.sample(questions, 5)
            rnd = db.execute("INSERT INTO quiz_rounds (attendee_id, bank, question_ids, started_at) "
                             "VALUES (?, 'core', ?, 'x')", [aid, "[" + ",".join(f'"{q}"' for q in picked) + "]"]).lastrowid
            for idx in range(5):
                ok = rng.random() < 0.7
                db.execute("INSERT INTO quiz_answers (round_id, idx, choice, correct, client_id, answered_at) "
                           "VALUES (?, ?, ?, ?, ?, 'x')", [rnd, idx, "[0]" if not ok else "[1]", ok, f"c{rnd}-{idx}"])
        for g in range(3):
            game = db.execute("INSERT INTO games (code, title, mode, question_count, host, created_at, state) "
                              "VALUES (?, ?, 'speed', 5, 'staff:1:host', 1761980000, 'ended')",
                              [f"10000{g}", f"Đấu trường an toàn {g}"]).lastrowid
            for idx, q in enumerate(questions[g * 5:g * 5 + 5]):
                db.execute("INSERT INTO game_questions (game_id, idx, question_id, time_limit) VALUES (?, ?, ?, 20)",
                           [game, idx, q])
            for p in range(20):
                player = db.execute("INSERT INTO players (game_id, num, nickname, rejoin_hash, reached_at, joined_at) "
                                    "VALUES (?, ?, ?, ?, 0, 0)", [game, p + 1, f"P{p}", f"h{game}-{p}"]).lastrowid
                for idx in range(5):
                    ok = rng.random() < 0.6
                    db.execute("INSERT INTO game_answers (game_id, player_id, idx, choice, correct, elapsed_ms, "
                               "client_id, answered_at) VALUES (?, ?, ?, ?, ?, 900, ?, 0)",
                               [game, player, idx, "[1]" if ok else "[2]", ok, f"g{player}-{idx}"])


def _printed_report(app, db, page, tmp_path) -> list[dict]:
    """The big festival's report, open in ``page`` as printed; its chart and table blocks."""
    big_festival(db)
    with app.app_context():
        html = render_report(db, standalone=True)
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    return print_blocks(page, path)


def test_report_prints_on_a4_without_cutting_a_chart_or_table(app, db, page, tmp_path):
    blocks = _printed_report(app, db, page, tmp_path)
    assert len(blocks) > 10
    for block in blocks:
        assert block["height"] <= PAGE_CONTENT_HEIGHT, block  # each fits on one page
    total = page.evaluate("document.documentElement.scrollHeight")
    reader, texts = print_pdf(page, tmp_path / "report.pdf")
    pages = len(reader.pages)
    assert total / PAGE_CONTENT_HEIGHT <= pages <= total / PAGE_CONTENT_HEIGHT + len(blocks)
    assert uncut(blocks, texts) == []  # no chart or table cut across a page edge (or text not found)


def test_report_headings_stay_with_their_sections_on_paper(app, db, page, tmp_path):
    """Issue 23: no heading is left alone at the bottom of an A4 page."""
    _printed_report(app, db, page, tmp_path)
    # Each heading with the first line that follows it.
    pairs = page.eval_on_selector_all(".report h2, .report h3", """els => els.map(h => {
        let next = h.nextElementSibling;
        // A chart's first printed line is its first <text> (its <title> is for screen readers, not paper).
        const shown = (e) => (e.tagName.toLowerCase() === 'svg' ? (e.querySelector('text') || {}).textContent
                                                                : e.innerText) || '';
        while (next && !shown(next).trim()) next = next.nextElementSibling;
        const line = next ? shown(next).split('\\n').map(s => s.trim()).filter(Boolean)[0] : '';
        return {heading: h.innerText.split('\\n')[0].trim(), next: line || ''};
    })""")
    assert len(pairs) > 10
    _reader, texts = print_pdf(page, tmp_path / "report.pdf")
    alone = []
    for pair in pairs:
        if not pair["next"]:
            continue
        heading, following = squash(pair["heading"])[:40], squash(pair["next"])[:30]
        if not any(heading in text and following in text[text.index(heading):] for text in texts if heading in text):
            alone.append(pair["heading"])
    assert not alone, f"headings left at the bottom of a page: {alone}"
