"""Practice exercises of notebooks 01-07b and their checkers.

Each notebook 01-07b asks the learner, right after a derivation, to write one
short function; the cell after it calls ``check_<name>(<name>)``, which prints
one message and returns nothing:

* ``not implemented yet`` -- the function still raises ``NotImplementedError``
  (as the notebooks ship: the stub raises, so the notebook runs top to
  bottom; the solution is folded in a ``<details>`` block below the check);
* ``correct`` -- every case agrees with the checker's own reference;
* ``wrong`` -- the first case that disagrees (input, expected, returned) and a
  hint: a specific one only when the learner's results equal a known
  mistake's results on every case (so a near-correct answer never gets the
  advice of a mistake it did not make), else the general recipe;
* ``refused`` -- the function calls the library's own implementation of what
  the exercise asks for (e.g. :func:`normad_edu.metrics.correlation` in
  exercise 3.1, or a ready-made one such as ``scipy.stats.binomtest`` in
  exercise 7.2) or any code of this module (its ``reference_*`` solutions,
  its mistakes): found by the two looks of :mod:`normad_edu.course._checking`, which
  the checkers of notebook 08 share (the answer's code is read before it
  runs, and its calls are watched while it runs), so an alias, an import
  inside the function or a call by a name built at run time does not hide
  it. The functions a case hands to the learner (``v_free``, ``d``) may of
  course be called.

The cases vary every argument of each exercise (so an answer that ignores an
argument and uses its default fails) and include the edge cases the
derivation warns about. ``tests/test_practice.py`` runs a catalogue of wrong
answers against every checker and asserts that each one is caught.

=========  ========================  ==========================================
exercise   learner writes            practises
=========  ========================  ==========================================
1.1        ``synaptic_charge``       area of alpha (1.1) and the current (1.3)
2.1        ``v_after_reset``         the post-reset potential (2.5)
3.1        ``spike_correlation``     the closed form of the metric (3.4)
4.1        ``reset_gradient``        the gradient with a reset (4.7)
5.1        ``spike_time_gradient``   the derivative of a spike time (5.4)
6.1        ``xor_encode``            the XOR spike-time encoding (Sec. 1 of 06)
7.1        ``first_spike_times``     a layer's first spike from padded arrays
7.2        ``mcnemar_exact_p``       the exact McNemar test (7.2) of 07b
=========  ========================  ==========================================

Units: ms, mV, pF, nS, pA (pA ms = fC, ms/pF * pA = mV).
"""

from __future__ import annotations

import copy
import functools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _checking
from ._checking import fmt as _fmt
from ..kernels import psi_kernel, psi_kernel_dot
from ..params import C as C_DEFAULT
from ..params import EL as EL_DEFAULT
from ..params import GL, SIGMA, T_REF, TAU1, TAU2, VT as VT_DEFAULT

TAU_L = C_DEFAULT / GL
#: Relative tolerance of every comparison; the absolute one is RTOL times the case's largest value.
RTOL = 1e-7

__all__ = [
    "Verdict", "EXERCISES", "evaluate",
    "check_synaptic_charge", "check_v_after_reset", "check_spike_correlation", "check_reset_gradient",
    "check_spike_time_gradient", "check_xor_encode", "check_first_spike_times", "check_mcnemar_exact_p",
    "reference_synaptic_charge", "reference_v_after_reset", "reference_spike_correlation", "reference_reset_gradient",
    "reference_spike_time_gradient", "reference_xor_encode", "reference_first_spike_times", "reference_mcnemar_exact_p",
]


# ---------------------------------------------------------------------------
# Reference solutions (the checkers' own; written without the library's
# implementation of the same quantity)
# ---------------------------------------------------------------------------

def reference_synaptic_charge(t: float, trains: Sequence, w, tau1: float = TAU1, tau2: float = TAU2) -> float:
    """Charge delivered by all synapses up to time ``t`` (pA ms = fC), exercise 1.1.

    ``Q(t) = sum_i w_i sum_f A(t - t_i^f)`` with
    ``A(s) = int_0^s alpha = tau1 (1 - e^{-s/tau1}) - tau2 (1 - e^{-s/tau2})``
    for ``s > 0`` and 0 otherwise (a spike at or after ``t`` has delivered
    nothing yet). ``trains[i]`` are the spike times (ms) of synapse ``i``,
    ``w[i]`` its weight (pA), ``tau1 > tau2`` the time constants (ms).
    """
    total = 0.0
    for w_i, train in zip(np.asarray(w, dtype=float), trains):
        s = t - np.asarray(train, dtype=float)
        s = s[s > 0]
        total += w_i * float(np.sum(tau1 * -np.expm1(-s / tau1) - tau2 * -np.expm1(-s / tau2)))
    return total


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


def reference_xor_encode(bit_a: int, bit_b: int, start_0: float = 0.0, start_1: float = 6.0,
                         reference_start: float = 0.0, n_per_set: int = 18, stagger: float = 1.0) -> list:
    """The XOR input pattern of notebook 06, exercise 6.1.

    Three sets of ``n_per_set`` neurons (bit a, bit b, reference, in that
    order); neuron ``m`` of a set starting at ``s`` fires once at
    ``s + m stagger`` (ms). A bit set starts at ``start_0`` for 0 and
    ``start_1`` for 1; the reference set at ``reference_start``.
    """
    starts = [start_1 if bit_a else start_0, start_1 if bit_b else start_0, reference_start]
    return [np.array([s + m * stagger]) for s in starts for m in range(n_per_set)]


# ---------------------------------------------------------------------------
# Machinery
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    """What a checker found: ``status`` is one of ``"correct"``, ``"wrong"``,
    ``"not implemented"``, ``"refused"``; ``message`` is what it prints."""

    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "correct"


@dataclass(frozen=True)
class _Case:
    label: str
    args: tuple            # positional, in the stub's order
    names: tuple           # the argument names, for messages
    expected: Any


@dataclass(frozen=True)
class _Mistake:
    hint: str
    fn: Callable           # same signature as the learner's function


@dataclass(frozen=True)
class _Exercise:
    number: str
    name: str
    cases: Callable[[], tuple]
    kind: str              # "scalar", "array", "trains": how results are compared
    recipe: str            # the general hint
    mistakes: tuple = ()
    forbidden: tuple = ()  # "module:attribute" of the library functions that compute the same thing
    allowed: str = ""      # what the learner may use instead (in the refusal message)
    note: str = ""         # said on success

    @property
    def title(self) -> str:
        return f"Exercise {self.number} ({self.name})"


def _as_array(x):
    """``x`` as a float array if it holds numbers (not text, not booleans), else None."""
    try:
        raw = np.asarray(x)
        if raw.dtype.kind not in "iuf":
            raw = np.asarray(x, dtype=float) if raw.dtype.kind == "O" and all(
                isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                for v in raw.reshape(-1)) else None
        return None if raw is None else raw.astype(float)
    except (TypeError, ValueError):
        return None


def _difference(kind: str, expected, got) -> str | None:
    """None if ``got`` agrees with ``expected``; else what is wrong, in words."""
    if got is None:
        return "your function returned None (did you forget `return`?)"
    if kind == "trains":
        if not isinstance(got, (list, tuple)):
            return f"return a list of spike trains (one array per input neuron), not a {type(got).__name__}"
        if len(got) != len(expected):
            return f"expected {len(expected)} spike trains (3 sets of n_per_set), you returned {len(got)}"
        for i, (e, g) in enumerate(zip(expected, got)):
            arr = _as_array(g)
            if arr is None or arr.ndim != 1:
                return f"train {i} should be a 1-D array of spike times, you returned {_fmt(g)}"
            problem = _difference("array", e, arr)
            if problem is not None:
                n = max(len(expected) // 3, 1)
                return f"train {i} (set {i // n + 1}, neuron m = {i % n}): {problem}"
        return None
    arr = _as_array(got)
    if arr is None:
        return f"your function returned a {type(got).__name__}, not numbers"
    exp = np.asarray(expected, dtype=float)
    if kind == "scalar" and arr.ndim != 0 and arr.size != 1:
        return f"the result should be a single number, you returned shape {arr.shape}"
    if kind == "scalar":
        arr = arr.reshape(())
    elif arr.shape != exp.shape:
        return f"wrong shape: expected {exp.shape}, you returned {arr.shape}"
    same = (np.isnan(arr) & np.isnan(exp)) | (np.isinf(arr) & (arr == exp))   # equal non-finite values agree
    odd = ~np.isfinite(arr) & ~same
    if odd.any():
        idx = tuple(int(v) for v in np.argwhere(odd)[0])
        return f"your result contains {arr[idx]} (not a finite number)" + (f" at index {idx}" if idx else "")
    unmatched = ~np.isfinite(exp) & ~same                                   # inf or nan expected, a number given
    if unmatched.any():
        idx = tuple(int(v) for v in np.argwhere(unmatched)[0])
        return (f"expected {exp[idx]}" + (f" at index {idx}" if idx else "") + f", got {arr[idx]:.10g}")
    finite_exp = np.where(same, 0.0, exp)
    with np.errstate(invalid="ignore"):
        err = np.where(same, 0.0, np.abs(arr - finite_exp))
    tol = RTOL * (max(float(np.max(np.abs(finite_exp[np.isfinite(finite_exp)]), initial=0.0)), 1e-300)
                  + np.abs(finite_exp))
    if np.all(err <= tol):
        return None
    if exp.ndim == 0:
        return f"expected {exp.item():.10g}, got {arr.item():.10g}"
    idx = tuple(int(v) for v in np.unravel_index(int(np.argmax(err)), err.shape))
    return f"at index {idx}: expected {exp[idx]:.10g}, got {arr[idx]:.10g}"


def evaluate(exercise: str, fn) -> Verdict:
    """Run the checker of ``exercise`` (a function name, e.g. ``"spike_correlation"``) on ``fn``.

    Never raises: whatever ``fn`` does is reported in the returned
    :class:`Verdict`. The ``check_*`` functions print its message.
    """
    if exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {sorted(EXERCISES)}, got {exercise!r}")
    ex = EXERCISES[exercise]
    if not callable(fn):
        return Verdict("wrong", f"{ex.title}: expected a function, got {_fmt(fn)}. Pass the function itself: "
                                f"check_{ex.name}({ex.name}), without calling it.")
    forbidden = _checking.resolve(ex.forbidden + tuple(f"{__name__}:reference_{name}" for name in EXERCISES))
    try:
        label = _checking.find_reference(fn, forbidden, {lab.rsplit(".", 1)[1]: lab for lab, _ in forbidden.values()})
    except Exception:  # noqa: BLE001 - code we cannot read: its calls are still watched while it runs
        label = None
    if label is not None:
        return _refused(ex, label)
    cases = ex.cases()
    results = []
    for case in cases:
        args = copy.deepcopy(case.args)                   # the learner cannot change the cases
        watch = _checking.CallWatch(forbidden, own_file=__file__, own_module=__name__, allowed=args)
        try:
            got = watch.call(fn, args)
        except NotImplementedError:
            return Verdict("not implemented", f"{ex.title}: not implemented yet. Write the function in the cell "
                                              f"above (replace the `raise NotImplementedError` line), run it, "
                                              f"then run this check again. The solution is folded below.")
        except Exception as exc:  # noqa: BLE001 - report, never raise
            if watch.hit is not None:
                return _refused(ex, watch.hit)
            return Verdict("wrong", f"{ex.title}: your function raised {type(exc).__name__}: {exc}\n"
                                    f"  case:     {case.label}\n  input:    {_inputs(case)}\n"
                                    f"  Run your function on this input in a new cell to see where it fails.")
        if watch.hit is not None:
            return _refused(ex, watch.hit)
        results.append(got)
    return _judge(ex, cases, results)


def _judge(ex: _Exercise, cases, results) -> Verdict:
    """The verdict on the results of a function that ran on every case."""
    problems = [_safe_difference(ex.kind, case.expected, got) for case, got in zip(cases, results)]
    bad = [i for i, p in enumerate(problems) if p is not None]
    if not bad:
        return Verdict("correct", f"{ex.title}: correct, all {len(cases)} cases agree with the reference. {ex.note}"
                       .rstrip())
    k = bad[0]
    hint = _mistake_hint(ex, cases, results) or ex.recipe
    return Verdict("wrong", f"{ex.title}: wrong in case {k + 1} of {len(cases)}: {cases[k].label}\n"
                            f"  input:    {_inputs(cases[k])}\n"
                            f"  expected: {_fmt(cases[k].expected)}\n"
                            f"  you gave: {_fmt(results[k])}\n"
                            f"  problem:  {problems[k]}\n"
                            f"  hint:     {hint}")


def _safe_difference(kind, expected, got) -> str | None:
    try:
        return _difference(kind, expected, got)
    except Exception as exc:  # noqa: BLE001 - a result we cannot compare is a wrong result
        return f"the checker could not compare your result ({type(exc).__name__}: {exc})"


def _inputs(case: _Case) -> str:
    return ", ".join(f"{n} = {_fmt(v)}" for n, v in zip(case.names, case.args))


def _refused(ex: _Exercise, qualname: str) -> Verdict:
    what = ("the checker's own code" if qualname.startswith(__name__ + ".") else
            "the library's own implementation of what this exercise asks you to write"
            if qualname.startswith("normad_edu.") else "a ready-made implementation of what this exercise asks "
                                                       "you to write")
    return Verdict("refused", f"{ex.title}: refused, your function calls {qualname}, {what}. Write it yourself"
                              + (f" ({ex.allowed})." if ex.allowed else "."))


def _mistake_hint(ex: _Exercise, cases, results) -> str | None:
    """The hint of the first known mistake whose results equal the learner's on every case."""
    for mistake in ex.mistakes:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                same = all(_difference(ex.kind, mistake.fn(*copy.deepcopy(c.args)), got) is None
                           for c, got in zip(cases, results))
        except Exception:  # noqa: BLE001 - a mistake that cannot be evaluated does not match
            same = False
        if same:
            return mistake.hint
    return None


def _check(name: str, fn) -> None:
    print(evaluate(name, fn).message)


# ---------------------------------------------------------------------------
# Exercise 1.1: charge delivered up to time t (notebook 01)
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _charge_cases() -> tuple:
    names = ("t", "trains", "w", "tau1", "tau2")
    trains = [np.array([2.0, 11.5]), np.array([7.0]), np.array([]), np.array([0.5, 3.0, 18.25])]
    w = np.array([800.0, -300.0, 500.0, 1200.0])
    rng = np.random.default_rng(11)
    rand_trains = [np.sort(np.round(rng.uniform(0.0, 60.0, rng.integers(0, 5)), 3)) for _ in range(7)]
    rand_w = np.round(rng.normal(300.0, 700.0, 7), 1)
    table = [
        ("t = 25 ms, 4 synapses (one silent, one inhibitory), default time constants", 25.0, trains, w, TAU1, TAU2),
        ("t = 5 ms: the spikes at 7, 11.5 and 18.25 ms have not happened yet", 5.0, trains, w, TAU1, TAU2),
        ("t = 0.3 ms, before every spike: no charge yet", 0.3, trains, w, TAU1, TAU2),
        ("t = 7 ms, exactly at a spike time: that spike has delivered nothing yet", 7.0, trains, w, TAU1, TAU2),
        ("t = 400 ms, long after: every kernel has delivered its whole area", 400.0, trains, w, TAU1, TAU2),
        ("tau1 = 10 ms (tau2 at its default)", 14.0, trains, w, 10.0, TAU2),
        ("tau2 = 0.4 ms (tau1 at its default)", 14.0, trains, w, TAU1, 0.4),
        ("tau1 = 3 ms, tau2 = 2.5 ms: close time constants", 9.0, trains, w, 3.0, 2.5),
        ("7 random synapses, tau1 = 8 ms, tau2 = 2 ms", 41.3, rand_trains, rand_w, 8.0, 2.0),
    ]
    return tuple(_Case(s[0], tuple(s[1:]), names, reference_synaptic_charge(*s[1:])) for s in table)


def _charge_no_causality(t, trains, w, tau1=TAU1, tau2=TAU2):
    total = 0.0
    for w_i, train in zip(w, trains):
        s = t - np.asarray(train, dtype=float)
        total += w_i * np.sum(tau1 * (1 - np.exp(-s / tau1)) - tau2 * (1 - np.exp(-s / tau2)))
    return total


def _charge_full_area(t, trains, w, tau1=TAU1, tau2=TAU2):
    return sum(w_i * np.sum(np.asarray(tr) < t) * (tau1 - tau2) for w_i, tr in zip(w, trains))


def _charge_all_spikes(t, trains, w, tau1=TAU1, tau2=TAU2):
    return sum(w_i * len(tr) * (tau1 - tau2) for w_i, tr in zip(w, trains))


def _charge_no_tau_factor(t, trains, w, tau1=TAU1, tau2=TAU2):
    total = 0.0
    for w_i, train in zip(w, trains):
        s = t - np.asarray(train, dtype=float)
        s = s[s > 0]
        total += w_i * np.sum((1 - np.exp(-s / tau1)) - (1 - np.exp(-s / tau2)))
    return total


def _charge_current(t, trains, w, tau1=TAU1, tau2=TAU2):
    total = 0.0
    for w_i, train in zip(w, trains):
        s = t - np.asarray(train, dtype=float)
        s = s[s > 0]
        total += w_i * np.sum(np.exp(-s / tau1) - np.exp(-s / tau2))
    return total


_CHARGE = _Exercise(
    "1.1", "synaptic_charge", _charge_cases, "scalar",
    recipe="integrate (1.1) from the spike to t: int_0^s alpha(x) dx = tau1 (1 - e^{-s/tau1}) - tau2 (1 - e^{-s/tau2}) "
           "for s = t - t_i^f > 0 (0 for a spike at or after t); multiply by w_i and sum over spikes and synapses.",
    mistakes=(
        _Mistake("spikes at or after t must not count (alpha is causal, u(s) in (1.1)): keep only s = t - t_i^f > 0.",
                 _charge_no_causality),
        _Mistake("you give every past spike its whole area tau1 - tau2: up to time t a kernel has delivered only "
                 "int_0^s alpha, s = t - t_i^f.", _charge_full_area),
        _Mistake("you return the total charge of all spikes; the exercise asks for the charge delivered up to t.",
                 _charge_all_spikes),
        _Mistake("int_0^s e^{-x/tau} dx = tau (1 - e^{-s/tau}): each exponential's integral carries its tau.",
                 _charge_no_tau_factor),
        _Mistake("this is the current I(t) of (1.3), not its integral: the charge is the area under I up to t.",
                 _charge_current),
        _Mistake("the sign is flipped: alpha = e^{-t/tau1} - e^{-t/tau2} with tau1 > tau2, so the tau1 term is "
                 "the positive one.", lambda t, tr, w, tau1=TAU1, tau2=TAU2: -reference_synaptic_charge(t, tr, w,
                                                                                                       tau1, tau2)),
        _Mistake("multiply each synapse's charge by its weight w_i (pA).",
                 lambda t, tr, w, tau1=TAU1, tau2=TAU2: reference_synaptic_charge(t, tr, np.ones(len(tr)), tau1,
                                                                                  tau2)),
        _Mistake("use the tau1 and tau2 arguments (you seem to use the defaults 5 and 1.25 ms).",
                 lambda t, tr, w, tau1=TAU1, tau2=TAU2: reference_synaptic_charge(t, tr, w)),
    ),
    note="At t -> infinity it tends to sum_i w_i n_i (tau1 - tau2), the total of Section 4.",
)


def check_synaptic_charge(synaptic_charge) -> None:
    """Print the verdict on a learner's ``synaptic_charge(t, trains, w, tau1, tau2)`` (exercise 1.1)."""
    _check("synaptic_charge", synaptic_charge)


# ---------------------------------------------------------------------------
# Exercise 2.1: the potential after a reset (notebook 02)
# ---------------------------------------------------------------------------

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
def _reset_cases() -> tuple:
    names = ("t", "t_spike", "v_free", "t_ref", "tau_L", "EL")
    rng = np.random.default_rng(21)
    trains = [np.sort(rng.uniform(0.0, 30.0, 3)) for _ in range(6)]
    vf_default = _vfree_psi(trains, rng.uniform(500.0, 2500.0, 6), EL_DEFAULT, TAU_L)
    t_a = np.arange(0.0, 40.0, 0.5) + 0.013                     # never exactly at a spike time
    table = [
        ("defaults (t_ref = 2 ms, tau_L = 10 ms, EL = -70 mV), a potential made of psi bumps",
         t_a, 12.3, vf_default, T_REF, TAU_L, EL_DEFAULT),
        ("t_ref = 5 ms", t_a, 8.05, _vfree_smooth(EL_DEFAULT, 120.0, 6.0, 15.0, 3.0), 5.0, TAU_L, EL_DEFAULT),
        ("tau_L = 4 ms", t_a, 15.6, _vfree_smooth(EL_DEFAULT, 95.0, 9.0, -8.0, 2.0), T_REF, 4.0, EL_DEFAULT),
        ("EL = -55 mV", t_a, 10.2, _vfree_smooth(-55.0, 90.0, 5.0, 12.0, 4.0), T_REF, TAU_L, -55.0),
        ("all three changed: t_ref = 0.7 ms, tau_L = 20 ms, EL = -62 mV; only times after the reset",
         np.linspace(4.8, 30.0, 37), 4.05, _vfree_smooth(-62.0, 140.0, 3.0, 20.0, 1.5), 0.7, 20.0, -62.0),
        ("a query exactly at t0 = t_spike + t_ref (V is continuous there)", np.array([11.0, 14.0, 14.5]), 12.0,
         _vfree_smooth(EL_DEFAULT, 110.0, 4.0, 5.0, 2.5), 2.5, TAU_L, EL_DEFAULT),
    ]
    return tuple(_Case(s[0], tuple(s[1:]), names, reference_v_after_reset(*s[1:])) for s in table)


def _reset_variant(*, hold=True, from_spike=False, el_offset=True, subtract=True, decay=True, sign=1.0,
                   free_before=True):
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


_RESET = _Exercise(
    "2.1", "v_after_reset", _reset_cases, "array",
    recipe="V = v_free(t) for t < t_spike; V = EL for t_spike <= t < t0 = t_spike + t_ref; and for t >= t0, (2.5): "
           "V = EL + (v_free(t) - EL) - exp(-(t - t0)/tau_L) (v_free(t0) - EL).",
    mistakes=(
        _Mistake("the neuron is held at EL for t_ref after the spike: (2.5) starts at t0 = t_spike + t_ref, "
                 "not at t_spike.", _reset_variant(hold=False)),
        _Mistake("the subtracted copy decays from the end of the reset, exp(-(t - t0)/tau_L) with "
                 "t0 = t_spike + t_ref, not from the spike.", _reset_variant(from_spike=True)),
        _Mistake("(2.5) is written for V - EL: subtract exp(-(t - t0)/tau_L) (v_free(t0) - EL), the potential "
                 "accumulated above rest, not v_free(t0) itself.", _reset_variant(el_offset=False)),
        _Mistake("after the reset you return v_free(t) itself: the reset removes a decaying copy of what had "
                 "accumulated, (v_free(t0) - EL) exp(-(t - t0)/tau_L).", _reset_variant(subtract=False)),
        _Mistake("the subtracted copy decays: multiply (v_free(t0) - EL) by exp(-(t - t0)/tau_L).",
                 _reset_variant(decay=False)),
        _Mistake("the sign is flipped: the reset *subtracts* the decaying copy.", _reset_variant(sign=-1.0)),
        _Mistake("before the spike nothing has reset yet: V = v_free(t) there.", _reset_variant(free_before=False)),
        _Mistake("use the t_ref argument (you seem to use the default 2 ms).",
                 lambda t, ts, vf, t_ref=T_REF, tau_L=TAU_L, EL=EL_DEFAULT: reference_v_after_reset(
                     t, ts, vf, T_REF, tau_L, EL)),
        _Mistake("use the tau_L argument (you seem to use the default 10 ms).",
                 lambda t, ts, vf, t_ref=T_REF, tau_L=TAU_L, EL=EL_DEFAULT: reference_v_after_reset(
                     t, ts, vf, t_ref, TAU_L, EL)),
        _Mistake("use the EL argument (you seem to use the default -70 mV).",
                 lambda t, ts, vf, t_ref=T_REF, tau_L=TAU_L, EL=EL_DEFAULT: reference_v_after_reset(
                     t, ts, vf, t_ref, tau_L, EL_DEFAULT)),
    ),
    forbidden=("normad_edu.network:forward", "normad_edu.lif:simulate_layer"),
    allowed="from v_free and numpy; the simulator is what (2.5) is checked against, not a way to compute it",
    note="Applied at every spike in turn, this rebuilds the simulator's whole trace (Section 4).",
)


def check_v_after_reset(v_after_reset) -> None:
    """Print the verdict on a learner's ``v_after_reset(t, t_spike, v_free, t_ref, tau_L, EL)`` (exercise 2.1)."""
    _check("v_after_reset", v_after_reset)


# ---------------------------------------------------------------------------
# Exercise 3.1: the correlation metric in closed form (notebook 03)
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _correlation_cases() -> tuple:
    names = ("a", "b", "sigma")
    rng = np.random.default_rng(31)
    ra = np.sort(np.round(rng.uniform(0.0, 100.0, 7), 3))
    rb = np.sort(np.concatenate([ra[:4] + np.round(rng.normal(0.0, 1.5, 4), 3), [55.5]]))
    table = [
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
    ]
    return tuple(_Case(s[0], tuple(s[1:]), names, reference_spike_correlation(*s[1:])) for s in table)


def _corr_variant(*, denom=4.0, sigma_power=2, norm="cosine", empty=True):
    def fn(a, b, sigma=SIGMA):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if empty:
            if a.size == 0 and b.size == 0:
                return 1.0
            if a.size == 0 or b.size == 0:
                return 0.0

        def inner(x, y):
            return np.exp(-np.subtract.outer(x, y) ** 2 / (denom * sigma**sigma_power)).sum()

        with np.errstate(all="ignore"):
            return _normalise(inner(a, b), inner(a, a), inner(b, b), a.size, b.size, norm)

    return fn


def _normalise(ab, aa, bb, n_a, n_b, norm):
    if norm == "cosine":
        return ab / np.sqrt(aa * bb)
    if norm == "none":
        return ab
    if norm == "counts":
        return ab / (n_a * n_b)
    if norm == "diagonal":
        return ab / np.sqrt(n_a * n_b)
    return ab / (aa * bb)    # "no sqrt"


_CORRELATION = _Exercise(
    "3.1", "spike_correlation", _correlation_cases, "scalar",
    recipe="C = sum_ij g(a_i - b_j) / sqrt(sum_ij g(a_i - a_j) * sum_ij g(b_i - b_j)) with "
           "g(x) = exp(-x^2 / (4 sigma^2)); 1 if both trains are empty, 0 if exactly one is.",
    mistakes=(
        _Mistake("the product of two Gaussians of width sigma integrates to a Gaussian of width sqrt(2) sigma: "
                 "the exponent is -(a_i - b_j)^2 / (4 sigma^2), not / (2 sigma^2).", _corr_variant(denom=2.0)),
        _Mistake("sigma is squared in the exponent: -(a_i - b_j)^2 / (4 sigma^2).", _corr_variant(sigma_power=1)),
        _Mistake("divide by the norms: C is a cosine, <f, g> / (||f|| ||g||).", _corr_variant(norm="none")),
        _Mistake("the norms are sqrt(<f, f>) = sqrt(sum_ij g(a_i - a_j)), not spike counts.",
                 _corr_variant(norm="counts")),
        _Mistake("||f||^2 = sum over all pairs i, j of the same train, not only i = j: close spikes of one train "
                 "overlap.", _corr_variant(norm="diagonal")),
        _Mistake("take the square root of the product of the two squared norms.", _corr_variant(norm="nosqrt")),
        _Mistake("handle empty trains first: both empty gives 1 (identical), exactly one empty gives 0.",
                 _corr_variant(empty=False)),
        _Mistake("use the sigma argument (you seem to use the default 2 ms).",
                 lambda a, b, sigma=SIGMA: reference_spike_correlation(a, b, SIGMA)),
    ),
    forbidden=("normad_edu.metrics:correlation", "normad_edu.metrics:correlation_padded",
               "normad_edu.metrics:_gaussian_inner"),
    allowed="with numpy: a double sum over spike pairs, e.g. np.subtract.outer",
    note="normad_edu.metrics.correlation computes the same sums, vectorised over many trains.",
)


def check_spike_correlation(spike_correlation) -> None:
    """Print the verdict on a learner's ``spike_correlation(a, b, sigma)`` (exercise 3.1)."""
    _check("spike_correlation", spike_correlation)


# ---------------------------------------------------------------------------
# Exercise 4.1: the gradient of V with a reset (notebook 04)
# ---------------------------------------------------------------------------

def _d_function(trains, tau_L, tau1=TAU1, tau2=TAU2, C=C_DEFAULT):
    """d(t) = [sum_f psi(t - t_i^f)]_i as a function of an array of times."""
    trains = [np.asarray(tr, dtype=float) for tr in trains]

    def d(times):
        times = np.asarray(times, dtype=float)
        cols = [psi_kernel(times[..., None] - tr[None, :], tau1, tau2, C, tau_L).sum(axis=-1) if tr.size
                else np.zeros(times.shape) for tr in trains]
        return np.stack(cols, axis=-1)

    d.__doc__ = f"d(times) -> d_i(t) of {len(trains)} inputs (tau_L = {tau_L:g} ms), shape (len(times), {len(trains)})"
    return d


@functools.lru_cache(maxsize=None)
def _gradient_cases() -> tuple:
    names = ("t", "spikes", "d", "t_ref", "tau_L")
    rng = np.random.default_rng(41)
    trains = [np.sort(np.round(rng.uniform(0.0, 60.0, rng.integers(1, 5)), 3)) for _ in range(5)]
    tq = np.array([1.0, 6.2, 13.9, 14.6, 20.0, 27.35, 31.0, 39.9, 44.0, 52.5])
    spikes = np.array([14.1, 30.2, 40.0])
    table = [
        ("three output spikes, defaults (t_ref = 2 ms, tau_L = 10 ms); queries before, during and after resets",
         tq, spikes, _d_function(trains, TAU_L), T_REF, TAU_L),
        ("no output spike at all: no reset", tq, np.array([]), _d_function(trains, TAU_L), T_REF, TAU_L),
        ("one spike, t_ref = 6 ms", tq, np.array([20.5]), _d_function(trains, TAU_L), 6.0, TAU_L),
        ("tau_L = 4 ms", tq, spikes, _d_function(trains, 4.0), T_REF, 4.0),
        ("t_ref = 0.5 ms and tau_L = 25 ms, closely spaced spikes", np.linspace(5.0, 45.0, 17),
         np.array([9.3, 12.0, 13.1, 30.0]), _d_function(trains, 25.0), 0.5, 25.0),
    ]
    return tuple(_Case(s[0], tuple(s[1:]), names, reference_reset_gradient(*s[1:])) for s in table)


def _gradient_variant(*, which="last", hold=True, from_spike=False, sign=1.0, reset=True):
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


_GRADIENT = _Exercise(
    "4.1", "reset_gradient", _gradient_cases, "array",
    recipe="for each query time t: with no output spike at or before t, g = d(t); if the last spike t_f <= t is "
           "less than t_ref back, g = 0 (V is clamped); else g = d(t) - exp(-(t - t0)/tau_L) d(t0) with "
           "t0 = t_f + t_ref (4.7).",
    mistakes=(
        _Mistake("you ignore the resets: after an output spike, (4.7) subtracts exp(-(t - t0)/tau_L) d(t0).",
                 _gradient_variant(reset=False)),
        _Mistake("only the *last* reset before t matters: each reset restarts (2.5) with its own t0.",
                 _gradient_variant(which="first")),
        _Mistake("during the refractory period V is clamped at EL, so no weight can change it: g = 0 there.",
                 _gradient_variant(hold=False)),
        _Mistake("the exponential runs from the end of the reset, exp(-(t - t0)/tau_L) with t0 = t_f + t_ref.",
                 _gradient_variant(from_spike=True)),
        _Mistake("the sign is flipped: the reset *removes* the memory, g = d(t) - exp(...) d(t0).",
                 _gradient_variant(sign=-1.0)),
        _Mistake("use the t_ref argument (you seem to use the default 2 ms).",
                 lambda t, sp, d, t_ref=T_REF, tau_L=TAU_L: reference_reset_gradient(t, sp, d, T_REF, tau_L)),
        _Mistake("use the tau_L argument (you seem to use the default 10 ms).",
                 lambda t, sp, d, t_ref=T_REF, tau_L=TAU_L: reference_reset_gradient(t, sp, d, t_ref, TAU_L)),
    ),
    note="NormAD's d_hat with tau_L' < tau_L approximates exactly this forgetting (Section 4).",
)


def check_reset_gradient(reset_gradient) -> None:
    """Print the verdict on a learner's ``reset_gradient(t, spikes, d, t_ref, tau_L)`` (exercise 4.1)."""
    _check("reset_gradient", reset_gradient)


# ---------------------------------------------------------------------------
# Exercise 5.1: the derivative of a spike time (notebook 05)
# ---------------------------------------------------------------------------

def _first_crossing(trains: Sequence, w, tau1: float = TAU1, tau2: float = TAU2, C: float = C_DEFAULT,
                   tau_L: float = TAU_L, theta: float = VT_DEFAULT - EL_DEFAULT, T: float = 200.0) -> float:
    """First time (ms) the no-reset potential ``sum_i w_i d_i(t)`` reaches ``theta`` (mV above rest).

    Bisection on a 0.01 ms scan of the closed-form potential, to 1e-12 ms;
    ``nan`` if it never does before ``T``. Used to place the cases of
    exercise 5.1 on real threshold crossings.
    """
    d = _d_function(trains, tau_L, tau1, tau2, C)
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
def _spike_time_cases() -> tuple:
    names = ("t_f", "trains", "w", "tau1", "tau2", "tau_L")
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
            t_f = _first_crossing(trains, w, tau1, tau2, C, tau_L)
            if np.isfinite(t_f) and t_f < 100.0:
                break
            scale *= 1.3
        args = (t_f, trains, w, tau1, tau2, tau_L)
        cases.append(_Case(f"{label}; t_f = {t_f:.4f} ms is the first threshold crossing", args, names,
                           reference_spike_time_gradient(*args)))
    return tuple(cases)


def _stg_variant(*, d_kernel="psi", vdot="psi", sign=-1.0, divide=True, tau_L_hat=None):
    def fn(t_f, trains, w, tau1=TAU1, tau2=TAU2, tau_L=TAU_L):
        C = C_DEFAULT
        tau_d = tau_L if tau_L_hat is None else tau_L_hat
        d = np.array([np.sum(psi_kernel(t_f - np.asarray(tr, dtype=float), tau1, tau2, C, tau_d))
                      if d_kernel == "psi" else
                      np.sum(np.where(t_f > np.asarray(tr), np.exp(-(t_f - np.asarray(tr)) / tau1)
                                      - np.exp(-(t_f - np.asarray(tr)) / tau2), 0.0)) for tr in trains])
        if vdot == "psi":
            slope = sum(w_i * np.sum(psi_kernel_dot(t_f - np.asarray(tr, dtype=float), tau1, tau2, C, tau_L))
                        for w_i, tr in zip(w, trains))
        else:                                              # I / C: the leak forgotten
            slope = sum(w_i * np.sum(np.where(t_f > np.asarray(tr), np.exp(-(t_f - np.asarray(tr)) / tau1)
                                              - np.exp(-(t_f - np.asarray(tr)) / tau2), 0.0)) for w_i, tr in
                        zip(w, trains)) / C
        return sign * d / slope if divide else sign * d * slope

    return fn


def _stg_default(param):
    def fn(t_f, trains, w, tau1=TAU1, tau2=TAU2, tau_L=TAU_L):
        kw = dict(tau1=tau1, tau2=tau2, tau_L=tau_L)
        kw[param] = dict(tau1=TAU1, tau2=TAU2, tau_L=TAU_L)[param]
        return reference_spike_time_gradient(t_f, trains, w, **kw)

    return fn


_SPIKE_TIME = _Exercise(
    "5.1", "spike_time_gradient", _spike_time_cases, "array",
    recipe="dt_f/dw_i = -d_i(t_f) / Vdot(t_f) (5.4), with d_i(t_f) = sum_f psi(t_f - t_i^f) "
           "(psi_kernel(s, tau1, tau2, tau_L=tau_L)) and Vdot(t_f) = sum_i w_i sum_f psi'(t_f - t_i^f) "
           "(psi_kernel_dot).",
    mistakes=(
        _Mistake("the sign: raising V makes the spike come *earlier*, dt_f/dw_i = -d_i / Vdot.",
                 _stg_variant(sign=1.0)),
        _Mistake("divide by the slope Vdot(t_f); do not multiply by it.", _stg_variant(divide=False)),
        _Mistake("dV(t_f)/dw_i is d_i(t_f) = sum_f psi(t_f - t_i^f), the *potential* per unit weight; you seem to "
                 "use the current's kernel alpha.", _stg_variant(d_kernel="alpha")),
        _Mistake("Vdot is the slope of the potential, I/C - (V - EL)/tau_L = sum_i w_i sum_f psi'(...); you seem "
                 "to use I/C alone (the leak is missing).", _stg_variant(vdot="alpha")),
        _Mistake("here d uses the membrane's own tau_L: this is the exact derivative, not NormAD's d_hat with "
                 "tau_L' = 2.5 ms.", _stg_variant(tau_L_hat=2.5)),
        _Mistake("use the tau1 argument (you seem to use the default 5 ms).", _stg_default("tau1")),
        _Mistake("use the tau2 argument (you seem to use the default 1.25 ms).", _stg_default("tau2")),
        _Mistake("use the tau_L argument (you seem to use the default 10 ms).", _stg_default("tau_L")),
    ),
    forbidden=("normad_edu.network:forward", "normad_edu.lif:simulate_layer"),
    allowed="from psi_kernel and psi_kernel_dot (notebook 02); the simulator is what (5.4) is checked against",
    note="Multiplied by the error, this is what NormAD sends back through every hidden spike.",
)


def check_spike_time_gradient(spike_time_gradient) -> None:
    """Print the verdict on a learner's ``spike_time_gradient(t_f, trains, w, tau1, tau2, tau_L)`` (exercise 5.1)."""
    _check("spike_time_gradient", spike_time_gradient)


# ---------------------------------------------------------------------------
# Exercise 6.1: the XOR encoding (notebook 06)
# ---------------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _xor_cases() -> tuple:
    names = ("bit_a", "bit_b", "start_0", "start_1", "reference_start", "n_per_set", "stagger")
    default = (0.0, 6.0, 0.0, 18, 1.0)
    table = [(f"{a} XOR {b}, the defaults of notebook 06", a, b, *default) for a in (0, 1) for b in (0, 1)]
    table += [
        ("0 XOR 1 with start_0 = 2 ms", 0, 1, 2.0, 6.0, 0.0, 18, 1.0),
        ("1 XOR 0 with start_1 = 9.5 ms", 1, 0, 0.0, 9.5, 0.0, 18, 1.0),
        ("1 XOR 1 with reference_start = 4 ms", 1, 1, 0.0, 6.0, 4.0, 18, 1.0),
        ("0 XOR 1, n_per_set = 5", 0, 1, 0.0, 6.0, 0.0, 5, 1.0),
        ("1 XOR 0, stagger = 0.5 ms", 1, 0, 0.0, 6.0, 0.0, 18, 0.5),
        ("0 XOR 1, everything changed", 0, 1, 1.0, 3.0, 10.0, 3, 2.5),
    ]
    return tuple(_Case(s[0], tuple(s[1:]), names, reference_xor_encode(*s[1:])) for s in table)


def _xor_variant(*, order="abr", bit_map="normal", ref="reference", m_from=0, stagger=True):
    def fn(bit_a, bit_b, start_0=0.0, start_1=6.0, reference_start=0.0, n_per_set=18, stagger_ms=1.0):
        def start(bit):
            one = bit if bit_map == "normal" else 1 - bit
            return start_1 if one else start_0

        starts = {"a": start(bit_a), "b": start(bit_b),
                  "r": reference_start if ref == "reference" else start_0}
        step = stagger_ms if stagger else 0.0
        if ref == "missing":
            order_ = order.replace("r", "")
        else:
            order_ = order
        return [np.array([starts[s] + (m + m_from) * step]) for s in order_ for m in range(n_per_set)]

    return fn


def _xor_default(index):
    defaults = (0.0, 6.0, 0.0, 18, 1.0)

    def fn(bit_a, bit_b, *args):
        args = list(args) + list(defaults[len(args):])
        args[index] = defaults[index]
        return reference_xor_encode(bit_a, bit_b, *args)

    return fn


_XOR = _Exercise(
    "6.1", "xor_encode", _xor_cases, "trains",
    recipe="three sets of n_per_set neurons, in the order bit a, bit b, reference; neuron m (m = 0 .. n_per_set-1) "
           "of a set fires once at start + m * stagger, with start = start_1 for a 1 bit, start_0 for a 0 bit and "
           "reference_start for the reference set; return a list of 3 * n_per_set one-spike arrays.",
    mistakes=(
        _Mistake("a 1 bit starts at start_1 and a 0 bit at start_0: your mapping is reversed.",
                 _xor_variant(bit_map="reversed")),
        _Mistake("the sets come in the order bit a, bit b, reference.", _xor_variant(order="bar")),
        _Mistake("the sets come in the order bit a, bit b, reference (the reference set is last).",
                 _xor_variant(order="rab")),
        _Mistake("the third set is the reference: it starts at reference_start in every pattern.",
                 _xor_variant(ref="start_0")),
        _Mistake("neuron m fires at start + m * stagger for m = 0 .. n_per_set - 1 (the first neuron at the "
                 "start itself).", _xor_variant(m_from=1)),
        _Mistake("the neurons of a set are staggered: neuron m fires at start + m * stagger.",
                 _xor_variant(stagger=False)),
        _Mistake("use the start_0 argument (you seem to use the default 0 ms).", _xor_default(0)),
        _Mistake("use the start_1 argument (you seem to use the default 6 ms).", _xor_default(1)),
        _Mistake("use the reference_start argument (you seem to use the default 0 ms).", _xor_default(2)),
        _Mistake("use the n_per_set argument (you seem to use the default 18).", _xor_default(3)),
        _Mistake("use the stagger argument (you seem to use the default 1 ms).", _xor_default(4)),
    ),
    forbidden=("normad_edu.spikes:xor_input_pattern", "normad_edu.experiments:xor_patterns"),
    allowed="with a list comprehension over the three start times and m",
    note="normad_edu.spikes.xor_input_pattern builds the same patterns for the experiments.",
)


def check_xor_encode(xor_encode) -> None:
    """Print the verdict on a learner's ``xor_encode(bit_a, bit_b, start_0, start_1, reference_start, n_per_set, stagger)``
    (exercise 6.1)."""
    _check("xor_encode", xor_encode)


# ---------------------------------------------------------------------------
# Exercise 7.1: the first spike of a layer (notebook 07)
# ---------------------------------------------------------------------------

def reference_first_spike_times(times, counts) -> np.ndarray:
    """First spike (ms) of a layer in each problem of a batch, exercise 7.1.

    ``times`` ``(P, n, K)`` holds each neuron's spikes in time order, padded
    after its ``counts[p, j]`` spikes; ``counts`` ``(P, n)``. The padding is
    not a spike, whatever its value. Returns ``(P,)``: the earliest spike of
    any neuron of problem ``p``, ``inf`` if the whole layer is silent.
    """
    times = np.asarray(times, dtype=float)
    counts = np.asarray(counts)
    out = np.full(times.shape[0], np.inf)
    for p in range(times.shape[0]):
        for j in range(times.shape[1]):
            if counts[p, j] > 0:
                out[p] = min(out[p], float(times[p, j, 0]))
    return out


def _padded(trains_per_problem, K: int, padding, rng=None):
    """``(times, counts)`` of a batch with the padding after each train set to ``padding``.

    ``padding`` is a number, or ``"stale"``: leftovers of another run, drawn
    earlier than every real spike so that a padding entry read as a spike
    changes the answer.
    """
    P, n = len(trains_per_problem), len(trains_per_problem[0])
    counts = np.array([[len(tr) for tr in pop] for pop in trains_per_problem], dtype=np.int64)
    times = np.empty((P, n, K))
    for p, pop in enumerate(trains_per_problem):
        for j, tr in enumerate(pop):
            times[p, j, : len(tr)] = tr
            rest = K - len(tr)
            times[p, j, len(tr):] = (np.round(rng.uniform(0.05, 1.5, rest), 3) if padding == "stale"
                                     else padding)
    return times, counts


@functools.lru_cache(maxsize=None)
def _first_spike_cases() -> tuple:
    names = ("times", "counts")
    rng = np.random.default_rng(71)

    def population(n, rate_silent=0.3, t0=2.0):
        return [np.array([]) if rng.random() < rate_silent else
                np.sort(np.round(rng.uniform(t0, 60.0, rng.integers(1, 5)), 3)) for _ in range(n)]

    hand = [
        [np.array([14.2, 30.0]), np.array([9.75]), np.array([]), np.array([11.0, 12.5, 40.1])],   # neuron 1 first
        [np.array([]), np.array([]), np.array([]), np.array([])],                                   # silent layer
        [np.array([7.5]), np.array([22.0, 23.0, 24.0, 25.0]), np.array([]), np.array([8.25])],     # neuron 0 first
    ]
    table = [
        ("3 problems x 4 neurons, padded with +inf as the simulator does; problem 1's layer is silent",
         *_padded(hand, 4, np.inf)),
        ("the same spikes padded with 0.0 (a zeroed buffer): the padding is not a spike", *_padded(hand, 4, 0.0)),
        ("the same spikes padded with NaN", *_padded(hand, 5, np.nan)),
        ("padding that holds stale spike times of an earlier run (earlier than the real spikes)",
         *_padded([population(6) for _ in range(4)], 5, "stale", rng)),
        ("one problem, one neuron that fires once (K = 1)", *_padded([[np.array([3.5])]], 1, -1.0)),
        ("5 problems x 25 neurons (a hidden layer 2), padding -1; two problems have a silent layer",
         *_padded([population(25, 0.5) for _ in range(3)] + [[np.array([])] * 25] * 2, 4, -1.0)),
    ]
    return tuple(_Case(s[0], tuple(s[1:]), names, reference_first_spike_times(*s[1:])) for s in table)


def _first_spike_variant(*, mask="counts", silent=np.inf, which="first", over="min"):
    def fn(times, counts):
        times, counts = np.asarray(times, dtype=float), np.asarray(counts)
        if mask == "none":
            return times.min(axis=(1, 2))
        if mask == "silent":                                   # silent neurons masked, padding of the others not
            per_neuron = np.where(counts > 0, times.min(axis=2), np.inf)
        else:
            k = np.maximum(counts - 1, 0) if which == "last" else np.zeros_like(counts)
            per_neuron = np.where(counts > 0, np.take_along_axis(times, k[..., None], axis=2)[..., 0], np.inf)
        if over == "neurons":
            return per_neuron
        if over == "neuron 0":
            per_neuron = per_neuron[:, :1]
        if over == "max":
            out = np.where(np.isinf(per_neuron), -np.inf, per_neuron).max(axis=1)
            out[np.isinf(out)] = np.inf
        else:
            out = per_neuron.min(axis=1)
        return np.where(np.isinf(out), silent, out)

    return fn


_FIRST_SPIKE = _Exercise(
    "7.1", "first_spike_times", _first_spike_cases, "array",
    recipe="for each problem p: over the neurons j with counts[p, j] > 0, the smallest first spike times[p, j, 0] "
           "(a neuron's spikes are in time order); inf when no neuron of the layer fires. Never read "
           "times[p, j, k] for k >= counts[p, j]: that is padding. Return an array of shape (P,).",
    mistakes=(
        _Mistake("the entries after a neuron's counts[p, j] spikes are padding, not spikes: the simulator pads "
                 "with +inf, other sources with anything. Use counts to know which entries are spikes.",
                 _first_spike_variant(mask="none")),
        _Mistake("you skip silent neurons but still read the padding of neurons that fired: only "
                 "times[p, j, :counts[p, j]] are spikes.", _first_spike_variant(mask="silent")),
        _Mistake("a silent layer has no first spike: return inf (it then compares as later than any desired "
                 "spike), not NaN.", _first_spike_variant(silent=np.nan)),
        _Mistake("a silent layer has no first spike: return inf, not 0 (0 would say the layer fired at once).",
                 _first_spike_variant(silent=0.0)),
        _Mistake("a neuron's first spike is times[p, j, 0]; times[p, j, counts[p, j] - 1] is its last.",
                 _first_spike_variant(which="last")),
        _Mistake("the layer's first spike is the earliest over *all* its neurons, not neuron 0's.",
                 _first_spike_variant(over="neuron 0")),
        _Mistake("the layer fires first when its *earliest* neuron fires: take the minimum over neurons, "
                 "not the maximum.", _first_spike_variant(over="max")),
        _Mistake("return one number per problem, shape (P,): the minimum over the neurons as well.",
                 _first_spike_variant(over="neurons")),
    ),
    forbidden=("normad_edu.research.dynamics:first_spikes", "normad_edu.lif:LayerOutput.first_spike"),
    allowed="from times and counts with numpy: a mask from counts, np.where, min",
    note="normad_edu.research.dynamics.first_spikes does this for the hidden layers of many problems (Section 5, 07b).",
)


def check_first_spike_times(first_spike_times) -> None:
    """Print the verdict on a learner's ``first_spike_times(times, counts)`` (exercise 7.1)."""
    _check("first_spike_times", first_spike_times)


# ---------------------------------------------------------------------------
# Exercise 7.2: the exact McNemar test (notebook 07b)
# ---------------------------------------------------------------------------

def reference_mcnemar_exact_p(a, b) -> float:
    """Exact two-sided McNemar p-value (7.2) of paired outcomes, exercise 7.2.

    ``a[i]``, ``b[i]``: did problem ``i`` converge with setting A, B
    (boolean arrays of the same problems). With ``n_a`` problems solved by A
    only and ``n_b`` by B only, ``n = n_a + n_b`` and ``k = min(n_a, n_b)``:
    ``p = min(1, 2 sum_{i=0}^{k} C(n, i) 2^{-n})`` (1 when ``n = 0``).
    Computed in exact integer arithmetic.
    """
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = n_a + n_b
    tail = sum(math.comb(n, i) for i in range(min(n_a, n_b) + 1))
    return min(1.0, 2 * tail / 2**n)


def _paired(n_both, n_a, n_b, n_neither, rng):
    """Shuffled boolean outcomes of two settings with the given cell counts."""
    a = np.array([True] * n_both + [True] * n_a + [False] * n_b + [False] * n_neither)
    b = np.array([True] * n_both + [False] * n_a + [True] * n_b + [False] * n_neither)
    order = rng.permutation(a.size)
    return a[order], b[order]


@functools.lru_cache(maxsize=None)
def _mcnemar_cases() -> tuple:
    names = ("a", "b")
    rng = np.random.default_rng(72)
    table = [
        ("the primer's example: 40 problems, 2 solved by a only, 6 by b only", (28, 2, 6, 4)),
        ("100 problems, 14 solved by a only, 8 by b only (the confirmation of Section 6)", (60, 14, 8, 18)),
        ("30 problems, 0 by a only, 6 by b only: every discordant problem goes one way", (20, 0, 6, 4)),
        ("no discordant problem: both settings solve the same 25 of 35", (25, 0, 0, 10)),
        ("10 problems, 5 by a only, 5 by b only: a tie", (0, 5, 5, 0)),
        ("one discordant problem (a only) among 12", (8, 1, 0, 3)),
        ("12 problems, all discordant: 9 by a only, 3 by b only", (0, 9, 3, 0)),
        ("300 problems, 100 by a only, 20 by b only: a tiny p", (150, 100, 20, 30)),
        ("200 problems, 41 by a only, 59 by b only", (70, 41, 59, 30)),
    ]
    cases = []
    for label, cells in table:
        a, b = _paired(*cells, rng)
        cases.append(_Case(label, (a, b), names, reference_mcnemar_exact_p(a, b)))
    return tuple(cases)


def _mcnemar_variant(*, sides=2, cap=True, count="discordant", tail="min", inclusive=True, mid=False):
    def fn(a, b):
        a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
        if count == "successes":
            n_a, n_b = int(a.sum()), int(b.sum())
        else:
            n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
        n = a.size if count == "all problems" else n_a + n_b
        k = min(n_a, n_b) if tail == "min" else max(n_a, n_b)
        top = k + 1 if inclusive else k
        total = sum(math.comb(n, i) for i in range(top)) - (0.5 * math.comb(n, k) if mid else 0)
        p = sides * total / 2**n
        return min(1.0, p) if cap else p

    return fn


def _mcnemar_normal(correction: bool):
    def fn(a, b):
        a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
        n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
        if n_a + n_b == 0:
            return 1.0
        x = (max(abs(n_a - n_b) - (1 if correction else 0), 0)) ** 2 / (n_a + n_b)
        return math.erfc(math.sqrt(x / 2))                 # chi-square, 1 degree of freedom

    return fn


_MCNEMAR = _Exercise(
    "7.2", "mcnemar_exact_p", _mcnemar_cases, "scalar",
    recipe="count the discordant problems, n_a = sum(a & ~b) and n_b = sum(~a & b) (the primer's b and c); with "
           "n = n_a + n_b and k = min(n_a, n_b), (7.2) is p = min(1, 2 * sum_{i=0}^{k} C(n, i) / 2^n) (math.comb); "
           "p = 1 if n = 0.",
    mistakes=(
        _Mistake("the test is two-sided: double the tail, p = 2 * sum_{i<=k} C(n, i) / 2^n (then cap at 1).",
                 _mcnemar_variant(sides=1)),
        _Mistake("doubling the tail can exceed 1 (a tie, or one discordant problem): (7.2) takes min(1, ...).",
                 _mcnemar_variant(cap=False)),
        _Mistake("only the discordant problems count: n = n_a + n_b, not the number of problems.",
                 _mcnemar_variant(count="all problems")),
        _Mistake("n_a and n_b are the problems solved by one setting *only* (a & ~b, ~a & b), not each "
                 "setting's number of successes.", _mcnemar_variant(count="successes")),
        _Mistake("the sum in (7.2) runs up to and including i = min(n_a, n_b).",
                 _mcnemar_variant(inclusive=False)),
        _Mistake("the tail is the one of the *smaller* discordant count, k = min(n_a, n_b).",
                 _mcnemar_variant(tail="max")),
        _Mistake("this is the mid-p variant (half of the last term); (7.2) is the exact test with the whole term.",
                 _mcnemar_variant(mid=True)),
        _Mistake("this is the chi-square approximation with continuity correction; (7.2) is the exact binomial "
                 "sum, which the approximation misses for small counts.", _mcnemar_normal(True)),
        _Mistake("this is the chi-square approximation (n_a - n_b)^2 / (n_a + n_b); (7.2) is the exact binomial sum.",
                 _mcnemar_normal(False)),
    ),
    forbidden=("normad_edu.research.study:mcnemar_p", "scipy.stats:binomtest"),
    allowed="with math.comb and a sum; scipy.stats.binom.cdf for the tail is fine too",
    note="normad_edu.research.study.mcnemar_p gives the same p-values (via scipy.stats.binomtest).",
)


def check_mcnemar_exact_p(mcnemar_exact_p) -> None:
    """Print the verdict on a learner's ``mcnemar_exact_p(a, b)`` (exercise 7.2)."""
    _check("mcnemar_exact_p", mcnemar_exact_p)


#: Every exercise, by the name of the function the learner writes.
EXERCISES: dict[str, _Exercise] = {ex.name: ex for ex in (_CHARGE, _RESET, _CORRELATION, _GRADIENT, _SPIKE_TIME, _XOR,
                                                               _FIRST_SPIKE, _MCNEMAR)}
