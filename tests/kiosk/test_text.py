"""Vietnamese text: NFC, folding, sorting and given names."""
import unicodedata

import pytest

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


# --- issue 24: marks, OOXML escapes, controls --------------------------------------

def test_at_most_two_combining_marks_on_a_letter_and_no_bare_marks():
    import unicodedata

    from kiosk.text import MAX_MARKS

    for word in ("Nguyễn", "Ệ", "ặ", "Quỳnh", "Phượng", "Đặng"):
        assert clean(word) == word  # Vietnamese needs two at most
    zalgo = clean("A" + "\u0301\u0302\u0303\u0304\u0305\u0306\u0307" * 10 + "n")
    assert max(sum(1 for ch in unicodedata.normalize("NFD", c) if unicodedata.combining(ch)) for c in zalgo) <= MAX_MARKS
    assert clean("\u0301\u0303 An") == "An" and clean("An \u0301\u0301 Bình") == "An Bình"


def test_decode_ooxml_escapes():
    from kiosk.text import decode_ooxml_escapes

    assert decode_ooxml_escapes("_x000D__x000A_=1") == "\r\n=1"
    assert decode_ooxml_escapes("_x005F_x0041_") == "_x0041_"  # an escaped underscore stays literal
    assert decode_ooxml_escapes("Lê_x0020_Na") == "Lê Na" and decode_ooxml_escapes("_x12_") == "_x12_"
    assert clean(decode_ooxml_escapes("An_x0000__x001B_Bình")) == "An Bình"  # controls never stay


def test_a_nickname_of_stacked_marks_is_refused(app):
    from kiosk.errors import ServiceError
    from kiosk.nicknames import validate

    with app.app_context():
        with pytest.raises(ServiceError):
            validate("\u0301" * 20)
        assert validate("Ca\u0301\u0302\u0303\u0304\u0305o") == clean("Ca\u0301\u0302o")
