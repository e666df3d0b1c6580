"""Exercise of notebook 07b: the exact McNemar test (exercise 7.2).

``check_mcnemar_exact_p(mcnemar_exact_p)`` in the notebook's check cell; the
conventions are those of :mod:`normad_edu.course.exercises.framework`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_mcnemar_exact_p", "reference_mcnemar_exact_p"]


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
def _cases() -> tuple:
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
    return make_cases(reference_mcnemar_exact_p, [(label, *_paired(*cells, rng)) for label, cells in table])


def _variant(*, sides=2, cap=True, count="discordant", tail="min", inclusive=True, mid=False):
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


def _normal(correction: bool):
    def fn(a, b):
        a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
        n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
        if n_a + n_b == 0:
            return 1.0
        x = (max(abs(n_a - n_b) - (1 if correction else 0), 0)) ** 2 / (n_a + n_b)
        return math.erfc(math.sqrt(x / 2))                 # chi-square, 1 degree of freedom

    return fn


EXERCISE = Exercise(
    "07b", "7.2", "mcnemar_exact_p", reference_mcnemar_exact_p, _cases, "number",
    hint="count the discordant problems first (solved by exactly one of the two settings, each way) and check "
         "your counts on the case shown; then evaluate (7.2) in exact integers (math.comb), and mind the tie and "
         "the case without discordant problems.",
    mistakes=(
        Mistake("the test is two-sided: both tails count (then cap at 1).", _variant(sides=1)),
        Mistake("doubling the tail can exceed 1 (a tie, or one discordant problem): (7.2) caps p at 1.",
                _variant(cap=False)),
        Mistake("only the discordant problems count: n is their number, not the number of problems.",
                _variant(count="all problems")),
        Mistake("n_a and n_b are the problems solved by one setting *only* (a & ~b, ~a & b), not each "
                "setting's number of successes.", _variant(count="successes")),
        Mistake("the sum in (7.2) includes its last term, i = min(n_a, n_b).", _variant(inclusive=False)),
        Mistake("the tail is the one of the *smaller* discordant count.", _variant(tail="max")),
        Mistake("this is the mid-p variant (half of the last term); (7.2) is the exact test with the whole term.",
                _variant(mid=True)),
        Mistake("this is the chi-square approximation with continuity correction; (7.2) is the exact binomial "
                "sum, which the approximation misses for small counts.", _normal(True)),
        Mistake("this is the chi-square approximation; (7.2) is the exact binomial sum.", _normal(False)),
    ),
    forbidden=("normad_edu.research.study:mcnemar_p", "scipy.stats:binomtest"),
    allowed="with math.comb and a sum; scipy.stats.binom.cdf for the tail is fine too",
    note="normad_edu.research.study.mcnemar_p gives the same p-values (via scipy.stats.binomtest).",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {EXERCISE.name: EXERCISE}


def check_mcnemar_exact_p(mcnemar_exact_p, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``mcnemar_exact_p(a, b)`` (exercise 7.2); print the verdict."""
    return check(EXERCISE, mcnemar_exact_p, hidden=hidden)
