"""Chapter notebooks, widgets and the book: execution time, kernel memory, callback latency.

Every notebook runs in a fresh kernel of the current Python environment (as
``pytest --nbval-current-env`` does), with the chapters folder as working directory.
The kernel's peak resident memory is read from ``/proc/<pid>/status`` (``VmHWM``), so it
counts everything the kernel touched: numpy, matplotlib, the widgets' state.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .timing import Row, fmt_bytes, fmt_time

__all__ = ["current_env_kernel_manager", "run_notebook", "run_notebooks", "run_widgets", "run_book"]

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
NOTEBOOK_TARGET_S = 30.0
KERNEL_TARGET_BYTES = 500 * 2**20
WIDGET_TARGET_S = 0.100


def current_env_kernel_manager():
    """A kernel manager whose every kernel runs ``sys.executable`` (this environment)."""
    import ipykernel.kernelspec
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from traitlets import default

    class CurrentEnvSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                          **ipykernel.kernelspec.get_kernel_dict())

    class CurrentEnvKernelManager(AsyncKernelManager):
        @default("kernel_spec_manager")
        def _default_specs(self):
            return CurrentEnvSpecs(data_dir=self.data_dir)

    return CurrentEnvKernelManager


def _peak_rss(pid) -> int | None:
    """The peak resident set size of process ``pid`` in bytes (Linux), or None."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def run_notebook(nb, cwd=CHAPTERS, timeout=600, env=None, allow_errors=False):
    """Execute notebook ``nb`` (a NotebookNode) in place: returns (seconds, peak kernel RSS).

    ``env``: the kernel's environment (default: this process's). A cell that raises
    raises nbclient's CellExecutionError, naming the cell, unless ``allow_errors``: then
    execution goes on and each failing cell keeps its error output.
    """
    from nbclient import NotebookClient

    peak = [None]

    def after_cell(cell, cell_index, execute_reply):
        pid = getattr(client.km.provisioner, "pid", None)
        peak[0] = _peak_rss(pid) if pid else None

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            kernel_manager_class=current_env_kernel_manager(),
                            resources={"metadata": {"path": str(cwd)}}, allow_errors=allow_errors,
                            on_cell_executed=after_cell)
    start = time.perf_counter()
    options = {} if env is None else {"env": env}
    client.execute(stderr=subprocess.DEVNULL, **options)   # (the kernel's log lines: not ours to show)
    return time.perf_counter() - start, peak[0]


def run_notebooks(paths=None) -> list:
    """Rows: each chapter's execution time (target 30 s) and its kernel's peak memory."""
    import nbformat

    rows, peaks = [], {}
    for path in paths if paths is not None else sorted(CHAPTERS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        try:
            seconds, peak = run_notebook(nb, cwd=path.parent)
        except Exception as err:   # a chapter being written: report it, measure the others
            rows.append(Row("notebooks", path.name, "FAILED", type(err).__name__, ok=False,
                            note=str(err).strip().splitlines()[-1][:80] if str(err).strip() else ""))
            continue
        rows.append(Row("notebooks", f"{path.name} execution", fmt_time(seconds),
                        target=f"< {NOTEBOOK_TARGET_S:.0f} s", ok=seconds < NOTEBOOK_TARGET_S))
        if peak is not None:
            peaks[path.name] = peak
    if peaks:
        name = max(peaks, key=peaks.get)
        rows.append(Row("memory", f"peak kernel RSS, largest: {name}", fmt_bytes(peaks[name]),
                        ", ".join(f"{n.split('_')[0]}: {fmt_bytes(p)}" for n, p in sorted(peaks.items())),
                        target=f"< {fmt_bytes(KERNEL_TARGET_BYTES)}",
                        ok=peaks[name] < KERNEL_TARGET_BYTES))
    return rows


# --- widgets: measured inside a kernel, where the inline backend renders each figure -----
_WIDGET_PROBE = r'''
import importlib, json, pkgutil, statistics, time
import ipywidgets
REPEATS = {repeats}
try:
    import lessonlib.widgets as package
except ImportError:
    package = None
modules = [] if package is None else [package] + [
    importlib.import_module(f"{{package.__name__}}.{{m.name}}")
    for m in pkgutil.iter_modules(getattr(package, "__path__", []))]
factories = {{}}
for module in modules:
    for name, obj in vars(module).items():
        if name.endswith("_widget") and callable(obj) and getattr(obj, "__module__", "") == module.__name__:
            factories[f"{{module.__name__.split('.')[-1]}}.{{name}}"] = obj

def controls_of(widget):
    found = getattr(widget, "controls", None)
    if isinstance(found, dict):
        return found
    found, stack = {{}}, [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, (ipywidgets.ValueWidget,)) and not isinstance(w, (ipywidgets.Output, ipywidgets.Label, ipywidgets.HTML, ipywidgets.HTMLMath)):
            found[getattr(w, "description", "") or f"control {{len(found)}}"] = w
        stack.extend(getattr(w, "children", ()))
    return found

def other_value(c):
    v = c.value
    if isinstance(c, (ipywidgets.Checkbox, ipywidgets.ToggleButton)):
        return not v
    if hasattr(c, "options") and not isinstance(v, tuple):
        values = [o[1] if isinstance(o, tuple) else o for o in c.options]
        return values[(values.index(v) + 1) % len(values)] if len(values) > 1 else None
    if hasattr(c, "step") and hasattr(c, "max") and isinstance(v, (int, float)):
        if isinstance(c, ipywidgets.FloatLogSlider):
            return v * c.base ** c.step if v * c.base ** c.step <= c.base ** c.max else v / c.base ** c.step
        return v + c.step if v + c.step <= c.max else v - c.step
    return None

report = {{}}
for name, factory in list(factories.items())[:{max_widgets}]:
    try:
        t0 = time.perf_counter(); widget = factory(); built = time.perf_counter() - t0
        times = {{}}
        for label, c in list(controls_of(widget).items())[:{max_controls}]:
            default, new = c.value, other_value(c)
            if new is None:
                continue
            samples = []
            for r in range(REPEATS):
                for value in (new, default):
                    t0 = time.perf_counter(); c.value = value
                    samples.append(time.perf_counter() - t0)
            times[label] = [min(samples), statistics.median(samples)]
        report[name] = {{"built": built, "controls": times}}
    except Exception as err:
        report[name] = {{"error": f"{{type(err).__name__}}: {{err}}"}}
print("WIDGET-REPORT " + json.dumps(report))
'''


def run_widgets(*, quick=False) -> list:
    """Rows: each ``*_widget`` factory's slowest control at its defaults (target 100 ms)."""
    import nbformat

    probe = _WIDGET_PROBE.format(repeats=1 if quick else 3, max_controls=1 if quick else 99,
                                 max_widgets=1 if quick else 999)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(probe)])
    run_notebook(nb, cwd=CHAPTERS)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stdout")
    line = next((ln for ln in text.splitlines() if ln.startswith("WIDGET-REPORT ")), None)
    if line is None:
        return [Row("widgets", "widget probe", "FAILED", ok=False, note=text.strip()[-80:])]
    report = json.loads(line.split(" ", 1)[1])
    if not report:
        return [Row("widgets", "no *_widget factories in lessonlib.widgets", "skipped")]
    rows = []
    for name, found in sorted(report.items()):
        if "error" in found:
            rows.append(Row("widgets", name, "FAILED", ok=False, note=found["error"][:80]))
            continue
        if not found["controls"]:
            rows.append(Row("widgets", f"{name}: no control to set", "skipped"))
            continue
        label, (best, median) = max(found["controls"].items(), key=lambda kv: kv[1][1])
        rows.append(Row("widgets", f"{name} callback, slowest control '{label}'",
                        f"{fmt_time(best)} / {fmt_time(median)}",
                        f"{len(found['controls'])} controls; built in {fmt_time(found['built'])}",
                        target=f"< {WIDGET_TARGET_S * 1e3:.0f} ms", ok=median < WIDGET_TARGET_S))
    return rows


def run_book() -> list:
    """Row: the strict book build (``jupyter-book build . -W -n --keep-going``) of a copy."""
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or shutil.which("jupyter-book")
    if jb is None:
        return [Row("book", "strict build", "skipped", "jupyter-book not installed")]
    skip = shutil.ignore_patterns("_build", ".*", "*venv*", "__pycache__", "*.egg-info")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "book"
        shutil.copytree(ROOT, copy, ignore=skip)
        start = time.perf_counter()
        proc = subprocess.run([jb, "build", str(copy), "-W", "-n", "--keep-going"],
                              capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        seconds = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    problems = sum(1 for ln in log.splitlines() if any(k in ln for k in ("WARNING:", "ERROR:", "CRITICAL:")))
    return [Row("book", "strict build (jupyter-book -W -n --keep-going)", fmt_time(seconds),
                f"exit code {proc.returncode}, {problems} warnings/errors",
                ok=proc.returncode == 0 and problems == 0)]
