"""Exercises of notebook 07: the first spike of a layer from the simulator's padded arrays (exercise 7.1), and
what a wrong spike count costs the correlation metric (exercise 7.2, a derivation checked against the metric).

``check_first_spike_times(first_spike_times)`` and ``check_count_error_cap(count_error_cap)`` in the notebook's
check cells; the conventions are those of :mod:`normad_edu.course.exercises.framework`.

Units: ms.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .framework import Case, Exercise, Mistake, Verdict, check, make_cases

__all__ = ["EXERCISES", "check_count_error_cap", "check_first_spike_times", "reference_count_error_cap",
           "reference_first_spike_times"]


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
            times[p, j, len(tr):] = (np.round(rng.uniform(0.05, 1.5, rest), 3) if padding == "stale" else padding)
    return times, counts


@functools.lru_cache(maxsize=None)
def _cases() -> tuple:
    rng = np.random.default_rng(71)

    def population(n, rate_silent=0.3, t0=2.0):
        return [np.array([]) if rng.random() < rate_silent else
                np.sort(np.round(rng.uniform(t0, 60.0, rng.integers(1, 5)), 3)) for _ in range(n)]

    hand = [
        [np.array([14.2, 30.0]), np.array([9.75]), np.array([]), np.array([11.0, 12.5, 40.1])],   # neuron 1 first
        [np.array([]), np.array([]), np.array([]), np.array([])],                                   # silent layer
        [np.array([7.5]), np.array([22.0, 23.0, 24.0, 25.0]), np.array([]), np.array([8.25])],     # neuron 0 first
    ]
    return make_cases(reference_first_spike_times, [
        ("3 problems x 4 neurons, padded with +inf as the simulator does; problem 1's layer is silent",
         *_padded(hand, 4, np.inf)),
        ("the same spikes padded with 0.0 (a zeroed buffer): the padding is not a spike", *_padded(hand, 4, 0.0)),
        ("the same spikes padded with NaN", *_padded(hand, 5, np.nan)),
        ("padding that holds stale spike times of an earlier run (earlier than the real spikes)",
         *_padded([population(6) for _ in range(4)], 5, "stale", rng)),
        ("one problem, one neuron that fires once (K = 1)", *_padded([[np.array([3.5])]], 1, -1.0)),
        ("5 problems x 25 neurons (a hidden layer 2), padding -1; two problems have a silent layer",
         *_padded([population(25, 0.5) for _ in range(3)] + [[np.array([])] * 25] * 2, 4, -1.0)),
    ])


def _variant(*, mask="counts", silent=np.inf, which="first", over="min"):
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


def _locate(case: Case, item, index) -> str:
    return f"at problem p = {index[0]}" if index else ""


EXERCISE = Exercise(
    "07", "7.1", "first_spike_times", reference_first_spike_times, _cases, "array",
    hint="decide from counts which entries of times are spikes and which are padding (padding can hold any "
         "value), and what a silent layer should return; then compare your result with the expected one problem "
         "by problem on the case shown.",
    mistakes=(
        Mistake("the entries after a neuron's counts[p, j] spikes are padding, not spikes: the simulator pads "
                "with +inf, other sources with anything. Use counts to know which entries are spikes.",
                _variant(mask="none")),
        Mistake("you skip silent neurons but still read the padding of neurons that fired: only "
                "times[p, j, :counts[p, j]] are spikes.", _variant(mask="silent")),
        Mistake("a silent layer has no first spike: return inf (it then compares as later than any desired "
                "spike), not NaN.", _variant(silent=np.nan)),
        Mistake("a silent layer has no first spike: return inf, not 0 (0 would say the layer fired at once).",
                _variant(silent=0.0)),
        Mistake("a neuron's spikes are in time order: its first one is not times[p, j, counts[p, j] - 1].",
                _variant(which="last")),
        Mistake("the layer's first spike is the earliest over *all* its neurons, not neuron 0's.",
                _variant(over="neuron 0")),
        Mistake("the layer fires first when its *earliest* neuron fires, not its latest.", _variant(over="max")),
        Mistake("return one number per problem, shape (P,): the earliest over the neurons as well.",
                _variant(over="neurons")),
    ),
    forbidden=("normad_edu.research.dynamics:first_spikes", "normad_edu.lif:LayerOutput.first_spike"),
    allowed="from times and counts with numpy: a mask from counts, np.where, min",
    note="normad_edu.research.dynamics.first_spikes does this for the hidden layers of many problems (notebook "
         "07b).",
    locate=_locate,
)

# ---------------------------------------------------------------------------
# Exercise 7.2: the correlation a wrong spike count can reach at best
# ---------------------------------------------------------------------------

def reference_count_error_cap(n_desired, n_observed) -> float:
    """Largest correlation (the metric of notebook 03) of an observed train of ``n_observed`` spikes with a desired
    train of ``n_desired`` spikes, when the spikes of each train are far apart from each other (many sigma), exercise
    7.2. Dimensionless; 1 when both trains are empty, 0 when exactly one is.
    """
    n_d, n_o = int(n_desired), int(n_observed)
    if n_d == 0 and n_o == 0:
        return 1.0
    if n_d == 0 or n_o == 0:
        return 0.0
    return math.sqrt(min(n_d, n_o) / max(n_d, n_o))


_CAP_ROWS = ((5, 4, "one desired spike of 5 missed"), (10, 9, "one desired spike of 10 missed"),
             (4, 5, "one extra output spike (4 desired)"), (10, 12, "two extra output spikes (10 desired)"),
             (1, 1, "one spike each, matched"), (7, 7, "the right count"), (3, 0, "a silent output"),
             (0, 2, "no desired spike, two output spikes"), (0, 0, "both trains empty"),
             (25, 24, "one missed spike of 25"), (1, 6, "a burst of 6 against one desired spike"))


@functools.lru_cache(maxsize=None)
def _cap_cases() -> tuple:
    return make_cases(reference_count_error_cap, [(label, d, o) for d, o, label in _CAP_ROWS])


def _cap_variant(rule, empty_both=1.0):
    def fn(n_desired, n_observed):
        n_d, n_o = int(n_desired), int(n_observed)
        if n_d == 0 and n_o == 0:
            return empty_both
        if n_d == 0 or n_o == 0:
            return 0.0
        return rule(n_d, n_o)

    return fn


CAP = Exercise(
    "07", "7.2", "count_error_cap", reference_count_error_cap, _cap_cases, "number",
    hint="take the metric of notebook 03 and trains whose spikes are far apart: what is the overlap of two bumps "
         "at the same time, of two bumps far apart, and the squared norm of a train of k far-apart bumps? Put the "
         "best placement of the observed spikes into the cosine, then check the empty trains.",
    mistakes=(
        Mistake("your value is the ratio of the two counts. The metric is a cosine: it divides the overlap by the "
                "*norms* of the two filtered trains; how does the norm of a train grow with its number of "
                "far-apart spikes?", _cap_variant(lambda d, o: min(d, o) / max(d, o))),
        Mistake("your cap exceeds 1 when the output fires more spikes than desired. A cosine never exceeds 1, and "
                "the metric treats the two trains alike: an extra spike costs as much as a missing one.",
                _cap_variant(lambda d, o: math.sqrt(o / d))),
        Mistake("you count matched spikes like an F-score. The metric is the cosine of the two filtered trains, not "
                "a count of matches: redo the overlap and the two norms.",
                _cap_variant(lambda d, o: 2.0 * min(d, o) / (d + o))),
        Mistake("you use the desired count only, as if every count error were one missing spike: the cap depends "
                "on both counts (compare 4 desired with 5 observed and 5 desired with 4 observed).",
                _cap_variant(lambda d, o: 1.0 if d == o else math.sqrt((d - 1) / d))),
        Mistake("two empty trains agree perfectly: the metric of notebook 03 gives 1 there.",
                _cap_variant(lambda d, o: math.sqrt(min(d, o) / max(d, o)), empty_both=0.0)),
        Mistake("the cosine divides the overlap by the norms of *both* trains: your values ignore the norm of the "
                "observed train.", _cap_variant(lambda d, o: min(d, o) / d)),
    ),
    forbidden=("normad_edu.metrics:correlation", "normad_edu.metrics:correlation_padded",
               "normad_edu.metrics:_gaussian_inner", "normad_edu.metrics:_cosine"),
    allowed="a few lines of arithmetic from the two counts (math or numpy)",
    note="The notebook's next cell measures the metric on trains with far-apart spikes and compares it with your "
         "function.",
    atol=1e-12,
)

#: This notebook's exercises, by the name of the function the learner writes, in notebook order.
EXERCISES = {ex.name: ex for ex in (EXERCISE, CAP)}


def check_first_spike_times(first_spike_times, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``first_spike_times(times, counts)`` (exercise 7.1); print the verdict."""
    return check(EXERCISE, first_spike_times, hidden=hidden)


def check_count_error_cap(count_error_cap, *, hidden: bool | int = False) -> Verdict:
    """Check a learner's ``count_error_cap(n_desired, n_observed)`` (exercise 7.2); print the verdict."""
    return check(CAP, count_error_cap, hidden=hidden)
