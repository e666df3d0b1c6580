"""Tests for normad_edu.spikes: validation, conversions, Poisson and XOR inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normad_edu.spikes import (
    as_population,
    as_spike_train,
    from_padded,
    from_raster,
    poisson_spike_train,
    poisson_spike_trains,
    spike_counts,
    stack_padded,
    to_padded,
    to_raster,
    xor_input_pattern,
)

# --------------------------------------------------------------------------
# as_spike_train / as_population
# --------------------------------------------------------------------------


def test_as_spike_train_sorts_and_returns_float64():
    out = as_spike_train([5.0, 1.5, 3, 0.0], T=10.0)
    assert out.dtype == np.float64 and out.ndim == 1
    np.testing.assert_array_equal(out, [0.0, 1.5, 3.0, 5.0])
    assert as_spike_train([]).shape == (0,)
    assert as_spike_train(2.5).shape == (1,)  # a scalar is a one-spike train
    # the input is not modified in place
    src = np.array([3.0, 1.0])
    as_spike_train(src)
    np.testing.assert_array_equal(src, [3.0, 1.0])


def test_as_spike_train_rejects_duplicates():
    with pytest.raises(ValueError, match=r"spike train has a duplicated spike time 2\.0"):
        as_spike_train([2.0, 1.0, 2.0], T=10.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_as_spike_train_rejects_nonfinite(bad):
    with pytest.raises(ValueError, match=r"^train\[3\] contains a non-finite spike time"):
        as_spike_train([1.0, bad], T=10.0, name="train[3]")


def test_as_spike_train_rejects_negative():
    with pytest.raises(ValueError, match=r"^my spikes has a negative spike time -0\.5"):
        as_spike_train([1.0, -0.5], name="my spikes")


@pytest.mark.parametrize("bad", [10.0, 12.0])
def test_as_spike_train_rejects_times_at_or_after_T(bad):
    with pytest.raises(ValueError, match=r"^spike train has spike time .* outside \[0, T\)"):
        as_spike_train([1.0, bad], T=10.0)
    # without T there is no upper bound
    assert as_spike_train([1.0, bad])[-1] == bad


def test_as_spike_train_rejects_2d_and_non_numeric():
    with pytest.raises(ValueError, match=r"^spike train must be 1-D"):
        as_spike_train([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"^spike train must be an array of spike times"):
        as_spike_train(["a", "b"])


def test_as_population_names_the_neuron():
    pop = as_population([[3.0, 1.0], [], np.array([0.5])], T=5.0)
    assert len(pop) == 3
    np.testing.assert_array_equal(pop[0], [1.0, 3.0])
    with pytest.raises(ValueError, match=r"^spike trains\[1\] has a duplicated spike time"):
        as_population([[1.0], [2.0, 2.0]])
    with pytest.raises(TypeError, match=r"^spike trains must be a list"):
        as_population("abc")
    with pytest.raises(ValueError, match=r"^spike trains must be a list of 1-D"):
        as_population(np.zeros(3))


# --------------------------------------------------------------------------
# padded and raster forms
# --------------------------------------------------------------------------


def test_to_padded_layout_and_round_trip():
    pop = [np.array([1.0, 2.0, 7.5]), np.empty(0), np.array([0.0])]
    times, counts = to_padded(pop)
    assert times.shape == (3, 3) and counts.dtype == np.int64
    np.testing.assert_array_equal(counts, [3, 0, 1])
    assert np.all(np.isinf(times[1])) and np.all(np.isinf(times[2, 1:]))
    back = from_padded(times, counts)
    assert len(back) == 3
    for a, b in zip(back, pop):
        np.testing.assert_array_equal(a, b)
    # explicit width, and width too small
    times5, _ = to_padded(pop, max_count=5)
    assert times5.shape == (3, 5)
    with pytest.raises(ValueError, match=r"max_count=2 is smaller than the largest spike count 3"):
        to_padded(pop, max_count=2)
    # all-empty population keeps a padded axis of width 1
    t0, c0 = to_padded([[], []])
    assert t0.shape == (2, 1) and np.all(np.isinf(t0)) and np.all(c0 == 0)


def test_stack_padded_batch_round_trip():
    batch = [[np.array([1.0]), np.array([2.0, 3.0])], [np.empty(0), np.array([4.0, 5.0, 6.0])]]
    times, counts = stack_padded(batch)
    assert times.shape == (2, 2, 3) and counts.shape == (2, 2)
    back = from_padded(times, counts)
    for pb, bb in zip(batch, back):
        for a, b in zip(pb, bb):
            np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="same number of neurons"):
        stack_padded([[[1.0]], [[1.0], [2.0]]])
    with pytest.raises(ValueError, match="does not match counts shape"):
        from_padded(np.zeros((2, 3)), np.zeros(3, dtype=np.int64))


train_strategy = st.lists(
    st.floats(min_value=0.0, max_value=999.0, allow_nan=False, allow_infinity=False), max_size=12, unique=True
).map(lambda xs: np.array(sorted(xs), dtype=np.float64))


@settings(max_examples=60, deadline=None)
@given(pop=st.lists(train_strategy, min_size=1, max_size=8), extra=st.integers(min_value=0, max_value=3))
def test_padded_round_trip_property(pop, extra):
    width = max(len(tr) for tr in pop) + extra
    times, counts = to_padded(pop, max_count=width if width > 0 else None)
    assert times.shape == (len(pop), max(width, 1))
    np.testing.assert_array_equal(counts, [len(tr) for tr in pop])
    # padding is +inf and only after the last spike
    for i, tr in enumerate(pop):
        assert np.all(np.isinf(times[i, len(tr):]))
        assert np.all(np.isfinite(times[i, : len(tr)]))
    back = from_padded(times, counts)
    assert len(back) == len(pop)
    for a, b in zip(back, pop):
        assert a.dtype == np.float64
        np.testing.assert_array_equal(a, b)
    # the canonical validator accepts what comes back unchanged
    for a in back:
        np.testing.assert_array_equal(as_spike_train(a, T=1000.0), a)


def test_raster_round_trip_from_grid():
    rng = np.random.default_rng(3)
    raster = (rng.random((6, 5000)) < 0.2).astype(np.int64)
    pop = from_raster(raster, 0.1)
    assert all(tr.dtype == np.float64 for tr in pop)
    # every spike sits at the start of its bin, k * dt
    np.testing.assert_array_equal(pop[0], np.flatnonzero(raster[0]) * 0.1)
    # round trip to the raster: needs k * dt to land in bin k although
    # (k * dt) / dt < k in floating point for many k (e.g. 43 * 0.1)
    np.testing.assert_array_equal(to_raster(pop, 0.1, 500.0), raster)


def test_to_raster_bins_and_round_trip_from_trains():
    pop = [np.array([0.0, 0.05, 0.1, 4.3, 9.99]), np.array([0.3]), np.empty(0)]
    r = to_raster(pop, 0.1, 10.0)
    assert r.shape == (3, 100) and r.dtype == np.int64
    assert r[0, 0] == 2 and r[0, 1] == 1 and r[0, 43] == 1 and r[0, 99] == 1
    assert r[1, 3] == 1 and r[2].sum() == 0
    assert r.sum() == 6
    # trains already on the grid survive raster -> trains
    on_grid = [np.array([0.0, 0.4, 4.3]), np.array([9.9])]
    back = from_raster(to_raster(on_grid, 0.1, 10.0), 0.1)
    for a, b in zip(back, on_grid):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_raster_errors():
    with pytest.raises(ValueError, match=r"raster entries must be 0 or 1"):
        from_raster(np.array([[0, 2]]), 0.1)
    with pytest.raises(ValueError, match=r"raster must be 2-D"):
        from_raster(np.array([0, 1]), 0.1)
    with pytest.raises(ValueError, match=r"^dt must be > 0"):
        from_raster(np.array([[0, 1]]), 0.0)
    with pytest.raises(ValueError, match=r"^dt must be > 0"):
        to_raster([[1.0]], -0.1, 10.0)
    with pytest.raises(ValueError, match=r"^T must be > 0"):
        to_raster([[1.0]], 0.1, 0.0)
    with pytest.raises(ValueError, match=r"outside \[0, T\)"):
        to_raster([[10.0]], 0.1, 10.0)


def test_spike_counts():
    np.testing.assert_array_equal(spike_counts([[1.0, 2.0], [], np.array([3.0])]), [2, 0, 1])


# --------------------------------------------------------------------------
# Poisson trains
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate, T, t_dead",
    [(20.0, 1000.0, 0.0), (20.0, 1000.0, 2.0), (200.0, 100.0, 4.0), (100.0, 50.0, 5.0)],
)
def test_poisson_mean_count(rate, T, t_dead):
    """Mean count over many neurons within 5 sigma of rate * T. The cases
    with a large dead-time fraction caught a first-spike bias (the first
    spike used a plain exponential delay instead of the stationary forward
    recurrence time: +1.6 % at 200 Hz with 4 ms dead time, ~48 sigma)."""
    n = 20000
    trains = poisson_spike_trains(n, rate, T, rng=np.random.default_rng(11), t_dead=t_dead)
    counts = spike_counts(trains)
    expected = rate * T / 1000.0
    sigma = counts.std(ddof=1) / np.sqrt(n)
    assert abs(counts.mean() - expected) < 5 * sigma
    assert sigma < 0.05 * expected  # the check has teeth


def test_poisson_trains_are_valid_and_respect_dead_time():
    T, t_dead = 500.0, 3.0
    trains = poisson_spike_trains(300, 150.0, T, rng=2, t_dead=t_dead)
    isis = []
    for tr in trains:
        np.testing.assert_array_equal(as_spike_train(tr, T=T), tr)
        isis.append(np.diff(tr))
    isis = np.concatenate(isis)
    assert isis.size > 10000
    assert isis.min() >= t_dead
    assert isis.min() < t_dead + 0.01  # the dead time is the binding constraint
    # without dead time short intervals do occur
    free = np.concatenate([np.diff(tr) for tr in poisson_spike_trains(300, 150.0, T, rng=2)])
    assert free.min() < t_dead


def test_poisson_first_spike_is_stationary():
    """With a dead time the first spike is uniform on [0, t_dead) with
    probability t_dead / mean ISI (the renewal process is stationary)."""
    n, rate, t_dead = 40000, 100.0, 5.0
    first = np.array([tr[0] for tr in poisson_spike_trains(n, rate, 200.0, rng=9, t_dead=t_dead) if tr.size])
    frac = np.mean(first < t_dead)
    p = t_dead / (1000.0 / rate)
    assert abs(frac - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_poisson_long_epoch_is_covered():
    """The top-up loop: an epoch much longer than the first draw."""
    tr = poisson_spike_train(50.0, 100000.0, rng=0)
    assert tr[-1] > 99000.0 and tr[-1] < 100000.0
    assert abs(tr.size - 5000) < 5 * np.sqrt(5000)


def test_poisson_zero_rate_and_zero_neurons():
    trains = poisson_spike_trains(4, 0.0, 500.0, rng=0)
    assert len(trains) == 4 and all(tr.size == 0 and tr.dtype == np.float64 for tr in trains)
    assert poisson_spike_train(0.0, 500.0, rng=0).size == 0
    assert poisson_spike_trains(0, 20.0, 500.0, rng=0) == []


def test_poisson_same_seed_same_trains():
    a = poisson_spike_trains(20, 30.0, 500.0, rng=42, t_dead=2.0)
    b = poisson_spike_trains(20, 30.0, 500.0, rng=np.random.default_rng(42), t_dead=2.0)
    c = poisson_spike_trains(20, 30.0, 500.0, rng=43, t_dead=2.0)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_poisson_argument_errors():
    with pytest.raises(ValueError, match=r"^rate must be >= 0 \(Hz\)"):
        poisson_spike_trains(3, -1.0, 500.0, rng=0)
    with pytest.raises(ValueError, match=r"^rate must be >= 0 \(Hz\)"):
        poisson_spike_train(-20.0, 500.0, rng=0)
    with pytest.raises(ValueError, match=r"^rate must be finite"):
        poisson_spike_train(np.inf, 500.0, rng=0)
    with pytest.raises(ValueError, match=r"^T must be > 0"):
        poisson_spike_train(10.0, 0.0, rng=0)
    with pytest.raises(ValueError, match=r"^t_dead must be >= 0"):
        poisson_spike_train(10.0, 100.0, rng=0, t_dead=-1.0)
    with pytest.raises(ValueError, match=r"^rate=500.0 Hz is impossible with t_dead=2.0 ms"):
        poisson_spike_train(500.0, 100.0, rng=0, t_dead=2.0)
    with pytest.raises(ValueError, match=r"^n_neurons must be an integer >= 0"):
        poisson_spike_trains(-1, 10.0, 100.0, rng=0)
    with pytest.raises(TypeError, match=r"^n_neurons must be an integer"):
        poisson_spike_trains(2.0, 10.0, 100.0, rng=0)


# --------------------------------------------------------------------------
# XOR encoding
# --------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_xor_pattern(a, b):
    pat = xor_input_pattern(a, b)
    assert len(pat) == 54
    assert all(tr.shape == (1,) and tr.dtype == np.float64 for tr in pat)
    t = np.array([tr[0] for tr in pat]).reshape(3, 18)
    starts = {0: 0.0, 1: 6.0}
    np.testing.assert_allclose(t[0], starts[a] + np.arange(18) * 1.0)
    np.testing.assert_allclose(t[1], starts[b] + np.arange(18) * 1.0)
    np.testing.assert_allclose(t[2], np.arange(18) * 1.0)


def test_xor_reference_set_unchanged_and_patterns_distinct():
    pats = {(a, b): np.array([tr[0] for tr in xor_input_pattern(a, b)]) for a in (0, 1) for b in (0, 1)}
    ref = pats[(0, 0)][36:]
    for p in pats.values():
        np.testing.assert_array_equal(p[36:], ref)
    keys = list(pats)
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.array_equal(pats[keys[i]][:36], pats[keys[j]][:36])


def test_xor_pattern_options_and_errors():
    pat = xor_input_pattern(1, 0, start_0=2.0, start_1=9.0, reference_start=4.0, n_per_set=3, stagger=0.5)
    np.testing.assert_allclose(np.concatenate(pat), [9.0, 9.5, 10.0, 2.0, 2.5, 3.0, 4.0, 4.5, 5.0])
    with pytest.raises(ValueError, match=r"^bit_a must be 0 or 1"):
        xor_input_pattern(2, 0)
    with pytest.raises(ValueError, match=r"^bit_b must be 0 or 1"):
        xor_input_pattern(0, True)
    with pytest.raises(ValueError, match=r"^stagger must be > 0"):
        xor_input_pattern(0, 1, stagger=0.0)
    with pytest.raises(ValueError, match=r"^n_per_set must be an integer >= 1"):
        xor_input_pattern(0, 1, n_per_set=0)
    with pytest.raises(ValueError, match=r"^start_1 must be >= 0"):
        xor_input_pattern(0, 1, start_1=-1.0)
