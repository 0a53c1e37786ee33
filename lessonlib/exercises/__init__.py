r"""Checkers for the exercises: they grade the learner's own answer and say what is wrong.

A chapter's exercise has a *starter* cell that the learner fills in and that ends with a
checker call, for example::

    def he_variance(n_in):
        ...                                   # your answer here
    check_function(he_variance, lambda n: 2 / n, [(64,), (256,)], name="he_variance")

Every checker prints a one-line verdict and returns a :class:`Verdict`:

* ``correct`` when the answer matches;
* what is wrong when it does not ("off by a factor 2", "that is the standard deviation,
  not the variance", "shape (64, 32), expected (32, 64): transposed?");
* ``not attempted yet`` for an untouched starter (``...``, ``None``, or a function that
  raises ``NotImplementedError``). A checker never raises on an unattempted starter, so
  the notebook still runs from top to bottom.

A VJP the learner registers with ``defvjp`` is graded by :func:`check_vjp`, which
compares ``backward()`` with central differences and names the input, the slip (sign,
factor, all zeros, a wrong shape) and the worst entry.

The generic checkers live here; a chapter's own checkers (``lessonlib.exercises.<topic>``)
build on them: call them with ``show=False``, turn their message into the chapter's
words, and return ``verdict(...)``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..autodiff import Tensor
from ..gradcheck import numerical_grad

__all__ = ["Verdict", "NOT_ATTEMPTED", "unattempted", "verdict", "diagnose_numbers",
           "check_number", "check_array", "check_function", "check_vjp", "check_choice"]

NOT_ATTEMPTED = "not attempted yet"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a checker.

    Fields: ``ok`` (True: correct; False: wrong; None: not attempted), ``message`` (the
    one-line reason shown to the learner) and ``name`` (what was checked).
    """
    ok: bool | None
    message: str
    name: str = "answer"
    shown: bool = field(default=False, compare=False, repr=False)

    @property
    def attempted(self) -> bool:
        return self.ok is not None

    def __str__(self) -> str:
        mark = {True: "\u2713", False: "\u2717", None: "\u2026"}[self.ok]
        return f"{mark} {self.name}: {self.message}"

    def _ipython_display_(self):
        """A starter cell ends with the checker call: show the verdict once, not twice."""
        if not self.shown:
            print(self)


def verdict(ok, message, name="answer", *, show=True) -> Verdict:
    """Make a :class:`Verdict`, print it (unless ``show=False``) and return it."""
    v = Verdict(ok, message, name, shown=show)
    if show:
        print(v)
    return v


def unattempted(answer) -> bool:
    """True for what a starter holds before the learner answers: ``...`` or ``None``."""
    return answer is Ellipsis or answer is None


def _raw(x):
    """A Tensor's array, anything else as it is."""
    return x.data if isinstance(x, Tensor) else x


def _close(a, b, rtol, atol) -> bool:
    return bool(np.all(np.isclose(a, b, rtol=rtol, atol=atol)))


# Factors a slip produces: small integers, a square root, pi, and a log in the wrong base.
_NAMED_FACTORS = {"sqrt(2)": np.sqrt(2), "sqrt(3)": np.sqrt(3), "pi": np.pi, "2 pi": 2 * np.pi,
                  "sqrt(pi)": np.sqrt(np.pi), "e": np.e,
                  "ln(10) (natural log against log10?)": np.log(10),
                  "ln(2) (natural log against log2?)": np.log(2)}


def _factor_name(k) -> str | None:
    """A name for the factor ``k`` (or its reciprocal) when it is a recognizable one."""
    for name, value in _NAMED_FACTORS.items():
        for v, shown in ((value, name), (1 / value, f"1/{name}")):
            if abs(abs(k) - v) < 1e-6 * v:
                return ("-" if k < 0 else "") + shown
    return None


def _telling_factor(k) -> bool:
    """True if ``k`` or ``1/k`` is a whole number up to 1000 or a named factor: for a single
    number, any other ratio is just a wrong value, not a slip worth naming."""
    m = max(abs(k), 1 / abs(k))
    return _factor_name(k) is not None or (round(m) >= 2 and m <= 1000 and abs(m - round(m)) < 1e-6 * m)


def diagnose_numbers(answer, expected, *, rtol=1e-6, atol=1e-12) -> str | None:
    """Why ``answer`` differs from ``expected`` (arrays of one shape), or None if it matches.

    Looks for the usual slips in this order: a non-finite answer, a sign flip, a
    standard deviation given for a variance (or the reverse), a reciprocal, a constant
    factor; otherwise reports the largest relative error.
    """
    a = np.asarray(answer, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if _close(a, e, rtol, atol):
        return None
    if not np.all(np.isfinite(a)):
        return f"the answer has {np.size(a) - np.count_nonzero(np.isfinite(a))} non-finite value(s) (nan or inf)"
    if _close(-a, e, rtol, atol):
        return "the sign is wrong"
    if a.size == 1 and np.all(e == np.round(e)) and np.all(a == np.round(a)) and abs(float(a.sum() - e.sum())) == 1:
        return "off by one (rounded the wrong way, or counted one step too many or too few?)"
    if np.all(a >= 0) and np.all(e >= 0):
        if _close(a ** 2, e, rtol, atol):
            return "that is the square root of the answer (a standard deviation, not the variance?)"
        if _close(np.sqrt(a), e, rtol, atol):
            return "that is the square of the answer (a variance, not the standard deviation?)"
    with np.errstate(divide="ignore", invalid="ignore"):
        if np.all(a != 0) and _close(1.0 / a, e, rtol, atol):
            return "that is the reciprocal of the answer"
        nz = (e != 0) & (a != 0)
        if np.any(nz):
            ratios = a[nz] / e[nz]
            k = float(np.median(ratios))
            if np.all(np.isfinite(ratios)) and _close(a, k * e, rtol, atol) and k != 0 \
                    and (np.count_nonzero(nz) > 1 or _telling_factor(k)):
                shown = _factor_name(k) or (f"{k:.4g}" if abs(k) >= 1 else f"1/{1 / k:.4g}")
                return f"off by a constant factor {shown}"
        scale = np.maximum(np.abs(e), atol if atol > 0 else 1e-300)
        worst = float(np.max(np.abs(a - e) / scale))
    return f"largest relative error {worst:.2g} (allowed {rtol:g})"


def check_number(answer, expected, *, name="answer", rtol=1e-6, atol=1e-12, show=True) -> Verdict:
    """Grade a number against ``expected``; says which slip it looks like."""
    if unattempted(answer):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    try:
        if isinstance(answer, (str, bytes)):
            raise TypeError
        value = float(_raw(answer))
    except (TypeError, ValueError):
        return verdict(False, f"expected a number, got {type(answer).__name__}", name, show=show)
    why = diagnose_numbers(value, expected, rtol=rtol, atol=atol)
    if why is None:
        return verdict(True, f"correct ({value:.6g})", name, show=show)
    return verdict(False, f"{value:.6g} is not right: {why}", name, show=show)


def check_array(answer, expected, *, name="answer", rtol=1e-6, atol=1e-12, show=True) -> Verdict:
    """Grade an array: shape first (and whether it is transposed), then the values."""
    if unattempted(answer):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    try:
        a = np.asarray(_raw(answer), dtype=np.float64)
    except (TypeError, ValueError):
        return verdict(False, f"expected an array of numbers, got {type(answer).__name__}", name, show=show)
    e = np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        hint = ": transposed?" if a.ndim == 2 and a.shape == e.shape[::-1] else ""
        return verdict(False, f"shape {a.shape}, expected {e.shape}{hint}", name, show=show)
    why = diagnose_numbers(a, e, rtol=rtol, atol=atol)
    if why is None:
        return verdict(True, "correct", name, show=show)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and diagnose_numbers(a.T, e, rtol=rtol, atol=atol) is None:
        why = "it is the transpose of the answer"
    return verdict(False, why, name, show=show)


def check_function(fn, reference, inputs, *, name=None, rtol=1e-6, atol=1e-12, show=True) -> Verdict:
    """Call the learner's ``fn`` and ``reference`` on each argument tuple in ``inputs``.

    ``NotImplementedError`` or an ``...`` result means not attempted; any other error is
    reported with its type and message (it is the learner's bug, not the notebook's).
    """
    name = name or getattr(fn, "__name__", "function")
    if unattempted(fn):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    if not callable(fn):
        return verdict(False, f"expected a function, got {type(fn).__name__}", name, show=show)
    for args in inputs:
        args = args if isinstance(args, tuple) else (args,)
        shown = ", ".join(np.array2string(np.asarray(x), precision=3, threshold=6) if np.ndim(x) else repr(x)
                          for x in args)
        try:
            got = fn(*args)
        except NotImplementedError:
            return verdict(None, NOT_ATTEMPTED, name, show=show)
        except Exception as err:  # the learner's code raised: say what and where
            return verdict(False, f"raised {type(err).__name__}: {err} (at {name}({shown}))", name, show=show)
        if got is Ellipsis:
            return verdict(None, NOT_ATTEMPTED, name, show=show)
        if got is None:  # an untouched body (`...`, `pass`) or a forgotten `return`
            return verdict(None, f"{NOT_ATTEMPTED} ({name} returns None: fill in its body, "
                                 "and do not forget `return`)", name, show=show)
        inner = check_array(got, reference(*args), name=name, rtol=rtol, atol=atol, show=False)
        if not inner.ok:
            return verdict(False, f"{inner.message} (at {name}({shown}))", name, show=show)
    return verdict(True, f"correct on {len(inputs)} input(s)", name, show=show)


def _as_input(x):
    return Tensor(np.array(_raw(x), dtype=np.float64), requires_grad=True)


def check_vjp(f, *inputs, name=None, reference=None, rtol=1e-5, seed=0, show=True) -> Verdict:
    r"""Grade the VJPs behind ``f`` (typically the learner's ``@primitive`` and its ``defvjp``).

    ``f`` maps Tensors to a Tensor of any shape; ``inputs`` are the points (numbers or
    arrays). The output is contracted with a fixed random cotangent $u$, and the autodiff
    gradient of $\sum u \odot f$ is compared with central differences entry by entry,
    input by input. With ``reference`` (a numpy function of the same arrays), the forward
    value is checked first. Says which input is wrong and how ("off by a constant factor 2",
    "the sign is wrong", "all zeros", a shape error) and where the worst entry is.

    Not attempted: ``f`` is ``...``, it raises ``NotImplementedError``, or no VJP was
    registered yet. Central differences are accurate to about 1e-8 here, so keep the
    inputs of order 1 and away from kinks.
    """
    name = name or getattr(f, "__name__", "vjp")
    if unattempted(f):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    if not callable(f):
        return verdict(False, f"expected a function of Tensors, got {type(f).__name__}", name, show=show)
    arrays = [np.array(_raw(x), dtype=np.float64) for x in inputs]
    tensors = [_as_input(a) for a in arrays]
    try:
        out = f(*tensors)
        if out is None or out is Ellipsis:
            return verdict(None, f"{NOT_ATTEMPTED} ({name} returns {out!r})", name, show=show)
        if not isinstance(out, Tensor):
            return verdict(False, f"{name} returned {type(out).__name__}, not a Tensor: build it "
                                  "from lessonlib ops (or a @primitive) so it can be differentiated",
                           name, show=show)
        if reference is not None:
            fwd = check_array(out.data, reference(*arrays), name=name, rtol=rtol, show=False)
            if not fwd.ok:
                return verdict(False, f"the forward value is wrong: {fwd.message}", name, show=show)
        if not out.requires_grad:
            return verdict(False, "the output does not depend on the inputs through any "
                                  "differentiable op (was .data used, or a numpy function?)", name, show=show)
        u = np.random.default_rng(seed).standard_normal(out.shape)
        out.backward(u)
    except NotImplementedError as err:
        return verdict(None, f"{NOT_ATTEMPTED} ({err})", name, show=show)
    except Exception as err:  # the learner's op or VJP raised: say what
        return verdict(False, f"raised {type(err).__name__}: {err}", name, show=show)

    def contracted(i):
        def phi(x):
            args = [Tensor(x) if j == i else Tensor(a) for j, a in enumerate(arrays)]
            return float(np.sum(_raw(f(*args)) * u))
        return phi

    for i, (t, a) in enumerate(zip(tensors, arrays)):
        label = f"input {i}" if len(tensors) > 1 else "the input"
        got = np.zeros(a.shape) if t.grad is None else np.asarray(t.grad, dtype=np.float64)
        numeric = numerical_grad(contracted(i), a)
        scale = max(float(np.max(np.abs(numeric), initial=0.0)), 1e-300)
        why = diagnose_numbers(got, numeric, rtol=rtol, atol=rtol * scale)
        if why is None:
            continue
        if not np.any(got) and np.any(numeric):
            why = "autodiff gives all zeros (a VJP that ignores g, or a missing defvjp entry?)"
        idx = np.unravel_index(np.argmax(np.abs(got - numeric)), a.shape)
        where = f"[{', '.join(map(str, idx))}]" if idx else ""
        return verdict(False, f"gradient of {label} is wrong: {why}; worst entry x{where}: "
                              f"autodiff {got[idx]:.6g}, central difference {numeric[idx]:.6g}",
                       name, show=show)
    return verdict(True, f"correct (autodiff matches central differences on {len(tensors)} input(s))",
                   name, show=show)


def check_choice(answer, correct, *, feedback=None, name="answer", show=True) -> Verdict:
    """Grade a choice (a string, a number, a tuple) against ``correct``.

    ``feedback`` maps the typical wrong choices to what is wrong with them; a string is
    compared without case or surrounding blanks. Example: ``check_choice(layer, 1,
    feedback={20: "that layer gets the largest gradient, not the smallest"})``.
    """
    if unattempted(answer):
        return verdict(None, NOT_ATTEMPTED, name, show=show)

    def norm(x):
        return x.strip().lower() if isinstance(x, str) else x

    if norm(answer) == norm(correct):
        return verdict(True, f"correct ({answer!r})", name, show=show)
    for wrong, why in (feedback or {}).items():
        if norm(answer) == norm(wrong):
            return verdict(False, f"{answer!r} is not right: {why}", name, show=show)
    return verdict(False, f"{answer!r} is not right", name, show=show)
