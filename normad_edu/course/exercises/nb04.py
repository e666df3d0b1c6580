"""Exercise of notebook 04: the gradient of the potential with resets (exercise 4.1).

The learner differentiates the post-reset potential with the reset times
held fixed, (4.7); each case hands over ``d(times)``, the matrix of
``d_i(t)``. ``check_reset_gradient(reset_gradient)`` in the notebook's check
cell; the conventions are those of
:mod:`normad_edu.course.exercises.framework`.

Units: ms, pF; ``d`` in ms/pF.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ...kernels import psi_kernel
from ...params import C as C_DEFAULT
from ...params import GL, T_REF, TAU1, TAU2
from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_reset_gradient", "d_function", "reference_reset_gradient"]

TAU_L = C_DEFAULT / GL


def reference_reset_gradient(t, spikes, d: Callable, t_ref: float = T_REF, tau_L: float = TAU_L) -> np.ndarray:
    """``dV(t)/dw`` with the reset times held fixed (4.7), exercise 4.1.

    For each query time ``t`` (ms): ``d(t)`` before the first output spike;
    0 while refractory (``t_f <= t < t_f + t_ref`` for the last spike
    ``t_f <= t``: V is clamped there); else
    ``d(t) - e^{-(t - t0)/tau_L} d(t0)`` with ``t0 = t_f + t_ref`` the end of
    the last reset. ``d(times)`` returns ``d_i`` at each time, shape
    ``(len(times), n_inputs)`` (ms/pF). Returns shape ``(len(t), n_inputs)``.
    """
    t = np.asarray(t, dtype=float).reshape(-1)
    spikes = np.asarray(spikes, dtype=float).reshape(-1)
    out = np.asarray(d(t), dtype=float).copy()
    for q, tq in enumerate(t):
        before = spikes[spikes <= tq]
        if before.size == 0:
            continue
        t0 = before[-1] + t_ref
        out[q] = 0.0 if tq < t0 else out[q] - math.exp(-(tq - t0) / tau_L) * np.asarray(d(np.array([t0])))[0]
    return out


def d_function(trains, tau_L, tau1=TAU1, tau2=TAU2, C=C_DEFAULT):
    """``d(times) -> [sum_f psi(t - t_i^f)]_i``, shape ``(len(times), len(trains))`` (ms/pF), as a case hands it over."""
    trains = [np.asarray(tr, dtype=float) for tr in trains]

    def d(times):
        times = np.asarray(times, dtype=float)
        cols = [psi_kernel(times[..., None] - tr[None, :], tau1, tau2, C, tau_L).sum(axis=-1) if tr.size
                else np.zeros(times.shape) for tr in trains]
        return np.stack(cols, axis=-1)

    d.__doc__ = f"d(times) -> d_i(t) of {len(trains)} inputs (tau_L = {tau_L:g} ms), shape (len(times), {len(trains)})"
    return d


@functools.lru_cache(maxsize=None)
def _cases() -> tuple:
    rng = np.random.default_rng(41)
    trains = [np.sort(np.round(rng.uniform(0.0, 60.0, rng.integers(1, 5)), 3)) for _ in range(5)]
    tq = np.array([1.0, 6.2, 13.9, 14.6, 20.0, 27.35, 31.0, 39.9, 44.0, 52.5])
    spikes = np.array([14.1, 30.2, 40.0])
    return make_cases(reference_reset_gradient, [
        ("three output spikes, defaults (t_ref = 2 ms, tau_L = 10 ms); queries before, during and after resets",
         tq, spikes, d_function(trains, TAU_L), T_REF, TAU_L),
        ("no output spike at all: no reset", tq, np.array([]), d_function(trains, TAU_L), T_REF, TAU_L),
        ("one spike, t_ref = 6 ms", tq, np.array([20.5]), d_function(trains, TAU_L), 6.0, TAU_L),
        ("tau_L = 4 ms", tq, spikes, d_function(trains, 4.0), T_REF, 4.0),
        ("t_ref = 0.5 ms and tau_L = 25 ms, closely spaced spikes", np.linspace(5.0, 45.0, 17),
         np.array([9.3, 12.0, 13.1, 30.0]), d_function(trains, 25.0), 0.5, 25.0),
    ])


def _variant(*, which="last", hold=True, from_spike=False, sign=1.0, reset=True):
    def fn(t, spikes, d, t_ref=T_REF, tau_L=TAU_L):
        t = np.asarray(t, dtype=float)
        spikes = np.asarray(spikes, dtype=float)
        out = np.asarray(d(t), dtype=float).copy()
        if not reset:
            return out
        for q, tq in enumerate(t):
            before = spikes[spikes <= tq]
            if before.size == 0:
                continue
            tf = before[-1] if which == "last" else before[0]
            t0 = tf + t_ref
            if hold and tq < t0:
                out[q] = 0.0
                continue
            t_dec = tf if from_spike else t0
            out[q] = out[q] - sign * math.exp(-(tq - t_dec) / tau_L) * np.asarray(d(np.array([t0])))[0]
        return out

    return fn


EXERCISE = Exercise(
    "04", "4.1", "reset_gradient", reference_reset_gradient, _cases, "array",
    hint="for each query time find the last output spike at or before it, decide which regime applies (no spike "
         "yet, refractory, after the reset) and compare that row of your result with the expected one; (4.3) and "
         "(4.7) say what each regime gives.",
    mistakes=(
        Mistake("you ignore the resets: after an output spike, (4.7) removes the memory of the inputs from before "
                "the reset.", _variant(reset=False)),
        Mistake("only the *last* reset before t matters: each reset restarts (2.5) with its own t0.",
                _variant(which="first")),
        Mistake("during the refractory period V is clamped at EL, so no weight can change it: g = 0 there.",
                _variant(hold=False)),
        Mistake("the exponential runs from the end of the reset t0 = t_f + t_ref, not from the spike.",
                _variant(from_spike=True)),
        Mistake("the sign is flipped: the reset *removes* memory, so the second term of (4.7) is subtracted.",
                _variant(sign=-1.0)),
        Mistake("use the t_ref argument (you seem to use the default 2 ms).",
                lambda t, sp, d, t_ref=T_REF, tau_L=TAU_L: reference_reset_gradient(t, sp, d, T_REF, tau_L)),
        Mistake("use the tau_L argument (you seem to use the default 10 ms).",
                lambda t, sp, d, t_ref=T_REF, tau_L=TAU_L: reference_reset_gradient(t, sp, d, t_ref, TAU_L)),
    ),
    note="NormAD's d_hat with tau_L' < tau_L approximates exactly this forgetting (Section 4).",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE}


def check_reset_gradient(reset_gradient, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``reset_gradient(t, spikes, d, t_ref, tau_L)`` (exercise 4.1); print the verdict."""
    return check(EXERCISE, reset_gradient, hidden=hidden)
