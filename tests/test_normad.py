"""Tests for normad_edu.normad: error instants, d_hat, the single-layer rule
and the multi-layer backward pass (normalisation, frozen layers, rates).

The gradient itself (backward with normalize=False against finite
differences of Vhat) is checked in tests/test_gradcheck.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from normad_edu.kernels import psi_hat_kernel
from normad_edu.network import ForwardRecord, forward
from normad_edu.normad import (
    NormADParams,
    error_instants_padded,
    backward,
    check_rates_and_plastic,
    d_hat,
    error_instants,
    normad_update,
)
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import poisson_spike_train, poisson_spike_trains, stack_padded

SYN = SynapseParams()
LIF = LIFParams()
TAU_HAT = 2.5
PARAMS = NormADParams(tau_L_hat=TAU_HAT)


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def ref_error_instants(desired, observed, width):
    """Independent reference: count spikes per bin floor(t / width) (or per
    identical time when width = 0), cancel min(n_d, n_o) pairs earliest with
    earliest inside each bin, every remaining spike is an error instant."""
    def key(t):
        return t if width == 0 else math.floor(t / width)

    bins_d, bins_o = {}, {}
    for t in np.sort(desired):
        bins_d.setdefault(key(t), []).append(float(t))
    for t in np.sort(observed):
        bins_o.setdefault(key(t), []).append(float(t))
    out = []
    for k in set(bins_d) | set(bins_o):
        d, o = bins_d.get(k, []), bins_o.get(k, [])
        m = min(len(d), len(o))
        out += [(t, 1) for t in d[m:]] + [(t, -1) for t in o[m:]]
    out.sort()
    return np.array([t for t, _ in out], dtype=float), np.array([s for _, s in out], dtype=np.int64)


def single_layer_record(seed=0, n_in=100, T=500.0, w_scale=(0.0, 1500.0), shift=0.0):
    """A 100 -> 1 forward record with Poisson inputs (optionally delayed by ``shift`` ms)."""
    rng = np.random.default_rng(seed)
    x = [tr + shift for tr in poisson_spike_trains(n_in, 20.0, T - shift, rng)]
    W = rng.uniform(*w_scale, size=(1, n_in))
    rec = forward(x, [W], LIF, SYN, SimParams(T=T))
    return x, rec


def padded_desired(trains_per_batch):
    """[[train per output neuron] per batch element] -> padded (times, counts)."""
    return stack_padded(trains_per_batch)


def direct_single_layer_update(x, desired, observed, r, tau_L_hat=TAU_HAT, coincidence_dt=0.1):
    """r * sum_e sign_e dhat(t_e)/||dhat(t_e)||, computed from the public pieces."""
    t_e, s_e = error_instants(desired, observed, coincidence_dt)
    dW = np.zeros(len(x))
    skipped = 0
    for t, s in zip(t_e, s_e):
        g = d_hat(t, x, tau_L_hat=tau_L_hat)
        n = np.linalg.norm(g)
        if n == 0:
            skipped += 1
            continue
        dW += r * s * g / n
    return dW, t_e, s_e, skipped


def multilayer_record(sizes=(20, 10, 5, 1), seed=0, T=100.0, drive=35_000.0, lif=LIF):
    """The gradient-check network: Poisson inputs over 0.6 T, U(0, drive/n) weights."""
    rng = np.random.default_rng(seed)
    x = poisson_spike_trains(sizes[0], 60.0, 0.6 * T, rng)
    Ws = [rng.uniform(0, drive / sizes[l - 1], (sizes[l], sizes[l - 1])) for l in range(1, len(sizes))]
    Ws[-1] *= np.where(rng.random(Ws[-1].shape) < 0.8, 1.0, -1.0)
    return forward(x, Ws, lif, SYN, SimParams(T=T))


def one_instant(t, sign=1, n_out=1, k=0):
    """err_t, err_s for a single error instant of output neuron k (batch of 1)."""
    err_t = np.full((1, n_out, 1), np.inf)
    err_s = np.zeros((1, n_out, 1), dtype=np.int8)
    err_t[0, k, 0] = t
    err_s[0, k, 0] = sign
    return err_t, err_s


def run_backward(rec, err_t, err_s, rates, plastic=None, normalize=True, params=PARAMS):
    L = len(rec.layers)
    plastic = np.ones(L, dtype=bool) if plastic is None else np.asarray(plastic, dtype=bool)
    return backward(rec, err_t, err_s, np.asarray(rates, dtype=float), plastic, lif=LIF, syn=SYN,
                    params=params, normalize=normalize)


# --------------------------------------------------------------------------
# error instants
# --------------------------------------------------------------------------

def test_missed_desired_is_plus_one_and_extra_observed_is_minus_one():
    t, s = error_instants([10.0, 30.0], [20.0], coincidence_dt=0.1)
    assert np.array_equal(t, [10.0, 20.0, 30.0])
    assert np.array_equal(s, [1, -1, 1])
    assert s.dtype == np.int64


def test_same_bin_cancels_different_bins_do_not():
    # 10.02 and 10.08 share the bin [10.0, 10.1): they cancel
    t, s = error_instants([10.02], [10.08], coincidence_dt=0.1)
    assert t.size == 0 and s.size == 0
    # 10.08 and 10.12 are 0.04 ms apart but in different bins: both are errors
    t, s = error_instants([10.08], [10.12], coincidence_dt=0.1)
    assert np.array_equal(t, [10.08, 10.12]) and np.array_equal(s, [1, -1])
    # a wider bin merges them
    t, s = error_instants([10.08], [10.12], coincidence_dt=1.0)
    assert t.size == 0


def test_cancellation_is_pairwise_within_a_bin():
    # two desired, one observed in the bin: the earliest pair cancels, one +1 is left
    t, s = error_instants([5.01, 5.05], [5.09], coincidence_dt=0.1)
    assert np.array_equal(t, [5.05]) and np.array_equal(s, [1])
    t, s = error_instants([5.09], [5.01, 5.05], coincidence_dt=0.1)
    assert np.array_equal(t, [5.05]) and np.array_equal(s, [-1])


def test_zero_coincidence_dt_cancels_only_identical_times():
    t, s = error_instants([7.0, 9.0], [7.0, 9.0 + 1e-12], coincidence_dt=0.0)
    assert np.array_equal(t, [9.0, 9.0 + 1e-12]) and np.array_equal(s, [1, -1])
    t, s = error_instants([7.0], [7.0], coincidence_dt=0.0)
    assert t.size == 0


def test_empty_trains():
    t, s = error_instants([], [], 0.1)
    assert t.shape == (0,) and s.shape == (0,)
    t, s = error_instants([1.0, 2.0], [], 0.1)
    assert np.array_equal(t, [1.0, 2.0]) and np.array_equal(s, [1, 1])
    t, s = error_instants([], [3.0], 0.1)
    assert np.array_equal(t, [3.0]) and np.array_equal(s, [-1])


def test_error_instants_rejects_bad_arguments():
    with pytest.raises(ValueError, match="coincidence_dt"):
        error_instants([1.0], [2.0], coincidence_dt=-0.1)
    with pytest.raises(ValueError, match="desired"):
        error_instants([1.0, 1.0], [2.0])
    with pytest.raises(ValueError, match="observed"):
        error_instants([1.0], [np.nan])


# spike times on a 0.05 ms grid so that coincidences (same bin, same time) are common
_grid_train = st.lists(st.integers(0, 60), unique=True, max_size=8).map(lambda v: np.array(sorted(v)) * 0.05)
_width = st.sampled_from([0.0, 0.1, 0.25, 1.0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=_grid_train, o=_grid_train, width=_width)
def test_error_instants_match_reference(d, o, width):
    t, s = error_instants(d, o, width)
    t_ref, s_ref = ref_error_instants(d, o, width)
    assert np.array_equal(t, t_ref) and np.array_equal(s, s_ref)
    # the net count is conserved: sum of signs = n_desired - n_observed
    assert s.sum() == d.size - o.size


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(_grid_train, _grid_train), min_size=1, max_size=6),
       width=_width, extra=st.integers(0, 3), two_d=st.booleans())
def test_batched_error_instants_equal_scalar(rows, width, extra, two_d):
    if two_d and len(rows) % 2:
        rows = rows + [rows[0]]
    d_t, d_c = stack_padded([[d] for d, _ in rows])  # (R, 1, K)
    o_t, o_c = stack_padded([[o] for _, o in rows])
    # extra padding columns must be ignored
    d_t = np.concatenate([d_t, np.full(d_t.shape[:-1] + (extra,), np.inf)], axis=-1)
    shape = (2, len(rows) // 2, 1) if two_d else (len(rows), 1)
    t, s = error_instants_padded(d_t.reshape(shape + d_t.shape[-1:]), d_c.reshape(shape),
                                  o_t.reshape(shape + o_t.shape[-1:]), o_c.reshape(shape), width)
    assert t.shape[:-1] == shape and s.shape == t.shape
    t, s = t.reshape(len(rows), -1), s.reshape(len(rows), -1)
    for r, (d, o) in enumerate(rows):
        t1, s1 = error_instants(d, o, width)
        n = t1.size
        assert np.array_equal(t[r, :n], t1) and np.array_equal(s[r, :n], s1)
        assert np.all(s[r, n:] == 0) and np.all(np.isinf(t[r, n:]))  # padding after the nonzero signs


# --------------------------------------------------------------------------
# d_hat
# --------------------------------------------------------------------------

def _direct_d_hat(q, trains, tau_L_hat):
    return np.array([[psi_hat_kernel(t - tr, SYN.tau1, SYN.tau2, LIF.C, tau_L_hat).sum() if tr.size else 0.0
                      for tr in trains] for t in q])


@pytest.mark.parametrize("tau_L_hat", [2.5, 10.0, SYN.tau1, SYN.tau2, SYN.tau1 * (1 + 1e-10), 50.0])
def test_d_hat_equals_direct_sum_of_psi_hat(tau_L_hat):
    rng = np.random.default_rng(3)
    trains = [np.sort(rng.choice(np.arange(200, 1000) * 0.05, size=rng.integers(0, 8), replace=False))
              for _ in range(7)]
    trains[2] = np.array([])  # a silent presynaptic neuron
    spikes = np.concatenate(trains)
    # random (unsorted) queries, queries at spike times and just after, before every spike
    q = np.concatenate([rng.uniform(-5.0, 60.0, 150), spikes, spikes + 1e-6, [0.0, 5.0, 9.99]])
    got = d_hat(q, trains, tau_L_hat=tau_L_hat)
    ref = _direct_d_hat(q, trains, tau_L_hat)
    assert got.shape == (q.size, len(trains))
    nz = ref != 0
    assert nz.sum() > 100
    # 1e-12 relative; 1 us after a lone spike psi_hat ~ 1e-15 is the difference of two
    # traces ~ 1e-6, so there the error is bounded in absolute terms (rounding of the traces)
    assert np.all(np.abs(got[nz] - ref[nz]) <= 1e-12 * np.maximum(np.abs(ref[nz]), 1e-6 * np.abs(ref).max()))
    big = np.abs(ref) > 1e-6 * np.abs(ref).max()
    assert big.sum() > 100 and np.all(np.abs(got[big] - ref[big]) <= 1e-12 * np.abs(ref[big]))
    assert np.all(got[~nz] == 0.0)
    # every train starts at >= 10 ms: queries before that give exactly zero
    assert np.all(got[q <= 10.0] == 0.0)
    assert np.all(got[:, 2] == 0.0)


def test_d_hat_scalar_query_shape_and_value():
    trains = [np.array([1.0, 4.0]), np.array([]), np.array([2.5])]
    v = d_hat(6.0, trains, tau_L_hat=2.5)
    assert v.shape == (3,)
    ref = _direct_d_hat([6.0], [np.asarray(t) for t in trains], 2.5)[0]
    assert np.allclose(v, ref, rtol=1e-12, atol=0)
    assert v[1] == 0.0 and v[0] > 0 and v[2] > 0
    assert np.all(d_hat(0.5, trains) == 0.0)


def test_d_hat_rejects_bad_arguments():
    with pytest.raises(ValueError, match="tau_L_hat"):
        d_hat(1.0, [[0.5]], tau_L_hat=0.0)
    with pytest.raises(ValueError, match="t"):
        d_hat(np.nan, [[0.5]])
    with pytest.raises(ValueError, match=r"trains\[0\]"):
        d_hat(1.0, [[0.5, 0.5]])


# --------------------------------------------------------------------------
# single-layer rule
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1])
def test_single_layer_update_equals_direct_formula(seed):
    x, rec = single_layer_record(seed)
    observed = rec.output.times[0, 0, : rec.output.counts[0, 0]]
    desired = poisson_spike_train(10.0, 500.0, np.random.default_rng(100 + seed), t_dead=2.0)
    r = 1000.0
    dW = normad_update(rec, padded_desired([[desired]]), r, params=PARAMS)
    ref, t_e, s_e, skipped = direct_single_layer_update(x, desired, observed, r)
    # a non-trivial case: errors of both signs
    assert observed.size > 0 and (s_e == 1).any() and (s_e == -1).any()
    assert len(dW) == 1 and dW[0].shape == (1, 1, 100)
    assert np.allclose(dW[0][0, 0], ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    # each instant contributes a unit vector times r
    assert np.linalg.norm(dW[0]) <= r * (t_e.size - skipped) + 1e-9


def test_single_layer_skips_instants_without_presynaptic_activity():
    # inputs only after 100 ms; desired spikes at 20 ms (nothing to learn from) and later
    x, rec = single_layer_record(0, shift=100.0, w_scale=(0.0, 300.0))
    observed = rec.output.times[0, 0, : rec.output.counts[0, 0]]
    desired = np.array([20.0, 150.0, 300.0])
    dW = normad_update(rec, padded_desired([[desired]]), 1000.0, params=PARAMS)[0][0, 0]
    ref, t_e, s_e, skipped = direct_single_layer_update(x, desired, observed, 1000.0)
    assert 20.0 in t_e and np.all(d_hat(20.0, x) == 0.0)
    assert skipped == 1
    assert np.all(np.isfinite(dW))
    assert np.allclose(dW, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    # the skipped instant contributes nothing: only 20 ms as error -> exactly 0
    dW20 = normad_update(rec, padded_desired([[np.concatenate([[20.0], observed])]]), 1000.0, params=PARAMS)[0]
    assert np.all(dW20 == 0.0)


def test_single_layer_no_error_gives_exactly_zero():
    x, rec = single_layer_record(0)
    observed = rec.output.times[0, 0, : rec.output.counts[0, 0]]
    assert observed.size > 0
    dW = normad_update(rec, padded_desired([[observed]]), 1000.0, params=PARAMS)
    assert np.all(dW[0] == 0.0)
    # inside the coincidence bin still counts as correct
    shifted = np.floor(observed / 0.1) * 0.1 + 0.0001
    dW = normad_update(rec, padded_desired([[shifted]]), 1000.0, params=PARAMS)
    assert np.all(dW[0] == 0.0)
    # ... unless the tolerance is 0
    dW = normad_update(rec, padded_desired([[shifted]]), 1000.0, params=NormADParams(tau_L_hat=2.5, coincidence_dt=0.0))
    assert np.any(dW[0] != 0.0)


def test_single_layer_no_presynaptic_activity_gives_finite_zero_update():
    x = [np.array([]) for _ in range(100)]
    rec = forward(x, [np.full((1, 100), 1000.0)], LIF, SYN, SimParams(T=500.0))
    assert rec.output.counts.sum() == 0
    dW = normad_update(rec, padded_desired([[np.array([50.0, 250.0])]]), 1000.0, params=PARAMS)
    assert np.all(np.isfinite(dW[0])) and np.all(dW[0] == 0.0)


def test_single_layer_without_output_spikes_gives_finite_update():
    x, rec = single_layer_record(2, w_scale=(0.0, 0.0))
    assert rec.output.counts.sum() == 0
    desired = np.array([40.0, 120.0, 333.3])
    dW = normad_update(rec, padded_desired([[desired]]), 1000.0, params=PARAMS)[0][0, 0]
    ref, t_e, s_e, skipped = direct_single_layer_update(x, desired, np.array([]), 1000.0)
    assert np.all(s_e == 1) and skipped == 0
    assert np.all(np.isfinite(dW)) and np.all(dW >= 0) and dW.sum() > 0
    assert np.allclose(dW, ref, rtol=1e-12, atol=0)


def test_rate_scales_the_update_linearly():
    x, rec = single_layer_record(0)
    desired = padded_desired([[np.array([30.0, 200.0])]])
    a = normad_update(rec, desired, 1000.0, params=PARAMS)[0]
    b = normad_update(rec, desired, 250.0, params=PARAMS)[0]
    assert np.allclose(b, a / 4, rtol=1e-14, atol=0)
    assert np.all(normad_update(rec, desired, 0.0, params=PARAMS)[0] == 0.0)


def test_tau_L_hat_is_used():
    x, rec = single_layer_record(0)
    observed = rec.output.times[0, 0, : rec.output.counts[0, 0]]
    desired = np.array([30.0, 200.0])
    for tl in (1.0, 10.0):
        dW = normad_update(rec, padded_desired([[desired]]), 1000.0, params=NormADParams(tau_L_hat=tl))[0][0, 0]
        ref, *_ = direct_single_layer_update(x, desired, observed, 1000.0, tau_L_hat=tl)
        assert np.allclose(dW, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


def test_batched_update_equals_each_problem_alone():
    rng = np.random.default_rng(5)
    xs = [poisson_spike_trains(30, 20.0, 200.0, rng) for _ in range(3)]
    Ws = [rng.uniform(0, 4000.0, (3, 8, 30)), rng.uniform(-500.0, 2000.0, (3, 2, 8))]
    des = [[poisson_spike_train(15.0, 200.0, rng, t_dead=2.0) for _ in range(2)] for _ in range(3)]
    sim = SimParams(T=200.0)
    rec = forward(xs, Ws, LIF, SYN, sim)
    both = normad_update(rec, stack_padded(des), (300.0, 1000.0), sim=sim, params=PARAMS)
    for b in range(3):
        rb = forward(xs[b], [W[b] for W in Ws], LIF, SYN, sim)
        one = normad_update(rb, stack_padded([des[b]]), (300.0, 1000.0), sim=sim, params=PARAMS)
        for l in range(2):
            assert np.allclose(both[l][b], one[l][0], rtol=1e-12, atol=1e-12)


def test_normad_update_rejects_bad_arguments():
    x, rec = single_layer_record(0)
    desired = padded_desired([[np.array([30.0])]])
    with pytest.raises(TypeError, match="record"):
        normad_update("not a record", desired, 1.0)
    with pytest.raises(ValueError, match="desired"):
        normad_update(rec, padded_desired([[np.array([30.0]), np.array([40.0])]]), 1.0)
    with pytest.raises(ValueError, match=r"rates\[0\]"):
        normad_update(rec, desired, -1.0)
    with pytest.raises(ValueError, match="rates"):
        normad_update(rec, desired, (1.0, 2.0))
    with pytest.raises(ValueError, match="plastic"):
        normad_update(rec, desired, 1.0, plastic=(True, True))
    with pytest.raises(ValueError, match="tau_L_hat"):
        NormADParams(tau_L_hat=0.0)
    with pytest.raises(ValueError, match="vdot_min"):
        NormADParams(vdot_min=-1.0)
    with pytest.raises(ValueError, match="coincidence_dt"):
        NormADParams(coincidence_dt=-0.1)


def test_check_rates_and_plastic():
    r, p = check_rates_and_plastic(3, 5.0)
    assert np.array_equal(r, [5.0, 5.0, 5.0]) and np.array_equal(p, [True, True, True])
    r, p = check_rates_and_plastic(2, (1.0, 0.0), (0, 1))
    assert np.array_equal(r, [1.0, 0.0]) and np.array_equal(p, [False, True])


# --------------------------------------------------------------------------
# multi-layer: normalisation, frozen layers, per-layer rates
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deep_record():
    rec = multilayer_record((20, 10, 5, 1), seed=0)
    assert all(lay.counts.sum() > 0 for lay in rec.layers[:-1])
    return rec


@pytest.mark.parametrize("t", [60.0, 80.0])
def test_normalised_contribution_has_norm_r_per_layer(deep_record, t):
    rates = np.array([3.0, 7.0, 11.0])
    err_t, err_s = one_instant(t, +1)
    G = run_backward(deep_record, err_t, err_s, np.ones(3), normalize=False)
    dW = run_backward(deep_record, err_t, err_s, rates, normalize=True)
    for l in range(3):
        ng = np.linalg.norm(G[l][0])
        assert ng > 0
        assert np.linalg.norm(dW[l][0]) == pytest.approx(rates[l], rel=1e-12)
        # same direction as the unnormalised gradient
        assert np.allclose(dW[l][0], rates[l] * G[l][0] / ng, rtol=1e-12, atol=1e-12 * rates[l])
    # a -1 instant gives the opposite update
    err_t, err_s = one_instant(t, -1)
    neg = run_backward(deep_record, err_t, err_s, rates, normalize=True)
    for l in range(3):
        assert np.array_equal(neg[l], -dW[l])


@pytest.mark.parametrize("t", [60.0, 80.0])
def test_neuron_normalisation_gives_every_active_row_norm_r(deep_record, t):
    """normalization="neuron" (a labelled deviation): each hidden row of G is
    normalised on its own, in the direction of that row; the output layer is
    unchanged (one row per error instant either way)."""
    rates = np.array([3.0, 7.0, 11.0])
    err_t, err_s = one_instant(t, +1)
    per_neuron = NormADParams(tau_L_hat=TAU_HAT, normalization="neuron")
    G = run_backward(deep_record, err_t, err_s, np.ones(3), normalize=False)
    dW = run_backward(deep_record, err_t, err_s, rates, params=per_neuron)
    layer = run_backward(deep_record, err_t, err_s, rates)
    assert np.array_equal(dW[2], layer[2])
    for l in range(2):
        rows = np.linalg.norm(G[l][0], axis=1)
        assert (rows > 0).sum() >= 2  # more than one neuron carries the error
        for j in range(rows.size):
            if rows[j] > 0:
                assert np.linalg.norm(dW[l][0, j]) == pytest.approx(rates[l], rel=1e-12)
                assert np.allclose(dW[l][0, j], rates[l] * G[l][0, j] / rows[j], rtol=1e-12, atol=1e-12 * rates[l])
            else:
                assert not dW[l][0, j].any()
        # larger in total than the per-layer step whenever several rows are active
        assert np.linalg.norm(dW[l][0]) > np.linalg.norm(layer[l][0])


def test_normalization_must_be_layer_or_neuron():
    with pytest.raises(ValueError, match="normalization must be one of"):
        NormADParams(normalization="synapse")


def test_unnormalised_gradient_scales_with_rates(deep_record):
    err_t, err_s = one_instant(80.0)
    G = run_backward(deep_record, err_t, err_s, np.ones(3), normalize=False)
    G2 = run_backward(deep_record, err_t, err_s, np.array([2.0, 3.0, 4.0]), normalize=False)
    for l, f in enumerate((2.0, 3.0, 4.0)):
        assert np.allclose(G2[l], f * G[l], rtol=1e-13, atol=0)


def test_multi_instant_update_is_sum_of_normalised_instants(deep_record):
    out = deep_record.output
    observed = out.times[0, 0, : out.counts[0, 0]]
    desired = np.array([45.0, 70.0, 85.0])
    rates = (5.0, 20.0, 100.0)
    dW = normad_update(deep_record, padded_desired([[desired]]), rates, sim=SimParams(T=100.0), params=PARAMS)
    t_e, s_e = error_instants(desired, observed, 0.1)
    assert t_e.size >= 3
    total = [np.zeros_like(d) for d in dW]
    for t, s in zip(t_e, s_e):
        one = run_backward(deep_record, *one_instant(t, s), rates)
        for l in range(3):
            total[l] += one[l]
    for l in range(3):
        assert np.allclose(dW[l], total[l], rtol=1e-12, atol=1e-12 * rates[l])


def test_output_neurons_are_normalised_separately():
    rec = multilayer_record((20, 10, 5, 2), seed=0)
    rates = np.array([1.0, 2.0, 3.0])
    err_t = np.array([[[70.0], [80.0]]])
    err_s = np.array([[[1], [-1]]], dtype=np.int8)
    both = run_backward(rec, err_t, err_s, rates)
    k0 = run_backward(rec, *one_instant(70.0, 1, n_out=2, k=0), rates)
    k1 = run_backward(rec, *one_instant(80.0, -1, n_out=2, k=1), rates)
    for l in range(3):
        assert np.allclose(both[l], k0[l] + k1[l], rtol=1e-12, atol=1e-12)
    # output layer: row k only, each of norm r_L
    assert np.all(k0[2][0, 1] == 0) and np.all(k1[2][0, 0] == 0)
    assert np.linalg.norm(k0[2][0, 0]) == pytest.approx(3.0, rel=1e-12)
    assert np.linalg.norm(k1[2][0, 1]) == pytest.approx(3.0, rel=1e-12)


@pytest.mark.parametrize("plastic", [(False, True, True), (True, False, True), (True, True, False),
                                     (False, False, True), (False, True, False)])
def test_frozen_layers_get_exactly_zero_and_others_unchanged(deep_record, plastic):
    rates = np.array([3.0, 7.0, 11.0])
    err_t = np.array([[[50.0, 70.0, 85.0]]])
    err_s = np.array([[[1, -1, 1]]], dtype=np.int8)
    full = run_backward(deep_record, err_t, err_s, rates)
    part = run_backward(deep_record, err_t, err_s, rates, plastic=plastic)
    for l in range(3):
        if plastic[l]:
            assert np.allclose(part[l], full[l], rtol=1e-13, atol=0)
            assert np.any(part[l] != 0)
        else:
            assert np.all(part[l] == 0.0)


def test_all_frozen_gives_zeros(deep_record):
    none = run_backward(deep_record, *one_instant(80.0), np.ones(3), plastic=(False, False, False))
    assert all(np.all(d == 0.0) for d in none)
    assert [d.shape for d in none] == [(1, 10, 20), (1, 5, 10), (1, 1, 5)]


def test_per_layer_rates_scale_each_layer_independently(deep_record):
    err_t = np.array([[[50.0, 70.0, 85.0]]])
    err_s = np.array([[[1, -1, 1]]], dtype=np.int8)
    base = run_backward(deep_record, err_t, err_s, np.array([1.0, 1.0, 1.0]))
    for l in range(3):
        rates = np.ones(3)
        rates[l] = 5.0
        scaled = run_backward(deep_record, err_t, err_s, rates)
        for m in range(3):
            f = 5.0 if m == l else 1.0
            assert np.allclose(scaled[m], f * base[m], rtol=1e-13, atol=0)
        rates[l] = 0.0
        zero = run_backward(deep_record, err_t, err_s, rates)
        assert np.all(zero[l] == 0.0)
        for m in range(3):
            if m != l:
                assert np.allclose(zero[m], base[m], rtol=1e-13, atol=0)


def test_hidden_gradient_vanishes_without_hidden_spikes_before_t(deep_record):
    # an instant before every spike of the last hidden layer: no path, zero update (no NaN)
    first = np.min(deep_record.layers[1].times)
    upd = run_backward(deep_record, *one_instant(first - 1e-3), np.ones(3))
    assert all(np.all(np.isfinite(d)) for d in upd)
    assert all(np.all(d == 0.0) for d in upd)


def test_vdot_min_clips_the_hidden_gradient():
    # layer 1 of this network has a spike with Vdot < 1 mV/ms (measured 0.96): the clip
    # changes the hidden gradient, and a tiny clip leaves the output layer unchanged
    lif = LIFParams(t_ref=1000.0)
    rec = multilayer_record((20, 10, 5, 1), seed=0, lif=lif)
    vd = rec.layers[0].vdot[np.isfinite(rec.layers[0].vdot)]
    assert vd.min() < 1.0
    g = {}
    for vm in (1.0, 1e-9):
        g[vm] = backward(rec, *one_instant(80.0), np.ones(3), np.ones(3, dtype=bool), lif=lif, syn=SYN,
                         params=NormADParams(tau_L_hat=10.0, vdot_min=vm), normalize=False)
    assert not np.allclose(g[1.0][0], g[1e-9][0], rtol=1e-6)
    assert np.array_equal(g[1.0][2], g[1e-9][2])


def test_backward_result_is_a_forward_record_shape_contract(deep_record):
    assert isinstance(deep_record, ForwardRecord)
    upd = run_backward(deep_record, *one_instant(80.0), np.ones(3))
    assert [u.shape for u in upd] == [W.shape for W in deep_record.weights]
    assert all(u.dtype == np.float64 for u in upd)


def test_coincidence_offset_centres_the_bins_on_grid_points():
    from normad_edu.normad import NormADParams, error_instants

    # default bins [n dt, (n+1) dt): a target on a grid point is its bin's left edge
    t, s = error_instants([25.0], [24.995], 0.1)
    assert list(s) == [-1, 1]
    assert error_instants([25.0], [25.06], 0.1)[1].size == 0
    # offset 0.5: bins centred on grid points, a symmetric +-dt/2 tolerance
    assert error_instants([25.0], [24.995], 0.1, 0.5)[1].size == 0
    assert list(error_instants([25.0], [25.06], 0.1, 0.5)[1]) == [1, -1]
    assert NormADParams(coincidence_offset=0.5).bins(SimParams(dt=0.1, T=40.0)) == (0.1, 0.5)
    with pytest.raises(ValueError, match="coincidence_offset"):
        NormADParams(coincidence_offset=1.0)
    with pytest.raises(ValueError, match="coincidence_offset"):
        NormADParams(coincidence_offset=-0.1)
