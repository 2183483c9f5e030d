"""The browser tests' waits work under the pages' Content-Security-Policy.

Playwright's ``wait_for_function`` evaluates its string with ``eval``. The first
try runs inside the DevTools call, which CSP lets through; every later poll
runs as the page, and our pages forbid ``eval`` (no 'unsafe-eval'). A function
(``"() => …"``) is evaluated once, on that first try, and then only called; a
bare expression is evaluated again on every poll and fails as soon as the page
is slower than the first try (it did on a loaded CI machine). So every wait
passes a function.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
FUNCTION = re.compile(r"^\s*(\([^)]*\)|\w+)\s*=>|^\s*(async\s+)?function\b")


def test_every_wait_for_function_passes_a_function():
    offenders = []
    for path in TESTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "wait_for_function" and node.args):
                first = node.args[0]
                text = first.value if isinstance(first, ast.Constant) else None
                if isinstance(first, ast.JoinedStr) or (isinstance(text, str) and not FUNCTION.match(text)):
                    offenders.append(f"{path.relative_to(TESTS)}:{node.lineno}")
    assert not offenders, f"wait_for_function with a bare expression (fails under CSP): {offenders}"
