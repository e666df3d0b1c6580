"""Checkers for the exercises of ``notebooks/08_assignments.ipynb``.

Each exercise asks the learner to write one function; the matching
``check_<name>(student_function)`` calls it on a set of inputs, compares the
result with an independent reference and prints what happened:

* **PASS** -- every case agrees (to ~1e-7 relative); returns ``True``;
* **FAIL** -- the first case that disagrees: the input, the expected value,
  what the function returned, where the difference is largest and a hint
  (a specific one when the answer matches a common mistake, e.g. swapped
  time constants); returns ``False``;
* **not implemented yet** -- the function still raises
  ``NotImplementedError`` (the stub of the student version); returns ``False``.

A checker never raises, whatever the learner's function does, so a notebook
always runs to the end. :func:`scoreboard` lists the last result of every
exercise; :func:`passed` tells whether one has passed (notebook cells use it
to run their "explore" part only once the exercise is solved).

=========  ============================  ====================================
exercise   learner writes                checked against
=========  ============================  ====================================
1          ``alpha_kernel``              :func:`normad_edu.kernels.alpha_kernel`
2          ``lif_step``                  :func:`reference_lif_step` (closed
                                         form) and ``W psi(h)`` from
                                         :func:`normad_edu.kernels.psi_kernel`
3          ``normad_single_update``      :func:`reference_normad_single_update`
                                         (the readable core of
                                         :mod:`normad_edu.normad`)
4          ``backprop_adjoints``         :func:`reference_backprop_adjoints`
                                         (the readable core of
                                         :mod:`normad_edu.normad`)
=========  ============================  ====================================

The ``reference_*`` functions are the checkers' own solutions, kept under
stable names; the notebook's solutions (between ``### BEGIN SOLUTION`` and
``### END SOLUTION``) are written independently of them. Units: ms, mV, pF,
pA (so pA/pF = mV/ms).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .kernels import alpha_kernel as _alpha_lib
from .kernels import psi_hat_kernel, psi_kernel
from . import normad as core
from .normad import d_hat, error_instants
from .params import C as C_DEFAULT
from .params import GL, TAU1, TAU2, TAU_L_HAT, VDOT_MIN

TAU_L = C_DEFAULT / GL
#: Relative and absolute tolerance of every comparison.
RTOL, ATOL = 1e-7, 1e-10

#: exercise number and function name, in notebook order
EXERCISES = {
    "alpha_kernel": 1,
    "lif_step": 2,
    "normad_single_update": 3,
    "backprop_adjoints": 4,
}
_RESULTS: dict[str, str] = {}


# ---------------------------------------------------------------------------
# Reference solutions (stable names; independent of the notebook's solutions)
# ---------------------------------------------------------------------------

def reference_lif_step(u, I1, I2, h, tau1=TAU1, tau2=TAU2, tau_L=TAU_L, C=C_DEFAULT):
    """Exact state of a LIF neuron after ``h`` ms without spikes (exercise 2).

    Parameters
    ----------
    u : float
        ``V - EL`` at the start (mV).
    I1, I2 : float
        Synaptic current traces (pA); ``I = I1 - I2``; ``I1`` decays with
        ``tau1``, ``I2`` with ``tau2``.
    h : float
        Step (ms), >= 0.
    tau1, tau2, tau_L : float
        Time constants (ms); any of them may be equal.
    C : float
        Capacitance (pF).

    Returns
    -------
    (u_new, I1_new, I2_new) : tuple of float

    Notes
    -----
    ``u(h) = u e^{-h/tau_L} + [I1 E(h; tau1) - I2 E(h; tau2)] / C`` with
    ``E(h; tau) = (e^{-h/tau} - e^{-h/tau_L}) / (1/tau_L - 1/tau)`` and the
    limit ``E = h e^{-h/tau_L}`` when ``tau == tau_L``.
    """

    def E(tau):
        if tau == tau_L:
            return h * math.exp(-h / tau_L)
        return (math.exp(-h / tau) - math.exp(-h / tau_L)) / (1.0 / tau_L - 1.0 / tau)

    u_new = u * math.exp(-h / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C
    return u_new, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def reference_normad_single_update(input_trains, desired, observed, r, tau_L_hat=TAU_L_HAT, coincidence_dt=0.1,
                                   tau1=TAU1, tau2=TAU2, C=C_DEFAULT) -> np.ndarray:
    """Single-layer NormAD update ``dW = r sum_e e(t_e) dhat(t_e) / ||dhat(t_e)||`` (pA), exercise 3.

    A thin wrapper around the readable core of :mod:`normad_edu.normad`:
    error instants from :func:`~normad_edu.normad.error_instants`, ``dhat``
    from :func:`~normad_edu.normad.dhat_at` and the normalised step of
    :func:`~normad_edu.normad.add_normalized` (instants with ``||dhat|| = 0``
    are skipped). Returns shape ``(len(input_trains),)``.
    """
    times, signs = error_instants(desired, observed, coincidence_dt)
    pre = core.LayerSpikes.from_trains(input_trains)
    D = core.dhat_at(times, pre, core.Kernels(tau1, tau2, C, tau_L_hat))
    dW = np.zeros(len(input_trains))
    for s, row in zip(signs, D):
        core.add_normalized(dW, row, r * s, "layer")
    return dW


def reference_backprop_adjoints(a_upper, upper_times, upper_vdot, W, lower_times, vdot_min=VDOT_MIN,
                                tau_L_hat=TAU_L_HAT, tau1=TAU1, tau2=TAU2, C=C_DEFAULT) -> list[np.ndarray]:
    """Adjoints of layer l-1 from those of layer l (exercise 4).

    ``a_i^g = sum_j sum_{f: t_j^f > t_i^g} a_j^f / max(Vdot_j^f, vdot_min) W_ji psihat'(t_j^f - t_i^g)``:
    :func:`~normad_edu.normad.deltas` then :func:`~normad_edu.normad.adjoints_below`
    of the readable core, with the spikes given per neuron.

    Parameters
    ----------
    a_upper, upper_times, upper_vdot : list of array_like
        Per neuron j of layer l: adjoints a_j^f (mV/ms), spike times t_j^f
        (ms), dV/dt at those spikes (mV/ms).
    W : array_like, shape (n_upper, n_lower)
        Weights W^l (pA) from layer l-1 to layer l.
    lower_times : list of array_like
        Per neuron i of layer l-1: spike times t_i^g (ms).
    vdot_min, tau_L_hat, tau1, tau2, C : float
        Clip (mV/ms), tau_L' (ms), synaptic time constants (ms), capacitance (pF).

    Returns
    -------
    list of ndarray
        ``a_lower[i][g]`` (mV/ms), one array per lower neuron.
    """
    upper = core.LayerSpikes.from_trains(upper_times, vdot=upper_vdot)
    lower = core.LayerSpikes.from_trains(lower_times)
    a = np.concatenate([np.empty(0)] + [np.asarray(x, dtype=float).reshape(-1) for x in a_upper])
    delta = core.deltas(a, upper, vdot_min)
    a_lower = core.adjoints_below(delta, upper, np.asarray(W, dtype=float), lower,
                                  core.Kernels(tau1, tau2, C, tau_L_hat))
    ends = np.cumsum([np.size(t) for t in lower_times])[:-1]
    return [np.array(x) for x in np.split(a_lower, ends)]


# ---------------------------------------------------------------------------
# Machinery shared by the checkers
# ---------------------------------------------------------------------------

@dataclass
class _Case:
    """One input of a check: arguments (in the stub's order), expected result, known mistakes."""

    label: str
    args: dict
    expected: Any
    mistakes: list[tuple[str, Callable[[], Any]]] = field(default_factory=list)


def _fmt(x) -> str:
    """Short, readable repr of a number, an array or a list of arrays."""
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return _fmt(x.item())
        text = np.array2string(x, threshold=10, edgeitems=3, separator=", ", max_line_width=10**6,
                               formatter={"float_kind": lambda v: f"{v:.6g}"})
        return f"array({text})"
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_fmt(v) for v in x[:6]) + (", ..." if len(x) > 6 else "")
        return ("[%s]" if isinstance(x, list) else "(%s)") % inner
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    text = repr(x)
    return text if len(text) <= 120 else text[:117] + "..."


def _as_float_array(x):
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        return None


def _diff_arrays(expected: np.ndarray, got, *, scalar: bool = False):
    """None if ``got`` matches ``expected``; else ``(problem, index)`` with a description."""
    if got is None:
        return "your function returned None (did you forget `return`?)", None
    arr = _as_float_array(got)
    if arr is None:
        return f"your function returned a {type(got).__name__}, not numbers", None
    if scalar and arr.ndim != 0:
        return f"for a scalar input the result should be a single number, you returned shape {arr.shape}", None
    if arr.shape != expected.shape:
        return f"wrong shape: expected {expected.shape}, you returned {arr.shape}", None
    bad = ~np.isfinite(arr) & np.isfinite(expected)
    if bad.any():
        idx = tuple(int(v) for v in np.argwhere(bad)[0])
        return f"your result contains {arr[idx]} (not a finite number)", idx
    err = np.abs(arr - expected)
    tol = ATOL + RTOL * np.abs(expected)
    if np.all(err <= tol):
        return None
    idx = np.unravel_index(int(np.argmax(err - tol)), err.shape) if err.ndim else ()
    idx = tuple(int(v) for v in idx)
    return (f"expected {expected[idx]:.10g}, got {arr[idx]:.10g} (difference {err[idx]:.3g})"), idx


def _matches(value, got) -> bool:
    try:
        if isinstance(value, (list, tuple)) and not isinstance(got, np.ndarray):
            return len(value) == len(got) and all(_matches(v, g) for v, g in zip(value, got))
        a, b = np.asarray(value, dtype=float), np.asarray(got, dtype=float)
        return a.shape == b.shape and bool(np.allclose(b, a, rtol=1e-6, atol=1e-9, equal_nan=True))
    except Exception:  # noqa: BLE001 - any failure just means "no match"
        return False


def _exercise_name(name: str) -> str:
    return f"Exercise {EXERCISES[name]} ({name})"


def _todo(name: str, exc: BaseException) -> bool:
    msg = f" -- {exc}" if str(exc) else ""
    print(f"[TODO] {_exercise_name(name)}: not implemented yet{msg}.\n"
          f"       Fill in the ... in the commented template, uncomment it, delete the\n"
          f"       `raise NotImplementedError(...)` line, run the cell, then run this check again.")
    _RESULTS[name] = "not implemented yet"
    return False


def _fail(name: str, case: _Case, problem: str, got, hint: str, where: str = "") -> bool:
    lines = [f"[FAIL] {_exercise_name(name)}: {case.label}"]
    lines.append("  input:       " + ", ".join(f"{k} = {_fmt(v)}" for k, v in case.args.items()))
    lines.append("  expected:    " + _fmt(case.expected))
    lines.append("  you return:  " + _fmt(got))
    lines.append("  problem:     " + problem + (f" {where}" if where else ""))
    lines.append("  hint:        " + hint)
    print("\n".join(lines))
    _RESULTS[name] = "failed"
    return False


def _pass(name: str, n_cases: int, note: str) -> bool:
    print(f"[PASS] {_exercise_name(name)}: all {n_cases} cases agree with the reference. {note}")
    _RESULTS[name] = "passed"
    return True


def _hint(case: _Case, got, default: str) -> str:
    for hint, wrong in case.mistakes:
        try:
            value = wrong()
        except Exception:  # noqa: BLE001 - a variant that cannot be evaluated does not match
            continue
        if _matches(value, got):
            return hint
    return default


def _exception_hint(exc: BaseException, extra: dict | None = None) -> str:
    for kind, text in (extra or {}).items():
        if isinstance(exc, kind):
            return text
    return ("read the error above: it names the line that failed. Run your function on the input shown "
            "in a new cell to reproduce it.")


def _run(name: str, student_fn, cases: Sequence[_Case], compare, default_hint: str, *,
         exception_hints: dict | None = None, note: str = "") -> bool:
    """Call ``student_fn`` on every case; print PASS/FAIL/TODO; never raise."""
    if not callable(student_fn):
        print(f"[FAIL] {_exercise_name(name)}: expected a function, got {_fmt(student_fn)} "
              f"(pass the function itself: check_{name}({name}), without calling it).")
        _RESULTS[name] = "failed"
        return False
    try:
        for case in cases:
            try:
                got = student_fn(*copy.deepcopy(list(case.args.values())))
            except NotImplementedError as exc:
                return _todo(name, exc)
            except Exception as exc:  # noqa: BLE001 - report, never raise
                print(f"[FAIL] {_exercise_name(name)}: your function raised {type(exc).__name__}: {exc}\n"
                      f"  input:       " + ", ".join(f"{k} = {_fmt(v)}" for k, v in case.args.items()) + "\n"
                      f"  case:        {case.label}\n"
                      f"  hint:        {_exception_hint(exc, exception_hints)}")
                _RESULTS[name] = "failed"
                return False
            problem = compare(case, got)
            if problem is not None:
                text, where = problem
                return _fail(name, case, text, got, _hint(case, got, default_hint), where)
        return _pass(name, len(cases), note)
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not stop the notebook
        print(f"[FAIL] {_exercise_name(name)}: the checker could not compare your result "
              f"({type(exc).__name__}: {exc}). Check the type and shape your function returns.")
        _RESULTS[name] = "failed"
        return False


# ---------------------------------------------------------------------------
# Exercise 1: alpha kernel (paper Eq. 1)
# ---------------------------------------------------------------------------

def check_alpha_kernel(alpha_kernel) -> bool:
    """Check a learner's ``alpha_kernel(t, tau1, tau2)`` against :func:`normad_edu.kernels.alpha_kernel`.

    Cases: a grid of times including ``t < 0`` and ``t = 0`` for three pairs
    of time constants, scalar inputs (the result must be a single number)
    and a 2-D array (the shape must be kept).

    Returns
    -------
    bool
        True if every case agrees; a message is printed either way.
    """
    grid = np.array([-5.0, -1.0, -0.1, 0.0, 0.1, 0.5, 1.0, 2.3, 5.0, 10.0, 25.0, 60.0])
    cases = []
    for tau1, tau2 in ((TAU1, TAU2), (10.0, 2.0), (3.0, 0.5)):
        cases.append(_case_alpha(f"t on a grid from -5 to 60 ms, tau1 = {tau1} ms, tau2 = {tau2} ms",
                                 grid, tau1, tau2))
    for t in (-1.0, 0.0, 2.0):
        cases.append(_case_alpha(f"scalar t = {t} ms (return a single number)", t, TAU1, TAU2))
    cases.append(_case_alpha("2-D array of times (keep the shape)", grid.reshape(3, 4), 8.0, 1.0))

    def compare(case, got):
        problem = _diff_arrays(np.asarray(case.expected, dtype=float), got, scalar=np.ndim(case.args["t"]) == 0)
        if problem is None or problem[1] is None:
            return problem
        t_val = np.asarray(case.args["t"])[problem[1]] if np.ndim(case.args["t"]) else case.args["t"]
        return problem[0], f"at t = {float(t_val):g} ms"

    return _run("alpha_kernel", alpha_kernel, cases, compare,
                "alpha(t) = exp(-t/tau1) - exp(-t/tau2) for t >= 0 and 0 for t < 0; use the tau1 and tau2 "
                "arguments; np.where(t >= 0, ..., 0.0) handles arrays and scalars alike.",
                note="Your kernel is paper Eq. (1).")


def _case_alpha(label, t, tau1, tau2) -> _Case:
    t_arr = np.asarray(t, dtype=float)
    pos = np.maximum(t_arr, 0.0)
    with np.errstate(over="ignore"):
        mistakes = [
            ("your values have the wrong sign: tau1 and tau2 look swapped. alpha rises with the fast tau2 "
             "and decays with the slow tau1, so it is exp(-t/tau1) - exp(-t/tau2) >= 0.",
             lambda: -_alpha_lib(t, tau1, tau2)),
            ("alpha must be 0 for t < 0 (the Heaviside step u(t)): a spike cannot act before it happens. "
             "Use np.where(t >= 0, ..., 0.0).",
             lambda: np.exp(-t_arr / tau1) - np.exp(-t_arr / tau2)),
            ("alpha must be 0 for t < 0, and tau1, tau2 look swapped too.",
             lambda: np.exp(-t_arr / tau2) - np.exp(-t_arr / tau1)),
            ("your function seems to ignore the tau1 and tau2 arguments (it matches the default 5 ms / 1.25 ms).",
             lambda: _alpha_lib(t, TAU1, TAU2)),
            ("a single exponential is not enough: alpha is a difference of two, exp(-t/tau1) - exp(-t/tau2).",
             lambda: np.where(t_arr >= 0, np.exp(-pos / tau1), 0.0)),
        ]
    return _Case(label, {"t": t, "tau1": tau1, "tau2": tau2}, _alpha_lib(t, tau1, tau2), mistakes)


# ---------------------------------------------------------------------------
# Exercise 2: one exact LIF step
# ---------------------------------------------------------------------------

def check_lif_step(lif_step) -> bool:
    """Check a learner's ``lif_step(u, I1, I2, h, tau1, tau2, tau_L, C) -> (u, I1, I2)``.

    Cases: the response to one input spike of weight W at t = 0 (state
    ``(0, W, W)``), which must equal ``W psi(h)`` from
    :func:`normad_edu.kernels.psi_kernel`; random states checked against
    :func:`reference_lif_step`; and the limits ``tau1 == tau_L`` and
    ``tau2 == tau_L``.

    Returns
    -------
    bool
    """
    rng = np.random.default_rng(8)
    cases = []
    for h in (0.1, 2.3, 15.0):
        W = 800.0
        expected = (W * psi_kernel(h, TAU1, TAU2, C_DEFAULT, TAU_L), W * math.exp(-h / TAU1), W * math.exp(-h / TAU2))
        cases.append(_case_lif(f"one input spike of W = {W} pA at t = 0, after h = {h} ms: u must be W psi(h)",
                               0.0, W, W, h, TAU1, TAU2, TAU_L, C_DEFAULT, expected))
    for n in range(4):
        u, I1, I2 = rng.uniform(-20, 80), rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)
        h = float(rng.choice([0.1, rng.uniform(0.01, 8.0)]))
        cases.append(_case_lif(f"random state #{n + 1}", round(u, 3), round(I1, 2), round(I2, 2), round(h, 4),
                               TAU1, TAU2, TAU_L, C_DEFAULT))
    W = 1500.0
    cases.append(_case_lif("limit tau1 == tau_L (one input spike at t = 0, h = 3 ms)", 0.0, W, W, 3.0, 10.0, 1.25,
                           10.0, C_DEFAULT,
                           (W * psi_kernel(3.0, 10.0, 1.25, C_DEFAULT, 10.0), W * math.exp(-0.3),
                            W * math.exp(-3.0 / 1.25))))
    cases.append(_case_lif("limit tau1 == tau_L (random state)", 12.5, 900.0, -300.0, 1.7, 10.0, 1.25, 10.0, C_DEFAULT))
    cases.append(_case_lif("limit tau2 == tau_L", -4.0, 1200.0, 700.0, 2.0, 8.0, 4.0, 4.0, 200.0))

    names = ("u_new", "I1_new", "I2_new")

    def compare(case, got):
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            return (f"return a tuple (u_new, I1_new, I2_new) of three numbers; you returned {_fmt(got)}", None)
        for name, exp, value in zip(names, case.expected, got):
            problem = _diff_arrays(np.asarray(exp, dtype=float), value, scalar=True)
            if problem is not None:
                return f"{name}: {problem[0]}", ""
        return None

    return _run("lif_step", lif_step, cases, compare,
                "u(t+h) = u e^{-h/tau_L} + [I1 E(h; tau1) - I2 E(h; tau2)] / C with "
                "E(h; tau) = (e^{-h/tau} - e^{-h/tau_L}) / (1/tau_L - 1/tau), and each trace decays with "
                "its own time constant: I1 e^{-h/tau1}, I2 e^{-h/tau2}.",
                exception_hints={ZeroDivisionError: "E(h; tau) is 0/0 when tau == tau_L: use the limit "
                                                    "E = h exp(-h/tau_L) in that case."},
                note="This is the exact propagator the simulator in normad_edu/lif.py uses.")


def _case_lif(label, u, I1, I2, h, tau1, tau2, tau_L, C, expected=None) -> _Case:
    ref = reference_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)
    expected = ref if expected is None else expected
    eL, e1, e2 = math.exp(-h / tau_L), math.exp(-h / tau1), math.exp(-h / tau2)
    limit = tau1 == tau_L or tau2 == tau_L
    mistakes = [
        ("your result is not a number in a case with tau == tau_L: E(h; tau) is 0/0 there; "
         "use its limit E = h exp(-h/tau_L).",
         lambda: (float("nan"),) + tuple(ref[1:]) if limit else None),
        ("this is a forward Euler step u + h du/dt. The exercise asks for the exact solution: exponential "
         "propagators, exact for any h.",
         lambda: (u + h * (-u / tau_L + (I1 - I2) / C), I1 * (1 - h / tau1), I2 * (1 - h / tau2))),
        ("the traces I1 and I2 must decay too: I1 e^{-h/tau1}, I2 e^{-h/tau2}.",
         lambda: (ref[0], I1, I2)),
        ("the current is I = I1 - I2: the I2 term enters u with a minus sign.",
         lambda: reference_lif_step(u, I1, -I2, h, tau1, tau2, tau_L, C)[:1] + ref[1:]),
        ("the synaptic part of u is [I1 E(h;tau1) - I2 E(h;tau2)] / C: divide by C (pF), so pA/pF = mV/ms.",
         lambda: (u * eL + C * (ref[0] - u * eL),) + tuple(ref[1:])),
        ("check the sign of the denominator of E(h; tau): it is (1/tau_L - 1/tau).",
         lambda: (u * eL - (ref[0] - u * eL),) + tuple(ref[1:])),
        ("u itself decays with the membrane time constant: the first term is u e^{-h/tau_L}.",
         lambda: (ref[0] - u * eL + u,) + tuple(ref[1:])),
        ("the traces are swapped: I1 decays with tau1 and I2 with tau2.",
         lambda: (ref[0], I1 * e2, I2 * e1)),
    ]
    args = {"u": u, "I1": I1, "I2": I2, "h": h, "tau1": tau1, "tau2": tau2, "tau_L": tau_L, "C": C}
    return _Case(label, args, tuple(float(v) for v in expected), mistakes)


# ---------------------------------------------------------------------------
# Exercise 3: the single-layer NormAD update
# ---------------------------------------------------------------------------

def check_normad_single_update(normad_single_update) -> bool:
    """Check a learner's ``normad_single_update(input_trains, desired, observed, r, tau_L_hat, coincidence_dt)``.

    Cases: a hand-made problem with an error instant before any input spike
    (``||dhat|| = 0``, to be skipped), a desired and an observed spike that
    cancel, and an empty input train; a problem without errors (all zero);
    a random problem with another ``tau_L_hat`` and ``r``.

    Returns
    -------
    bool
    """
    rng = np.random.default_rng(3)
    hand = [np.array([1.0, 7.5, 14.0]), np.array([2.2, 9.0]), np.array([]), np.array([4.0, 11.0, 18.5, 25.0]),
            np.array([13.0])]
    cases = [
        _case_normad("hand-made: 5 inputs (one silent), an error at 0.5 ms before any input spike, "
                     "and a desired/observed pair at 12.01/12.04 ms that cancels",
                     hand, np.array([0.5, 12.01, 20.0]), np.array([12.04, 16.0, 31.0]), 1000.0, TAU_L_HAT, 0.1),
        _case_normad("no error at all (desired == observed): the update is zero",
                     hand, np.array([5.0, 15.0]), np.array([5.0, 15.0]), 1000.0, TAU_L_HAT, 0.1),
    ]
    trains = [np.round(np.sort(rng.uniform(0, 80, rng.poisson(3))), 3) for _ in range(12)]
    trains = [np.unique(t) for t in trains]
    cases.append(_case_normad("random problem: 12 inputs, tau_L_hat = 10 ms, r = 300 pA",
                              trains, np.array([10.0, 33.3, 61.0]), np.array([22.0, 45.5, 46.0, 70.2]), 300.0,
                              10.0, 0.1))

    def compare(case, got):
        problem = _diff_arrays(np.asarray(case.expected, dtype=float), got)
        if problem is None or problem[1] is None:
            return problem
        return problem[0], f"at input neuron i = {problem[1][0]}"

    return _run("normad_single_update", normad_single_update, cases, compare,
                "dW = r * sum over error instants t_e of e(t_e) dhat(t_e) / ||dhat(t_e)||, where "
                "dhat_i(t) = sum_f psihat(t - t_i^f) uses tau_L_hat; get t_e and e(t_e) from "
                "error_instants(desired, observed, coincidence_dt).",
                note="This is the output-layer rule of normad_edu.normad.normad_update.")


def _case_normad(label, trains, desired, observed, r, tau_L_hat, coincidence_dt) -> _Case:
    ref = reference_normad_single_update(trains, desired, observed, r, tau_L_hat, coincidence_dt)

    def unnormalized():
        times, signs = error_instants(desired, observed, coincidence_dt)
        D = d_hat(times, trains, tau_L_hat=tau_L_hat)
        return r * (signs[:, None] * D).sum(axis=0)

    def normalized_total():
        total = unnormalized()
        n = np.linalg.norm(total)
        return total / n * r if n > 0 else total

    def nan_at_zero_norm():
        times, signs = error_instants(desired, observed, coincidence_dt)
        D = d_hat(times, trains, tau_L_hat=tau_L_hat)
        norms = np.linalg.norm(D, axis=1)
        out = ref.copy()
        if np.any(norms == 0):
            out[:] = np.nan
        return out

    mistakes = [
        ("NaN appears when ||dhat(t_e)|| = 0 (no input has spiked before t_e, so no weight can change V "
         "there): skip those instants instead of dividing by zero.", nan_at_zero_norm),
        ("the sign is flipped: e(t_e) = +1 at a missed desired spike (raise V there), -1 at an extra "
         "output spike.", lambda: -ref),
        ("normalise each instant's dhat(t_e) by its own norm ||dhat(t_e)|| before summing "
         "(you seem to use no normalisation).", unnormalized),
        ("normalise each instant separately, not the sum: dW = r sum_e e dhat(t_e)/||dhat(t_e)||.",
         normalized_total),
        ("use the tau_L_hat argument in psihat (you seem to use the default 2.5 ms).",
         lambda: reference_normad_single_update(trains, desired, observed, r, TAU_L_HAT, coincidence_dt)),
        ("dhat uses tau_L_hat (tau_L'), not the membrane's tau_L = 10 ms.",
         lambda: reference_normad_single_update(trains, desired, observed, r, TAU_L, coincidence_dt)),
        ("multiply by the learning rate r.", lambda: ref / r),
    ]
    args = {"input_trains": trains, "desired": desired, "observed": observed, "r": r, "tau_L_hat": tau_L_hat,
            "coincidence_dt": coincidence_dt}
    return _Case(label, args, ref, mistakes)


# ---------------------------------------------------------------------------
# Exercise 4: one step of spatio-temporal error backpropagation
# ---------------------------------------------------------------------------

def check_backprop_adjoints(backprop_adjoints) -> bool:
    """Check a learner's ``backprop_adjoints(a_upper, upper_times, upper_vdot, W, lower_times, vdot_min, tau_L_hat)``.

    Cases: a hand-made pair of layers (2 upper, 3 lower neurons, a Vdot
    below ``vdot_min``, a lower spike after every upper spike), a random
    pair with silent neurons, and one with other ``vdot_min`` and
    ``tau_L_hat``. Compared with :func:`reference_backprop_adjoints`.

    Returns
    -------
    bool
    """
    rng = np.random.default_rng(4)
    cases = [
        _case_backprop("hand-made: 2 upper neurons, 3 lower neurons; one Vdot (0.4) is below vdot_min",
                       [np.array([0.3, -0.1]), np.array([0.5])],
                       [np.array([5.0, 12.0]), np.array([8.0])],
                       [np.array([2.0, 0.4]), np.array([1.5])],
                       np.array([[400.0, -250.0, 600.0], [150.0, 900.0, -300.0]]),
                       [np.array([1.0, 9.0]), np.array([3.0]), np.array([20.0])], VDOT_MIN, TAU_L_HAT),
    ]
    for label, vdot_min, tau_L_hat in (("random: 4 upper (one silent), 5 lower (one silent)", VDOT_MIN, TAU_L_HAT),
                                       ("random, vdot_min = 0.5 mV/ms and tau_L_hat = 10 ms", 0.5, 10.0)):
        n_up, n_low = 4, 5
        up_t = [np.sort(np.round(rng.uniform(2, 50, k), 3)) for k in (3, 0, 2, 4)]
        low_t = [np.sort(np.round(rng.uniform(0, 45, k), 3)) for k in (2, 3, 0, 1, 4)]
        a_up = [np.round(rng.normal(0, 0.5, t.size), 4) for t in up_t]
        vd_up = [np.round(rng.uniform(0.1, 4.0, t.size), 3) for t in up_t]
        W = np.round(rng.normal(0, 400, (n_up, n_low)), 1)
        cases.append(_case_backprop(label, a_up, up_t, vd_up, W, low_t, vdot_min, tau_L_hat))

    def compare(case, got):
        exp = case.expected
        if not isinstance(got, (list, tuple)) and not (isinstance(got, np.ndarray) and got.dtype == object):
            return (f"return a list with one array per lower neuron ({len(exp)} here); you returned "
                    f"{type(got).__name__}", None)
        if len(got) != len(exp):
            return f"return one array per lower neuron: expected {len(exp)}, you returned {len(got)}", None
        for i, (e_i, g_i) in enumerate(zip(exp, got)):
            problem = _diff_arrays(e_i, g_i)
            if problem is not None:
                text, idx = problem
                if idx:
                    t = case.args["lower_times"][i][idx[0]]
                    return text, f"at lower neuron i = {i}, spike g = {idx[0]} (t_i^g = {t:g} ms)"
                return f"lower neuron i = {i}: {text}", ""
        return None

    return _run("backprop_adjoints", backprop_adjoints, cases, compare,
                "a_i^g = sum over j and over spikes t_j^f > t_i^g of (a_j^f / max(Vdot_j^f, vdot_min)) "
                "* W[j, i] * psi_hat_kernel_dot(t_j^f - t_i^g, ..., tau_L_hat=tau_L_hat).",
                exception_hints={IndexError: "W has shape (n_upper, n_lower): the weight from lower neuron i "
                                             "to upper neuron j is W[j, i]."},
                note="normad_edu.normad applies this step once per hidden layer, from the top down.")


def _case_backprop(label, a_up, up_t, vd_up, W, low_t, vdot_min, tau_L_hat) -> _Case:
    def ref(a=a_up, vd=vd_up, Wm=W, vmin=vdot_min, tau=tau_L_hat):
        return reference_backprop_adjoints(a, up_t, vd, Wm, low_t, vmin, tau)

    def with_kernel(kernel):
        out = []
        for i, t_i in enumerate(low_t):
            a_i = np.zeros(t_i.size)
            for j, t_j in enumerate(up_t):
                delta = a_up[j] / np.maximum(vd_up[j], vdot_min)
                lag = t_j[:, None] - t_i[None, :]
                a_i += W[j, i] * (delta[:, None] * kernel(lag)).sum(axis=0)
            out.append(a_i)
        return out

    mistakes = [
        ("clip Vdot from below: divide by max(Vdot_j^f, vdot_min), not by Vdot_j^f itself.",
         lambda: ref(vmin=1e-300)),
        ("divide a_j^f by Vdot_j^f (delta = a / Vdot), do not multiply.",
         lambda: ref(vd=[1.0 / np.maximum(v, vdot_min) for v in vd_up], vmin=0.0)),
        ("the sign is flipped: a_i^g = + sum delta_j^f W_ji psihat'(t_j^f - t_i^g) (the minus sign "
         "belongs only to the output layer's adjoints).", lambda: [-x for x in ref()]),
        ("use the derivative psihat' (psi_hat_kernel_dot), not psihat itself.",
         lambda: with_kernel(lambda x: psi_hat_kernel(x, TAU1, TAU2, C_DEFAULT, tau_L_hat))),
        ("the time difference is t_j^f - t_i^g (the upper spike comes later); reversed, every term is 0.",
         lambda: [np.zeros(t.size) for t in low_t]),
        ("use the tau_L_hat argument (you seem to use the default 2.5 ms).", lambda: ref(tau=TAU_L_HAT)),
        ("use the vdot_min argument (you seem to use the default 1 mV/ms).", lambda: ref(vmin=VDOT_MIN)),
        ("the weight from lower neuron i to upper neuron j is W[j, i]; you seem to use the transpose.",
         lambda: ref(Wm=W.T) if W.shape[0] == W.shape[1] else None),
    ]
    args = {"a_upper": a_up, "upper_times": up_t, "upper_vdot": vd_up, "W": W, "lower_times": low_t,
            "vdot_min": vdot_min, "tau_L_hat": tau_L_hat}
    return _Case(label, args, ref(), mistakes)


# ---------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------

def passed(name: str) -> bool:
    """True if the last check of exercise ``name`` (e.g. ``"lif_step"``) passed."""
    return _RESULTS.get(name) == "passed"


def scoreboard() -> dict[str, bool]:
    """Print the last result of every exercise; return ``{name: passed}``."""
    print("Assignment scoreboard")
    for name, n in EXERCISES.items():
        print(f"  Exercise {n}  {name:<22s} {_RESULTS.get(name, 'not checked yet')}")
    done = sum(passed(name) for name in EXERCISES)
    print(f"  {done} of {len(EXERCISES)} passed")
    return {name: passed(name) for name in EXERCISES}


def reset_scoreboard() -> None:
    """Forget every recorded result (used by the tests)."""
    _RESULTS.clear()
