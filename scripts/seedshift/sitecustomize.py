"""Shift every integer seed given to ``numpy.random.default_rng`` (used by scripts/seed_shift.py).

Put this folder first on ``PYTHONPATH`` and set ``LESSONLIB_SEED_SHIFT=N``: every
``np.random.default_rng(seed)`` call, in a chapter or inside lessonlib, then draws from
``seed + N`` instead. Nothing else changes, so an assert that fails under a shift is a
claim that held only for the seeds it was written with.
"""
import os

_SHIFT = int(os.environ.get("LESSONLIB_SEED_SHIFT", "0") or 0)

if _SHIFT:
    import numpy as _np

    _original = _np.random.default_rng

    def _shifted(seed=None):
        if isinstance(seed, (int, _np.integer)) and not isinstance(seed, bool):
            seed = int(seed) + _SHIFT
        elif isinstance(seed, (list, tuple)) and seed and all(
                isinstance(s, (int, _np.integer)) and not isinstance(s, bool) for s in seed):
            seed = [int(s) + _SHIFT for s in seed]
        return _original(seed)

    _shifted.__doc__ = _original.__doc__
    _np.random.default_rng = _shifted
