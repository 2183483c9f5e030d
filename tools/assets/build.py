"""Rebuild the bundles phones load (static/bundle/, kiosk/assets.py): ``python3 tools/assets/build.py``.

Script bundles: esbuild (pinned in package.json beside this file; ``npm ci``
here the first time, which this script does for you) bundles each entry
module and everything it imports into one ES module, minified. Stylesheet
bundles: the sources one after the other (kiosk.assets.concatenate_css).
Each bundle is written under a name with its content hash, with a gzip copy
beside it, and static/bundle/manifest.json records its inputs and their
hashes (tests/kiosk/test_assets.py fails when a source changed since).
Bundles no longer in the manifest are deleted. Run it after changing any
file a bundle is built from, and commit static/bundle/.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from kiosk import assets  # noqa: E402  (after the checkout is on the path)

STATIC = REPO / "static"
ESBUILD = HERE / "node_modules" / ".bin" / "esbuild"


def _esbuild() -> Path:
    if not ESBUILD.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)
    return ESBUILD


def bundle_script(entry: str) -> tuple[bytes, list[str]]:
    """One ES module with everything ``entry`` imports; returns (bytes, input paths under static/)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, meta = Path(tmp) / "out.js", Path(tmp) / "meta.json"
        subprocess.run([str(_esbuild()), entry, "--bundle", "--format=esm", "--minify", "--charset=utf8",
                        "--log-level=warning", f"--outfile={out}", f"--metafile={meta}"],
                       cwd=STATIC, check=True)
        inputs = sorted(json.loads(meta.read_text())["inputs"])
        return out.read_bytes(), inputs


def build() -> dict:
    folder = STATIC / assets.BUNDLE_DIR
    folder.mkdir(exist_ok=True)
    manifest = {}
    for name, sources in assets.BUNDLES.items():
        if name.endswith(".css"):
            data, inputs = assets.concatenate_css(STATIC, sources), list(sources)
        else:
            data, inputs = bundle_script(sources[0])
        file = f"{assets.BUNDLE_DIR}/{assets.hashed_name(name, data)}"
        (STATIC / file).write_bytes(data)
        (STATIC / (file + ".gz")).write_bytes(assets.gzipped(data))
        manifest[name] = {"file": file, "sources": sources,
                          "inputs": {path: assets.content_hash((STATIC / path).read_bytes()) for path in inputs},
                          "bytes": len(data)}
    keep = {entry["file"] for entry in manifest.values()}
    for old in folder.iterdir():
        if old.suffix in (".js", ".css", ".gz") and str(old.relative_to(STATIC)).removesuffix(".gz") not in keep:
            old.unlink()
    (STATIC / assets.MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


if __name__ == "__main__":
    for bundle, entry in build().items():
        print(f"{bundle}: static/{entry['file']} ({entry['bytes']:,} bytes from {len(entry['inputs'])} files)")
    problems = assets.stale(STATIC)
    if problems:
        sys.exit("still stale: " + "; ".join(problems))
