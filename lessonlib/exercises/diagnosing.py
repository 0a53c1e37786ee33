"""Chapter 9's exercises: networks with hidden faults, and checkers for the cause and the fix.

``mystery(k, seed=0)`` returns ``(model, X, y)`` for fault ``k`` = 1..4 without saying what
is wrong; the construction is in this file, out of the learner's sight in the chapter.
``check_cause(k, answer)`` grades a code from ``lessonlib.diagnosis.CODES``, and says
why a wrong one is wrong; ``check_fix(k, model)`` grades a repaired model: same weight
shapes, and ``diagnose`` finds nothing.
"""
from __future__ import annotations

import numpy as np

from .. import data, init
from ..diagnosis import CODES, diagnose
from ..layers import MLP
from ..checks import InputError
from .verdicts import NOT_ATTEMPTED, unattempted, verdict

__all__ = ["mystery", "check_cause", "check_fix", "MYSTERIES"]

#: fault k -> (the code, why each typical wrong answer is wrong)
MYSTERIES = {
    1: ("dead_units", {
        "vanishing_gradients": "the gradient at the first layer is not small against the last "
                               "(look at grad_rms): what is small is the number of units that ever fire",
        "saturated_units": "these are ReLU units: they have no flat tails on the right, only a zero "
                           "slope for z <= 0; count the units with z <= 0 on every example",
    }),
    2: ("vanishing_gradients", {
        "saturated_units": "the sigmoid units here sit near z = 0, far from their tails; the slope "
                           "1/4 is small on its own, and it is multiplied once per layer",
        "exploding_gradients": "compare the first layer's gradient with the last one's: it is smaller, "
                               "not larger",
    }),
    3: ("symmetric_units", {
        "dead_units": "the units are not silent: they all say the same thing. Compare two columns "
                      "of a layer's output",
        "vanishing_gradients": "the gradients are of normal size; they are just identical for every "
                               "unit of a layer",
    }),
    4: ("initial_loss_off", {
        "exploding_gradients": "the hidden layers' gradients are of normal size; the trouble is at "
                               "the output: compare the first loss with log 3",
        "saturated_units": "no hidden unit sits in its tails; the logits themselves are too large",
    }),
}


def _spirals(seed):
    X, y = data.spirals(50, 3, rng=np.random.default_rng(seed))
    return (X - X.mean(0)) / X.std(0), y


def mystery(k, seed=0):
    """``(model, X, y)``: a network with hidden fault ``k`` (1..4) on three standardized spirals."""
    if k not in MYSTERIES:
        raise InputError(f"mystery: k must be one of {sorted(MYSTERIES)}, got {k!r}")
    rng = np.random.default_rng(seed)
    X, y = _spirals(seed)
    if k == 1:
        net = MLP([2, 32, 32, 3], activation="relu", init="he_normal", rng=rng)
        net.layers[-1].W.data = init.lecun_normal(32, 3, rng=rng)
        net.layers[0].b.data = np.full(32, -4.0)
    elif k == 2:
        net = MLP([2] + [24] * 7 + [3], activation="sigmoid", init="xavier_normal", rng=rng)
    elif k == 3:
        net = MLP([2, 16, 16, 3], activation="tanh", init="xavier_normal", rng=rng)
        for layer in net.layers:
            layer.W.data = np.full(layer.W.shape, 0.2)
    else:
        net = MLP([2, 32, 32, 3], activation="tanh", init="xavier_normal", rng=rng)
        net.layers[-1].W.data = init.lecun_normal(32, 3, rng=rng, gain=50.0)
    return net, X, y


def check_cause(k, answer, *, show=True):
    """Is ``answer`` (a code string) the cause of mystery ``k``? Says why a wrong code is wrong."""
    name = f"cause of mystery {k}"
    if unattempted(answer):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    if k not in MYSTERIES:
        return verdict(False, f"there is no mystery {k!r}; they are {sorted(MYSTERIES)}", name, show=show)
    if not isinstance(answer, str) or answer.strip().lower() not in CODES:
        return verdict(False, f"{answer!r} is not one of the codes {list(CODES)}", name, show=show)
    answer = answer.strip().lower()
    code, why = MYSTERIES[k]
    if answer == code:
        return verdict(True, f"correct: {code}", name, show=show)
    if answer == "loss_diverging":
        return verdict(False, "loss_diverging needs training steps; this fault is visible at "
                       "initialization, in one forward and backward pass", name, show=show)
    return verdict(False, f"not {answer}: " + why.get(answer, f"diagnose() does not find {answer} "
                   "here; look again at the statistics of one pass"), name, show=show)


def check_fix(k, model, *, show=True):
    """Is ``model`` a repaired mystery ``k``: same weight shapes, and diagnose() finds nothing?"""
    name = f"fix of mystery {k}"
    if unattempted(model):
        return verdict(None, NOT_ATTEMPTED, name, show=show)
    broken, X, y = mystery(k)
    shapes = [p.shape for p in broken.parameters()]
    try:
        mine = [p.shape for p in model.parameters()]
    except AttributeError:
        return verdict(False, f"expected a model (a Module), got {type(model).__name__}", name, show=show)
    if mine != shapes:
        return verdict(False, f"the parameter shapes changed ({mine} instead of {shapes}): repair the "
                       "network, do not replace its architecture", name, show=show)
    try:
        found = diagnose(model, X, y).codes
    except (ValueError, TypeError) as e:          # e.g. non-finite weights, no activation left
        return verdict(False, f"diagnose() cannot run on this model: {e}", name, show=show)
    if found:
        return verdict(False, f"diagnose() still finds {sorted(found)}", name, show=show)
    return verdict(True, "correct: same architecture, and diagnose() finds nothing", name, show=show)
