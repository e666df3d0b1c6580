"""Checkers for the exercises of ``notebooks/08_assignments.ipynb``.

Each exercise asks the learner to write one function; the matching
``check_<name>(student_function)`` calls it on a set of inputs, compares the
result with an independent reference and prints one message:

* **PASS** -- every case agrees (to ~1e-7 relative); returns ``True``;
* **FAIL** -- the first case that disagrees: the input, the expected value,
  what the function returned, where the difference is largest and a hint;
  returns ``False``. The hint names a common mistake only when the answer
  matches it *and* the mistake gives a different result than the right
  answer on the case shown (so a near-miss never gets misleading advice);
* **FAIL (library)** -- the function uses the library's own implementation
  of what the exercise asks for (or a ``reference_*`` of this module), see
  the table below; returns ``False``;
* **TODO** -- the function still raises ``NotImplementedError`` (the stub of
  the student version); returns ``False``.

A checker never raises, whatever the learner's function does, and prints
nothing but its message (warnings raised inside the learner's function are
silenced), so a notebook always runs to the end; a check cell ends with
``;`` so that the returned bool is not echoed. ``check_<name>(f, hidden=True)``
adds further cases (other random draws of every argument, edge cases) that
the notebook's visible check cell does not run: the autograder's hidden
tests (see ``docs/instructor-guide.md``). :func:`scoreboard` lists the last
result of every exercise; :func:`passed` tells whether one has passed.

Every argument of an exercise is varied in the visible cases, so an answer
that ignores one (uses its default) fails; the one exception is ``C`` in
exercise 3, which cancels in the normalised step ``dhat / ||dhat||``.

=========  ============================  =======================================  ==============================
exercise   learner writes                checked against                          refused if it uses
=========  ============================  =======================================  ==============================
1          ``alpha_kernel``              ``kernels.alpha_kernel``                 ``kernels.alpha_kernel``
2          ``lif_step``                  :func:`reference_lif_step`               ``kernels.exp_filter``, the
                                         (closed form) and ``W psi(h)``           engine's ``exp_filter``,
                                                                                  ``exp_filter_given``,
                                                                                  ``propagators``
3          ``normad_single_update``      :func:`reference_normad_single_update`   ``normad.normad_update``,
                                         (readable core of                        ``backward``, their readable
                                         :mod:`normad_edu.normad`)                twins, ``add_normalized``,
                                                                                  ``update_for_error_instant``
4          ``backprop_adjoints``         :func:`reference_backprop_adjoints`      ``normad.adjoints_below``,
                                         (readable core)                          ``backward``, ``normad_update``
                                                                                  (and twins), ``adjoint_sweep``
=========  ============================  =======================================  ==============================

Every exercise also refuses the ``reference_*`` functions of this module.
The tools an exercise names stay allowed (``error_instants``,
``psi_hat_kernel``, ``d_hat`` in exercise 3; ``psi_hat_kernel_dot`` in 4).

The ``reference_*`` functions are the checkers' own solutions, kept under
stable names; the notebook's solutions (between the nbgrader solution
markers) are written independently of them. Units: ms, mV, pF, pA (so
pA/pF = mV/ms).
"""

from __future__ import annotations

import contextlib
import copy
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _checking
from ._checking import fmt as _fmt
from .. import normad as core
from ..kernels import alpha_kernel as _alpha_lib
from ..kernels import psi_kernel
from ..normad import error_instants
from ..params import C as C_DEFAULT
from ..params import GL, TAU1, TAU2, TAU_L_HAT, VDOT_MIN

TAU_L = C_DEFAULT / GL
#: Relative and absolute tolerance of every comparison.
RTOL, ATOL = 1e-7, 1e-10
#: An answer within this relative distance of the reference (but outside RTOL) gets the "close" hint.
NEAR_RTOL = 1e-4

#: exercise number and function name, in notebook order
EXERCISES = {
    "alpha_kernel": 1,
    "lif_step": 2,
    "normad_single_update": 3,
    "backprop_adjoints": 4,
}
_RESULTS: dict[str, str] = {}

_REFERENCES = ("reference_lif_step", "reference_normad_single_update", "reference_backprop_adjoints")
_NORMAD_DRIVERS = ("normad_edu.normad:normad_update", "normad_edu.normad:normad_update_reference",
                   "normad_edu.normad:backward", "normad_edu.normad:backward_reference",
                   "normad_edu.normad:update_for_error_instant", "normad_edu._engine.backward:run_backward")
#: Library functions that compute (part of) what each exercise asks for: an answer using one is refused.
LIBRARY_VERSIONS: dict[str, tuple[str, ...]] = {
    "alpha_kernel": ("normad_edu.kernels:alpha_kernel",),
    "lif_step": ("normad_edu.kernels:exp_filter", "normad_edu._engine.kernels:exp_filter",
                 "normad_edu._engine.kernels:exp_filter_given", "normad_edu._engine.kernels:propagators"),
    "normad_single_update": _NORMAD_DRIVERS + ("normad_edu.normad:add_normalized",),
    "backprop_adjoints": _NORMAD_DRIVERS + ("normad_edu.normad:adjoints_below",
                                            "normad_edu._engine.backward:adjoint_sweep"),
}
#: What the refusal message says is allowed.
_ALLOWED_TOOLS = {
    "alpha_kernel": "NumPy",
    "lif_step": "NumPy or math",
    "normad_single_update": "error_instants, psi_hat_kernel (or d_hat) and NumPy",
    "backprop_adjoints": "psi_hat_kernel_dot and NumPy",
}


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


def _normad_from_instants(trains, times, signs, r, tau_L_hat, tau1, tau2, C) -> np.ndarray:
    """``r sum_e e dhat(t_e) / ||dhat(t_e)||`` (pA) for given error instants, with the readable core."""
    pre = core.LayerSpikes.from_trains(trains)
    D = core.dhat_at(times, pre, core.Kernels(tau1, tau2, C, tau_L_hat))
    dW = np.zeros(len(trains))
    for s, row in zip(signs, D):
        core.add_normalized(dW, row, r * s, "layer")
    return dW


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
    return _normad_from_instants(input_trains, times, signs, r, tau_L_hat, tau1, tau2, C)


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
    hidden: bool = False


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


def _flat(value) -> np.ndarray | None:
    """All numbers of a number, an array or a (nested) list/tuple of them, as one float array."""
    try:
        if isinstance(value, (list, tuple)):
            parts = [_flat(v) for v in value]
            if any(p is None for p in parts):
                return None
            return np.concatenate([np.empty(0)] + [p.reshape(-1) for p in parts])
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def _matches(value, got) -> bool:
    """``got`` equals ``value`` (same structure and shapes, values to 1e-6 relative)."""
    try:
        if isinstance(value, (list, tuple)) and not isinstance(got, np.ndarray):
            return len(value) == len(got) and all(_matches(v, g) for v, g in zip(value, got))
        a, b = np.asarray(value, dtype=float), np.asarray(got, dtype=float)
        return a.shape == b.shape and bool(np.allclose(b, a, rtol=1e-6, atol=1e-9, equal_nan=True))
    except Exception:  # noqa: BLE001 - any failure just means "no match"
        return False


def _relative_gap(expected, got) -> float | None:
    """max |got - expected| / max |expected| when both have the same structure and are finite, else None."""
    if isinstance(expected, (list, tuple)) and not (isinstance(got, (list, tuple)) and len(got) == len(expected)):
        return None
    e, g = _flat(expected), _flat(got)
    if e is None or g is None or e.shape != g.shape or e.size == 0 or not np.all(np.isfinite(g)):
        return None
    scale = np.abs(e).max()
    return float(np.abs(g - e).max() / scale) if scale > 0 else None


def _exercise_name(name: str) -> str:
    return f"Exercise {EXERCISES[name]} ({name})"


def _args_line(case: _Case) -> str:
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in case.args.items())


def _todo(name: str, exc: BaseException) -> bool:
    msg = f" -- {exc}" if str(exc) else ""
    print(f"[TODO] {_exercise_name(name)}: not implemented yet{msg}.\n"
          f"       Fill in the ... in the commented template, uncomment it, delete the\n"
          f"       `raise NotImplementedError()` line, run the cell, then run this check again.")
    _RESULTS[name] = "not implemented yet"
    return False


def _refused(name: str, label: str) -> bool:
    what = ("the checker's own solution" if ".checks." in label
            else "the library's own version of what this exercise asks for")
    print(f"[FAIL] {_exercise_name(name)}: your function uses {label}, {what}.\n"
          f"  hint:        write it yourself from the equation above (you may use {_ALLOWED_TOOLS[name]}).")
    _RESULTS[name] = "failed (uses the library's version)"
    return False


def _fail(name: str, case: _Case, problem: str, got, hint: str, where: str = "") -> bool:
    lines = [f"[FAIL] {_exercise_name(name)}: {case.label}"]
    lines.append("  input:       " + _args_line(case))
    lines.append("  expected:    " + _fmt(case.expected))
    lines.append("  you return:  " + _fmt(got))
    lines.append("  problem:     " + problem + (f" {where}" if where else ""))
    lines.append("  hint:        " + hint)
    print("\n".join(lines))
    _RESULTS[name] = "failed"
    return False


def _pass(name: str, cases: Sequence[_Case], note: str) -> bool:
    n_hidden = sum(c.hidden for c in cases)
    extra = f" ({n_hidden} of them hidden from the notebook's check)" if n_hidden else ""
    print(f"[PASS] {_exercise_name(name)}: all {len(cases)} cases agree with the reference{extra}. {note}")
    _RESULTS[name] = "passed"
    return True


@contextlib.contextmanager
def _quiet():
    """Silence warnings (they would print to stderr, which nbgrader counts as a failed test)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def _hint(case: _Case, got, default: str) -> str:
    """The hint of the first known mistake that ``got`` matches and that differs from the right answer here."""
    with _quiet():
        for hint, wrong in case.mistakes:
            try:
                value = wrong()
            except Exception:  # noqa: BLE001 - a variant that cannot be evaluated does not match
                continue
            if value is None or _matches(case.expected, value):
                continue  # this mistake gives the right answer on this case: it cannot explain a failure
            if _matches(value, got):
                return hint
        gap = _relative_gap(case.expected, got)
    if gap is not None and gap < NEAR_RTOL:
        return (f"your result is close to the reference (largest difference {gap:.1g} of its largest value) "
                f"but not within {RTOL:g}: the formula is probably right, the arithmetic loses precision "
                f"(float32? a numerical approximation, e.g. a finite difference or a tolerance in a limit?).")
    return default


def _ignored_arguments(reference: Callable, args: dict, defaults: dict) -> list[tuple[str, Callable[[], Any]]]:
    """Mistakes "the function ignores argument X" (uses its default) for every X this case sets otherwise."""
    out = []
    for name, default in defaults.items():
        if args[name] != default:
            out.append((f"your function seems to ignore the `{name}` argument: it returns what {name} = "
                        f"{default:g} (the default) gives, but this case passes {name} = {args[name]:g}.",
                        lambda name=name, default=default: reference(**{**args, name: default})))
    return out


def _exception_hint(exc: BaseException, extra: dict | None = None) -> str:
    for kind, text in (extra or {}).items():
        if isinstance(exc, kind):
            return text
    return ("read the error above: it names the line that failed. Run your function on the input shown "
            "in a new cell to reproduce it.")


def _library_versions(name: str):
    forbidden = _checking.resolve(LIBRARY_VERSIONS[name] + tuple(f"{__name__}:{r}" for r in _REFERENCES))
    names = {label.rsplit(".", 1)[1]: label for label, _ in forbidden.values()}
    return forbidden, names


def _run(name: str, student_fn, cases: Sequence[_Case], compare, default_hint: str, *,
         exception_hints: dict | None = None, note: str = "") -> bool:
    """Call ``student_fn`` on every case; print PASS/FAIL/TODO; never raise."""
    if not callable(student_fn):
        print(f"[FAIL] {_exercise_name(name)}: expected a function, got {_fmt(student_fn)} "
              f"(pass the function itself: check_{name}({name}), without calling it).")
        _RESULTS[name] = "failed"
        return False
    try:
        forbidden, names = _library_versions(name)
        try:
            label = _checking.find_reference(student_fn, forbidden, names)
        except Exception:  # noqa: BLE001 - code we cannot read: the calls are still refused while it runs
            label = None
        if label is not None:
            return _refused(name, label)
        for case in cases:
            error = None
            watch = _checking.CallWatch(forbidden)
            with _quiet():
                try:
                    got = watch.call(student_fn, tuple(copy.deepcopy(list(case.args.values()))))
                except Exception as exc:  # noqa: BLE001 - report, never raise
                    error = exc
            if watch.hit is not None:
                return _refused(name, watch.hit)
            if isinstance(error, NotImplementedError):
                return _todo(name, error)
            if error is not None:
                print(f"[FAIL] {_exercise_name(name)}: your function raised {type(error).__name__}: {error}\n"
                      f"  input:       {_args_line(case)}\n"
                      f"  case:        {case.label}\n"
                      f"  hint:        {_exception_hint(error, exception_hints)}")
                _RESULTS[name] = "failed"
                return False
            problem = compare(case, got)
            if problem is not None:
                text, where = problem
                return _fail(name, case, text, got, _hint(case, got, default_hint), where)
        return _pass(name, cases, note)
    except Exception as exc:  # noqa: BLE001 - a bug in a check must not stop the notebook
        print(f"[FAIL] {_exercise_name(name)}: the checker could not compare your result "
              f"({type(exc).__name__}: {exc}). Check the type and shape your function returns.")
        _RESULTS[name] = "failed"
        return False


def _random_taus(rng) -> tuple[float, float]:
    """A random synapse ``tau1 > tau2 > 0`` (ms), rounded so the input line stays readable."""
    tau2 = round(float(rng.uniform(0.3, 3.0)), 2)
    return round(tau2 * float(rng.uniform(1.6, 6.0)), 2), tau2


# ---------------------------------------------------------------------------
# Exercise 1: alpha kernel (paper Eq. 1)
# ---------------------------------------------------------------------------

def check_alpha_kernel(alpha_kernel, *, hidden: bool = False) -> bool:
    """Check a learner's ``alpha_kernel(t, tau1, tau2)`` against :func:`normad_edu.kernels.alpha_kernel`.

    Cases: a grid of times including ``t < 0`` and ``t = 0`` for three pairs
    of time constants, scalar inputs (the result must be a single number)
    and a 2-D array (the shape must be kept). ``hidden=True`` adds random
    time constants and times (down to -1000 and up to 1000 ms), a 3-D array,
    a NumPy scalar and an integer time.

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
    for t, tau1, tau2 in ((-1.0, TAU1, TAU2), (0.0, TAU1, TAU2), (2.0, TAU1, TAU2), (3.5, 12.0, 4.0)):
        cases.append(_case_alpha(f"scalar t = {t} ms, tau1 = {tau1} ms, tau2 = {tau2} ms (return a single number)",
                                 t, tau1, tau2))
    cases.append(_case_alpha("2-D array of times (keep the shape)", grid.reshape(3, 4), 8.0, 1.0))
    if hidden:
        rng = np.random.default_rng(1001)
        for n in range(3):
            tau1, tau2 = _random_taus(rng)
            t = np.round(np.concatenate([[-1000.0, 1000.0], rng.uniform(-20, 80, 30)]), 3)
            cases.append(_case_alpha(f"hidden #{n + 1}: random times, tau1 = {tau1} ms, tau2 = {tau2} ms",
                                     t, tau1, tau2, hidden=True))
        cases.append(_case_alpha("hidden: 3-D array of times", np.round(rng.uniform(-5, 30, (2, 3, 4)), 3), 6.0,
                                 1.5, hidden=True))
        cases.append(_case_alpha("hidden: a NumPy scalar time", np.float64(1.7), 4.0, 0.8, hidden=True))
        cases.append(_case_alpha("hidden: an integer time", 3, TAU1, TAU2, hidden=True))

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


def _case_alpha(label, t, tau1, tau2, *, hidden: bool = False) -> _Case:
    t_arr = np.asarray(t, dtype=float)
    pos = np.maximum(t_arr, 0.0)
    args = {"t": t, "tau1": tau1, "tau2": tau2}
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
        *_ignored_arguments(_alpha_lib, args, {"tau1": TAU1, "tau2": TAU2}),
    ]
    return _Case(label, args, _alpha_lib(t, tau1, tau2), mistakes, hidden)


# ---------------------------------------------------------------------------
# Exercise 2: one exact LIF step
# ---------------------------------------------------------------------------

def check_lif_step(lif_step, *, hidden: bool = False) -> bool:
    """Check a learner's ``lif_step(u, I1, I2, h, tau1, tau2, tau_L, C) -> (u, I1, I2)``.

    Cases: the response to one input spike of weight W at t = 0 (state
    ``(0, W, W)``), which must equal ``W psi(h)`` from
    :func:`normad_edu.kernels.psi_kernel`; random states with the default
    and with random time constants and capacitance, checked against
    :func:`reference_lif_step`; the limits ``tau1 == tau_L`` and
    ``tau2 == tau_L``. ``hidden=True`` adds more random states and
    constants, ``h = 0``, a long step (300 ms), ``tau1 == tau2`` and
    ``tau1 == tau2 == tau_L``.

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
        cases.append(_case_lif(f"random state #{n + 1}", *_random_lif_state(rng), TAU1, TAU2, TAU_L, C_DEFAULT))
    for n in range(2):
        cases.append(_case_lif(f"random state and constants #{n + 1}", *_random_lif_state(rng),
                               *_random_lif_constants(rng)))
    W = 1500.0
    cases.append(_case_lif("limit tau1 == tau_L (one input spike at t = 0, h = 3 ms)", 0.0, W, W, 3.0, 10.0, 1.25,
                           10.0, C_DEFAULT,
                           (W * psi_kernel(3.0, 10.0, 1.25, C_DEFAULT, 10.0), W * math.exp(-0.3),
                            W * math.exp(-3.0 / 1.25))))
    cases.append(_case_lif("limit tau1 == tau_L (random state)", 12.5, 900.0, -300.0, 1.7, 10.0, 1.25, 10.0, C_DEFAULT))
    cases.append(_case_lif("limit tau2 == tau_L", -4.0, 1200.0, 700.0, 2.0, 8.0, 4.0, 4.0, 200.0))
    cases.append(_case_lif("tau1 close to tau_L but not equal (11 ms vs 10 ms): no limit here", 6.0, 1100.0, 400.0,
                           2.5, 11.0, 1.25, 10.0, C_DEFAULT))
    if hidden:
        rng = np.random.default_rng(1002)
        for n in range(6):
            cases.append(_case_lif(f"hidden #{n + 1}: random state and constants", *_random_lif_state(rng),
                                   *_random_lif_constants(rng), hidden=True))
        cases.append(_case_lif("hidden: h = 0 (nothing changes)", 7.0, 300.0, 120.0, 0.0, 6.0, 2.0, 12.0, 250.0,
                               hidden=True))
        cases.append(_case_lif("hidden: a long step, h = 300 ms", 30.0, 2000.0, 500.0, 300.0, TAU1, TAU2, TAU_L,
                               C_DEFAULT, hidden=True))
        cases.append(_case_lif("hidden: tau1 == tau2 (!= tau_L)", 5.0, 700.0, 200.0, 1.3, 3.0, 3.0, 10.0, 150.0,
                               hidden=True))
        cases.append(_case_lif("hidden: tau1 == tau2 == tau_L", -2.0, 600.0, 900.0, 4.2, 6.0, 6.0, 6.0, 320.0,
                               hidden=True))

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


def _random_lif_state(rng) -> tuple[float, float, float, float]:
    """``(u, I1, I2, h)``: mV, pA, pA, ms."""
    u, I1, I2 = rng.uniform(-20, 80), rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)
    h = float(rng.choice([0.1, rng.uniform(0.01, 8.0)]))
    return round(float(u), 3), round(float(I1), 2), round(float(I2), 2), round(h, 4)


def _random_lif_constants(rng) -> tuple[float, float, float, float]:
    """``(tau1, tau2, tau_L, C)`` (ms, pF) with every tau at least 0.5 ms away from tau_L."""
    while True:
        tau1, tau2 = _random_taus(rng)
        tau_L = round(float(rng.uniform(4.0, 25.0)), 2)
        if min(abs(tau1 - tau_L), abs(tau2 - tau_L)) > 0.5:
            return tau1, tau2, tau_L, round(float(rng.uniform(80.0, 500.0)), 1)


def _case_lif(label, u, I1, I2, h, tau1, tau2, tau_L, C, expected=None, *, hidden: bool = False) -> _Case:
    ref = reference_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)
    expected = ref if expected is None else expected
    eL, e1, e2 = math.exp(-h / tau_L), math.exp(-h / tau1), math.exp(-h / tau2)
    limit = tau1 == tau_L or tau2 == tau_L
    args = {"u": u, "I1": I1, "I2": I2, "h": h, "tau1": tau1, "tau2": tau2, "tau_L": tau_L, "C": C}
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
        *_ignored_arguments(reference_lif_step, args, {"tau1": TAU1, "tau2": TAU2, "tau_L": TAU_L, "C": C_DEFAULT}),
    ]
    return _Case(label, args, tuple(float(v) for v in expected), mistakes, hidden)


# ---------------------------------------------------------------------------
# Exercise 3: the single-layer NormAD update
# ---------------------------------------------------------------------------

def check_normad_single_update(normad_single_update, *, hidden: bool = False) -> bool:
    """Check ``normad_single_update(input_trains, desired, observed, r, tau_L_hat, coincidence_dt, tau1, tau2, C)``.

    Cases: a hand-made problem with an error instant before any input spike
    (``||dhat|| = 0``, to be skipped), a desired and an observed spike that
    cancel, and an empty input train; a problem without errors (all zero);
    pairs closer than ``coincidence_dt`` that straddle a bin edge (they do
    not cancel: cancellation is "same bin ``floor(t / coincidence_dt)``", not
    ``|t_d - t_o| < coincidence_dt``) at ``coincidence_dt`` = 0.1 and 1 ms;
    a random problem with other ``tau_L_hat``, ``r``, ``tau1``, ``tau2``,
    ``C`` and ``coincidence_dt``. ``C`` cannot matter: it scales ``dhat``
    and cancels in ``dhat / ||dhat||``. ``hidden=True`` adds random
    problems with random constants and bin widths, pairs on both sides of
    bin edges, two desired spikes in one bin, no desired and no observed
    spikes.

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
                     hand, [0.5, 12.01, 20.0], [12.04, 16.0, 31.0], 1000.0, TAU_L_HAT, 0.1),
        _case_normad("no error at all (desired == observed): the update is zero",
                     hand, [5.0, 15.0], [5.0, 15.0], 1000.0, TAU_L_HAT, 0.1),
        _case_normad("bin edges, coincidence_dt = 0.1 ms: 12.09/12.11 ms straddle the edge at 12.1 ms (two error "
                     "instants), 20.01/20.08 ms share a bin (they cancel)",
                     hand, [3.0, 12.09, 20.01], [12.11, 20.08, 27.5], 1000.0, TAU_L_HAT, 0.1),
        _case_normad("coincidence_dt = 1 ms: 14.5/14.9 and 30.2/30.9 ms cancel, 39.9/40.3 ms straddle the edge at "
                     "40 ms (two error instants)",
                     hand, [6.2, 14.5, 30.2, 39.9], [14.9, 30.9, 40.3, 52.0], 500.0, TAU_L_HAT, 1.0),
    ]
    trains = [np.unique(np.round(rng.uniform(0, 80, rng.poisson(3)), 3)) for _ in range(12)]
    cases.append(_case_normad("random problem: 12 inputs, r = 300 pA, tau_L_hat = 10 ms, coincidence_dt = 0.5 ms, "
                              "tau1 = 8 ms, tau2 = 2 ms, C = 200 pF",
                              trains, [10.0, 33.3, 61.0, 64.6], [22.0, 45.5, 46.0, 64.4, 70.2], 300.0, 10.0, 0.5,
                              8.0, 2.0, 200.0))
    if hidden:
        rng = np.random.default_rng(1003)
        for n in range(3):
            dt = float(rng.choice([0.05, 0.25, 0.5, 2.0]))
            desired, observed = _pairs_at_bin_edges(rng, dt, 60.0)
            n_in = int(rng.integers(6, 15))
            trains = [np.unique(np.round(rng.uniform(0, 70, rng.poisson(4)), 3)) for _ in range(n_in)]
            tau1, tau2 = _random_taus(rng)
            r, tau_hat, C = (round(float(v), 2) for v in (rng.uniform(50, 2000), rng.uniform(1, 12),
                                                          rng.uniform(80, 500)))
            cases.append(_case_normad(f"hidden #{n + 1}: random problem, coincidence_dt = {dt} ms, pairs at bin edges",
                                      trains, desired, observed, r, tau_hat, dt, tau1, tau2, C, hidden=True))
        cases.append(_case_normad("hidden: two desired spikes and one observed spike in one bin",
                                  hand, [8.1, 8.4, 21.0], [8.3], 800.0, 3.0, 0.5, hidden=True))
        cases.append(_case_normad("hidden: no desired spike (every output spike is an error)",
                                  hand, [], [6.0, 16.5, 22.2], 700.0, 4.0, 0.1, 6.0, 1.0, hidden=True))
        cases.append(_case_normad("hidden: no observed spike (every desired spike is missed)",
                                  hand, [9.5, 19.0], [], 700.0, 1.5, 0.1, hidden=True))

    def compare(case, got):
        problem = _diff_arrays(np.asarray(case.expected, dtype=float), got)
        if problem is None or problem[1] is None:
            return problem
        return problem[0], f"at input neuron i = {problem[1][0]}"

    return _run("normad_single_update", normad_single_update, cases, compare,
                "dW = r * sum over error instants t_e of e(t_e) dhat(t_e) / ||dhat(t_e)||, where "
                "dhat_i(t) = sum_f psihat(t - t_i^f) uses tau1, tau2, C and tau_L_hat; get t_e and e(t_e) from "
                "error_instants(desired, observed, coincidence_dt).",
                note="This is the output-layer rule of normad_edu.normad.normad_update.")


def _pairs_at_bin_edges(rng, dt: float, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Desired and observed trains (ms) with pairs straddling bin edges, pairs sharing a bin, lone spikes."""
    n_bins = int(T / dt)
    edges = rng.choice(np.arange(2, n_bins - 2), size=6, replace=False) * dt
    desired, observed = [], []
    for k, e in enumerate(edges):
        if k % 3 == 0:  # straddle the edge e, closer than dt: two error instants
            pair = (e - 0.3 * dt, e + 0.3 * dt)
        elif k % 3 == 1:  # the same bin [e, e + dt): they cancel
            pair = (e + 0.2 * dt, e + 0.7 * dt)
        else:  # a lone desired spike
            desired.append(e + 0.5 * dt)
            continue
        d, o = pair if rng.random() < 0.5 else pair[::-1]
        desired.append(d)
        observed.append(o)
    observed.append(T + 0.5 * dt)  # a lone extra output spike
    return np.sort(np.round(desired, 6)), np.sort(np.round(observed, 6))


def _instants_by_distance(desired, observed, dt) -> tuple[np.ndarray, np.ndarray]:
    """The mistake "a desired and an observed spike cancel when |t_d - t_o| < dt" (earliest with earliest)."""
    d, o = np.sort(np.asarray(desired, float)), np.sort(np.asarray(observed, float))
    times, signs = [], []
    i = j = 0
    while i < d.size or j < o.size:
        if i < d.size and j < o.size and abs(d[i] - o[j]) < dt:
            i, j = i + 1, j + 1
        elif j == o.size or (i < d.size and d[i] < o[j]):
            times.append(d[i])
            signs.append(1)
            i += 1
        else:
            times.append(o[j])
            signs.append(-1)
            j += 1
    return np.array(times), np.array(signs)


def _case_normad(label, trains, desired, observed, r, tau_L_hat, coincidence_dt, tau1=TAU1, tau2=TAU2, C=C_DEFAULT,
                 *, hidden: bool = False) -> _Case:
    desired, observed = np.asarray(desired, dtype=float), np.asarray(observed, dtype=float)
    args = {"input_trains": trains, "desired": desired, "observed": observed, "r": r, "tau_L_hat": tau_L_hat,
            "coincidence_dt": coincidence_dt, "tau1": tau1, "tau2": tau2, "C": C}
    ref = reference_normad_single_update(**args)
    kern = core.Kernels(tau1, tau2, C, tau_L_hat)
    pre = core.LayerSpikes.from_trains(trains)

    def dhat_rows():
        times, signs = error_instants(desired, observed, coincidence_dt)
        return signs, core.dhat_at(times, pre, kern)

    def unnormalized():
        signs, D = dhat_rows()
        return r * (signs[:, None] * D).sum(axis=0)

    def normalized_total():
        total = unnormalized()
        n = np.linalg.norm(total)
        return total / n * r if n > 0 else total

    def nan_at_zero_norm():
        signs, D = dhat_rows()
        return np.full_like(ref, np.nan) if np.any(np.linalg.norm(D, axis=1) == 0) else ref

    def by_distance():
        times, signs = _instants_by_distance(desired, observed, coincidence_dt)
        return _normad_from_instants(trains, times, signs, r, tau_L_hat, tau1, tau2, C)

    def with_args(**changes):
        return reference_normad_single_update(**{**args, **changes})

    mistakes = [
        ("your update is all zeros, but this case has error instants with ||dhat|| > 0: add each instant's "
         "step to dW (dW += ...).", lambda: np.zeros_like(ref)),
        ("NaN appears when ||dhat(t_e)|| = 0 (no input has spiked before t_e, so no weight can change V "
         "there): skip those instants instead of dividing by zero.", nan_at_zero_norm),
        ("the sign is flipped: e(t_e) = +1 at a missed desired spike (raise V there), -1 at an extra "
         "output spike.", lambda: -ref),
        ("normalise each instant's dhat(t_e) by its own norm ||dhat(t_e)|| before summing "
         "(you seem to use no normalisation).", unnormalized),
        ("normalise each instant separately, not the sum: dW = r sum_e e dhat(t_e)/||dhat(t_e)||.",
         normalized_total),
        ("a desired and an observed spike cancel only when they fall in the same bin floor(t / coincidence_dt), "
         "not whenever |t_d - t_o| < coincidence_dt: a pair that straddles a bin edge gives two error instants. "
         "error_instants(desired, observed, coincidence_dt) does this for you.", by_distance),
        ("dhat uses tau_L_hat (tau_L'), not the membrane's tau_L = 10 ms.", lambda: with_args(tau_L_hat=TAU_L)),
        ("multiply by the learning rate r.", lambda: ref / r),
        *_ignored_arguments(reference_normad_single_update, args,
                            {"tau_L_hat": TAU_L_HAT, "coincidence_dt": 0.1, "tau1": TAU1, "tau2": TAU2}),
    ]
    return _Case(label, args, ref, mistakes, hidden)


# ---------------------------------------------------------------------------
# Exercise 4: one step of spatio-temporal error backpropagation
# ---------------------------------------------------------------------------

def check_backprop_adjoints(backprop_adjoints, *, hidden: bool = False) -> bool:
    """Check ``backprop_adjoints(a_upper, upper_times, upper_vdot, W, lower_times, vdot_min, tau_L_hat, ...)``.

    The learner's signature ends with ``tau1, tau2, C``; every argument is varied.

    Cases: a hand-made pair of layers (2 upper, 3 lower neurons, a Vdot
    below ``vdot_min``, a lower spike after every upper spike), a random
    pair with silent neurons, one with other ``vdot_min`` and ``tau_L_hat``,
    and a square one (3 x 3, so a transposed ``W`` runs) with other
    ``tau1``, ``tau2``, ``C``, ``vdot_min`` and ``tau_L_hat``. Compared with
    :func:`reference_backprop_adjoints`. ``hidden=True`` adds random layers
    and constants, a lower spike at the same time as an upper spike, and
    lower spikes after every upper spike (all adjoints 0).

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
        cases.append(_case_backprop(label, *_random_layers(rng, (3, 0, 2, 4), (2, 3, 0, 1, 4)), vdot_min, tau_L_hat))
    cases.append(_case_backprop("random square layers (3 x 3), vdot_min = 0.7 mV/ms, tau_L_hat = 4 ms, tau1 = 8 ms, "
                                "tau2 = 2 ms, C = 200 pF",
                                *_random_layers(rng, (3, 2, 3), (2, 3, 2)), 0.7, 4.0, 8.0, 2.0, 200.0))
    if hidden:
        rng = np.random.default_rng(1004)
        for n in range(3):
            up = tuple(int(k) for k in rng.integers(0, 5, int(rng.integers(2, 6))))
            low = tuple(int(k) for k in rng.integers(0, 5, int(rng.integers(2, 6))))
            tau1, tau2 = _random_taus(rng)
            vdot_min, tau_hat, C = (round(float(v), 2) for v in (rng.uniform(0.2, 2.0), rng.uniform(1.0, 12.0),
                                                                 rng.uniform(80, 500)))
            cases.append(_case_backprop(f"hidden #{n + 1}: random layers {len(up)} x {len(low)} and constants",
                                        *_random_layers(rng, up, low), vdot_min, tau_hat, tau1, tau2, C, hidden=True))
        cases.append(_case_backprop("hidden: a lower spike at the same time as an upper spike (lag 0 counts 0)",
                                    [np.array([0.4, -0.2])], [np.array([6.0, 11.0])], [np.array([1.2, 0.6])],
                                    np.array([[500.0, -700.0]]), [np.array([6.0, 2.0]), np.array([11.0])],
                                    VDOT_MIN, 3.0, hidden=True))
        cases.append(_case_backprop("hidden: every lower spike comes after every upper spike (all adjoints 0)",
                                    [np.array([0.4])], [np.array([6.0])], [np.array([1.2])],
                                    np.array([[500.0, -700.0]]),
                                    [np.array([7.0, 9.0]), np.array([30.0])], VDOT_MIN, 3.0, hidden=True))

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
                "* W[j, i] * psi_hat_kernel_dot(t_j^f - t_i^g, tau1, tau2, C, tau_L_hat).",
                exception_hints={IndexError: "W has shape (n_upper, n_lower): the weight from lower neuron i "
                                             "to upper neuron j is W[j, i]."},
                note="normad_edu.normad applies this step once per hidden layer, from the top down.")


def _random_layers(rng, upper_counts, lower_counts):
    """``(a_upper, upper_times, upper_vdot, W, lower_times)`` with the given spike counts per neuron."""
    up_t = [np.sort(np.round(rng.uniform(2, 50, k), 3)) for k in upper_counts]
    low_t = [np.sort(np.round(rng.uniform(0, 45, k), 3)) for k in lower_counts]
    a_up = [np.round(rng.normal(0, 0.5, t.size), 4) for t in up_t]
    vd_up = [np.round(rng.uniform(0.1, 4.0, t.size), 3) for t in up_t]
    W = np.round(rng.normal(0, 400, (len(upper_counts), len(lower_counts))), 1)
    return a_up, up_t, vd_up, W, low_t


def _case_backprop(label, a_up, up_t, vd_up, W, low_t, vdot_min, tau_L_hat, tau1=TAU1, tau2=TAU2, C=C_DEFAULT,
                   *, hidden: bool = False) -> _Case:
    args = {"a_upper": a_up, "upper_times": up_t, "upper_vdot": vd_up, "W": W, "lower_times": low_t,
            "vdot_min": vdot_min, "tau_L_hat": tau_L_hat, "tau1": tau1, "tau2": tau2, "C": C}

    def ref(**changes):
        return reference_backprop_adjoints(**{**args, **changes})

    def over_pairs(kernel, later):
        """sum_j sum_f delta_j^f W[j, i] kernel(t_j^f, t_i^g) over the pairs where later(t_j^f, t_i^g)."""
        out = []
        for i, t_i in enumerate(low_t):
            a_i = np.zeros(t_i.size)
            for j, t_j in enumerate(up_t):
                delta = a_up[j] / np.maximum(vd_up[j], vdot_min)
                tj, ti = np.meshgrid(t_j, t_i, indexing="ij")
                a_i += W[j, i] * (delta[:, None] * np.where(later(tj, ti), kernel(tj, ti), 0.0)).sum(axis=0)
            out.append(a_i)
        return out

    psihat = core.Kernels(tau1, tau2, C, tau_L_hat)
    mistakes = [
        ("all your adjoints are 0, but the expected ones are not: add every term delta_j^f W[j, i] "
         "psihat'(t_j^f - t_i^g) of an upper spike after the lower spike into a_i (a_i[later] += ...).",
         lambda: [np.zeros(t.size) for t in low_t]),
        ("clip Vdot from below: divide by max(Vdot_j^f, vdot_min), not by Vdot_j^f itself.",
         lambda: ref(vdot_min=1e-300)),
        ("divide a_j^f by Vdot_j^f (delta = a / Vdot), do not multiply.",
         lambda: ref(upper_vdot=[1.0 / np.maximum(v, vdot_min) for v in vd_up], vdot_min=0.0)),
        ("the sign is flipped: a_i^g = + sum delta_j^f W_ji psihat'(t_j^f - t_i^g) (the minus sign "
         "belongs only to the output layer's adjoints).", lambda: [-x for x in ref()]),
        ("use the derivative psihat' (psi_hat_kernel_dot), not psihat itself.",
         lambda: over_pairs(lambda tj, ti: psihat.psi_hat(tj - ti), lambda tj, ti: tj > ti)),
        ("the time difference is reversed: the kernel takes t_j^f - t_i^g, the upper spike's time minus the "
         "lower spike's, and only pairs with t_j^f > t_i^g count.",
         lambda: over_pairs(lambda tj, ti: psihat.psi_hat_dot(ti - tj), lambda tj, ti: ti > tj)),
        ("the weight from lower neuron i to upper neuron j is W[j, i]; you seem to use the transpose.",
         lambda: ref(W=W.T) if W.shape[0] == W.shape[1] else None),
        *_ignored_arguments(reference_backprop_adjoints, args,
                            {"vdot_min": VDOT_MIN, "tau_L_hat": TAU_L_HAT, "tau1": TAU1, "tau2": TAU2,
                             "C": C_DEFAULT}),
    ]
    return _Case(label, args, ref(), mistakes, hidden)


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
