"""What :func:`lessonlib.diagnosis.diagnose` returns (chapter 9): the codes, the advice
that points to the chapter with each fix, a :class:`Finding` per code and the
:class:`Diagnosis` with the statistics behind it (read by ``lessonlib.plotting.diagnostics``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CODES", "ADVICE", "Finding", "Diagnosis"]

CODES = ("vanishing_gradients", "exploding_gradients", "saturated_units", "dead_units",
         "symmetric_units", "initial_loss_off", "loss_diverging")

ADVICE = {
    "vanishing_gradients": "scale the weights to the activation (Xavier/He, chapter 3), use ReLU "
                           "(chapter 4), batch norm (chapter 5) or residual connections (chapter 6)",
    "exploding_gradients": "lower the weight gain (chapter 3), normalize inputs and targets, "
                           "or clip the gradient norm (chapter 7)",
    "saturated_units": "shrink the weights or inputs so |z| stays near 1: Xavier init (chapter 3) "
                       "or batch norm (chapter 5); sigmoid/tanh slopes in chapter 2",
    "dead_units": "He init with zero biases (chapters 3-4), a lower learning rate, or a leaky "
                  "ReLU / ELU (chapter 4)",
    "symmetric_units": "initialize weights randomly (chapter 3): identical units receive "
                       "identical gradients and stay identical",
    "initial_loss_off": "shrink the last layer's weights so the first logits are near 0 "
                        "(chapter 3: the output layer sets the initial loss)",
    "loss_diverging": "lower the learning rate or clip the gradient norm (chapter 7); "
                      "normalization (chapter 5) allows larger steps",
}


@dataclass(frozen=True)
class Finding:
    """One code, where it was found (``layer``), the numbers behind it and the fix."""

    code: str
    layer: str
    evidence: str
    advice: str

    def __str__(self):
        return f"{self.code} at {self.layer}: {self.evidence}.\n    fix: {self.advice}"


@dataclass(frozen=True)
class Diagnosis:
    """What ``diagnose`` saw.

    ``codes`` (frozenset of ``CODES``), ``findings`` (tuple of Finding);
    ``loss0`` the initial loss and ``expected_loss`` its reference value;
    per activation layer k = 0..K-1 (input side first): ``layer_names`` (K,),
    ``kinds`` (K,), ``grad_rms`` (K,), ``saturated`` (K,) and ``dead`` (K,) at init
    (nan where not defined), ``activations``/``gradients``: K flat arrays at init;
    per weight matrix j = 0..J-1: ``weight_names`` (J,), ``weight_ratio`` (J,) =
    ||dL/dW|| / ||W||. With steps: ``losses`` (steps+1,), ``update_ratio``
    (steps, J) = std(lr dL/dW) / std(W), ``saturated_history``/``dead_history``
    (steps+1, K), ``activations_end``/``gradients_end`` (K flat arrays after
    training), ``mean_history``/``std_history`` (steps+1, K) of the activations.
    """

    codes: frozenset
    findings: tuple
    loss0: float
    expected_loss: float
    layer_names: tuple
    kinds: tuple
    grad_rms: np.ndarray
    saturated: np.ndarray
    dead: np.ndarray
    activations: tuple
    gradients: tuple
    weight_names: tuple
    weight_ratio: np.ndarray
    steps: int = 0
    lr: float | None = None
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    update_ratio: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    saturated_history: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    dead_history: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    mean_history: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    std_history: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    activations_end: tuple = ()
    gradients_end: tuple = ()

    @property
    def healthy(self) -> bool:
        return not self.codes

    def __str__(self):
        head = (f"diagnose: initial loss {self.loss0:.4g} (expected about {self.expected_loss:.4g}); "
                f"{len(self.layer_names)} activation layers, {len(self.weight_names)} weight matrices")
        if self.steps:
            head += f"; {self.steps} SGD steps at lr = {self.lr:g}: loss {self.losses[0]:.4g} -> {self.losses[-1]:.4g}"
        if not self.findings:
            return head + "\nno problem found (healthy)."
        return head + "\n" + "\n".join(f"- {f}" for f in self.findings)
