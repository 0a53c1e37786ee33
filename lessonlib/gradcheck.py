r"""Check gradients against central differences (chapter 1).

The central difference $\frac{f(x + \epsilon v) - f(x - \epsilon v)}{2\epsilon}$
approximates the directional derivative $\nabla f(x) \cdot v$ with an error of
order $\epsilon^2$ (truncation) plus order $u\,|f| / \epsilon$ (rounding, with
$u \approx 10^{-16}$ in float64). With $\epsilon = 10^{-6}$ a correct gradient of
a well-scaled function agrees to about $10^{-9}$; a wrong one is off by
$10^{-1}$ or more. When the true gradient is much smaller than
$u\,|f|/\epsilon$ (deep networks), the difference quotient is noise.

So the comparison uses an absolute and a relative tolerance, as torch's
``gradcheck`` does: autodiff $a$ and central difference $n$ agree when
$|a - n| \le \text{atol} + \text{tol}\cdot s$. The scale $s$ is the larger of
$|a|$, $|n|$ and $\|g\|/\sqrt{d}$, the typical directional derivative of the
autodiff gradient $g$ of an input with $d$ entries: along a direction in which $f$
hardly changes, rounding noise is not a relative error. Where everything is
below ``atol`` the gradient is *about 0*: that passes, but the report says that
such a point cannot tell a right derivative from a wrong one (check at another
point). A kink (``relu`` at 0) is named as the likely cause of a mismatch.
"""
from __future__ import annotations

import warnings

import numpy as np

from .autodiff import Tensor, as_float_array, topological_order
from .checks import finite_number

__all__ = ["rel_error", "numerical_grad", "check_grad", "grad_report"]


def rel_error(a, b) -> float:
    r"""$\|a - b\| / \max(\|a\|, \|b\|)$, and 0 when both are zero; nan if either holds a nan."""
    a, b = as_float_array(a, "rel_error"), as_float_array(b, "rel_error")
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


def _scalar(value, op: str) -> float:
    data = value.data if isinstance(value, Tensor) else np.asarray(value, dtype=np.float64)
    if data.size != 1:
        raise ValueError(f"{op}: f must return a scalar, got shape {data.shape}")
    return float(data.item())


def _callable(op, f):
    if not callable(f):
        raise TypeError(f"{op}: f must be a function, got {type(f).__name__}")


def numerical_grad(f, x, eps: float = 1e-6) -> np.ndarray:
    """df/dx by central differences, one entry of ``x`` at a time.

    ``f`` maps a float array shaped like ``x`` to a scalar (a float or a
    one-element Tensor). Costs two evaluations of ``f`` per entry of ``x``.
    """
    _callable("numerical_grad", f)
    eps = finite_number("numerical_grad", "eps", eps, low=0, low_open=True)
    x = np.array(as_float_array(x, "numerical_grad"), dtype=np.float64)  # a private copy
    grad = np.empty_like(x)
    for i in range(x.size):
        idx = np.unravel_index(i, x.shape)
        x0 = x[idx]
        x[idx] = x0 + eps
        f_plus = _scalar(f(x), "numerical_grad")
        x[idx] = x0 - eps
        f_minus = _scalar(f(x), "numerical_grad")
        x[idx] = x0
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def _autodiff_grads(op, f, tensors):
    _callable(op, f)
    if not tensors:
        raise TypeError(f"{op}: pass the input Tensors after f, e.g. {op}(f, x)")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise TypeError(f"{op}: every input must be a Tensor with requires_grad=True; input {i} "
                            f"is {'a Tensor without requires_grad' if isinstance(t, Tensor) else type(t).__name__}")
        t.zero_grad()
    out = f(*tensors)
    if not isinstance(out, Tensor) or out.size != 1:
        raise ValueError(
            f"{op}: f must return a one-element Tensor, got {type(out).__name__} "
            f"of shape {np.shape(getattr(out, '_value', out))}"
        )
    if out.requires_grad:
        out.backward()
    return out, [np.zeros(t.shape) if t.grad is None else np.array(t.grad) for t in tensors]


def _f_of_input(f, tensors, i):
    """f as a function of the raw array of input ``i`` alone."""
    return lambda x: f(*(Tensor(x) if j == i else t for j, t in enumerate(tensors)))


def _floor(atol, f_value, eps):
    """The smallest difference the check can resolve: atol, or the rounding noise of the quotient."""
    return max(atol, 10 * np.finfo(float).eps * max(abs(f_value), 1.0) / eps)


def _typical_slope(grad) -> float:
    r"""$\|g\| / \sqrt{n}$: the root-mean-square of $g \cdot v$ over random unit directions $v$.

    The size a directional derivative has when the direction is not special. Along a
    direction in which f barely changes (layer norm and a per-row shift or scale of its
    input), $g \cdot v$ is tiny, and the rounding noise of the difference quotient
    (~1e-10) divided by it would look like a large relative error of a correct gradient.
    """
    return float(np.linalg.norm(grad) / np.sqrt(grad.size)) if grad.size else 0.0


def check_grad(f, *tensors, eps: float = 1e-6, tol: float | None = None, seed: int = 0,
               atol: float = 1e-8) -> float:
    r"""Largest relative error between autodiff and central differences.

    ``f`` maps the given Tensors (each with ``requires_grad=True``) to a
    one-element Tensor. For each input, the autodiff gradient $g$ is compared with
    the central difference along three random unit directions $v$: the error is
    $|a - n| / s$ for $a = g \cdot v$, the central difference $n$, and the scale
    $s = \max(|a|, |n|, \|g\|/\sqrt{d})$ ($d$ = the input's size). A correct
    gradient gives about $10^{-9}$, a wrong one $10^{-1}$ or more. Leaves each
    input's ``.grad`` holding its autodiff gradient.

    A direction along which both derivatives are below ``atol`` (or below the
    rounding noise of the difference quotient, if that is larger) counts as
    agreeing: the gradient is about 0 there, which says nothing either way, so
    a warning suggests another point when that is all the check saw.

    With ``tol`` set, a direction with $|a - n| > \text{atol} + \text{tol}\cdot s$
    raises ``AssertionError`` with a report (see :func:`grad_report`) that says
    which input is wrong and how.
    """
    eps = finite_number("check_grad", "eps", eps, low=0, low_open=True)
    atol = finite_number("check_grad", "atol", atol, low=0)
    if tol is not None:
        tol = finite_number("check_grad", "tol", tol, low=0)
    out, grads = _autodiff_grads("check_grad", f, tensors)
    floor = _floor(atol, out._value.item(), eps)
    rng = np.random.default_rng(seed)
    worst, failed, resolved = 0.0, False, False
    for i, t in enumerate(tensors):
        f_i = _f_of_input(f, tensors, i)
        typical = _typical_slope(grads[i])
        for _ in range(3):
            v = rng.standard_normal(t.shape)
            v /= np.linalg.norm(v) if t.size else 1.0
            numeric = (_scalar(f_i(t._value + eps * v), "check_grad")
                       - _scalar(f_i(t._value - eps * v), "check_grad")) / (2 * eps)
            analytic = float(np.sum(grads[i] * v))
            scale = max(abs(analytic), abs(numeric), typical)
            diff = abs(analytic - numeric)
            if not np.isfinite(diff):
                worst, failed = np.inf, True
                continue
            if scale > floor:
                resolved = True
                worst = max(worst, diff / scale)
            if tol is not None and diff > floor + tol * scale:
                failed = True
    if failed and tol is not None:
        raise AssertionError(grad_report(f, *tensors, eps=eps, atol=atol))
    if not resolved and np.isfinite(worst):
        warnings.warn(f"check_grad: the gradient is about 0 here (every directional derivative "
                      f"is below {floor:.1e}), so this point cannot tell a right gradient from a "
                      "wrong one: check at another point", stacklevel=2)
    for t, g in zip(tensors, grads):
        t.grad = g
    return worst


def grad_report(f, *tensors, eps: float = 1e-6, atol: float = 1e-8) -> str:
    """Compare autodiff with central differences entry by entry, in words."""
    eps = finite_number("grad_report", "eps", eps, low=0, low_open=True)
    atol = finite_number("grad_report", "atol", atol, low=0)
    out, grads = _autodiff_grads("grad_report", f, tensors)
    floor = _floor(atol, out._value.item(), eps)
    kinks = _kinks(out, eps)
    lines = []
    for i, (t, analytic) in enumerate(zip(tensors, grads)):
        numeric = numerical_grad(_f_of_input(f, tensors, i), t._value, eps)
        err = rel_error(analytic, numeric)
        head = f"input {i} (shape {t.shape}): relative error {err:.2e}"
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        with np.errstate(invalid="ignore"):
            agree = np.abs(analytic - numeric) <= floor + 1e-6 * scale
        if np.all(agree) and np.all(scale <= floor):
            lines.append(f"input {i} (shape {t.shape}): the gradient is about 0 here (every entry "
                         f"below {floor:.1e}): check at another point")
            continue
        if np.all(agree):                   # (False for a nan: reported as wrong)
            lines.append(head + ", ok")
            continue
        idx = np.unravel_index(np.argmax(np.where(agree, -1.0, np.abs(analytic - numeric))), t.shape)
        where = f"[{', '.join(map(str, idx))}]" if idx else ""
        hint = kinks or _hint(analytic, numeric)
        lines.append(
            f"{head}, WRONG\n  worst entry x{where}: autodiff {analytic[idx]:.6g}, "
            f"central difference {numeric[idx]:.6g}\n  hint: {hint}"
        )
    for t, g in zip(tensors, grads):
        t.grad = g
    return "gradient check:\n" + "\n".join(lines)


_KINKED = {"relu": 0, "leaky_relu": 0, "elu": 0}


def _kinks(out, eps) -> str:
    """Name an op of f whose input sits within eps of a kink (where its slope jumps)."""
    for node in topological_order(out):
        name = node._op.__name__.lstrip("_") if node._op is not None else None
        if name in _KINKED and node._args:
            x = node._args[0]
            near = np.abs(x - _KINKED[name]) <= 2 * eps
            if near.any():
                return (f"possibly a kink, not a bug: {int(near.sum())} input(s) of {name} lie within "
                        f"{2 * eps:g} of {_KINKED[name]}, where its slope jumps, so central differences "
                        "straddle the kink and average the two slopes; check at another point")
    return ""


def _hint(analytic, numeric) -> str:
    if not np.all(np.isfinite(analytic)):
        return ("the autodiff gradient holds nan or inf: run the check inside "
                "lessonlib.anomaly.detect_anomaly() to find the op that made it")
    if not np.all(np.isfinite(numeric)):
        return "f itself is not finite near this point: pick another point"
    if not np.any(analytic):
        return ("the autodiff gradient is all zeros: does the VJP multiply by something "
                "that vanishes, or ignore g?")
    if not np.any(numeric):
        return "central differences see no dependence on this input, but autodiff does"
    factor = float(np.sum(analytic * numeric) / np.sum(numeric * numeric))
    if rel_error(analytic, factor * numeric) < 1e-4:
        if abs(factor + 1) < 1e-3:
            return "opposite sign: the VJP has a sign error"
        return f"off by a constant factor {factor:.4g} (autodiff / central difference)"
    return ("the entries disagree by different amounts: the derivative formula itself is "
            "wrong (compare it with the worst entry above)")
