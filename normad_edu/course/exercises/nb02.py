"""Exercise of notebook 02: the membrane potential around a spike and its reset (exercise 2.1).

The learner writes the post-reset potential (2.5) from the no-reset
potential ``v_free``, which each case hands over as a function.
``check_v_after_reset(v_after_reset)`` in the notebook's check cell; the
conventions are those of :mod:`normad_edu.course.exercises.framework`.

Units: ms, mV.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ...kernels import psi_kernel
from ...params import C as C_DEFAULT
from ...params import EL as EL_DEFAULT
from ...params import GL, T_REF
from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_v_after_reset", "reference_v_after_reset"]

TAU_L = C_DEFAULT / GL


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

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE}


def check_v_after_reset(v_after_reset, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``v_after_reset(t, t_spike, v_free, t_ref, tau_L, EL)`` (exercise 2.1); print the verdict."""
    return check(EXERCISE, v_after_reset, hidden=hidden)
