"""Exercise of notebook 03: the spike correlation metric in closed form (exercise 3.1).

``check_spike_correlation(spike_correlation)`` in the notebook's check cell;
the conventions are those of :mod:`normad_edu.course.exercises.framework`.

Units: ms.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ...params import SIGMA
from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_spike_correlation", "reference_spike_correlation"]


def reference_spike_correlation(a, b, sigma: float = SIGMA) -> float:
    """Spike correlation metric in closed form (3.4), exercise 3.1.

    ``C = sum_ij g(a_i - b_j) / sqrt(sum_ij g(a_i - a_j) sum_ij g(b_i - b_j))``
    with ``g(x) = exp(-x^2 / (4 sigma^2))``; 1 if both trains are empty, 0 if
    exactly one is. Times and ``sigma`` in ms.
    """
    a, b = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    if a.size == 0 and b.size == 0:
        return 1.0
    if a.size == 0 or b.size == 0:
        return 0.0

    def inner(x, y):
        return float(np.exp(-np.subtract.outer(x, y) ** 2 / (4.0 * sigma**2)).sum())

    return inner(a, b) / math.sqrt(inner(a, a) * inner(b, b))


@functools.lru_cache(maxsize=None)
def _cases() -> tuple:
    rng = np.random.default_rng(31)
    ra = np.sort(np.round(rng.uniform(0.0, 100.0, 7), 3))
    rb = np.sort(np.concatenate([ra[:4] + np.round(rng.normal(0.0, 1.5, 4), 3), [55.5]]))
    return make_cases(reference_spike_correlation, [
        ("three spikes each, two of them close (sigma = 2 ms)", np.array([10.0, 30.0, 31.5]),
         np.array([10.4, 29.0, 45.0]), SIGMA),
        ("identical trains (sigma = 1 ms)", np.array([5.0, 17.0, 40.0]), np.array([5.0, 17.0, 40.0]), 1.0),
        ("two single spikes 0.8 ms apart, sigma = 0.5 ms", np.array([20.0]), np.array([20.8]), 0.5),
        ("both trains empty", np.array([]), np.array([]), SIGMA),
        ("the observed train is empty", np.array([5.0, 9.0]), np.array([]), SIGMA),
        ("the desired train is empty", np.array([]), np.array([12.0]), SIGMA),
        ("7 against 5 spikes, sigma = 5 ms", ra, rb, 5.0),
        ("a burst against one spike (cross terms within a train matter)", np.array([10.0, 11.0, 12.0]),
         np.array([11.0]), 3.0),
    ])


def _variant(*, denom=4.0, sigma_power=2, norm="cosine", empty=True):
    def fn(a, b, sigma=SIGMA):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if empty:
            if a.size == 0 and b.size == 0:
                return 1.0
            if a.size == 0 or b.size == 0:
                return 0.0

        def inner(x, y):
            return np.exp(-np.subtract.outer(x, y) ** 2 / (denom * sigma**sigma_power)).sum()

        ab, aa, bb = inner(a, b), inner(a, a), inner(b, b)
        return {"cosine": lambda: ab / np.sqrt(aa * bb), "none": lambda: ab, "counts": lambda: ab / (a.size * b.size),
                "diagonal": lambda: ab / np.sqrt(a.size * b.size), "nosqrt": lambda: ab / (aa * bb)}[norm]()

    return fn


EXERCISE = Exercise(
    "03", "3.1", "spike_correlation", reference_spike_correlation, _cases, "number",
    hint="check the pieces of (3.4) one at a time on the case shown: the cross sum between the two trains, the "
         "two sums within one train (over all pairs i, j), the width of the Gaussian in the exponent, and the "
         "conventions for empty trains.",
    mistakes=(
        Mistake("the product of two Gaussians of width sigma integrates to a Gaussian of width sqrt(2) sigma: "
                "recheck the denominator of the exponent.", _variant(denom=2.0)),
        Mistake("sigma is squared in the exponent.", _variant(sigma_power=1)),
        Mistake("divide by the norms: C is a cosine, <f, g> / (||f|| ||g||).", _variant(norm="none")),
        Mistake("the norms are sqrt(<f, f>), sums over pairs of spikes of one train, not spike counts.",
                _variant(norm="counts")),
        Mistake("||f||^2 is a sum over all pairs i, j of the same train, not only i = j: close spikes of one "
                "train overlap.", _variant(norm="diagonal")),
        Mistake("take the square root of the product of the two squared norms.", _variant(norm="nosqrt")),
        Mistake("handle empty trains first: both empty gives 1 (identical), exactly one empty gives 0.",
                _variant(empty=False)),
        Mistake("use the sigma argument (you seem to use the default 2 ms).",
                lambda a, b, sigma=SIGMA: reference_spike_correlation(a, b, SIGMA)),
    ),
    forbidden=("normad_edu.metrics:correlation", "normad_edu.metrics:correlation_padded",
               "normad_edu.metrics:_gaussian_inner"),
    allowed="with numpy: a double sum over spike pairs, e.g. np.subtract.outer",
    note="normad_edu.metrics.correlation computes the same sums, vectorised over many trains.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE}


def check_spike_correlation(spike_correlation, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``spike_correlation(a, b, sigma)`` (exercise 3.1); print the verdict."""
    return check(EXERCISE, spike_correlation, hidden=hidden)
