"""The readable NormAD core (normad_edu.normad, plain NumPy) against the
compiled engine (normad_edu._engine), and the engine's safety: desired
spikes are validated and every layer gets buffers of its own size.

The random networks are built so that every layer spikes (asserted), some
neurons are silent on purpose, the output layer has several neurons and
error instants of both signs exist, so the comparison cannot pass with
all-zero updates.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from normad_edu._engine.backward import pack_record
from normad_edu.network import forward
from normad_edu.normad import (
    Kernels,
    NormADParams,
    backward,
    backward_reference,
    d_hat,
    dhat_at,
    error_instants,
    layer_spikes,
    normad_update,
    normad_update_reference,
)
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import poisson_spike_trains, stack_padded

T = 100.0
SIM = SimParams(T=T)
LIF = LIFParams()
SYN = SynapseParams()
#: Hidden sizes by depth L (number of LIF layers); the output layer has N_OUT neurons.
HIDDEN = {1: (), 2: (12,), 3: (12, 8), 4: (12, 8, 6)}
N_IN, N_OUT = 25, 3


def random_problem(depth: int, seed: int, B: int):
    """A batch of B random depth-L networks that spike in every layer.

    Input 0 is silent, and neuron 0 of every hidden layer has an all-zero
    weight row (it never fires); W^1 drives the first hidden layer hard, later
    layers get mixed-sign weights. Desired: 0-4 random spikes per output
    neuron (neuron 1 of problem 0 has none)."""
    rng = np.random.default_rng(seed)
    sizes = (N_IN,) + HIDDEN[depth] + (N_OUT,)
    xs = []
    for _ in range(B):
        x = poisson_spike_trains(N_IN, 60.0, 0.7 * T, rng)
        x[0] = np.empty(0)
        xs.append(x)
    Ws = []
    for l in range(1, len(sizes)):
        drive = 35_000.0 if l == 1 else 70_000.0  # pA summed over the layer below
        W = rng.uniform(0.0, drive / sizes[l - 1], (B, sizes[l], sizes[l - 1]))
        if l > 1:
            W *= np.where(rng.random(W.shape) < 0.85, 1.0, -1.0)
        if l < len(sizes) - 1:
            W[:, 0, :] = 0.0  # a silent hidden neuron
        Ws.append(W)
    rec = forward(xs, Ws, LIF, SYN, SIM)
    desired = [[np.sort(rng.choice(np.arange(5.0, T, 0.1), size=rng.integers(0, 5), replace=False))
                for _ in range(N_OUT)] for _ in range(B)]
    desired[0][1] = np.empty(0)
    for b in range(B):
        for l, lay in enumerate(rec.layers, start=1):
            assert lay.counts[b].sum() > 0, f"layer {l} of problem {b} is silent: the test would be vacuous"
            if l < depth:
                assert lay.counts[b, 0] == 0 and lay.counts[b, 1:].sum() > 0
    assert rec.inputs.counts[:, 0].sum() == 0
    return rec, stack_padded(desired)


def assert_same(ref, eng):
    assert len(ref) == len(eng)
    for r, e in zip(ref, eng):
        assert r.shape == e.shape
        scale = np.abs(e).max()
        np.testing.assert_allclose(r, e, rtol=1e-9, atol=1e-12 * max(scale, 1e-300))


CONFIGS = [
    # (normalization, normalize, plastic pattern)
    ("layer", True, "all"),
    ("neuron", True, "all"),
    ("layer", False, "all"),
    ("layer", True, "frozen_first"),
    ("neuron", True, "frozen_output"),
    ("layer", True, "output_only"),
]


def plastic_flags(pattern: str, L: int) -> list[bool]:
    return {"all": [True] * L,
            "frozen_first": [False] + [True] * (L - 1),
            "frozen_output": [True] * (L - 1) + [False],
            "output_only": [False] * (L - 1) + [True]}[pattern]


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_readable_core_equals_compiled_engine(depth, seed):
    B = 1 if seed == 0 else 3  # B = 1 runs the engine's single-problem path, B = 3 the parallel batch
    rec, desired = random_problem(depth, seed, B)
    rates = list(np.arange(1.0, depth + 1.0) * 7.0)
    n_nonzero = 0
    for normalization, normalize, pattern in CONFIGS:
        plastic = plastic_flags(pattern, depth)
        if not any(plastic):
            continue
        kw = dict(lif=LIF, syn=SYN, sim=SIM, params=NormADParams(normalization=normalization), normalize=normalize)
        eng = normad_update(rec, desired, rates, plastic, **kw)
        ref = normad_update_reference(rec, desired, rates, plastic, **kw)
        assert_same(ref, eng)
        for l, (d, p) in enumerate(zip(eng, plastic)):
            if not p:
                assert not d.any(), f"frozen layer {l + 1} got an update"
        n_nonzero += sum(int(np.abs(d).max() > 0) for d in eng)
    # every plastic layer of every configuration learned something in at least one problem
    assert n_nonzero == sum(sum(plastic_flags(p, depth)) for _, _, p in CONFIGS)


def test_errors_of_both_signs_are_exercised():
    rec, desired = random_problem(3, 1, 3)
    signs = set()
    for b in range(3):
        for k in range(N_OUT):
            out = rec.output.times[b, k, : rec.output.counts[b, k]]
            signs |= set(error_instants(desired[0][b, k, : desired[1][b, k]], out, SIM.dt)[1].tolist())
    assert signs == {-1, 1}


def test_backward_reference_equals_backward_for_given_instants():
    rec, _ = random_problem(3, 4, 2)
    err_t = np.array([[[40.0, 75.0], [60.0, np.inf], [np.inf, np.inf]]] * 2)
    err_s = np.array([[[1, -1], [-1, 0], [0, 0]]] * 2, dtype=np.int8)
    for normalize in (True, False):
        kw = dict(lif=LIF, syn=SYN, params=NormADParams(), normalize=normalize)
        eng = backward(rec, err_t, err_s, np.ones(3), np.ones(3, dtype=bool), **kw)
        ref = backward_reference(rec, err_t, err_s, np.ones(3), np.ones(3, dtype=bool), **kw)
        assert all(np.abs(e).max() > 0 for e in eng)
        assert_same(ref, eng)


def test_dhat_at_equals_the_compiled_d_hat():
    rec, _ = random_problem(2, 0, 1)
    pre = layer_spikes(rec, 0, 0)
    t = np.array([0.0, 3.3, 17.0, 50.0, 99.9])
    kern = Kernels(SYN.tau1, SYN.tau2, LIF.C, 2.5)
    trains = [rec.inputs.times[0, i, : rec.inputs.counts[0, i]] for i in range(N_IN)]
    expected = d_hat(t, trains, tau_L_hat=2.5)
    got = dhat_at(t, pre, kern)
    assert np.abs(expected).max() > 0
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_layer_spikes_are_sorted_and_complete():
    rec, _ = random_problem(3, 0, 2)
    for l in range(3):
        s = layer_spikes(rec, l, 1)
        assert s.t.size == rec.spikes(l).counts[1].sum() and np.all(np.diff(s.t) >= 0)
        assert np.array_equal(np.bincount(s.neuron, minlength=s.n), rec.spikes(l).counts[1])


# --------------------------------------------------------------------------
# safety: desired spikes are validated (no out-of-bounds reads)
# --------------------------------------------------------------------------

def one_layer_record(n_in=10, seed=0):
    rng = np.random.default_rng(seed)
    x = poisson_spike_trains(n_in, 40.0, T, rng)
    return forward(x, [rng.uniform(0, 20_000.0 / n_in, (1, n_in))], LIF, SYN, SIM)


@pytest.mark.parametrize("update", [normad_update, normad_update_reference])
def test_desired_counts_and_times_are_validated(update):
    rec = one_layer_record()
    # a count far beyond the padded width used to read unallocated memory (segfault)
    with pytest.raises(ValueError, match=r"desired counts.*\[0, 1\].*100000000"):
        update(rec, (np.array([[[10.0]]]), np.array([[10**8]])), 1000.0, sim=SIM)
    with pytest.raises(ValueError, match=r"desired counts.*\[0, 1\]"):
        update(rec, (np.array([[[10.0]]]), np.array([[3]])), 1000.0, sim=SIM)
    with pytest.raises(ValueError, match="desired counts"):
        update(rec, (np.array([[[10.0]]]), np.array([[-1]])), 1000.0, sim=SIM)
    with pytest.raises(ValueError, match="desired counts"):
        update(rec, (np.array([[[10.0, 20.0]]]), np.array([[1.5]])), 1000.0, sim=SIM)
    for bad in (np.nan, np.inf, -1.0, T, T + 5.0):
        with pytest.raises(ValueError, match=r"desired spike times.*\[0, T\)"):
            update(rec, (np.array([[[10.0, bad]]]), np.array([[2]])), 1000.0, sim=SIM)
    with pytest.raises(ValueError, match="desired spike times must be sorted"):
        update(rec, (np.array([[[30.0, 20.0]]]), np.array([[2]])), 1000.0, sim=SIM)
    with pytest.raises(TypeError, match="desired"):
        update(rec, None, 1000.0, sim=SIM)
    # padding beyond the count may hold anything (inf, NaN, garbage)
    ok = update(rec, (np.array([[[60.0, np.nan, -4.0]]]), np.array([[1]])), 1000.0, sim=SIM)
    same = update(rec, (np.array([[[60.0]]]), np.array([[1]])), 1000.0, sim=SIM)
    assert np.array_equal(ok[0], same[0]) and np.abs(ok[0]).max() > 0


# --------------------------------------------------------------------------
# memory: each layer gets buffers of its own size, not (largest layer)^2
# --------------------------------------------------------------------------

def wide_record(n_in=5000, B=1):
    rng = np.random.default_rng(3)
    xs = [poisson_spike_trains(n_in, 5.0, T, rng) for _ in range(B)]
    Ws = [rng.uniform(0, 100.0, (B, 1, n_in)), np.full((B, 1, 1), 10_000.0)]
    return forward(xs, Ws, LIF, SYN, SIM)


def test_packed_buffers_are_per_layer():
    rec = wide_record(n_in=5000, B=2)
    packed = pack_record(rec)
    n = [5000, 1, 1]
    K = [rec.inputs.times.shape[2], rec.layers[0].times.shape[2]]
    assert packed.weights.shape == (2, 5000 * 1 + 1 * 1)  # not 2 x 5000^2
    assert packed.spike_t.shape == (2, n[1] * K[1])  # times of hidden layers only
    assert np.shares_memory(packed.input_t, rec.inputs.times)  # the inputs are read in place, not copied
    assert packed.spike_count.shape == (2, n[0] + n[1])
    assert packed.vdot.shape == (2, n[1] * K[1])  # Vdot of hidden layers only
    assert list(packed.layout.weight_offset) == [0, 5000, 5001]


def test_backward_allocates_per_layer_not_largest_layer_squared():
    rec = wide_record(n_in=5000)
    assert rec.layers[0].counts.sum() > 0
    err_t = np.array([[[50.0, 80.0]]])
    err_s = np.array([[[1, -1]]], dtype=np.int8)
    kw = dict(lif=LIF, syn=SYN, params=NormADParams())
    backward(rec, err_t, err_s, np.ones(2), np.ones(2, dtype=bool), **kw)  # compile / load before measuring
    tracemalloc.start()
    try:
        dW = backward(rec, err_t, err_s, np.ones(2), np.ones(2, dtype=bool), **kw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [d.shape for d in dW] == [(1, 1, 5000), (1, 1, 1)]
    assert np.abs(dW[0]).max() > 0
    # padding both weight matrices to 5000 x 5000 took 2 x 200 MB (weights and dW)
    inputs_bytes = rec.inputs.times.nbytes + rec.inputs.counts.nbytes
    assert peak < 8 * inputs_bytes + 2_000_000, peak
