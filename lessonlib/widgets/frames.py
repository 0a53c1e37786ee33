"""Precomputed frames of a widget, so that its figure responds on the static website.

The website has no kernel. When the book is built, every widget made by
:func:`~lessonlib.widgets.common.interactive_figure` is also rendered here, with its own
``draw`` and :func:`~lessonlib.widgets.render.render_figure`, for

- every *website position* of every control, the others at their starting values
  (a dropdown's options, a checkbox's two states, and at most ``SLIDER_POSITIONS``
  values of a slider, always including both ends and the starting value), and
- a grid over two controls (``explore``, by default the first two), sliders there
  thinned to at most ``GRID_POSITIONS`` values.

Each frame is stored as a lossless WebP image (the same pixels as the widget's PNG,
about a third of its size), identical frames once, with a ``manifest.json`` that the
site's script (assets/js/explorable.js) and the book extension (_ext/explorable.py)
read. Frames are rendered by ``processes`` forked workers (each with one BLAS thread),
and a sample of them is compared, pixel for pixel, with what the live widget draws.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import multiprocessing
import os
import random
from pathlib import Path

import numpy as np
from PIL import Image
from threadpoolctl import threadpool_limits

from .render import new_figure, render_figure

__all__ = ["SLIDER_POSITIONS", "GRID_POSITIONS", "control_spec", "frame_keys", "render_frames",
           "check_frames", "render_site_frames", "to_webp"]

#: At most this many positions of a slider on the website (both ends and the start included).
SLIDER_POSITIONS = 21
#: At most this many positions of a slider in the two-control grid.
GRID_POSITIONS = 11


def _readout(control, value) -> str:
    fmt = getattr(control, "readout_format", None)
    if fmt:
        try:
            return format(value, fmt)
        except (TypeError, ValueError):
            pass
    return str(value)


def _evenly(n: int, keep: int, limit: int, grid=None) -> list[int]:
    """About ``limit`` (at most one more) of the indices 0..n-1, always 0, n-1 and ``keep``.

    Evenly spaced; when ``grid`` (the value of each index on a uniform scale, in
    steps of 1) is given, at indices whose value is a multiple of a round stride
    (1, 2, 4, 5, 10, 20, 25, 50, ... steps), so that a slider shows round numbers.
    """
    if n <= limit:
        return list(range(n))
    need = (n - 1) / max(limit - 1, 1)
    stride = next(m * 10 ** e for e in range(12) for m in (1, 2, 4, 5) if m * 10 ** e >= need)
    grid = grid if grid is not None else list(range(n))
    picked = {i for i in range(n) if abs(grid[i] / stride - round(grid[i] / stride)) < 1e-6}
    picked |= {0, n - 1, keep}
    while len(picked) > limit + 1:  # (the ends and keep may add one) drop an inner index
        inner_ix = sorted(picked - {0, n - 1, keep})
        picked.discard(inner_ix[len(inner_ix) // 2])
    return sorted(picked)


def _slider_values(control) -> tuple[list, int, list]:
    """Every value of a slider's steps, the index of its current value, and each value in steps."""
    log = type(control).__name__ == "FloatLogSlider"
    lo, hi, step = control.min, control.max, control.step or 1
    n = int(math.floor((hi - lo) / step + 1e-9)) + 1
    digits = max(0, -int(math.floor(math.log10(step)))) + 2 if isinstance(step, float) else 0
    raw = [lo + i * step for i in range(n)]
    if raw[-1] < hi - 1e-9 * max(1, abs(hi)):
        raw.append(hi)
    raw = [round(v, digits) if digits else v for v in raw]
    start = math.log(control.value, control.base) if log else control.value
    current = min(range(len(raw)), key=lambda i: abs(raw[i] - start))
    values = [control.base ** v for v in raw] if log else raw
    values[current] = control.value            # the starting value exactly as the widget holds it
    return values, current, [round(v / step, 6) for v in raw]


def control_spec(name: str, control, limit: int = SLIDER_POSITIONS) -> dict:
    """How a control appears on the website: its values, their labels, its start.

    ``values`` are Python values (not written to the manifest); ``labels`` are shown.
    A control of an unknown kind gets one position (its value): it does not move there.
    """
    label = getattr(control, "description", "") or name
    if hasattr(control, "options"):
        labels = [str(x) for x in control._options_labels]
        values = list(control._options_values)
        start = values.index(control.value)
        kind = "select"
    elif isinstance(control.value, bool):
        values, labels, start, kind = [False, True], ["off", "on"], int(control.value), "checkbox"
    elif all(hasattr(control, a) for a in ("min", "max", "step")) and not isinstance(control.value, tuple):
        every, current, in_steps = _slider_values(control)
        picked = _evenly(len(every), current, limit, in_steps)
        values = [every[i] for i in picked]
        labels = [_readout(control, v) for v in values]
        start, kind = picked.index(current), "range"
    else:
        values, labels, start, kind = [control.value], [str(control.value)], 0, "fixed"
    return {"name": name, "label": label, "kind": kind, "values": values, "labels": labels,
            "start": start}


def frame_keys(specs: list[dict], explore=None) -> list[tuple]:
    """The settings to render, as tuples of position indices: the start first, then each
    control swept alone, then the grid over the two ``explore`` controls."""
    start = tuple(s["start"] for s in specs)
    keys = [start]
    for i, spec in enumerate(specs):
        keys += [start[:i] + (j,) + start[i + 1:] for j in range(len(spec["values"]))]
    names = [s["name"] for s in specs]
    pair = list(explore) if explore else names[:2]
    if len(pair) == 2 and all(p in names for p in pair) and pair[0] != pair[1]:
        a, b = names.index(pair[0]), names.index(pair[1])
        grid_a = _evenly(len(specs[a]["values"]), start[a], GRID_POSITIONS)
        grid_b = _evenly(len(specs[b]["values"]), start[b], GRID_POSITIONS)
        for ia in grid_a:
            for ib in grid_b:
                key = list(start)
                key[a], key[b] = ia, ib
                keys.append(tuple(key))
    return list(dict.fromkeys(keys))


def to_webp(png: bytes) -> bytes:
    """A PNG as a lossless WebP image (decoded, the pixels are identical)."""
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).save(out, format="WEBP", lossless=True, quality=80, method=4)
    return out.getvalue()


# Set in the parent just before forking, read by the forked workers (never pickled).
_JOB: dict = {}


def _render_chunk(chunk: list[tuple]) -> list[tuple]:
    job = _JOB
    fig = new_figure(job["figsize"], job["dpi"])
    out = []
    with threadpool_limits(limits=1, user_api="blas"):
        for key in chunk:
            values = {s["name"]: s["values"][j] for s, j in zip(job["specs"], key)}
            png, error = render_figure(fig, job["draw"], job["ncols"], values)
            out.append((key, to_webp(png), error))
    return out


def render_frames(specs: list[dict], draw, keys: list[tuple], *, figsize, ncols, dpi,
                  processes: int = 2) -> list[tuple]:
    """(key, webp bytes, error) for every key, rendered by ``processes`` forked workers."""
    _JOB.update(specs=specs, draw=draw, figsize=figsize, ncols=ncols, dpi=dpi)
    try:
        if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            return _render_chunk(keys)
        chunks = [keys[i::processes * 4] for i in range(processes * 4)]
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return [frame for part in pool.map(_render_chunk, chunks) for frame in part]
    finally:
        _JOB.clear()


def _pixels(image: bytes):
    return np.asarray(Image.open(io.BytesIO(image)).convert("RGBA"))


def check_frames(box, specs: list[dict], frames: dict, keys: list[tuple]) -> None:
    """Set ``box``'s controls to each key's values and assert that the live widget's image
    has the same pixels as the frame; the controls are restored afterwards."""
    start = {name: c.value for name, c in box.controls.items()}
    try:
        for key in keys:
            for spec, j in zip(specs, key):
                box.controls[spec["name"]].value = spec["values"][j]
            live, frame = _pixels(box.image.value), _pixels(frames[key])
            if live.shape != frame.shape or (live != frame).any():
                setting = {s["name"]: s["labels"][j] for s, j in zip(specs, key)}
                raise RuntimeError(f"frames: the website frame at {setting} differs from the widget's "
                                   f"figure ({live.shape} vs {frame.shape})")
    finally:
        for name, value in start.items():
            box.controls[name].value = value


def render_site_frames(box, *, out, processes=None, n_checked: int = 3) -> Path:
    """Render the website frames of ``box`` into ``out/<model_id>/``; return that folder.

    The start frame and ``n_checked - 1`` other frames (a fixed sample) are compared
    with what the live widget draws at those settings (:func:`check_frames`): a
    difference stops the build.
    """
    options = box.figure_options
    specs = [control_spec(name, c) for name, c in box.controls.items()]
    keys = frame_keys(specs, options["explore"])
    processes = processes or int(os.environ.get("LESSONLIB_FRAMES_PROCESSES", "2"))
    frames = render_frames(specs, box.draw, keys, figsize=options["figsize"], ncols=options["ncols"],
                           dpi=options["dpi"], processes=processes)
    webps = {key: webp for key, webp, _ in frames}
    sample = [keys[0]] + random.Random(len(keys)).sample(keys[1:], min(n_checked - 1, len(keys) - 1))
    check_frames(box, specs, webps, sample)
    folder = Path(out) / box.model_id
    folder.mkdir(parents=True, exist_ok=True)
    files, errors = {}, {}
    for key, webp, error in frames:
        name = hashlib.sha256(webp).hexdigest()[:16] + ".webp"
        if not (folder / name).exists():
            (folder / name).write_bytes(webp)
        files[",".join(map(str, key))] = name
        if error:
            errors[",".join(map(str, key))] = error
    manifest = {
        "model_id": box.model_id,
        "controls": [{k: v for k, v in s.items() if k != "values"} for s in specs],
        "start": ",".join(str(s["start"]) for s in specs),
        "frames": files,
        "errors": errors,
        "checked": [",".join(map(str, k)) for k in sample],
        "explore": list(options["explore"] or [s["name"] for s in specs[:2]]),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=0), encoding="utf-8")
    return folder
