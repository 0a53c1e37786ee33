"""Every module of lessonlib (sub-packages included) imports the others one way only.

No module-level ``__getattr__`` (it hid two cycles in nn.py), no import inside a
function, and no cycle in the graph of ``from . import x`` / ``from .x import y``.
"""
import ast
from pathlib import Path

LIB = Path(__file__).resolve().parent.parent / "lessonlib"


def _name(path):
    parts = path.relative_to(LIB).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


#: every module of lessonlib, sub-packages included, by dotted name below lessonlib ("" = lessonlib)
MODULES = {_name(p): ast.parse(p.read_text()) for p in LIB.rglob("*.py")}
PACKAGES = {_name(p) for p in LIB.rglob("__init__.py")}


def _resolve(importer, level, module):
    """The dotted name (below lessonlib) that ``from <level dots><module>`` names in ``importer``."""
    base = importer.split(".") if importer in PACKAGES and importer else importer.split(".")[:-1]
    base = [b for b in base if b]
    base = base[:len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([module] if module else []))


def _imports(name, tree):
    found = set()
    for node in ast.walk(tree):                   # also imports inside functions: no hidden cycles
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            target = _resolve(name, node.level, node.module)
            candidates = [target] + [f"{target}.{a.name}".strip(".") for a in node.names]
            found.update(c for c in candidates if c in MODULES and c != name)
    return found


def test_no_cycles():
    # a package's __init__ may gather its modules (lessonlib/__init__.py, exercises/__init__.py):
    # edges into a package are to its __init__, which is left out as an importer of its own children
    graph = {name: {d for d in _imports(name, tree) if d not in PACKAGES}
             for name, tree in MODULES.items() if name not in PACKAGES}
    state = {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        assert state.get(name) != "open", f"import cycle: {' -> '.join(path + [name])}"
        state[name] = "open"
        for dep in sorted(graph.get(name, ())):
            visit(dep, path + [name])
        state[name] = "done"

    for name in graph:
        visit(name, [])


def test_the_cycle_check_sees_subpackages_and_function_bodies():
    assert "widgets.common" in MODULES and "experiments.bptt" in MODULES
    assert _resolve("widgets.frames", 1, "render") == "widgets.render"
    assert _resolve("experiments.bptt", 2, "recurrent") == "recurrent"
    assert "widgets.render" in _imports("widgets.frames", MODULES["widgets.frames"])


def test_no_module_getattr_and_no_import_inside_functions():
    for name, tree in MODULES.items():
        assert not any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body), name
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{name or 'lessonlib'}.{node.name} imports inside a function"


def test_nn_lists_what_it_holds():
    import lessonlib.nn as nn
    assert {"BatchNorm", "RNNCell", "LSTMCell", "ResidualBlock", "ResidualMLP", "SGD"} <= set(dir(nn))
    import lessonlib.optim as optim
    assert nn.SGD is optim.SGD
