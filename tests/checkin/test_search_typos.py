"""Desk search that forgives one typo per word (issue 22)."""
import pytest

from bench.search import build
from checkin.search import near_words, search
from checkin.search_words import edits
from kiosk.db import migrate, open_db


def names(rows):
    return [r["full_name"] for r in rows]


@pytest.fixture
def people(make_attendee):
    for name, school, class_name in [
            ("Nguyễn Văn An", "THCS Ngô Sĩ Liên", "8A3"), ("Nguyễn Văn Ân", "THCS Ngô Sĩ Liên", "8A3"),
            ("Nguyễn Văn Lan", "THCS Ngô Sĩ Liên", "8A2"), ("Nguyễn Thị Anh", "THCS Ngô Sĩ Liên", "8A3"),
            ("Nguyễn Thị Ánh", "THCS Ngô Sĩ Liên", "8A3"), ("Trần Văn Bình", "THCS Giảng Võ", "6A1"),
            ("Vũ Thị Mai", "THCS Giảng Võ", "6A1")]:
        make_attendee(name, school=school, class_name=class_name)


def test_edits_are_one_letter_missing_extra_swapped_or_wrong():
    assert {"van", "vna"} <= edits("vn") and "v" not in edits("vn") and "an" not in edits("vn")
    assert {"nguyen", "ngyen", "nguyeen", "nguyan"} <= edits("ngyuen") | edits("nguyen") | {"nguyen"}
    assert "nguyen" in edits("ngyuen")   # swapped
    assert "an" in edits("aan")          # extra
    assert "van" in edits("vam")         # wrong
    assert "nguyen" in edits("nguen")    # missing
    assert "ngyuen" not in edits("ngyuen")


@pytest.mark.parametrize("query", ["nguyen vn an", "ngyuen van an", "nguyen van aan", "nguyen vam an",
                                   "nguen van an", "ngyuen vn aan", "Ngyuễn Văn An"])
def test_one_typo_per_word_still_puts_the_person_first(db, people, query):
    found = names(search(db, query))
    assert found[0] == "Nguyễn Văn An", found


def test_namesakes_by_one_accent_stay_distinct(db, people):
    found = names(search(db, "nguyen van aan"))
    assert found[:2] == ["Nguyễn Văn An", "Nguyễn Văn Ân"]
    assert names(search(db, "Nguyễn Văn Ân"))[:2] == ["Nguyễn Văn Ân", "Nguyễn Văn An"]
    assert names(search(db, "ngyuen thi anh"))[:2] == ["Nguyễn Thị Anh", "Nguyễn Thị Ánh"]


def test_a_near_miss_ranks_below_every_exact_or_prefix_match(db, people):
    # "an" starts An, Ân and Anh: taken as typed, no near miss (Lan) among them
    assert "Nguyễn Văn Lan" not in names(search(db, "nguyen van an"))
    assert "Nguyễn Văn Lan" not in names(search(db, "an"))
    # "aan" starts nobody: read as a typo, the spelling that keeps its first letter first
    assert names(search(db, "nguyen van aan")) == ["Nguyễn Văn An", "Nguyễn Văn Ân", "Nguyễn Văn Lan"]


def test_near_misses_keep_the_other_words_and_filters(db, people):
    assert names(search(db, "binh 6a1")) == ["Trần Văn Bình"]
    assert names(search(db, "bnih 6a1")) == ["Trần Văn Bình"]
    assert names(search(db, "vu thi mia")) == ["Vũ Thị Mai"]
    assert search(db, "xyzzy") == [] and search(db, "nguyen qqqqq") == []


def test_near_words_prefer_the_same_first_letter(db, people):
    assert near_words(db, "aan")[0] == "an"
    assert near_words(db, "vn") == ["van"]


def test_typos_in_a_big_festival(tmp_path):
    db = open_db(str(tmp_path / "festival.db"), "NORMAL")
    migrate(db)
    build(db, 5_000)
    for query in ("nguyen vn an", "ngyuen van an", "nguyen van aan", "doan mihn quan", "phan ngoc quynhh"):
        first = names(search(db, query))[0]
        assert first in {"Nguyễn Văn An", "Đoàn Minh Quân", "Doãn Minh Quân", "Phan Ngọc Quỳnh"}, (query, first)
    db.conn.close()
