r"""Recurrent cells (chapter 7): a vanilla RNN cell and an LSTM cell, built from lessonlib ops.

Both cells take one time step of a batch: rows are examples, as everywhere in
lessonlib (``x`` has shape (N, n_in), ``h`` has shape (N, n_hidden)). A sequence
is processed by calling the cell once per step in a Python loop; the engine
records every step, so ``backward()`` on a loss at the end *is* backpropagation
through time.

Vanilla RNN (row-vector convention, ``h @ W_hh``):

.. math::

    a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \qquad h_t = \tanh(a_t), \qquad
    \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(\tanh'(a_t))\, W_{hh}^\top .

LSTM (gates in the order input, forget, output, candidate):

.. math::

    [z_i, z_f, z_o, z_g] = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \quad
    c_t = \sigma(z_f) \odot c_{t-1} + \sigma(z_i) \odot \tanh(z_g), \quad
    h_t = \sigma(z_o) \odot \tanh(c_t),

so that, holding $h_{t-1}$ fixed, $\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)$:
the cell state is carried by a sum, not squashed by a weight matrix and a slope.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import ops
from .autodiff import Tensor, as_float_array, defvjp, primitive
from .checks import finite_number, generator, positive_int
from .layers import _initializer
from .module import Module

__all__ = ["RNNCell", "LSTMCell", "columns", "unroll", "jacobian_norms", "scalar_rnn"]


@primitive
def _columns(a, *, start, stop):
    return a[..., start:stop]


def _columns_vjp(g, ans, a, *, start, stop):
    out = np.zeros(a.shape)
    out[..., start:stop] = g
    return out


# y = a[:, start:stop]: the gradient goes back to those columns, zeros elsewhere
defvjp(_columns, _columns_vjp)


def columns(a, start, stop):
    """Columns ``start:stop`` of the last axis of ``a`` (the LSTM cuts its four gates this way)."""
    shape = np.shape(as_float_array(a, "columns"))
    if not shape:
        raise ValueError("columns: a 0-d tensor has no columns")
    n = shape[-1]
    for label, v in (("start", start), ("stop", stop)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"columns: {label} must be an integer, got {v!r}")
    if not (0 <= start < stop <= n):
        raise ValueError(f"columns: need 0 <= start < stop <= {n}, got start={start}, stop={stop}")
    return _columns(a, start=int(start), stop=int(stop))


def _check_sizes(cls, n_in, n_hidden, rng):
    positive_int(cls, "n_in", n_in), positive_int(cls, "n_hidden", n_hidden)
    generator(cls, rng)


def _check_state(cls, x, h, n_in, n_hidden):
    xs, hs = np.shape(as_float_array(x, cls)), np.shape(as_float_array(h, cls))
    if len(xs) != 2 or xs[1] != n_in:
        raise ValueError(f"{cls}: x must have shape (N, {n_in}), got {xs}")
    if hs != (xs[0], n_hidden):
        raise ValueError(f"{cls}: the state must have shape ({xs[0]}, {n_hidden}) for x of shape {xs}, got {hs}")


class RNNCell(Module):
    r"""$h_t = \tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$, one time step.

    ``W_xh`` (n_in, n_hidden) is drawn with ``init``; ``W_hh`` (n_hidden, n_hidden)
    with ``recurrent_init`` and gain ``radius``. With the default orthogonal
    ``recurrent_init``, every singular value of ``W_hh`` equals ``radius``, so
    ``radius`` is both its spectral radius and its largest singular value.
    """

    def __init__(self, n_in, n_hidden, *, rng, init="lecun_normal",
                 recurrent_init="orthogonal", radius=1.0):
        _check_sizes("RNNCell", n_in, n_hidden, rng)
        finite_number("RNNCell", "radius (the spectral radius of W_hh)", radius, low=0)
        self.n_in, self.n_hidden = int(n_in), int(n_hidden)
        self.W_xh = Tensor(_initializer(init, "RNNCell")(n_in, n_hidden, rng=rng), requires_grad=True)
        self.W_hh = Tensor(_initializer(recurrent_init, "RNNCell")(n_hidden, n_hidden, rng=rng, gain=radius),
                           requires_grad=True)
        self.b_h = Tensor(np.zeros(n_hidden), requires_grad=True)

    def initial_state(self, batch):
        """The zero state $h_0$ for ``batch`` sequences."""
        return Tensor(np.zeros((batch, self.n_hidden)))

    def __call__(self, x, h):
        _check_state("RNNCell", x, h, self.n_in, self.n_hidden)
        return ops.tanh(x @ self.W_xh + h @ self.W_hh + self.b_h)


class LSTMCell(Module):
    r"""One LSTM step: ``cell(x, (h, c)) -> (h_new, c_new)``.

    The four gates share one pair of matrices: ``W_xh`` (n_in, 4 n_hidden),
    ``W_hh`` (n_hidden, 4 n_hidden) and ``b_h`` (4 n_hidden,), in the order
    input $i$, forget $f$, output $o$, candidate $g$ (the three sigmoid gates
    first, so one ``sigmoid`` call computes them all). The forget-gate biases start
    at ``forget_bias`` (1 by default), so that $f_t = \sigma(1 + \dots) \approx 0.73$
    at initialization and the cell state is kept rather than erased.
    """

    def __init__(self, n_in, n_hidden, *, rng, forget_bias=1.0, init="lecun_normal",
                 recurrent_init="orthogonal"):
        _check_sizes("LSTMCell", n_in, n_hidden, rng)
        finite_number("LSTMCell", "forget_bias", forget_bias)
        self.n_in, self.n_hidden = int(n_in), int(n_hidden)
        make_x, make_h = _initializer(init, "LSTMCell"), _initializer(recurrent_init, "LSTMCell")
        # one (fan_in, n_hidden) block per gate, so each gate is initialized like an RNN cell
        self.W_xh = Tensor(np.hstack([make_x(n_in, n_hidden, rng=rng) for _ in range(4)]),
                           requires_grad=True)
        self.W_hh = Tensor(np.hstack([make_h(n_hidden, n_hidden, rng=rng) for _ in range(4)]),
                           requires_grad=True)
        b = np.zeros(4 * n_hidden)
        b[n_hidden:2 * n_hidden] = forget_bias
        self.b_h = Tensor(b, requires_grad=True)

    def initial_state(self, batch):
        """The zero state $(h_0, c_0)$ for ``batch`` sequences."""
        return Tensor(np.zeros((batch, self.n_hidden))), Tensor(np.zeros((batch, self.n_hidden)))

    def gates(self, x, h):
        """The four gates $(i, f, g, o)$ for input ``x`` and previous output ``h``."""
        n = self.n_hidden
        z = x @ self.W_xh + h @ self.W_hh + self.b_h
        s = ops.sigmoid(columns(z, 0, 3 * n))          # i, f, o in one call
        i, f, o = (columns(s, k * n, (k + 1) * n) for k in range(3))
        g = ops.tanh(columns(z, 3 * n, 4 * n))
        return i, f, g, o

    def __call__(self, x, state):
        h, c = state
        _check_state("LSTMCell", x, h, self.n_in, self.n_hidden)
        _check_state("LSTMCell", x, c, self.n_in, self.n_hidden)
        i, f, g, o = self.gates(x, h)
        c_new = f * c + i * g          # the additive path: dc_new/dc = diag(f)
        return o * ops.tanh(c_new), c_new


def unroll(cell, xs, state=None):
    """Run ``cell`` over the steps ``xs`` (a list of (N, n_in) arrays or Tensors).

    Returns the list of hidden outputs $h_1, \\dots, h_T$ and the final state
    (``h_T`` for an RNN cell, ``(h_T, c_T)`` for an LSTM cell).
    """
    if len(xs) == 0:
        raise ValueError("unroll: the sequence is empty")
    if state is None:
        state = cell.initial_state(np.shape(as_float_array(xs[0], "unroll"))[0])
    outputs = []
    for x in xs:
        state = cell(x, state)
        outputs.append(state[0] if isinstance(state, tuple) else state)
    return outputs, state


# --- the Jacobian product through time, and a one-unit RNN -----------------------------------
def jacobian_norms(slopes, W_hh, lags):
    r"""$\lVert J_T J_{T-1} \cdots J_{k+1} \rVert_2$ with $J_t = \operatorname{diag}(\phi'(a_t)) W_{hh}^\top$.

    ``slopes`` has shape (T, n_seq, n) and holds $\phi'(a_t)$; returns an array
    of shape (len(lags), n_seq) with the spectral norm at each requested lag.
    """
    T, n_seq, n = slopes.shape
    P = np.broadcast_to(np.eye(n), (n_seq, n, n)).copy()     # lag 0: the identity
    wanted = {int(lag): i for i, lag in enumerate(lags)}
    out = np.empty((len(lags), n_seq))
    if 0 in wanted:
        out[wanted[0]] = 1.0
    for lag in range(1, T + 1):
        P = P @ (slopes[T - lag][:, :, None] * W_hh.T[None])     # multiply by J_{T-lag+1}
        if lag in wanted:
            out[wanted[lag]] = np.linalg.svd(P, compute_uv=False)[:, 0]
    return out


def scalar_rnn(w, b, *, T, h0):
    r"""$h_t = \tanh(w h_{t-1} + b)$ for arrays of $(w, b)$; returns $h_T$, $\partial h_T/\partial w$, $\partial h_T/\partial b$.

    The derivatives are carried forward with the recursion
    $\dot h_t = \tanh'(a_t)\,(\dot a_t + w\, \dot h_{t-1})$, where $\dot a_t$ is
    $h_{t-1}$ for $w$ and 1 for $b$: forward-mode differentiation through time,
    cheap here because there are only two parameters.
    """
    w, b = np.broadcast_arrays(np.asarray(w, dtype=float), np.asarray(b, dtype=float))
    h = np.full(w.shape, float(h0))
    dw, db = np.zeros(w.shape), np.zeros(w.shape)
    for _ in range(int(T)):
        h_new = np.tanh(w * h + b)
        s = 1.0 - h_new * h_new
        dw, db = s * (h + w * dw), s * (1.0 + w * db)
        h = h_new
    return h, dw, db
