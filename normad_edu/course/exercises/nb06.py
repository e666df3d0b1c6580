"""Exercises of notebook 06: the XOR spike-time encoding (6.1) and the window of output times that count as
on time (6.2).

* 6.1, ``xor_encode``: the input pattern of one XOR case.
* 6.2, ``hit_window`` (a derivation, verified against
  :func:`normad_edu.normad.error_instants` in the notebook): from the rule
  "a desired and an output spike cancel when they fall in the same bin
  ``floor(t / width + offset)``", the interval ``[lo, hi)`` of output times
  that cancel a desired spike at ``t_d``. Its width is the tolerance of the
  impossibility argument of Section 3.

``check_xor_encode(xor_encode)`` and ``check_hit_window(hit_window)`` in the
notebook's check cells; the conventions are those of
:mod:`normad_edu.course.exercises.framework`.

Units: ms.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .framework import Case, Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_hit_window", "check_xor_encode", "reference_hit_window", "reference_xor_encode"]

DEFAULTS = (0.0, 6.0, 0.0, 18, 1.0)  # start_0, start_1, reference_start, n_per_set, stagger


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


@functools.lru_cache(maxsize=None)
def _cases() -> tuple:
    table = [(f"{a} XOR {b}, the defaults of notebook 06", a, b, *DEFAULTS) for a in (0, 1) for b in (0, 1)]
    table += [
        ("0 XOR 1 with start_0 = 2 ms", 0, 1, 2.0, 6.0, 0.0, 18, 1.0),
        ("1 XOR 0 with start_1 = 9.5 ms", 1, 0, 0.0, 9.5, 0.0, 18, 1.0),
        ("1 XOR 1 with reference_start = 4 ms", 1, 1, 0.0, 6.0, 4.0, 18, 1.0),
        ("0 XOR 1, n_per_set = 5", 0, 1, 0.0, 6.0, 0.0, 5, 1.0),
        ("1 XOR 0, stagger = 0.5 ms", 1, 0, 0.0, 6.0, 0.0, 18, 0.5),
        ("0 XOR 1, everything changed", 0, 1, 1.0, 3.0, 10.0, 3, 2.5),
    ]
    return make_cases(reference_xor_encode, table)


def _variant(*, order="abr", bit_map="normal", ref="reference", m_from=0, stagger=True):
    def fn(bit_a, bit_b, start_0=0.0, start_1=6.0, reference_start=0.0, n_per_set=18, stagger_ms=1.0):
        def start(bit):
            one = bit if bit_map == "normal" else 1 - bit
            return start_1 if one else start_0

        starts = {"a": start(bit_a), "b": start(bit_b), "r": reference_start if ref == "reference" else start_0}
        step = stagger_ms if stagger else 0.0
        return [np.array([starts[s] + (m + m_from) * step]) for s in order for m in range(n_per_set)]

    return fn


def _ignores(index):
    def fn(bit_a, bit_b, *args):
        args = list(args) + list(DEFAULTS[len(args):])
        args[index] = DEFAULTS[index]
        return reference_xor_encode(bit_a, bit_b, *args)

    return fn


def _locate(case: Case, item, index) -> str:
    n = max(len(case.expected) // 3, 1)
    return f"in train {item} (set {item // n + 1}, neuron m = {item % n})"


EXERCISE = Exercise(
    "06", "6.1", "xor_encode", reference_xor_encode, _cases, "arrays",
    hint="build the three sets one after the other and compare your first trains of each set with the expected "
         "ones of the case shown: which set comes where, at which start time, with which stagger between its "
         "neurons?",
    mistakes=(
        Mistake("a 1 bit starts at start_1 and a 0 bit at start_0: your mapping is reversed.",
                _variant(bit_map="reversed")),
        Mistake("the sets come in the order bit a, bit b, reference.", _variant(order="bar")),
        Mistake("the sets come in the order bit a, bit b, reference (the reference set is last).",
                _variant(order="rab")),
        Mistake("the third set is the reference: it starts at reference_start in every pattern.",
                _variant(ref="start_0")),
        Mistake("neuron m fires at its set's start plus m staggers, for m = 0 .. n_per_set - 1 (the first neuron "
                "at the start itself).", _variant(m_from=1)),
        Mistake("the neurons of a set are staggered: each fires one stagger after the previous one.",
                _variant(stagger=False)),
        Mistake("use the start_0 argument (you seem to use the default 0 ms).", _ignores(0)),
        Mistake("use the start_1 argument (you seem to use the default 6 ms).", _ignores(1)),
        Mistake("use the reference_start argument (you seem to use the default 0 ms).", _ignores(2)),
        Mistake("use the n_per_set argument (you seem to use the default 18).", _ignores(3)),
        Mistake("use the stagger argument (you seem to use the default 1 ms).", _ignores(4)),
    ),
    forbidden=("normad_edu.spikes:xor_input_pattern", "normad_edu.experiments:xor_patterns"),
    allowed="with a list comprehension over the three start times and m",
    note="normad_edu.spikes.xor_input_pattern builds the same patterns for the experiments.",
    items="one spike train (a 1-D array) per input neuron, 3 sets of n_per_set",
    locate=_locate,
)



# ---------------------------------------------------------------------------
# Exercise 6.2: which output times cancel a desired spike
# ---------------------------------------------------------------------------

def reference_hit_window(t_d: float, width: float = 0.1, offset: float = 0.5) -> np.ndarray:
    """``[lo, hi]`` (ms): the output spike times ``lo <= t < hi`` with ``floor(t / width + offset) ==
    floor(t_d / width + offset)``, exercise 6.2 (a tuple or a list of the two numbers is accepted too).

    Bin ``n`` holds ``(n - offset) width <= t < (n + 1 - offset) width``; the
    window is the bin of ``t_d``. ``offset`` is a fraction of a bin in
    [0, 1): 0 puts bin edges on the grid points ``n width``, 0.5 centres the
    bins on them.
    """
    n = math.floor(t_d / width + offset)
    return np.array([(n - offset) * width, (n + 1 - offset) * width])


def _window_variant(*, how="bins", sign=1.0, offset_unit="bins", fixed=None):
    def fn(t_d, width=0.1, offset=0.5):
        kw = dict(width=width, offset=offset) | (fixed or {})
        width, offset = kw["width"], kw["offset"]
        if how == "around":                                    # centred on t_d itself
            return t_d - 0.5 * width, t_d + 0.5 * width
        if how == "index":                                     # the bin's number, not its edges
            n = math.floor(t_d / width + offset)
            return float(n), float(n + 1)
        shift = offset * width if offset_unit == "bins" else offset   # offset read as ms
        n = math.floor((t_d + sign * shift) / width)
        return n * width - sign * shift, (n + 1) * width - sign * shift

    return fn


@functools.lru_cache(maxsize=None)
def _window_cases() -> tuple:
    return make_cases(reference_hit_window, [
        ("the XOR target 20 ms with the XOR bins (width 0.1 ms, offset 0.5)", 20.0),
        ("the XOR target 25 ms, left-edge bins (offset 0)", 25.0, 0.1, 0.0),
        ("a target between grid points, 20.03 ms, XOR bins", 20.03),
        ("a target between grid points, 20.07 ms, XOR bins", 20.07),
        ("an off-grid target 37.2634 ms, left-edge bins", 37.2634, 0.1, 0.0),
        ("width 0.5 ms, offset 0.25", 12.34, 0.5, 0.25),
        ("width 1 ms, offset 0.8", 7.1, 1.0, 0.8),
    ])


WINDOW_EXERCISE = Exercise(
    "06", "6.2", "hit_window", reference_hit_window, _window_cases, "array",
    hint="number the bins: for a given bin number n, which times t give floor(t / width + offset) = n? Solve the two "
         "inequalities for t, then find the n of t_d. Check it on the case shown by putting times just inside and "
         "just outside your window through the rule.",
    mistakes=(
        Mistake("the window is the bin that holds t_d, and bins have fixed edges: it is centred on t_d only when t_d "
                "sits in the middle of its bin.", _window_variant(how="around")),
        Mistake("return the two times (ms) that bound the bin, not the bin's number.", _window_variant(how="index")),
        Mistake("your bin edges move the wrong way with the offset: put t = n width into the rule with offset 0.25 "
                "and see in which bin it lands.", _window_variant(sign=-1.0)),
        Mistake("the offset is a fraction of a bin, not a time in ms.", _window_variant(offset_unit="ms")),
        Mistake("use the width argument (you seem to use 0.1 ms).", _window_variant(fixed={"width": 0.1})),
        Mistake("use the offset argument (you seem to use 0.5).", _window_variant(fixed={"offset": 0.5})),
    ),
    forbidden=("normad_edu.normad:error_instants", "normad_edu.normad:error_instants_padded",
               "normad_edu.params:NormADParams.bins"),
    allowed="with math.floor: the notebook compares your window with error_instants after the check",
    locate=lambda case, item, index: "in hi (the end of the window)" if index == (1,) else "in lo (its start)",
    note="Section 3 uses this window's width as the tolerance of the impossibility argument.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE, WINDOW_EXERCISE.name: WINDOW_EXERCISE}


def check_xor_encode(xor_encode, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``xor_encode(bit_a, bit_b, start_0, start_1, reference_start, n_per_set, stagger)``
    (exercise 6.1); print the verdict."""
    return check(EXERCISE, xor_encode, hidden=hidden)


def check_hit_window(hit_window, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``hit_window(t_d, width, offset)`` (exercise 6.2); print the verdict."""
    return check(WINDOW_EXERCISE, hit_window, hidden=hidden)
