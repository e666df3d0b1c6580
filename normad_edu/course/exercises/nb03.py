"""Exercises of notebook 03: the correlation metric (3.1) and its exponential cousin (3.2), in closed form.

* 3.1 ``spike_correlation``: the closed form (3.4) of the Gaussian
  correlation metric.
* 3.2 ``exp_correlation`` (a derivation the notebook does not give): the
  cosine of *exponentially* filtered trains (the van Rossum filter of (3.5)),
  the metric of the authors' group's public code; the learner derives its
  closed form, and the notebook compares the two metrics' verdicts.

``check_spike_correlation(spike_correlation)`` and
``check_exp_correlation(exp_correlation)`` in the notebook's check cells; the
conventions are those of :mod:`normad_edu.course.exercises.framework`.

Units: ms.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ...params import SIGMA
from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_exp_correlation", "check_spike_correlation", "reference_exp_correlation",
           "reference_spike_correlation"]


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

# ---------------------------------------------------------------------------
# Exercise 3.2: the cosine of exponentially filtered trains
# ---------------------------------------------------------------------------

#: Time constant of the exponential filter of exercise 3.2 (ms): the value of the group's code.
TAU_EXP = 5.0


def reference_exp_correlation(a, b, tau: float = TAU_EXP) -> float:
    """Cosine of the exponentially filtered trains ``a`` and ``b``, exercise 3.2.

    ``f(t) = sum_i exp(-(t - a_i)/tau) Theta(t - a_i)`` (the filter of (3.5)),
    ``g`` likewise from ``b``; ``C = <f, g> / (||f|| ||g||)`` over the whole
    time line, in closed form:
    ``sum_ij e^{-|a_i - b_j|/tau} / sqrt(sum_ij e^{-|a_i - a_j|/tau} sum_ij e^{-|b_i - b_j|/tau})``.
    1 if both trains are empty, 0 if exactly one is. Times and ``tau`` in ms.
    """
    a, b = np.asarray(a, dtype=float).reshape(-1), np.asarray(b, dtype=float).reshape(-1)
    if a.size == 0 and b.size == 0:
        return 1.0
    if a.size == 0 or b.size == 0:
        return 0.0

    def inner(x, y):
        return float(np.exp(-np.abs(np.subtract.outer(x, y)) / tau).sum())

    return inner(a, b) / math.sqrt(inner(a, a) * inner(b, b))


def _exp_variant(kernel="laplace", norm="cosine", empty=True, scale=1.0):
    def fn(a, b, tau=TAU_EXP):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if empty:
            if a.size == 0 and b.size == 0:
                return 1.0
            if a.size == 0 or b.size == 0:
                return 0.0

        def inner(x, y):
            d = np.subtract.outer(x, y)
            if kernel == "no abs":
                return np.exp(-d / (scale * tau)).sum()
            if kernel == "squared":
                return np.exp(-d**2 / tau**2).sum()
            return np.exp(-np.abs(d) / (scale * tau)).sum()

        ab, aa, bb = inner(a, b), inner(a, a), inner(b, b)
        return {"cosine": lambda: ab / np.sqrt(aa * bb), "none": lambda: ab,
                "diagonal": lambda: ab / np.sqrt(a.size * b.size), "nosqrt": lambda: ab / (aa * bb)}[norm]()

    return fn


@functools.lru_cache(maxsize=None)
def _exp_cases() -> tuple:
    rng = np.random.default_rng(32)
    ra = np.sort(np.round(rng.uniform(0.0, 100.0, 6), 3))
    rb = np.sort(np.concatenate([ra[:4] + np.round(rng.normal(0.0, 1.0, 4), 3), [61.5]]))
    return make_cases(reference_exp_correlation, [
        ("three spikes each, two of them close (tau = 5 ms)", np.array([10.0, 30.0, 31.5]),
         np.array([10.4, 29.0, 45.0]), TAU_EXP),
        ("two single spikes 0.5 ms apart (tau = 5 ms)", np.array([20.0]), np.array([20.5]), TAU_EXP),
        ("the same pair, the other way round (b before a)", np.array([20.5]), np.array([20.0]), TAU_EXP),
        ("identical trains, tau = 2 ms", np.array([5.0, 17.0, 40.0]), np.array([5.0, 17.0, 40.0]), 2.0),
        ("both trains empty", np.array([]), np.array([]), TAU_EXP),
        ("the observed train is empty", np.array([5.0, 9.0]), np.array([]), TAU_EXP),
        ("6 against 5 spikes, tau = 10 ms", ra, rb, 10.0),
        ("a burst against one spike, tau = 3 ms (pairs within a train count)", np.array([10.0, 11.0, 12.0]),
         np.array([11.0]), 3.0),
    ])


def _exp_hidden(rng: np.random.Generator) -> tuple:
    rows = []
    for k in range(4):
        a = np.sort(np.round(rng.uniform(0.0, 80.0, rng.integers(1, 7)), 3))
        b = np.sort(np.round(rng.uniform(0.0, 80.0, rng.integers(1, 7)), 3))
        rows.append((f"hidden case {k + 1}", a, b, float(np.round(rng.uniform(0.5, 20.0), 3))))
    return make_cases(reference_exp_correlation, rows, hidden=True)


EXP_EXERCISE = Exercise(
    "03", "3.2", "exp_correlation", reference_exp_correlation, _exp_cases, "number",
    hint="compute <f, g> for one spike of each train first: the product of two causal exponentials is non-zero "
         "only after the later of the two spikes, so integrate from there. Then sum over all pairs, as (3.4) does "
         "for Gaussians, and normalise. Check a single pair 0.5 ms apart both ways round, and compare your function "
         "with a numerical integral of normad_edu.metrics.exponential_trace on a fine grid.",
    mistakes=(
        Mistake("the result must not depend on which of the two spikes comes first: the overlap of two causal "
                "exponentials depends on the distance between the spikes, whichever is earlier.",
                _exp_variant(kernel="no abs")),
        Mistake("recheck the decay of the overlap with the distance between the spikes: integrate the product of the "
                "two exponentials from the later spike on.", _exp_variant(scale=2.0)),
        Mistake("the exponential filter is not a Gaussian: its overlap decays with the distance itself, not its "
                "square.", _exp_variant(kernel="squared")),
        Mistake("divide by the norms: the metric is a cosine, <f, g> / (||f|| ||g||).", _exp_variant(norm="none")),
        Mistake("||f||^2 is a sum over all pairs i, j of the same train, not only i = j: close spikes of one train "
                "overlap.", _exp_variant(norm="diagonal")),
        Mistake("take the square root of the product of the two squared norms.", _exp_variant(norm="nosqrt")),
        Mistake("handle empty trains first: both empty gives 1 (identical), exactly one empty gives 0.",
                _exp_variant(empty=False)),
        Mistake("use the tau argument (you seem to use the default 5 ms).",
                lambda a, b, tau=TAU_EXP: reference_exp_correlation(a, b, TAU_EXP)),
    ),
    hidden_cases=_exp_hidden,
    forbidden=("normad_edu.metrics:correlation", "normad_edu.metrics:correlation_padded"),
    allowed="with numpy (a double sum over spike pairs) or from the van Rossum distance",
    note="For small shifts it is stricter than the Gaussian metric of (3.4); the next cell measures where they cross.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE, EXP_EXERCISE.name: EXP_EXERCISE}


def check_spike_correlation(spike_correlation, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``spike_correlation(a, b, sigma)`` (exercise 3.1); print the verdict."""
    return check(EXERCISE, spike_correlation, hidden=hidden)


def check_exp_correlation(exp_correlation, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``exp_correlation(a, b, tau)`` (exercise 3.2); print the verdict."""
    return check(EXP_EXERCISE, exp_correlation, hidden=hidden)
