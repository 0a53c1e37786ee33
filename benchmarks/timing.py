"""Measuring side by side: interleaved repeats, peak memory, and the one result table."""
from __future__ import annotations

import dataclasses
import gc
import statistics
import time
import tracemalloc

__all__ = ["Row", "Timing", "interleaved", "traced_peak", "format_table", "fmt_time", "fmt_bytes",
           "fmt_timing"]


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds per call over the repeats of one contender."""

    min: float
    median: float
    repeats: int


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the table: a measured value, optionally against a reference and a target."""

    section: str
    what: str
    value: str
    reference: str = ""
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None          # None: no target, or nothing to compare with
    note: str = ""


def interleaved(contenders: dict, repeats: int, warmup: int = 2, number: int = 1) -> dict:
    """Time each callable ``number`` times per repeat, taking turns, after ``warmup`` calls each.

    Taking turns (A B C, B C A, C A B, ...) spreads the noise of a shared machine, and the
    warm-up keeps the allocator's first-touch cost out of the figures: the first timing
    block of a process was measured 50% slower than the second for the same work.
    Returns ``{name: Timing}`` in seconds per call.
    """
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    samples = {name: [] for name in names}
    gc_was_enabled = gc.isenabled()
    gc.disable()            # a collection landing inside one contender's block is noise
    try:
        for r in range(repeats):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                fun = contenders[name]
                t0 = time.perf_counter()
                for _ in range(number):
                    fun()
                samples[name].append((time.perf_counter() - t0) / number)
            gc.collect()
    finally:
        if gc_was_enabled:
            gc.enable()
    return {n: Timing(min(s), statistics.median(s), repeats) for n, s in samples.items()}


def traced_peak(fun) -> int:
    """Peak bytes allocated (Python objects and numpy buffers) while ``fun()`` runs."""
    gc.collect()
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    try:
        fun()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - start


def fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_bytes(n: float) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def fmt_timing(t: Timing) -> str:
    return f"{fmt_time(t.min)} / {fmt_time(t.median)}"


def format_table(rows: list) -> str:
    """A fixed-width text table; ``status`` is ok, MISSED, or blank when there is no target."""
    head = ("section", "benchmark", "measured", "reference", "ratio", "target", "status")
    body = []
    for r in rows:
        status = "" if r.ok is None else ("ok" if r.ok else "MISSED")
        ratio = "" if r.ratio is None else f"{r.ratio:.2f}x"
        what = r.what + (f" ({r.note})" if r.note else "")
        body.append((r.section, what, r.value, r.reference, ratio, r.target, status))
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip()
             for line in [head, tuple("-" * w for w in widths), *body]]
    return "\n".join(lines)
