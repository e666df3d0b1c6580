"""Tests for normad_edu.spikeprop: pairing, the gradient in the cases where it is exact, NormAD's hidden
lines, and the rule inside train()."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from normad_edu.eventprop import EventPropParams, eventprop_gradient, spike_time_loss
from normad_edu.kernels import psi_kernel
from normad_edu.network import forward
from normad_edu.normad import NormADParams, normad_update
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikeprop import (EXTRA, MISSED, PAIRED, SpikePropParams, SpikeTimeLoss, pair_spikes, spike_errors,
                                  spikeprop_gradient, spikeprop_rule)
from normad_edu.spikes import poisson_spike_train, poisson_spike_trains, stack_padded
from normad_edu.training import TrainConfig, train

SYN = SynapseParams()
EXACT = SpikePropParams(vdot_min=1e-12)  # no clip: the pure gradient


def padded(trains_per_problem):
    return stack_padded([[np.asarray(t, dtype=float) for t in p] for p in trains_per_problem])


@pytest.mark.parametrize("d, o, window, expected", [
    ([10.0], [12.0], 5.0, ([(0, 0)], [], [])),
    ([10.0], [16.0], 5.0, ([], [0], [0])),
    ([10.0], [6.0, 12.0], 5.0, ([(0, 0)], [], [1])),  # greedy: earliest with earliest
    ([], [3.0, 9.0], 5.0, ([], [], [0, 1])),
    ([3.0, 9.0], [], 5.0, ([], [0, 1], [])),
    ([5.0, 30.0, 31.0], [29.0, 40.0], 2.0, ([(1, 0)], [0, 2], [1])),
])
def test_pair_spikes_examples(d, o, window, expected):
    assert pair_spikes(d, o, window) == expected


def test_pair_spikes_uses_every_spike_once_and_pairs_only_within_the_window():
    rng = np.random.default_rng(5)
    for _ in range(200):
        d = np.sort(rng.uniform(0, 100, rng.integers(0, 8)))
        o = np.sort(rng.uniform(0, 100, rng.integers(0, 8)))
        w = rng.uniform(0.5, 20)
        pairs, missed, extra = pair_spikes(d, o, w)
        assert sorted([i for i, _ in pairs] + missed) == list(range(d.size))
        assert sorted([j for _, j in pairs] + extra) == list(range(o.size))
        assert all(abs(o[j] - d[i]) <= w for i, j in pairs)


def one_neuron_one_spike(seed=0, T=60.0):
    """A 30 -> 1 neuron that fires exactly once (long refractory period)."""
    rng = np.random.default_rng(seed)
    x = poisson_spike_trains(30, 40.0, 0.5 * T, rng)
    lif, sim = LIFParams(t_ref=1000.0), SimParams(T=T)
    W = [rng.uniform(0, 4000.0, (1, 1, 30))]
    rec = forward(x, W, lif, SYN, sim)
    assert rec.output.counts[0, 0] == 1
    return x, W, rec, lif, sim


def test_one_layer_one_spike_is_minus_dV_dW_over_vdot():
    x, W, rec, lif, sim = one_neuron_one_spike()
    t_o, vdot = rec.output.times[0, 0, 0], rec.output.vdot[0, 0, 0]
    t_d = t_o + 1.5
    g = spikeprop_gradient(rec, padded([[[t_d]]]), lif=lif, sim=sim, options=EXACT)[0][0, 0]
    dV_dW = np.array([psi_kernel(t_o - tr, SYN.tau1, SYN.tau2, lif.C, lif.tau_L).sum() for tr in x])
    np.testing.assert_allclose(g, (t_o - t_d) * (-dV_dW / vdot), rtol=1e-12)
    # ... and the spike really moves by -dV/Vdot: finite differences of the simulated spike time
    h = 1e-3
    for i in (0, 7, 19):
        shifted = []
        for s in (h, -h):
            W2 = W[0].copy()
            W2[0, 0, i] += s
            shifted.append(forward(x, [W2], lif, SYN, sim).output.times[0, 0, 0])
        np.testing.assert_allclose((shifted[0] - shifted[1]) / (2 * h), -dV_dW[i] / vdot, rtol=1e-6)


def single_spike_network(seed=2):
    """12 -> 6 -> 2 with a refractory period longer than T: every neuron fires at most once (SpikeProp's setting)."""
    rng = np.random.default_rng(seed)
    lif, sim = LIFParams(t_ref=500.0), SimParams(T=80.0)
    x = poisson_spike_trains(12, 60.0, 40.0, rng)
    W = [rng.uniform(0, 6000.0, (1, 6, 12)), rng.uniform(-1000, 12000.0, (1, 2, 6))]
    rec = forward(x, W, lif, SYN, sim)
    assert rec.layers[0].counts.max() == 1 and rec.layers[0].counts.sum() >= 4
    assert rec.output.counts.tolist() == [[1, 1]]
    return x, W, rec, lif, sim


def test_with_one_spike_per_neuron_spikeprop_is_the_exact_gradient():
    x, W, rec, lif, sim = single_spike_network()
    t = rec.output.times[0, :, 0]
    # one pair each, and a missed spike before the output fires (after it, the neuron is refractory: V = EL
    # exactly, which the no-reset kernel of SpikeProp does not know)
    desired = padded([[[t[0] + 2.0], [t[1] - 8.0, t[1] - 1.0]]])
    errs = spike_errors(rec, *desired, 5.0)
    assert sorted(errs.kind.tolist()) == [PAIRED, PAIRED, MISSED]
    sp = spikeprop_gradient(rec, desired, lif=lif, sim=sim, options=EXACT)
    ep = eventprop_gradient(rec, desired, lif=lif, sim=sim)
    for a, b in zip(sp, ep):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.abs(b).max())
    # and both are the finite differences of the simulated loss
    h = 1e-3
    for l, idx in ((0, (0, 2, 3)), (0, (0, 4, 0)), (1, (0, 0, 1)), (1, (0, 1, 5))):
        vals = []
        for s in (h, -h):
            W2 = [w.copy() for w in W]
            W2[l][idx] += s
            vals.append(spike_time_loss(forward(x, W2, lif, SYN, sim), desired, lif=lif, sim=sim)[0])
        np.testing.assert_allclose((vals[0] - vals[1]) / (2 * h), sp[l][idx], rtol=1e-5, atol=1e-9)


def test_hidden_lines_are_normads_for_a_silent_output():
    """All desired spikes missed: E = kappa_m sum (VT - Vhat(t_d)), so dE/dW = -kappa_m * NormAD's raw G."""
    rng = np.random.default_rng(1)
    lif, sim = LIFParams(), SimParams(T=100.0)
    x = [poisson_spike_trains(15, 50.0, 60.0, rng) for _ in range(2)]
    W = [rng.uniform(0, 5000.0, (2, 8, 15)), rng.uniform(0, 10.0, (2, 1, 8))]  # output far below threshold
    rec = forward(x, W, lif, SYN, sim)
    assert rec.output.counts.sum() == 0 and rec.layers[0].counts.sum() > 10
    desired = padded([[[40.0, 70.0]], [[55.0]]])
    opts = SpikePropParams(tau_L_hat=2.5, vdot_min=1.0, loss=SpikeTimeLoss(kappa_missed=0.7))
    sp = spikeprop_gradient(rec, desired, lif=lif, sim=sim, options=opts)
    G = normad_update(rec, desired, 1.0, lif=lif, sim=sim, params=NormADParams(tau_L_hat=2.5, vdot_min=1.0),
                      normalize=False)
    for a, b in zip(sp, G):
        assert np.abs(b).max() > 0
        np.testing.assert_allclose(a, -0.7 * b, rtol=1e-9, atol=1e-12 * np.abs(b).max())


def test_extra_spike_gradient_and_frozen_layers():
    x, W, rec, lif, sim = single_spike_network()
    desired = padded([[[], []]])  # both output spikes are extra
    errs = spike_errors(rec, *desired, 5.0)
    assert errs.kind.tolist() == [EXTRA, EXTRA]
    sp = spikeprop_gradient(rec, desired, lif=lif, sim=sim, options=EXACT)
    ep = eventprop_gradient(rec, desired, lif=lif, sim=sim, options=EventPropParams())
    for a, b in zip(sp, ep):
        np.testing.assert_allclose(a, b, rtol=1e-9)
    dW = spikeprop_rule(rec, desired, 10.0, [False, True], lif=lif, sim=sim, options=SpikePropParams(step="gradient"))
    assert not dW[0].any()
    np.testing.assert_allclose(dW[1], -10.0 * sp[1], rtol=1e-12)
    unit = spikeprop_rule(rec, desired, 10.0, [False, True], lif=lif, sim=sim,
                          options=SpikePropParams(step="normalized"))
    np.testing.assert_allclose(unit[1], -10.0 * sp[1] / np.linalg.norm(sp[1]), rtol=1e-12)  # a 10 pA step
    per_error = spikeprop_rule(rec, desired, 10.0, [False, True], lif=lif, sim=sim)  # the default: 10 pA per error
    np.testing.assert_allclose(per_error[1], 2 * unit[1], rtol=1e-12)
    # gradient descent lowers the output potential (the extra spikes move later): no output weight grows
    assert (dW[1] <= 0).all() and (dW[1] < 0).sum() >= 4


def test_per_error_step_is_normads_step_length_and_stops_when_the_output_is_right():
    x, W, rec, lif, sim = single_spike_network()
    t = rec.output.times[0, :, 0]
    opts = SpikePropParams(step="per-error")
    # both outputs 1 ms late and a missed spike: 2 x 2 + 1 = 5 NormAD error instants
    desired = padded([[[t[0] - 1.0], [2.0, t[1] - 1.0]]])
    g = spikeprop_gradient(rec, desired, lif=lif, sim=sim)
    dW = spikeprop_rule(rec, desired, 10.0, lif=lif, sim=sim, options=opts)
    for a, b in zip(dW, g):
        np.testing.assert_allclose(a, -10.0 * 5 * b / np.linalg.norm(b), rtol=1e-12)
    # outputs 0.02 ms from the targets, in the same 0.1 ms bins (coincidence): no error instant, no update,
    # although the spike-time gradient is not zero
    bins = np.floor(t / sim.dt) * sim.dt
    near = np.where(t - bins > 0.05, t - 0.02, t + 0.02)
    desired = padded([[[near[0]], [near[1]]]])
    assert all(np.abs(a).max() > 0 for a in spikeprop_gradient(rec, desired, lif=lif, sim=sim))
    assert not any(a.any() for a in spikeprop_rule(rec, desired, 10.0, lif=lif, sim=sim, options=opts))


def test_params_and_arguments_are_validated():
    with pytest.raises(ValueError, match="window"):
        SpikeTimeLoss(window=0.0)
    with pytest.raises(ValueError, match="kappa_missed"):
        SpikeTimeLoss(kappa_missed=-1.0)
    with pytest.raises(ValueError, match="vdot_min"):
        SpikePropParams(vdot_min=0.0)
    with pytest.raises(ValueError, match="step"):
        SpikePropParams(step="adam")
    with pytest.raises(TypeError, match="loss"):
        SpikePropParams(loss=3.0)
    with pytest.raises(TypeError, match="ForwardRecord"):
        spikeprop_rule("record", padded([[[1.0]]]), 1.0)
    _, _, rec, lif, sim = one_neuron_one_spike()
    with pytest.raises(ValueError, match="rates"):
        spikeprop_rule(rec, padded([[[1.0]]]), [1.0, 2.0], lif=lif, sim=sim)


@pytest.mark.parametrize("step, rate", [("gradient", 1e5), ("normalized", 1000.0)])
def test_rule_trains_a_single_neuron_in_train(step, rate):
    rng = np.random.default_rng(0)
    sim = SimParams(T=200.0)
    inputs = [[poisson_spike_trains(60, 20.0, sim.T, rng)] for _ in range(2)]
    desired = [[[poisson_spike_train(15.0, sim.T, rng, t_dead=2.0)]] for _ in range(2)]
    rule = functools.partial(spikeprop_rule, options=SpikePropParams(step=step))
    res = train(inputs, desired, [np.zeros((2, 1, 60))], TrainConfig(rates=(rate,), max_iter=40, mode="batch"),
                sim=sim, update=rule, progress=False)
    assert (res.correlation[-1].mean(axis=1) > res.correlation[0].mean(axis=1) + 0.5).all()
