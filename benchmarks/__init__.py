"""Benchmarks for lessonlib and the course: run ``python -m benchmarks.run`` (see README.md here).

Timing scripts, not tests: they print one table of figures measured side by side in one
run (contenders interleaved, each warmed up first; min and median of the repeats).
``tests/test_benchmarks_smoke.py`` runs ``--quick`` so that the scripts cannot rot.
"""
