"""The base class of every layer and model: it finds its own parameters."""
from __future__ import annotations

from .autodiff import Tensor

__all__ = ["Module"]


class Module:
    """Something with trainable tensors: ``parameters()`` finds them in the attributes.

    ``training`` is True by default; ``eval()`` switches this module and every
    sub-module to evaluation mode (it matters for batch normalization).
    """

    training = True

    def _attributes(self):
        for value in vars(self).values():
            yield from (value if isinstance(value, (list, tuple)) else [value])

    def parameters(self) -> list:
        """Every Tensor with ``requires_grad`` held by this module or its sub-modules, once each.

        (A tensor reachable through two attributes is listed once, so that an
        optimizer never updates it twice.)
        """
        found = {}
        for item in self._attributes():
            tensors = item.parameters() if isinstance(item, Module) else [item]
            for t in tensors:
                if isinstance(t, Tensor) and t.requires_grad:
                    found.setdefault(id(t), t)
        return list(found.values())

    def train(self, mode: bool = True):
        """Set training mode (``mode=True``) or evaluation mode here and below; returns self."""
        self.training = bool(mode)
        for item in self._attributes():
            if isinstance(item, Module):
                item.train(mode)
        return self

    def eval(self):
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()
