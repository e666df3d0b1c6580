"""Tests for normad_edu.network: forward pass, batching, reproducibility and
argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from normad_edu.lif import simulate_layer
from normad_edu.network import ForwardRecord, check_layer_sizes, check_weights, forward, pack_inputs
from normad_edu.params import LIFParams, SimParams
from normad_edu.spikes import from_padded, poisson_spike_trains, stack_padded, to_padded

SIM = SimParams(dt=0.1, T=200.0)


def three_layer_problem(seed=0, sizes=(30, 20, 10, 2)):
    rng = np.random.default_rng(seed)
    x = poisson_spike_trains(sizes[0], 30.0, SIM.T, rng)
    Ws = [rng.uniform(-500.0, 3000.0, size=(sizes[l + 1], sizes[l])) for l in range(len(sizes) - 1)]
    return x, Ws


def assert_same_layer(a, b):
    """Exact equality of two LayerOutputs (same padded width)."""
    assert np.array_equal(a.counts, b.counts)
    assert np.array_equal(a.times, b.times)
    assert np.array_equal(a.vdot, b.vdot, equal_nan=True)


def trimmed(out, b):
    """(times, counts, vdot) of batch element b, trimmed to its own width."""
    K = max(int(out.counts[b].max(initial=0)), 1)
    assert np.all(np.isinf(out.times[b, :, K:])) and np.all(np.isnan(out.vdot[b, :, K:]))
    return out.times[b, :, :K], out.counts[b], out.vdot[b, :, :K]


# --------------------------------------------------------------------------
# 7. multi-layer forward
# --------------------------------------------------------------------------


def test_three_layer_forward_equals_layer_by_layer():
    x, Ws = three_layer_problem()
    rec = forward(x, Ws, sim=SIM)
    assert isinstance(rec, ForwardRecord)
    assert len(rec.layers) == 3 and rec.output is rec.layers[-1]
    assert rec.spikes(0) is rec.inputs and rec.spikes(3) is rec.output
    for l, n in enumerate((20, 10, 2), start=1):
        assert rec.spikes(l).counts.shape == (1, n)
        assert rec.spikes(l).counts.sum() > 0, f"layer {l} is silent: the test would prove nothing"
    assert [W.shape for W in rec.weights] == [(1, 20, 30), (1, 10, 20), (1, 2, 10)]
    # layer 1 from the raw input trains
    t0, c0 = stack_padded([x])
    assert_same_layer(simulate_layer(t0, c0, Ws[0][None], sim=SIM), rec.layers[0])
    # layer l + 1 from the spikes of layer l, converted to trains and back by hand
    for l in (1, 2):
        trains = from_padded(rec.spikes(l).times[0], rec.spikes(l).counts[0])
        assert all(np.all(np.diff(tr) > 0) for tr in trains)
        tt, cc = to_padded(trains)
        manual = simulate_layer(tt[None], cc[None], Ws[l][None], sim=SIM)
        assert_same_layer(manual, rec.layers[l])
        # and as a fresh one-layer network on those trains
        assert_same_layer(forward(trains, [Ws[l]], sim=SIM).output, rec.layers[l])


def test_forward_record_v_for_every_layer():
    x, Ws = three_layer_problem()
    rec = forward(x, Ws, sim=SIM, record_v=True)
    plain = forward(x, Ws, sim=SIM)
    for a, b in zip(rec.layers, plain.layers):
        assert a.v is not None and a.v.shape == a.counts.shape + (SIM.n_steps + 1,)
        assert np.all(a.v < LIFParams().VT)
        assert b.v is None
        assert_same_layer(a, b)


def test_inputs_are_sorted_and_packed():
    rec = forward([[5.0, 1.0], [], [2.5]], [np.full((1, 3), 100.0)], sim=SimParams(dt=0.1, T=10.0))
    np.testing.assert_array_equal(rec.inputs.counts, [[2, 0, 1]])
    np.testing.assert_array_equal(rec.inputs.times[0, 0], [1.0, 5.0])
    assert np.all(np.isnan(rec.inputs.vdot))
    # a padded (times, counts) pair works as well, unbatched or batched
    t, c = to_padded([[5.0, 1.0], [], [2.5]])
    for packed in (pack_inputs((t, c), 10.0), pack_inputs((t[None], c[None]), 10.0)):
        np.testing.assert_array_equal(packed.times, rec.inputs.times)
        np.testing.assert_array_equal(packed.counts, rec.inputs.counts)


# --------------------------------------------------------------------------
# 6. batched == unbatched, reproducibility
# --------------------------------------------------------------------------


def test_batch_of_five_equals_one_by_one():
    rng = np.random.default_rng(7)
    inputs, weights = [], []
    for b in range(5):
        inputs.append(poisson_spike_trains(30, 20.0 + 5 * b, SIM.T, rng))
        weights.append([rng.uniform(-500.0, 3000.0 + 300 * b, size=(8, 30)), rng.uniform(0.0, 4000.0, size=(2, 8))])
    Wb = [np.stack([w[l] for w in weights]) for l in range(2)]
    batch = forward(inputs, Wb, sim=SIM)
    assert batch.output.counts.shape == (5, 2)
    hidden_counts = {tuple(c) for c in batch.layers[0].counts}
    assert len(hidden_counts) == 5, "problems must differ for the test to mean anything"
    assert batch.output.counts.sum() > 0
    for b in range(5):
        single = forward(inputs[b], weights[b], sim=SIM)
        for l in range(2):
            tb, cb, vb = trimmed(batch.layers[l], b)
            ts, cs, vs = trimmed(single.layers[l], 0)
            assert np.array_equal(tb, ts)
            assert np.array_equal(cb, cs)
            assert np.array_equal(vb, vs, equal_nan=True)


def test_shared_weights_are_broadcast_over_a_batch_of_inputs():
    rng = np.random.default_rng(8)
    inputs = [poisson_spike_trains(30, 30.0, SIM.T, rng) for _ in range(3)]
    Ws = [rng.uniform(0.0, 3000.0, size=(6, 30)), rng.uniform(0.0, 3000.0, size=(1, 6))]
    batch = forward(inputs, Ws, sim=SIM)
    assert batch.output.counts.shape == (3, 1)
    for b in range(3):
        single = forward(inputs[b], Ws, sim=SIM)
        tb, cb, vb = trimmed(batch.layers[0], b)
        ts, cs, vs = trimmed(single.layers[0], 0)
        assert np.array_equal(tb, ts) and np.array_equal(cb, cs) and np.array_equal(vb, vs, equal_nan=True)


def test_one_input_population_is_broadcast_over_a_batch_of_weights():
    rng = np.random.default_rng(9)
    x = poisson_spike_trains(30, 30.0, SIM.T, rng)
    Wb = [rng.uniform(0.0, 3000.0, size=(4, 6, 30)), rng.uniform(0.0, 3000.0, size=(4, 1, 6))]
    batch = forward(x, Wb, sim=SIM)
    assert batch.inputs.counts.shape == (4, 30) and batch.output.counts.shape == (4, 1)
    assert len({tuple(c) for c in batch.layers[0].counts}) > 1
    for b in range(4):
        single = forward(x, [W[b] for W in Wb], sim=SIM)
        for l in range(2):
            tb, cb, vb = trimmed(batch.layers[l], b)
            ts, cs, vs = trimmed(single.layers[l], 0)
            assert np.array_equal(tb, ts) and np.array_equal(cb, cs) and np.array_equal(vb, vs, equal_nan=True)


def test_same_seed_gives_bit_identical_trains_and_outputs():
    def make(seed):
        rng = np.random.default_rng(seed)
        x = poisson_spike_trains(30, 30.0, SIM.T, rng, t_dead=2.0)
        Ws = [rng.uniform(-500.0, 3000.0, size=(20, 30)), rng.uniform(-500.0, 3000.0, size=(3, 20))]
        return x, Ws

    xa, Wa = make(5)
    xb, Wb = make(5)
    xc, _ = make(6)
    assert all(np.array_equal(a, b) for a, b in zip(xa, xb))
    assert not all(len(a) == len(c) and np.array_equal(a, c) for a, c in zip(xa, xc))
    ra, rb = forward(xa, Wa, sim=SIM), forward(xb, Wb, sim=SIM)
    assert ra.output.counts.sum() > 0
    for la, lb in zip(ra.layers, rb.layers):
        assert_same_layer(la, lb)
    # and running the same network twice gives the same answer
    for la, lb in zip(ra.layers, forward(xa, Wa, sim=SIM).layers):
        assert_same_layer(la, lb)


# --------------------------------------------------------------------------
# 9. invalid inputs to forward / network helpers
# --------------------------------------------------------------------------

SMALL = SimParams(dt=0.1, T=10.0)


def one_layer(n_in=2):
    return [np.full((1, n_in), 100.0)]


@pytest.mark.parametrize(
    "bad, match",
    [
        (np.nan, r"input spike times must be finite"),
        (np.inf, r"input spike times must be finite"),
        (-np.inf, r"input spike times must be finite"),
        (-0.1, r"input spike time -0\.1 ms is outside \[0, T\)"),
        (10.0, r"input spike time 10\.0 ms is outside \[0, T\) with T=10\.0"),
        (11.5, r"input spike time 11\.5 ms is outside \[0, T\)"),
    ],
)
def test_forward_rejects_bad_spike_times(bad, match):
    with pytest.raises(ValueError, match=match):
        forward([[1.0, bad], [2.0]], one_layer(), sim=SMALL)
    # also in a batch and in padded form
    with pytest.raises(ValueError, match=match):
        forward([[[1.0], [2.0]], [[1.0, bad], [2.0]]], one_layer(), sim=SMALL)
    t, c = to_padded([[1.0, bad], [2.0]])
    with pytest.raises(ValueError, match=match):
        forward((t, c), one_layer(), sim=SMALL)


def test_forward_rejects_duplicated_spike_times():
    with pytest.raises(ValueError, match=r"input spike time 3 ms is duplicated"):
        forward([[3.0, 1.0, 3.0], [2.0]], one_layer(), sim=SMALL)
    t, c = to_padded([[3.0, 3.0], [2.0]])
    with pytest.raises(ValueError, match=r"is duplicated"):
        forward((t, c), one_layer(), sim=SMALL)


def test_forward_ignores_padding_beyond_counts():
    t = np.array([[1.0, np.nan], [2.0, -5.0]])  # garbage after the counted spikes
    rec = forward((t, np.array([1, 1])), one_layer(), sim=SMALL)
    np.testing.assert_array_equal(rec.inputs.times[0, :, 0], [1.0, 2.0])


def test_forward_rejects_bad_padded_counts():
    t, c = to_padded([[1.0], [2.0]])
    with pytest.raises(ValueError, match=r"input counts must lie in"):
        forward((t, np.array([2, 1])), one_layer(), sim=SMALL)
    with pytest.raises(ValueError, match=r"padded input times .* and counts .* do not match"):
        forward((t, np.array([1, 1, 1])), one_layer(), sim=SMALL)


def test_forward_rejects_malformed_inputs():
    with pytest.raises(TypeError, match=r"^inputs must be"):
        forward("spikes", one_layer(), sim=SMALL)
    with pytest.raises(ValueError, match=r"^W\^1 expects \d+ inputs but 0 input spike trains"):
        forward([], one_layer(), sim=SMALL)  # [] is a population of no neurons
    with pytest.raises(ValueError, match=r"^inputs must be a list of 1-D spike-time arrays"):
        forward([[1.0], [[2.0]]], one_layer(), sim=SMALL)


def test_forward_rejects_weights_that_do_not_match_the_inputs():
    with pytest.raises(ValueError, match=r"W\^1 expects 3 inputs but 2 input spike trains were given"):
        forward([[1.0], [2.0]], [np.ones((4, 3))], sim=SMALL)


def test_forward_rejects_weights_that_do_not_chain():
    with pytest.raises(ValueError, match=r"W\^2 has shape \(1, 5\) but layer 1 has 4 neurons: shapes must chain"):
        forward([[1.0], [2.0]], [np.ones((4, 2)), np.ones((1, 5))], sim=SMALL)
    with pytest.raises(ValueError, match=r"W\^3 .* shapes must chain"):
        check_weights([np.ones((4, 2)), np.ones((3, 4)), np.ones((1, 4))])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("layer", [1, 2])
def test_forward_rejects_nonfinite_weights(bad, layer):
    Ws = [np.ones((4, 2)), np.ones((1, 4))]
    Ws[layer - 1][0, 1] = bad
    with pytest.raises(ValueError, match=rf"W\^{layer} contains NaN or inf"):
        forward([[1.0], [2.0]], Ws, sim=SMALL)


def test_forward_rejects_batch_size_mismatch():
    x2 = [[[1.0], [2.0]], [[3.0], [4.0]]]
    with pytest.raises(ValueError, match=r"weights have batch size 3 but the inputs have batch size 2"):
        forward(x2, [np.ones((3, 4, 2)), np.ones((3, 1, 4))], sim=SMALL)
    x3 = [[[1.0], [2.0]], [[3.0], [4.0]], [[5.0], [6.0]]]
    with pytest.raises(ValueError, match=r"weights have batch size 2 but the inputs have batch size 3"):
        forward(x3, [np.ones((2, 4, 2))], sim=SMALL)
    with pytest.raises(ValueError, match=r"W\^2 has batch size 2 but W\^1 has 3"):
        forward(x2, [np.ones((3, 4, 2)), np.ones((2, 1, 4))], sim=SMALL)
    with pytest.raises(ValueError, match=r"weights have batch size 2 but the inputs have batch size 3"):
        check_weights([np.ones((2, 4, 2))], batch=3)


def test_check_weights_shapes_and_sizes():
    out = check_weights([np.ones((4, 2)), np.ones((1, 4))], sizes=(2, 4, 1))
    assert [W.shape for W in out] == [(1, 4, 2), (1, 1, 4)]
    assert all(W.dtype == np.float64 for W in out)
    with pytest.raises(ValueError, match=r"weights give layer sizes \[2, 4, 1\] but sizes are \[2, 4, 2\]"):
        check_weights([np.ones((4, 2)), np.ones((1, 4))], sizes=(2, 4, 2))
    with pytest.raises(ValueError, match=r"W\^1 must have shape"):
        check_weights([np.ones(4)])
    with pytest.raises(TypeError, match=r"^weights must be a non-empty list"):
        check_weights([])
    with pytest.raises(TypeError, match=r"^weights must be a non-empty list"):
        check_weights(np.ones((2, 2)))


def test_forward_rejects_wrong_parameter_types():
    with pytest.raises(TypeError, match=r"lif, syn and sim must be"):
        forward([[1.0], [2.0]], one_layer(), sim=(0.1, 10.0))


@pytest.mark.parametrize(
    "sizes, exc, match",
    [
        ((10, 2.5, 1), TypeError, r"layer size \[1\] must be an integer"),
        ((10, 5, "1"), TypeError, r"layer size \[2\] must be an integer"),
        ((10, True), TypeError, r"layer size \[1\] must be an integer"),
        ((10, 0, 1), ValueError, r"layer size \[1\] must be an integer >= 1, got 0"),
        ((-3, 5), ValueError, r"layer size \[0\] must be an integer >= 1, got -3"),
        ((10,), ValueError, r"layer sizes need an input and at least one LIF layer"),
        ("10, 5", TypeError, r"layer sizes must be a sequence"),
        (None, TypeError, r"layer sizes must be a sequence"),
    ],
)
def test_check_layer_sizes_rejects(sizes, exc, match):
    with pytest.raises(exc, match=match):
        check_layer_sizes(sizes)


def test_check_layer_sizes_accepts():
    assert check_layer_sizes([54, 54, 1]) == (54, 54, 1)
    assert check_layer_sizes((np.int64(100), 50, 25, 1)) == (100, 50, 25, 1)
