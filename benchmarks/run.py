"""Print one table of lessonlib's and the course's speed, measured side by side in one run.

    python -m benchmarks.run               # training step, long graphs, widgets (~2 min)
    python -m benchmarks.run --notebooks   # + every chapter, kernel memory, strict book build
    python -m benchmarks.run --quick       # tiny sizes, one repeat: checks the script runs

Timings are "min / median" over interleaved repeats after a warm-up (see timing.py).
BLAS runs on ``--threads`` threads (default 1) for numpy and torch alike, and notebook
kernels get the same limit through OPENBLAS_NUM_THREADS / OMP_NUM_THREADS / MKL_NUM_THREADS.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):                      # run as a file: python benchmarks/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "benchmarks"

import numpy as np

from benchmarks import chains, notebooks, train_step
from benchmarks.timing import format_table

SECTIONS = ("train", "chains", "widgets")


def _parse(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes and one repeat (smoke test)")
    p.add_argument("--notebooks", action="store_true",
                   help="also execute every chapter notebook and build the book (slow)")
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"comma-separated sections among {','.join(SECTIONS)} (default: all)")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--repeats", type=int, default=None, help="timing repeats (default 20, quick 1)")
    p.add_argument("--no-torch", action="store_true", help="skip torch even when it is installed")
    p.add_argument("--json", metavar="FILE", help="also write the rows to FILE as JSON")
    return p.parse_args(argv)


def _limit_threads(n):
    """Limit BLAS threads here (threadpoolctl) and in child kernels (environment)."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")


def main(argv=None) -> int:
    args = _parse(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        raise SystemExit(f"--only: unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    repeats = args.repeats or (1 if args.quick else 20)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load average {load:.2f}, BLAS threads {args.threads}", flush=True)
    rows, start = [], time.perf_counter()
    with _limit_threads(args.threads):
        if "train" in only:
            size = {"depth": 3, "width": 16, "batch": 8} if args.quick else {}
            rows += train_step.run(**size, repeats=repeats, use_torch=not args.no_torch,
                                   threads=args.threads)
        if "chains" in only:
            rows += chains.run(quick=args.quick, repeats=max(1, repeats // 2) if not args.quick else 1,
                               use_torch=not args.no_torch, threads=args.threads)
        if "widgets" in only:
            rows += notebooks.run_widgets(quick=args.quick)
        if args.notebooks:
            rows += notebooks.run_notebooks()
            rows += notebooks.run_book()
    if args.quick:      # tiny sizes say nothing about the targets: show figures only
        rows = [dataclasses.replace(r, ok=None, target="") for r in rows]
    print()
    print(format_table(rows))
    missed = [r for r in rows if r.ok is False]
    print(f"\n{len(rows)} rows in {time.perf_counter() - start:.0f} s; "
          f"{len(missed)} target(s) missed" + (": " + "; ".join(r.what for r in missed) if missed else ""))
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in rows], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
