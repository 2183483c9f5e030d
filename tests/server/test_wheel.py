"""An installed wheel serves its pages, static files and the QR decoder's .wasm."""
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

CHECK = textwrap.dedent("""
    import json, sys, tempfile
    import kiosk
    d = tempfile.mkdtemp()
    app = kiosk.create_app({"INSTANCE_PATH": d, "DATABASE": d + "/f.db", "ASYNC_MODE": "threading"})
    client = app.test_client()
    out = {}
    for url in ["/", "/register", "/static/css/app.css", "/static/css/print.css",
                "/static/vendor/zxing-wasm/dist/reader/zxing_reader.wasm"]:
        r = client.get(url)
        out[url] = [r.status_code, r.mimetype, len(r.data)]
    out["file"] = kiosk.__file__
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_wheel_installs_and_serves_outside_the_checkout(tmp_path):
    # Build from a copy: an in-tree build leaves build/ and *.egg-info in the checkout.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", "instance", "__pycache__", ".cache", "build", "*.egg-info", ".pytest_cache"))
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(wheels), str(source)], check=True, cwd=tmp_path, timeout=300)
    wheel = next(wheels.glob("festival_kiosk-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True,
                   cwd=tmp_path, timeout=300)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([str(python), "-c", CHECK], cwd=outside, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert str(venv) in out["file"]
    for url in ["/", "/register", "/static/css/app.css", "/static/css/print.css"]:
        assert out[url][0] == 200, (url, out[url])
    wasm = out["/static/vendor/zxing-wasm/dist/reader/zxing_reader.wasm"]
    assert wasm[0] == 200 and wasm[1] == "application/wasm" and wasm[2] > 100_000
    # the console script is installed too
    assert (venv / "bin" / "festival").exists()
