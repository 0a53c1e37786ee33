"""Packaging: the wheel and the sdist of lessonlib hold the whole package.

An editable install (``pip install -e .``, what requirements.txt does) imports
lessonlib from the checkout, so it hides a subpackage or a data file that the
wheel leaves out. Colab, ``pip install git+URL@TAG`` and any non-editable install
use the wheel. These tests build both distributions from a copy of the repository
(nothing is written into the checkout) and compare them with the lessonlib/ tree.
``.ci/run`` also installs the wheel into a fresh environment and runs a chapter
from a folder outside the repository.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lessonlib"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def package_files() -> set[str]:
    """Every file of the lessonlib/ tree, as a path relative to the repository root."""
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")}


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """Build the wheel and the sdist (PEP 517 hooks, no network) from a copy of the sources."""
    src = tmp_path_factory.mktemp("src")
    shutil.copytree(PACKAGE, src / "lessonlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    for hook in ("build_wheel", "build_sdist"):  # one process each: setuptools keeps state
        code = f"import sys; from setuptools import build_meta as b; b.{hook}(sys.argv[1])"
        run = subprocess.run([sys.executable, "-c", code, str(out)], cwd=src, capture_output=True,
                             text=True, timeout=300)
        assert run.returncode == 0, f"{hook} failed:\n{run.stdout}\n{run.stderr}"
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def test_the_package_tree_has_subpackages():
    """The comparison below is not vacuous: lessonlib has subpackages."""
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert {"experiments", "plotting", "widgets", "exercises"} <= subpackages, subpackages


def test_wheel_holds_every_file_of_the_package(dists):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = set(wheel.namelist())
    in_wheel = {n for n in names if n.startswith("lessonlib/")}
    missing = sorted(package_files() - in_wheel)
    extra = sorted(in_wheel - package_files())
    assert not missing, f"the wheel lacks {missing}: add them to [tool.setuptools] in pyproject.toml"
    assert not extra, f"the wheel has files that are not in lessonlib/: {extra}"
    others = sorted({n.split("/")[0] for n in names} - {"lessonlib"}
                    - {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")})
    assert not others, f"the wheel installs more than lessonlib: {others}"


def test_sdist_holds_every_file_of_the_package(dists):
    with tarfile.open(dists["sdist"]) as sdist:
        names = {m.name.split("/", 1)[1] for m in sdist.getmembers() if m.isfile() and "/" in m.name}
    missing = sorted(package_files() - names)
    assert not missing, f"the sdist lacks {missing}"


def test_wheel_metadata_states_python_and_lower_bounds(dists):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        meta = next(wheel.read(n).decode() for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    assert "Requires-Python: >=3.11" in meta, "numpy 2.4 (requirements.txt) needs Python 3.11"
    requires = re.findall(r"^Requires-Dist: (.+)$", meta, flags=re.MULTILINE)
    assert requires, "the wheel declares no dependencies"
    pinned = [r for r in requires if re.search(r"==|<|~=", r)]
    assert not pinned, f"lower bounds only (Colab keeps its own numpy/matplotlib): {pinned}"


def test_requires_python_agrees_with_runtime_txt():
    """Binder (repo2docker) refuses a runtime.txt that requires-python excludes."""
    runtime = (ROOT / "runtime.txt").read_text(encoding="utf-8").strip()
    version = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert version, f"runtime.txt should read python-X.Y, not {runtime!r}"
    lower = re.fullmatch(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert lower, PYPROJECT["project"]["requires-python"]
    assert tuple(map(int, version.groups())) >= tuple(map(int, lower.groups()))


def test_every_dependency_is_pinned_in_requirements():
    """Each dependency of lessonlib is also pinned (==) in requirements.txt, above its lower bound."""
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.txt").read_text(),
                           flags=re.MULTILINE))
    pins = {k.lower(): v for k, v in pins.items()}
    for requirement in PYPROJECT["project"]["dependencies"]:
        name, lower = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([\d.]+)", requirement).groups()
        assert name.lower() in pins, f"{name} is not pinned in requirements.txt"
        pinned = tuple(int(x) for x in re.findall(r"\d+", pins[name.lower()])[:2])
        assert pinned >= tuple(int(x) for x in lower.split(".")[:2]), (name, pins[name.lower()], lower)
