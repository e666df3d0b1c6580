"""One convention for every exercise of the course: cases, a catalogue of mistakes, one verdict.

Each exercise asks the learner to write one function; the check cell after it
calls ``check_<name>(<name>)``. The checker runs the function on the
exercise's cases, compares each result with the checker's own reference and
prints **one** message:

* ``[PASS]`` -- every case agrees with the reference;
* ``[FAIL]`` -- the first case that disagrees (input, expected, returned,
  where the difference is largest) with a hint, or the exception the
  function raised;
* ``[REFUSED]`` -- the function uses the library's own implementation of what
  the exercise asks for, or the checker's own code (the two looks of
  :mod:`normad_edu.course.exercises.borrowing`);
* ``[TODO]`` -- the function still raises ``NotImplementedError`` (the stub).

It returns a :class:`Verdict`, true if and only if the exercise passed, so
``assert check_x(x)`` is a test (the graded tests of nbgrader), and a check
that is the last line of a cell shows its message once (the verdict adds no
display of its own). A checker never raises, whatever the learner's function
does, and silences the warnings raised in it (nbgrader scores a test that
writes to stderr 0).

**The catalogue of mistakes.** An :class:`Exercise` lists known wrong
variants of the learner's function, each a :class:`Mistake` with its hint.
A mistake's hint is given only when the learner's results equal that
mistake's results on *every* case, so an answer never gets the advice of a
mistake it did not make; an answer within :data:`NEAR_RTOL` of the reference
gets a precision hint; any other wrong answer the exercise's general hint.
Hints point at what to check; none states the answer's formula.

**Hidden cases.** ``check_x(x, hidden=True)`` also runs the exercise's
hidden cases, drawn at that moment from a seed taken from the operating
system's entropy and checked against the reference, so nobody can read them
from the installed package or recompute them from a fixed seed. A failing
hidden case prints its seed; ``hidden=<seed>`` replays it.

**Scoreboard.** Every check records its result: :func:`passed` and
:func:`scoreboard`.

Units: ms, mV, pF, nS, pA, as everywhere in the course.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import secrets
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .borrowing import CallWatch, find_reference, reference_names, resolve

__all__ = ["Case", "Exercise", "KINDS", "Mistake", "NEAR_RTOL", "RTOL", "TAGS", "Verdict", "check", "difference", "evaluate", "fmt",
           "ignores_argument", "judge", "make_cases", "mistake_hint", "passed", "reset_scoreboard", "scoreboard"]

#: Relative tolerance of every comparison (see :class:`Exercise` for the absolute part).
RTOL = 1e-7
#: A wrong answer within this relative distance of the reference gets the precision hint.
NEAR_RTOL = 1e-4
#: The message's first word, by status.
TAGS = {"passed": "[PASS]", "failed": "[FAIL]", "refused": "[REFUSED]", "not implemented": "[TODO]"}
#: How results are compared: one number; an array of the reference's shape (a single
#: number when the reference is one); a tuple of named numbers; a list of arrays.
KINDS = ("number", "array", "numbers", "arrays")


@dataclass(frozen=True)
class Case:
    """One input of an exercise: the arguments (in the learner's order) and the right result."""

    label: str
    args: tuple
    expected: Any
    hidden: bool = False


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: ``fn`` has the learner's signature and computes the mistake; ``hint`` explains it."""

    hint: str
    fn: Callable


@dataclass(frozen=True)
class Exercise:
    """An exercise and everything its checker needs.

    Parameters
    ----------
    notebook, number, name : str
        Where it is (``"01"``), its number (``"1.1"``) and the name of the
        function the learner writes (``"synaptic_charge"``).
    reference : callable
        The checker's own solution, with the learner's signature (its
        parameter names label the inputs in messages).
    cases : callable
        ``cases() -> sequence of Case``: the visible cases.
    kind : str
        One of :data:`KINDS`.
    hint : str
        The general hint: what to check, never the answer's formula.
    mistakes : tuple of Mistake
        The catalogue of known wrong answers.
    hidden_cases : callable, optional
        ``hidden_cases(rng) -> sequence of Case``, drawn with ``rng`` (a
        ``numpy.random.Generator``) at grading time.
    forbidden : tuple of str
        ``"module:attribute"`` of library functions that compute what the
        exercise asks for: an answer that uses one is refused.
    allowed : str
        What the learner may use instead (said in the refusal).
    note : str
        Said on success.
    exception_hints : tuple of (exception type, str)
        The hint for an answer that raises one of these.
    atol : float
        Absolute tolerance, added to ``RTOL * |expected|``.
    scaled : bool
        Also tolerate ``RTOL`` times the case's largest expected value.
    names : tuple of str
        Kind ``"numbers"``: the names of the returned numbers.
    items : str
        Kind ``"arrays"``: what the list holds (``"one array per lower neuron"``).
    locate : callable, optional
        ``locate(case, item, index) -> str``: where a difference lies, in the
        exercise's words (``"at t = 2.3 ms"``); default: the index.
    """

    notebook: str
    number: str
    name: str
    reference: Callable
    cases: Callable[[], Sequence[Case]]
    kind: str
    hint: str
    mistakes: tuple[Mistake, ...] = ()
    hidden_cases: Callable[[np.random.Generator], Sequence[Case]] | None = None
    forbidden: tuple[str, ...] = ()
    allowed: str = ""
    note: str = ""
    exception_hints: tuple[tuple[type, str], ...] = ()
    atol: float = 0.0
    scaled: bool = True
    names: tuple[str, ...] = ()
    items: str = ""
    locate: Callable[[Case, int | None, tuple], str] | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def title(self) -> str:
        return f"Exercise {self.number} ({self.name})"

    @property
    def arguments(self) -> tuple[str, ...]:
        """The names of the learner's arguments, in order."""
        return tuple(inspect.signature(self.reference).parameters)


@dataclass(frozen=True)
class Verdict:
    """What a check found; true if and only if the exercise passed.

    ``status`` is ``"passed"``, ``"failed"``, ``"refused"`` or
    ``"not implemented"``; ``message`` is what the check prints;
    ``n_cases`` and ``n_hidden`` count the cases run; ``seed`` is the seed of
    the hidden cases (None without them); ``uses`` names what a refused
    answer uses.
    """

    exercise: str
    status: str
    message: str
    n_cases: int = 0
    n_hidden: int = 0
    seed: int | None = None
    uses: str | None = None
    printed: bool = dataclasses.field(default=False, compare=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"Verdict({self.status!r}, {self.exercise!r})"

    def _ipython_display_(self) -> None:
        """In a notebook: the message, unless the check has printed it already."""
        if not self.printed:
            print(self.message)


def make_cases(reference: Callable, rows: Iterable[tuple], *, hidden: bool = False) -> tuple[Case, ...]:
    """``Case(label, args, reference(*args))`` for every row ``(label, *args)``.

    Arguments a row leaves out get the reference's defaults, so a case
    always passes every argument (the learner's own defaults never matter).
    """
    signature = inspect.signature(reference)
    cases = []
    for label, *args in rows:
        bound = signature.bind(*args)
        bound.apply_defaults()
        args = tuple(bound.arguments.values())
        cases.append(Case(label, args, reference(*args), hidden))
    return tuple(cases)


def ignores_argument(reference: Callable, index: int, name: str, default: float) -> Mistake:
    """The mistake "the function ignores argument ``name`` (position ``index``) and uses its ``default``"."""
    def fn(*args):
        args = list(args)
        if index < len(args):
            args[index] = default
        return reference(*args)

    return Mistake(f"your function seems to ignore the `{name}` argument: it returns what {name} = {default:g} "
                   f"(the default) gives, not what the case passes.", fn)


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------

def fmt(x, depth: int = 0) -> str:
    """Short readable form of a number, an array, a list of arrays or a function (a function by its docstring)."""
    if callable(x):
        return getattr(x, "__doc__", None) or getattr(x, "__name__", "a function")
    if isinstance(x, np.ndarray):
        if x.ndim == 0:
            return fmt(x.item())
        return "array(" + np.array2string(x, threshold=10, edgeitems=3, separator=", ", max_line_width=10**6,
                                          formatter={"float_kind": lambda v: f"{v:.6g}"}) + ")"
    if isinstance(x, (list, tuple)):
        if depth > 0 and len(x) > 4:
            return "[" + ", ".join(fmt(v, depth + 1) for v in x[:4]) + f", ... ({len(x)} items)]"
        inner = ", ".join(fmt(v, depth + 1) for v in x[:6]) + (f", ... ({len(x)} items)" if len(x) > 6 else "")
        return ("[%s]" if isinstance(x, list) else "(%s)") % inner
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.8g}"
    text = repr(x)
    return text if len(text) <= 120 else text[:117] + "..."


def _verdict(ex: Exercise, status: str, text: str, **counts) -> Verdict:
    return Verdict(ex.title, status, f"{TAGS[status]} {ex.title}: {text}", **counts)


def _inputs(ex: Exercise, case: Case) -> str:
    return ", ".join(f"{n} = {fmt(v)}" for n, v in zip(ex.arguments, case.args))


def _refused(ex: Exercise, label: str) -> Verdict:
    what = ("the checker's own code" if label.startswith(__name__.rpartition(".")[0] + ".") else
            "the library's own implementation of what this exercise asks you to write"
            if label.startswith("normad_edu.") else
            "a ready-made implementation of what this exercise asks you to write")
    allowed = f" ({ex.allowed})." if ex.allowed else "."
    return _verdict(ex, "refused", f"your function uses {label}, {what}. Write it yourself{allowed}", uses=label)


# ---------------------------------------------------------------------------
# Comparing results
# ---------------------------------------------------------------------------

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


def _compare(ex: Exercise, expected, got, *, single: bool) -> tuple[str, tuple | None] | None:
    """None if ``got`` agrees with ``expected``; else (what is wrong, the index of the worst element or None)."""
    if got is None:
        return "your function returned None (did you forget `return`?)", None
    arr = _as_array(got)
    if arr is None:
        return f"your function returned a {type(got).__name__}, not numbers", None
    exp = np.asarray(expected, dtype=float)
    if single:
        if arr.size != 1:
            return f"the result should be a single number, you returned shape {arr.shape}", None
        arr = arr.reshape(())
    elif exp.ndim == 0 and arr.ndim != 0:
        return f"for a scalar input the result should be a single number, you returned shape {arr.shape}", None
    elif arr.shape != exp.shape:
        return f"wrong shape: expected {exp.shape}, you returned {arr.shape}", None
    same = (np.isnan(arr) & np.isnan(exp)) | (np.isinf(arr) & (arr == exp))   # equal non-finite values agree
    odd = ~np.isfinite(arr) & ~same
    if odd.any():
        idx = tuple(int(v) for v in np.argwhere(odd)[0])
        return f"your result contains {arr[idx]} (not a finite number)", idx
    unmatched = ~np.isfinite(exp) & ~same                                   # inf or nan expected, a number given
    if unmatched.any():
        idx = tuple(int(v) for v in np.argwhere(unmatched)[0])
        return f"expected {exp[idx]}, got {arr[idx]:.10g}", idx
    finite = np.where(same, 0.0, exp)
    err = np.where(same, 0.0, np.abs(arr - finite))
    tol = ex.atol + RTOL * np.abs(finite)
    if ex.scaled:
        tol = tol + RTOL * max(float(np.max(np.abs(finite), initial=0.0)), 1e-300)
    if np.all(err <= tol):
        return None
    idx = tuple(int(v) for v in np.unravel_index(int(np.argmax(err - tol)), err.shape))
    return f"expected {exp[idx]:.10g}, got {arr[idx]:.10g}", idx


def _where(ex: Exercise, case: Case, item: int | None, idx: tuple | None) -> str:
    if idx is None and item is None:
        return ""
    if ex.locate is not None:
        return " " + ex.locate(case, item, idx or ())
    parts = ([f"in item {item}"] if item is not None else []) + ([f"at index {idx}"] if idx else [])
    return " " + " ".join(parts) if parts else ""


def difference(ex: Exercise, case: Case, got) -> str | None:
    """None if ``got`` is right for ``case``; else what is wrong, in words."""
    exp = case.expected
    if got is None:
        return "your function returned None (did you forget `return`?)"
    if ex.kind == "numbers":
        if not isinstance(got, (tuple, list)) or len(got) != len(exp):
            return f"return a tuple ({', '.join(ex.names)}) of {len(exp)} numbers; you returned {fmt(got)}"
        for name, e, g in zip(ex.names, exp, got):
            problem = _compare(ex, e, g, single=True)
            if problem is not None:
                return f"{name}: {problem[0]}"
        return None
    if ex.kind == "arrays":
        if not isinstance(got, (list, tuple)) and not (isinstance(got, np.ndarray) and got.dtype == object):
            return f"return a list with {ex.items} ({len(exp)} here); you returned a {type(got).__name__}"
        if len(got) != len(exp):
            return f"return a list with {ex.items}: expected {len(exp)}, you returned {len(got)}"
        for i, (e, g) in enumerate(zip(exp, got)):
            problem = _compare(ex, e, g, single=False)
            if problem is not None:
                return problem[0] + _where(ex, case, i, problem[1])
        return None
    problem = _compare(ex, exp, got, single=ex.kind == "number")
    return None if problem is None else problem[0] + _where(ex, case, None, problem[1])


def _safe_difference(ex: Exercise, case: Case, got) -> str | None:
    try:
        return difference(ex, case, got)
    except Exception as exc:  # noqa: BLE001 - a result we cannot compare is a wrong result
        return f"the checker could not compare your result ({type(exc).__name__}: {exc})"


def _flat(value) -> np.ndarray | None:
    """All numbers of a number, an array or a (nested) list or tuple of them, as one float array."""
    if isinstance(value, (list, tuple)):
        parts = [_flat(v) for v in value]
        if any(p is None for p in parts):
            return None
        return np.concatenate([np.empty(0)] + [p.reshape(-1) for p in parts])
    return _as_array(value)


def _relative_gap(expected, got) -> float | None:
    """max |got - expected| / max |expected| when both have the same shape and are finite, else None."""
    if isinstance(expected, (list, tuple)) and not (isinstance(got, (list, tuple)) and len(got) == len(expected)):
        return None
    e, g = _flat(expected), _flat(got)
    if e is None or g is None or e.shape != g.shape or e.size == 0:
        return None
    finite = np.isfinite(e) & np.isfinite(g)
    if not np.all(finite | (np.isnan(e) & np.isnan(g)) | (e == g)):    # non-finite values must agree
        return None
    scale = float(np.abs(e[finite]).max(initial=0.0))
    return float(np.abs(g - e)[finite].max(initial=0.0) / scale) if scale > 0 else None


@contextlib.contextmanager
def quiet():
    """Silence warnings and numpy's floating-point messages (they would go to stderr)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def mistake_hint(ex: Exercise, cases: Sequence[Case], results: Sequence) -> str | None:
    """The hint of the first known mistake whose results equal the learner's on every case."""
    for mistake in ex.mistakes:
        try:
            with quiet():
                same = True
                for case, got in zip(cases, results):
                    value = mistake.fn(*copy.deepcopy(case.args))
                    if value is None or difference(ex, dataclasses.replace(case, expected=value), got) is not None:
                        same = False
                        break
        except Exception:  # noqa: BLE001 - a mistake that cannot be evaluated does not match
            same = False
        if same:
            return mistake.hint
    return None


def _near_hint(expected, got) -> str | None:
    with quiet():
        gap = _relative_gap(expected, got)
    if gap is not None and gap < NEAR_RTOL:
        return (f"your result is close to the reference (largest difference {gap:.1g} of its largest value) but not "
                f"within {RTOL:g}: the formula is probably right and the arithmetic loses precision (float32? a "
                f"numerical approximation such as a finite difference, or a tolerance in a limit?).")
    return None


# ---------------------------------------------------------------------------
# Checking a function
# ---------------------------------------------------------------------------

def _hidden_seed(hidden) -> int | None:
    if hidden is False or hidden is None:
        return None
    if hidden is True:
        return secrets.randbits(64)                      # the operating system's entropy
    if isinstance(hidden, (int, np.integer)) and not isinstance(hidden, bool) and hidden >= 0:
        return int(hidden)
    raise TypeError(f"hidden must be False, True or a seed (an int >= 0) to replay hidden cases, got {hidden!r}")


def evaluate(exercise: Exercise, fn, *, hidden: bool | int = False) -> Verdict:
    """Run the checker of ``exercise`` on the learner's function ``fn``; print nothing, record nothing.

    Parameters
    ----------
    exercise : Exercise
    fn : callable
        The learner's function.
    hidden : bool or int
        Also run the hidden cases: ``True`` draws them from a fresh seed
        (the operating system's entropy), an int replays that seed.

    Returns
    -------
    Verdict
        Never raises for anything ``fn`` does (``KeyboardInterrupt`` aside).
    """
    ex = exercise
    # duck typing, not isinstance: the graded tests reload this module, which makes a new Exercise class
    if not all(hasattr(ex, attr) for attr in ("reference", "cases", "kind", "mistakes")):
        raise TypeError(f"exercise must be an Exercise (e.g. normad_edu.course.exercises.EXERCISES"
                        f"['spike_correlation']), got {exercise!r}")
    seed = _hidden_seed(hidden)
    if not callable(fn):
        return _verdict(ex, "failed", f"expected a function, got {fmt(fn)}. Pass the function itself: "
                                      f"check_{ex.name}({ex.name}), without calling it.")
    with quiet():
        forbidden = resolve(ex.forbidden)
        names = {label.rsplit(".", 1)[1]: label for label, _ in forbidden.values()} | reference_names()
        try:
            label = find_reference(fn, forbidden, names)
        except Exception:  # noqa: BLE001 - code we cannot read: its calls are still watched while it runs
            label = None
        if label is not None:
            return _refused(ex, label)
        try:
            cases = list(ex.cases())
            if seed is not None and ex.hidden_cases is not None:
                cases += [dataclasses.replace(c, hidden=True) for c in ex.hidden_cases(np.random.default_rng(seed))]
        except Exception as exc:  # noqa: BLE001 - a bug of the checker's: say so, never stop the notebook
            return _verdict(ex, "failed", f"the checker could not make its cases ({type(exc).__name__}: {exc}; "
                                          f"seed {seed}); please report this to your teacher.")
        results = []
        for case in cases:
            args = copy.deepcopy(case.args)                       # the learner cannot change the cases
            watch = CallWatch(forbidden, allowed=args)
            try:
                got = watch.call(fn, args)
            except Exception as exc:  # noqa: BLE001 - report, never raise
                if watch.hit is not None:
                    return _refused(ex, watch.hit)
                if isinstance(exc, NotImplementedError):
                    return _verdict(ex, "not implemented", "not implemented yet. Replace the `raise "
                                    "NotImplementedError` line of the cell above with your code, run that cell, "
                                    "then run this check again.")
                hint = next((text for kind, text in ex.exception_hints if isinstance(exc, kind)),
                            "run your function on this input in a new cell to see the line that fails.")
                return _verdict(ex, "failed", f"your function raised {type(exc).__name__}: {exc}\n"
                                              f"  case:       {_case_title(case, cases, seed)}\n"
                                              f"  input:      {_inputs(ex, case)}\n  hint:       {hint}")
            if watch.hit is not None:
                return _refused(ex, watch.hit)
            results.append(got)
        try:
            return judge(ex, cases, results, seed)
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not stop the notebook
            return _verdict(ex, "failed", f"the checker could not compare your result ({type(exc).__name__}: "
                                          f"{exc}). Check the type and shape your function returns.")


def _case_title(case: Case, cases: Sequence[Case], seed: int | None) -> str:
    k = next(i for i, c in enumerate(cases) if c is case)
    hidden = f" (a hidden case, seed {seed})" if case.hidden else ""
    return f"case {k + 1} of {len(cases)}{hidden}: {case.label}"


def judge(ex: Exercise, cases: Sequence[Case], results: Sequence, seed: int | None = None) -> Verdict:
    """The verdict on ``results``, the learner's results on ``cases`` (which include hidden ones drawn with ``seed``)."""
    n_hidden = sum(c.hidden for c in cases)
    counts = dict(n_cases=len(cases), n_hidden=n_hidden, seed=seed if n_hidden else None)
    problems = [_safe_difference(ex, case, got) for case, got in zip(cases, results)]
    bad = [k for k, p in enumerate(problems) if p is not None]
    if not bad:
        extra = f" ({n_hidden} of them hidden from the notebook's check)" if n_hidden else ""
        return _verdict(ex, "passed", f"all {len(cases)} cases agree with the reference{extra}. {ex.note}".rstrip(),
                        **counts)
    k = bad[0]
    hint = mistake_hint(ex, cases, results) or _near_hint(cases[k].expected, results[k]) or ex.hint
    return _verdict(ex, "failed", f"{_case_title(cases[k], cases, seed)}\n"
                                  f"  input:      {_inputs(ex, cases[k])}\n"
                                  f"  expected:   {fmt(cases[k].expected)}\n"
                                  f"  you return: {fmt(results[k])}\n"
                                  f"  problem:    {problems[k]}\n"
                                  f"  hint:       {hint}", **counts)


# ---------------------------------------------------------------------------
# What a check cell calls, and the scoreboard
# ---------------------------------------------------------------------------

#: The last result of every exercise checked, by name. Kept when this module is reloaded (the graded
#: tests reload the checkers before calling them), so the scoreboard survives a graded test.
_RESULTS: dict[str, str] = globals().get("_RESULTS", {})


def check(exercise: Exercise, fn, *, hidden: bool | int = False) -> Verdict:
    """:func:`evaluate`, then print the message once and record the result on the scoreboard."""
    verdict = evaluate(exercise, fn, hidden=hidden)
    print(verdict.message)
    _RESULTS[exercise.name] = {"not implemented": "not implemented yet",
                               "refused": f"refused (uses {verdict.uses})"}.get(verdict.status, verdict.status)
    return dataclasses.replace(verdict, printed=True)


def passed(name: str) -> bool:
    """True if the last check of the exercise ``name`` (e.g. ``"lif_step"``) passed."""
    return _RESULTS.get(name) == "passed"


def scoreboard(exercises: Iterable[Exercise], title: str = "Scoreboard") -> dict[str, bool]:
    """Print the last result of each of ``exercises``; return ``{name: passed}``."""
    exercises = list(exercises)
    lines = [title]
    for ex in exercises:
        lines.append(f"  Exercise {ex.number:<4s} {ex.name:<22s} {_RESULTS.get(ex.name, 'not checked yet')}")
    board = {ex.name: passed(ex.name) for ex in exercises}
    lines.append(f"  {sum(board.values())} of {len(board)} passed")
    print("\n".join(lines))
    return board


def reset_scoreboard() -> None:
    """Forget every recorded result."""
    _RESULTS.clear()
