"""Issue 23: a new organiser's first commands print no warnings. Each command runs
as a new user would run it: a fresh process, a clean environment (no PYTHONWARNINGS,
an empty home), and its stderr is read."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.live import REPO

# What the `festival` console script runs (pyproject.toml: kiosk.ops.commands:main).
START = "import sys; from kiosk.ops.commands import main; sys.argv = ['festival'] + sys.argv[1:]; main()"


def _festival(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8",
           "PYTHONPATH": str(REPO), "FESTIVAL_INSTANCE_PATH": str(tmp_path / "instance")}
    (tmp_path / "home").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-c", START, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args", [
    ("--help",),
    ("init", "--password", "quiet-commands-pw"),
    ("devices", "list"),
    ("export", "--help"),
])
def test_first_commands_print_no_warnings(tmp_path, args):
    done = _festival(tmp_path, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "", done.stderr


def test_known_library_notices_are_filtered_by_category_and_message_only(tmp_path):
    """cryptography's DSA deprecation (dnspython, through eventlet) is dropped; any other
    deprecation from the same library still shows."""
    code = ("import warnings, kiosk.cli\n"
            "from cryptography.utils import CryptographyDeprecationWarning as W\n"
            "warnings.warn('DSA is deprecated and will be removed in a future release', W)\n"
            "warnings.warn('Blowfish has been deprecated', W)\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "DSA" not in done.stderr and "Blowfish has been deprecated" in done.stderr


def test_gunicorn_eventlet_notice_is_dropped_and_other_warnings_kept():
    from kiosk.ops.accesslog import EVENTLET_NOTICE, RedactingLogger

    logged = []

    class Recorder(RedactingLogger):
        def __init__(self):  # no gunicorn config needed: only the warning path is exercised
            pass

    recorder = Recorder()
    recorder.error_log = type("Log", (), {"warning": lambda _s, msg, *a, **k: logged.append(msg)})()
    recorder.warning(EVENTLET_NOTICE + " and will be removed in Gunicorn 26.0.")
    recorder.warning("Worker timeout")
    assert logged == ["Worker timeout"]
