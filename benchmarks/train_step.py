"""One SGD training step of an MLP: lessonlib vs hand-written numpy vs torch (float64, CPU).

All contenders start from the same weights and data and do the same matmuls; the
hand-written numpy step (no graph, no bookkeeping) is the practical limit for lessonlib.
Before timing, one step of each is checked to give the same loss and the same weights.
"""
from __future__ import annotations

import numpy as np

import lessonlib
from lessonlib import nn
from lessonlib.ops import tanh_slope

from .timing import Row, fmt_bytes, fmt_timing, interleaved, traced_peak

__all__ = ["run"]

LR = 1e-3


def _lessonlib_net(weights, X, Y, activation):
    model = nn.MLP([X.shape[1]] * len(weights) + [Y.shape[1]], activation=activation,
                   init="xavier_normal", rng=np.random.default_rng(0))
    for layer, W in zip(model.layers, weights):
        layer.W.data[...] = W
    opt = nn.SGD(model.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        loss = lessonlib.mse(model(X), Y)
        loss.backward()
        opt.step()
        return loss.item()

    return step, lambda: [p.data for p in model.parameters()]


def _numpy_net(weights, X, Y, activation, exact_slope=False):
    """``exact_slope``: tanh' as lessonlib computes it (4e/(1+e)^2, accurate in the tails)
    instead of 1 - h^2, so that the ratio shows the engine's overhead alone."""
    params = [(W.copy(), np.zeros(W.shape[1])) for W in weights]
    last = len(params) - 1
    zs = []

    def step():
        hs, h = [X], X
        zs.clear()
        for i, (W, b) in enumerate(params):
            z = h @ W + b
            h = z if i == last else (np.tanh(z) if activation == "tanh" else np.maximum(z, 0.0))
            hs.append(h)
            if exact_slope:
                zs.append(z)            # (the exact slope needs z, as lessonlib keeps it)
        diff = h - Y
        loss = np.mean(diff * diff)
        g = (2.0 / diff.size) * diff                        # dL/d(output)
        for i in range(last, -1, -1):
            W, b = params[i]
            h_in = hs[i]
            gW, gb = h_in.T @ g, g.sum(axis=0)
            if i > 0:                                       # dL/dh, then through the activation
                g = g @ W.T
                if activation != "tanh":
                    g = g * (h_in > 0)
                else:
                    g = g * (tanh_slope(zs[i - 1]) if exact_slope else 1.0 - h_in * h_in)
            W -= LR * gW
            b -= LR * gb
        return float(loss)

    return step, lambda: [a for pair in params for a in pair]


def _torch_net(weights, X, Y, activation):
    import torch

    params = []
    for W in weights:
        params += [torch.tensor(W, requires_grad=True),
                   torch.zeros(W.shape[1], dtype=torch.float64, requires_grad=True)]
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    act = torch.tanh if activation == "tanh" else torch.relu

    def step():
        for p in params:
            p.grad = None
        h = Xt
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = act(h)
        loss = ((h - Yt) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    return step, lambda: [p.detach().numpy() for p in params]


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def run(*, depth=8, width=256, batch=256, repeats=20, activations=("tanh", "relu"),
        use_torch=True, threads=1) -> list:
    """Rows for the table: lessonlib against numpy (target 1.25x) and torch (target 1x)."""
    rows = []
    with_torch = use_torch and _torch_available()
    if with_torch:
        import torch
        torch.set_num_threads(threads)
    for activation in activations:
        rng = np.random.default_rng(1)
        X = rng.standard_normal((batch, width))
        Y = rng.standard_normal((batch, width))
        weights = [rng.standard_normal((width, width)) * np.sqrt(1.0 / width) for _ in range(depth)]
        makers = {"lessonlib": _lessonlib_net, "numpy": _numpy_net}
        if activation == "tanh":
            makers["numpy, exact tanh'"] = lambda *a: _numpy_net(*a, exact_slope=True)
        if with_torch:
            makers["torch"] = _torch_net
        nets = {name: make(weights, X, Y, activation) for name, make in makers.items()}
        losses = {name: step() for name, (step, _) in nets.items()}     # one checked step
        agree = max(lessonlib.rel_error(a, b)
                    for name, (_, get) in nets.items() if name != "lessonlib"
                    for a, b in zip(nets["lessonlib"][1](), get()))
        agree = max(agree, *(abs(losses["lessonlib"] - v) / abs(v) for v in losses.values()))
        if agree > 1e-10:
            raise AssertionError(f"train step ({activation}): contenders disagree, rel. error {agree:.1e}")
        timings = interleaved({name: step for name, (step, _) in nets.items()}, repeats=repeats)
        what = f"MLP {depth}x{width} {activation}, batch {batch}, fwd+bwd+SGD"
        mine = timings["lessonlib"]
        for ref, target in (("numpy", 1.25), ("numpy, exact tanh'", None), ("torch", 1.0)):
            if ref not in timings and target is None:
                continue
            if ref not in timings:
                if ref == "torch":
                    rows.append(Row("1 train step", what, fmt_timing(mine), "torch: not installed",
                                    target="<= 1.00x", note="skipped"))
                continue
            ratio = mine.median / timings[ref].median
            rows.append(Row("1 train step", what, fmt_timing(mine),
                            f"{ref} {fmt_timing(timings[ref])}", ratio,
                            "" if target is None else f"<= {target:.2f}x",
                            None if target is None else ratio <= target))
        peak = {name: traced_peak(nets[name][0]) for name in ("lessonlib", "numpy")}
        rows.append(Row("1 train step", f"MLP {depth}x{width} {activation}, peak memory of a step",
                        fmt_bytes(peak["lessonlib"]), f"numpy {fmt_bytes(peak['numpy'])}",
                        peak["lessonlib"] / peak["numpy"]))
    return rows
