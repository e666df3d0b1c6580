"""Exercises of notebook 02: the potential around a reset (2.1) and the firing rate under a constant current (2.2).

* 2.1 ``v_after_reset``: the learner writes the post-reset potential (2.5)
  from the no-reset potential ``v_free``, which each case hands over as a
  function.
* 2.2 ``firing_rate`` (a derivation the notebook does not give): the rate of
  an LIF neuron driven by a constant current, from (2.1) and the reset rule;
  the notebook then checks the prediction against the exact step of
  :mod:`normad_edu.lif`.

``check_v_after_reset(v_after_reset)`` and ``check_firing_rate(firing_rate)``
in the notebook's check cells; the conventions are those of
:mod:`normad_edu.course.exercises.framework`.

Units: ms, mV, pF, nS, pA; rates in Hz.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ...kernels import psi_kernel
from ...params import C as C_DEFAULT
from ...params import EL as EL_DEFAULT
from ...params import GL, T_REF, VT
from .framework import Exercise, Mistake, Verdict, check, ignores_argument, make_cases

__all__ = ["EXERCISES", "check_firing_rate", "check_v_after_reset", "reference_firing_rate",
           "reference_v_after_reset"]

TAU_L = C_DEFAULT / GL
THETA = VT - EL_DEFAULT


def reference_v_after_reset(t, t_spike: float, v_free: Callable, t_ref: float = T_REF, tau_L: float = TAU_L,
                            EL: float = EL_DEFAULT) -> np.ndarray:
    """Membrane potential (mV) around one spike at ``t_spike`` (ms), exercise 2.1.

    ``V = v_free(t)`` before the spike, ``EL`` while refractory
    (``t_spike <= t < t0 = t_spike + t_ref``) and, from ``t0`` on, (2.5):
    ``V(t) = EL + (v_free(t) - EL) - e^{-(t - t0)/tau_L} (v_free(t0) - EL)``.
    ``v_free`` is the no-reset potential (a function of time, mV).
    """
    t = np.asarray(t, dtype=float)
    t0 = t_spike + t_ref
    vf, vf0 = np.asarray(v_free(t), dtype=float), float(v_free(t0))
    after = EL + (vf - EL) - np.exp(-np.maximum(t - t0, 0.0) / tau_L) * (vf0 - EL)
    return np.where(t < t_spike, vf, np.where(t < t0, EL, after))


def _vfree_psi(trains, weights, EL, tau_L):
    """A no-reset potential built from psi, with a readable description."""
    trains = [np.asarray(tr, dtype=float) for tr in trains]
    weights = np.asarray(weights, dtype=float)

    def v_free(t):
        t = np.asarray(t, dtype=float)
        total = np.zeros(t.shape)
        for w_i, tr in zip(weights, trains):
            for tf in tr:
                total = total + w_i * psi_kernel(t - tf, tau_L=tau_L)
        return EL + total

    v_free.__doc__ = f"v_free(t) = {EL:g} + sum_i W_i sum_f psi(t - t_i^f) ({len(trains)} inputs, tau_L = {tau_L:g} ms)"
    return v_free


def _vfree_smooth(EL, a, tau, b, period):
    def v_free(t):
        t = np.asarray(t, dtype=float)
        return EL + a * (1.0 - np.exp(-t / tau)) + b * np.sin(t / period)

    v_free.__doc__ = f"v_free(t) = {EL:g} + {a:g} (1 - exp(-t/{tau:g})) + {b:g} sin(t/{period:g})"
    return v_free


@functools.lru_cache(maxsize=None)
def _cases() -> tuple:
    rng = np.random.default_rng(21)
    trains = [np.sort(rng.uniform(0.0, 30.0, 3)) for _ in range(6)]
    vf_default = _vfree_psi(trains, rng.uniform(500.0, 2500.0, 6), EL_DEFAULT, TAU_L)
    t_a = np.arange(0.0, 40.0, 0.5) + 0.013                     # never exactly at a spike time
    return make_cases(reference_v_after_reset, [
        ("defaults (t_ref = 2 ms, tau_L = 10 ms, EL = -70 mV), a potential made of psi bumps",
         t_a, 12.3, vf_default, T_REF, TAU_L, EL_DEFAULT),
        ("t_ref = 5 ms", t_a, 8.05, _vfree_smooth(EL_DEFAULT, 120.0, 6.0, 15.0, 3.0), 5.0, TAU_L, EL_DEFAULT),
        ("tau_L = 4 ms", t_a, 15.6, _vfree_smooth(EL_DEFAULT, 95.0, 9.0, -8.0, 2.0), T_REF, 4.0, EL_DEFAULT),
        ("EL = -55 mV", t_a, 10.2, _vfree_smooth(-55.0, 90.0, 5.0, 12.0, 4.0), T_REF, TAU_L, -55.0),
        ("all three changed: t_ref = 0.7 ms, tau_L = 20 ms, EL = -62 mV; only times after the reset",
         np.linspace(4.8, 30.0, 37), 4.05, _vfree_smooth(-62.0, 140.0, 3.0, 20.0, 1.5), 0.7, 20.0, -62.0),
        ("a query exactly at t0 = t_spike + t_ref (V is continuous there)", np.array([11.0, 14.0, 14.5]), 12.0,
         _vfree_smooth(EL_DEFAULT, 110.0, 4.0, 5.0, 2.5), 2.5, TAU_L, EL_DEFAULT),
    ])


def _variant(*, hold=True, from_spike=False, el_offset=True, subtract=True, decay=True, sign=1.0, free_before=True):
    def fn(t, t_spike, v_free, t_ref=T_REF, tau_L=TAU_L, EL=EL_DEFAULT):
        t = np.asarray(t, dtype=float)
        t0 = t_spike + (t_ref if hold else 0.0)
        t_decay = t_spike if from_spike else t0
        base = EL if el_offset else 0.0
        vf, vf0 = v_free(t), v_free(t0)
        factor = np.exp(-np.maximum(t - t_decay, 0.0) / tau_L) if decay else 1.0
        after = vf - (sign * factor * (vf0 - base) if subtract else 0.0)
        before = vf if free_before else np.full(t.shape, EL)
        return np.where(t < t_spike, before, np.where(t < t0, EL, after))

    return fn


def _ignores(index):
    """The right answer with argument ``index`` (3: t_ref, 4: tau_L, 5: EL) at its default."""
    def fn(t, t_spike, v_free, t_ref=T_REF, tau_L=TAU_L, EL=EL_DEFAULT):
        args = [t, t_spike, v_free, t_ref, tau_L, EL]
        args[index] = (T_REF, TAU_L, EL_DEFAULT)[index - 3]
        return reference_v_after_reset(*args)

    return fn


EXERCISE = Exercise(
    "02", "2.1", "v_after_reset", reference_v_after_reset, _cases, "array",
    hint="treat the three time ranges separately (before the spike, while refractory, from the end of the reset "
         "on) and compare each range of your result with the expected values of the case shown; then reread (2.5) "
         "for the range that disagrees.",
    mistakes=(
        Mistake("the neuron is held at EL for t_ref after the spike: (2.5) starts at t0 = t_spike + t_ref, "
                "not at t_spike.", _variant(hold=False)),
        Mistake("the subtracted copy decays from the end of the reset t0 = t_spike + t_ref, not from the spike.",
                _variant(from_spike=True)),
        Mistake("(2.5) is written for V - EL: the subtracted copy is of the potential accumulated *above rest* at "
                "t0, not of v_free(t0) itself.", _variant(el_offset=False)),
        Mistake("after the reset you return v_free(t) itself: the reset removes a decaying copy of what had "
                "accumulated by t0.", _variant(subtract=False)),
        Mistake("the subtracted copy does not stay constant: it decays with the membrane time constant from t0 on.",
                _variant(decay=False)),
        Mistake("the sign is flipped: the reset *subtracts* the decaying copy.", _variant(sign=-1.0)),
        Mistake("before the spike nothing has reset yet: V = v_free(t) there.", _variant(free_before=False)),
        Mistake("use the t_ref argument (you seem to use the default 2 ms).", _ignores(3)),
        Mistake("use the tau_L argument (you seem to use the default 10 ms).", _ignores(4)),
        Mistake("use the EL argument (you seem to use the default -70 mV).", _ignores(5)),
    ),
    forbidden=("normad_edu.network:forward", "normad_edu.lif:simulate_layer", "normad_edu.lif:simulate_layer_reference",
               "normad_edu.lif:neuron_piece"),
    allowed="from v_free and numpy; the simulator is what (2.5) is checked against, not a way to compute it",
    note="Applied at every spike in turn, this rebuilds the simulator's whole trace (Section 4).",
)

# ---------------------------------------------------------------------------
# Exercise 2.2: the firing rate under a constant current
# ---------------------------------------------------------------------------

def reference_firing_rate(I, t_ref: float = T_REF, C: float = C_DEFAULT, gL: float = GL,
                          theta: float = THETA) -> np.ndarray:
    """Firing rate (Hz) of an LIF neuron driven by the constant current ``I`` (pA), exercise 2.2.

    From rest, ``u = V - EL`` obeys (2.1) with a constant ``I``; the neuron
    fires when ``u`` reaches ``theta = VT - EL`` (mV), is held at ``u = 0``
    for ``t_ref`` (ms) and starts again, so it fires periodically. The rate
    is 0 when ``u`` never reaches ``theta`` (``I <= gL theta``). ``C`` in pF,
    ``gL`` in nS; ``I`` a number or an array (the result has its shape).
    """
    I = np.asarray(I, dtype=float)
    rheobase = gL * theta
    above = I > rheobase
    safe = np.where(above, I, 2.0 * rheobase + 1.0)
    t_first = -(C / gL) * np.log1p(-rheobase / safe)          # the time from rest to threshold (ms)
    return np.where(above, 1000.0 / (t_ref + t_first), 0.0)


def _rate_mistake(kind):
    def fn(I, t_ref=T_REF, C=C_DEFAULT, gL=GL, theta=THETA):
        I = np.asarray(I, dtype=float)
        rheobase, tau_L = gL * theta, C / gL
        above = I > rheobase
        with np.errstate(all="ignore"):
            t_first = tau_L * np.log(I / (I - rheobase))
            if kind == "no t_ref":
                return np.where(above, 1000.0 / t_first, 0.0)
            if kind == "per ms":
                return np.where(above, 1.0 / (t_ref + t_first), 0.0)
            if kind == "period":
                return np.where(above, t_ref + t_first, 0.0)
            if kind == "nan below":
                return 1000.0 / (t_ref + t_first)
            if kind == "no leak":
                return np.where(I > 0, 1000.0 / (t_ref + C * theta / I), 0.0)
            if kind == "tau_L inverted":
                return np.where(above, 1000.0 / (t_ref + (gL / C) * np.log(I / (I - rheobase))), 0.0)
            if kind == "log inverted":
                return np.where(above, 1000.0 / (t_ref + tau_L * np.log((I - rheobase) / I)), 0.0)
        raise ValueError(kind)

    return fn


@functools.lru_cache(maxsize=None)
def _rate_cases() -> tuple:
    currents = np.array([0.0, 1000.0, 2699.0, 2700.0, 2701.0, 3000.0, 5000.0, 10_000.0, 50_000.0, 200_000.0])
    return make_cases(reference_firing_rate, [
        ("defaults (t_ref = 2 ms, C = 300 pF, gL = 30 nS, theta = 90 mV): below, at and above 2700 pA",
         currents, T_REF, C_DEFAULT, GL, THETA),
        ("t_ref = 5 ms", currents, 5.0, C_DEFAULT, GL, THETA),
        ("C = 150 pF (tau_L = 5 ms)", currents, T_REF, 150.0, GL, THETA),
        ("gL = 10 nS (tau_L = 30 ms, rheobase 900 pA)", currents, T_REF, C_DEFAULT, 10.0, THETA),
        ("theta = 20 mV (a physiological distance from rest to threshold), rheobase 600 pA",
         np.array([0.0, 300.0, 599.0, 601.0, 800.0, 2000.0, 9000.0]), T_REF, C_DEFAULT, GL, 20.0),
        ("all changed: t_ref = 0.5 ms, C = 200 pF, gL = 20 nS, theta = 15 mV",
         np.linspace(0.0, 3000.0, 13), 0.5, 200.0, 20.0, 15.0),
        ("a single current of 4000 pA", 4000.0, 3.0, 250.0, 25.0, 80.0),
    ])


def _rate_hidden(rng: np.random.Generator) -> tuple:
    rows = []
    for k in range(4):
        gL, theta = float(np.round(rng.uniform(5.0, 50.0), 2)), float(np.round(rng.uniform(10.0, 100.0), 2))
        currents = np.round(gL * theta * rng.uniform(0.2, 30.0, 8), 1)
        rows.append((f"hidden case {k + 1}", currents, float(np.round(rng.uniform(0.0, 5.0), 2)),
                     float(np.round(rng.uniform(50.0, 500.0), 1)), gL, theta))
    return make_cases(reference_firing_rate, rows, hidden=True)


RATE_EXERCISE = Exercise(
    "02", "2.2", "firing_rate", reference_firing_rate, _rate_cases, "array",
    hint="split one inter-spike interval into its two parts: the time held at rest, and the time the potential "
         "needs to climb from rest to threshold under (2.1) with a constant current (solve (2.1) as in Section 1 "
         "and ask when it reaches theta). Decide what happens when it never gets there, and mind the units "
         "(ms in, Hz out).",
    mistakes=(
        Mistake("after each spike the neuron is held at rest for t_ref before it can climb again: that time belongs "
                "to every interval.", _rate_mistake("no t_ref")),
        Mistake("your rate is in spikes per ms (kHz): the exercise asks for Hz.", _rate_mistake("per ms")),
        Mistake("this is the interval between spikes (ms); the rate is how many of them fit in a second.",
                _rate_mistake("period")),
        Mistake("below the rheobase the potential settles under threshold and the neuron never fires: return 0 "
                "there, not nan.", _rate_mistake("nan below")),
        Mistake("you left out the leak: the potential does not rise at a constant slope, it relaxes towards a "
                "level set by I and gL, and never fires if that level is below theta.", _rate_mistake("no leak")),
        Mistake("check the membrane time constant: pF / nS = ms.", _rate_mistake("tau_L inverted")),
        Mistake("your time to threshold is negative: recheck the argument of the logarithm (the potential starts "
                "at rest and rises towards its steady level).", _rate_mistake("log inverted")),
        ignores_argument(reference_firing_rate, 1, "t_ref", T_REF),
        ignores_argument(reference_firing_rate, 2, "C", C_DEFAULT),
        ignores_argument(reference_firing_rate, 3, "gL", GL),
        ignores_argument(reference_firing_rate, 4, "theta", THETA),
    ),
    hidden_cases=_rate_hidden,
    forbidden=("normad_edu.network:forward", "normad_edu.lif:simulate_layer", "normad_edu.lif:simulate_layer_reference",
               "normad_edu.lif:neuron_piece", "normad_edu.lif:threshold_crossing"),
    allowed="from (2.1) with numpy; the exact step is what the notebook checks your prediction against",
    note="Near the rheobase the rate rises steeply from 0; for strong currents it approaches 1 / t_ref.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE, RATE_EXERCISE.name: RATE_EXERCISE}


def check_v_after_reset(v_after_reset, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``v_after_reset(t, t_spike, v_free, t_ref, tau_L, EL)`` (exercise 2.1); print the verdict."""
    return check(EXERCISE, v_after_reset, hidden=hidden)


def check_firing_rate(firing_rate, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``firing_rate(I, t_ref, C, gL, theta)`` (exercise 2.2); print the verdict."""
    return check(RATE_EXERCISE, firing_rate, hidden=hidden)
