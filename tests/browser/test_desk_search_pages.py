"""The desk's name search pages beyond the first 20 and tells namesakes apart (issue 14)."""
from __future__ import annotations

import pytest

from tests.support.desk import add_attendee, open_desk

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_namesakes_show_their_number_and_the_next_page_loads(page, live_hub):
    ids = [add_attendee(live_hub.database, "Nguyễn Văn An", school=f"THCS Số {i}", class_name="6A")[0]
           for i in range(25)]
    open_desk(page, live_hub)
    page.click("#search")
    page.keyboard.type("nguyen van an", delay=60)
    page.wait_for_function("() => document.querySelectorAll('#search-results li.search-result').length === 20")
    first = page.locator("#search-results li.search-result").first
    assert f"#{first.get_attribute('data-attendee')}" in first.text_content()  # namesakes: the number tells
    more = page.locator("#search-results li.search-more button")
    assert more.text_content().startswith("21–40")
    more.click()
    page.wait_for_function("() => document.querySelectorAll('#search-results li.search-result').length === 25")
    shown = page.eval_on_selector_all("#search-results li.search-result", "els => els.map(e => +e.dataset.attendee)")
    assert sorted(shown) == sorted(ids)
    assert page.locator("#search-results li.search-more").count() == 0
    assert live_hub.errors_in_log() == []
