"""Exercises of notebook 05: the derivative of a spike time (5.1) and the lag at which blame changes sign (5.2).

* 5.1, ``spike_time_gradient``: the learner applies the implicit function
  theorem at a threshold crossing, (5.4); the cases sit on real first
  crossings of the no-reset potential.
* 5.2, ``blame_flip_lag`` (a small investigation with a checked conclusion):
  the lag ``s* > 0`` at which ``psihat'(s)`` changes sign. A lower-layer spike
  more than ``s*`` before the spike it feeds receives blame of the opposite
  sign, (5.8). No equation of the notebook gives it: the learner finds it
  with a root finder on ``psi_hat_kernel_dot``.

``check_spike_time_gradient(spike_time_gradient)`` and
``check_blame_flip_lag(blame_flip_lag)`` in the notebook's check cells; the
conventions are those of :mod:`normad_edu.course.exercises.framework`.

Units: ms, pA, pF, mV; the gradient in ms/pA.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

from ...kernels import alpha_kernel_dot, psi_hat_kernel, psi_hat_kernel_dot, psi_kernel, psi_kernel_dot
from ...params import C as C_DEFAULT
from ...params import EL as EL_DEFAULT
from ...params import GL, TAU1, TAU2, TAU_L_HAT
from ...params import VT as VT_DEFAULT
from .framework import Case, Exercise, Mistake, Verdict, check, make_cases
from .nb04 import d_function

__all__ = ["EXERCISES", "check_blame_flip_lag", "check_spike_time_gradient", "first_crossing",
           "reference_blame_flip_lag", "reference_spike_time_gradient"]

TAU_L = C_DEFAULT / GL


def reference_spike_time_gradient(t_f: float, trains: Sequence, w, tau1: float = TAU1, tau2: float = TAU2,
                                  tau_L: float = TAU_L) -> np.ndarray:
    """``dt_f / dw_i`` (ms/pA) of a neuron's first spike at ``t_f`` (ms), exercise 5.1.

    The implicit function theorem at ``V(t_f) = V_T`` (5.4):
    ``dt_f/dw_i = -d_i(t_f) / Vdot(t_f)`` with ``d_i(t) = sum_f psi(t - t_i^f)``
    and ``Vdot(t_f) = sum_i w_i sum_f psi'(t_f - t_i^f)`` (no reset before
    ``t_f``). ``psi`` from its three-exponential closed form (2.4). Both
    ``d`` and ``Vdot`` carry the factor ``1/C``, so ``C`` cancels (ms/pA).
    """

    def E(s, tau):  # int_0^s e^{-x/tau} e^{-(s-x)/tau_L} dx, s > 0
        if abs(tau - tau_L) < 1e-12 * tau_L:
            return s * np.exp(-s / tau_L)
        return (np.exp(-s / tau) - np.exp(-s / tau_L)) / (1.0 / tau_L - 1.0 / tau)

    d, vdot = [], 0.0
    for w_i, train in zip(np.asarray(w, dtype=float), trains):
        s = t_f - np.asarray(train, dtype=float)
        s = s[s > 0]
        psi = E(s, tau1) - E(s, tau2)                     # C psi
        alpha = np.exp(-s / tau1) - np.exp(-s / tau2)
        d.append(psi.sum())
        vdot += w_i * float(np.sum(alpha - psi / tau_L))    # C Vdot
    return -np.array(d) / vdot


def first_crossing(trains: Sequence, w, tau1: float = TAU1, tau2: float = TAU2, C: float = C_DEFAULT,
                   tau_L: float = TAU_L, theta: float = VT_DEFAULT - EL_DEFAULT, T: float = 200.0) -> float:
    """First time (ms) the no-reset potential ``sum_i w_i d_i(t)`` reaches ``theta`` (mV above rest).

    Bisection on a 0.01 ms scan of the closed-form potential, to 1e-12 ms;
    ``nan`` if it never does before ``T``. Places the cases of exercise 5.1
    on real threshold crossings.
    """
    d = d_function(trains, tau_L, tau1, tau2, C)
    w = np.asarray(w, dtype=float)

    def u(t):
        return float(d(np.array([t]))[0] @ w) - theta

    grid = np.arange(0.0, T, 0.01)
    vals = d(grid) @ w - theta
    above = np.flatnonzero(vals >= 0)
    if above.size == 0:
        return float("nan")
    lo, hi = grid[above[0] - 1], grid[above[0]]
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if u(mid) >= 0 else (mid, hi)
    return 0.5 * (lo + hi)


@functools.lru_cache(maxsize=None)
def _cases() -> tuple:
    rng = np.random.default_rng(51)
    cases = []
    table = [
        ("defaults (tau1 = 5, tau2 = 1.25, C = 300, tau_L = 10)", 8, TAU1, TAU2, C_DEFAULT, TAU_L),
        ("tau1 = 8 ms", 6, 8.0, TAU2, C_DEFAULT, TAU_L),
        ("tau2 = 0.5 ms", 10, TAU1, 0.5, C_DEFAULT, TAU_L),
        ("C = 450 pF, so larger weights (C cancels in dt_f/dw)", 7, TAU1, TAU2, 450.0, TAU_L),
        ("tau_L = 20 ms", 9, TAU1, TAU2, C_DEFAULT, 20.0),
        ("tau_L = tau1 = 4 ms (psi's limit case) and tau2 = 1 ms", 8, 4.0, 1.0, C_DEFAULT, 4.0),
    ]
    for label, n, tau1, tau2, C, tau_L in table:
        trains = [np.sort(np.round(rng.uniform(0.0, 40.0, rng.integers(1, 4)), 3)) for _ in range(n)]
        trains[1] = np.append(trains[1], 150.0)           # a spike after t_f, which cannot matter
        scale = 1.0
        while True:                                       # weights that make the neuron cross threshold
            w = np.round(scale * rng.uniform(-300.0, 3000.0, n) * (C / C_DEFAULT), 1)
            t_f = first_crossing(trains, w, tau1, tau2, C, tau_L)
            if np.isfinite(t_f) and t_f < 100.0:
                break
            scale *= 1.3
        args = (t_f, trains, w, tau1, tau2, tau_L)
        cases.append(Case(f"{label}; t_f = {t_f:.4f} ms is the first threshold crossing", args,
                          reference_spike_time_gradient(*args)))
    return tuple(cases)


def _variant(*, d_kernel="psi", vdot="psi", sign=-1.0, divide=True, tau_L_hat=None):
    def fn(t_f, trains, w, tau1=TAU1, tau2=TAU2, tau_L=TAU_L):
        C = C_DEFAULT
        tau_d = tau_L if tau_L_hat is None else tau_L_hat

        def alpha_sum(tr):
            s = t_f - np.asarray(tr, dtype=float)
            return np.sum(np.where(s > 0, np.exp(-s / tau1) - np.exp(-s / tau2), 0.0))

        d = np.array([np.sum(psi_kernel(t_f - np.asarray(tr, dtype=float), tau1, tau2, C, tau_d))
                      if d_kernel == "psi" else alpha_sum(tr) for tr in trains])
        if vdot == "psi":
            slope = sum(w_i * np.sum(psi_kernel_dot(t_f - np.asarray(tr, dtype=float), tau1, tau2, C, tau_L))
                        for w_i, tr in zip(w, trains))
        else:                                              # I / C: the leak forgotten
            slope = sum(w_i * alpha_sum(tr) for w_i, tr in zip(w, trains)) / C
        return sign * d / slope if divide else sign * d * slope

    return fn


def _ignores(param):
    def fn(t_f, trains, w, tau1=TAU1, tau2=TAU2, tau_L=TAU_L):
        kw = dict(tau1=tau1, tau2=tau2, tau_L=tau_L)
        kw[param] = dict(tau1=TAU1, tau2=TAU2, tau_L=TAU_L)[param]
        return reference_spike_time_gradient(t_f, trains, w, **kw)

    return fn


EXERCISE = Exercise(
    "05", "5.1", "spike_time_gradient", reference_spike_time_gradient, _cases, "array",
    hint="compute the two pieces of (5.4) separately on the case shown, the potential per unit weight at t_f "
         "(one number per input) and the slope of the potential at t_f (one number), and check each against a "
         "finite difference of the no-reset potential (in w_i, and in t); then combine them.",
    mistakes=(
        Mistake("the sign: raising V makes the spike come *earlier*.", _variant(sign=1.0)),
        Mistake("divide by the slope Vdot(t_f); do not multiply by it.", _variant(divide=False)),
        Mistake("dV(t_f)/dw_i is the *potential* per unit weight, built from psi (notebook 02); you seem to use "
                "the current's kernel alpha.", _variant(d_kernel="alpha")),
        Mistake("Vdot is the slope of the potential, current and leak together; you seem to use I/C alone (the "
                "leak is missing).", _variant(vdot="alpha")),
        Mistake("here d uses the membrane's own tau_L: this is the exact derivative, not NormAD's d_hat with "
                "tau_L' = 2.5 ms.", _variant(tau_L_hat=2.5)),
        Mistake("use the tau1 argument (you seem to use the default 5 ms).", _ignores("tau1")),
        Mistake("use the tau2 argument (you seem to use the default 1.25 ms).", _ignores("tau2")),
        Mistake("use the tau_L argument (you seem to use the default 10 ms).", _ignores("tau_L")),
    ),
    forbidden=("normad_edu.network:forward", "normad_edu.lif:simulate_layer", "normad_edu.lif:simulate_layer_reference",
               "normad_edu.lif:neuron_piece", "normad_edu.lif:vdot_at_threshold"),
    allowed="from psi_kernel and psi_kernel_dot (notebook 02); the simulator is what (5.4) is checked against",
    note="Multiplied by the error, this is what NormAD sends back through every hidden spike.",
)



# ---------------------------------------------------------------------------
# Exercise 5.2: the lag at which the blame passed down changes sign
# ---------------------------------------------------------------------------

def _sign_change(f, lo: float, hi: float) -> float:
    """The point where ``f`` goes from > 0 (at ``lo``) to <= 0 (at ``hi``), by bisection to the last bit (ms)."""
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return 0.5 * (lo + hi)


def _bracket(f, scale: float) -> tuple[float, float]:
    lo, hi = 1e-9 * scale, scale
    while f(hi) > 0:
        lo, hi = hi, 2.0 * hi
    return lo, hi


def reference_blame_flip_lag(tau1: float = TAU1, tau2: float = TAU2, tau_L_hat: float = TAU_L_HAT) -> float:
    """The lag ``s* > 0`` (ms) where ``psihat'(s)`` changes sign, exercise 5.2.

    ``psihat' > 0`` for ``0 < s < s*`` and ``< 0`` beyond: ``s*`` is the time
    of the peak of ``psihat = alpha * hhat``. In (5.5) and (5.8) the blame a
    spike receives from a later spike carries the sign of ``psihat'`` of
    their lag, so it flips at ``s*``. Bisection on the closed form of
    ``psihat'`` (:func:`normad_edu.kernels.psi_hat_kernel_dot`); ``C`` does
    not move the root.
    """
    def f(s):
        return float(psi_hat_kernel_dot(s, tau1, tau2, C_DEFAULT, tau_L_hat))

    return _sign_change(f, *_bracket(f, tau1 + tau_L_hat))


def _flip_variant(*, kernel="psihat", fixed=None, what="lag"):
    def fn(tau1=TAU1, tau2=TAU2, tau_L_hat=TAU_L_HAT):
        kw = dict(tau1=tau1, tau2=tau2, tau_L_hat=tau_L_hat) | (fixed or {})
        tau1, tau2, tau_L_hat = kw["tau1"], kw["tau2"], kw["tau_L_hat"]
        if kernel == "alpha":                                  # where the current kernel alpha peaks
            return math.log(tau1 / tau2) * tau1 * tau2 / (tau1 - tau2)
        if kernel == "sum":                                    # how long the blame lasts, not where it flips
            return tau1 + tau_L_hat
        if kernel == "inflection":                             # where psihat rises fastest (psihat'' = 0)
            def f(s):
                return float(alpha_kernel_dot(s, tau1, tau2) / C_DEFAULT
                             - psi_hat_kernel_dot(s, tau1, tau2, C_DEFAULT, tau_L_hat) / tau_L_hat)
        else:
            def f(s):
                return float(psi_hat_kernel_dot(s, tau1, tau2, C_DEFAULT, tau_L_hat))
        lag = _sign_change(f, *_bracket(f, tau1 + tau_L_hat))
        return float(psi_hat_kernel(lag, tau1, tau2, C_DEFAULT, tau_L_hat)) if what == "value" else lag

    return fn


@functools.lru_cache(maxsize=None)
def _flip_cases() -> tuple:
    return make_cases(reference_blame_flip_lag, [
        ("the defaults: tau1 = 5 ms, tau2 = 1.25 ms, tau_L' = 2.5 ms",),
        ("tau_L' = tau_L = 10 ms (the membrane's own memory)", TAU1, TAU2, 10.0),
        ("tau_L' = 1 ms", TAU1, TAU2, 1.0),
        ("tau1 = 8 ms, tau2 = 2 ms, tau_L' = 2.5 ms", 8.0, 2.0, TAU_L_HAT),
        ("tau1 = 4 ms, tau2 = 0.5 ms, tau_L' = 4 ms (tau_L' = tau1, the kernel's limit case)", 4.0, 0.5, 4.0),
    ])


FLIP_EXERCISE = Exercise(
    "05", "5.2", "blame_flip_lag", reference_blame_flip_lag, _flip_cases, "number",
    hint="plot psihat' (psi_hat_kernel_dot) of the case shown against the lag s, say where it crosses zero, then let "
         "a root finder (scipy.optimize.brentq, or your own bisection) find that crossing to 1e-9 ms. A grid is not "
         "precise enough.",
    mistakes=(
        Mistake("that is where the synaptic current alpha peaks; the blame travels through the potential kernel "
                "psihat = alpha * hhat, which peaks later.", _flip_variant(kernel="alpha")),
        Mistake("tau1 + tau_L' says for how long a spike's influence lasts, not where the sign of psihat' changes.",
                _flip_variant(kernel="sum")),
        Mistake("you found where psihat rises fastest (its second derivative is zero); the sign of the blame "
                "follows the first derivative.", _flip_variant(kernel="inflection")),
        Mistake("return the lag (ms) where the sign changes, not the value of psihat there.",
                _flip_variant(what="value")),
        Mistake("the rule's kernel uses tau_L' (`tau_L_hat`); you seem to use the membrane's tau_L = 10 ms.",
                _flip_variant(fixed={"tau_L_hat": 10.0})),
        Mistake("use the tau1 argument (you seem to use the default 5 ms).", _flip_variant(fixed={"tau1": TAU1})),
        Mistake("use the tau2 argument (you seem to use the default 1.25 ms).", _flip_variant(fixed={"tau2": TAU2})),
    ),
    note="Blame passed down through a lag longer than this has the opposite sign; Section 2 reads it in the figure.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE, FLIP_EXERCISE.name: FLIP_EXERCISE}


def check_spike_time_gradient(spike_time_gradient, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``spike_time_gradient(t_f, trains, w, tau1, tau2, tau_L)`` (exercise 5.1); print the verdict."""
    return check(EXERCISE, spike_time_gradient, hidden=hidden)


def check_blame_flip_lag(blame_flip_lag, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``blame_flip_lag(tau1, tau2, tau_L_hat)`` (exercise 5.2); print the verdict."""
    return check(FLIP_EXERCISE, blame_flip_lag, hidden=hidden)
