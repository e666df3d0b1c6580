"""Tests for normad_edu.eventprop: the closed-form potential, the loss, and the exact gradient against
central finite differences of the event-driven simulator (resets and several spikes per neuron included)."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from normad_edu.eventprop import EventPropParams, eventprop_gradient, eventprop_rule, potential, spike_time_loss
from normad_edu.kernels import psi_kernel
from normad_edu.network import forward
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikeprop import EXTRA, MISSED, PAIRED, SpikeTimeLoss, spike_errors
from normad_edu.spikes import poisson_spike_train, poisson_spike_trains, stack_padded
from normad_edu.training import TrainConfig, train

SYN = SynapseParams()
LIF = LIFParams()  # t_ref = 2 ms: neurons reset and fire again
SIM = SimParams(T=100.0)


def padded(trains_per_problem):
    return stack_padded([[np.asarray(t, dtype=float) for t in p] for p in trains_per_problem])


def busy_network(seed=1):
    """12 -> 6 -> 2, several spikes per neuron in both layers."""
    rng = np.random.default_rng(seed)
    x = poisson_spike_trains(12, 60.0, 70.0, rng)
    W = [rng.uniform(0, 50000 / 12, (1, 6, 12)), rng.uniform(-2000, 10000, (1, 2, 6))]
    rec = forward(x, W, LIF, SYN, SIM)
    assert rec.layers[0].counts.min() >= 2 and rec.output.counts.min() >= 2
    return x, W, rec


def finite_differences(x, W, desired, lif, sim, h=1e-3, loss=SpikeTimeLoss()):
    """Central differences of spike_time_loss for every weight, all perturbed networks in one batched pass."""
    where = [(l, idx) for l, w in enumerate(W) for idx in np.ndindex(w.shape[1:])]
    values = []
    for sign in (1.0, -1.0):
        stacked = [np.repeat(w, len(where), axis=0) for w in W]
        for q, (l, idx) in enumerate(where):
            stacked[l][(q,) + idx] += sign * h
        rec = forward(x, stacked, lif, SYN, sim)
        base = forward(x, W, lif, SYN, sim)
        for lay, b in zip(rec.layers, base.layers):
            assert (lay.counts == b.counts).all(), "a nudge changed a spike count: no derivative there"
        rep = tuple(np.repeat(a, len(where), axis=0) for a in desired)
        values.append(spike_time_loss(rec, rep, lif=lif, sim=sim, loss=loss))
    fd = [np.zeros(w.shape) for w in W]
    for q, (l, idx) in enumerate(where):
        fd[l][(0,) + idx] = (values[0][q] - values[1][q]) / (2 * h)
    return fd


def test_potential_is_the_simulated_membrane():
    x, W, rec = busy_network()
    v = forward(x, W, LIF, SYN, SIM, record_v=True).output.v
    for k in range(2):
        for n in range(1, SIM.n_steps, 7):
            assert potential(rec, 0, k, n * SIM.dt, lif=LIF) == pytest.approx(v[0, k, n] - LIF.EL, abs=1e-9)


def test_loss_of_hand_made_cases():
    x, W, rec = busy_network()
    t = rec.output.times[0, 0, :rec.output.counts[0, 0]]
    u = rec.output.times[0, 1, :rec.output.counts[0, 1]]
    loss = SpikeTimeLoss(window=1.0, kappa_missed=0.5, kappa_extra=3.0)
    # neuron 0: every spike paired 0.3 ms later; neuron 1: no desired spike (all extra) but one missed at 2 ms
    desired = padded([[t + 0.3, [2.0]]])
    kinds = spike_errors(rec, *desired, loss.window).kind
    assert (kinds == PAIRED).sum() == t.size and (kinds == EXTRA).sum() == u.size and (kinds == MISSED).sum() == 1
    expected = 0.5 * 0.3 ** 2 * t.size + 3.0 * (SIM.T - u).sum() + 0.5 * (LIF.theta - potential(rec, 0, 1, 2.0))
    assert spike_time_loss(rec, desired, lif=LIF, sim=SIM, loss=loss)[0] == pytest.approx(expected, rel=1e-12)


def test_gradient_equals_finite_differences_with_resets():
    x, W, rec = busy_network()
    t0 = rec.output.times[0, 0, :rec.output.counts[0, 0]]
    t1 = rec.output.times[0, 1, :rec.output.counts[0, 1]]
    # neuron 0: first spike paired (1.2 ms early), the others extra; neuron 1: pairs, and a missed desired spike
    # in a gap between its spikes (not refractory there)
    gap = int(np.argmax(np.diff(t1)))
    missed = 0.5 * (t1[gap] + t1[gap + 1])
    assert t1[gap + 1] - t1[gap] > 8.0
    desired = padded([[[t0[0] - 1.2], np.sort(np.concatenate([t1 + 0.7, [missed]]))]])
    loss = SpikeTimeLoss(window=3.0)
    kinds = spike_errors(rec, *desired, loss.window).kind
    assert {PAIRED, MISSED, EXTRA} <= set(kinds.tolist())
    g = eventprop_gradient(rec, desired, lif=LIF, sim=SIM, options=EventPropParams(loss=loss))
    fd = finite_differences(x, W, desired, LIF, SIM, loss=loss)
    for a, b in zip(g, fd):
        assert np.abs(b).max() > 0
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6 * np.abs(b).max())


def test_one_neuron_several_spikes_and_one_spike_analytic():
    rng = np.random.default_rng(4)
    x = poisson_spike_trains(20, 50.0, 90.0, rng)
    W = [rng.uniform(0, 3500.0, (1, 1, 20))]
    rec = forward(x, W, LIF, SYN, SIM)
    n = rec.output.counts[0, 0]
    assert n >= 3
    t = rec.output.times[0, 0, :n]
    desired = padded([[t + np.linspace(-2, 2, n)]])
    g = eventprop_gradient(rec, desired, lif=LIF, sim=SIM)
    np.testing.assert_allclose(g[0], finite_differences(x, W, desired, LIF, SIM)[0], rtol=1e-5)
    # only the first spike in the loss: no reset before it, so dE/dW = (t_o - t_d) (-dV/dW) / Vdot
    first = padded([[[t[0] - 1.0]]])
    loss = SpikeTimeLoss(window=1.5, kappa_extra=0.0)  # the later spikes are extra but weigh nothing
    g1 = eventprop_gradient(rec, first, lif=LIF, sim=SIM, options=EventPropParams(loss=loss))[0][0, 0]
    dV_dW = np.array([psi_kernel(t[0] - tr, SYN.tau1, SYN.tau2, LIF.C, LIF.tau_L).sum() for tr in x])
    np.testing.assert_allclose(g1, 1.0 * (-dV_dW / rec.output.vdot[0, 0, 0]), rtol=1e-12)


def test_params_are_validated_and_the_clip_only_shrinks_steps():
    with pytest.raises(ValueError, match="vdot_min"):
        EventPropParams(vdot_min=-1.0)
    with pytest.raises(ValueError, match="step"):
        EventPropParams(step="sgd")
    with pytest.raises(TypeError, match="options"):
        eventprop_gradient(busy_network()[2], padded([[[1.0], [2.0]]]), lif=LIF, sim=SIM, options=SpikeTimeLoss())
    x, W, rec = busy_network()
    desired = padded([[[10.0, 50.0], [30.0]]])
    exact = eventprop_gradient(rec, desired, lif=LIF, sim=SIM)
    clipped = eventprop_gradient(rec, desired, lif=LIF, sim=SIM, options=EventPropParams(vdot_min=1e6))
    for a, b in zip(clipped, exact):  # with a huge clip only the missed-spike probes' terms remain
        assert np.abs(a).sum() < np.abs(b).sum()


def test_a_small_step_of_the_rule_lowers_the_loss():
    x, W, rec = busy_network()
    desired = padded([[[15.0, 40.0, 62.0], [25.0, 50.0]]])
    E0 = spike_time_loss(rec, desired, lif=LIF, sim=SIM)[0]
    dW = eventprop_rule(rec, desired, 1.0, lif=LIF, sim=SIM, options=EventPropParams(step="normalized"))
    after = forward(x, [w + dw for w, dw in zip(W, dW)], LIF, SYN, SIM)
    assert [lay.counts.tolist() for lay in after.layers] == [lay.counts.tolist() for lay in rec.layers]
    g = eventprop_gradient(rec, desired, lif=LIF, sim=SIM)
    norms = [np.linalg.norm(a) for a in g]
    predicted = -sum(n for n in norms)  # first order: dE = sum_l g^l . dW^l = -1 pA * sum_l ||g^l||
    assert spike_time_loss(after, desired, lif=LIF, sim=SIM)[0] - E0 == pytest.approx(predicted, rel=1e-2)


def test_rule_raises_the_correlation_in_train():
    rng = np.random.default_rng(0)
    sim = SimParams(T=200.0)
    inputs = [[poisson_spike_trains(60, 20.0, sim.T, rng)] for _ in range(2)]
    desired = [[[poisson_spike_train(15.0, sim.T, rng, t_dead=2.0)]] for _ in range(2)]
    rule = functools.partial(eventprop_rule, options=EventPropParams(step="normalized"))
    res = train(inputs, desired, [np.zeros((2, 1, 60))], TrainConfig(rates=(1000.0,), max_iter=40, mode="batch"),
                sim=sim, update=rule, progress=False)
    assert (res.correlation[-1].mean(axis=1) > res.correlation[0].mean(axis=1) + 0.5).all()
