"""Exercises of notebook 07b: the exact McNemar test (exercise 7b.1), and the participation ratio of a layer that
fires in synchronous groups (exercise 7b.2, a derivation checked against the eigenvalues of the traces' covariance).

``check_mcnemar_exact_p(mcnemar_exact_p)`` and ``check_group_participation_ratio(group_participation_ratio)`` in the
notebook's check cells; the conventions are those of :mod:`normad_edu.course.exercises.framework`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .framework import Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_group_participation_ratio", "check_mcnemar_exact_p",
           "reference_group_participation_ratio", "reference_mcnemar_exact_p"]


def reference_mcnemar_exact_p(a, b) -> float:
    """Exact two-sided McNemar p-value (7b.2) of paired outcomes, exercise 7b.1.

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
        ("100 problems, 14 solved by a only, 8 by b only (one hidden rate on the confirmation set)", (60, 14, 8, 18)),
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
    "07b", "7b.1", "mcnemar_exact_p", reference_mcnemar_exact_p, _cases, "number",
    hint="count the discordant problems first (solved by exactly one of the two settings, each way) and check "
         "your counts on the case shown; then evaluate (7b.2) in exact integers (math.comb), and mind the tie and "
         "the case without discordant problems.",
    mistakes=(
        Mistake("the test is two-sided: both tails count (then cap at 1).", _variant(sides=1)),
        Mistake("doubling the tail can exceed 1 (a tie, or one discordant problem): (7b.2) caps p at 1.",
                _variant(cap=False)),
        Mistake("only the discordant problems count: n is their number, not the number of problems.",
                _variant(count="all problems")),
        Mistake("n_a and n_b are the problems solved by one setting *only* (a & ~b, ~a & b), not each "
                "setting's number of successes.", _variant(count="successes")),
        Mistake("the sum in (7b.2) includes its last term, i = min(n_a, n_b).", _variant(inclusive=False)),
        Mistake("the tail is the one of the *smaller* discordant count.", _variant(tail="max")),
        Mistake("this is the mid-p variant (half of the last term); (7b.2) is the exact test with the whole term.",
                _variant(mid=True)),
        Mistake("this is the chi-square approximation with continuity correction; (7b.2) is the exact binomial "
                "sum, which the approximation misses for small counts.", _normal(True)),
        Mistake("this is the chi-square approximation; (7b.2) is the exact binomial sum.", _normal(False)),
    ),
    forbidden=("normad_edu.research.study:mcnemar_p", "scipy.stats:binomtest"),
    allowed="with math.comb and a sum; scipy.stats.binom.cdf for the tail is fine too",
    note="normad_edu.research.study.mcnemar_p gives the same p-values (via scipy.stats.binomtest).",
)

# ---------------------------------------------------------------------------
# Exercise 7b.2: the participation ratio of a layer that fires in synchronous groups
# ---------------------------------------------------------------------------

def reference_group_participation_ratio(sizes, rms) -> float:
    """Participation ratio (7b.3) of a layer whose neurons fire in synchronous groups, exercise 7b.2.

    Group ``g`` has ``sizes[g]`` neurons whose centred traces are one and the same signal, of root mean
    square ``rms[g]`` (any unit: it cancels); the signals of different groups are uncorrelated. Returns
    the participation ratio of the layer's covariance (dimensionless); a group with ``rms = 0`` is silent.
    """
    sizes, rms = np.asarray(sizes, dtype=float), np.asarray(rms, dtype=float)
    lam = sizes * rms**2                 # one nonzero eigenvalue per group (its block is rank one)
    return float(lam.sum() ** 2 / np.sum(lam**2))


_GROUP_ROWS = (
    ("25 neurons, one synchronous group (layer 2 at its most synchronous)", (25,), (1.0,)),
    ("25 neurons in 5 equal groups of equal strength", (5, 5, 5, 5, 5), (1.0, 1.0, 1.0, 1.0, 1.0)),
    ("25 neurons: one group of 20 and one of 5, equal strength", (20, 5), (1.0, 1.0)),
    ("25 independent neurons of equal strength (groups of one)", (1,) * 25, (0.4,) * 25),
    ("4 independent neurons, one twice as strong as the others", (1, 1, 1, 1), (2.0, 1.0, 1.0, 1.0)),
    ("50 neurons in groups of 30, 15 and 5 with rms 1, 2 and 0.5", (30, 15, 5), (1.0, 2.0, 0.5)),
    ("two groups of 10 and 40 whose traces are equally strong in total (rms 2 and 1)", (10, 40), (2.0, 1.0)),
    ("25 neurons: 20 in one group, 3 silent (rms 0), 2 in another group", (20, 3, 2), (1.5, 0.0, 1.5)),
)


@functools.lru_cache(maxsize=None)
def _group_cases() -> tuple:
    return make_cases(reference_group_participation_ratio,
                      [(label, np.array(sizes), np.array(rms)) for label, sizes, rms in _GROUP_ROWS])


def _eig_variant(eig, ratio="pr"):
    def fn(sizes, rms):
        lam = np.asarray(eig(np.asarray(sizes, dtype=float), np.asarray(rms, dtype=float)), dtype=float)
        if ratio == "inverse":
            return float(np.sum(lam**2) / lam.sum() ** 2)
        if ratio == "max":
            return float(lam.sum() / lam.max())
        return float(lam.sum() ** 2 / np.sum(lam**2))

    return fn


GROUPS = Exercise(
    "07b", "7b.2", "group_participation_ratio", reference_group_participation_ratio, _group_cases, "number",
    hint="write down the covariance matrix of a small layer first (say two groups, of 2 neurons and 1 neuron): "
         "which entries are nonzero, and what are its eigenvalues? Then put them into (7b.3) and compare with the "
         "case shown; a layer of groups of one neuron each is a good second test.",
    mistakes=(
        Mistake("this is the number of groups: it is the answer only when the groups are equally large and equally "
                "strong. A larger group's signal is repeated in more traces: how does that enter the covariance?",
                lambda sizes, rms: float(len(sizes))),
        Mistake("this is the number of neurons: identical traces do not count as independent signals.",
                lambda sizes, rms: float(np.sum(sizes))),
        Mistake("a trace's variance is its rms squared: the eigenvalues of the covariance grow with rms^2, not rms.",
                _eig_variant(lambda m, r: m * r)),
        Mistake("your result ignores the strengths rms: a group of weak traces carries less of the layer's variance "
                "than a group of strong ones (and a silent group carries none).",
                _eig_variant(lambda m, r: m)),
        Mistake("the block of a group of m identical traces has one nonzero eigenvalue; check it on a 2 x 2 block "
                "of ones: it grows with m, not m^2.", _eig_variant(lambda m, r: m**2 * r**2)),
        Mistake("you give every neuron its own eigenvalue, as if the traces of a group were independent: identical "
                "traces make a rank-one block.", _eig_variant(lambda m, r: np.repeat(r**2, m.astype(int)))),
        Mistake("(7b.3) puts the square of the sum on top: your ratio is upside down.",
                _eig_variant(lambda m, r: m * r**2, ratio="inverse")),
        Mistake("this is the sum of the eigenvalues over the largest one, another measure of spread; (7b.3) is the "
                "squared sum over the sum of squares.", _eig_variant(lambda m, r: m * r**2, ratio="max")),
    ),
    forbidden=("normad_edu.metrics:participation_ratio",),
    allowed="from sizes and rms with a few lines of numpy (or by building the covariance and np.linalg.eigvalsh)",
    note="normad_edu.metrics.participation_ratio measures (7b.3) on spike trains; the table above used it on the "
         "hidden layers.",
)

#: This notebook's exercises, by the name of the function the learner writes.
EXERCISES = {ex.name: ex for ex in (EXERCISE, GROUPS)}


def check_mcnemar_exact_p(mcnemar_exact_p, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``mcnemar_exact_p(a, b)`` (exercise 7b.1); print the verdict."""
    return check(EXERCISE, mcnemar_exact_p, hidden=hidden)


def check_group_participation_ratio(group_participation_ratio, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``group_participation_ratio(sizes, rms)`` (exercise 7b.2); print the verdict."""
    return check(GROUPS, group_participation_ratio, hidden=hidden)
