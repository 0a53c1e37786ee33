r"""Checkers for the exercises: they grade the learner's own answer and say what is wrong.

A chapter's exercise has a *starter* cell that the learner fills in and that ends with a
checker call, for example::

    def he_variance(n_in):
        ...                                   # your answer here
    check_function(he_variance, lambda n: 2 / n, [(64,), (256,)], name="he_variance")

Every checker prints a one-line verdict and returns a :class:`Verdict`:

* ``correct`` when the answer matches;
* what is wrong when it does not ("off by a factor 2", "that is the standard deviation,
  not the variance", "shape (64, 32), expected (32, 64): transposed?");
* ``not attempted yet`` for an untouched starter (``...``, ``None``, or a function that
  raises ``NotImplementedError``). A checker never raises on an unattempted starter, so
  the notebook still runs from top to bottom.

A VJP the learner registers with ``defvjp`` is graded by :func:`check_vjp`, which
compares ``backward()`` with central differences and names the input, the slip (sign,
factor, all zeros, a wrong shape) and the worst entry.

Where things live (all of them importable from ``lessonlib.exercises``):

* :mod:`lessonlib.exercises.verdicts`: :class:`Verdict`, :func:`verdict`, and the two
  openings every checker shares, :func:`as_number` (:func:`as_numbers`) and :func:`call_learner`;
* :mod:`lessonlib.exercises.slips`: :func:`diagnose_numbers`, the slips a wrong number shows;
* :mod:`lessonlib.exercises.checkers`: the generic checkers (a number, an array, a
  function, a VJP, a choice).

A chapter's own checkers (``lessonlib.exercises.<topic>``) build on them: call them with
``show=False``, turn their message into the chapter's words, and return ``verdict(...)``.
"""
from __future__ import annotations

from .checkers import check_array, check_choice, check_function, check_number, check_vjp
from .slips import diagnose_numbers
from .verdicts import NOT_ATTEMPTED, Verdict, as_number, as_numbers, call_learner, unattempted, verdict

__all__ = ["Verdict", "NOT_ATTEMPTED", "unattempted", "verdict", "as_number", "as_numbers", "call_learner",
           "diagnose_numbers", "check_number", "check_array", "check_function", "check_vjp", "check_choice"]
