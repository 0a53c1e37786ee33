#!/usr/bin/env python3
"""Install lessonlib from its built wheel (not editable) into a fresh virtual environment,
and execute chapters there from a folder outside the repository.

    python scripts/wheel_check.py                  # the longest chapter (what .ci/run does)
    python scripts/wheel_check.py --all            # every chapter, with times
    python scripts/wheel_check.py chapters/05_batch_norm.ipynb

This is how Colab, ``pip install git+URL@TAG`` and any non-editable install see the
course: an editable install (``-e .``) imports lessonlib from the checkout and hides a
subpackage or data file missing from the wheel. The environment gets the wheel, the
kernel and nbclient, with the versions pinned in requirements.txt as constraints. The
notebooks run in a temporary folder, with PYTHONPATH unset, and the kernel must import
lessonlib from that environment's site-packages. Exits non-zero on any failure.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
# The slowest chapter from an installed wheel, measured on 2026-12-02 (load ~7.5 on 2 cores):
# 07 62 s, 03 56 s, 06 32 s, 02 27 s, 04 22 s, 05 15 s, 01 7 s.
LONGEST = "07_rnn_bptt.ipynb"
EXTRA = ["ipykernel", "nbclient", "nbformat", "jupyterquiz"]

RUNNER = r"""
import sys, time, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
nb.cells.insert(1, nbformat.v4.new_code_cell(
    "import lessonlib, sys\n"
    "assert 'site-packages' in lessonlib.__file__, lessonlib.__file__\n"
    "print('lessonlib from', lessonlib.__file__)"))
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
print(f"{time.perf_counter() - start:.1f}")
"""


def run(cmd, **kw):
    print("$", " ".join(map(str, cmd)), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="every chapter notebook")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    notebooks = ([p.resolve() for p in args.notebooks] if args.notebooks
                 else sorted(CHAPTERS.glob("[0-9]*.ipynb")) if args.all else [CHAPTERS / LONGEST])
    tmp = Path(tempfile.mkdtemp(prefix="lessonlib-wheel-"))
    assert not tmp.resolve().is_relative_to(ROOT), tmp
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "JUPYTER_PATH")}
    try:
        run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", str(ROOT), "-w", str(tmp / "dist")])
        wheel = next((tmp / "dist").glob("lessonlib-*.whl"))
        pins = [ln for ln in (ROOT / "requirements.txt").read_text().splitlines()
                if re.match(r"^[A-Za-z0-9_.-]+==", ln)]
        (tmp / "constraints.txt").write_text("\n".join(pins) + "\n")
        run([sys.executable, "-m", "venv", str(tmp / "venv")])
        python = tmp / "venv" / "bin" / "python"
        run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel), *EXTRA,
             "-c", str(tmp / "constraints.txt")], env=env)
        work = tmp / "run"                       # a folder outside the repository
        work.mkdir()
        for extra in ("quizzes",):               # data the chapters read next to them, if any
            if (CHAPTERS / extra).is_dir():
                shutil.copytree(CHAPTERS / extra, work / extra)
        (tmp / "runner.py").write_text(RUNNER)
        env.update(OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg")
        times, failed = {}, []
        for nb in notebooks:
            shutil.copy(nb, work / nb.name)
            start = time.perf_counter()
            result = subprocess.run([python, tmp / "runner.py", work / nb.name, work], cwd=work, env=env,
                                    capture_output=True, text=True)
            times[nb.name] = time.perf_counter() - start
            if result.returncode != 0:
                failed.append(nb.name)
                print(f"FAILED {nb.name}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}", flush=True)
            else:
                print(f"ok     {nb.name}: {float(result.stdout.split()[-1]):6.1f} s executing "
                      f"({times[nb.name]:.1f} s with the kernel's start)", flush=True)
        print(f"{len(notebooks) - len(failed)} of {len(notebooks)} chapters ran from the installed wheel "
              f"in {work}")
        return 1 if failed else 0
    finally:
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
