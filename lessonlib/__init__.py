"""lessonlib: the small numpy library behind the course on vanishing and exploding gradients.

Every gradient in the course is computed by :mod:`lessonlib.autodiff`, a float64
reverse-mode engine short enough to read in one sitting.
"""
from . import data, gradcheck, init, interop, nn, optim  # noqa: F401  (lessonlib.init etc.)
from .anomaly import detect_anomaly
from .autodiff import Tensor, defvjp, primitive
from .gradcheck import check_grad, grad_report, numerical_grad, rel_error
from .losses import cross_entropy, mse
from .ops import exp, leaky_relu, log, relu, sigmoid, softmax, tanh

__all__ = [
    "Tensor", "primitive", "defvjp",
    "exp", "log", "tanh", "sigmoid", "softmax", "relu", "leaky_relu", "mse", "cross_entropy",
    "check_grad", "grad_report", "numerical_grad", "rel_error", "detect_anomaly",
]
__version__ = "0.1.0"
