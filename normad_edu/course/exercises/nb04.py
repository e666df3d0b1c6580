"""Exercises of notebook 04: the gradient of the potential with resets (4.1) and the rate that fires a
silent neuron in one update (4.2).

* 4.1, ``reset_gradient``: the learner differentiates the post-reset
  potential with the reset times held fixed, (4.7); each case hands over
  ``d(times)``, the matrix of ``d_i(t)``.
* 4.2, ``one_update_rate`` (a derivation, then verified on the simulator in
  the notebook): the smallest learning rate r for which one NormAD update
  from zero weights, made at a single missed desired spike, makes the neuron
  fire. The learner combines (4.3) and (4.5) and has to notice that the
  potential after the update does not peak at the desired time.

``check_reset_gradient(reset_gradient)`` and
``check_one_update_rate(one_update_rate)`` in the notebook's check cells; the
conventions are those of :mod:`normad_edu.course.exercises.framework`.

Units: ms, mV, pF, pA; ``d`` in ms/pF.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from ...kernels import psi_kernel
from ...normad import d_hat
from ...params import C as C_DEFAULT
from ...params import EL, GL, T_REF, TAU1, TAU2, TAU_L_HAT, VT
from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_one_update_rate", "check_reset_gradient", "d_function", "reference_one_update_rate",
           "reference_reset_gradient"]

TAU_L = C_DEFAULT / GL
THETA = VT - EL


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



# ---------------------------------------------------------------------------
# Exercise 4.2: the smallest rate that makes a silent neuron fire in one update
# ---------------------------------------------------------------------------

def reference_one_update_rate(t_g: float, trains, times, tau_L_hat: float = TAU_L_HAT, tau_L: float = TAU_L,
                              theta: float = THETA) -> float:
    """Smallest r (pA) for which one NormAD update from zero weights makes the neuron fire, exercise 4.2.

    The only error instant is a missed desired spike at ``t_g`` (ms), so (4.5)
    gives ``W = r u`` with ``u = dhat(t_g) / ||dhat(t_g)||`` (``dhat`` with
    ``tau_L_hat``). Until its first spike the neuron's potential is (4.3) with
    its own ``tau_L``: ``V(t) - EL = r u . d(t)``. It fires as soon as that
    reaches ``theta`` (mV above rest) at one of ``times`` (the simulation
    grid, where the simulator tests the threshold), so the smallest rate is
    ``theta / max_times u . d(t)``; ``inf`` if that maximum is not positive.
    """
    direction = d_hat(float(t_g), trains, tau_L_hat=tau_L_hat)
    u = direction / np.linalg.norm(direction)
    peak = float(np.max(d_hat(np.asarray(times, dtype=float), trains, tau_L_hat=tau_L) @ u))
    return theta / peak if peak > 0 else math.inf


def _rate_variant(*, where="all", potential="tau_L", direction="tau_L_hat", normalise=True, projection=True,
                  theta_fixed=None, tau_L_fixed=None):
    def fn(t_g, trains, times, tau_L_hat=TAU_L_HAT, tau_L=TAU_L, theta=THETA):
        tau_L = tau_L if tau_L_fixed is None else tau_L_fixed
        theta = theta if theta_fixed is None else theta_fixed
        times = np.asarray(times, dtype=float)
        dg = d_hat(float(t_g), trains, tau_L_hat=tau_L_hat if direction == "tau_L_hat" else tau_L)
        u = dg / np.linalg.norm(dg) if normalise else dg
        tq = np.array([float(t_g)]) if where == "t_g" else times[times <= t_g] if where == "before" else times
        D = d_hat(tq, trains, tau_L_hat=tau_L if potential == "tau_L" else tau_L_hat)
        peak = np.max(D @ u) if projection else np.max(np.linalg.norm(D, axis=1))
        return theta / peak

    return fn


def _rate_trains(seed: int, n: int, T: float, rate_hz: float) -> list:
    rng = np.random.default_rng(seed)
    return [np.sort(np.round(rng.uniform(0.0, T, rng.poisson(rate_hz * T / 1000.0)), 3)) for _ in range(n)]


@functools.lru_cache(maxsize=None)
def _rate_cases() -> tuple:
    a, b, c = _rate_trains(42, 40, 150.0, 20.0), _rate_trains(43, 60, 200.0, 15.0), _rate_trains(44, 25, 120.0, 30.0)
    grid = np.round(np.arange(0.0, 150.0 + 1e-9, 0.1), 10)
    return make_cases(reference_one_update_rate, [
        ("40 inputs, desired spike at 61.37 ms, the defaults (tau_L' = 2.5 ms, tau_L = 10 ms, theta = 90 mV)",
         61.37, a, grid),
        ("the same, tau_L' = tau_L = 10 ms (dhat = d)", 61.37, a, grid, 10.0, 10.0),
        ("60 inputs, desired spike at 148.02 ms, tau_L' = 1 ms, tau_L = 20 ms", 148.02, b,
         np.round(np.arange(0.0, 200.0 + 1e-9, 0.1), 10), 1.0, 20.0),
        ("25 inputs on a 0.05 ms grid, desired spike at 83.16 ms, theta = 60 mV", 83.16, c,
         np.round(np.arange(0.0, 120.0 + 1e-9, 0.05), 10), TAU_L_HAT, TAU_L, 60.0),
        ("40 inputs, desired spike at 112.9 ms, tau_L' = 5 ms, tau_L = 15 ms", 112.9, a, grid, 5.0, 15.0),
        ("desired spike at 141.5 ms in an epoch that ends at 143 ms", 141.5, a,
         np.round(np.arange(0.0, 143.0 + 1e-9, 0.1), 10)),
    ])


RATE_EXERCISE = Exercise(
    "04", "4.2", "one_update_rate", reference_one_update_rate, _rate_cases, "number",
    hint="follow the single update from zero weights: which direction does (4.5) give the weights, and how long is "
         "the step? Then evaluate the neuron's potential (4.3) at every time of `times` and ask how large r must be "
         "for it to reach threshold anywhere. Check each piece on the case shown.",
    mistakes=(
        Mistake("the neuron fires at the first time its potential reaches threshold, and after the update its "
                "potential need not be highest at t_g: look at every time in `times`.", _rate_variant(where="t_g")),
        Mistake("a spike after t_g counts too (the question is whether the neuron fires at all, anywhere in the "
                "epoch): use every time in `times`.", _rate_variant(where="before")),
        Mistake("the update's direction is built with tau_L' (`tau_L_hat`), but the neuron's own potential is not: "
                "the membrane integrates its inputs with tau_L.", _rate_variant(potential="tau_L_hat")),
        Mistake("NormAD steps along dhat(t_g), built with `tau_L_hat`; you seem to use the membrane's tau_L for the "
                "direction.", _rate_variant(direction="tau_L")),
        Mistake("(4.5) moves the weight vector by exactly r pA per error instant: check the length of your weight "
                "vector after one update with r = 1 pA.", _rate_variant(normalise=False)),
        Mistake("the potential at time t is the weight vector projected on d(t) (4.3), not the length of d(t).",
                _rate_variant(projection=False)),
        Mistake("use the theta argument (you seem to use 90 mV).", _rate_variant(theta_fixed=THETA)),
        Mistake("use the tau_L argument (you seem to use 10 ms).", _rate_variant(tau_L_fixed=TAU_L)),
    ),
    forbidden=("normad_edu.network:forward", "normad_edu.lif:simulate_layer", "normad_edu.lif:simulate_layer_reference",
               "normad_edu.lif:neuron_piece", "normad_edu.training:train", "normad_edu.normad:normad_update",
               "normad_edu.normad:normad_update_reference"),
    allowed="with d_hat from normad_edu.normad: this is a prediction, and the notebook simulates it after the check",
    note="The cell after the check simulates the update and compares.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE, RATE_EXERCISE.name: RATE_EXERCISE}


def check_reset_gradient(reset_gradient, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``reset_gradient(t, spikes, d, t_ref, tau_L)`` (exercise 4.1); print the verdict."""
    return check(EXERCISE, reset_gradient, hidden=hidden)


def check_one_update_rate(one_update_rate, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``one_update_rate(t_g, trains, times, tau_L_hat, tau_L, theta)`` (exercise 4.2); print
    the verdict."""
    return check(RATE_EXERCISE, one_update_rate, hidden=hidden)
