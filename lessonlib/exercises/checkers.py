r"""The generic checkers: a number, an array, a function, a VJP, a choice.

Each grades the learner's answer against the right one, prints a one-line verdict and
returns a :class:`~lessonlib.exercises.Verdict`. A chapter's own checkers
(``lessonlib.exercises.<topic>``) build on them: they call them with ``show=False``,
turn the message into the chapter's words, and return ``verdict(...)``.
"""
from __future__ import annotations

import numpy as np

from ..autodiff import Tensor
from ..gradcheck import numerical_grad
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, Verdict, _raw, as_number, unattempted, verdict

__all__ = ["check_number", "check_array", "check_function", "check_vjp", "check_choice"]


def check_number(answer, expected, *, name="answer", rtol=1e-6, atol=1e-12, show=True) -> Verdict:
    """Grade a number against ``expected``; says which slip it looks like."""
    value, early = as_number(answer, name, show=show)
    if early is not None:
        return early
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
