"""Time every code cell of chapter notebooks (nbclient), and list the slowest.

    python scripts/cell_times.py chapters/0*.ipynb --top 6 [--json out.json]

Runs each notebook top to bottom in a fresh kernel of this environment (as the tests
do, one BLAS thread), reads nbclient's per-cell timing, and prints the total and the
slowest cells with their first line. The numbers in the instructor guide's lesson
plans come from this script; rerun it after changing a chapter. The load average is
printed too: on a busy machine every time is longer.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import nbformat  # noqa: E402

from benchmarks.notebooks import run_notebook  # noqa: E402


def _seconds(cell) -> float | None:
    t = cell.get("metadata", {}).get("execution", {})
    a, b = t.get("iopub.execute_input"), t.get("shell.execute_reply")
    if not (a and b):
        return None
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))
    return (parse(b) - parse(a)).total_seconds()


def time_cells(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    load_before = os.getloadavg()[0]
    total, _ = run_notebook(nb)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (s := _seconds(cell)) is not None:
            first = next((ln for ln in cell.source.splitlines() if ln.strip() and not ln.startswith("#")), "")
            cells.append({"index": i, "id": cell.get("id"), "seconds": s, "first_line": first[:70]})
    return {"notebook": path.name, "total": total, "load_before": load_before,
            "load_after": os.getloadavg()[0], "cells": cells}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--top", type=int, default=6)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    results = []
    for path in args.notebooks:
        r = time_cells(path)
        results.append(r)
        print(f"{r['notebook']}: {r['total']:.1f} s in all (load average {r['load_before']:.2f} -> "
              f"{r['load_after']:.2f} on {os.cpu_count()} cores)")
        for c in sorted(r["cells"], key=lambda c: -c["seconds"])[:args.top]:
            print(f"  cell {c['index']:3d}  {c['seconds']:6.2f} s  {c['first_line']}")
        sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
