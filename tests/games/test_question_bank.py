"""Question banks: the shipped questions and the file validator (games/bank.py)."""
import copy
import json
import re
import unicodedata
from collections import Counter

import pytest

from games.quiz.bank import (
    MAX_FILE_BYTES,
    SHIPPED_DIR,
    BankError,
    load_bank,
    load_shipped_banks,
    loads_bank,
    validate_bank,
)

CORE = SHIPPED_DIR / "core.json"
TOPICS = {"kidnapping", "police_impersonation", "fake_apps", "phishing_otp",
          "fake_jobs", "sextortion_deepfake", "gaming_scams", "cyberbullying",
          "oversharing", "passwords_2fa", "reporting"}
TEXT_FIELDS = ("prompt", "explanation", "help")

# Verified reporting channels (docs/questions.md, "Writing questions"); a help line must name one.
CHANNELS = {
    "vi": ("111", "113", "156", "5656", "tinnhiemmang", "ntrust",
           "bố mẹ", "thầy cô", "người lớn"),
    "en": ("111", "113", "156", "5656", "tinnhiemmang", "ntrust",
           "parent", "teacher", "trusted adult"),
}
# Every number of 3+ digits must be a verified channel or a figure from the
# notes: years of the cited cases and the ransom amounts (VND 300M / 500M).
ALLOWED_NUMBERS = {"111", "113", "156", "5656", "2024", "2025", "300", "500"}
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
UNVERIFIED = ("canhbao", "khonggianmang.gov.vn", "18001567")


@pytest.fixture(scope="module")
def core():
    return load_bank(CORE)


@pytest.fixture(scope="module")
def questions(core):
    return core["questions"]


def all_texts(question):
    """Yield (where, language, text) for every piece of text in a question."""
    for field in TEXT_FIELDS:
        for lang, text in question[field].items():
            yield field, lang, text
    for i, option in enumerate(question["options"]):
        for lang, text in option.items():
            yield f"options[{i}]", lang, text


# ------------------------------------------------------------ shipped banks

def test_shipped_banks_load_from_package_folder():
    banks = load_shipped_banks()
    assert [b["bank"] for b in banks] == ["core"]
    assert banks[0]["title"]["vi"] and banks[0]["title"]["en"]


def test_core_has_enough_questions_per_topic(questions):
    assert len(questions) >= 64
    per_topic = Counter(q["topic"] for q in questions)
    assert set(per_topic) == TOPICS
    assert min(per_topic.values()) >= 5, per_topic


def test_core_mixes_question_types(questions):
    share = {t: n / len(questions) for t, n in Counter(q["type"] for q in questions).items()}
    assert 0.5 <= share["single"] <= 0.7, share
    assert 0.15 <= share["truefalse"] <= 0.25, share
    assert 0.15 <= share["multi"] <= 0.25, share


def test_every_question_is_bilingual_and_teaches(questions):
    for q in questions:
        for where, lang, text in all_texts(q):
            assert text.strip(), (q["id"], where, lang)
        assert q["prompt"]["vi"] != q["prompt"]["en"], q["id"]
        for field in TEXT_FIELDS:
            # Vietnamese text is written with diacritics, never plain ASCII.
            assert not q[field]["vi"].isascii(), (q["id"], field)


def test_core_text_in_the_file_is_nfc():
    def strings(node):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            yield from (s for v in node.values() for s in strings(v))
        elif isinstance(node, list):
            yield from (s for v in node for s in strings(v))

    raw = json.loads(CORE.read_text(encoding="utf-8"))
    bad = [s for s in strings(raw) if not unicodedata.is_normalized("NFC", s)]
    assert bad == []


def test_core_fits_stage_screens_and_phones(questions):
    for q in questions:
        for lang in ("vi", "en"):
            assert len(q["prompt"][lang]) <= 160, (q["id"], lang)
            assert all(len(o[lang]) <= 60 for o in q["options"]), (q["id"], lang)
            assert len(q["explanation"][lang]) <= 300, (q["id"], lang)
            assert len(q["help"][lang]) <= 200, (q["id"], lang)


def test_every_help_line_names_a_verified_channel(questions):
    for q in questions:
        for lang, channels in CHANNELS.items():
            text = q["help"][lang].lower()
            assert any(c in text for c in channels), (q["id"], lang, text)


def test_no_unverified_numbers_or_addresses(questions):
    for q in questions:
        for where, lang, text in all_texts(q):
            for number in NUMBER.findall(text):
                if sum(ch.isdigit() for ch in number) >= 3:
                    assert number in ALLOWED_NUMBERS, (q["id"], where, lang, number)
            assert not any(u in text.lower() for u in UNVERIFIED), (q["id"], where, lang)


def test_answer_keys_match_types(questions):
    for q in questions:
        n, correct = len(q["options"]), q["correct"]
        if q["type"] == "multi":
            assert 2 <= len(correct) < n, q["id"]
        else:
            assert len(correct) == 1, q["id"]
        if q["type"] == "truefalse":
            assert [o["en"] for o in q["options"]] == ["True", "False"]
            assert [o["vi"] for o in q["options"]] == ["Đúng", "Sai"]


# --------------------------------------------------------------- validator

def minimal_question(qid="q-01", **changes):
    question = {
        "id": qid, "topic": "reporting", "type": "single",
        "prompt": {"vi": "Gọi số nào khi gặp nguy hiểm?", "en": "Which number do you call in danger?"},
        "options": [{"vi": "113", "en": "113"}, {"vi": "Không gọi ai", "en": "Nobody"}],
        "correct": [0],
        "explanation": {"vi": "113 là số công an.", "en": "113 is the police."},
        "help": {"vi": "Gọi 113.", "en": "Call 113."},
    }
    question.update(changes)
    return question


def minimal_bank(*questions):
    return {"format": 1, "bank": "test", "title": {"vi": "Thử", "en": "Test"},
            "questions": list(questions) or [minimal_question("q-01"), minimal_question("q-02")]}


def write(tmp_path, data, name="broken.json"):
    path = tmp_path / name
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_bank_is_valid(tmp_path):
    bank = load_bank(write(tmp_path, minimal_bank(), "ok.json"))
    assert [q["id"] for q in bank["questions"]] == ["q-01", "q-02"]
    assert bank["questions"][0]["time_limit"] is None
    assert bank["topics"] == {}


def _set(path, value):
    """Return a mutation that sets question #2's nested field (dotted path) to value."""
    def mutate(bank):
        node = bank["questions"][1]
        *parents, last = path.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


_DELETE = object()


def _duplicate_id(bank):
    bank["questions"][1]["id"] = "q-01"


def _multi(correct):
    def mutate(bank):
        q = bank["questions"][1]
        q.update(type="multi", correct=correct,
                 options=q["options"] + [{"vi": "Gọi 111", "en": "Call 111"}])
    return mutate


BROKEN = [
    # (test id, mutation, expected question id, expected field, words in message)
    ("missing-vi", _set("prompt.vi", _DELETE), "q-02", "prompt.vi", "missing Vietnamese"),
    ("missing-option-en", _set("options.1.en", _DELETE), "q-02", "options[1].en", "missing English"),
    ("empty-text", _set("help.en", "   "), "q-02", "help.en", "empty"),
    ("bad-type", _set("type", "quiz"), "q-02", "type", "unknown type"),
    ("correct-out-of-range", _set("correct", [5]), "q-02", "correct[0]", "out of range"),
    ("correct-bool", _set("correct", [True]), "q-02", "correct[0]", "not an option index"),
    ("two-correct-single", _set("correct", [0, 1]), "q-02", "correct", "exactly one"),
    ("duplicate-id", _duplicate_id, "q-01", "id", "duplicate"),
    ("unknown-key", _set("explaination", {"vi": "x", "en": "x"}), "q-02", "explaination",
     'did you mean "explanation"'),
    ("missing-key", _set("help", _DELETE), "q-02", "help", "missing"),
    ("too-long", _set("prompt.en", "x" * 301), "q-02", "prompt.en", "limit 300"),
    ("multi-one-correct", _multi([0]), "q-02", "correct", "at least two"),
    ("multi-all-correct", _multi([0, 1, 2]), "q-02", "correct", "wrong option"),
    ("truefalse-three-options", _set("type", "truefalse"), "q-02", "options", "Đúng"),
    ("too-many-options", _set("options", [{"vi": f"Ý {i}", "en": f"Option {i}"} for i in range(5)]),
     "q-02", "options", "2 to 4"),
    ("same-option-twice", _set("options.1", {"vi": "113", "en": "Police"}), "q-02", "options[1].vi",
     "same text"),
    ("time-limit-range", _set("time_limit", 3), "q-02", "time_limit", "5 to 120"),
    ("difficulty-range", _set("difficulty", 4), "q-02", "difficulty", "1 to 3"),
    ("bad-topic", _set("topic", "Kidnap Ping"), "q-02", "topic", "not valid"),
]


@pytest.mark.parametrize("mutate, qid, field, words",
                         [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_question_names_file_question_and_field(tmp_path, mutate, qid, field, words):
    data = minimal_bank()
    mutate(data)
    with pytest.raises(BankError) as info:
        load_bank(write(tmp_path, data))
    err = info.value
    assert (err.file, err.question, err.position, err.field) == ("broken.json", qid, 2, field)
    message = str(err)
    assert message.startswith(f'broken.json: question "{qid}" (#2): field "{field}": ')
    assert words in message


def test_invalid_id_is_named_by_position(tmp_path):
    data = minimal_bank(minimal_question("Bad Id"))
    with pytest.raises(BankError) as info:
        load_bank(write(tmp_path, data))
    assert (info.value.question, info.value.position, info.value.field) == (None, 1, "id")
    assert str(info.value).startswith('broken.json: question #1: field "id": ')


def test_invalid_json_reports_line_and_column(tmp_path):
    text = json.dumps(minimal_bank(), indent=2).splitlines()
    text[5] = text[5] + ","  # a stray comma in the middle of the file
    with pytest.raises(BankError) as info:
        load_bank(write(tmp_path, "\n".join(text)))
    err = info.value
    assert err.file == "broken.json" and err.line is not None
    assert err.line in (6, 7) and f"line {err.line}, column" in str(err)
    assert "invalid JSON" in str(err)


@pytest.mark.parametrize("change, field, words", [
    (lambda b: b.update(format=2), "format", "unsupported format"),
    (lambda b: b.update(colour="red"), "colour", "unknown key"),
    (lambda b: b.pop("title"), "title", "missing required key"),
    (lambda b: b.update(questions=[]), "questions", "non-empty"),
    (lambda b: b.update(topics={"other": {"vi": "Khác", "en": "Other"}}), "topic", "not declared"),
])
def test_bank_level_problems(tmp_path, change, field, words):
    data = minimal_bank()
    change(data)
    with pytest.raises(BankError) as info:
        load_bank(write(tmp_path, data))
    assert info.value.field == field and words in str(info.value)
    assert str(info.value).startswith("broken.json: ")


def test_all_problems_are_collected(tmp_path):
    data = minimal_bank(minimal_question("q-01", type="quiz"),
                        minimal_question("q-02", correct=[9]))
    with pytest.raises(BankError) as info:
        load_bank(write(tmp_path, data))
    err = info.value
    assert [(p.question, p.field) for p in err.problems] == [("q-01", "type"), ("q-02", "correct[0]")]
    assert "(and 1 more problem)" in str(err)
    assert len(err.report().splitlines()) == 2


def test_duplicate_json_keys_are_rejected(tmp_path):
    text = json.dumps(minimal_bank()).replace('"en": "Test"', '"en": "Test", "en": "Again"')
    with pytest.raises(BankError, match='key "en" appears twice'):
        load_bank(write(tmp_path, text))


def test_file_size_limit(tmp_path):
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (MAX_FILE_BYTES + 1))
    with pytest.raises(BankError, match="too large") as info:
        load_bank(path)
    assert info.value.file == "huge.json"


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(BankError, match="cannot read file"):
        load_bank(tmp_path / "missing.json")
    (tmp_path / "latin.json").write_bytes('{"bank": "é"}'.encode("latin-1"))
    with pytest.raises(BankError, match="not UTF-8"):
        load_bank(tmp_path / "latin.json")


def test_text_is_normalised_to_nfc_and_stripped():
    nfd = unicodedata.normalize("NFD", "  Gọi số nào khi gặp nguy hiểm? ")
    data = minimal_bank(minimal_question(prompt={"vi": nfd, "en": "Which number?"}))
    bank = loads_bank(("\ufeff" + json.dumps(data)).encode("utf-8"), "upload.json")
    assert bank["questions"][0]["prompt"]["vi"] == "Gọi số nào khi gặp nguy hiểm?"
    assert unicodedata.is_normalized("NFC", bank["questions"][0]["prompt"]["vi"])


def test_validate_bank_takes_parsed_data_and_does_not_modify_it():
    data = minimal_bank()
    before = copy.deepcopy(data)
    bank = validate_bank(data, "memory.json")
    assert data == before
    assert bank["bank"] == "test" and len(bank["questions"]) == 2
    with pytest.raises(BankError, match="^memory.json: the file must hold a JSON object"):
        validate_bank([], "memory.json")
