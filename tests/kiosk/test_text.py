"""Vietnamese text: NFC, folding, sorting and given names."""
import unicodedata

from kiosk.text import clean, fold, given_name, name_sort_key, sort_key


def test_fold_ignores_diacritics_case_and_encoding():
    target = fold("Nguyễn Văn An")
    assert fold("nguyen van an") == target
    assert fold("NGUYEN VAN AN") == target
    assert fold(unicodedata.normalize("NFD", "Nguyễn Văn An")) == target
    assert fold("Đoàn") == fold("doan") == fold("Doãn")


def test_clean_normalises_to_nfc_and_strips_controls():
    raw = unicodedata.normalize("NFD", "  Trần\u200b  Thị\tHà\x00 ")
    assert clean(raw) == "Trần Thị Hà"
    assert unicodedata.is_normalized("NFC", clean(raw))


def test_vietnamese_alphabetical_order():
    words = ["Đức", "Dũng", "Anh", "Ánh", "Ân", "Ăn", "Bình", "An", "Ơn", "Ông", "Oanh", "Ưng", "Uyên"]
    assert sorted(words, key=sort_key) == [
        "An", "Anh", "Ánh", "Ăn", "Ân", "Bình", "Dũng", "Đức", "Oanh", "Ông", "Ơn", "Uyên", "Ưng"]


def test_people_sorted_and_addressed_by_given_name():
    names = ["Nguyễn Văn Bình", "Trần Thị An", "Lê Đức Anh"]
    assert sorted(names, key=name_sort_key) == ["Trần Thị An", "Lê Đức Anh", "Nguyễn Văn Bình"]
    assert given_name("Nguyễn Thị Minh Khai") == "Khai"
