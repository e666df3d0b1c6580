"""The four graded exercises of notebook 08 (nbgrader) and their checkers.

1. ``alpha_kernel``, against :func:`reference_alpha_kernel`; refused if it
   uses ``kernels.alpha_kernel``;
2. ``lif_step``, against :func:`reference_lif_step` and ``W psi(delta)``;
   refused if it uses the simulator's propagators;
3. ``normad_single_update``, against :func:`reference_normad_single_update`
   (the readable core of :mod:`normad_edu.normad`); the learner finds the
   error instants too (same-bin cancellation, pairwise, earliest with
   earliest), which notebook 04's update by hand takes from
   :func:`~normad_edu.normad.error_instants`: refused if it uses that, the
   NormAD drivers or ``add_normalized``;
4. ``backprop_adjoints``, against :func:`reference_backprop_adjoints`;
   refused if it uses ``adjoints_below``, the drivers or the engine.

Every argument is varied in the visible cases (``C`` cancels in exercise
3). ``check_<name>(f, hidden=True)`` adds hidden cases of the same kinds
(random draws of every argument, the edge cases) from a seed taken at
grading time (:mod:`normad_edu.course.exercises.framework`): the graded
tests of the instructor notebook reload this module and the framework, then
call it. The ``reference_*`` functions are the checkers' own solutions; the
notebook's model solutions are written independently of them.

Units: ms, mV, pF, pA (so pA/pF = mV/ms).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ... import normad as core
from ...kernels import psi_kernel
from ...params import C as C_DEFAULT
from ...params import GL, TAU1, TAU2, TAU_L_HAT, VDOT_MIN
from .framework import Case, Exercise, Mistake, Verdict, check, ignores_argument, make_cases, passed
from .framework import scoreboard as _scoreboard

__all__ = ["EXERCISES", "check_alpha_kernel", "check_backprop_adjoints", "check_lif_step",
           "check_normad_single_update", "passed", "reference_alpha_kernel", "reference_backprop_adjoints",
           "reference_lif_step", "reference_normad_single_update", "scoreboard"]

TAU_L = C_DEFAULT / GL
_DRIVERS = ("normad_edu.normad:normad_update", "normad_edu.normad:normad_update_reference",
            "normad_edu.normad:backward", "normad_edu.normad:backward_reference",
            "normad_edu.normad:update_for_error_instant", "normad_edu._engine.backward:run_backward")


def _random_taus(rng) -> tuple[float, float]:
    """A random synapse ``tau1 > tau2 > 0`` (ms), rounded so the input line stays readable."""
    tau2 = round(float(rng.uniform(0.3, 3.0)), 2)
    return round(tau2 * float(rng.uniform(1.6, 6.0)), 2), tau2


# ---------------------------------------------------------------------------
# Exercise 1: the synaptic kernel alpha (paper Eq. 1)
# ---------------------------------------------------------------------------

def reference_alpha_kernel(t, tau1=TAU1, tau2=TAU2):
    """``alpha(t) = [e^{-t/tau1} - e^{-t/tau2}] Theta(t)`` (dimensionless), same shape as ``t`` (ms), exercise 1."""
    t = np.asarray(t, dtype=float)
    s = np.maximum(t, 0.0)
    return np.where(t >= 0.0, np.exp(-s / tau1) - np.exp(-s / tau2), 0.0)


@functools.lru_cache(maxsize=None)
def _alpha_cases() -> tuple:
    grid = np.array([-5.0, -1.0, -0.1, 0.0, 0.1, 0.5, 1.0, 2.3, 5.0, 10.0, 25.0, 60.0])
    rows = [(f"t on a grid from -5 to 60 ms, tau1 = {a} ms, tau2 = {b} ms", grid, a, b)
            for a, b in ((TAU1, TAU2), (10.0, 2.0), (3.0, 0.5))]
    rows += [(f"scalar t = {t} ms, tau1 = {a} ms, tau2 = {b} ms (return a single number)", t, a, b)
             for t, a, b in ((-1.0, TAU1, TAU2), (0.0, TAU1, TAU2), (2.0, TAU1, TAU2), (3.5, 12.0, 4.0))]
    rows.append(("2-D array of times (keep the shape)", grid.reshape(3, 4), 8.0, 1.0))
    return make_cases(reference_alpha_kernel, rows)


def _alpha_hidden(rng) -> tuple:
    rows = []
    for n in range(3):
        tau1, tau2 = _random_taus(rng)
        t = np.round(np.concatenate([[-1000.0, 0.0, 1000.0], rng.uniform(-20, 80, 30)]), 3)
        rows.append((f"random times #{n + 1} (-1000 to 1000 ms), tau1 = {tau1} ms, tau2 = {tau2} ms", t, tau1, tau2))
    shape = tuple(int(k) for k in rng.integers(2, 5, 3))
    rows.append((f"a 3-D array of times, shape {shape}", np.round(rng.uniform(-5, 30, shape), 3), *_random_taus(rng)))
    rows.append(("a NumPy scalar time", np.float64(round(float(rng.uniform(0.0, 10.0)), 3)), *_random_taus(rng)))
    rows.append(("an integer time", int(rng.integers(0, 15)), *_random_taus(rng)))
    return make_cases(reference_alpha_kernel, rows)


def _alpha(t, tau1, tau2, *, step=True, terms=2):
    t = np.asarray(t, dtype=float)
    s = np.maximum(t, 0.0) if step else t
    value = np.exp(-s / tau1) - (np.exp(-s / tau2) if terms == 2 else 0.0)
    return np.where(t >= 0, value, 0.0) if step else value


def _at_time(case: Case, item, index) -> str:
    t = np.asarray(case.args[0])
    return f"at t = {float(t[index] if t.ndim else t):g} ms"


ALPHA = Exercise(
    "08", "1", "alpha_kernel", reference_alpha_kernel, _alpha_cases, "array",
    hint="compare your values with the figure above at a few times, t < 0, t = 0 and the peak among them; use "
         "the tau1 and tau2 arguments, and return the shape of t (np.where treats numbers and arrays alike).",
    mistakes=(
        Mistake("your values have the wrong sign: tau1 and tau2 look swapped. alpha rises with the fast tau2 and "
                "decays with the slow tau1, and it is never negative.",
                lambda t, tau1=TAU1, tau2=TAU2: reference_alpha_kernel(t, tau2, tau1)),
        Mistake("alpha must be 0 for t < 0 (the Heaviside step Theta(t)): a spike cannot act before it happens. "
                "Use np.where(t >= 0, ..., 0.0).", lambda t, tau1=TAU1, tau2=TAU2: _alpha(t, tau1, tau2, step=False)),
        Mistake("alpha must be 0 for t < 0, and tau1, tau2 look swapped too.",
                lambda t, tau1=TAU1, tau2=TAU2: _alpha(t, tau2, tau1, step=False)),
        Mistake("your function seems to ignore the tau1 and tau2 arguments (it matches the default 5 ms / 1.25 ms).",
                lambda t, tau1=TAU1, tau2=TAU2: reference_alpha_kernel(t)),
        Mistake("a single exponential is not enough: alpha is a difference of two.",
                lambda t, tau1=TAU1, tau2=TAU2: _alpha(t, tau1, tau2, terms=1)),
        ignores_argument(reference_alpha_kernel, 1, "tau1", TAU1),
        ignores_argument(reference_alpha_kernel, 2, "tau2", TAU2),
    ),
    hidden_cases=_alpha_hidden,
    forbidden=("normad_edu.kernels:alpha_kernel",),
    allowed="NumPy",
    note="Your kernel is paper Eq. (1).",
    atol=1e-10, scaled=False, locate=_at_time,
)


# ---------------------------------------------------------------------------
# Exercise 2: one exact step of the LIF neuron
# ---------------------------------------------------------------------------

def reference_lif_step(u, I1, I2, delta, tau1=TAU1, tau2=TAU2, tau_L=TAU_L, C=C_DEFAULT):
    """Exact state ``(u, I1, I2)`` (mV, pA, pA) of a LIF neuron after ``delta`` ms without spikes, exercise 2.

    ``u = V - EL``; ``I = I1 - I2``, ``I1`` decays with ``tau1``, ``I2`` with
    ``tau2``; any time constants may be equal. ``u(delta) = u e^{-delta/tau_L} +
    [I1 E(delta; tau1) - I2 E(delta; tau2)] / C`` with
    ``E(delta; tau) = (e^{-delta/tau} - e^{-delta/tau_L}) / (1/tau_L - 1/tau)`` and its
    limit ``delta e^{-delta/tau_L}`` when ``tau == tau_L``.
    """

    def E(tau):
        if tau == tau_L:
            return delta * math.exp(-delta / tau_L)
        return (math.exp(-delta / tau) - math.exp(-delta / tau_L)) / (1.0 / tau_L - 1.0 / tau)

    u_new = u * math.exp(-delta / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C
    return u_new, I1 * math.exp(-delta / tau1), I2 * math.exp(-delta / tau2)


def _random_state(rng) -> tuple:
    """``(u, I1, I2, delta)``: mV, pA, pA, ms."""
    u, I1, I2, delta = rng.uniform(-20, 80), rng.uniform(-2000, 2000), rng.uniform(-2000, 2000), rng.uniform(0.01, 8.0)
    return round(float(u), 3), round(float(I1), 2), round(float(I2), 2), round(float(rng.choice([0.1, delta])), 4)


def _random_constants(rng) -> tuple:
    """``(tau1, tau2, tau_L, C)`` (ms, pF) with every tau at least 0.5 ms away from tau_L."""
    while True:
        tau1, tau2 = _random_taus(rng)
        tau_L = round(float(rng.uniform(4.0, 25.0)), 2)
        if min(abs(tau1 - tau_L), abs(tau2 - tau_L)) > 0.5:
            return tau1, tau2, tau_L, round(float(rng.uniform(80.0, 500.0)), 1)


@functools.lru_cache(maxsize=None)
def _lif_cases() -> tuple:
    rng = np.random.default_rng(8)
    cases = []
    for d, tau1, tau_L in ((0.1, TAU1, TAU_L), (2.3, TAU1, TAU_L), (15.0, TAU1, TAU_L), (3.0, 10.0, 10.0)):
        W = 1500.0 if tau1 == tau_L else 800.0              # u = W psi(delta), from the library's kernel
        expected = (W * psi_kernel(d, tau1, TAU2, C_DEFAULT, tau_L), W * math.exp(-d / tau1), W * math.exp(-d / TAU2))
        label = (f"one input spike of W = {W} pA at t = 0, after delta = {d} ms: u must be W psi(delta)"
                 if tau1 != tau_L else "limit tau1 == tau_L (one input spike at t = 0, delta = 3 ms)")
        cases.append(Case(label, (0.0, W, W, d, tau1, TAU2, tau_L, C_DEFAULT), tuple(float(v) for v in expected)))
    rows = [(f"random state #{n + 1}", *_random_state(rng), TAU1, TAU2, TAU_L, C_DEFAULT) for n in range(4)]
    rows += [(f"random state and constants #{n + 1}", *_random_state(rng), *_random_constants(rng)) for n in range(2)]
    rows += [("limit tau1 == tau_L (random state)", 12.5, 900.0, -300.0, 1.7, 10.0, 1.25, 10.0, C_DEFAULT),
             ("limit tau2 == tau_L", -4.0, 1200.0, 700.0, 2.0, 8.0, 4.0, 4.0, 200.0),
             ("tau1 close to tau_L but not equal (11 ms vs 10 ms): no limit here", 6.0, 1100.0, 400.0, 2.5, 11.0,
              1.25, 10.0, C_DEFAULT)]
    return tuple(cases) + make_cases(reference_lif_step, rows)


def _lif_hidden(rng) -> tuple:
    rows = [(f"random state and constants #{n + 1}", *_random_state(rng), *_random_constants(rng)) for n in range(6)]
    u, I1, I2, _ = _random_state(rng)
    rows.append(("delta = 0 (nothing changes)", u, I1, I2, 0.0, *_random_constants(rng)))
    rows.append(("a long step, delta = 300 ms", *_random_state(rng)[:3], 300.0, *_random_constants(rng)))
    tau1, tau2, tau_L, C = _random_constants(rng)
    rows.append(("tau1 == tau2 (!= tau_L)", *_random_state(rng), tau2, tau2, tau_L, C))
    rows.append(("tau1 == tau2 == tau_L", *_random_state(rng), tau_L, tau_L, tau_L, C))
    rows.append(("tau2 == tau_L, random state", *_random_state(rng), tau1, tau_L, tau_L, C))
    return make_cases(reference_lif_step, rows)


def _lif_variant(change):
    """The right step with one thing wrong: ``change(u, I1, I2, delta, tau1, tau2, tau_L, C, ref)`` is the result."""
    def fn(u, I1, I2, delta, tau1=TAU1, tau2=TAU2, tau_L=TAU_L, C=C_DEFAULT):
        args = (u, I1, I2, delta, tau1, tau2, tau_L, C)
        return change(*args, reference_lif_step(*args))

    return fn


LIF_STEP = Exercise(
    "08", "2", "lif_step", reference_lif_step, _lif_cases, "numbers",
    hint="check the three outputs one at a time on the case shown: each trace decays on its own, and u follows "
         "the exact solution of the text between two events (exponential propagators, no time stepping); mind the "
         "case tau == tau_L.",
    mistakes=(
        Mistake("your result is not a number in a case with tau == tau_L: E(delta; tau) is 0/0 there; use its limit, "
                "which the text derives.",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (math.nan, *ref[1:]) if tL in (t1, t2) else ref)),
        Mistake("this is a forward Euler step u + delta du/dt. The exercise asks for the exact solution: exponential "
                "propagators, exact for any delta.",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (u + d * (-u / tL + (I1 - I2) / C),
                                                                       I1 * (1 - d / t1), I2 * (1 - d / t2)))),
        Mistake("the traces I1 and I2 must decay too, each with its own time constant.",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (ref[0], I1, I2))),
        Mistake("the current is I = I1 - I2: the I2 term enters u with a minus sign.",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (
                    reference_lif_step(u, I1, -I2, d, t1, t2, tL, C)[0], *ref[1:]))),
        Mistake("the synaptic part of u is divided by C (pF), so that pA/pF = mV/ms.",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (
                    u * math.exp(-d / tL) + C * (ref[0] - u * math.exp(-d / tL)), *ref[1:]))),
        Mistake("check the sign of the denominator of E(delta; tau).",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (
                    u * math.exp(-d / tL) - (ref[0] - u * math.exp(-d / tL)), *ref[1:]))),
        Mistake("u itself decays with the membrane time constant between two events.",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (ref[0] - u * math.exp(-d / tL) + u, *ref[1:]))),
        Mistake("the traces are swapped: I1 decays with tau1 and I2 with tau2.",
                _lif_variant(lambda u, I1, I2, d, t1, t2, tL, C, ref: (ref[0], I1 * math.exp(-d / t2),
                                                                       I2 * math.exp(-d / t1)))),
        *(ignores_argument(reference_lif_step, i, name, default) for i, name, default in
          ((4, "tau1", TAU1), (5, "tau2", TAU2), (6, "tau_L", TAU_L), (7, "C", C_DEFAULT))),
    ),
    hidden_cases=_lif_hidden,
    forbidden=("normad_edu.kernels:exp_filter", "normad_edu._engine.kernels:exp_filter",
               "normad_edu._engine.kernels:exp_filter_given", "normad_edu._engine.kernels:propagators",
               "normad_edu.lif:propagators", "normad_edu.lif:free_step", "normad_edu.lif:neuron_piece"),
    allowed="NumPy or math",
    note="This is the exact propagator the simulator in normad_edu/lif.py uses.",
    exception_hints=((ZeroDivisionError, "E(delta; tau) is 0/0 when tau == tau_L: use its limit in that case (the "
                                         "text derives it)."),),
    atol=1e-10, scaled=False, names=("u_new", "I1_new", "I2_new"),
)


# ---------------------------------------------------------------------------
# Exercise 3: the single-layer NormAD update, error instants included
# ---------------------------------------------------------------------------

def _update(trains, times, signs, r, tau_L_hat, tau1, tau2, C, *, normalize="each") -> np.ndarray:
    """``r sum_e e dhat(t_e) / ||dhat(t_e)||`` (pA) for given error instants, with the readable core.

    ``normalize``: ``"each"`` (the rule), ``"none"``, ``"total"`` (the sum
    scaled to length r) or ``"nan"`` (no skip of ``||dhat|| = 0``).
    """
    D = core.dhat_at(np.asarray(times, dtype=float), core.LayerSpikes.from_trains(trains),
                     core.Kernels(tau1, tau2, C, tau_L_hat))
    dW = np.zeros(len(trains))
    if normalize == "each":
        for s, row in zip(signs, D):
            core.add_normalized(dW, row, r * s, "layer")
        return dW
    if normalize == "nan":
        return dW + r * (np.asarray(signs)[:, None] * D / np.linalg.norm(D, axis=1)[:, None]).sum(axis=0)
    total = r * (np.asarray(signs)[:, None] * D).sum(axis=0)
    norm = np.linalg.norm(total) / r if r else 0.0
    return total if normalize == "none" or norm == 0 else total / norm


def _instants(desired, observed, dt, rule="bin"):
    """Error instants ``(times, signs)``: ``"bin"`` is the rule; ``"distance"`` cancels |t_d - t_o| < dt;
    ``"latest"`` pairs within a bin latest with latest; ``"set"`` cancels any spike with a partner in its bin."""
    d, o = np.sort(np.asarray(desired, float)), np.sort(np.asarray(observed, float))
    if rule == "bin":
        return core.error_instants(d, o, dt)
    if rule == "distance":
        keep_d, keep_o = np.ones(d.size, bool), np.ones(o.size, bool)
        i = j = 0
        while i < d.size and j < o.size:
            if abs(d[i] - o[j]) < dt:
                keep_d[i] = keep_o[j] = False
                i, j = i + 1, j + 1
            elif d[i] < o[j]:
                i += 1
            else:
                j += 1
    else:
        bd, bo = np.floor(d / dt), np.floor(o / dt)
        if rule == "set":
            keep_d, keep_o = ~np.isin(bd, bo), ~np.isin(bo, bd)
        else:                                             # "latest": the earliest spikes of a bin are left over
            keep_d = np.array([np.sum(bd[k:] == bd[k]) > np.sum(bo == bd[k]) for k in range(d.size)], bool)
            keep_o = np.array([np.sum(bo[k:] == bo[k]) > np.sum(bd == bo[k]) for k in range(o.size)], bool)
    times = np.concatenate([d[keep_d], o[keep_o]])
    signs = np.concatenate([np.ones(keep_d.sum(), int), -np.ones(keep_o.sum(), int)])
    order = np.argsort(times, kind="mergesort")
    return times[order], signs[order]


def reference_normad_single_update(input_trains, desired, observed, r, tau_L_hat=TAU_L_HAT, coincidence_dt=0.1,
                                   tau1=TAU1, tau2=TAU2, C=C_DEFAULT) -> np.ndarray:
    """Single-layer NormAD update ``dW = r sum_e e(t_e) dhat(t_e) / ||dhat(t_e)||`` (pA), exercise 3.

    Error instants from :func:`~normad_edu.normad.error_instants` (same-bin
    cancellation), ``dhat`` from :func:`~normad_edu.normad.dhat_at` and the
    normalised step of :func:`~normad_edu.normad.add_normalized` (instants
    with ``||dhat|| = 0`` are skipped). Returns shape ``(len(input_trains),)``.
    """
    times, signs = core.error_instants(desired, observed, coincidence_dt)
    return _update(input_trains, times, signs, r, tau_L_hat, tau1, tau2, C)


def _normad_variant(rule="bin", normalize="each", sign=1.0, **fixed):
    def fn(input_trains, desired, observed, r, tau_L_hat=TAU_L_HAT, coincidence_dt=0.1, tau1=TAU1, tau2=TAU2,
           C=C_DEFAULT):
        times, signs = _instants(desired, observed, coincidence_dt, rule)
        args = dict(r=r, tau_L_hat=tau_L_hat, tau1=tau1, tau2=tau2, C=C) | fixed
        return sign * _update(input_trains, times, signs, normalize=normalize, **args)

    return fn


def _trains(rng, n, t_max, rate=3):
    return [np.unique(np.round(rng.uniform(0, t_max, rng.poisson(rate)), 3)) for _ in range(n)]


_HAND = (np.array([1.0, 7.5, 14.0]), np.array([2.2, 9.0]), np.array([]), np.array([4.0, 11.0, 18.5, 25.0]),
         np.array([13.0]))


@functools.lru_cache(maxsize=None)
def _normad_cases() -> tuple:
    hand = list(_HAND)
    rng = np.random.default_rng(3)
    return make_cases(reference_normad_single_update, [
        ("hand-made: 5 inputs (one silent), an error at 0.5 ms before any input spike, and a desired/observed pair "
         "at 12.01/12.04 ms that cancels", hand, [0.5, 12.01, 20.0], [12.04, 16.0, 31.0], 1000.0, TAU_L_HAT, 0.1),
        ("no error at all (desired == observed): the update is zero", hand, [5.0, 15.0], [5.0, 15.0], 1000.0,
         TAU_L_HAT, 0.1),
        ("bin edges, coincidence_dt = 0.1 ms: 12.09/12.11 ms straddle the edge at 12.1 ms (two error instants), "
         "20.01/20.08 ms share a bin (they cancel)", hand, [3.0, 12.09, 20.01], [12.11, 20.08, 27.5], 1000.0,
         TAU_L_HAT, 0.1),
        ("coincidence_dt = 1 ms: 14.5/14.9 and 30.2/30.9 ms cancel, 39.9/40.3 ms straddle the edge at 40 ms (two "
         "error instants)", hand, [6.2, 14.5, 30.2, 39.9], [14.9, 30.9, 40.3, 52.0], 500.0, TAU_L_HAT, 1.0),
        ("two desired spikes (8.1, 8.4 ms) and one observed spike (8.3 ms) in the bin [8, 8.5) of coincidence_dt = "
         "0.5 ms: one pair cancels", hand, [8.1, 8.4, 21.0], [8.3, 16.2], 800.0, 3.0, 0.5),
        ("random problem: 12 inputs, r = 300 pA, tau_L_hat = 10 ms, coincidence_dt = 0.5 ms, tau1 = 8 ms, "
         "tau2 = 2 ms, C = 200 pF", _trains(rng, 12, 80), [10.0, 33.3, 61.0, 64.6], [22.0, 45.5, 46.0, 64.4, 70.2],
         300.0, 10.0, 0.5, 8.0, 2.0, 200.0),
    ])


def _pairs_at_bin_edges(rng, dt: float, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Desired and observed trains (ms) with pairs straddling bin edges, pairs sharing a bin, lone spikes."""
    edges = rng.choice(np.arange(1, int(T / dt) // 3 - 1), size=6, replace=False) * 3 * dt   # 3 bins apart at least
    desired, observed = [], []
    for k, e in enumerate(edges):
        if k % 3 == 2:                                   # a lone desired spike
            desired.append(e + 0.5 * dt)
            continue
        pair = (e - 0.3 * dt, e + 0.3 * dt) if k % 3 == 0 else (e + 0.2 * dt, e + 0.7 * dt)  # straddle / share
        d, o = pair if rng.random() < 0.5 else pair[::-1]
        desired.append(d)
        observed.append(o)
    observed.append(T + 0.5 * dt)                        # a lone extra output spike
    return np.sort(np.round(desired, 6)), np.sort(np.round(observed, 6))


def _normad_hidden(rng) -> tuple:
    def constants():
        tau1, tau2 = _random_taus(rng)
        r, tau_hat, C = (round(float(v), 2) for v in (rng.uniform(50, 2000), rng.uniform(1, 12), rng.uniform(80, 500)))
        return r, tau_hat, tau1, tau2, C

    rows = []
    for n in range(3):
        dt = float(rng.choice([0.05, 0.25, 0.5, 2.0]))
        desired, observed = _pairs_at_bin_edges(rng, dt, 60.0)
        r, tau_hat, tau1, tau2, C = constants()
        rows.append((f"random problem #{n + 1}, coincidence_dt = {dt} ms, pairs at bin edges",
                     _trains(rng, int(rng.integers(6, 15)), 70, 4), desired, observed, r, tau_hat, dt, tau1, tau2, C))
    dt = float(rng.choice([0.2, 0.5, 1.0]))
    start = int(rng.integers(10, 40)) * dt
    in_bin = np.round(start + np.sort(rng.uniform(0.05, 0.95, 3)) * dt, 6)
    r, tau_hat, tau1, tau2, C = constants()
    crowded = [in_bin[[0, 2]], in_bin[[1]]] if rng.random() < 0.5 else [in_bin[[1]], in_bin[[0, 2]]]
    rows.append(("two spikes of one train and one of the other in one bin", _trains(rng, 8, 60, 4),
                 np.append(crowded[0], 55.0), crowded[1], r, tau_hat, dt, tau1, tau2, C))
    r, tau_hat, tau1, tau2, C = constants()
    rows.append(("no desired spike (every output spike is an error)", _trains(rng, 7, 40, 4), [],
                 np.sort(np.round(rng.uniform(1, 40, 3), 3)), r, tau_hat, 0.1, tau1, tau2, C))
    r, tau_hat, tau1, tau2, C = constants()
    rows.append(("no observed spike (every desired spike is missed)", _trains(rng, 7, 40, 4),
                 np.sort(np.round(rng.uniform(1, 40, 2), 3)), [], r, tau_hat, 0.1, tau1, tau2, C))
    return make_cases(reference_normad_single_update, rows)


NORMAD = Exercise(
    "08", "3", "normad_single_update", reference_normad_single_update, _normad_cases, "array",
    hint="check the error instants first (print yours for the case shown: which pairs cancel, which spikes are "
         "left over, with which sign), then one instant's step (its direction dhat and its length r), then the sum.",
    mistakes=(
        Mistake("your update is all zeros, but this case has error instants with ||dhat|| > 0: add each instant's "
                "step to dW (dW += ...).", lambda tr, *args: np.zeros(len(tr))),
        Mistake("NaN appears when ||dhat(t_e)|| = 0 (no input has spiked before t_e, so no weight can change V "
                "there): skip those instants instead of dividing by zero.", _normad_variant(normalize="nan")),
        Mistake("the sign is flipped: e(t_e) = +1 at a missed desired spike (raise V there), -1 at an extra "
                "output spike.", _normad_variant(sign=-1.0)),
        Mistake("normalise each instant's dhat(t_e) by its own norm ||dhat(t_e)|| before summing (you seem to use "
                "no normalisation).", _normad_variant(normalize="none")),
        Mistake("normalise each instant separately, not the sum.", _normad_variant(normalize="total")),
        Mistake("a desired and an observed spike cancel only when they fall in the same bin floor(t / "
                "coincidence_dt), not whenever |t_d - t_o| < coincidence_dt: a pair that straddles a bin edge gives "
                "two error instants.", _normad_variant(rule="distance")),
        Mistake("within a bin the spikes cancel *pairwise*: two desired spikes and one observed spike in one bin "
                "leave one error instant.", _normad_variant(rule="set")),
        Mistake("within a bin, pair the spikes earliest with earliest: the spikes left over are the later ones.",
                _normad_variant(rule="latest")),
        Mistake("dhat uses tau_L_hat (tau_L'), not the membrane's tau_L = 10 ms.", _normad_variant(tau_L_hat=TAU_L)),
        Mistake("multiply by the learning rate r.", _normad_variant(r=1.0)),
        *(ignores_argument(reference_normad_single_update, i, name, default) for i, name, default in
          ((4, "tau_L_hat", TAU_L_HAT), (5, "coincidence_dt", 0.1), (6, "tau1", TAU1), (7, "tau2", TAU2))),
    ),
    hidden_cases=_normad_hidden,
    forbidden=_DRIVERS + ("normad_edu.normad:error_instants", "normad_edu.normad:error_instants_padded",
                          "normad_edu.normad:add_normalized",
                          "normad_edu._engine.error_instants:error_instants_padded",
                          "normad_edu._engine.error_instants:error_instants_kernel"),
    allowed="find the error instants with your own loop; psi_hat_kernel (or d_hat) and NumPy for the rest",
    note="This is the output-layer rule of normad_edu.normad.normad_update.",
    atol=1e-10, scaled=False, locate=lambda case, item, index: f"at input neuron i = {index[0]}" if index else "",
)


# ---------------------------------------------------------------------------
# Exercise 4: one step of spatio-temporal error backpropagation
# ---------------------------------------------------------------------------

def reference_backprop_adjoints(a_upper, upper_times, upper_vdot, W, lower_times, vdot_min=VDOT_MIN,
                                tau_L_hat=TAU_L_HAT, tau1=TAU1, tau2=TAU2, C=C_DEFAULT) -> list[np.ndarray]:
    """Adjoints ``a_lower[i][g]`` (mV/ms) of layer l-1 from those of layer l, exercise 4.

    ``a_i^g = sum_j sum_{f: t_j^f > t_i^g} a_j^f / max(Vdot_j^f, vdot_min) W_ji psihat'(t_j^f - t_i^g)``:
    :func:`~normad_edu.normad.deltas` then :func:`~normad_edu.normad.adjoints_below`
    of the readable core. Per upper neuron ``j``: adjoints (mV/ms), spike
    times (ms), Vdot at those spikes (mV/ms); ``W`` (n_upper, n_lower) in pA;
    per lower neuron ``i``: spike times (ms).
    """
    upper = core.LayerSpikes.from_trains(upper_times, vdot=upper_vdot)
    lower = core.LayerSpikes.from_trains(lower_times)
    a = np.concatenate([np.empty(0)] + [np.asarray(x, dtype=float).reshape(-1) for x in a_upper])
    delta = core.deltas(a, upper, vdot_min)
    a_lower = core.adjoints_below(delta, upper, np.asarray(W, dtype=float), lower,
                                  core.Kernels(tau1, tau2, C, tau_L_hat))
    ends = np.cumsum([np.size(t) for t in lower_times])[:-1]
    return [np.array(x) for x in np.split(a_lower, ends)]


def _random_layers(rng, upper_counts, lower_counts):
    """``(a_upper, upper_times, upper_vdot, W, lower_times)`` with the given spike counts per neuron."""
    up_t = [np.sort(np.round(rng.uniform(2, 50, k), 3)) for k in upper_counts]
    low_t = [np.sort(np.round(rng.uniform(0, 45, k), 3)) for k in lower_counts]
    a_up = [np.round(rng.normal(0, 0.5, t.size), 4) for t in up_t]
    vd_up = [np.round(rng.uniform(0.1, 4.0, t.size), 3) for t in up_t]
    W = np.round(rng.normal(0, 400, (len(upper_counts), len(lower_counts))), 1)
    return a_up, up_t, vd_up, W, low_t


@functools.lru_cache(maxsize=None)
def _backprop_cases() -> tuple:
    rng = np.random.default_rng(4)
    return make_cases(reference_backprop_adjoints, [
        ("hand-made: 2 upper neurons, 3 lower neurons; one Vdot (0.4) is below vdot_min",
         [np.array([0.3, -0.1]), np.array([0.5])], [np.array([5.0, 12.0]), np.array([8.0])],
         [np.array([2.0, 0.4]), np.array([1.5])], np.array([[400.0, -250.0, 600.0], [150.0, 900.0, -300.0]]),
         [np.array([1.0, 9.0]), np.array([3.0]), np.array([20.0])], VDOT_MIN, TAU_L_HAT),
        ("random: 4 upper (one silent), 5 lower (one silent)", *_random_layers(rng, (3, 0, 2, 4), (2, 3, 0, 1, 4)),
         VDOT_MIN, TAU_L_HAT),
        ("random, vdot_min = 0.5 mV/ms and tau_L_hat = 10 ms", *_random_layers(rng, (3, 0, 2, 4), (2, 3, 0, 1, 4)),
         0.5, 10.0),
        ("random square layers (3 x 3), vdot_min = 0.7 mV/ms, tau_L_hat = 4 ms, tau1 = 8 ms, tau2 = 2 ms, C = 200 pF",
         *_random_layers(rng, (3, 2, 3), (2, 3, 2)), 0.7, 4.0, 8.0, 2.0, 200.0),
    ])


def _backprop_hidden(rng) -> tuple:
    def constants():
        tau1, tau2 = _random_taus(rng)
        vdot_min, tau_hat, C = (round(float(v), 2) for v in (rng.uniform(0.2, 2.0), rng.uniform(1.0, 12.0),
                                                             rng.uniform(80, 500)))
        return vdot_min, tau_hat, tau1, tau2, C

    rows = []
    for n in range(3):
        up = tuple(int(k) for k in rng.integers(0, 5, int(rng.integers(2, 6))))
        low = tuple(int(k) for k in rng.integers(0, 5, int(rng.integers(2, 6))))
        rows.append((f"random layers #{n + 1}, {len(up)} x {len(low)}, and constants", *_random_layers(rng, up, low),
                     *constants()))
    a_up, up_t, vd_up, W, low_t = _random_layers(rng, (2, 3), (2, 1, 2))
    low_t[0][0] = up_t[1][1]                             # the same time as an upper spike: lag 0 counts 0
    low_t[0] = np.sort(low_t[0])
    rows.append(("a lower spike at the same time as an upper spike", a_up, up_t, vd_up, W, low_t, *constants()))
    a_up, up_t, vd_up, W, low_t = _random_layers(rng, (2, 1), (3, 2))
    low_t = [t + 60.0 for t in low_t]                    # after every upper spike (which end before 50 ms)
    rows.append(("every lower spike comes after every upper spike (all adjoints 0)", a_up, up_t, vd_up, W, low_t,
                 *constants()))
    return make_cases(reference_backprop_adjoints, rows)


def _over_pairs(kernel, later):
    """A variant of the sum over (upper spike, lower spike) pairs with another kernel or another pair rule."""
    def fn(a_up, up_t, vd_up, W, low_t, vdot_min=VDOT_MIN, tau_L_hat=TAU_L_HAT, tau1=TAU1, tau2=TAU2, C=C_DEFAULT):
        psihat = core.Kernels(tau1, tau2, C, tau_L_hat)
        out = []
        for i, t_i in enumerate(low_t):
            a_i = np.zeros(np.size(t_i))
            for j, t_j in enumerate(up_t):
                delta = np.asarray(a_up[j], float) / np.maximum(np.asarray(vd_up[j], float), vdot_min)
                tj, ti = np.meshgrid(np.asarray(t_j, float), np.asarray(t_i, float), indexing="ij")
                a_i += W[j][i] * (delta[:, None] * np.where(later(tj, ti), kernel(psihat, tj, ti), 0.0)).sum(axis=0)
            out.append(a_i)
        return out

    return fn


BACKPROP = Exercise(
    "08", "4", "backprop_adjoints", reference_backprop_adjoints, _backprop_cases, "arrays",
    hint="take the case shown and compute one lower spike's adjoint by hand from the equation above (which upper "
         "spikes count, how each is scaled, which weight, which kernel and which time difference); compare it "
         "with your function's value.",
    mistakes=(
        Mistake("all your adjoints are 0, but the expected ones are not: add every term of an upper spike after the "
                "lower spike into a_i (a_i[later] += ...).", lambda a, up, vd, W, low, *r: [np.zeros(np.size(t))
                                                                                           for t in low]),
        Mistake("clip Vdot from below at vdot_min before dividing by it.",
                lambda a, up, vd, W, low, vmin, *rest: reference_backprop_adjoints(a, up, vd, W, low, 1e-300, *rest)),
        Mistake("divide a_j^f by the (clipped) Vdot_j^f, do not multiply.",
                lambda a, up, vd, W, low, vmin, *rest: reference_backprop_adjoints(
                    a, up, [1.0 / np.maximum(np.asarray(v, float), vmin) for v in vd], W, low, 0.0, *rest)),
        Mistake("the sign is flipped: no minus sign in this step (it belongs only to the output layer's adjoints).",
                lambda *args: [-x for x in reference_backprop_adjoints(*args)]),
        Mistake("use the derivative psihat' (psi_hat_kernel_dot), not psihat itself.",
                _over_pairs(lambda k, tj, ti: k.psi_hat(tj - ti), lambda tj, ti: tj > ti)),
        Mistake("the time difference is reversed: the kernel takes the upper spike's time minus the lower spike's, "
                "and only upper spikes after the lower spike count.",
                _over_pairs(lambda k, tj, ti: k.psi_hat_dot(ti - tj), lambda tj, ti: ti > tj)),
        *(ignores_argument(reference_backprop_adjoints, i, name, default) for i, name, default in
          ((5, "vdot_min", VDOT_MIN), (6, "tau_L_hat", TAU_L_HAT), (7, "tau1", TAU1), (8, "tau2", TAU2),
           (9, "C", C_DEFAULT))),
    ),
    hidden_cases=_backprop_hidden,
    forbidden=_DRIVERS + ("normad_edu.normad:adjoints_below", "normad_edu.normad:backward_steps",
                          "normad_edu.normad:LayerBlame", "normad_edu._engine.sweeps:adjoint_sweep"),
    allowed="psi_hat_kernel_dot and NumPy",
    note="normad_edu.normad applies this step once per hidden layer, from the top down.",
    exception_hints=((IndexError, "W has shape (n_upper, n_lower): the weight from lower neuron i to upper neuron j "
                                  "is W[j, i]."),),
    atol=1e-10, scaled=False, items="one array per lower neuron",
    locate=lambda case, item, index: (f"at lower neuron i = {item}, spike g = {index[0]} "
                                      f"(t_i^g = {case.args[4][item][index[0]]:g} ms)" if index
                                      else f"at lower neuron i = {item}"),
)

#: This notebook's exercises, by the name of the function the learner writes, in notebook order.
EXERCISES = {ex.name: ex for ex in (ALPHA, LIF_STEP, NORMAD, BACKPROP)}


def check_alpha_kernel(alpha_kernel, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``alpha_kernel(t, tau1, tau2)`` (exercise 1); print the verdict."""
    return check(ALPHA, alpha_kernel, hidden=hidden)


def check_lif_step(lif_step, *, hidden: bool | int = False) -> Verdict:
    """Check ``lif_step(u, I1, I2, delta, tau1, tau2, tau_L, C) -> (u, I1, I2)`` (exercise 2); print the verdict."""
    return check(LIF_STEP, lif_step, hidden=hidden)


def check_normad_single_update(normad_single_update, *, hidden: bool | int = False) -> Verdict:
    """Check ``normad_single_update(input_trains, desired, observed, r, tau_L_hat, coincidence_dt, tau1, tau2, C)``
    (exercise 3); print the verdict."""
    return check(NORMAD, normad_single_update, hidden=hidden)


def check_backprop_adjoints(backprop_adjoints, *, hidden: bool | int = False) -> Verdict:
    """Check ``backprop_adjoints(a_upper, upper_times, upper_vdot, W, lower_times, vdot_min, tau_L_hat, tau1, tau2,
    C)`` (exercise 4); print the verdict."""
    return check(BACKPROP, backprop_adjoints, hidden=hidden)


def scoreboard() -> dict[str, bool]:
    """Print the last result of the four exercises of notebook 08; return ``{name: passed}``."""
    return _scoreboard(EXERCISES.values(), title="Assignment scoreboard")
