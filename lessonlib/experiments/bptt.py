r"""Recurrent networks through time (chapter 7): what the widget and the chapter's loops need.

* :func:`run_jacobian` (the widget's runner): $\lVert \partial h_T/\partial h_k \rVert$ against
  the lag $T-k$ for tanh RNNs whose recurrent matrix is ``radius`` times an orthogonal
  matrix, built by :func:`lessonlib.recurrent.jacobian_norms`; :func:`per_step_factor`
  fits its rate;
* :func:`cliff_slice`: the derivative of :func:`lessonlib.recurrent.scalar_rnn` on either
  side of the wall of its cliff;
* :func:`rnn_gradient`: a fresh RNN's gradient on :func:`lessonlib.data.adding_batch`.

The training loop, the seed loops and the gradient-descent runs on the cliff are written
out in the chapter itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import losses
from ..autodiff import Tensor
from ..data import adding_batch
from ..ops import tanh_slope
from ..recurrent import RNNCell, jacobian_norms, scalar_rnn, unroll

__all__ = ["JacobianConfig", "JacobianResult", "run_jacobian", "per_step_factor",
           "CliffSlice", "cliff_slice", "rnn_gradient"]


# --- the Jacobian product -------------------------------------------------------------
@dataclass(frozen=True)
class JacobianConfig:
    """Vanilla tanh RNNs with $W_{hh}$ = radius x orthogonal, driven by Gaussian inputs.

    ``x_t`` has ``n_in`` standard-normal entries times ``input_scale``; ``W_xh`` is
    LeCun-normal, so each unit receives an input term of standard deviation about
    ``input_scale``. ``n_seq`` independent sequences start from $h_0 = 0$. The
    spectral norm is computed at every lag, or at ``n_lags`` evenly spaced lags.
    """

    radii: tuple = (0.5, 1.0, 1.5, 2.0)
    input_scale: float = 1.0
    T: int = 100
    n_hidden: int = 32
    n_in: int = 4
    n_seq: int = 8
    n_lags: int | None = None
    seed: int = 0


@dataclass(frozen=True)
class JacobianResult:
    r"""Fields: ``radii`` (R,), ``lags`` (K,) values of $T-k$ from 0, ``norms`` (R, K, n_seq)
    spectral norms of $\partial h_T/\partial h_k$, ``slopes`` (R, T) mean $\tanh'(a_t)$,
    ``sigma_max`` (R,) and ``message`` (non-empty on overflow or underflow)."""

    config: JacobianConfig
    radii: np.ndarray        # (R,)
    lags: np.ndarray         # (K,) values of T - k, starting at 0
    norms: np.ndarray        # (R, K, n_seq): spectral norm of dh_T/dh_k for each sequence
    slopes: np.ndarray       # (R, T): mean of tanh'(a_t) over units and sequences
    sigma_max: np.ndarray    # (R,): largest singular value of each W_hh
    message: str = ""

    @property
    def typical(self) -> np.ndarray:
        """(R, K): geometric mean over the sequences (nan where a norm underflowed to 0)."""
        with np.errstate(divide="ignore"):
            logs = np.log10(self.norms)
        logs[~np.isfinite(logs)] = np.nan
        return 10.0 ** np.mean(logs, axis=-1)


def run_jacobian(config: JacobianConfig) -> JacobianResult:
    """Forward the RNNs, then measure the norm of the Jacobian product at each lag."""
    T = int(config.T)
    if T < 1:
        raise ValueError(f"JacobianConfig: T must be at least 1, got {T}")
    lags = np.arange(T + 1) if config.n_lags is None else \
        np.unique(np.round(np.linspace(0, T, int(config.n_lags))).astype(int))
    radii = np.asarray(config.radii, dtype=float)
    norms = np.empty((len(radii), len(lags), config.n_seq))
    slopes_mean = np.empty((len(radii), T))
    sigma = np.empty(len(radii))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for r, radius in enumerate(radii):
            rng = np.random.default_rng(config.seed)        # the same Q and inputs at every radius
            cell = RNNCell(config.n_in, config.n_hidden, rng=rng, radius=float(radius))
            W_xh, W_hh = cell.W_xh.data, cell.W_hh.data
            xs = config.input_scale * rng.standard_normal((T, config.n_seq, config.n_in))
            h = np.zeros((config.n_seq, config.n_hidden))
            slopes = np.empty((T, config.n_seq, config.n_hidden))
            for t in range(T):               # the cell's forward pass, on plain arrays
                a = xs[t] @ W_xh + h @ W_hh + cell.b_h.data
                h, slopes[t] = np.tanh(a), tanh_slope(a)
            norms[r] = jacobian_norms(slopes, W_hh, lags)
            slopes_mean[r] = slopes.mean(axis=(1, 2))
            sigma[r] = np.linalg.norm(W_hh, 2)
    message = ""
    if not np.all(np.isfinite(norms)):
        message = "overflow: some Jacobian norms exceeded the float64 range (about 1.8e308)"
    elif np.any(norms == 0):
        message = "underflow: some Jacobian norms fell below the smallest float64 (about 5e-324) and became 0"
    return JacobianResult(config=config, radii=radii, lags=lags, norms=norms,
                          slopes=slopes_mean, sigma_max=sigma, message=message)


def per_step_factor(result: JacobianResult, start=0.5) -> np.ndarray:
    r"""Average factor per step: $10^{\text{slope}}$ of $\log_{10}$ of the typical norm against the lag.

    The slope is fitted by least squares over lags from ``start`` x T to T,
    past the transient in which the state leaves $h_0 = 0$. One value per radius.
    """
    lags = result.lags
    keep = lags >= start * result.config.T
    out = []
    for row in np.log10(result.typical):
        ok = keep & np.isfinite(row)
        out.append(10.0 ** np.polyfit(lags[ok], row[ok], 1)[0] if ok.sum() >= 2 else np.nan)
    return np.array(out)


# --- a cliff in the loss of a one-unit RNN ------------------------------------------------------
@dataclass(frozen=True)
class CliffSlice:
    r"""$|\partial h_T/\partial b|$ at distances ``distances`` on either side of the wall at ``b_wall``."""

    w: float
    b_wall: float           # where h_T changes sign (located to within float64 resolution)
    distances: np.ndarray
    below: np.ndarray       # |dh_T/db| at b_wall - distance
    above: np.ndarray       # |dh_T/db| at b_wall + distance


def cliff_slice(w, *, T=50, h0=0.5, b_range=(-1.0, 0.0), distances=None):
    r"""Locate the wall of the cliff at weight ``w`` by bisection on the sign of $h_T$, then
    measure $|\partial h_T/\partial b|$ at growing distances from it (by default 31 distances
    from 1e-16 to 0.1). ``b_range`` must bracket the wall."""
    lo, hi = map(float, b_range)
    h_lo = scalar_rnn(w, lo, T=T, h0=h0)[0]
    h_hi = scalar_rnn(w, hi, T=T, h0=h0)[0]
    if np.sign(h_lo) == np.sign(h_hi):
        raise ValueError(f"cliff_slice: h_T has the same sign at b = {lo} and b = {hi}; "
                         "choose a b_range that brackets the wall")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if np.sign(scalar_rnn(w, mid, T=T, h0=h0)[0]) == np.sign(h_lo):
            lo = mid
        else:
            hi = mid
    d = np.logspace(-16, -1, 31) if distances is None else np.asarray(distances, dtype=float)
    below = np.abs(scalar_rnn(w, lo - d, T=T, h0=h0)[2])
    above = np.abs(scalar_rnn(w, hi + d, T=T, h0=h0)[2])
    return CliffSlice(w=float(w), b_wall=0.5 * (lo + hi), distances=d, below=below, above=above)


# --- the adding problem -------------------------------------------------------------------------
def rnn_gradient(radius, *, T=50, n_hidden=32, batch=32, seed=0):
    """The parameters of a fresh RNN (``W_hh`` = radius x orthogonal) and linear readout, with
    the gradient of the adding-problem loss on one batch in their ``.grad``.

    Returns the list ``[W_xh, W_hh, b_h, W_out]``, ready for the clipping functions.
    """
    rng = np.random.default_rng(seed)
    cell = RNNCell(2, n_hidden, rng=rng, radius=radius)
    W_out = Tensor(rng.standard_normal((n_hidden, 1)) / np.sqrt(n_hidden), requires_grad=True)
    xs, y = adding_batch(T, batch, rng=rng)
    outputs, _ = unroll(cell, list(xs))
    with np.errstate(over="ignore", invalid="ignore"):
        losses.mse(outputs[-1] @ W_out, y).backward()
    return cell.parameters() + [W_out]
