"""The engine and mechanism modules (lessonlib/*.py) import each other one way only.

No module-level ``__getattr__`` (it hid two cycles in nn.py), no import inside a
function, and no cycle in the graph of ``from . import x`` / ``from .x import y``.
"""
import ast
from pathlib import Path

LIB = Path(__file__).resolve().parent.parent / "lessonlib"
MODULES = {p.stem: ast.parse(p.read_text()) for p in LIB.glob("*.py")}


def _imports(tree):
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return {m for m in found if m in MODULES}


def test_no_cycles():
    graph = {name: _imports(tree) for name, tree in MODULES.items() if name != "__init__"}
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


def test_no_module_getattr_and_no_import_inside_functions():
    for name, tree in MODULES.items():
        assert not any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body), name
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{name}.{node.name} imports inside a function"


def test_nn_lists_what_it_holds():
    import lessonlib.nn as nn
    assert {"BatchNorm", "RNNCell", "LSTMCell", "ResidualBlock", "ResidualMLP", "SGD"} <= set(dir(nn))
    import lessonlib.optim as optim
    assert nn.SGD is optim.SGD
