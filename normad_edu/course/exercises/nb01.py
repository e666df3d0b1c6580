"""Exercise of notebook 01: the charge a synapse has delivered up to time ``t`` (exercise 1.1).

The learner integrates the synaptic kernel (1.1) from each spike to ``t``:
the area ``A(s)`` under ``alpha`` up to ``s = t - t_i^f`` is derived in the
notebook, not given. ``check_synaptic_charge(synaptic_charge)`` in the
notebook's check cell; the conventions are those of
:mod:`normad_edu.course.exercises.framework`.

Units: ms, pA; charge in pA ms = fC.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from ...params import TAU1, TAU2
from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_synaptic_charge", "reference_synaptic_charge"]


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
        Mistake("spikes at or after t must not count (alpha is causal, u(s) in (1.1)): keep only s = t - t_i^f > 0.",
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

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE}


def check_synaptic_charge(synaptic_charge, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``synaptic_charge(t, trains, w, tau1, tau2)`` (exercise 1.1); print the verdict."""
    return check(EXERCISE, synaptic_charge, hidden=hidden)
