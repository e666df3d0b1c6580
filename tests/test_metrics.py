"""Tests for normad_edu.metrics (spike correlation and van Rossum distance)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normad_edu import metrics
from normad_edu.metrics import correlation, correlation_padded, van_rossum_distance
from normad_edu.spikes import stack_padded

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def grid_correlation(a, b, sigma, dt=0.01, margin=30.0):
    """Reference: Gaussian-filter both trains on a fine grid over a wide window."""
    lo = min(np.min(a), np.min(b)) - margin
    hi = max(np.max(a), np.max(b)) + margin
    t = np.arange(lo, hi, dt)

    def filtered(train):
        return np.exp(-((t[:, None] - np.asarray(train)[None, :]) ** 2) / (2 * sigma**2)).sum(axis=1)

    f, g = filtered(a), filtered(b)
    return float(f @ g / np.sqrt((f @ f) * (g @ g)))


def batch_pairs(pairs, extra_width=0):
    """List of (a, b) pairs -> padded arrays of shape (B, 1, K)."""
    width = max([len(x) for p in pairs for x in p] + [1]) + extra_width
    ta, ca = stack_padded([[a] for a, _ in pairs], max_count=width)
    tb, cb = stack_padded([[b] for _, b in pairs], max_count=width + 1)
    return ta, ca, tb, cb


# --------------------------------------------------------------------------
# correlation: exact values and conventions
# --------------------------------------------------------------------------


def test_correlation_identical_is_exactly_one():
    train = np.array([0.3, 7.1, 7.9, 22.0, 49.99])
    assert correlation(train, train.copy()) == 1.0
    assert correlation(train, train, sigma=0.1) == 1.0


def test_correlation_empty_conventions():
    assert correlation([], []) == 1.0
    assert correlation([], [5.0]) == 0.0
    assert correlation([5.0, 6.0], []) == 0.0


@pytest.mark.parametrize("d", [0.0, 0.5, 2.0, 3.7, 10.0])
@pytest.mark.parametrize("sigma", [0.5, 2.0, 5.0])
def test_correlation_two_single_spikes_closed_form(d, sigma):
    t0 = 10.0
    d_actual = (t0 + d) - t0  # the difference the function sees
    expected = np.exp(-np.array([d_actual * d_actual]) / (4 * sigma**2))[0]
    assert correlation([t0], [t0 + d], sigma=sigma) == expected


def test_correlation_symmetric_and_unsorted_input():
    a = [3.0, 12.5, 40.0]
    b = [4.0, 30.0]
    assert correlation(a, b) == pytest.approx(correlation(b, a), rel=1e-14)
    assert correlation(a[::-1], b) == correlation(a, b)


@pytest.mark.parametrize(
    "a, b, sigma",
    [
        ([10.0], [13.0], 2.0),
        ([5.0, 20.0, 21.5], [6.0, 19.0], 2.0),
        ([1.0, 2.0, 3.0, 40.0], [2.5, 41.0, 45.0], 1.0),
        ([0.0, 49.0], [0.5, 25.0, 48.0], 4.0),
    ],
)
def test_correlation_matches_fine_grid(a, b, sigma):
    assert correlation(a, b, sigma=sigma) == pytest.approx(grid_correlation(a, b, sigma), abs=1e-6)


def test_correlation_has_no_edge_effect_at_epoch_bounds():
    # Shifting both trains does not change the value, even up to t = 0 and T.
    a, b = np.array([0.0, 3.0]), np.array([1.0, 6.0])
    assert correlation(a, b, T=10.0) == pytest.approx(correlation(a + 100.0, b + 100.0), rel=1e-13)


def test_correlation_decreases_with_separation():
    values = [correlation([10.0], [10.0 + d]) for d in (0.0, 1.0, 2.0, 4.0, 8.0)]
    assert values == sorted(values, reverse=True)
    assert values[-1] == pytest.approx(math.exp(-4.0))  # d = 8 = 4 sigma


# --------------------------------------------------------------------------
# correlation_padded
# --------------------------------------------------------------------------


def test_correlation_padded_matches_scalar_exactly_with_empty_rows():
    pairs = [
        ([1.0, 5.0, 9.0], [1.5, 9.0]),
        ([], []),
        ([], [3.0]),
        ([4.0], []),
        ([2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0], [2.2, 6.1, 11.0]),
        ([7.0], [7.0]),
    ]
    ta, ca, tb, cb = batch_pairs(pairs, extra_width=3)
    out = correlation_padded(ta, ca, tb, cb, sigma=1.5)
    assert out.shape == (len(pairs), 1)
    expected = [correlation(a, b, sigma=1.5) for a, b in pairs]
    np.testing.assert_array_equal(out[:, 0], expected)


def test_correlation_padded_arbitrary_batch_dims_and_no_warnings():
    rng = np.random.default_rng(0)
    times = np.sort(rng.uniform(0, 50, size=(2, 3, 4, 6)), axis=-1)
    counts = rng.integers(0, 7, size=(2, 3, 4))
    times = np.where(np.arange(6) < counts[..., None], times, np.inf)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        out = correlation_padded(times, counts, times.copy(), counts)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, 1.0)


def test_correlation_padded_ignores_padding_values():
    t = np.array([[2.0, 8.0, np.inf, np.inf]])
    junk = np.array([[2.0, 8.0, -5.0, np.nan]])
    b = np.array([[3.0]])
    c = np.array([2])
    cb = np.array([1])
    assert correlation_padded(t, c, b, cb)[0] == correlation_padded(junk, c, b, cb)[0]


# --------------------------------------------------------------------------
# van Rossum distance
# --------------------------------------------------------------------------


def test_van_rossum_identical_is_zero():
    train = [1.0, 4.0, 4.5, 30.0]
    assert van_rossum_distance(train, list(train)) == 0.0
    assert van_rossum_distance([], []) == 0.0


def test_van_rossum_one_spike_vs_empty():
    assert van_rossum_distance([12.0], [], tau=7.0) == pytest.approx(math.sqrt(0.5), rel=1e-15)
    assert van_rossum_distance([], [12.0]) == pytest.approx(math.sqrt(0.5), rel=1e-15)


@pytest.mark.parametrize("d", [0.1, 1.0, 10.0, 35.0])
@pytest.mark.parametrize("tau", [2.0, 10.0])
def test_van_rossum_two_single_spikes(d, tau):
    expected = math.sqrt(1.0 - math.exp(-d / tau))
    assert van_rossum_distance([5.0], [5.0 + d], tau=tau) == pytest.approx(expected, rel=1e-12)


def test_van_rossum_large_tau_counts_spikes():
    # tau >> train length: D -> |n_a - n_b| / sqrt(2)
    d = van_rossum_distance([1.0, 2.0, 3.0], [5.0], tau=1e7)
    assert d == pytest.approx(2 / math.sqrt(2), rel=1e-5)


def test_van_rossum_symmetric():
    a, b = [1.0, 9.0, 15.0], [2.0, 20.0]
    assert van_rossum_distance(a, b) == pytest.approx(van_rossum_distance(b, a), rel=1e-14)


def test_van_rossum_matches_elephant():
    pytest.importorskip("elephant")
    pq = pytest.importorskip("quantities")
    neo = pytest.importorskip("neo")
    from elephant.spike_train_dissimilarity import van_rossum_distance as elephant_vr

    a = [10.0, 20.0, 30.0, 31.0]
    b = [12.0, 24.0, 30.0]
    for tau in (1.0, 10.0, 50.0):
        sts = [neo.SpikeTrain(x, units="ms", t_stop=100.0) for x in (a, b)]
        ref = float(elephant_vr(sts, tau * pq.ms)[0, 1])
        # Elephant gives 1.0 for one spike vs empty; this package sqrt(1/2).
        assert van_rossum_distance(a, b, tau=tau) == pytest.approx(ref / math.sqrt(2), rel=1e-10)
    rng = np.random.default_rng(10)  # random trains, and long ones (2000 spikes, with shared times)
    for n, m, T in ((5, 9, 100.0), (40, 25, 1000.0), (2000, 1500, 1e5)):
        a = np.unique(rng.uniform(0.0, T, n))
        b = np.unique(np.concatenate([rng.uniform(0.0, T, m), a[::7]]))
        for tau in (0.5, 10.0, 300.0):
            sts = [neo.SpikeTrain(x, units="ms", t_stop=T) for x in (a, b)]
            ref = float(elephant_vr(sts, tau * pq.ms)[0, 1])
            assert van_rossum_distance(a, b, tau=tau) == pytest.approx(ref / math.sqrt(2), rel=1e-10)


def pairwise_van_rossum(a, b, tau):
    """Reference: the three double sums of the closed form over every pair (O(n m) memory)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)

    def s(x, y):
        return float(np.sum(np.exp(-np.abs(x[:, None] - y[None, :]) / tau)))

    return math.sqrt(max(0.5 * (s(a, a) + s(b, b) - 2.0 * s(a, b)), 0.0))


def test_van_rossum_equals_the_pairwise_formula():
    rng = np.random.default_rng(3)
    for _ in range(300):
        a = np.unique(rng.uniform(0.0, 300.0, rng.integers(0, 40)))
        b = np.unique(rng.uniform(0.0, 300.0, rng.integers(0, 40)))
        if rng.random() < 0.3:  # spikes at the same time in both trains
            b = np.unique(np.concatenate([b, a[: a.size // 2]]))
        tau = 10.0 ** rng.uniform(-1.0, 3.0)
        expected = pairwise_van_rossum(a, b, tau)
        assert van_rossum_distance(a, b, tau=tau) == pytest.approx(expected, rel=1e-12, abs=1e-300)
        assert van_rossum_distance(a, a[::-1], tau=tau) == 0.0  # identical trains: exactly 0


def test_van_rossum_of_long_trains_takes_linear_memory():
    """10^5 spikes each (once a 10^5 x 10^5 matrix, 74.5 GiB): 1000 copies of a 100-spike pattern, 10^4 ms apart,
    do not interact (exp(-10^4 / 10) underflows), so D^2 is 1000 times the pattern's."""
    import tracemalloc

    rng = np.random.default_rng(4)
    a0, b0 = np.sort(rng.uniform(0.0, 500.0, 100)), np.sort(rng.uniform(0.0, 500.0, 100))
    shift = 1e4 * np.arange(1000)[:, None]
    a, b = (a0 + shift).ravel(), (b0 + shift).ravel()
    tracemalloc.start()
    try:
        d = van_rossum_distance(a, b, tau=10.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert d == pytest.approx(math.sqrt(1000.0) * pairwise_van_rossum(a0, b0, 10.0), rel=1e-10)
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_correlation_of_long_trains_takes_linear_memory():
    """The same construction for the correlation: each double sum is 1000 times the pattern's, the cosine equal."""
    import tracemalloc

    rng = np.random.default_rng(5)
    a0, b0 = np.sort(rng.uniform(0.0, 500.0, 100)), np.sort(rng.uniform(0.0, 500.0, 100))
    shift = 1e4 * np.arange(1000)[:, None]
    a, b = (a0 + shift).ravel(), (b0 + shift).ravel()
    tracemalloc.start()
    try:
        c = correlation(a, b, sigma=2.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert c == pytest.approx(correlation(a0, b0, sigma=2.0), rel=1e-12)
    assert peak < 400 * 2**20, f"peak {peak / 2**20:.0f} MiB"


def test_correlation_of_close_pairs_only_equals_every_pair(monkeypatch):
    """Above PAIRWISE_MAX_PAIRS only the pairs within GAUSS_REACH sigma are summed, in blocks: the same value."""
    rng = np.random.default_rng(6)
    cases = []
    for _ in range(100):
        a = np.unique(rng.uniform(0.0, 500.0, rng.integers(1, 200)))
        b = np.unique(rng.uniform(0.0, 500.0, rng.integers(1, 200)))
        sigma = 10.0 ** rng.uniform(-1.0, 2.0)
        cases.append((a, b, sigma, correlation(a, b, sigma=sigma)))  # every pair at once
    monkeypatch.setattr(metrics, "PAIRWISE_MAX_PAIRS", 7)  # close pairs only, blocks of ~7 pairs
    for a, b, sigma, every_pair in cases:
        assert correlation(a, b, sigma=sigma) == pytest.approx(every_pair, rel=1e-13, abs=1e-300)


def test_correlation_padded_in_blocks_is_bit_identical(monkeypatch):
    rng = np.random.default_rng(7)
    pairs = [(np.unique(rng.uniform(0, 200, rng.integers(0, 30))), np.unique(rng.uniform(0, 200, rng.integers(0, 9))))
             for _ in range(50)]
    ta, ca, tb, cb = batch_pairs(pairs)
    whole = correlation_padded(ta, ca, tb, cb)
    monkeypatch.setattr(metrics, "PAIRWISE_MAX_PAIRS", 1000)  # a few rows per block
    np.testing.assert_array_equal(correlation_padded(ta, ca, tb, cb), whole)
    np.testing.assert_array_equal(whole[:, 0], [correlation(a, b) for a, b in pairs])


def test_correlation_padded_refuses_one_enormous_row_before_computing():
    t = np.sort(np.random.default_rng(8).uniform(0.0, 1e6, 100_000))[None]
    with pytest.raises(ValueError, match=r"correlation_padded: one row .*MAX_ARRAY_BYTES.*use correlation\(\)"):
        correlation_padded(t, np.array([t.size]), t, np.array([t.size]))


def test_traces_in_blocks_are_bit_identical(monkeypatch):
    from normad_edu.metrics import exponential_trace, gaussian_trace

    train = np.sort(np.random.default_rng(9).uniform(0.0, 500.0, 40))
    t = np.linspace(-10.0, 520.0, 3000).reshape(3, 1000)
    whole = gaussian_trace(t, train), exponential_trace(t, train)
    monkeypatch.setattr(metrics, "PAIRWISE_MAX_PAIRS", 100)  # 2 times per block
    np.testing.assert_array_equal(gaussian_trace(t, train), whole[0])
    np.testing.assert_array_equal(exponential_trace(t, train), whole[1])
    assert whole[0].shape == whole[1].shape == (3, 1000)


# --------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------

trains = st.lists(
    st.floats(min_value=0.0, max_value=100.0, allow_nan=False, allow_infinity=False),
    max_size=8,
    unique=True,
).map(lambda xs: np.sort(np.array(xs, dtype=np.float64)))
sigmas = st.floats(min_value=0.1, max_value=20.0)


@settings(max_examples=60, deadline=None)
@given(a=trains, b=trains, sigma=sigmas)
def test_property_correlation_range_and_symmetry(a, b, sigma):
    c = correlation(a, b, sigma=sigma)
    assert 0.0 <= c <= 1.0
    assert c == pytest.approx(correlation(b, a, sigma=sigma), rel=1e-12, abs=1e-300)
    assert correlation(a, a, sigma=sigma) == 1.0


@settings(max_examples=40, deadline=None)
@given(pairs=st.lists(st.tuples(trains, trains), min_size=1, max_size=6), sigma=sigmas)
def test_property_batched_equals_scalar(pairs, sigma):
    ta, ca, tb, cb = batch_pairs(pairs, extra_width=2)
    out = correlation_padded(ta, ca, tb, cb, sigma=sigma)
    expected = [correlation(a, b, sigma=sigma) for a, b in pairs]
    np.testing.assert_array_equal(out[:, 0], expected)


@settings(max_examples=40, deadline=None)
@given(a=trains, b=trains, c=trains, tau=st.floats(min_value=0.5, max_value=50.0))
def test_property_van_rossum_is_a_metric(a, b, c, tau):
    dab = van_rossum_distance(a, b, tau=tau)
    assert dab >= 0.0
    assert dab == pytest.approx(van_rossum_distance(b, a, tau=tau), rel=1e-9, abs=1e-7)
    assert dab <= van_rossum_distance(a, c, tau=tau) + van_rossum_distance(c, b, tau=tau) + 1e-7


# --------------------------------------------------------------------------
# invalid input
# --------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [0.0, -1.0])
def test_correlation_rejects_nonpositive_sigma(sigma):
    with pytest.raises(ValueError, match=r"sigma must be > 0"):
        correlation([1.0], [2.0], sigma=sigma)
    with pytest.raises(ValueError, match=r"sigma must be > 0"):
        correlation_padded([[1.0]], [1], [[2.0]], [1], sigma=sigma)


def test_correlation_rejects_bad_types_and_times():
    with pytest.raises(TypeError, match=r"sigma must be a real number"):
        correlation([1.0], [2.0], sigma="2")
    with pytest.raises(ValueError, match=r"train_a contains a non-finite spike time"):
        correlation([1.0, np.nan], [2.0])
    with pytest.raises(ValueError, match=r"train_b has spike time .*12\.0.* ms outside \[0, T\)"):
        correlation([1.0], [12.0], T=10.0)
    with pytest.raises(ValueError, match=r"train_a has a duplicated spike time"):
        correlation([1.0, 1.0], [2.0])


def test_correlation_padded_rejects_bad_shapes_counts_and_nan():
    t = np.array([[1.0, np.inf]])
    with pytest.raises(ValueError, match=r"counts_a must have shape"):
        correlation_padded(t, [1, 1], t, [1])
    with pytest.raises(ValueError, match=r"counts_b must lie in \[0, 2\]"):
        correlation_padded(t, [1], t, [3])
    with pytest.raises(TypeError, match=r"counts_a must be an integer array"):
        correlation_padded(t, [1.0], t, [1])
    with pytest.raises(ValueError, match=r"times_a contains a non-finite spike time \(nan\)"):
        correlation_padded([[np.nan, np.inf]], [1], t, [1])
    with pytest.raises(ValueError, match=r"times_b contains a non-finite spike time \(inf\)"):
        correlation_padded(t, [1], t, [2])
    with pytest.raises(ValueError, match=r"same leading \(batch\) shape"):
        correlation_padded(t, [1], np.ones((2, 2)), [1, 1])


@pytest.mark.parametrize("tau", [0.0, -3.0, math.inf])
def test_van_rossum_rejects_bad_tau(tau):
    with pytest.raises(ValueError, match=r"tau must be"):
        van_rossum_distance([1.0], [2.0], tau=tau)


def test_van_rossum_rejects_nan_times():
    with pytest.raises(ValueError, match=r"train_b contains a non-finite spike time"):
        van_rossum_distance([1.0], [np.nan])
