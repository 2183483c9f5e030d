"""Question banks: the JSON file format, its validator and the shipped banks.

A bank is a UTF-8 JSON file (format 1, documented in docs/questions.md) that
holds bilingual (Vietnamese first, English second) online-safety questions.
Every file is checked completely before use, so a typo in an imported file
is reported as one clear error naming the file, the question and the field,
instead of surfacing later in the middle of a live game on stage.

Pure Python on purpose: the CLI, the admin import page and the tests use it
without an app or a database.
"""
from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.validation import is_int

FORMAT_VERSION = 1
MAX_FILE_BYTES = 2 * 1024 * 1024
SHIPPED_DIR = Path(__file__).parent / "banks"

LANGUAGES = {"vi": "Vietnamese", "en": "English"}
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# Hard limits in characters (after NFC). Authors aim far lower (prompt 160,
# option 60) so text fits a stage screen and a phone; these only stop abuse.
TEXT_LIMITS = {"title": 120, "topic": 80, "prompt": 300, "option": 120,
               "explanation": 600, "help": 300}
TIME_LIMIT_RANGE = (5, 120)
DIFFICULTY_RANGE = (1, 3)
# Allowed option counts per question type (inclusive).
OPTION_COUNTS = {"single": (2, 4), "truefalse": (2, 2), "multi": (3, 4)}
# True/false options are fixed so every screen shows them the same way round.
TRUE_FALSE_OPTIONS = ({"vi": "Đúng", "en": "True"}, {"vi": "Sai", "en": "False"})

BANK_REQUIRED = ("format", "bank", "title", "questions")
BANK_OPTIONAL = ("topics",)
QUESTION_REQUIRED = ("id", "topic", "type", "prompt", "options", "correct",
                     "explanation", "help")
QUESTION_OPTIONAL = ("time_limit", "difficulty")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a bank file; ``str()`` gives a line for people.

    ``question`` is the question's id when it is known, ``position`` its place
    in the file counting from 1, ``field`` the path inside the question (or
    inside the file for bank-level problems), ``line``/``column`` are set for
    JSON syntax errors.
    """

    file: str
    message: str
    question: str | None = None
    position: int | None = None
    field: str | None = None
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(f"line {self.line}, column {self.column}")
        if self.question is not None:
            parts.append(f'question "{self.question}" (#{self.position})')
        elif self.position is not None:
            parts.append(f"question #{self.position}")
        if self.field is not None:
            parts.append(f'field "{self.field}"')
        return ": ".join(parts + [self.message])


class BankError(ValueError):
    """A bank file is unreadable or invalid.

    The message is the first problem (plus a count of the others); ``file``,
    ``question``, ``position``, ``field``, ``line`` and ``column`` describe the
    first problem, and ``problems`` lists every :class:`Problem` found.
    """

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("BankError needs at least one problem")
        self.problems = list(problems)
        first = self.problems[0]
        self.file, self.question, self.position = first.file, first.question, first.position
        self.field, self.line, self.column = first.field, first.line, first.column
        message = str(first)
        if len(self.problems) > 1:
            others = len(self.problems) - 1
            message += f" (and {others} more problem{'s' if others > 1 else ''})"
        super().__init__(message)

    def report(self) -> str:
        """Return every problem, one per line, for a CLI or an import page."""
        return "\n".join(str(p) for p in self.problems)


class _Collector:
    """Gathers problems for one file, tagged with the question being checked."""

    def __init__(self, filename: str):
        self.file = filename
        self.problems: list[Problem] = []
        self.question: str | None = None
        self.position: int | None = None

    def add(self, field: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, message, self.question,
                                     self.position, field))

    def raise_if_any(self) -> None:
        if self.problems:
            raise BankError(self.problems)


# ---------------------------------------------------------------- public API

def load_shipped_banks() -> list[dict]:
    """Load and validate every ``games/quiz/banks/*.json``, sorted by file name.

    Raises BankError if a file is invalid or two files use the same bank name.
    """
    banks, names = [], {}
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        bank = load_bank(path)
        if bank["bank"] in names:
            raise BankError([Problem(path.name, f'bank name "{bank["bank"]}" is '
                                     f'already used by {names[bank["bank"]]}', field="bank")])
        names[bank["bank"]] = path.name
        banks.append(bank)
    return banks


def load_bank(path: str | Path) -> dict:
    """Read, parse and validate the bank file at ``path``; see :func:`validate_bank`.

    Errors name the file by its base name. Raises BankError when the file
    cannot be read, is larger than MAX_FILE_BYTES, is not UTF-8 JSON or fails
    validation.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            # Read one byte past the limit so an oversized file is never held whole.
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise BankError([Problem(path.name, f"cannot read file: {exc.strerror or exc}")]) from exc
    return loads_bank(raw, path.name)


def loads_bank(raw: bytes | str, filename: str) -> dict:
    """Parse and validate bank JSON given as bytes or text (e.g. an upload).

    Raises BankError for a file over MAX_FILE_BYTES, bytes that are not UTF-8,
    JSON syntax errors (with line and column) and every validation problem.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_FILE_BYTES:
        raise BankError([Problem(filename, f"file is too large (limit {MAX_FILE_BYTES} bytes)")])
    try:
        text = raw.decode("utf-8-sig")  # tolerate the BOM some Windows editors add
    except UnicodeDecodeError as exc:
        raise BankError([Problem(filename, f"not UTF-8 text (bad byte at offset {exc.start})")]) from exc
    duplicates: list[str] = []
    try:
        data = json.loads(text, object_pairs_hook=_pairs_hook(duplicates))
    except json.JSONDecodeError as exc:
        raise BankError([Problem(filename, f"invalid JSON: {exc.msg}",
                                 line=exc.lineno, column=exc.colno)]) from exc
    except RecursionError as exc:
        raise BankError([Problem(filename, "invalid JSON: nested too deeply")]) from exc
    if duplicates:
        # json silently keeps the last of two equal keys; a second "en" is a typo.
        raise BankError([Problem(filename, f'key "{key}" appears twice in one JSON object')
                         for key in duplicates])
    return validate_bank(data, filename)


def validate_bank(data: Any, filename: str) -> dict:
    """Validate parsed bank data and return a clean copy with all text NFC.

    Returns ``{"format", "bank", "title", "topics", "questions"}``; each
    question is ``{"id", "topic", "type", "prompt", "options", "correct",
    "explanation", "help", "time_limit", "difficulty"}`` with ``None`` for an
    absent optional field and ``correct`` sorted. Raises BankError listing
    every problem found, the first one in its message.
    """
    c = _Collector(filename)
    if not isinstance(data, dict):
        c.add(None, "the file must hold a JSON object")
        c.raise_if_any()
    _check_keys(data, BANK_REQUIRED, BANK_OPTIONAL, "", c)
    if "format" in data and (not is_int(data["format"]) or data["format"] != FORMAT_VERSION):
        c.add("format", f"unsupported format {data['format']!r} (expected {FORMAT_VERSION})")
    bank = _identifier(data.get("bank"), "bank", c) if "bank" in data else None
    title = _text(data["title"], "title", TEXT_LIMITS["title"], c) if "title" in data else None
    topics = _topics(data["topics"], c) if "topics" in data else None
    questions = _questions(data.get("questions"), topics, c) if "questions" in data else []
    c.raise_if_any()
    return {"format": FORMAT_VERSION, "bank": bank, "title": title,
            "topics": topics or {}, "questions": questions}


# ----------------------------------------------------------- bank-level parts

def _pairs_hook(duplicates: list[str]):
    def hook(pairs):
        seen = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen
    return hook


def _topics(value: Any, c: _Collector) -> dict | None:
    if not isinstance(value, dict):
        c.add("topics", "must be an object mapping topic ids to {vi, en} names")
        return None
    topics = {}
    for key, name in value.items():
        if _identifier(key, f"topics.{key}", c) is not None:
            topics[key] = _text(name, f"topics.{key}", TEXT_LIMITS["topic"], c)
    return topics


def _questions(value: Any, topics: dict | None, c: _Collector) -> list[dict]:
    if not isinstance(value, list) or not value:
        c.add("questions", "must be a non-empty list of questions")
        return []
    seen: dict[str, int] = {}
    result = []
    for position, raw in enumerate(value, start=1):
        question = _question(raw, position, seen, topics, c)
        if question is not None:
            result.append(question)
    c.question = c.position = None
    return result


# ------------------------------------------------------------- one question

def _question(raw: Any, position: int, seen: dict[str, int],
              topics: dict | None, c: _Collector) -> dict | None:
    """Check one question; record problems in ``c``; return it cleaned or None."""
    c.question, c.position = None, position
    if not isinstance(raw, dict):
        c.add(None, "must be a JSON object")
        return None
    before = len(c.problems)
    qid = _identifier(raw["id"], "id", c) if "id" in raw else None
    if qid is not None:
        c.question = qid  # from here on, problems name the question by id
        if qid in seen:
            c.add("id", f"duplicate id, already used by question #{seen[qid]}")
        else:
            seen[qid] = position
    _check_keys(raw, QUESTION_REQUIRED, QUESTION_OPTIONAL, "", c)
    topic = _identifier(raw.get("topic"), "topic", c) if "topic" in raw else None
    if topic is not None and topics is not None and topic not in topics:
        c.add("topic", f'topic "{topic}" is not declared in "topics"')
    qtype = raw.get("type")
    if "type" in raw and qtype not in OPTION_COUNTS:
        c.add("type", f"unknown type {qtype!r} (expected one of: {', '.join(OPTION_COUNTS)})")
        qtype = None
    question = {
        "id": qid, "topic": topic, "type": qtype,
        "prompt": _opt_text(raw, "prompt", c),
        "options": _options(raw.get("options"), qtype, c) if "options" in raw else None,
        "correct": _correct(raw, qtype, c) if "correct" in raw else None,
        "explanation": _opt_text(raw, "explanation", c),
        "help": _opt_text(raw, "help", c),
        "time_limit": _int_in(raw, "time_limit", TIME_LIMIT_RANGE, c),
        "difficulty": _int_in(raw, "difficulty", DIFFICULTY_RANGE, c),
    }
    return question if len(c.problems) == before else None


def _options(value: Any, qtype: str | None, c: _Collector) -> list | None:
    if not isinstance(value, list):
        c.add("options", "must be a list of {vi, en} options")
        return None
    if qtype is not None:
        low, high = OPTION_COUNTS[qtype]
        if not low <= len(value) <= high:
            wanted = f"exactly {low}" if low == high else f"{low} to {high}"
            c.add("options", f'a "{qtype}" question needs {wanted} options, not {len(value)}')
    options = [_text(o, f"options[{i}]", TEXT_LIMITS["option"], c) for i, o in enumerate(value)]
    _check_distinct(options, c)
    if qtype == "truefalse" and len(options) == 2 and list(options) != list(TRUE_FALSE_OPTIONS):
        c.add("options", 'a "truefalse" question\'s options must be '
                         '[{"vi": "Đúng", "en": "True"}, {"vi": "Sai", "en": "False"}]')
    return options


def _check_distinct(options: list, c: _Collector) -> None:
    # Two options with the same text make the answer ambiguous on screen.
    for lang in LANGUAGES:
        first_seen: dict[str, int] = {}
        for i, option in enumerate(options):
            if option is None:
                continue
            key = option[lang].casefold()
            if key in first_seen:
                c.add(f"options[{i}].{lang}", f"same text as options[{first_seen[key]}]")
            first_seen.setdefault(key, i)


def _correct(raw: dict, qtype: str | None, c: _Collector) -> list | None:
    value = raw["correct"]
    if not isinstance(value, list) or not value:
        c.add("correct", "must be a non-empty list of 0-based option indexes")
        return None
    count = len(raw["options"]) if isinstance(raw.get("options"), list) else None
    ok = True
    for i, index in enumerate(value):
        if not is_int(index):
            c.add(f"correct[{i}]", f"{index!r} is not an option index")
            ok = False
        elif count is not None and not 0 <= index < count:
            c.add(f"correct[{i}]", f"index {index} is out of range (options 0..{count - 1})")
            ok = False
    if not ok:
        return None
    if len(set(value)) != len(value):
        c.add("correct", "lists the same option twice")
    elif qtype in ("single", "truefalse") and len(value) != 1:
        c.add("correct", f'a "{qtype}" question needs exactly one correct option')
    elif qtype == "multi" and len(value) < 2:
        c.add("correct", 'a "multi" question needs at least two correct options')
    elif qtype == "multi" and count is not None and len(value) >= count:
        c.add("correct", 'a "multi" question needs at least one wrong option')
    return sorted(value)


# ------------------------------------------------------------ small checkers

def _check_keys(obj: dict, required: tuple, optional: tuple, prefix: str,
                c: _Collector) -> None:
    """Report missing required keys and unknown keys (typo protection)."""
    for key in required:
        if key not in obj:
            c.add(prefix + key, "missing required key")
    _check_unknown(obj, required + optional, prefix, c)


def _check_unknown(obj: dict, allowed: tuple, prefix: str, c: _Collector) -> None:
    # A misspelt optional key would otherwise be silently ignored.
    for key in obj:
        if key not in allowed:
            hint = difflib.get_close_matches(str(key), allowed, n=1)
            suffix = f'; did you mean "{hint[0]}"?' if hint else f" (allowed: {', '.join(allowed)})"
            c.add(prefix + str(key), "unknown key" + suffix)


def _identifier(value: Any, field: str, c: _Collector) -> str | None:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        shown = "missing" if value is None else f"{value!r} is not valid"
        c.add(field, f"{shown}: use 1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit")
        return None
    return value


def _opt_text(raw: dict, name: str, c: _Collector) -> dict | None:
    """Check raw[name] as bilingual text if present (missing keys are reported elsewhere)."""
    return _text(raw[name], name, TEXT_LIMITS[name], c) if name in raw else None


def _text(value: Any, field: str, limit: int, c: _Collector) -> dict | None:
    """Check a {"vi": ..., "en": ...} object and return it NFC-normalised and stripped."""
    if not isinstance(value, dict):
        c.add(field, 'must be an object with "vi" and "en" text')
        return None
    before = len(c.problems)
    _check_unknown(value, tuple(LANGUAGES), f"{field}.", c)
    result = {}
    for lang, language in LANGUAGES.items():
        text = value.get(lang)
        if text is None:
            c.add(f"{field}.{lang}", f"missing {language} text")
            continue
        if not isinstance(text, str):
            c.add(f"{field}.{lang}", f"{language} text must be a string")
            continue
        text = unicodedata.normalize("NFC", text).strip()
        if not text:
            c.add(f"{field}.{lang}", f"{language} text is empty")
        elif len(text) > limit:
            c.add(f"{field}.{lang}", f"{language} text is {len(text)} characters (limit {limit})")
        elif any(unicodedata.category(ch) == "Cc" for ch in text):
            c.add(f"{field}.{lang}", f"{language} text contains a control character")
        result[lang] = text
    return result if len(c.problems) == before else None


def _int_in(raw: dict, name: str, bounds: tuple[int, int], c: _Collector) -> int | None:
    if name not in raw:
        return None
    value, (low, high) = raw[name], bounds
    if not is_int(value) or not low <= value <= high:
        c.add(name, f"must be a whole number from {low} to {high}, not {value!r}")
        return None
    return value

