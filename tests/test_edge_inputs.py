"""Bad input at the edges: every case raises a clear error or does the right
thing, instead of silently computing something wrong, hanging or dying with
a bare MemoryError (issue 14). Each test failed on the code before the fix."""

from __future__ import annotations

import numpy as np
import pytest

from normad_edu import params
from normad_edu.lif import simulate_layer
from normad_edu.metrics import correlation, correlation_padded, gaussian_trace
from normad_edu.network import check_weights, forward, pack_inputs
from normad_edu.params import MIN_SIGMA, LIFParams, SimParams, SynapseParams
from normad_edu.spikes import (
    as_population,
    as_spike_train,
    from_padded,
    from_raster,
    poisson_spike_trains,
    stack_padded,
    to_raster,
)
from normad_edu.training import TrainConfig, train

SMALL = SimParams(T=20.0)
SYN = SynapseParams()
CFG = TrainConfig(rates=(10.0,), max_iter=1)


class FakeQuantity:
    """The part of a ``quantities`` array / ``neo.SpikeTrain`` that matters:
    ``.units``, ``.rescale(unit)`` and ``.magnitude`` (neo is not installed)."""

    _per_ms = {"s": 1000.0, "ms": 1.0, "mV": None}

    def __init__(self, values, units):
        self.magnitude = np.asarray(values, dtype=np.float64)
        self.units = units

    def rescale(self, unit):
        if unit != "ms" or self._per_ms[self.units] is None:
            raise ValueError(f"Unable to convert between units of '{self.units}' and '{unit}'")
        return FakeQuantity(self.magnitude * self._per_ms[self.units], "ms")

    def __array__(self, dtype=None, copy=None):  # what np.asarray sees: the bare numbers
        return np.asarray(self.magnitude, dtype=dtype)

    def __len__(self):
        return len(self.magnitude)

    def __getitem__(self, i):
        return self.magnitude[i]


# ---------------------------------------------------------------------------
# Spike representations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0.5, 2, -1, np.nan])
def test_from_raster_accepts_only_zero_and_one(bad):
    with pytest.raises(ValueError, match=r"^raster entries must be 0 or 1 \(or bool\), got .* at \[0, 1\]"):
        from_raster(np.array([[0.0, bad, 1.0]]), 1.0)


def test_from_raster_accepts_bool_and_int():
    r = np.array([[False, True, True]])
    for raster in (r, r.astype(int), r.astype(float)):
        np.testing.assert_array_equal(from_raster(raster, 0.5)[0], [0.5, 1.0])
    with pytest.raises(TypeError, match=r"^raster must hold 0/1"):
        from_raster(np.array([["0", "1"]]), 1.0)


@pytest.mark.parametrize("counts, match", [
    ([3, 1], r"^counts must lie in \[0, 2\]"),
    ([-1, 1], r"^counts must lie in \[0, 2\]"),
    ([1.5, 1.0], r"^counts must be whole numbers of spikes, got 1\.5"),
])
def test_from_padded_rejects_counts_outside_the_width(counts, match):
    times = np.array([[1.0, 2.0], [3.0, np.inf]])
    with pytest.raises(ValueError, match=match):
        from_padded(times, np.array(counts))
    with pytest.raises(ValueError, match=match):  # a batch too
        from_padded(times[None], np.array([counts]))


def test_from_padded_round_trip_still_works():
    pop = [np.array([1.0, 2.0]), np.array([])]
    t, c = stack_padded([pop])
    out = from_padded(t, c)
    assert len(out) == 1 and [list(x) for x in out[0]] == [[1.0, 2.0], []]
    out = from_padded(t[0], c[0].astype(float))  # integral floats are fine
    assert [list(x) for x in out] == [[1.0, 2.0], []]


def test_spike_times_with_units_are_converted_to_ms():
    in_s = FakeQuantity([0.2, 0.1], "s")
    np.testing.assert_array_equal(as_spike_train(in_s), [100.0, 200.0])
    np.testing.assert_array_equal(as_population([in_s, FakeQuantity([5.0], "ms")])[1], [5.0])
    with pytest.raises(ValueError, match=r"^spike train has spike time 200\.0 ms outside \[0, T\)"):
        as_spike_train(in_s, T=150.0)  # read as 0.2 ms before the fix: no error
    with pytest.raises(ValueError, match=r"^train_a has units mV that cannot be converted to ms"):
        correlation(FakeQuantity([1.0], "mV"), [1.0])


def test_padding_reads_neo_like_trains_in_ms():
    t, c = stack_padded([[FakeQuantity([0.001, 0.005], "s"), FakeQuantity([], "s")]])
    np.testing.assert_array_equal(t, [[[1.0, 5.0], [np.inf, np.inf]]])
    np.testing.assert_array_equal(c, [[2, 0]])
    with pytest.raises(ValueError, match=r"^padded spike times of 1 x 1 trains x max_count=1000000000000 "
                                         r"would need about"):
        stack_padded([[[1.0]]], max_count=10**12)


def test_forward_and_train_read_neo_like_trains_in_ms():
    x_ms = [np.array([1.0, 5.0]), np.array([2.0])]
    x_s = [FakeQuantity([0.001, 0.005], "s"), FakeQuantity([0.002], "s")]
    W = [np.full((1, 2), 3000.0)]
    a, b = forward(x_ms, W, sim=SMALL), forward(x_s, W, sim=SMALL)
    np.testing.assert_array_equal(a.inputs.times, b.inputs.times)
    np.testing.assert_array_equal(a.output.times, b.output.times)
    d_s = [[[FakeQuantity([0.010], "s")]]]
    res = train([[x_s]], d_s, [W[0][None]], CFG, sim=SMALL, progress=False)
    ref = train([[x_ms]], [[[np.array([10.0])]]], [W[0][None]], CFG, sim=SMALL, progress=False)
    np.testing.assert_array_equal(res.weights[0], ref.weights[0])


def test_complex_spike_times_are_rejected():
    with pytest.raises(TypeError, match=r"^spike train must hold real spike times in ms, got complex"):
        as_spike_train(np.array([1.0 + 1.0j]))
    with pytest.raises(TypeError, match=r"^times_a must hold real spike times in ms, got complex"):
        correlation_padded(np.array([[1.0j]]), np.array([1]), np.array([[1.0]]), np.array([1]))
    with pytest.raises(TypeError, match=r"^t must be an array of real numbers, got complex"):
        gaussian_trace(np.array([1.0j]), [1.0])
    with pytest.raises(TypeError, match=r"^inputs\[0\] holds complex values"):
        forward([np.array([1.0 + 0j])], [np.ones((1, 1))], sim=SMALL)


# ---------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------


def test_complex_weights_are_rejected_not_truncated():
    W = np.full((1, 2), 1000.0 + 5.0j)
    with pytest.raises(TypeError, match=r"^W\^1 has complex dtype complex128; weights must be real numbers \(pA\)"):
        check_weights([W])
    with pytest.raises(TypeError, match=r"^W\^2 has complex dtype"):
        check_weights([np.ones((1, 2)), np.ones((1, 1)) * 1j])
    x = [np.array([1.0]), np.array([2.0])]
    with pytest.raises(TypeError, match=r"^W\^1 has complex dtype"):
        forward(x, [W], sim=SMALL)
    with pytest.raises(TypeError, match=r"^W\^1 has complex dtype"):
        train([[x]], [[[np.array([5.0])]]], [W[None]], CFG, sim=SMALL, progress=False)


# ---------------------------------------------------------------------------
# Metric
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [1e-200, 1e-160, 5e-324])
def test_correlation_rejects_a_sigma_that_underflows(sigma):
    with pytest.raises(ValueError, match=r"^sigma must be >= MIN_SIGMA = 1e-150 ms"):
        correlation([1.0, 3.0], [1.0, 3.0], sigma=sigma)
    t, c = stack_padded([[np.array([1.0, 3.0])]])
    with pytest.raises(ValueError, match=r"^sigma must be >= MIN_SIGMA"):
        correlation_padded(t, c, t, c, sigma=sigma)


def test_correlation_is_exact_down_to_min_sigma():
    assert correlation([1.0, 3.0], [1.0, 3.0], sigma=MIN_SIGMA) == 1.0
    assert correlation([1.0, 3.0], [1.0, 3.5], sigma=MIN_SIGMA) == pytest.approx(0.5)
    t, c = stack_padded([[np.array([1.0, 3.0])]])
    assert correlation_padded(t, c, t, c, sigma=MIN_SIGMA)[0, 0] == 1.0


# ---------------------------------------------------------------------------
# Spike data read by forward() and train()
# ---------------------------------------------------------------------------


def one_problem(M=1):
    x = [np.array([1.0, 5.0]), np.array([2.0]), np.array([3.0])]
    return [[x] * M], [[[np.array([10.0])]] * M], [np.full((1, 1, 3), 2000.0)]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_train_names_desired_when_a_desired_time_is_not_finite(bad):
    x, _, W = one_problem()
    with pytest.raises(ValueError, match=r"^desired spike times must be finite, found (nan|inf) in desired\[0\]\[0\]\[0\]"):
        train(x, [[[np.array([4.0, bad])]]], W, CFG, sim=SMALL, progress=False)
    d_t = np.array([[[[4.0, bad]]]])
    with pytest.raises(ValueError, match=r"^desired spike times must be finite, found (nan|inf) in desired\[0\]\[0\]\[0\]"):
        train(x, (d_t, np.array([[[2]]])), W, CFG, sim=SMALL, progress=False)


def test_a_nan_hidden_behind_the_padding_is_reported_as_nan():
    # np.sort puts NaN after the +inf padding: the check must run before sorting
    t = np.array([[np.nan, 5.0, np.inf]])
    with pytest.raises(ValueError, match=r"^input spike times must be finite, found nan in inputs\[0\]"):
        pack_inputs((t, np.array([2])), 10.0)


@pytest.mark.parametrize("bad", [25.0, -1.0])
def test_train_names_desired_when_a_desired_time_is_outside_the_epoch(bad):
    x, _, W = one_problem()
    with pytest.raises(ValueError, match=rf"^desired spike time {bad} ms is outside \[0, T\) with T=20\.0 ms "
                                         r"\(in desired\[0\]\[0\]\[0\]\)"):
        train(x, [[[np.array([bad])]]], W, CFG, sim=SMALL, progress=False)
    with pytest.raises(ValueError, match=r"^input spike time .* \(in inputs\[0\]\[0\]\[1\]\)"):
        train([[[x[0][0][0], np.array([bad]), x[0][0][2]]]], [[[np.array([5.0])]]], W, CFG, sim=SMALL,
              progress=False)


def test_forward_accepts_a_2d_array_like_as_population():
    arr = np.array([[1.0, 4.0], [2.0, 3.0], [5.0, 6.0]])  # 3 neurons, 2 spikes each
    assert len(as_population(arr)) == 3
    W = [np.full((1, 3), 3000.0)]
    a, b = forward(arr, W, sim=SMALL), forward(list(arr), W, sim=SMALL)
    np.testing.assert_array_equal(a.inputs.times, b.inputs.times)
    np.testing.assert_array_equal(a.output.times, b.output.times)
    batch = forward(np.stack([arr, arr + 1.0]), W, sim=SMALL)  # (B, n, K): a batch
    assert batch.inputs.counts.shape == (2, 3)
    _, d, Wt = one_problem()
    res = train([[arr]], d, Wt, CFG, sim=SMALL, progress=False)
    ref = train([[list(arr)]], d, Wt, CFG, sim=SMALL, progress=False)
    np.testing.assert_array_equal(res.weights[0], ref.weights[0])
    res4 = train(arr[None, None], np.array([[[[10.0]]]]), Wt, CFG, sim=SMALL, progress=False)  # (P, M, n, K)
    np.testing.assert_array_equal(res4.weights[0], ref.weights[0])


def test_train_says_which_nesting_it_expects():
    x, d, W = one_problem(M=2)
    nest = r"train\(\) expects \[P problems\]\[M patterns\]\[n trains\]"
    with pytest.raises(ValueError, match=r"^inputs has the wrong nesting: got 3 levels of nesting \(1 level missing\).*" + nest):
        train(x[0], d, W, CFG, sim=SMALL, progress=False)  # the problem level dropped
    with pytest.raises(ValueError, match=r"^desired has the wrong nesting: .*" + nest):
        train(x, [[p[0] for p in d[0]]], W, CFG, sim=SMALL, progress=False)  # [P][M] of trains
    with pytest.raises(ValueError, match=r"^desired has the wrong nesting"):  # was silently read as n = 1
        train(one_problem()[0], [[np.array([10.0])]], W[:1], CFG, sim=SMALL, progress=False)


def test_forward_says_which_nesting_it_expects():
    x, _, W = one_problem(M=2)
    with pytest.raises(ValueError, match=r"^inputs has the wrong nesting: got 4 levels.*forward\(\) expects \[n trains\].*"
                                         r"or a batch \[B\]\[n trains\]"):
        forward(x, [W[0][0]], sim=SMALL)
    with pytest.raises(ValueError, match=r"^inputs has the wrong nesting: got a single spike train.*pass \[train\]"):
        forward([1.0, 2.0], [np.ones((1, 1))], sim=SMALL)


# ---------------------------------------------------------------------------
# Bounded work: refuse before allocating or simulating
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dt, T", [(0.1, 1e9), (1e-7, 500.0)])
def test_simparams_refuses_more_than_max_steps(dt, T):
    with pytest.raises(ValueError, match=r"^T / dt = .* steps per epoch exceeds MAX_STEPS = 1e\+08 .*"
                                         r"use a larger dt or a shorter T"):
        SimParams(dt=dt, T=T)
    SimParams(dt=dt, T=dt * params.MAX_STEPS)  # the limit itself is fine


def test_max_steps_can_be_raised(monkeypatch):
    monkeypatch.setattr(params, "MAX_STEPS", 10)
    with pytest.raises(ValueError, match=r"MAX_STEPS = 10"):
        SimParams(dt=0.1, T=2.0)


def test_unbounded_spiking_is_refused_before_simulating():
    # t_ref = 0 and 1e12 pA: the neuron fires almost continuously, the
    # simulation used to run for hours without reacting to Ctrl-C.
    lif = LIFParams(t_ref=0.0)
    x = [np.array([1.0, 2.0, 3.0])]
    with pytest.raises(ValueError, match=r"^with weights up to 1e\+12 pA, t_ref = 0 ms and T = 500 ms a neuron could "
                                         r"fire up to .* spikes per epoch, above MAX_SPIKES_PER_NEURON = 1e\+06"):
        forward(x, [np.full((1, 1), 1e12)], lif=lif)
    t, c = stack_padded([x])
    with pytest.raises(ValueError, match=r"MAX_SPIKES_PER_NEURON"):
        simulate_layer(t, c, np.full((1, 1, 1), 1e12), lif)
    # strong but finite drive with t_ref = 0 still runs, and stays below the
    # charge bound sum_i W n_i (tau1 - tau2) / (C (VT - EL)) the check uses
    for w in (1e5, 1e6):
        count = forward(x, [np.full((1, 1), w)], lif=lif).output.counts[0, 0]
        bound = w * 3 * (SYN.tau1 - SYN.tau2) / (lif.C * lif.theta)
        assert 0.9 * bound < count <= bound


def test_record_v_with_a_long_epoch_is_refused_before_allocating():
    sim = SimParams(dt=0.1, T=1e6)  # 1e7 steps: V(t) of 1000 neurons is 80 GB
    with pytest.raises(ValueError, match=r"^record_v=True: V\(t\) of B x \(n_1 \+ ... \+ n_L\) = 1 x 1000 neurons at "
                                         r"10000001 grid times .* GiB, above the limit of 2 GiB"):
        forward([np.array([1.0])], [np.zeros((1000, 1))], sim=sim, record_v=True)
    t, c = stack_padded([[np.array([1.0])]])
    with pytest.raises(ValueError, match=r"^record_v=True: V\(t\) of B x n_out = 1 x 1000 neurons"):
        simulate_layer(t, c, np.zeros((1, 1000, 1)), sim=sim, record_v=True)


def test_a_million_output_neurons_are_refused_before_allocating():
    x = [[np.array([1.0])] for _ in range(100)]  # a batch of 100 one-input patterns
    with pytest.raises(ValueError, match=r"^the output spike buffers of B x n_out = 100 x 1000000 neurons .* GiB"):
        forward(x, [np.zeros((10**6, 1))])
    with pytest.raises(ValueError, match=r"^the output spike buffers of B x n_out = 1 x 1000000 neurons"):
        forward(x[0], [np.zeros((10**6, 1))])


def test_the_memory_limit_can_be_changed(monkeypatch):
    monkeypatch.setattr(params, "MAX_ARRAY_BYTES", 1000)
    with pytest.raises(ValueError, match=r"record_v=True"):
        forward([np.array([1.0])], [np.zeros((1, 1))], sim=SMALL, record_v=True)


def test_to_raster_with_a_tiny_dt_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r"^to_raster with dt=1e-09 ms: 2 neurons x 5e\+11 bins would need about "
                                         r".* GiB, above the limit of 2 GiB .*use a larger dt"):
        to_raster([[1.0], [2.0]], dt=1e-9, T=500.0)
    with pytest.raises(ValueError, match=r"above the limit"):
        to_raster([[1.0], [2.0]], dt=0.1, T=500.0, max_bytes=1000)
    assert to_raster([[1.0], [2.0]], dt=0.1, T=500.0).shape == (2, 5000)
    with pytest.raises(ValueError, match=r"^dt must be <= T"):
        to_raster([[1.0]], dt=10.0, T=2.0)


def test_poisson_trains_of_an_enormous_epoch_are_refused_before_allocating():
    with pytest.raises(ValueError, match=r"^poisson_spike_trains with n_neurons=10, rate=20 Hz and T=1e\+13 ms"):
        poisson_spike_trains(10, 20.0, 1e13, 0)


# ---------------------------------------------------------------------------
# A network with no input neurons (W^1 of shape (n_1, 0)): it runs, at rest
# ---------------------------------------------------------------------------

NO_INPUT_WEIGHTS = [np.full((3, 0), 500.0), np.full((1, 3), 2000.0)]


@pytest.mark.parametrize("inputs", [
    [],                                                   # poisson_spike_trains(0, ...) returns []
    np.empty((0, 4)),                                     # a 2-D population of no neurons
    (np.empty((0, 0)), np.zeros(0, dtype=int)),           # padded (n, K), (n,)
    (np.empty((2, 0, 3)), np.zeros((2, 0), dtype=int)),   # padded batch (B, n, K), (B, n)
], ids=["empty-list", "empty-2d", "padded", "padded-batch"])
def test_a_network_without_input_neurons_stays_at_rest(inputs):
    """Without input no neuron receives current: no spike, V(t) = EL throughout (once 'cannot reshape')."""
    rec = forward(inputs, NO_INPUT_WEIGHTS, sim=SMALL, record_v=True)
    B = rec.inputs.counts.shape[0]
    assert rec.inputs.counts.shape == (B, 0) and B in (1, 2)
    assert [lay.counts.tolist() for lay in rec.layers] == [[[0, 0, 0]] * B, [[0]] * B]
    for lay in rec.layers:
        np.testing.assert_array_equal(lay.v, LIFParams().EL)
    assert poisson_spike_trains(0, 20.0, SMALL.T, np.random.default_rng(0)) == []


def test_silent_padded_trains_of_width_zero_are_accepted():
    """Padded input with K = 0 (every train empty) is silence, not a reshape error."""
    rec = forward((np.empty((1, 3, 0)), np.zeros((1, 3), dtype=int)), [np.full((2, 3), 5000.0)], sim=SMALL)
    assert rec.output.counts.tolist() == [[0, 0]]


def test_updates_and_training_without_input_neurons_run():
    from normad_edu.normad import normad_update, normad_update_reference

    rec = forward([], NO_INPUT_WEIGHTS, sim=SMALL)
    desired = stack_padded([[np.array([5.0, 15.0])]])
    kw = dict(rates=(10.0, 100.0), plastic=(True, True), sim=SMALL)
    fast, slow = normad_update(rec, desired, **kw), normad_update_reference(rec, desired, **kw)
    assert [g.shape for g in fast] == [(1, 3, 0), (1, 1, 3)]
    for g, h in zip(fast, slow):
        np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)
    result = train([[np.empty((0, 0))]], [[[np.array([5.0, 15.0])]]], [w[None] for w in NO_INPUT_WEIGHTS],
                   TrainConfig(rates=(10.0, 100.0), max_iter=2), sim=SMALL)
    assert result.iterations() == [None]
    assert result.weights[0].shape == (1, 3, 0)


def test_an_empty_population_with_weights_that_expect_inputs_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"^W\^1 expects 2 inputs but 0 input spike trains were given$"):
        forward([], [np.ones((3, 2))], sim=SMALL)
