"""Every setting is in kiosk/config.py's one table (key, default, type,
meaning), the code reads no other and keeps no default of its own, and
docs/operations.md's settings table is that table."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from flask import Flask

from kiosk.config import DEFAULTS, SETTINGS, settings_table

ROOT = Path(__file__).resolve().parents[2]
FLASK_KEYS = set(Flask.default_config) | {"SECRET_KEY"}


def _reads():
    """(file:line, key, has a default of its own) for every setting the code reads."""
    for package in ("kiosk", "checkin", "games"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            where = path.relative_to(ROOT)
            for node in ast.walk(tree):
                if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
                        and node.value.attr == "config" and isinstance(node.slice, ast.Constant)
                        and isinstance(node.slice.value, str)):
                    yield f"{where}:{node.lineno}", node.slice.value, False
                if not isinstance(node, ast.Call) or not node.args:
                    continue
                func = node.func
                if (isinstance(func, ast.Name) and func.id == "setting" and len(node.args) == 2
                        and isinstance(node.args[1], ast.Constant)):
                    yield f"{where}:{node.lineno}", node.args[1].value, False
                if not isinstance(node.args[0], ast.Constant):
                    continue
                if (isinstance(func, ast.Attribute) and func.attr == "get"
                        and ast.unparse(func.value).endswith("config") and isinstance(node.args[0].value, str)
                        and node.args[0].value.isupper()):
                    yield f"{where}:{node.lineno}", node.args[0].value, len(node.args) > 1


READS = list(_reads())


def test_the_table_has_one_row_per_key_with_a_type_and_meaning():
    keys = [s.key for s in SETTINGS]
    assert len(keys) == len(set(keys))
    assert all(s.type and s.meaning for s in SETTINGS)
    assert DEFAULTS == {s.key: s.default for s in SETTINGS}


def test_the_code_reads_only_settings_in_the_table():
    unknown = sorted({f"{where} {key}" for where, key, _d in READS if key not in DEFAULTS and key not in FLASK_KEYS})
    assert unknown == []


def test_no_setting_has_a_default_at_the_point_of_use():
    assert [f"{where} {key}" for where, key, has_default in READS if has_default] == []


def test_every_setting_in_the_table_is_read_somewhere():
    read = {key for _w, key, _d in READS}
    assert sorted(set(DEFAULTS) - read - FLASK_KEYS) == []


def test_docs_operations_settings_table_is_the_one_in_kiosk_config():
    doc = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- settings: generated from kiosk/config.py -->\n(.*?)<!-- /settings -->", doc, re.S)
    assert found, "docs/operations.md lost its settings table markers"
    assert found.group(1) == settings_table(), "regenerate it: python -m kiosk.config"


def test_serve_with_a_message_queue_but_no_redis_client_says_so_in_one_line(tmp_path, monkeypatch):
    """`pip install -e .[scale]` brings the Redis client; without it the command
    says that in one line instead of ending in ModuleNotFoundError."""
    import sys

    from click.testing import CliRunner

    from kiosk.cli import main as festival
    from kiosk.ops import serving

    monkeypatch.setitem(sys.modules, "redis", None)  # import redis → ImportError
    monkeypatch.setenv("FESTIVAL_INSTANCE_PATH", str(tmp_path / "instance"))
    started = []
    monkeypatch.setattr(serving, "exec_gunicorn", started.append)
    result = CliRunner().invoke(festival, ["serve", "--db", str(tmp_path / "f.db"),
                                           "--message-queue", "redis://127.0.0.1:6379/0"])
    assert result.exit_code != 0 and started == []
    assert "ModuleNotFoundError" not in result.output and isinstance(result.exception, (SystemExit, type(None)))
    [line] = [text for text in result.output.splitlines() if "Redis client" in text]
    assert "pip install -e .[scale]" in line


def test_the_scale_extra_brings_the_redis_client():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(dep.startswith("redis") for dep in project["optional-dependencies"]["scale"])
