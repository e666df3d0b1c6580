"""Exercise of notebook 06: the XOR spike-time encoding (exercise 6.1).

``check_xor_encode(xor_encode)`` in the notebook's check cell; the
conventions are those of :mod:`normad_edu.course.exercises.framework`.

Units: ms.
"""

from __future__ import annotations

import functools

import numpy as np

from .framework import Case, Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_xor_encode", "reference_xor_encode"]

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

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE}


def check_xor_encode(xor_encode, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``xor_encode(bit_a, bit_b, start_0, start_1, reference_start, n_per_set, stagger)``
    (exercise 6.1); print the verdict."""
    return check(EXERCISE, xor_encode, hidden=hidden)
