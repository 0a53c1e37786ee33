"""Adversarial cases: the ways a learner can misuse lessonlib, each with the answer it must give.

Every case is either a **value** case (a function that returns True when lessonlib's
result matches a closed form or a hand-written numpy reference) or an **error** case
(the call must raise the given exception type with a message that contains every
listed word, which names the op or argument and the problem). :func:`classify` sorts
an outcome into one of:

* ``right value``    - the value case returned True;
* ``clear error``    - the error case raised the right type, naming op and problem;
* ``silently wrong`` - a value case returned False, or an error case raised nothing;
* ``raw error``      - an exception a learner cannot act on (wrong type, or a message
  without the op and the problem, or an exception in a value case);
* ``crash``          - RecursionError / MemoryError.

``python tests/adversarial_cases.py`` prints the counts for whichever lessonlib is on
``PYTHONPATH`` (so the same cases can be run against an older copy of the library).
Everything is looked up at call time, so a name missing from an older copy is a raw error.
"""
from __future__ import annotations

import collections
import copy
import math
import pickle
import warnings

import numpy as np

import lessonlib as L
import lessonlib.activations  # noqa: F401  (submodules that lessonlib/__init__ does not import)
import lessonlib.diagnostics  # noqa: F401
import lessonlib.normalization  # noqa: F401
import lessonlib.optim  # noqa: F401
import lessonlib.recurrent  # noqa: F401
import lessonlib.residual  # noqa: F401

CASES = []


def value(label):
    def register(fn):
        CASES.append((label, "value", fn, None, None))
        return fn
    return register


def error(label, exc, *words):
    def register(fn):
        CASES.append((label, "error", fn, exc, words))
        return fn
    return register


def classify(kind, fn, exc, words):
    """(outcome, detail) for one case."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with np.errstate(all="ignore"):
                result = fn()
    except (RecursionError, MemoryError) as err:
        return "crash", f"{type(err).__name__}"
    except Exception as err:
        text = f"{type(err).__name__}: {err}"
        if kind == "value":
            return "raw error", text
        low = str(err).lower()
        if isinstance(err, exc) and all(w.lower() in low for w in words):
            return "clear error", text
        return "raw error", text
    if kind == "value":
        return ("right value", "") if result is True else ("silently wrong", repr(result)[:200])
    return "silently wrong", f"no error; returned {repr(result)[:200]}"


def T(x, g=True):
    return L.Tensor(x, requires_grad=g)


def close(a, b, rtol=1e-12, atol=0.0):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol))


def mlp(seed=0, sizes=(3, 4, 2)):
    return L.nn.MLP(list(sizes), activation="tanh", init="lecun_normal", rng=np.random.default_rng(seed))


INPLACE = "changed in place"


# --- A. in-place changes between the forward and the backward pass ------------------------
@error("A01 w.data[...] = 5 after the forward pass", RuntimeError, INPLACE, "mul", "input 1")
def _():
    x, w = T([1.0, 2.0]), T([2.0, 2.0])
    y = (x * w).sum()
    w.data[...] = 5.0
    y.backward()


@error("A02 w.data -= 1 after the forward pass", RuntimeError, INPLACE, "mul")
def _():
    x, w = T([1.0, 2.0]), T([2.0, 2.0])
    y = (x * w).sum()
    w.data -= 1.0
    y.backward()


@error("A03 np.copyto(w.data, ...) after the forward pass", RuntimeError, INPLACE)
def _():
    w = T([1.0, 2.0])
    y = (w * w).sum()
    np.copyto(w.data, np.zeros(2))
    y.backward()


@error("A04 w.data.fill(0) after the forward pass", RuntimeError, INPLACE)
def _():
    w = T([1.0, 2.0])
    y = L.tanh(w).sum()
    w.data.fill(0.0)
    y.backward()


@error("A05 np.add(..., out=w.data) after the forward pass", RuntimeError, INPLACE, "tanh")
def _():
    w = T([1.0, 2.0])
    y = L.tanh(w).sum()
    np.add(w.data, 1.0, out=w.data)
    y.backward()


@error("A06 w.data[0] += 1 after the forward pass", RuntimeError, INPLACE)
def _():
    w = T([1.0, 2.0])
    y = (w * 3.0).sum()
    w.data[0] += 1.0
    y.backward()


@error("A07 writing through a view w.data.T", RuntimeError, INPLACE)
def _():
    w = T(np.ones((2, 3)))
    y = L.exp(w).sum()
    v = w.data.T
    v[0, 0] = 7.0
    y.backward()


@value("A08 w.data = new array after the forward pass: the graph keeps the old values")
def _():
    x, w = T([1.0, 2.0]), T([2.0, 2.0])
    y = (x * w).sum()
    w.data = np.array([5.0, 5.0])
    y.backward()
    return close(x.grad, [2.0, 2.0]) and close(w.data, [5.0, 5.0])


@error("A09 SGD.step() between forward and backward (w**3 at 1)", RuntimeError, INPLACE, "power")
def _():
    w = T(1.0)
    y = w ** 3
    w.grad = np.array(1.0)
    L.nn.SGD([w], lr=0.01).step()
    y.backward()


@error("A10 Adam.step() between forward and backward", RuntimeError, INPLACE)
def _():
    w = T([1.0, -1.0])
    y = (w * w).sum()
    w.grad = np.ones(2)
    L.optim.Adam([w], lr=0.1).step()
    y.backward()


@error("A11 changing an intermediate result's values", RuntimeError, INPLACE, "exp", "output")
def _():
    w = T([1.0, 2.0])
    h = L.exp(w)
    y = (h * 2.0).sum()
    h.data[...] = 0.0
    y.backward()


@value("A12 a small numpy input changed after the forward pass: the op kept a copy")
def _():
    X = np.array([1.0, 2.0, 3.0])
    w = T([1.0, 1.0, 1.0])
    y = (w * X).sum()
    X[...] = 7.0
    y.backward()
    return close(w.grad, [1.0, 2.0, 3.0])


@error("A12c a large numpy input (10,000 entries) changed after the forward pass", RuntimeError,
       "mul", "numpy array", "changed in place")
def _():
    X = np.ones(10_000)
    w = T(np.ones(10_000))
    y = (w * X).sum()
    X[17] = 2.0
    y.backward()


@value("A12b a numpy input holding nan, left alone, is no false alarm")
def _():
    X = np.array([1.0, np.nan])
    w = T([1.0, 1.0])
    (w * X).sum().backward()
    return bool(w.grad[0] == 1.0 and np.isnan(w.grad[1]))


@error("A13 writing into the output of reshape (a view of its input)", ValueError, "read-only", "view")
def _():
    w = T(np.ones(6))
    r = w.reshape(2, 3)
    r.data[...] = 0.0


@value("A14 the usual loop: forward, backward, p.data -= lr * grad, forward again")
def _():
    w, x, lr = T([0.5]), np.array([2.0]), 0.1
    ref = 0.5
    for _ in range(5):
        loss = ((w * x - 1.0) ** 2).sum()
        loss.backward()
        w.data -= lr * w.grad
        w.zero_grad()
        ref -= lr * 2 * (ref * 2.0 - 1.0) * 2.0
    return close(w.data, [ref])


@value("A15 backward twice accumulates (documented)")
def _():
    w = T([3.0])
    y = (w * w).sum()
    y.backward()
    y.backward()
    return close(w.grad, [12.0])


@value("A16 SGD after backward, then a new forward pass: no error, right update")
def _():
    w = T([1.0])
    opt = L.nn.SGD([w], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (w ** 3).sum().backward()
        opt.step()
    ref = 1.0
    for _ in range(3):
        ref -= 0.1 * 3 * ref ** 2
    return close(w.data, [ref])


@value("A17 clip_grad_norm edits the gradients only")
def _():
    w = T([3.0, 4.0])
    (w * w).sum().backward()          # grad (6, 8), norm 10
    total = L.optim.clip_grad_norm([w], 5.0)
    return close(total, 10.0) and close(w.grad, [3.0, 4.0]) and close(w.data, [3.0, 4.0])


@value("A18 deepcopy of a 10,000-op chain, and backward through the copy")
def _():
    w = T([0.5])
    h = w
    for _ in range(10_000):
        h = h * 1.0
    loss = h.sum()
    twin = copy.deepcopy(loss)
    twin.backward()
    return w.grad is None and close(twin.grad, 1.0)


@error("A19 pickle of a 10,000-op graph", TypeError, "pickle", "graph")
def _():
    h = T([0.5])
    for _ in range(10_000):
        h = h * 1.0
    pickle.dumps(h)


@value("A20 pickle of a leaf tensor round-trips, and its .data is still tracked")
def _():
    w = pickle.loads(pickle.dumps(T([1.0, 2.0])))
    y = (w * w).sum()
    w.data[0] = 3.0
    try:
        y.backward()
    except RuntimeError:
        return close(w.data, [3.0, 2.0]) and w.requires_grad
    return False


@value("A21 deepcopy of a leaf is independent of the original")
def _():
    w = T([1.0, 2.0])
    c = copy.deepcopy(w)
    c.data[0] = 9.0
    return close(w.data, [1.0, 2.0]) and close(c.data, [9.0, 2.0])


@value("A22 deepcopy of an MLP: independent parameters")
def _():
    m = mlp()
    c = copy.deepcopy(m)
    c.layers[0].W.data[...] = 0.0
    return not np.allclose(m.layers[0].W.data, 0.0) and len(c.parameters()) == len(m.parameters())


@value("A23 copy.copy of a leaf: writing to the copy leaves the original and its graph alone")
def _():
    w = T([1.0])
    y = (w * w).sum()
    c = copy.copy(w)
    c.data[0] = 5.0
    y.backward()
    return close(c.data, [5.0]) and close(w.data, [1.0]) and close(w.grad, [2.0])


@value("A24 gradient of a 20,000-op chain (no RecursionError)")
def _():
    w = T([1.0])
    h = w
    for _ in range(20_000):
        h = h * 1.0001
    h.sum().backward()
    return close(w.grad, [1.0001 ** 20_000], rtol=1e-9)


# --- B. optimizers ---------------------------------------------------------------------------
def adam_reference(grads, theta0, lr=0.1, b1=0.9, b2=0.999, eps=1e-8):
    """torch.optim.Adam's update, written out with numpy: per-parameter step count."""
    theta, m, v, t = np.array(theta0, dtype=float), 0.0, 0.0, 0
    out = []
    for g in grads:
        if g is not None:
            t += 1
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            theta = theta - (lr / (1 - b1 ** t)) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
        out.append(theta.copy())
    return out


def adam_run(grads_per_param, theta0s, lr=0.1):
    ps = [T(th) for th in theta0s]
    opt = L.optim.Adam(ps, lr=lr)
    traj = [[] for _ in ps]
    for step in range(len(grads_per_param[0])):
        for p, gs in zip(ps, grads_per_param):
            p.grad = None if gs[step] is None else np.array(gs[step], dtype=float)
        opt.step()
        for k, p in enumerate(ps):
            traj[k].append(np.array(p.data))
    return traj


@value("B01 Adam matches the numpy reference step by step (one parameter)")
def _():
    gs = [np.array([0.3, -1.0]), np.array([0.1, 2.0]), np.array([-0.5, 0.0]), np.array([1.0, 1.0])]
    traj = adam_run([gs], [np.array([1.0, 2.0])])[0]
    ref = adam_reference(gs, [1.0, 2.0])
    return all(close(a, b, rtol=1e-14) for a, b in zip(traj, ref))


@value("B02 Adam: a parameter whose first gradient arrives at step 4")
def _():
    ga = [np.array([1.0])] * 6
    gb = [None, None, None, np.array([1.0]), np.array([1.0]), np.array([1.0])]
    traj = adam_run([ga, gb], [np.array([1.0]), np.array([1.0])])
    return (all(close(a, b, rtol=1e-14) for a, b in zip(traj[0], adam_reference(ga, [1.0])))
            and all(close(a, b, rtol=1e-14) for a, b in zip(traj[1], adam_reference(gb, [1.0]))))


@value("B03 Adam skips a parameter without a gradient (value unchanged)")
def _():
    traj = adam_run([[np.array([1.0]), None, np.array([1.0])]], [np.array([2.0])])[0]
    ref = adam_reference([np.array([1.0]), None, np.array([1.0])], [2.0])
    return close(traj[1], traj[0]) and all(close(a, b, rtol=1e-14) for a, b in zip(traj, ref))


@error("B04 Adam(model)", TypeError, "adam", "model.parameters()")
def _():
    L.optim.Adam(mlp())


@error("B05 Adam(model.parameters) without calling it", TypeError, "adam", "model.parameters()")
def _():
    L.optim.Adam(mlp().parameters)


@error("B06 Adam([w, w])", ValueError, "adam", "same tensor")
def _():
    w = T([1.0])
    L.optim.Adam([w, w])


@error("B07 Adam(betas=0.9)", TypeError, "adam", "betas")
def _():
    L.optim.Adam([T([1.0])], betas=0.9)


@error("B08 Adam(betas=(0.9, 1.0))", ValueError, "adam", "beta2")
def _():
    L.optim.Adam([T([1.0])], betas=(0.9, 1.0))


@error("B09 Adam(lr=-1)", ValueError, "adam", "lr")
def _():
    L.optim.Adam([T([1.0])], lr=-1)


@error("B10 Adam(lr=nan)", ValueError, "adam", "lr")
def _():
    L.optim.Adam([T([1.0])], lr=float("nan"))


@error("B11 Adam([ndarray])", TypeError, "adam", "not a tensor")
def _():
    L.optim.Adam([np.ones(3)])


@error("B12 Adam([])", ValueError, "adam", "empty")
def _():
    L.optim.Adam([])


@error("B13 Adam(eps=0)", ValueError, "adam", "eps")
def _():
    L.optim.Adam([T([1.0])], eps=0.0)


@error("B14 SGD(model, lr)", TypeError, "sgd", "model.parameters()")
def _():
    L.nn.SGD(mlp(), 0.1)


@error("B15 SGD(model.parameters, lr)", TypeError, "sgd", "model.parameters()")
def _():
    L.nn.SGD(mlp().parameters, 0.1)


@error("B16 SGD([w, w])", ValueError, "sgd", "same tensor")
def _():
    w = T([1.0])
    L.nn.SGD([w, w], 0.1)


@error("B17 SGD(lr=0)", ValueError, "sgd", "lr")
def _():
    L.nn.SGD([T([1.0])], lr=0)


@error("B18 SGD(lr='0.1')", ValueError, "sgd", "lr")
def _():
    L.nn.SGD([T([1.0])], lr="0.1")


@error("B19 SGD of a tensor without requires_grad", ValueError, "sgd", "requires_grad")
def _():
    L.nn.SGD([T([1.0], g=False)], lr=0.1)


@value("B20 SGD step: w - lr * grad")
def _():
    w = T([1.0, 2.0])
    w.grad = np.array([0.5, -1.0])
    L.nn.SGD([w], lr=0.1).step()
    return close(w.data, [0.95, 2.1])


@value("B21 SGD skips a parameter without a gradient")
def _():
    w, u = T([1.0]), T([2.0])
    w.grad = np.array([1.0])
    L.nn.SGD([w, u], lr=0.5).step()
    return close(w.data, [0.5]) and close(u.data, [2.0])


@value("B22 nn.SGD still works and is optim.SGD")
def _():
    return L.nn.SGD is L.optim.SGD


@error("B23 clip_grad_norm(model, 1)", TypeError, "clip_grad_norm", "model.parameters()")
def _():
    L.optim.clip_grad_norm(mlp(), 1.0)


@error("B24 clip_grad_value(params, -1)", ValueError, "clip_grad_value", "clip")
def _():
    L.optim.clip_grad_value([T([1.0])], -1.0)


@error("B25 clip_grad_norm(params, nan)", ValueError, "clip_grad_norm", "max_norm")
def _():
    L.optim.clip_grad_norm([T([1.0])], float("nan"))


@value("B26 grad_norm over two parameters")
def _():
    a, b = T([3.0]), T([4.0])
    a.grad, b.grad = np.array([3.0]), np.array([4.0])
    return close(L.optim.grad_norm([a, b]), 5.0)


@error("B27 Adam(w) with a single tensor", TypeError, "adam", "list")
def _():
    L.optim.Adam(T([1.0]))


@value("B28 Adam.t counts steps")
def _():
    w = T([1.0])
    opt = L.optim.Adam([w])
    for _ in range(3):
        w.grad = np.array([1.0])
        opt.step()
    return opt.t == 3


@value("B29 clip_grad_value clips each entry")
def _():
    w = T([1.0, 1.0])
    w.grad = np.array([5.0, -0.5])
    L.optim.clip_grad_value([w], 1.0)
    return close(w.grad, [1.0, -0.5])


@error("B30 Adam(betas='ab')", TypeError, "adam", "betas")
def _():
    L.optim.Adam([T([1.0])], betas="ab")


@error("B31 SGD(an intermediate result)", ValueError, "sgd", "leaf")
def _():
    w = T([1.0])
    L.nn.SGD([w * 2.0], lr=0.1)


# --- C. gradient checking ----------------------------------------------------------------------
@value("C01 check_grad passes the right gradient of x**3 at 0")
def _():
    return L.check_grad(lambda t: (t ** 3).sum(), T([0.0, 0.0]), tol=1e-6) <= 1e-6


@value("C02 check_grad at a normal point: a tiny relative error")
def _():
    return L.check_grad(lambda t: (L.tanh(t) * t).sum(), T([0.3, -1.2, 2.0]), tol=1e-6) < 1e-6


@error("C03 check_grad fails a VJP off by a factor 2", AssertionError, "wrong", "factor 2")
def _():
    @L.primitive
    def cube(x):
        return x ** 3
    L.defvjp(cube, lambda g, ans, x: g * 6 * x ** 2)
    L.check_grad(lambda t: cube(t).sum(), T([0.5, 1.5]), tol=1e-6)


@value("C04 grad_report names a kink (relu at 0)")
def _():
    return "kink" in L.grad_report(lambda t: L.relu(t).sum(), T([0.0, 1.0]))


@value("C05 grad_report says the gradient is about 0 (x**3 at 0)")
def _():
    return "about 0" in L.grad_report(lambda t: (t ** 3).sum(), T([0.0]))


@error("C06 numerical_grad(eps=0)", ValueError, "numerical_grad", "eps")
def _():
    L.numerical_grad(lambda x: float(np.sum(x ** 2)), np.ones(2), eps=0)


@error("C07 numerical_grad(eps=-1e-6)", ValueError, "numerical_grad", "eps")
def _():
    L.numerical_grad(lambda x: float(np.sum(x ** 2)), np.ones(2), eps=-1e-6)


@error("C08 numerical_grad(eps=nan)", ValueError, "numerical_grad", "eps")
def _():
    L.numerical_grad(lambda x: float(np.sum(x ** 2)), np.ones(2), eps=float("nan"))


@error("C09 check_grad on a tensor without requires_grad", TypeError, "check_grad", "requires_grad")
def _():
    L.check_grad(lambda t: t.sum(), T([1.0], g=False))


@error("C10 check_grad with no input tensors", TypeError, "check_grad", "input")
def _():
    L.check_grad(lambda: T([1.0]).sum())


@error("C11 check_grad of something that is not a function", TypeError, "check_grad", "function")
def _():
    L.check_grad(3.0, T([1.0]))


@error("C12 check_grad of f returning a vector", ValueError, "check_grad", "one-element")
def _():
    L.check_grad(lambda t: t * 2.0, T([1.0, 2.0]))


@error("C13 check_grad(tol=-1)", ValueError, "check_grad", "tol")
def _():
    L.check_grad(lambda t: t.sum(), T([1.0]), tol=-1.0)


@value("C14 numerical_grad of sum(x^2) is 2x")
def _():
    return close(L.numerical_grad(lambda x: float(np.sum(x ** 2)), np.array([1.0, -2.0])), [2.0, -4.0], rtol=1e-8)


@value("C15 rel_error(0, 0) = 0")
def _():
    return L.rel_error(np.zeros(3), np.zeros(3)) == 0.0


@error("C16 check_grad names a sign error", AssertionError, "opposite sign")
def _():
    @L.primitive
    def sq(x):
        return x * x
    L.defvjp(sq, lambda g, ans, x: -2.0 * g * x)
    L.check_grad(lambda t: sq(t).sum(), T([0.5, 1.5]), tol=1e-6)


@value("C17 a tiny true gradient (2e-12) is not called wrong")
def _():
    return L.check_grad(lambda t: (t * t).sum() * 1e-12, T([1.0]), tol=1e-6) <= 1e-6


@error("C18 check_grad(atol=-1)", ValueError, "check_grad", "atol")
def _():
    L.check_grad(lambda t: t.sum(), T([1.0]), atol=-1.0)


@value("C19 check_grad leaves the autodiff gradient in .grad")
def _():
    x = T([1.0, 2.0])
    L.check_grad(lambda t: (t * t).sum(), x)
    return close(x.grad, [2.0, 4.0])


@value("C20 check_grad warns when it only saw a zero gradient")
def _():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        L.check_grad(lambda t: (t ** 3).sum(), T([0.0]), tol=1e-6)
    return any("another point" in str(w.message) for w in seen)


# --- D. ops: values at awkward points, and argument checks -----------------------------------------
def grad_of(f, x):
    t = T(x)
    f(t).sum().backward()
    return t.grad


@value("D01 d(x**0)/dx at 0 is 0")
def _():
    return close(grad_of(lambda t: t ** 0, [0.0]), [0.0])


@value("D02 d(x**0)/dx at 2 is 0")
def _():
    return close(grad_of(lambda t: t ** 0, [2.0]), [0.0])


@value("D03 d(x**1)/dx at 0 is 1")
def _():
    return close(grad_of(lambda t: t ** 1, [0.0]), [1.0])


@value("D04 d(x**2)/dx at 0 is 0")
def _():
    return close(grad_of(lambda t: t ** 2, [0.0]), [0.0])


@value("D05 d(x**0.5)/dx at 4 is 1/4")
def _():
    return close(grad_of(lambda t: t ** 0.5, [4.0]), [0.25])


@error("D06 x ** nan", ValueError, "power", "exponent")
def _():
    T([1.0]) ** float("nan")


@error("D07 x ** '2'", TypeError, "power", "exponent")
def _():
    T([1.0]) ** "2"


@error("D08 x ** Tensor", TypeError, "power", "exponent")
def _():
    T([1.0]) ** T(2.0)


@error("D09 2 ** x", TypeError, "power", "exponent")
def _():
    2.0 ** T([1.0])


@error("D10 sum(axis=2) of a matrix", ValueError, "sum", "axis 2")
def _():
    T(np.ones((2, 3))).sum(axis=2)


@error("D11 sum(axis=1.5)", TypeError, "sum", "axis")
def _():
    T(np.ones((2, 3))).sum(axis=1.5)


@error("D12 sum(axis=(0, 0))", ValueError, "sum", "twice")
def _():
    T(np.ones((2, 3))).sum(axis=(0, 0))


@error("D13 mean(axis='0')", TypeError, "mean", "axis")
def _():
    T(np.ones((2, 3))).mean(axis="0")


@error("D14 sum(keepdims='yes')", TypeError, "sum", "keepdims")
def _():
    T(np.ones((2, 3))).sum(axis=0, keepdims="yes")


@error("D15 reshape(2.5)", TypeError, "reshape", "integer")
def _():
    T(np.ones(6)).reshape(2.5)


@error("D16 reshape 6 entries into (5,)", ValueError, "reshape", "cannot reshape")
def _():
    T(np.ones(6)).reshape(5)


@error("D17 reshape(-1, -1)", ValueError, "reshape", "-1")
def _():
    T(np.ones(6)).reshape(-1, -1)


@value("D18 reshape's gradient has the input's shape")
def _():
    g = grad_of(lambda t: t.reshape(3, 2) * np.arange(6.0).reshape(3, 2), np.ones((2, 3)))
    return close(g, np.arange(6.0).reshape(2, 3))


@value("D19 sum(axis=-1) gradient")
def _():
    g = grad_of(lambda t: t.sum(axis=-1) * np.array([1.0, 2.0]), np.ones((2, 3)))
    return close(g, [[1.0] * 3, [2.0] * 3])


@value("D20 mean over a tuple of axes")
def _():
    g = grad_of(lambda t: t.mean(axis=(0, 2)), np.ones((2, 3, 4)))
    return close(g, np.full((2, 3, 4), 1 / 8))


@error("D21 matmul of shapes that do not line up", ValueError, "matmul", "line up")
def _():
    T(np.ones((2, 3))) @ T(np.ones((2, 3)))


@error("D22 matmul of a 4-D array (3-D batches are supported since chapter 8)", ValueError, "matmul", "2-d")
def _():
    T(np.ones((2, 2, 3, 4))) @ T(np.ones((4, 2)))


@error("D23 log of a negative number", ValueError, "log", "positive")
def _():
    L.log(T([1.0, -1.0]))


@error("D24 leaky_relu(slope=nan)", ValueError, "leaky_relu", "slope")
def _():
    L.leaky_relu(T([1.0]), slope=float("nan"))


@error("D25 leaky_relu(slope=inf)", ValueError, "leaky_relu", "slope")
def _():
    L.leaky_relu(T([1.0]), slope=float("inf"))


@error("D26 leaky_relu(slope='a')", TypeError, "leaky_relu", "slope")
def _():
    L.leaky_relu(T([1.0]), slope="a")


@error("D27 elu(alpha=nan)", TypeError, "elu", "alpha")
def _():
    L.activations.elu(T([1.0]), alpha=float("nan"))


@error("D28 elu(alpha=-1)", ValueError, "elu", "alpha")
def _():
    L.activations.elu(T([1.0]), alpha=-1.0)


GRID = np.concatenate([np.linspace(-30, 30, 6001), -np.geomspace(1e-300, 1, 301), np.geomspace(1e-300, 1, 301)])


@value("D29 gelu = x Phi(x) matches math.erfc on a grid, tails included")
def _():
    ref = np.array([x * 0.5 * math.erfc(-x / math.sqrt(2)) for x in GRID])
    got = L.activations.gelu(L.Tensor(GRID)).data
    ok = np.abs(ref) > 1e-300
    return bool(np.all(np.abs(got[ok] - ref[ok]) <= 2e-15 * np.abs(ref[ok])) and np.all(np.abs(got[~ok]) < 1e-290))


@value("D30 gelu's gradient matches Phi(x) + x phi(x) from math.erfc")
def _():
    x = np.linspace(-12, 12, 2401)
    cdf = np.array([0.5 * math.erfc(-a / math.sqrt(2)) for a in x])
    tail = x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    g = grad_of(L.activations.gelu, x)       # (Phi + x phi cancels near x = -0.75: compare to the terms)
    return bool(np.all(np.abs(g - (cdf + tail)) <= 2e-15 * (cdf + np.abs(tail))))


@value("D31 normal_cdf(-37) (about 5.7e-300) keeps its relative accuracy")
def _():
    return close(L.activations.normal_cdf(np.array(-37.0)), 0.5 * math.erfc(37 / math.sqrt(2)), rtol=2e-15)


@value("D32 the vectorized erfc matches math.erfc to 1e-15 relative on a dense grid")
def _():
    from lessonlib._erfc import erfc
    x = np.concatenate([np.linspace(-27, 27, 200_001), np.geomspace(1e-300, 26, 2001)])
    ref = np.array([math.erfc(a) for a in x])
    ok = ref > np.finfo(float).tiny
    got = erfc(x)
    return bool(np.max(np.abs(got[ok] - ref[ok]) / ref[ok]) < 1.2e-15 and np.all(np.abs(got[~ok]) < 1e-300))


@value("D33 sigmoid(-800) is 0 with a zero gradient, no nan")
def _():
    t = T([-800.0, 800.0])
    s = L.sigmoid(t)
    s.sum().backward()
    return close(s.data, [0.0, 1.0]) and close(t.grad, [0.0, 0.0])


@value("D34 tanh's gradient at 20 is 4e^-40, not 0")
def _():
    return close(grad_of(L.tanh, [20.0]), [4 * math.exp(-40) / (1 + math.exp(-40)) ** 2])


@error("D35 mse of shapes (3,) and (3, 1)", ValueError, "mse", "shape")
def _():
    L.mse(T([1.0, 2.0, 3.0]), np.ones((3, 1)))


@error("D36 mse of empty arrays", ValueError, "mse", "empty")
def _():
    L.mse(T(np.zeros(0)), np.zeros(0))


@error("D37 cross_entropy with float labels", TypeError, "cross_entropy", "integer")
def _():
    L.cross_entropy(T(np.zeros((2, 3))), np.array([0.0, 1.0]))


@error("D38 cross_entropy with a label out of range", ValueError, "cross_entropy", "labels")
def _():
    L.cross_entropy(T(np.zeros((2, 3))), np.array([0, 3]))


@value("D39 cross_entropy value and gradient against numpy")
def _():
    z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    y = np.array([1, 2])
    t = T(z)
    loss = L.cross_entropy(t, y)
    loss.backward()
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.eye(3)[y]
    return close(loss.item(), -np.mean(np.log(p[[0, 1], y]))) and close(t.grad, (p - onehot) / 2)


@error("D40 Tensor(['a'])", TypeError, "tensor", "expected numbers")
def _():
    L.Tensor(["a"])


@error("D41 Tensor(None)", TypeError, "tensor", "none")
def _():
    L.Tensor(None)


@error("D42 Tensor(np.arange(3)) (integers)", TypeError, "tensor", "dtype")
def _():
    L.Tensor(np.arange(3))


@error("D43 Tensor([True])", TypeError, "tensor", "bool")
def _():
    L.Tensor([True])


@error("D44 Tensor of a ragged list", TypeError, "tensor", "list")
def _():
    L.Tensor([[1.0, 2.0], [3.0]])


@error("D45 backward of a vector without a seed", ValueError, "backward", "scalar")
def _():
    T([1.0, 2.0]).backward() if False else (T([1.0, 2.0]) * 2.0).backward()


@error("D46 backward of a tensor without requires_grad", RuntimeError, "backward", "requires_grad")
def _():
    L.Tensor([1.0]).sum().backward()


@error("D47 backward with a seed of the wrong shape", ValueError, "backward", "shape")
def _():
    (T([1.0, 2.0]) * 2.0).backward(np.ones(3))


@error("D48 item() of a vector", ValueError, "item", "one-element")
def _():
    T([1.0, 2.0]).item()


@value("D49 division's gradients")
def _():
    a, b = T([1.0, 2.0]), T([4.0, 8.0])
    (a / b).sum().backward()
    return close(a.grad, [0.25, 0.125]) and close(b.grad, [-1 / 16, -2 / 64])


@value("D50 broadcasting sums the gradient back: (3,) against (2, 3)")
def _():
    b = T([1.0, 2.0, 3.0])
    (L.Tensor(np.ones((2, 3))) * b).sum().backward()
    return close(b.grad, [2.0, 2.0, 2.0])


@value("D51 relu's gradient at exactly 0 is 0 (documented convention)")
def _():
    return close(grad_of(L.relu, [0.0, 1.0, -1.0]), [0.0, 1.0, 0.0])


@value("D52 leaky_relu's gradient")
def _():
    return close(grad_of(lambda t: L.leaky_relu(t, 0.2), [-1.0, 2.0]), [0.2, 1.0])


@value("D53 x used twice (x * x): gradient 2x")
def _():
    return close(grad_of(lambda t: t * t, [3.0]), [6.0])


@value("D54 a diamond graph: y = exp(x) * tanh(x)")
def _():
    x0 = 0.7
    ref = math.exp(x0) * math.tanh(x0) + math.exp(x0) * (1 - math.tanh(x0) ** 2)
    return close(grad_of(lambda t: L.exp(t) * L.tanh(t), [x0]), [ref])


@value("D55 matmul gradients: dL/dA = G B^T, dL/dB = A^T G")
def _():
    rng = np.random.default_rng(0)
    A, B, G = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal((2, 4))
    a, b = T(A), T(B)
    ((a @ b) * G).sum().backward()
    return close(a.grad, G @ B.T) and close(b.grad, A.T @ G)


@value("D56 transpose gradient")
def _():
    return close(grad_of(lambda t: t.T * np.array([[1.0], [2.0], [3.0]]), np.ones((2, 3))),
                 [[1.0, 2.0, 3.0]] * 2)


# --- E. a learner's own primitives -------------------------------------------------------------------
def my_op(forward, *vjps):
    op = L.primitive(forward)
    L.defvjp(op, *vjps)
    return op


@error("E01 a VJP returning the wrong shape names op, argument and shapes", ValueError,
       "flip", "argument 0", "(3, 4)", "(4, 3)")
def _():
    def flip(x):
        return x.T.copy()
    op = my_op(flip, lambda g, ans, x: g)
    op(T(np.ones((4, 3)))).sum().backward()


@error("E02 a VJP that returns None", TypeError, "double", "none", "return")
def _():
    def double(x):
        return 2 * x
    op = my_op(double, lambda g, ans, x: None)
    op(T([1.0])).sum().backward()


@error("E03 a VJP that raises TypeError names the op", TypeError, "triple", "vjp")
def _():
    def triple(x):
        return 3 * x
    op = my_op(triple, lambda g, ans, x: g * "3")
    op(T([1.0])).sum().backward()


@error("E04 a forward pass that raises names the op", TypeError, "badsum")
def _():
    def badsum(x):
        return x + "1"
    my_op(badsum, lambda g, ans, x: g)(T([1.0]))


@error("E05 a VJP that returns a string", TypeError, "quad", "argument 0")
def _():
    def quad(x):
        return 4 * x
    op = my_op(quad, lambda g, ans, x: "oops")
    op(T([1.0])).sum().backward()


@error("E06 defvjp on a plain function", TypeError, "defvjp", "primitive")
def _():
    L.defvjp(lambda x: x, lambda g, ans, x: g)


@error("E07 defvjp with a VJP that is not a function", TypeError, "defvjp", "not a function")
def _():
    def five(x):
        return 5 * x
    my_op(five, 5.0)


@error("E08 a missing VJP for argument 1", NotImplementedError, "pair", "argument 1")
def _():
    def pair(a, b):
        return a * b
    op = my_op(pair, lambda g, ans, a, b: g * b)
    op(T([1.0]), T([2.0])).sum().backward()


@error("E09 a VJP of shape (1,) for an input of shape (3,)", ValueError, "shrink", "(1,)", "(3,)")
def _():
    def shrink(x):
        return 2 * x
    op = my_op(shrink, lambda g, ans, x: g[:1])
    op(T([1.0, 2.0, 3.0])).sum().backward()


@value("E10 a VJP in the broadcast shape is summed back")
def _():
    def bcast(x):
        return x + np.zeros((2, 3))
    op = my_op(bcast, lambda g, ans, x: g)
    t = T([1.0, 2.0, 3.0])
    op(t).sum().backward()
    return close(t.grad, [2.0, 2.0, 2.0])


@error("E11 a forward pass that returns strings", TypeError, "words", "dtype")
def _():
    def words(x):
        return np.array(["a"])
    my_op(words, lambda g, ans, x: g)(T([1.0]))


# --- F. numpy and Python protocols ----------------------------------------------------------------------
@error("F01 np.exp(t)", TypeError, "np.exp", "lessonlib.exp")
def _():
    np.exp(T([1.0]))


@error("F02 np.sum(t)", TypeError, "np.sum", "t.sum")
def _():
    np.sum(T([1.0]))


@error("F03 np.mean(t)", TypeError, "np.mean", "t.mean")
def _():
    np.mean(T([1.0]))


@error("F04 np.maximum(t, 0)", TypeError, "np.maximum", "relu")
def _():
    np.maximum(T([1.0]), 0.0)


@error("F05 np.concatenate([t, t])", TypeError, "np.concatenate", "t.data")
def _():
    np.concatenate([T([1.0]), T([2.0])])


@value("F06 np.asarray(t) is a float64 copy of the values")
def _():
    t = T([1.0, 2.0])
    a = np.asarray(t)
    a[0] = 9.0
    return a.dtype == np.float64 and close(t.data, [1.0, 2.0])


@value("F07 np.asarray of a 0-d tensor")
def _():
    a = np.asarray(L.Tensor(3.0))
    return a.shape == () and a.dtype == np.float64 and float(a) == 3.0


@value("F08 np.array([t1, t2]) stacks the values")
def _():
    return close(np.array([L.Tensor([1.0, 2.0]), L.Tensor([3.0, 4.0])]), [[1.0, 2.0], [3.0, 4.0]])


@value("F09 ndarray + Tensor is a Tensor with a gradient")
def _():
    t = T([1.0, 2.0])
    y = np.array([10.0, 20.0]) + t
    y.sum().backward()
    return isinstance(y, L.Tensor) and close(y.data, [11.0, 22.0]) and close(t.grad, [1.0, 1.0])


@value("F10 ndarray * Tensor gradient")
def _():
    t = T([1.0, 2.0])
    (np.array([3.0, 4.0]) * t).sum().backward()
    return close(t.grad, [3.0, 4.0])


@value("F11 np.float64 * Tensor is a Tensor")
def _():
    t = T([1.0])
    y = np.float64(2.0) * t
    y.sum().backward()
    return isinstance(y, L.Tensor) and close(t.grad, [2.0])


@value("F12 ndarray @ Tensor gradient")
def _():
    t = T(np.eye(2))
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    (A @ t).sum().backward()
    return close(t.grad, A.T @ np.ones((2, 2)))


@error("F13 ndarray += Tensor", TypeError, "np.add", "lessonlib")
def _():
    a = np.zeros(2)
    a += T([1.0, 2.0])


@value("F14 t[0] and its gradient")
def _():
    t = T([[1.0, 2.0], [3.0, 4.0]])
    r = t[0]
    (r * np.array([5.0, 6.0])).sum().backward()
    return close(r.data, [1.0, 2.0]) and close(t.grad, [[5.0, 6.0], [0.0, 0.0]])


@value("F15 t[[0, 0]]: an entry picked twice gets both gradients")
def _():
    t = T([1.0, 2.0])
    t[np.array([0, 0])].sum().backward()
    return close(t.grad, [2.0, 0.0])


@value("F16 t[1:, ::2] gradient")
def _():
    t = T(np.arange(12.0).reshape(3, 4))
    t[1:, ::2].sum().backward()
    ref = np.zeros((3, 4))
    ref[1:, ::2] = 1.0
    return close(t.grad, ref)


@value("F17 t[mask] with a boolean mask")
def _():
    t = T([1.0, -2.0, 3.0])
    t[t.data > 0].sum().backward()
    return close(t.grad, [1.0, 0.0, 1.0])


@error("F18 t[5] out of range", IndexError, "index", "(3,)")
def _():
    T([1.0, 2.0, 3.0])[5]


@error("F19 t[0.5]", TypeError, "index", "0.5")
def _():
    T([1.0, 2.0])[0.5]


@error("F20 t[Tensor]", TypeError, "index", "tensor")
def _():
    T([1.0, 2.0])[L.Tensor(0.0)]


@error("F21 t[0] = 1", TypeError, "item assignment", "t.data")
def _():
    t = T([1.0, 2.0])
    t[0] = 1.0


@value("F22 iterating over the rows of a tensor, with gradients")
def _():
    t = T(np.arange(6.0).reshape(3, 2))
    total = None
    for k, row in enumerate(t):
        term = (row * float(k + 1)).sum()
        total = term if total is None else total + term
    total.backward()
    return close(t.grad, [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])


@error("F23 iterating over a 0-d tensor", TypeError, "iter", "0-d")
def _():
    list(L.Tensor(1.0))


@value("F24 len of a (2, 5) tensor is 2")
def _():
    return len(L.Tensor(np.ones((2, 5)))) == 2


@error("F25 len of a 0-d tensor", TypeError, "len", "0-d")
def _():
    len(L.Tensor(1.0))


@value("F26 len of a one-element vector is 1")
def _():
    return len(L.Tensor([1.0])) == 1


@error("F27 bool(Tensor([0.]))", TypeError, "bool", "t.item()")
def _():
    bool(L.Tensor([0.0]))


@error("F28 bool(Tensor(0.))", TypeError, "bool", "t.item()")
def _():
    bool(L.Tensor(0.0))


@error("F29 bool of a (1, 2) tensor", TypeError, "bool", "t.item()")
def _():
    bool(L.Tensor([[1.0, 2.0]]))


@error("F30 Tensor([1.]) == Tensor([1.])", TypeError, "==", "t.data")
def _():
    L.Tensor([1.0]) == L.Tensor([1.0])


@error("F31 Tensor < 1", TypeError, "<", "t.data")
def _():
    L.Tensor([1.0]) < 1.0


@value("F32 tensors hash by identity: usable in sets and as dict keys")
def _():
    a, b = L.Tensor([1.0]), L.Tensor([1.0])
    return len({a, b}) == 2 and {a: 1}[a] == 1


@value("F33 np.shape(t), np.ndim(t), np.size(t)")
def _():
    t = L.Tensor(np.ones((2, 3)))
    return np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6


@value("F34 t.data is an ndarray that prints like one")
def _():
    d = L.Tensor([1.0, 2.0]).data
    return isinstance(d, np.ndarray) and repr(d).startswith("array(") and d.dtype == np.float64


@value("F35 arithmetic on t.data gives arrays that do not count as writes to t")
def _():
    w = T([1.0, 2.0])
    y = (w * w).sum()
    a = w.data * 2.0
    a[...] = 0.0
    b = w.data.copy()
    b[0] = 5.0
    y.backward()
    return close(w.grad, [2.0, 4.0])


@value("F36 reading t.data between forward and backward is allowed")
def _():
    w = T([1.0, 2.0])
    y = (w * w).sum()
    s = float(np.sum(w.data)) + float(w.data.max())
    y.backward()
    return s == 5.0 and close(w.grad, [2.0, 4.0])


@error("F37 np.asarray(t, copy=False)", ValueError, "copy", "t.data")
def _():
    np.asarray(L.Tensor([1.0]), copy=False)


# --- G. modules ----------------------------------------------------------------------------------------
class Holder(L.nn.Module):
    def __init__(self, **parts):
        self.__dict__.update(parts)


def lin(seed=0):
    return L.nn.Linear(2, 2, init="lecun_normal", rng=np.random.default_rng(seed))


@value("G01 a dict of layers has their parameters")
def _():
    return len(Holder(blocks={"a": lin(0), "b": lin(1)}).parameters()) == 4


@value("G02 nested lists and tuples of layers")
def _():
    return len(Holder(blocks=[[lin(0), (lin(1), [lin(2)])]]).parameters()) == 6


@value("G03 eval() reaches a BatchNorm held in a dict")
def _():
    bn = L.normalization.BatchNorm(2)
    Holder(norms={"first": bn}).eval()
    return bn.training is False


@value("G04 a sub-module that refers back to its parent is visited once")
def _():
    parent = Holder(child=None)
    child = Holder(parent=parent, layer=lin(0))
    parent.child = child
    return len(parent.parameters()) == 2


@value("G05 a layer reachable twice is listed once")
def _():
    shared = lin(0)
    return len(Holder(a=shared, b=[shared]).parameters()) == 2


@error("G06 train('yes')", TypeError, "train", "mode")
def _():
    lin(0).train("yes")


@value("G07 parameters keep attribute order (MLP: W1, b1, W2, b2)")
def _():
    m = mlp()
    ps = m.parameters()
    return ps[0] is m.layers[0].W and ps[1] is m.layers[0].b and ps[3] is m.layers[1].b


@value("G08 train() after eval() reaches a dict too")
def _():
    bn = L.normalization.BatchNorm(2)
    h = Holder(norms={"first": bn})
    h.eval()
    h.train()
    return bn.training is True


# --- H. validation of arguments -------------------------------------------------------------------------------
RNG = np.random.default_rng


@error("H01 LSTMCell(forget_bias=nan)", ValueError, "lstmcell", "forget_bias")
def _():
    L.recurrent.LSTMCell(2, 3, rng=RNG(0), forget_bias=float("nan"))


@error("H02 RNNCell(radius=-1)", ValueError, "rnncell", "radius")
def _():
    L.recurrent.RNNCell(2, 3, rng=RNG(0), radius=-1.0)


@error("H03 columns(x, 0.5, 2)", TypeError, "columns", "start")
def _():
    L.recurrent.columns(L.Tensor(np.ones((2, 4))), 0.5, 2)


@error("H04 columns(x, 0, 10) beyond the width", ValueError, "columns", "stop")
def _():
    L.recurrent.columns(L.Tensor(np.ones((2, 4))), 0, 10)


@error("H05 teacher_regression(1, 3)", ValueError, "teacher_regression", "n")
def _():
    L.data.teacher_regression(1, 3, rng=RNG(0))


@error("H06 spirals(0)", ValueError, "spirals", "n_per_class")
def _():
    L.data.spirals(0, rng=RNG(0))


@error("H07 blobs(n_classes=0)", ValueError, "blobs", "n_classes")
def _():
    L.data.blobs(5, n_classes=0, rng=RNG(0))


@error("H08 blobs(spread=nan)", ValueError, "blobs", "spread")
def _():
    L.data.blobs(5, spread=float("nan"), rng=RNG(0))


@error("H09 he_normal(0, 3)", ValueError, "he_normal", "fan_in")
def _():
    L.init.he_normal(0, 3, rng=RNG(0))


@error("H10 lecun_normal(gain=nan)", ValueError, "lecun_normal", "gain")
def _():
    L.init.lecun_normal(2, 3, rng=RNG(0), gain=float("nan"))


@error("H11 xavier_normal(rng=None)", TypeError, "xavier_normal", "rng")
def _():
    L.init.xavier_normal(2, 3, rng=None)


@error("H12 BatchNorm(momentum=2)", ValueError, "batchnorm", "momentum")
def _():
    L.normalization.BatchNorm(3, momentum=2.0)


@error("H13 BatchNorm(3) on an input of width 4", ValueError, "batchnorm", "shape")
def _():
    L.normalization.BatchNorm(3)(L.Tensor(np.ones((5, 4))))


@error("H14 MLP(activation='gelu2')", ValueError, "activation", "gelu2")
def _():
    L.nn.MLP([2, 2], activation="gelu2", init="lecun_normal", rng=RNG(0))


@error("H15 MLP(sizes=[3])", ValueError, "mlp", "sizes")
def _():
    L.nn.MLP([3], activation="tanh", init="lecun_normal", rng=RNG(0))


@error("H16 Linear(init='foo')", ValueError, "initializer", "foo")
def _():
    L.nn.Linear(2, 2, init="foo", rng=RNG(0))


@error("H17 leaky_relu_gain(nan)", TypeError, "leaky_relu_gain", "slope")
def _():
    L.activations.leaky_relu_gain(float("nan"))


@error("H18 leaky_relu_slope(x, nan)", TypeError, "leaky_relu_slope", "slope")
def _():
    L.activations.leaky_relu_slope(np.ones(2), float("nan"))


@error("H19 ResidualMLP(n_blocks=-1)", ValueError, "residualmlp", "n_blocks")
def _():
    L.residual.ResidualMLP(2, 4, -1, 1, rng=RNG(0))


@error("H20 detect_anomaly: exp overflows", FloatingPointError, "exp")
def _():
    with L.detect_anomaly():
        L.exp(T([1000.0]))


@error("H21 spirals(noise=-1)", ValueError, "spirals", "noise")
def _():
    L.data.spirals(5, rng=RNG(0), noise=-1.0)


@error("H22 teacher_regression(width=0)", ValueError, "teacher_regression", "width")
def _():
    L.data.teacher_regression(10, 3, rng=RNG(0), width=0)


@error("H23 elu_slope(x, alpha=nan)", TypeError, "elu_slope", "alpha")
def _():
    L.activations.elu_slope(np.ones(2), float("nan"))


@value("H24 teacher_regression(2, 3): finite targets of variance 1")
def _():
    X, y = L.data.teacher_regression(2, 3, rng=RNG(0))
    return bool(np.all(np.isfinite(y))) and close(np.var(y), 1.0)


@value("H25 spirals shapes and labels")
def _():
    X, y = L.data.spirals(4, 3, rng=RNG(0))
    return X.shape == (12, 2) and list(np.bincount(y)) == [4, 4, 4]


@value("H26 layer_profile of an MLP gives finite statistics")
def _():
    m = mlp(sizes=(3, 8, 8, 1))
    X = RNG(1).standard_normal((16, 3))
    p = L.diagnostics.layer_profile(m, X, lambda out: L.mse(out, np.zeros((16, 1))))
    return p.finite and len(p.layers) == 4


@value("H27 LSTMCell forward and gradient through the forget-gate bias")
def _():
    cell = L.recurrent.LSTMCell(2, 3, rng=RNG(0))
    x = L.Tensor(RNG(1).standard_normal((4, 2)))
    h, c = cell(x, cell.initial_state(4))
    (h.sum() + c.sum()).backward()
    return cell.b_h.grad.shape == (12,) and bool(np.all(np.isfinite(cell.b_h.grad)))


@value("H28 the in-place zero_last of ResidualBlock is an identity at init")
def _():
    blk = L.residual.ResidualBlock(3, activation="relu", init="he_normal", rng=RNG(0), zero_last=True)
    x = RNG(1).standard_normal((2, 3))
    return close(blk(L.Tensor(x)).data, x)


# --- W. widgets ----------------------------------------------------------------------------------------------
@error("W01 profile_widget(activation='gelu')", ValueError, "profile_widget", "gelu")
def _():
    from lessonlib.widgets.profiles import profile_widget
    profile_widget(activation="gelu")


@error("W02 profile_widget(init='kaiming')", ValueError, "profile_widget", "kaiming")
def _():
    from lessonlib.widgets.profiles import profile_widget
    profile_widget(init="kaiming")


@value("W03 the dead-unit widget with GELU redraws at depth 50 without an error")
def _():
    from lessonlib.widgets.rectifiers import dead_unit_widget
    box = dead_unit_widget(activation="gelu")
    box.controls["depth"].value = 50
    return box.last_error == ""


@error("W04 dead_unit_widget(colour='red')", ValueError, "dead_unit_widget", "colour")
def _():
    from lessonlib.widgets.rectifiers import dead_unit_widget
    dead_unit_widget(colour="red")


def summary(verbose=False):
    counts = collections.Counter()
    for label, kind, fn, exc, words in CASES:
        outcome, detail = classify(kind, fn, exc, words)
        counts[outcome] += 1
        if verbose or outcome not in ("right value", "clear error"):
            print(f"{outcome:15s} {label}: {detail[:160]}")
    print(dict(counts), "total", len(CASES))
    return counts


if __name__ == "__main__":
    import sys
    summary(verbose="-v" in sys.argv)
