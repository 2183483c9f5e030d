#!/usr/bin/env python3
"""Vendor the browser libraries Festival Kiosk serves, straight from npm.

The festival may run with no internet, so pages never load from a CDN: the
files below are copied, unmodified, from the packages' npm tarballs into
``static/vendor/<name>/`` (keeping their path inside the package), next to the
package's LICENSE and a VERSION file. Libraries only the tests use (axe-core,
the accessibility checker) go to ``tests/vendor/<name>/`` the same way and are
never served.

    python static/vendor/fetch.py           # fetch what is missing or differs
    python static/vendor/fetch.py --check   # compare with the tarballs, exit 1 on any difference

Standard library only (no Node needed). Every tarball is verified against the
``dist.integrity`` (sha512) that the registry's metadata gives *and* against the
integrity pinned in MANIFEST, so a republished or tampered tarball is refused.
Set ``NPM_CONFIG_REGISTRY`` to use a mirror of the npm registry.

To upgrade a package: change its version, set its integrity to None, run the
script (it refuses and prints the registry's integrity), review, pin it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import sys
import tarfile
import urllib.parse
import urllib.request
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent
TESTS_VENDOR_DIR = VENDOR_DIR.parents[1] / "tests" / "vendor"

# name -> pinned version, pinned sha512 integrity, files to take (paths inside
# the package). LICENSE is added automatically.
MANIFEST = {
    # Socket.IO browser client. UMD build (sets window.io) and the ES module.
    "socket.io-client": {
        "version": "4.8.4",
        "integrity": "sha512-7wjKAvVXYOJsbmUgkWbnhPD4bFpkqrUR0++XOjpGFmqDqsqV1CI93VTraeExLxpjxEqrWgFoSRZu1ihjLWfkAA==",
        "files": ["dist/socket.io.min.js", "dist/socket.io.esm.min.js"],
    },
    # BarcodeDetector ponyfill. Its ES build bundles zxing-wasm's JS glue in
    # zxing-exported.js (ponyfill.js imports it relatively), so it runs from a
    # plain ES module import with no bundler.
    "barcode-detector": {
        "version": "3.2.2",
        "integrity": "sha512-/4QOrrNrCRmDSBWiiP4aC72dnkuXUEdcFRidHgbPRXUpy82XcCMvJssI6fEs6JT42LS7DvBVZO70qasJbYKyrA==",
        "files": ["dist/es/ponyfill.js", "dist/es/zxing-exported.js"],
    },
    # The exact version barcode-detector 3.2.2 depends on ("zxing-wasm": "3.1.3"):
    # the JS glue above expects this very .wasm (it embeds its sha256).
    "zxing-wasm": {
        "version": "3.1.3",
        "integrity": "sha512-3lC9BJk4fR5ZJxcGjb0hVnDFOW7KpLXHIebiBmVd4FDRQZVeObztoTKxRUPxlWwSgxrMRONK0u50hBD1aTYEKg==",
        "files": ["dist/reader/zxing_reader.wasm"],
    },
    # Tests only (tests/vendor/, never served): the accessibility rules the browser
    # tests run over every page kind (tests/browser/test_accessibility.py). MPL-2.0.
    "axe-core": {
        "version": "4.14.1",
        "integrity": "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        "files": ["axe.min.js"],
        "tests_only": True,
    },
}

LICENSE_RE = re.compile(r"^licen[cs]e(\.md|\.txt)?$", re.IGNORECASE)
TIMEOUT = 60


class VendorError(Exception):
    """A download, integrity or tarball problem; the message says which."""


def registry_url() -> str:
    url = os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry")
    return (url or "https://registry.npmjs.org/").rstrip("/") + "/"


def http_get(url: str) -> bytes:
    req = urllib.request.Request(url, headers={"Accept": "application/json, */*",
                                               "User-Agent": "festival-kiosk-vendor/1"})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            return resp.read()
    except OSError as exc:  # URLError and HTTPError are OSErrors
        raise VendorError(f"cannot download {url}: {exc}") from exc


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_tarball(name: str, spec: dict) -> tuple[bytes, str]:
    """Download the pinned tarball; return (bytes, integrity). Raises VendorError."""
    version = spec["version"]
    # Scoped names ("@a/b") are escaped as one path segment in the metadata URL.
    meta_url = registry_url() + urllib.parse.quote(name, safe="@") + "/" + version
    meta = json.loads(http_get(meta_url))
    dist = meta.get("dist") or {}
    integrity, tarball_url = dist.get("integrity", ""), dist.get("tarball")
    if not integrity.startswith("sha512-") or not tarball_url:
        raise VendorError(f"{name}@{version}: registry metadata has no sha512 integrity/tarball")
    if spec.get("integrity") is None:
        raise VendorError(f"{name}@{version}: no integrity pinned; the registry says "
                          f"{integrity!r}: review the package and pin it in MANIFEST")
    if integrity != spec["integrity"]:
        raise VendorError(f"{name}@{version}: registry integrity {integrity} differs from "
                          f"the pinned {spec['integrity']}")
    data = http_get(tarball_url)
    if sri_sha512(data) != integrity:
        raise VendorError(f"{name}@{version}: downloaded tarball fails its sha512 check")
    return data, integrity


def wanted_files(name: str, spec: dict, tgz: bytes) -> dict[str, bytes]:
    """Return {path in package: content} for the manifest's files plus the LICENSE."""
    out: dict[str, bytes] = {}
    license_name = None
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        members = {}
        for m in tar.getmembers():
            # npm tarballs put everything under one top folder, usually "package/".
            if not m.isfile() or "/" not in m.name:
                continue
            rel = m.name.split("/", 1)[1]
            members[rel] = m
            if "/" not in rel and LICENSE_RE.match(rel):
                license_name = rel
        if license_name is None:
            raise VendorError(f"{name}: no LICENSE file in the tarball")
        for rel in [*spec["files"], license_name]:
            if rel not in members:
                raise VendorError(f"{name}@{spec['version']}: {rel} is not in the tarball")
            out[rel] = tar.extractfile(members[rel]).read()
    return out


def version_text(name: str, spec: dict, integrity: str, files: dict[str, bytes]) -> str:
    """VERSION: what was vendored, plus a sha256 per file so a re-run needs no network."""
    lines = [f"{name}@{spec['version']}", integrity, ""]
    lines += [f"{sha256(data)}  {rel}" for rel, data in sorted(files.items())]
    return "\n".join(lines) + "\n"


def package_dir(name: str, spec: dict) -> Path:
    """Where a package's files go: static/vendor/<name>, or tests/vendor/<name> for tests only."""
    return (TESTS_VENDOR_DIR if spec.get("tests_only") else VENDOR_DIR) / name


def up_to_date(name: str, spec: dict) -> bool:
    """True when VERSION names the pinned version and every file matches its recorded sha256."""
    pkg_dir = package_dir(name, spec)
    try:
        lines = (pkg_dir / "VERSION").read_text().splitlines()
    except OSError:
        return False
    if lines[:2] != [f"{name}@{spec['version']}", spec.get("integrity")]:
        return False
    recorded = dict(reversed(line.split("  ", 1)) for line in lines[3:] if "  " in line)
    if not set(spec["files"]) <= set(recorded):
        return False
    for rel, digest in recorded.items():
        path = pkg_dir / rel
        if not path.is_file() or sha256(path.read_bytes()) != digest:
            return False
    return not stray_files(pkg_dir, set(recorded))


def stray_files(pkg_dir: Path, expected: set[str]) -> list[Path]:
    """Files in a package's vendor folder that the manifest does not account for."""
    if not pkg_dir.is_dir():
        return []
    keep = expected | {"VERSION"}
    return sorted(p for p in pkg_dir.rglob("*")
                  if p.is_file() and p.relative_to(pkg_dir).as_posix() not in keep)


def write_if_changed(path: Path, data: bytes) -> bool:
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)  # atomic: a half-written library is never served
    return True


def vendor(name: str, spec: dict) -> None:
    if up_to_date(name, spec):
        print(f"{name}@{spec['version']}: up to date")
        return
    tgz, integrity = fetch_tarball(name, spec)
    files = wanted_files(name, spec, tgz)
    pkg_dir = package_dir(name, spec)
    changed = [rel for rel, data in files.items() if write_if_changed(pkg_dir / rel, data)]
    if write_if_changed(pkg_dir / "VERSION", version_text(name, spec, integrity, files).encode()):
        changed.append("VERSION")
    for stray in stray_files(pkg_dir, set(files)):
        stray.unlink()
        changed.append(f"removed {stray.relative_to(pkg_dir)}")
    print(f"{name}@{spec['version']}: " + (", ".join(changed) if changed else "up to date"))


def check(name: str, spec: dict) -> list[str]:
    """Compare the vendored files with the tarball; return a list of problems."""
    tgz, integrity = fetch_tarball(name, spec)
    files = wanted_files(name, spec, tgz)
    pkg_dir = package_dir(name, spec)
    expected = dict(files)
    expected["VERSION"] = version_text(name, spec, integrity, files).encode()
    problems = []
    for rel, data in sorted(expected.items()):
        path = pkg_dir / rel
        if not path.is_file():
            problems.append(f"{name}: missing {rel}")
        elif path.read_bytes() != data:
            problems.append(f"{name}: {rel} differs from {name}@{spec['version']}")
    problems += [f"{name}: unexpected file {p.relative_to(pkg_dir)}"
                 for p in stray_files(pkg_dir, set(files))]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="verify the vendored files against the npm tarballs; exit 1 on mismatch")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = [p for name, spec in MANIFEST.items() for p in check(name, spec)]
            for p in problems:
                print(p, file=sys.stderr)
            if not problems:
                print("vendored files match the pinned npm tarballs")
            return 1 if problems else 0
        for name, spec in MANIFEST.items():
            vendor(name, spec)
    except VendorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
