"""Every chapter gives the same text output on every run (fixed seeds, no hidden state).

Each notebook is executed twice, each time in a fresh kernel of the current environment,
and the text of every cell's outputs is compared: streams (print), ``text/plain``
results, and errors. Two things are masked because they cannot repeat: memory addresses
(``0x7f...``, in Python's default repr) and durations (``21.3 s``, ``4 ms``: a chapter
may show how long something took). Anything else that differs (an unseeded random
number, a set printed in hash order) fails the test with the cell and the two texts.
Figures are compared too but only reported (as a warning): their PNG bytes can differ
without the text differing.

Kernels run with one BLAS thread (OPENBLAS_NUM_THREADS=1 and friends): faster for the
small matrices of the chapters on 2 cores, and a fixed summation order.

A cell that raises fails the test (with nbclient's CellExecutionError naming the cell),
so this test also checks what ``pytest --nbval-lax`` checks for the chapters.

Cost: two executions per chapter, one after the other on one pytest worker (pytest-xdist
``--dist loadfile`` keeps a file on one worker).
"""
from __future__ import annotations

import os
import re
import time
import warnings
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

from benchmarks.notebooks import run_notebook  # noqa: E402  (a fresh kernel of this environment)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
ONE_THREAD = {v: "1" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
DURATION = re.compile(r"\b\d+(\.\d+)?(e-?\d+)? ?(s|ms|us|µs|ns|sec|seconds)\b")


def _execute(path: Path):
    nb = nbformat.read(path, as_version=4)
    run_notebook(nb, cwd=path.parent, env={**os.environ, **ONE_THREAD})
    return nb


def _outputs(nb):
    """Per code cell: its text outputs (masked) and its PNGs.

    How printed text is cut into stream messages depends on when the kernel flushes,
    so each stream (stdout, stderr) is compared as one text per cell.
    """
    texts, pngs = [], []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        text, png, streams = [], [], {}
        for out in cell.get("outputs", []):
            kind = out["output_type"]
            if kind == "stream":
                streams[out["name"]] = streams.get(out["name"], "") + out["text"]
            elif kind in ("execute_result", "display_data"):
                data = out.get("data", {})
                if "text/plain" in data and "application/vnd.jupyter.widget-view+json" not in data:
                    text.append(f"[{kind}] {data['text/plain']}")
                if "image/png" in data:
                    png.append(data["image/png"])
            elif kind == "error":
                text.append(f"[error] {out['ename']}: {out['evalue']}")
        text += [f"[{name}] {streams[name]}" for name in sorted(streams)]
        texts.append(DURATION.sub("<duration>", ADDRESS.sub("0x...", "".join(text))))
        pngs.append(png)
    return texts, pngs


# One xdist group per chapter: ignored under pyproject's --dist loadfile (this file stays on
# one worker); under --dist loadgroup the chapters are shared out among the workers.
@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.xdist_group(f"determinism-{p.stem}"))
                                  for p in NOTEBOOKS], ids=lambda p: p.name)
def test_chapter_text_output_is_the_same_on_every_run(path):
    start = time.perf_counter()
    (text1, png1), (text2, png2) = (_outputs(_execute(path)) for _ in range(2))
    seconds = time.perf_counter() - start
    differ = [i for i, (a, b) in enumerate(zip(text1, text2)) if a != b]
    detail = "\n".join(f"code cell {i}:\n  run 1: {text1[i][:300]!r}\n  run 2: {text2[i][:300]!r}"
                       for i in differ[:3])
    assert not differ, f"{path.name}: text output differs between two runs in code cells {differ}\n{detail}"
    png_differ = [i for i, (a, b) in enumerate(zip(png1, png2)) if a != b]
    if png_differ:
        warnings.warn(f"{path.name}: figures in code cells {png_differ} differ between runs "
                      "(the text is identical)", stacklevel=1)
    print(f"{path.name}: two executions in {seconds:.1f} s")
