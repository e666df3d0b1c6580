"""Exercises of notebook 01: the charge delivered up to time ``t`` (1.1) and the peak of a regular train (1.2).

* 1.1 ``synaptic_charge``: the learner integrates the synaptic kernel (1.1)
  from each spike to ``t``; the area ``A(s)`` under ``alpha`` up to
  ``s = t - t_i^f`` is derived by the learner, not given.
* 1.2 ``steady_peak`` (a derivation the notebook does not give): after many
  spikes of a regular train (one every ``period`` ms) the filtered train
  ``c(t)`` of (1.2) repeats with the period; the learner derives where in a
  period it peaks and how high, then checks the prediction against a
  brute-force sum of kernels.

``check_synaptic_charge(synaptic_charge)`` and ``check_steady_peak(steady_peak)``
in the notebook's check cells; the conventions are those of
:mod:`normad_edu.course.exercises.framework`.

Units: ms, pA; charge in pA ms = fC; ``c(t)`` is dimensionless.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from ...params import TAU1, TAU2
from .framework import Exercise, Mistake, Verdict, check, ignores_argument, make_cases

__all__ = ["EXERCISES", "check_steady_peak", "check_synaptic_charge", "reference_steady_peak",
           "reference_synaptic_charge"]


def reference_synaptic_charge(t: float, trains: Sequence, w, tau1: float = TAU1, tau2: float = TAU2) -> float:
    """Charge delivered by all synapses up to time ``t`` (pA ms = fC), exercise 1.1.

    ``Q(t) = sum_i w_i sum_f A(t - t_i^f)`` with ``A(s)`` the area under
    ``alpha`` (1.1) from 0 to ``s > 0`` and 0 for ``s <= 0`` (a spike at or
    after ``t`` has delivered nothing yet). ``trains[i]`` are the spike times
    (ms) of synapse ``i``, ``w[i]`` its weight (pA), ``tau1 > tau2`` (ms).
    """
    total = 0.0
    for w_i, train in zip(np.asarray(w, dtype=float), trains):
        s = t - np.asarray(train, dtype=float)
        s = s[s > 0]
        total += w_i * float(np.sum(tau1 * -np.expm1(-s / tau1) - tau2 * -np.expm1(-s / tau2)))
    return total


@functools.lru_cache(maxsize=None)
def _cases() -> tuple:
    trains = [np.array([2.0, 11.5]), np.array([7.0]), np.array([]), np.array([0.5, 3.0, 18.25])]
    w = np.array([800.0, -300.0, 500.0, 1200.0])
    rng = np.random.default_rng(11)
    rand_trains = [np.sort(np.round(rng.uniform(0.0, 60.0, rng.integers(0, 5)), 3)) for _ in range(7)]
    rand_w = np.round(rng.normal(300.0, 700.0, 7), 1)
    return make_cases(reference_synaptic_charge, [
        ("t = 25 ms, 4 synapses (one silent, one inhibitory), default time constants", 25.0, trains, w, TAU1, TAU2),
        ("t = 5 ms: the spikes at 7, 11.5 and 18.25 ms have not happened yet", 5.0, trains, w, TAU1, TAU2),
        ("t = 0.3 ms, before every spike: no charge yet", 0.3, trains, w, TAU1, TAU2),
        ("t = 7 ms, exactly at a spike time: that spike has delivered nothing yet", 7.0, trains, w, TAU1, TAU2),
        ("t = 400 ms, long after: every kernel has delivered its whole area", 400.0, trains, w, TAU1, TAU2),
        ("tau1 = 10 ms (tau2 at its default)", 14.0, trains, w, 10.0, TAU2),
        ("tau2 = 0.4 ms (tau1 at its default)", 14.0, trains, w, TAU1, 0.4),
        ("tau1 = 3 ms, tau2 = 2.5 ms: close time constants", 9.0, trains, w, 3.0, 2.5),
        ("7 random synapses, tau1 = 8 ms, tau2 = 2 ms", 41.3, rand_trains, rand_w, 8.0, 2.0),
    ])


def _variant(*, causal=True, area="partial", tau_factor=True, integrate=True):
    """The charge with one thing wrong: spikes after t counted, the whole area, no tau factor, no integral."""
    def fn(t, trains, w, tau1=TAU1, tau2=TAU2):
        total = 0.0
        for w_i, train in zip(w, trains):
            s = t - np.asarray(train, dtype=float)
            s = s if not causal else s[s > 0]
            if area == "whole":
                total += w_i * s.size * (tau1 - tau2)
            elif area == "all spikes":
                total += w_i * len(train) * (tau1 - tau2)
            elif not integrate:
                total += w_i * np.sum(np.exp(-s / tau1) - np.exp(-s / tau2))
            else:
                a, b = (tau1, tau2) if tau_factor else (1.0, 1.0)
                total += w_i * np.sum(a * (1 - np.exp(-s / tau1)) - b * (1 - np.exp(-s / tau2)))
        return total

    return fn


def _with(**fixed):
    """The right answer with some arguments replaced (``w=None``: unit weights; a tau: its default)."""
    def fn(t, trains, w, tau1=TAU1, tau2=TAU2):
        w = np.ones(len(trains)) if fixed.get("w", 0) is None else w
        return reference_synaptic_charge(t, trains, w, fixed.get("tau1", tau1), fixed.get("tau2", tau2))

    return fn


EXERCISE = Exercise(
    "01", "1.1", "synaptic_charge", reference_synaptic_charge, _cases, "number",
    hint="compare your function with a numerical integral of the current on the case shown (np.trapezoid of "
         "sum_i w_i sum_f alpha(s - t_i^f) over a fine grid of s from 0 to t): the two must agree to many digits. "
         "If they do not, recheck your integral of alpha, and which spikes have delivered charge by time t.",
    mistakes=(
        Mistake("spikes at or after t must not count (alpha is causal, Theta(s) in (1.1)): keep only "
                "s = t - t_i^f > 0.",
                _variant(causal=False)),
        Mistake("you give every past spike its whole area tau1 - tau2: up to time t a kernel has delivered only "
                "the area from 0 to s = t - t_i^f.", _variant(area="whole")),
        Mistake("you return the total charge of all spikes; the exercise asks for the charge delivered up to t.",
                _variant(area="all spikes")),
        Mistake("the integral of each exponential carries a factor of its own time constant: recheck the integral "
                "of e^{-x/tau} from 0 to s.", _variant(tau_factor=False)),
        Mistake("this is the current I(t) of (1.3), not its integral: the charge is the area under I up to t.",
                _variant(integrate=False)),
        Mistake("the sign is flipped: alpha = e^{-t/tau1} - e^{-t/tau2} with tau1 > tau2 is positive, and so is "
                "its area.", lambda t, tr, w, tau1=TAU1, tau2=TAU2: -reference_synaptic_charge(t, tr, w, tau1, tau2)),
        Mistake("multiply each synapse's charge by its weight w_i (pA).", _with(w=None)),
        Mistake("use the tau1 and tau2 arguments (you seem to use the defaults 5 and 1.25 ms).",
                _with(tau1=TAU1, tau2=TAU2)),
    ),
    note="At t -> infinity it tends to sum_i w_i n_i (tau1 - tau2), the total of Section 4.",
)

# ---------------------------------------------------------------------------
# Exercise 1.2: the peak of the filtered train of a regular spike train
# ---------------------------------------------------------------------------

def reference_steady_peak(period: float, tau1: float = TAU1, tau2: float = TAU2) -> tuple[float, float]:
    """``(t_peak, c_peak)`` of the periodic steady state of a regular train, exercise 1.2.

    Spikes at ``..., -2 P, -P, 0`` (``P = period``, ms): for ``0 <= t < P``,
    ``c(t) = sum_{k >= 0} alpha(t + k P)``, two geometric series. Returns the
    time after the latest spike at which ``c`` peaks (ms, in ``(0, P)``) and
    the peak value (dimensionless). ``tau1 > tau2`` (ms).
    """
    g1, g2 = -math.expm1(-period / tau1), -math.expm1(-period / tau2)        # 1 - e^{-P/tau}
    t_peak = math.log(tau1 * g1 / (tau2 * g2)) / (1.0 / tau2 - 1.0 / tau1)
    return t_peak, math.exp(-t_peak / tau1) / g1 - math.exp(-t_peak / tau2) / g2


def _single_peak(tau1, tau2):
    t = tau1 * tau2 / (tau1 - tau2) * math.log(tau1 / tau2)
    return t, math.exp(-t / tau1) - math.exp(-t / tau2)


def _peak_mistake(kind):
    """The answer of exercise 1.2 with one thing wrong (each computed analytically, as a learner would)."""
    def fn(period, tau1=TAU1, tau2=TAU2):
        g1, g2 = 1.0 - math.exp(-period / tau1), 1.0 - math.exp(-period / tau2)
        rate = 1.0 / tau2 - 1.0 / tau1
        if kind == "single":
            return _single_peak(tau1, tau2)
        if kind == "single time":                      # the steady state evaluated at one kernel's peak time
            t = _single_peak(tau1, tau2)[0]
            return t, math.exp(-t / tau1) / g1 - math.exp(-t / tau2) / g2
        if kind == "latest spike left out":            # sum over k >= 1: its critical point is one period early
            t = reference_steady_peak(period, tau1, tau2)[0] - period
            r1, r2 = 1.0 - g1, 1.0 - g2
            return t, r1 * math.exp(-t / tau1) / g1 - r2 * math.exp(-t / tau2) / g2
        if kind == "only the slow series":             # the tau2 exponential of the latest spike only
            t = math.log(tau1 * g1 / tau2) / rate
            return t, math.exp(-t / tau1) / g1 - math.exp(-t / tau2)
        if kind == "time constants swapped":
            t = math.log(tau2 * g2 / (tau1 * g1)) / rate
            return t, math.exp(-t / tau1) / g1 - math.exp(-t / tau2) / g2
        if kind == "mean":
            return period / 2.0, (tau1 - tau2) / period
        raise ValueError(kind)

    return fn


@functools.lru_cache(maxsize=None)
def _peak_cases() -> tuple:
    return make_cases(reference_steady_peak, [
        ("one spike every 10 ms (100 Hz), default time constants", 10.0, TAU1, TAU2),
        ("one spike every 2 ms (500 Hz): the kernels pile up", 2.0, TAU1, TAU2),
        ("one spike every 50 ms: almost a single kernel", 50.0, TAU1, TAU2),
        ("one spike every 0.5 ms", 0.5, TAU1, TAU2),
        ("tau1 = 10 ms (tau2 at its default), period 7 ms", 7.0, 10.0, TAU2),
        ("tau2 = 0.5 ms (tau1 at its default), period 4 ms", 4.0, TAU1, 0.5),
        ("close time constants tau1 = 3 ms, tau2 = 2.5 ms, period 3 ms", 3.0, 3.0, 2.5),
        ("tau1 = 8 ms, tau2 = 2 ms, period 25 ms", 25.0, 8.0, 2.0),
    ])


def _peak_hidden(rng: np.random.Generator) -> tuple:
    rows = []
    for k in range(5):
        tau2 = float(np.round(rng.uniform(0.3, 3.0), 3))
        tau1 = float(np.round(tau2 * rng.uniform(1.3, 8.0), 3))
        rows.append((f"hidden case {k + 1}", float(np.round(rng.uniform(0.3, 40.0), 3)), tau1, tau2))
    return make_cases(reference_steady_peak, rows, hidden=True)


PEAK_EXERCISE = Exercise(
    "01", "1.2", "steady_peak", reference_steady_peak, _peak_cases, "numbers",
    hint="write c(t), for a time t between the latest spike and the next one, as a sum over the latest spike and "
         "all the earlier ones; each exponential of (1.1) gives a series you can sum. Then find its maximum as "
         "Section 2 did for one kernel. Compare your (t_peak, c_peak) with a brute-force sum of alpha_kernel over "
         "a few thousand past spikes on a fine grid of t.",
    mistakes=(
        Mistake("this is the peak of one kernel (Section 2): in the steady state every earlier spike still "
                "contributes, and the earlier kernels are falling while the latest one rises.",
                _peak_mistake("single")),
        Mistake("your value is the steady-state c at the single kernel's peak time, but the earlier kernels move "
                "the peak: set the derivative of the summed c(t) to zero.", _peak_mistake("single time")),
        Mistake("your peak time is one period too early (before the latest spike): the latest spike, at t = 0, "
                "belongs to the sum too, not only the earlier ones.", _peak_mistake("latest spike left out")),
        Mistake("both exponentials of (1.1) pile up over earlier spikes, the fast one too (it matters when the "
                "period is short).", _peak_mistake("only the slow series")),
        Mistake("your peak time is negative or past the next spike: check which time constant goes in the numerator "
                "of the logarithm (the rise is fast, the decay slow).", _peak_mistake("time constants swapped")),
        Mistake("this is the mean of c(t) over a period (its area per spike divided by the period) placed in the "
                "middle of the period; the exercise asks for the maximum.", _peak_mistake("mean")),
        ignores_argument(reference_steady_peak, 1, "tau1", TAU1),
        ignores_argument(reference_steady_peak, 2, "tau2", TAU2),
    ),
    hidden_cases=_peak_hidden,
    names=("t_peak", "c_peak"),
    note="The peak comes earlier than a single kernel's and, for short periods, near the middle of the period.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE, PEAK_EXERCISE.name: PEAK_EXERCISE}


def check_synaptic_charge(synaptic_charge, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``synaptic_charge(t, trains, w, tau1, tau2)`` (exercise 1.1); print the verdict."""
    return check(EXERCISE, synaptic_charge, hidden=hidden)


def check_steady_peak(steady_peak, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``steady_peak(period, tau1, tau2)`` (exercise 1.2); print the verdict."""
    return check(PEAK_EXERCISE, steady_peak, hidden=hidden)
