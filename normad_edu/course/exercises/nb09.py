"""Exercises of notebook 09: the surrogate of the threshold (exercise 9.1) and the loss of one misplaced spike
(exercise 9.2, a derivation).

* 9.1 ``fast_sigmoid``: the fast-sigmoid surrogate of the threshold's
  derivative, (9.3), with the membrane measured above rest (``u = V - EL``).
* 9.2 ``one_spike_loss``: the surrogate rule's van Rossum loss (9.4) when the
  desired train is one spike and the output one spike too, in closed form
  over a finite epoch. The notebook gives the loss, not this result: the
  learner splits the epoch at the two spikes and integrates.

``check_fast_sigmoid(fast_sigmoid)`` and ``check_one_spike_loss(one_spike_loss)``
in the notebook's check cells; the conventions are those of
:mod:`normad_edu.course.exercises.framework`. Units: ms, mV.
"""

from __future__ import annotations

import functools

import numpy as np

from ...params import EL, VT
from .framework import Exercise, Mistake, Verdict, check, ignores_argument, make_cases

__all__ = ["EXERCISES", "check_fast_sigmoid", "check_one_spike_loss", "reference_fast_sigmoid",
           "reference_one_spike_loss"]

#: Threshold above rest (mV) and the surrogate's default steepness.
THETA = VT - EL
SLOPE = 1.0
#: Epoch (ms) and van Rossum time constant (ms) of exercise 9.2's defaults.
T_DEFAULT, TAU_DEFAULT = 500.0, 10.0


# ---------------------------------------------------------------------------
# 9.1 the fast sigmoid
# ---------------------------------------------------------------------------

def reference_fast_sigmoid(u, theta: float = THETA, slope: float = SLOPE) -> np.ndarray:
    """The surrogate of ``dH(u - theta)/du`` (1/mV), exercise 9.1: ``(1/theta) / (1 + slope |u - theta| / theta)^2``.

    ``u``: membrane potential above rest (mV), any shape; ``theta``: threshold above rest (mV), > 0;
    ``slope``: steepness (dimensionless), > 0.
    """
    u = np.asarray(u, dtype=float)
    return (1.0 / theta) / (1.0 + slope * np.abs(u - theta) / theta) ** 2


@functools.lru_cache(maxsize=None)
def _sigmoid_cases() -> tuple:
    u = np.linspace(-20.0, 140.0, 81)
    return make_cases(reference_fast_sigmoid, [
        ("the package's default: theta = 90 mV, slope 1, u from below rest to above threshold", u, THETA, SLOPE),
        ("snnTorch's default steepness, slope 25", u, THETA, 25.0),
        ("a threshold 15 mV above rest, slope 4", np.linspace(-5.0, 30.0, 36), 15.0, 4.0),
        ("a single potential exactly at threshold (the peak)", np.array(20.0), 20.0, 2.5),
        ("a 2-D array of potentials, theta = 60 mV, slope 0.5", np.linspace(0.0, 120.0, 24).reshape(4, 6), 60.0,
         0.5),
    ])


def _sigmoid_variant(*, norm=True, square=True, absolute=True, relative=True, centre=True):
    def fn(u, theta=THETA, slope=SLOPE):
        u = np.asarray(u, dtype=float)
        x = (u - theta) if centre else u
        x = np.abs(x) if absolute else x
        denom = 1.0 + slope * x / (theta if relative else 1.0)
        return (1.0 / theta if norm else 1.0) / (denom ** 2 if square else denom)

    return fn


SIGMOID = Exercise(
    "09", "9.1", "fast_sigmoid", reference_fast_sigmoid, _sigmoid_cases, "array",
    hint="check the case at threshold first (the peak: what height does (9.3) give there?), then a case far "
         "below threshold on both sides of it, and compare how fast your values fall with the expected ones.",
    mistakes=(
        Mistake("the surrogate stands in for a derivative with respect to the potential (1/mV): (9.3) has the "
                "factor 1/theta in front.", _sigmoid_variant(norm=False)),
        Mistake("the denominator of (9.3) is squared: without the square the surrogate falls far more slowly "
                "away from threshold.", _sigmoid_variant(square=False)),
        Mistake("the distance from threshold enters as an absolute value: the bump is symmetric around theta.",
                _sigmoid_variant(absolute=False)),
        Mistake("the potential is measured in units of the threshold in (9.3): the distance |u - theta| is divided "
                "by theta before the slope multiplies it.", _sigmoid_variant(relative=False)),
        Mistake("the bump is centred on the threshold, not on rest: use the distance of u from theta.",
                _sigmoid_variant(centre=False)),
        ignores_argument(reference_fast_sigmoid, 1, "theta", THETA),
        ignores_argument(reference_fast_sigmoid, 2, "slope", SLOPE),
    ),
    forbidden=("normad_edu.surrogate:fast_sigmoid_derivative",),
    allowed="with numpy",
    note="normad_edu.surrogate.fast_sigmoid_derivative is the same function; the surrogate rule's backward pass "
         "multiplies every time step's error by it.",
)


# ---------------------------------------------------------------------------
# 9.2 the loss of one misplaced spike
# ---------------------------------------------------------------------------

def reference_one_spike_loss(t_obs: float, t_des: float, T: float = T_DEFAULT, tau: float = TAU_DEFAULT) -> float:
    """The van Rossum loss (9.4) of one observed spike at ``t_obs`` against one desired spike at ``t_des`` (ms),
    both in ``[0, T)``, integrated over the epoch ``[0, T)`` (dimensionless), exercise 9.2.

    With ``a < b`` the two times, ``D = b - a`` and ``x = exp(-D / tau)``::

        E = (1/4) [ (1 - x^2) + (1 - x)^2 (1 - exp(-2 (T - b) / tau)) ]

    (the earlier spike's trace alone on ``[a, b)``, the difference of the two
    traces, ``(1 - x)`` times one of them, on ``[b, T)``).
    """
    a, b = min(t_obs, t_des), max(t_obs, t_des)
    x = np.exp(-(b - a) / tau)
    return float(0.25 * ((1.0 - x * x) + (1.0 - x) ** 2 * (1.0 - np.exp(-2.0 * (T - b) / tau))))


@functools.lru_cache(maxsize=None)
def _loss_cases() -> tuple:
    return make_cases(reference_one_spike_loss, [
        ("a spike 3 ms late in a long epoch (T = 500 ms, tau = 10 ms)", 123.0, 120.0, T_DEFAULT, TAU_DEFAULT),
        ("a spike 3 ms early", 117.0, 120.0, T_DEFAULT, TAU_DEFAULT),
        ("the two spikes close to the end of a short epoch: the tail is cut (T = 40 ms)", 33.5, 31.0, 40.0,
         TAU_DEFAULT),
        ("a spike 30 ms late, tau = 5 ms: the two traces hardly overlap", 60.0, 30.0, 200.0, 5.0),
        ("the XOR targets: 20 ms observed against 25 ms desired, T = 40 ms, tau = 10 ms", 20.0, 25.0, 40.0,
         TAU_DEFAULT),
        ("a long filter, tau = 50 ms, spikes 8 ms apart, T = 100 ms", 42.0, 50.0, 100.0, 50.0),
        ("no error: the spike is where it should be", 77.0, 77.0, T_DEFAULT, TAU_DEFAULT),
    ])


def _loss_variant(*, cut=True, half_tau=True, half=True, cross=True, cut_from="later", ordered=True):
    def fn(t_obs, t_des, T=T_DEFAULT, tau=TAU_DEFAULT):
        a, b = (min(t_obs, t_des), max(t_obs, t_des)) if ordered else (t_des, t_obs)
        x = np.exp(-(b - a) / tau)
        end = b if cut_from == "later" else a
        tail = (1.0 - np.exp(-2.0 * (T - end) / tau)) if cut else 1.0
        if cross:
            integral = 0.5 * tau * ((1.0 - x * x) + (1.0 - x) ** 2 * tail)
        else:  # the squares of the two traces, without the cross term
            integral = 0.5 * tau * ((1.0 - x * x) + (1.0 + x * x) * tail)
        scale = (1.0 / (2.0 * tau) if half else 1.0 / tau) if half_tau else (0.5 if half else 1.0)
        return float(scale * integral)

    return fn


ONE_SPIKE = Exercise(
    "09", "9.2", "one_spike_loss", reference_one_spike_loss, _loss_cases, "number",
    hint="split the epoch at the two spike times: before the earlier one both traces are 0, between the two only "
         "the earlier trace is nonzero, after the later one both decay with the same time constant, so their "
         "difference is one decaying exponential times a constant. Integrate each piece up to T, then apply the "
         "factor in front of the integral in (9.4); test a case with the tail cut short.",
    mistakes=(
        Mistake("the epoch ends at the T the case passes: the integral of the last piece stops there, which matters "
                "when the later spike is within a few tau of the end.", _loss_variant(cut=False)),
        Mistake("(9.4) divides the integral of the squared difference by 2 tau: you seem to return the integral "
                "itself (or to have dropped the 1/tau).", _loss_variant(half_tau=False, half=False)),
        Mistake("the factor in front of the integral in (9.4) is 1/(2 tau), not 1/tau.", _loss_variant(half=False)),
        Mistake("the square of a difference has a cross term: after the later spike the two traces partly cancel.",
                _loss_variant(cross=False)),
        Mistake("the last piece starts at the later of the two spikes: its integral is cut at T - (later time).",
                _loss_variant(cut_from="earlier")),
        Mistake("the spike may be early or late: order the two times before splitting the epoch.",
                _loss_variant(ordered=False)),
        ignores_argument(reference_one_spike_loss, 3, "tau", TAU_DEFAULT),
    ),
    forbidden=("normad_edu.metrics:van_rossum_distance", "normad_edu.surrogate:van_rossum_filter",
               "normad_edu.surrogate:surrogate_gradient"),
    allowed="with numpy and your own integrals; a numerical integral on a grid is not exact enough",
    note="For T - t >> tau the loss is (1 - exp(-|t_obs - t_des| / tau)) / 2: it saturates at 1/2, a spike "
         "30 ms off costs hardly more than one 20 ms off.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {SIGMOID.name: SIGMOID, ONE_SPIKE.name: ONE_SPIKE}


def check_fast_sigmoid(fast_sigmoid, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``fast_sigmoid(u, theta, slope)`` (exercise 9.1); print the verdict."""
    return check(SIGMOID, fast_sigmoid, hidden=hidden)


def check_one_spike_loss(one_spike_loss, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``one_spike_loss(t_obs, t_des, T, tau)`` (exercise 9.2); print the verdict."""
    return check(ONE_SPIKE, one_spike_loss, hidden=hidden)
