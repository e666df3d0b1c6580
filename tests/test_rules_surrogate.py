"""Tests for normad_edu.surrogate: the discretised model, BPTT against torch autograd of the same model, a
one-step hand derivation, and the rule inside train()."""

from __future__ import annotations

import numpy as np
import pytest

from normad_edu.network import forward
from normad_edu.normad import error_instants
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import poisson_spike_train, poisson_spike_trains, stack_padded
from normad_edu.surrogate import (Grid, SurrogateParams, bin_spikes, fast_sigmoid_derivative, simulate,
                                  surrogate_gradient, surrogate_rule, van_rossum_filter)
from normad_edu.training import TrainConfig, train

LIF, SYN = LIFParams(), SynapseParams()


def small_problem(seed=0, B=3, sizes=(10, 6, 2), T=60.0):
    rng = np.random.default_rng(seed)
    sim = SimParams(T=T)
    x = stack_padded([poisson_spike_trains(sizes[0], 80.0, T, rng) for _ in range(B)])
    d = stack_padded([[poisson_spike_train(40.0, T, rng, t_dead=2.0) for _ in range(sizes[-1])] for _ in range(B)])
    W = [rng.uniform(-500, 5000, (B, sizes[l + 1], sizes[l])) for l in range(len(sizes) - 1)]
    return x, d, W, sim


def test_discretised_model_follows_the_exact_simulator():
    rng = np.random.default_rng(3)
    sim = SimParams(T=200.0)
    x = stack_padded([poisson_spike_trains(20, 30.0, sim.T, rng) for _ in range(3)])
    W = [rng.uniform(0, 2500, (3, 4, 20))]
    rec = forward(x, W, LIF, SYN, sim)
    s = simulate(bin_spikes(*x, sim), W, Grid.of(LIF, SYN, sim)).s[0]
    assert s.sum() == pytest.approx(rec.output.counts.sum(), rel=0.1)
    close = total = 0
    for b, j in np.ndindex(3, 4):
        exact = rec.output.times[b, j, :rec.output.counts[b, j]]
        grid = (np.flatnonzero(s[:, b, j]) + 1) * sim.dt  # a spike in step n is seen at its end
        total += exact.size
        close += sum(np.abs(grid - t).min() <= 0.35 for t in exact) if grid.size else 0
    assert close >= 0.9 * total


def test_one_step_by_hand():
    """T = dt: v = W (E1 - E2), s = H(v - theta), E = dt/(2 tau_vr) (s - 1)^2 for one desired spike."""
    sim = SimParams(dt=0.1, T=0.1)
    opts = SurrogateParams(slope=5.0, tau_vr=4.0)
    grid = Grid.of(LIF, SYN, sim)
    x = stack_padded([[np.array([0.0])]])
    d = stack_padded([[np.array([0.05])]])
    for w in (1000.0, 2.0e6):  # below and above threshold
        v = w * (grid.E1 - grid.E2)
        s = float(v >= LIF.theta)
        g, loss = surrogate_gradient(x, [np.array([[[w]]])], d, lif=LIF, syn=SYN, sim=sim, options=opts)
        sigma = 1.0 / (LIF.theta * (1 + opts.slope * abs(v - LIF.theta) / LIF.theta) ** 2)
        assert loss[0] == pytest.approx(sim.dt / (2 * opts.tau_vr) * (s - 1) ** 2, abs=1e-15)
        assert g[0][0, 0, 0] == pytest.approx(sim.dt / opts.tau_vr * (s - 1) * sigma * (grid.E1 - grid.E2),
                                              rel=1e-12, abs=1e-300)
    assert fast_sigmoid_derivative(np.array([LIF.theta]), LIF.theta, 25.0)[0] == pytest.approx(1 / LIF.theta)


def test_van_rossum_filter_is_the_exponential_trace():
    s = np.zeros((6, 1))
    s[1, 0] = s[3, 0] = 1.0
    y = van_rossum_filter(s, 0.5)[:, 0]
    np.testing.assert_allclose(y, [0, 1, 0.5, 1.25, 0.625, 0.3125])


def torch_gradient(x, d, W, sim, opts):
    """The same discretised model in torch; autograd with the fast sigmoid as the spike's backward."""
    torch = pytest.importorskip("torch")
    grid = Grid.of(LIF, SYN, sim)

    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return (v >= grid.theta).to(v.dtype)

        @staticmethod
        def backward(ctx, g):
            (v,) = ctx.saved_tensors
            return g / (grid.theta * (1 + opts.slope * torch.abs(v - grid.theta) / grid.theta) ** 2)

    xs = torch.tensor(bin_spikes(*x, sim), dtype=torch.float64)
    ds = torch.tensor(bin_spikes(*d, sim), dtype=torch.float64)
    Wt = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in W]
    B = xs.shape[1]
    state = [dict(u=torch.zeros(B, w.shape[1], dtype=torch.float64), I1=torch.zeros(B, w.shape[1], dtype=torch.float64),
                  I2=torch.zeros(B, w.shape[1], dtype=torch.float64), ref=torch.zeros(B, w.shape[1], dtype=torch.long))
             for w in W]
    a = float(np.exp(-sim.dt / opts.tau_vr))
    yo = torch.zeros(B, W[-1].shape[1], dtype=torch.float64)
    yd = torch.zeros_like(yo)
    E = torch.zeros((), dtype=torch.float64)
    for n in range(xs.shape[0]):
        s = xs[n]
        for w, st in zip(Wt, state):
            inc = torch.einsum("bji,bi->bj", w, s)
            I1, I2 = st["I1"] + inc, st["I2"] + inc
            free = (st["ref"] == 0).to(torch.float64)
            v = free * (st["u"] * grid.eL + I1 * grid.E1 - I2 * grid.E2)
            st["ref"] = torch.clamp(st["ref"] - 1, min=0)
            st["I1"], st["I2"] = I1 * grid.e1, I2 * grid.e2
            s = Spike.apply(v)
            st["u"] = v * (1 - (s.detach() if opts.detach_reset else s))
            st["ref"] = torch.where(s > 0, grid.n_ref, st["ref"])
        yo, yd = a * yo + s, a * yd + ds[n]
        E = E + sim.dt / (2 * opts.tau_vr) * ((yo - yd) ** 2).sum()
    E.backward()
    return [w.grad.numpy() for w in Wt], float(E.detach())


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("detach_reset, slope", [(True, 25.0), (False, 25.0), (True, 3.0)])
def test_bptt_equals_torch_autograd_of_the_same_model(detach_reset, slope, compiled):
    x, d, W, sim = small_problem()
    opts = SurrogateParams(slope=slope, detach_reset=detach_reset)
    want, E = torch_gradient(x, d, W, sim, opts)
    got, loss = surrogate_gradient(x, W, d, lif=LIF, syn=SYN, sim=sim, options=opts, compiled=compiled)
    assert loss.sum() == pytest.approx(E, rel=1e-12)
    assert simulate(bin_spikes(*x, sim), W, Grid.of(LIF, SYN, sim)).s[-1].sum() > 5  # the outputs do spike
    for g, t in zip(got, want):
        assert np.abs(t).max() > 0
        np.testing.assert_allclose(g, t, rtol=1e-10, atol=1e-10 * np.abs(t).max())


@pytest.mark.parametrize("detach_reset", [True, False])
def test_compiled_twin_equals_the_numpy_loops(detach_reset):
    """Without torch too: the compiled kernels and the readable NumPy loops give the same loss and gradients."""
    x, d, W, sim = small_problem(seed=7, B=2, sizes=(12, 8, 5, 2), T=80.0)
    opts = SurrogateParams(slope=10.0, detach_reset=detach_reset)
    ref, loss_ref = surrogate_gradient(x, W, d, sim=sim, options=opts, compiled=False)
    got, loss = surrogate_gradient(x, W, d, sim=sim, options=opts)
    np.testing.assert_allclose(loss, loss_ref, rtol=1e-13)
    for a, b in zip(got, ref):
        assert np.abs(b).max() > 0
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12 * np.abs(b).max())


def test_params_are_validated():
    with pytest.raises(ValueError, match="slope"):
        SurrogateParams(slope=0.0)
    with pytest.raises(ValueError, match="tau_vr"):
        SurrogateParams(tau_vr=-1.0)
    with pytest.raises(TypeError, match="detach_reset"):
        SurrogateParams(detach_reset="yes")
    with pytest.raises(ValueError, match="step"):
        SurrogateParams(step="adam")


def test_rule_is_a_step_along_the_surrogate_gradient():
    x, d, W, sim = small_problem(B=2)
    from normad_edu.network import ForwardRecord
    rec = forward(x, W, LIF, SYN, sim)
    assert isinstance(rec, ForwardRecord)
    g, _ = surrogate_gradient(x, W, d, sim=sim)
    raw = surrogate_rule(rec, d, [2.0, 3.0], sim=sim, options=SurrogateParams(step="gradient"))
    unit = surrogate_rule(rec, d, [2.0, 3.0], [True, False], sim=sim, options=SurrogateParams(step="normalized"))
    per_error = surrogate_rule(rec, d, [2.0, 3.0], [True, False], sim=sim)  # the default step
    for l, r in enumerate((2.0, 3.0)):
        np.testing.assert_allclose(raw[l], -r * g[l], rtol=1e-12)
    norm = np.linalg.norm(g[0], axis=(1, 2))[:, None, None]
    np.testing.assert_allclose(unit[0], -2.0 * g[0] / norm, rtol=1e-12)
    n_e = [sum(error_instants(d[0][b, k, :d[1][b, k]], rec.output.times[b, k, :rec.output.counts[b, k]])[0].size
               for k in range(2)) for b in range(2)]
    assert min(n_e) > 0
    np.testing.assert_allclose(per_error[0], np.array(n_e)[:, None, None] * unit[0], rtol=1e-12)
    assert not unit[1].any() and not per_error[1].any()


def test_rule_trains_a_single_neuron_in_train():
    rng = np.random.default_rng(0)
    sim = SimParams(T=200.0)
    inputs = [[poisson_spike_trains(60, 20.0, sim.T, rng)] for _ in range(2)]
    desired = [[[poisson_spike_train(15.0, sim.T, rng, t_dead=2.0)]] for _ in range(2)]
    res = train(inputs, desired, [np.zeros((2, 1, 60))], TrainConfig(rates=(300.0,), max_iter=40, mode="batch"),
                sim=sim, update=surrogate_rule, progress=False)
    assert (res.correlation[0] == 0).all()  # silent at first
    assert (res.correlation[-10:, :, 0].mean(axis=0) > 0.3).all()  # the correlation is noisy, its mean rises
