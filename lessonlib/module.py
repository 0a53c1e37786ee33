"""The base class of every layer and model: it finds its own parameters."""
from __future__ import annotations

from .autodiff import Tensor

__all__ = ["Module"]


class Module:
    """Something with trainable tensors: ``parameters()`` finds them in the attributes.

    Attributes are searched through lists, tuples and dicts, nested to any depth,
    so ``self.layers = {"enc": Linear(...), "dec": [Linear(...), BatchNorm(...)]}``
    is found by ``parameters()``, ``train()`` and ``eval()`` alike.

    ``training`` is True by default; ``eval()`` switches this module and every
    sub-module to evaluation mode (it matters for batch normalization).
    """

    training = True

    def _attributes(self):
        """Every value held by an attribute, looking inside lists, tuples and dicts (nested too)."""
        stack, seen = list(vars(self).values())[::-1], set()
        while stack:
            value = stack.pop()
            if isinstance(value, (list, tuple, dict)):
                if id(value) not in seen:          # (a container that holds itself)
                    seen.add(id(value))
                    items = value.values() if isinstance(value, dict) else value
                    stack.extend(list(items)[::-1])
            else:
                yield value

    def _walk(self):
        """Depth first, in attribute order: ``(module, value)`` for every non-Module value,
        and ``(module, None)`` on entering each module (each module once)."""
        seen, stack = {id(self)}, [(self, iter(self._attributes()))]
        yield self, None
        while stack:
            module, values = stack[-1]
            value = next(values, stack)             # (stack: a sentinel for "exhausted")
            if value is stack:
                stack.pop()
            elif isinstance(value, Module):
                if id(value) not in seen:
                    seen.add(id(value))
                    yield value, None
                    stack.append((value, iter(value._attributes())))
            else:
                yield module, value

    def modules(self) -> list:
        """This module and every sub-module below it, each once (a cycle is followed once)."""
        return [m for m, value in self._walk() if value is None]

    def parameters(self) -> list:
        """Every Tensor with ``requires_grad`` held by this module or its sub-modules, once each.

        (A tensor reachable through two attributes is listed once, so that an
        optimizer never updates it twice.)
        """
        found = {}
        for _, t in self._walk():
            if isinstance(t, Tensor) and t.requires_grad:
                found.setdefault(id(t), t)
        return list(found.values())

    def train(self, mode: bool = True):
        """Set training mode (``mode=True``) or evaluation mode here and below; returns self."""
        if not isinstance(mode, (bool, int)) or mode not in (0, 1):
            raise TypeError(f"train: mode must be True or False, got {mode!r}")
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()
