"""Layers, models and SGD under one name: ``lessonlib.nn`` gathers what a network is built from.

Each piece lives in the module named after what it holds, and is re-exported here:
:class:`~lessonlib.layers.Linear` and :class:`~lessonlib.layers.MLP` (``layers``),
:class:`~lessonlib.normalization.BatchNorm` (``normalization``, chapter 5),
:class:`~lessonlib.recurrent.RNNCell` and :class:`~lessonlib.recurrent.LSTMCell`
(``recurrent``, chapter 7), :class:`~lessonlib.residual.ResidualBlock` and
:class:`~lessonlib.residual.ResidualMLP` (``residual``, chapter 6), and
:class:`~lessonlib.optim.SGD` (``optim``, with Adam). ``ACTIVATIONS`` is
:data:`lessonlib.activations.FUNCTIONS`. None of those modules imports this one.
"""
from __future__ import annotations

from .activations import FUNCTIONS as ACTIVATIONS
from .layers import MLP, Linear
from .module import Module
from .normalization import BatchNorm
from .optim import SGD
from .recurrent import LSTMCell, RNNCell
from .residual import ResidualBlock, ResidualMLP

__all__ = ["Module", "Linear", "MLP", "SGD", "ACTIVATIONS", "BatchNorm", "RNNCell", "LSTMCell",
           "ResidualBlock", "ResidualMLP"]
