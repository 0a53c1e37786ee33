r"""Experiments on recurrent networks through time (chapter 7).

* :func:`run_jacobian`: $\lVert \partial h_T/\partial h_k \rVert$ against the lag $T-k$ for
  vanilla RNNs whose recurrent matrix is ``radius`` times an orthogonal matrix;
* :func:`run_lag_gradients`: $\lVert \partial\mathcal{L}/\partial x_{T-\text{lag}} \rVert$
  at initialization, RNN against LSTM;
* :func:`run_cliff`: gradient descent on a one-unit RNN whose loss has a cliff, with
  and without gradient clipping;
* :func:`run_adding`: the adding problem, trained with Adam and norm clipping.

Every runner is a pure function of a frozen config (seed included) and returns a
frozen result with a ``message`` that is non-empty when something overflowed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import losses
from ..autodiff import Tensor
from ..ops import tanh_slope
from ..optim import Adam, clip_grad_norm
from ..recurrent import LSTMCell, RNNCell, unroll

__all__ = ["JacobianConfig", "JacobianResult", "run_jacobian", "jacobian_norms", "per_step_factor",
           "LagConfig", "LagResult", "run_lag_gradients",
           "CliffConfig", "CliffResult", "run_cliff", "scalar_rnn", "CLIP_MODES",
           "CliffSlice", "run_cliff_slice",
           "adding_batch", "AddingConfig", "AddingResult", "run_adding", "ADDING_BASELINE",
           "rnn_gradient"]


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


# --- gradients with respect to earlier inputs -----------------------------------------------
@dataclass(frozen=True)
class LagConfig:
    r"""One backward pass through a fresh RNN and a fresh LSTM of the same width.

    The loss is the mean squared error of a linear readout of $h_T$ against
    random targets; we record $\lVert\partial\mathcal{L}/\partial x_{T-\text{lag}}\rVert$
    for every lag $0, \dots, T-1$. ``radius`` is the RNN's recurrent radius. With
    ``lstm_h_path=False`` the LSTM's ``W_hh`` is set to 0: its gates then no longer see
    $h_{t-1}$, and the cell path is the only way back in time.
    """

    T: int = 100
    n_hidden: int = 32
    n_in: int = 4
    batch: int = 16
    input_scale: float = 1.0
    radius: float = 1.0
    forget_bias: float = 1.0
    lstm_h_path: bool = True
    seed: int = 0


@dataclass(frozen=True)
class LagResult:
    config: LagConfig
    lags: np.ndarray      # 0 .. T-1
    rnn: np.ndarray       # ||dL/dx_{T-lag}|| for the RNN
    lstm: np.ndarray      # the same for the LSTM


def _input_grads(cell, xs, readout, target):
    inputs = [Tensor(x, requires_grad=True) for x in xs]
    outputs, _ = unroll(cell, inputs)
    losses.mse(outputs[-1] @ readout, target).backward()
    return np.array([np.linalg.norm(x.grad) for x in inputs])[::-1]   # index = lag


def run_lag_gradients(config: LagConfig) -> LagResult:
    """Gradient norm with respect to each input, counted back from the last step."""
    rng = np.random.default_rng(config.seed)
    xs = config.input_scale * rng.standard_normal((config.T, config.batch, config.n_in))
    readout = rng.standard_normal((config.n_hidden, 1)) / np.sqrt(config.n_hidden)
    target = rng.standard_normal((config.batch, 1))
    rnn = RNNCell(config.n_in, config.n_hidden, rng=np.random.default_rng(config.seed + 1),
                  radius=config.radius)
    lstm = LSTMCell(config.n_in, config.n_hidden, rng=np.random.default_rng(config.seed + 1),
                    forget_bias=config.forget_bias)
    if not config.lstm_h_path:
        lstm.W_hh.data[...] = 0.0
    with np.errstate(under="ignore"):
        g_rnn = _input_grads(rnn, xs, readout, target)
        g_lstm = _input_grads(lstm, xs, readout, target)
    return LagResult(config=config, lags=np.arange(config.T), rnn=g_rnn, lstm=g_lstm)


# --- a cliff in the loss of a one-unit RNN ------------------------------------------------------
CLIP_MODES = ("none", "norm", "value")


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


@dataclass(frozen=True)
class CliffConfig:
    r"""Gradient descent on $\mathcal{L}(w, b) = (h_T - y)^2$ for the one-unit RNN of :func:`scalar_rnn`.

    Every start on a ``n_w`` x ``n_b`` grid over ``w_range`` x ``b_range`` is run
    for ``steps`` steps of learning rate ``lr`` in each clipping mode (threshold
    ``clip``). ``show`` is the start whose three paths are kept for plotting.
    """

    T: int = 50
    h0: float = 0.5
    target: float = 0.5
    lr: float = 0.1
    steps: int = 300
    clip: float = 1.0
    w_range: tuple = (1.2, 3.0)
    b_range: tuple = (-1.5, 1.5)
    n_w: int = 19
    n_b: int = 31
    show: tuple = (2.5, -0.6)
    grid: int = 161


@dataclass(frozen=True)
class CliffResult:
    config: CliffConfig
    starts: np.ndarray            # (S, 2) starting (w, b)
    final_loss: dict              # mode -> (S,) loss after the last step
    largest_step: dict            # mode -> (S,) longest single step ||Delta(w, b)||
    largest_grad: np.ndarray      # (S,) largest raw gradient norm met on the unclipped path
    paths: dict                   # mode -> (steps + 1, 2) path from config.show
    cosines: dict                 # mode -> (steps,) cos(clipped, raw gradient) along that path
    landscape: tuple              # (W, B, loss) on a grid x grid mesh covering the starts and paths


def _clipped(gw, gb, mode, c):
    if mode == "none":
        return gw, gb
    if mode == "norm":      # the same rule as optim.clip_grad_norm, one start per entry
        n = np.hypot(gw, gb)
        scale = np.where(n > c, c / np.where(n > 0, n, 1.0), 1.0)
        return gw * scale, gb * scale
    if mode == "value":     # the same rule as optim.clip_grad_value
        return np.clip(gw, -c, c), np.clip(gb, -c, c)
    raise ValueError(f"unknown clipping mode {mode!r}; choose one of {CLIP_MODES}")


def _descend(w, b, config, mode):
    """Gradient descent from every (w, b) at once; returns the final losses, the longest
    step, the largest raw gradient norm met, the paths and the cosines (clipped, raw)."""
    w, b = np.array(w, dtype=float), np.array(b, dtype=float)
    path, cosines = [np.stack([w, b], -1)], []
    largest_step, largest_grad = np.zeros(w.shape), np.zeros(w.shape)
    for _ in range(config.steps):
        h, dw, db = scalar_rnn(w, b, T=config.T, h0=config.h0)
        gw, gb = 2.0 * (h - config.target) * dw, 2.0 * (h - config.target) * db
        cw, cb = _clipped(gw, gb, mode, config.clip)
        raw, new = np.hypot(gw, gb), np.hypot(cw, cb)
        both = raw * new
        cosines.append(np.where(both > 0, (gw * cw + gb * cb) / np.where(both > 0, both, 1.0), 1.0))
        largest_grad = np.maximum(largest_grad, raw)
        largest_step = np.maximum(largest_step, config.lr * new)
        w, b = w - config.lr * cw, b - config.lr * cb
        path.append(np.stack([w, b], -1))
    h, _, _ = scalar_rnn(w, b, T=config.T, h0=config.h0)
    return (h - config.target) ** 2, largest_step, largest_grad, np.array(path), np.array(cosines)


def run_cliff(config: CliffConfig) -> CliffResult:
    """Descend from every start of the grid, and from ``config.show``, in each clipping mode."""
    W, B = np.meshgrid(np.linspace(*config.w_range, config.n_w), np.linspace(*config.b_range, config.n_b))
    starts = np.stack([W.ravel(), B.ravel()], -1)
    w0, b0 = np.append(starts[:, 0], config.show[0]), np.append(starts[:, 1], config.show[1])
    final, steps, paths, cosines = {}, {}, {}, {}
    with np.errstate(over="ignore", invalid="ignore"):
        for mode in CLIP_MODES:
            loss, step, grad, path, cos = _descend(w0, b0, config, mode)
            final[mode], steps[mode] = loss[:-1], step[:-1]
            paths[mode], cosines[mode] = path[:, -1], cos[:, -1]      # the shown start is the last
            if mode == "none":
                largest_grad = grad[:-1]
    pts = np.concatenate([paths[m] for m in CLIP_MODES])
    w_lo, w_hi = min(0.5, pts[:, 0].min() - 0.2), max(config.w_range[1], pts[:, 0].max()) + 0.2
    b_lo, b_hi = min(config.b_range[0], pts[:, 1].min()) - 0.2, max(config.b_range[1], pts[:, 1].max()) + 0.2
    LW, LB = np.meshgrid(np.linspace(w_lo, w_hi, config.grid), np.linspace(b_lo, b_hi, config.grid))
    h, _, _ = scalar_rnn(LW, LB, T=config.T, h0=config.h0)
    return CliffResult(config=config, starts=starts, final_loss=final, largest_step=steps,
                       largest_grad=largest_grad, paths=paths, cosines=cosines,
                       landscape=(LW, LB, (h - config.target) ** 2))


@dataclass(frozen=True)
class CliffSlice:
    r"""$|\partial h_T/\partial b|$ at distances ``distances`` on either side of the wall at ``b_wall``."""

    w: float
    b_wall: float           # where h_T changes sign (located to within float64 resolution)
    distances: np.ndarray
    below: np.ndarray       # |dh_T/db| at b_wall - distance
    above: np.ndarray       # |dh_T/db| at b_wall + distance


def run_cliff_slice(config: CliffConfig, w=2.5, b_range=(-1.0, 0.0), distances=np.logspace(-16, -1, 31)):
    """Locate the wall of the cliff at weight ``w`` by bisection on the sign of $h_T$, then
    measure the derivative at growing distances from it. ``b_range`` must bracket the wall."""
    lo, hi = map(float, b_range)
    h_lo = scalar_rnn(w, lo, T=config.T, h0=config.h0)[0]
    h_hi = scalar_rnn(w, hi, T=config.T, h0=config.h0)[0]
    if np.sign(h_lo) == np.sign(h_hi):
        raise ValueError(f"run_cliff_slice: h_T has the same sign at b = {lo} and b = {hi}; "
                         "choose a b_range that brackets the wall")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if np.sign(scalar_rnn(w, mid, T=config.T, h0=config.h0)[0]) == np.sign(h_lo):
            lo = mid
        else:
            hi = mid
    d = np.asarray(distances, dtype=float)
    below = np.abs(scalar_rnn(w, lo - d, T=config.T, h0=config.h0)[2])
    above = np.abs(scalar_rnn(w, hi + d, T=config.T, h0=config.h0)[2])
    return CliffSlice(w=float(w), b_wall=0.5 * (lo + hi), distances=d, below=below, above=above)


# --- the adding problem -------------------------------------------------------------------------
#: Mean squared error of always predicting 1, the mean of the target: Var(u1 + u2) = 2/12.
ADDING_BASELINE = 1.0 / 6.0


def adding_batch(T, batch, *, rng):
    r"""The adding problem (Hochreiter & Schmidhuber, 1997), ``batch`` sequences of length ``T``.

    Each step carries two numbers: a value drawn from U(0, 1) and a marker that
    is 1 at exactly two steps, one in the first half and one in the second half.
    The target is the sum of the two marked values. Returns ``xs`` of shape
    (T, batch, 2) and ``y`` of shape (batch, 1).
    """
    if int(T) < 2:
        raise ValueError(f"adding_batch: T must be at least 2, got {T}")
    values = rng.uniform(0.0, 1.0, (T, batch))
    marks = np.zeros((T, batch))
    cols = np.arange(batch)
    marks[rng.integers(0, T // 2, batch), cols] = 1.0
    marks[rng.integers(T // 2, T, batch), cols] = 1.0
    return np.stack([values, marks], axis=-1), np.sum(values * marks, axis=0)[:, None]


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


@dataclass(frozen=True)
class AddingConfig:
    """Adam with gradient-norm clipping on fresh batches of the adding problem."""

    cell: str = "lstm"
    T: int = 50
    n_hidden: int = 16
    batch: int = 32
    steps: int = 300
    lr: float = 0.02
    max_norm: float = 1.0
    truncate: int | None = None      # truncated BPTT: the gradient reaches back at most this many steps
    seed: int = 0


@dataclass(frozen=True)
class AddingResult:
    config: AddingConfig
    losses: np.ndarray        # training loss at each step (each on a fresh batch)
    grad_norms: np.ndarray    # gradient norm before clipping, at each step
    # on a fixed batch of 256 sequences, at "init" and after training ("final"):
    eval_loss: dict           # the loss
    sensitivity: dict         # RMS of d(prediction)/dx_{T-lag} over the batch, lag = 0..T-1
    marked: dict              # mean d(prediction)/d(value) at the (first, second) marker; ideal (1, 1)
    message: str = ""

    def final_loss(self, last=50) -> float:
        """Mean training loss over the last ``last`` steps."""
        return float(np.mean(self.losses[-last:]))


def run_adding(config: AddingConfig) -> AddingResult:
    """Train an RNN or LSTM cell with a linear readout of $h_T$ on the adding problem."""
    if config.cell not in ("rnn", "lstm"):
        raise ValueError(f"AddingConfig: cell must be 'rnn' or 'lstm', got {config.cell!r}")
    rng = np.random.default_rng(config.seed)
    make = LSTMCell if config.cell == "lstm" else RNNCell
    cell = make(2, config.n_hidden, rng=rng)
    W_out = Tensor(rng.standard_normal((config.n_hidden, 1)) / np.sqrt(config.n_hidden), requires_grad=True)
    b_out = Tensor(np.ones(1), requires_grad=True)       # start at the baseline prediction, 1
    params = cell.parameters() + [W_out, b_out]
    opt = Adam(params, lr=config.lr)
    record = np.full((2, config.steps), np.nan)
    message = ""
    eval_xs, eval_y = adding_batch(config.T, 256, rng=np.random.default_rng([config.seed, 1]))
    sensitivity, marked, eval_loss = {}, {}, {}

    def evaluate(when):       # how the prediction depends on each input, on a fixed batch
        inputs = [Tensor(x, requires_grad=True) for x in eval_xs]
        outputs, _ = unroll(cell, inputs)
        pred = outputs[-1] @ W_out + b_out
        eval_loss[when] = losses.mse(pred, eval_y).item()
        pred.sum().backward()            # row n of x_t.grad is d(pred_n)/d(x_{t,n})
        grads = np.array([x.grad for x in inputs])                 # (T, 256, 2)
        sensitivity[when] = np.sqrt(np.mean(grads ** 2, axis=(1, 2)))[::-1]
        marks = eval_xs[:, :, 1] == 1
        first = np.argmax(marks, axis=0)                           # the earlier marker of each sequence
        last = config.T - 1 - np.argmax(marks[::-1], axis=0)
        cols = np.arange(eval_xs.shape[1])
        marked[when] = (float(np.mean(grads[first, cols, 0])), float(np.mean(grads[last, cols, 0])))
        opt.zero_grad()

    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        evaluate("init")
        for step in range(config.steps):
            xs, y = adding_batch(config.T, config.batch, rng=rng)
            opt.zero_grad()
            cut = config.T - (config.truncate or config.T)
            state = None
            if cut > 0:              # the first steps run forward only: their state enters as a constant
                _, state = unroll(cell, list(xs[:cut]))
                state = tuple(Tensor(s.data) for s in state) if isinstance(state, tuple) else Tensor(state.data)
            outputs, _ = unroll(cell, list(xs[cut:]), state)
            loss = losses.mse(outputs[-1] @ W_out + b_out, y)
            if not np.isfinite(loss.item()):
                message = f"diverged: the loss became {loss.item()} at step {step}"
                break
            loss.backward()
            record[:, step] = loss.item(), clip_grad_norm(params, config.max_norm)
            opt.step()
        evaluate("final")
    return AddingResult(config=config, losses=record[0], grad_norms=record[1],
                        eval_loss=eval_loss, sensitivity=sensitivity, marked=marked, message=message)
