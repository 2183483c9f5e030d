"""Name search ignores diacritics, case and Unicode encoding (issue 2's done-when)."""
import unicodedata

from checkin.attendees import search


def test_every_spelling_finds_the_person(db, make_attendee):
    target, _ = make_attendee("Nguyễn Văn An")
    make_attendee("Nguyễn Văn Lan")  # "an" is a word start only in the target's name
    doan, _ = make_attendee("Đoàn Thị Hà")
    for query in ("nguyen van an", "NGUYEN VAN AN", unicodedata.normalize("NFD", "Nguyễn Văn An"),
                  "Nguyễn Văn An"):
        results = search(db, query)
        assert results[0]["id"] == target and results[0]["full_name"] == "Nguyễn Văn An", query
        assert len(results) == 1, query
    assert [r["id"] for r in search(db, "doan")] == [doan]
    assert [r["id"] for r in search(db, "ĐOÀN")] == [doan]


def test_namesakes_come_with_what_tells_them_apart(db, make_attendee):
    make_attendee("Trần Thị Mai", school="THCS Cầu Giấy", class_name="8A", age_band="7-15")
    make_attendee("Trần Thị Mai", school="THPT Kim Liên", class_name="11B", age_band="16-17")
    rows = search(db, "tran thi mai")
    assert {(r["school"], r["class_name"], r["age_band"]) for r in rows} == {
        ("THCS Cầu Giấy", "8A", "7-15"), ("THPT Kim Liên", "11B", "16-17")}


def test_odd_queries_return_nothing_rather_than_everything(db, make_attendee):
    make_attendee("Lê Văn Tám")
    for query in ("", " ", "a", "%", "_", "\\", "%%%%", "' OR 1=1 --"):
        assert search(db, query) == [], query
