"""Backward through long graphs: the engine's overhead per node, in time and in memory.

Three graphs, each built and differentiated by lessonlib, by hand-written numpy (forward
loop, then the backward loop of the chain rule: no graph) and by torch when installed:

* a scalar chain  h <- tanh(w h), 1,000 steps (2,000 nodes): almost pure overhead;
* a vector chain  the same with h and w of 256 entries: overhead plus small arrays;
* an RNN          h <- tanh(x_t Wxh + h Whh + b), 100 steps, batch 32, 16 -> 128.

The difference between lessonlib and numpy, divided by the number of graph nodes, is the
cost of recording and walking the graph per node. Peak memory is traced with tracemalloc
(numpy buffers included; torch's allocator is not traced, so torch has no memory figure).
"""
from __future__ import annotations

import numpy as np

import lessonlib
from lessonlib import Tensor

from .timing import Row, fmt_bytes, fmt_time, fmt_timing, interleaved, traced_peak

__all__ = ["run"]


# --- chains: h <- tanh(w * h) ------------------------------------------------------------
def _chain_lessonlib(x0, w0, steps):
    def run():
        x, w = Tensor(x0, requires_grad=True), Tensor(w0, requires_grad=True)
        h = x
        for _ in range(steps):
            h = lessonlib.tanh(w * h)
        h.sum().backward()
        return x.grad, w.grad
    return run


def _chain_numpy(x0, w0, steps):
    def run():
        hs = [x0]
        for _ in range(steps):
            hs.append(np.tanh(w0 * hs[-1]))
        g, gw = np.ones_like(x0), np.zeros_like(w0)
        for t in range(steps, 0, -1):
            gz = g * (1.0 - hs[t] * hs[t])
            gw = gw + gz * hs[t - 1]
            g = gz * w0
        return g, gw
    return run


def _chain_torch(x0, w0, steps):
    import torch

    def run():
        x = torch.tensor(x0, requires_grad=True)
        w = torch.tensor(w0, requires_grad=True)
        h = x
        for _ in range(steps):
            h = torch.tanh(w * h)
        h.sum().backward()
        return x.grad.numpy(), w.grad.numpy()
    return run


# --- RNN: h <- tanh(x_t Wxh + h Whh + b) ---------------------------------------------------
def _rnn_lessonlib(xs, Wxh, Whh, b):
    def run():
        params = [Tensor(a, requires_grad=True) for a in (Wxh, Whh, b)]
        Wx, Wh, bb = params
        h = Tensor(np.zeros((xs.shape[1], Whh.shape[0])))
        for x_t in xs:
            h = lessonlib.tanh(x_t @ Wx + h @ Wh + bb)
        (h * h).mean().backward()
        return [p.grad for p in params]
    return run


def _rnn_numpy(xs, Wxh, Whh, b):
    def run():
        hs = [np.zeros((xs.shape[1], Whh.shape[0]))]
        for x_t in xs:
            hs.append(np.tanh(x_t @ Wxh + hs[-1] @ Whh + b))
        g = 2.0 * hs[-1] / hs[-1].size
        gWx, gWh, gb = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(b)
        for t in range(len(xs), 0, -1):
            gz = g * (1.0 - hs[t] * hs[t])
            gWx += xs[t - 1].T @ gz
            gWh += hs[t - 1].T @ gz
            gb += gz.sum(axis=0)
            g = gz @ Whh.T
        return [gWx, gWh, gb]
    return run


def _rnn_torch(xs, Wxh, Whh, b):
    import torch

    def run():
        params = [torch.tensor(a, requires_grad=True) for a in (Wxh, Whh, b)]
        Wx, Wh, bb = params
        h = torch.zeros((xs.shape[1], Whh.shape[0]), dtype=torch.float64)
        for x_t in torch.from_numpy(xs):
            h = torch.tanh(x_t @ Wx + h @ Wh + bb)
        (h * h).mean().backward()
        return [p.grad.numpy() for p in params]
    return run


def _cases(quick):
    rng = np.random.default_rng(2)
    steps = 50 if quick else 1000
    rnn_steps = 10 if quick else 100
    width = 256
    x_vec, w_vec = rng.uniform(-1, 1, width), rng.uniform(0.5, 1.5, width)
    xs = rng.standard_normal((rnn_steps, 32, 16))
    Wxh = rng.standard_normal((16, 128)) / 4.0
    Whh = rng.standard_normal((128, 128)) / np.sqrt(128)
    b = np.zeros(128)
    return [
        # name, makers' arguments, graph nodes (tanh, mul, add, matmul, mean: one each)
        (f"scalar chain, {steps} steps", (np.array(0.5), np.array(0.9), steps), 2 * steps + 1,
         (_chain_lessonlib, _chain_numpy, _chain_torch)),
        (f"vector chain ({width},), {steps} steps", (x_vec, w_vec, steps), 2 * steps + 1,
         (_chain_lessonlib, _chain_numpy, _chain_torch)),
        (f"RNN 16->128, batch 32, {rnn_steps} steps", (xs, Wxh, Whh, b), 5 * rnn_steps + 2,
         (_rnn_lessonlib, _rnn_numpy, _rnn_torch)),
    ]


def run(*, quick=False, repeats=15, use_torch=True, threads=1) -> list:
    """Rows: time of forward+backward against numpy and torch, peak memory, overhead per node."""
    has_torch = False
    if use_torch:
        try:
            import torch
            torch.set_num_threads(threads)
            has_torch = True
        except ImportError:
            pass
    rows = []
    for what, args, nodes, makers in _cases(quick):
        funs = {"lessonlib": makers[0](*args), "numpy": makers[1](*args)}
        if has_torch:
            funs["torch"] = makers[2](*args)
        results = {name: f() for name, f in funs.items()}
        worst = max(lessonlib.rel_error(a, b) for name in funs for a, b in
                    zip(results["lessonlib"], results[name]))
        if worst > 1e-10:
            raise AssertionError(f"{what}: contenders disagree, rel. error {worst:.1e}")
        timings = interleaved(funs, repeats=repeats)
        mine = timings["lessonlib"]
        section = "backward"
        label = f"{what}, fwd+bwd"
        for ref in ("numpy", "torch"):
            if ref in timings:
                rows.append(Row(section, label, fmt_timing(mine), f"{ref} {fmt_timing(timings[ref])}",
                                mine.median / timings[ref].median))
        per_node = (mine.min - timings["numpy"].min) / nodes
        rows.append(Row(section, f"{what}, overhead per node ({nodes} nodes)", fmt_time(max(per_node, 0)),
                        f"lessonlib {fmt_time(mine.min / nodes)}/node in all"))
        peak = {name: traced_peak(funs[name]) for name in ("lessonlib", "numpy")}
        rows.append(Row(section, f"{what}, peak memory", fmt_bytes(peak["lessonlib"]),
                        f"numpy {fmt_bytes(peak['numpy'])}", peak["lessonlib"] / peak["numpy"],
                        note=f"{fmt_bytes(peak['lessonlib'] / nodes)}/node"))
    return rows
