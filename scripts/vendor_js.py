#!/usr/bin/env python3
"""Fetch, check and copy the JavaScript that the website and the slides serve themselves.

The website must work with no network: MathJax (math), require.js and the
ipywidgets HTML manager (widgets) are served from ``assets/vendor/`` instead of a
CDN, and reveal.js (slides) is copied next to the slides. The files are committed
(about 6.5 MB); this script is how they were made and how to check or update them.

    python scripts/vendor_js.py --check   # verify the committed files (no network)
    python scripts/vendor_js.py           # re-fetch from the npm registry and rewrite

Re-fetching downloads each pinned package with ``npm pack`` (the tarball only, no
dependencies), verifies the tarball against the sha512 integrity below (the value the
npm registry publishes, ``npm view PACKAGE@VERSION dist.integrity``), copies the
listed files unchanged, and rewrites ``assets/vendor/SHA256SUMS``. ``--check`` recomputes
every sha256 and fails on a changed, missing or unlisted file. To update a package,
change its version and integrity here, run the script, and update
``assets/vendor/README.md``.
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "assets" / "vendor"
SUMS = VENDOR / "SHA256SUMS"

# name, version, npm integrity, target folder under assets/vendor, [(pattern in the
# tarball's package/ folder, destination relative to the target folder)].
# A pattern ending in "/*" copies the matching files of that folder (not recursive).
PACKAGES = [
    (
        "mathjax", "3.2.2",
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "mathjax",
        [
            ("LICENSE", "LICENSE"),
            # the combined component that Sphinx loads by default (TeX + MathML input,
            # CommonHTML output, menu, assistive MathML) ...
            ("es5/tex-mml-chtml.js", "es5/tex-mml-chtml.js"),
            # ... the TeX extensions it autoloads on demand (\boldsymbol, \cancel, ...) ...
            ("es5/input/tex/extensions/*.js", "es5/input/tex/extensions/"),
            # ... and the web fonts of the CommonHTML output.
            ("es5/output/chtml/fonts/woff-v2/*.woff", "es5/output/chtml/fonts/woff-v2/"),
            ("es5/ui/safe.js", "es5/ui/safe.js"),
            ("es5/ui/lazy.js", "es5/ui/lazy.js"),
        ],
    ),
    (
        "requirejs", "2.3.8",
        "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        "requirejs",
        [("require.js", "require.js")],
    ),
    (
        "@jupyter-widgets/html-manager", "1.0.15",
        "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "html-manager",
        [
            # the AMD bundle myst-nb loads (it contains @jupyter-widgets/base, controls
            # and output, so the ipywidgets of the chapters need nothing else) ...
            ("dist/embed-amd.js", "dist/embed-amd.js"),
            ("dist/embed.js.LICENSE.txt", "dist/embed.js.LICENSE.txt"),
            # ... and the Font Awesome fonts its CSS refers to, in the two formats every
            # current browser picks first (the .eot/.ttf/.svg copies are left out).
            ("dist/*.woff2", "dist/"),
            ("dist/*.woff", "dist/"),
        ],
    ),
    (
        "reveal.js", "4.6.1",
        "sha512-1CW0auaXNPmwmvQ7TwpszwVxMi2Xr5cTS3J3EBC/HHgbPF32Dn7aiu/LKWDOGjMbaDwKQiGmfqcoGQ74HUHCMw==",
        "reveal.js",
        [
            ("LICENSE", "LICENSE"),
            ("dist/reveal.js", "dist/reveal.js"),
            ("dist/reveal.css", "dist/reveal.css"),
            # the two themes whose fonts ship with reveal.js (others load Google Fonts)
            ("dist/theme/white.css", "dist/theme/white.css"),
            ("dist/theme/black.css", "dist/theme/black.css"),
            ("dist/theme/fonts/source-sans-pro/source-sans-pro.css",
             "dist/theme/fonts/source-sans-pro/source-sans-pro.css"),
            ("dist/theme/fonts/source-sans-pro/LICENSE", "dist/theme/fonts/source-sans-pro/LICENSE"),
            ("dist/theme/fonts/source-sans-pro/*.woff", "dist/theme/fonts/source-sans-pro/"),
            ("plugin/notes/notes.js", "plugin/notes/notes.js"),
        ],
    ),
]

# Files in assets/vendor that are written by hand, not copied from a package.
HANDWRITTEN = {"README.md", "SHA256SUMS"}


def _integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _vendored_files() -> list[Path]:
    return sorted(p for p in VENDOR.rglob("*") if p.is_file() and p.name not in HANDWRITTEN)


def fetch() -> None:
    if shutil.which("npm") is None:
        sys.exit("npm is needed to re-fetch the packages (apt-get install npm)")
    for _, _, _, target, _ in PACKAGES:
        shutil.rmtree(VENDOR / target, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, version, integrity, target, files in PACKAGES:
            out = subprocess.run(
                ["npm", "pack", "--silent", f"{name}@{version}", "--pack-destination", str(tmp)],
                check=True, capture_output=True, text=True,
            ).stdout.split()[-1]
            tgz = tmp / out
            got = _integrity(tgz)
            if got != integrity:
                sys.exit(f"{name}@{version}: integrity {got} != pinned {integrity}")
            unpacked = tmp / target
            with tarfile.open(tgz) as tar:
                tar.extractall(unpacked, filter="data")
            pkg = unpacked / "package"
            members = [p.relative_to(pkg).as_posix() for p in pkg.rglob("*") if p.is_file()]
            for pattern, dest in files:
                matches = [m for m in members if fnmatch.fnmatch(m, pattern)
                           and "/" not in m[len(pattern.rsplit("/", 1)[0]) + 1:]]
                if not matches:
                    sys.exit(f"{name}@{version}: nothing matches {pattern}")
                for m in matches:
                    to = VENDOR / target / (dest + Path(m).name if dest.endswith("/") else dest)
                    to.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(pkg / m, to)
            print(f"{name}@{version}: integrity ok, {len(list((VENDOR / target).rglob('*')))} entries")
    lines = [f"{_sha256(p)}  {p.relative_to(VENDOR).as_posix()}" for p in _vendored_files()]
    SUMS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    size = sum(p.stat().st_size for p in _vendored_files())
    print(f"wrote {SUMS.relative_to(ROOT)}: {len(lines)} files, {size / 1e6:.2f} MB")


def check() -> int:
    if not SUMS.exists():
        print(f"{SUMS.relative_to(ROOT)} is missing")
        return 1
    listed = {}
    for line in SUMS.read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        listed[name] = digest
    present = {p.relative_to(VENDOR).as_posix(): p for p in _vendored_files()}
    problems = [f"missing: {n}" for n in sorted(set(listed) - set(present))]
    problems += [f"not listed in SHA256SUMS: {n}" for n in sorted(set(present) - set(listed))]
    problems += [f"changed: {n}" for n in sorted(set(listed) & set(present))
                 if _sha256(present[n]) != listed[n]]
    for p in problems:
        print(p)
    size = sum(p.stat().st_size for p in present.values())
    print(f"assets/vendor: {len(present)} files, {size / 1e6:.2f} MB, "
          + ("all match SHA256SUMS" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="verify the committed files only")
    args = parser.parse_args()
    if args.check:
        return check()
    fetch()
    return check()


if __name__ == "__main__":
    sys.exit(main())
