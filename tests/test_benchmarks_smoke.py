"""The benchmark script still runs: ``python -m benchmarks.run --quick`` on tiny sizes.

Only that it runs and prints its table is tested here, not any timing: timings are for
people to read (benchmarks/README.md), not for a test on a shared machine to assert.
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs_and_prints_one_table(tmp_path):
    out = tmp_path / "rows.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--no-torch", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stdout.count("section") == 1, proc.stdout        # one table, one header
    rows = json.loads(out.read_text())
    sections = {r["section"] for r in rows}
    assert {"1 train step", "backward", "widgets"} <= sections, sections
    train = [r for r in rows if r["section"] == "1 train step"]
    assert train and all(r["ratio"] > 0 for r in train if r["ratio"] is not None)
    assert not [r for r in rows if r["value"] == "FAILED"], [r for r in rows if r["value"] == "FAILED"]


def test_benchmark_script_also_runs_as_a_file():
    proc = subprocess.run([sys.executable, "benchmarks/run.py", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--quick" in proc.stdout, proc.stderr
