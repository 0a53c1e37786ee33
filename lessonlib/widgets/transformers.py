"""Widget over :func:`lessonlib.experiments.transformers.run_explorer` (chapter 8).

Left: the gradient norm of each block's parameters at initialization, for Post-LN and
Pre-LN (the chosen arrangement solid): two backward passes, kept per depth and logit
scale. Right: the training loss of the chosen arrangement on the reversal task, 40 Adam
steps. Training costs several times a redraw's 100 ms budget (many small ops per step
and per block), so in a live kernel the widget trains in a background thread: the
first draw at a new setting shows the gradients at once, with the last curve in grey,
and the new curve replaces it when its run ends; a run that a newer setting overtakes
stops at its next step. Runs are kept, so a setting seen before redraws completely at
once. After a run (and after the first draw) the thread also computes the gradients at
init of every depth at that logit scale and of every logit scale at that depth, so that
moving either slider next costs no backward pass. Without a kernel (tests, the website's
frames), and for the first draw, every draw is complete.
"""
from __future__ import annotations

import threading
import time
from dataclasses import replace

import ipywidgets as W
import numpy as np
from IPython import get_ipython

from ..checks import one_of
from ..experiments.transformers import ExplorerConfig, ExplorerResult, baseline, explorer_init, run_training
from .common import interactive_figure, render_figure

__all__ = ["transformer_widget", "plot_transformer", "TRANSFORMER_CONTROLS"]

#: The settings the widget can expose.
TRANSFORMER_CONTROLS = ("arrangement", "n_blocks", "logit_scale", "lr", "warmup")
#: Seconds a background run waits before it starts, so that it does not slow down the
#: redraws of a slider still moving (each new setting stops the run of the one before).
PAUSE = 0.05


def _kept(cache, key, compute):
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def _init_key(cfg, arrangement):
    return ("init", arrangement, cfg.n_blocks, cfg.logit_scale, cfg.seed)


def plot_transformer(axes, *, cache=None, previous=None, **settings):
    """Draw the explorer at ``settings`` (defaults: :class:`~lessonlib.experiments.transformers.ExplorerConfig`) on two axes.

    ``cache``: a dict in which runs are kept (the widget passes one): training runs
    under their ``ExplorerConfig``, gradients at initialization under
    ``("init", arrangement, n_blocks, logit_scale, seed)``. ``previous``: a
    ``TrainResult``; when given and the run at ``settings`` is not in ``cache``, nothing
    is trained, the other arrangement's gradients are drawn only if kept, and the right
    panel shows ``previous`` in grey with a note that the run is training (the widget's
    first draw at a new setting). Returns the
    :class:`~lessonlib.experiments.transformers.ExplorerResult` (``train`` None then).
    """
    cfg = ExplorerConfig(**settings)
    one_of("plot_transformer", "arrangement", cfg.arrangement, ("pre", "post"))
    pending = previous is not None and cache is not None and cfg not in cache
    init = {}
    for arr in ("post", "pre"):
        if not pending or arr == cfg.arrangement or _init_key(cfg, arr) in cache:
            init[arr] = _kept(cache, _init_key(cfg, arr), lambda: explorer_init(cfg, arr))
    train = None if pending else _kept(cache, cfg, lambda: run_training(cfg))
    for arr, grads in init.items():
        chosen = arr == cfg.arrangement
        axes[0].plot(np.arange(1, cfg.n_blocks + 1), grads.block_grad, "o-" if chosen else "o--", ms=3,
                     lw=2 if chosen else 1, label=f"{arr}-LN")
    axes[0].set(xlabel="block", ylabel="gradient norm at init", yscale="log",
                title=f"{cfg.n_blocks} blocks, logit scale {cfg.logit_scale:g}")
    axes[0].legend(fontsize=8)
    setting = f"{cfg.arrangement}-LN, lr {cfg.lr:.0e}, warm-up {cfg.warmup}"
    if pending:
        axes[1].plot(previous.losses, color="0.75", label="last setting")
        axes[1].set_title(f"{setting}: training {cfg.steps} steps ...")
    else:
        axes[1].plot(train.losses, color="C0" if cfg.arrangement == "post" else "C1")
        axes[1].set_title(f"{setting}: accuracy {train.accuracy:.2f}")
    axes[1].axhline(baseline(cfg.vocab), color="gray", ls="--", lw=0.8)
    axes[1].set(xlabel="Adam step", ylabel="cross-entropy", yscale="log")
    return ExplorerResult(cfg, init, train)


def _controls(defaults: ExplorerConfig) -> dict:
    return {
        "arrangement": W.Dropdown(options=["post", "pre"], value=defaults.arrangement, description="LayerNorm"),
        "n_blocks": W.IntSlider(value=defaults.n_blocks, min=1, max=16, description="blocks L"),
        "logit_scale": W.FloatLogSlider(value=defaults.logit_scale, base=2, min=-2, max=4, step=0.5,
                                        description="logit scale"),
        "lr": W.FloatLogSlider(value=defaults.lr, base=10, min=-3, max=-1, step=0.25, description="lr"),
        "warmup": W.IntSlider(value=defaults.warmup, min=0, max=40, step=5, description="warm-up"),
    }


def _raise(err):
    raise err


def _in_a_kernel() -> bool:
    shell = get_ipython()
    return getattr(shell, "kernel", None) is not None


def transformer_widget(show=TRANSFORMER_CONTROLS, *, background=None, **defaults):
    """Per-block gradient norms at initialization and a short training run, live.

    ``logit_scale`` multiplies the attention logits on top of $1/\\sqrt d$ (4 = no
    scaling at d = 16). ``defaults`` overrides :class:`~lessonlib.experiments.transformers.ExplorerConfig` fields.

    ``background`` (default: True in a live kernel, else False): a redraw at a setting
    not trained before draws the gradients and the last curve in grey at once and
    trains in a background thread, which draws the new curve when it is done. False:
    every redraw is complete (it trains first). The returned box also has ``trained``
    (the runs kept so far), ``training`` (the last background thread started, or None)
    and ``wait()``, which returns when that thread has finished.
    """
    base = ExplorerConfig(**defaults)
    unknown = set(show) - set(TRANSFORMER_CONTROLS)
    if unknown:
        raise ValueError(f"transformer_widget: no control for {sorted(unknown)}; "
                         f"choose from {TRANSFORMER_CONTROLS}")
    controls = {name: c for name, c in _controls(base).items() if name in show}
    trained = {}                    # kept: ExplorerConfig -> TrainResult, ("init", ...) -> InitGradResult
    shown = {"train": None, "generation": 0}

    def draw(axes, **values):       # complete: the first draw, the website's frames, background=False
        shown["train"] = plot_transformer(axes, cache=trained, **{**base.__dict__, **values}).train

    box = interactive_figure(controls, draw)
    box.trained, box.training = trained, None
    box.wait = lambda: box.training is not None and box.training.join()
    if not (_in_a_kernel() if background is None else background):
        return box

    lock = threading.Lock()         # one drawing at a time on the one figure

    def show_png(draw_on):
        png, box.last_error = render_figure(box.figure, draw_on, 2, {})
        box.image.value = png

    def in_background(cfg, generation, train):
        """Train ``cfg`` (if ``train``) and draw its run, then prepare the settings one slider away."""
        def stale():
            return shown["generation"] != generation

        time.sleep(PAUSE)           # a slider being dragged: start nothing until it rests
        if train and not stale():
            other = "pre" if cfg.arrangement == "post" else "post"
            _kept(trained, _init_key(cfg, other), lambda: explorer_init(cfg, other))
            try:
                run = run_training(cfg, stop=stale)
            except (ValueError, FloatingPointError, OverflowError, np.linalg.LinAlgError) as err:
                run = err                                # drawn as a message, like any failed draw
            with lock:
                if stale():                              # a newer setting is on screen
                    return
                if isinstance(run, Exception):
                    show_png(lambda axes: _raise(run))
                else:
                    trained[cfg] = run
                    show_png(lambda axes: draw(axes, **cfg.__dict__))
        # while the learner looks: the gradients at init of every setting one control away
        depth, scale = controls.get("n_blocks"), controls.get("logit_scale")
        near = [replace(cfg, n_blocks=n) for n in (range(depth.min, depth.max + 1) if depth else ())]
        if scale is not None:
            exponents = np.arange(scale.min, scale.max + scale.step / 2, scale.step)
            near += [replace(cfg, logit_scale=float(scale.base ** e)) for e in exponents]
        for other in near:
            for arr in ("post", "pre"):
                if stale():
                    return
                _kept(trained, _init_key(other, arr), lambda: explorer_init(other, arr))

    def start_background(cfg, train):
        box.training = threading.Thread(target=in_background, args=(cfg, shown["generation"], train), daemon=True)
        box.training.start()

    def redraw(_change=None):
        start = time.perf_counter()
        values = {**base.__dict__, **{name: c.value for name, c in controls.items()}}
        cfg = ExplorerConfig(**values)
        with lock:
            shown["generation"] += 1
            train = cfg not in trained and shown["train"] is not None
            if train:
                show_png(lambda axes: plot_transformer(axes, cache=trained, previous=shown["train"], **values))
            else:
                show_png(lambda axes: draw(axes, **values))
        box.last_seconds = time.perf_counter() - start
        if not box.last_error:
            start_background(cfg, train)

    for control in controls.values():
        control.unobserve(box.redraw, names="value")
        control.observe(redraw, names="value")
    box.redraw = redraw
    start_background(base, False)
    return box
