r"""Check gradients against central differences (chapter 1).

The central difference $\frac{f(x + \epsilon v) - f(x - \epsilon v)}{2\epsilon}$
approximates the directional derivative $\nabla f(x) \cdot v$ with an error of
order $\epsilon^2$ (truncation) plus order $u\,|f| / \epsilon$ (rounding, with
$u \approx 10^{-16}$ in float64). With $\epsilon = 10^{-6}$ a correct gradient of
a well-scaled function agrees to about $10^{-9}$; a wrong one is off by
$10^{-1}$ or more. When the true gradient is much smaller than
$u\,|f|/\epsilon$ (deep networks), the difference quotient is noise.
"""
from __future__ import annotations

import numpy as np

from .autodiff import Tensor, as_float_array

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


def numerical_grad(f, x, eps: float = 1e-6) -> np.ndarray:
    """df/dx by central differences, one entry of ``x`` at a time.

    ``f`` maps a float array shaped like ``x`` to a scalar (a float or a
    one-element Tensor). Costs two evaluations of ``f`` per entry of ``x``.
    """
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


def _autodiff_grads(f, tensors):
    for t in tensors:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise TypeError("check_grad: every input must be a Tensor with requires_grad=True")
        t.zero_grad()
    out = f(*tensors)
    if not isinstance(out, Tensor) or out.size != 1:
        raise ValueError(
            f"check_grad: f must return a one-element Tensor, got {type(out).__name__} "
            f"of shape {np.shape(getattr(out, 'data', out))}"
        )
    if out.requires_grad:
        out.backward()
    return [np.zeros(t.shape) if t.grad is None else t.grad for t in tensors]


def _f_of_input(f, tensors, i):
    """f as a function of the raw array of input ``i`` alone."""
    return lambda x: f(*(Tensor(x) if j == i else t for j, t in enumerate(tensors)))


def check_grad(f, *tensors, eps: float = 1e-6, tol: float | None = None, seed: int = 0) -> float:
    """Largest relative error between autodiff and central differences.

    ``f`` maps the given Tensors (each with ``requires_grad=True``) to a
    one-element Tensor. For each input, the autodiff gradient is compared with
    the central difference along three random unit directions. Leaves each
    input's ``.grad`` holding its autodiff gradient.

    With ``tol`` set, an error above it raises ``AssertionError`` with a
    report (see :func:`grad_report`) that says which input is wrong and how.
    """
    grads = _autodiff_grads(f, tensors)
    rng = np.random.default_rng(seed)
    worst = 0.0
    for i, t in enumerate(tensors):
        f_i = _f_of_input(f, tensors, i)
        for _ in range(3):
            v = rng.standard_normal(t.shape)
            v /= np.linalg.norm(v)
            numeric = (_scalar(f_i(t.data + eps * v), "check_grad")
                       - _scalar(f_i(t.data - eps * v), "check_grad")) / (2 * eps)
            err = rel_error(np.sum(grads[i] * v), numeric)
            worst = max(worst, err) if np.isfinite(err) else np.inf   # (max() skips a nan)
    if tol is not None and worst > tol:
        raise AssertionError(grad_report(f, *tensors, eps=eps))
    return worst


def grad_report(f, *tensors, eps: float = 1e-6) -> str:
    """Compare autodiff with central differences entry by entry, in words."""
    grads = _autodiff_grads(f, tensors)
    lines = []
    for i, (t, analytic) in enumerate(zip(tensors, grads)):
        numeric = numerical_grad(_f_of_input(f, tensors, i), t.data, eps)
        err = rel_error(analytic, numeric)
        head = f"input {i} (shape {t.shape}): relative error {err:.2e}"
        if err < 1e-6:                      # (False for a nan: reported as wrong)
            lines.append(head + ", ok")
            continue
        idx = np.unravel_index(np.argmax(np.abs(analytic - numeric)), t.shape)
        where = f"[{', '.join(map(str, idx))}]" if idx else ""
        lines.append(
            f"{head}, WRONG\n  worst entry x{where}: autodiff {analytic[idx]:.6g}, "
            f"central difference {numeric[idx]:.6g}\n  hint: {_hint(analytic, numeric)}"
        )
    return "gradient check:\n" + "\n".join(lines)


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
