"""The latency levers of the generic experiment: V clamped at EL from below (``LIFParams.clamp_at_EL``) and the
setup fields behind the study levers (``DeepSetup.tau1/tau2/clamp_at_EL``).

The clamp's reference is an independent fine-step RK4 integration of the LIF equation with the current from
``kernels.alpha_kernel`` and ``V = max(V, EL)`` applied at the same 0.1 ms grid points."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from normad_edu.experiments import deep_problems
from normad_edu.kernels import alpha_kernel
from normad_edu.lif import simulate_layer, simulate_layer_reference
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import poisson_spike_trains, stack_padded
from normad_edu.research.identity import setup_hash, setup_identity
from normad_edu.research.study import LEVERS, setup_for
from normad_edu.setups import DeepSetup

SIM = SimParams(dt=0.1, T=100.0)
DEFAULT = "balanced+r_hidden_all-30+hidden1-0.1"


def balanced_inputs(seed: int, n: int = 20, rate: float = 60.0):
    """n Poisson trains and balanced weights (80 % U(0, 3 nA), 20 % -U(0, 12 nA)) for one neuron."""
    rng = np.random.default_rng(seed)
    pop = poisson_spike_trains(n, rate, SIM.T, rng)
    w = rng.uniform(0.0, 3000.0, n) * np.where(rng.random(n) < 0.8, 1.0, -4.0)
    return pop, w


def simulate(pop, w, lif, record_v=False):
    times, counts = stack_padded([pop])
    return simulate_layer(times, counts, np.asarray(w, dtype=float)[None, None, :], lif, SynapseParams(), SIM,
                          record_v=record_v)


def rk4_clamped_spikes(pop, w, lif, syn=SynapseParams(), h=1e-3):
    """Spike times (ms) from RK4 with step h, reset to EL held for t_ref, V = max(V, EL) at every grid point.

    The step in which a refractory period ends starts at its exact end (a shorter first piece)."""
    per_grid = int(round(SIM.dt / h))
    n = int(round(SIM.T / h))
    tf = np.concatenate([np.asarray(tr, dtype=float) for tr in pop])
    wf = np.concatenate([np.full(len(tr), wi) for wi, tr in zip(w, pop)])
    current = lambda t: alpha_kernel(np.subtract.outer(t, tf), syn.tau1, syn.tau2) @ wf  # noqa: E731
    on_grid = current(0.5 * h * np.arange(2 * n + 1))  # at step ends and midpoints
    V, held_until, spikes = lif.EL, -1.0, []
    for k in range(n):
        t_end = (k + 1) * h
        if t_end <= held_until:
            V = lif.EL
        else:
            t = max(k * h, held_until)
            if t > k * h:  # the refractory period ends inside this step
                V = lif.EL
                i0, i1, i2 = current(np.array([t, 0.5 * (t + t_end), t_end]))
            else:
                i0, i1, i2 = on_grid[2 * k:2 * k + 3]
            step = t_end - t
            f = lambda V, i: (-lif.gL * (V - lif.EL) + i) / lif.C  # noqa: E731
            k1 = f(V, i0)
            k2 = f(V + 0.5 * step * k1, i1)
            k3 = f(V + 0.5 * step * k2, i1)
            k4 = f(V + step * k3, i2)
            V_new = V + step * (k1 + 2 * k2 + 2 * k3 + k4) / 6
            if V_new >= lif.VT:
                t_cross = t + step * (lif.VT - V) / (V_new - V)
                spikes.append(t_cross)
                V_new, held_until = lif.EL, t_cross + lif.t_ref
            V = V_new
        if (k + 1) % per_grid == 0:
            V = max(V, lif.EL)
    return np.array(spikes)


def test_clamp_at_EL_must_be_a_bool():
    with pytest.raises(TypeError, match="clamp_at_EL"):
        LIFParams(clamp_at_EL="yes")
    assert LIFParams().clamp_at_EL is False


def test_clamped_layer_matches_a_fine_step_reference_and_differs_from_the_exact_model():
    lif = LIFParams(clamp_at_EL=True)
    pop, w = balanced_inputs(1, n=40)
    out = simulate(pop, w, lif)
    got = out.times[0, 0, :out.counts[0, 0]]
    ref = rk4_clamped_spikes(pop, w, lif)
    assert got.size == ref.size and got.size >= 5
    np.testing.assert_allclose(got, ref, atol=1e-5)
    free = simulate(pop, w, LIFParams())
    k = min(got.size, free.counts[0, 0])
    assert np.max(np.abs(got[:k] - free.times[0, 0, :k])) > 1.0  # the clamp moves spikes by ms: not vacuous


def test_clamped_potential_never_below_EL_on_the_grid_and_never_fires_later():
    for seed in range(4):
        pop, w = balanced_inputs(seed)
        clamped = simulate(pop, w, LIFParams(clamp_at_EL=True), record_v=True)
        free = simulate(pop, w, LIFParams(), record_v=True)
        assert np.all(clamped.v >= LIFParams().EL) and np.any(free.v < LIFParams().EL - 1.0)
        # clamping only raises V, and the dynamics are monotone in V: the first spike cannot come later
        assert clamped.times[0, 0, 0] <= free.times[0, 0, 0]


def test_only_inhibition_keeps_a_clamped_neuron_at_rest_on_every_grid_point():
    pop = [np.array([0.55, 3.21, 40.07])]
    out = simulate(pop, [-20000.0], LIFParams(clamp_at_EL=True), record_v=True)
    assert np.all(out.v == LIFParams().EL) and out.counts.sum() == 0


def test_without_inhibition_the_clamp_changes_nothing():
    pop, w = balanced_inputs(2)
    w = np.abs(w)
    a, b = simulate(pop, w, LIFParams(clamp_at_EL=True)), simulate(pop, w, LIFParams())
    assert a.counts[0, 0] > 0
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.vdot, b.vdot)


def test_latency_levers_set_the_network_and_keep_every_earlier_hash():
    assert setup_hash(replace(DeepSetup(), tau1=5.0, tau2=1.25, clamp_at_EL=False)) == setup_hash(DeepSetup())
    for name in ("tau2-0.5", "syn-fast", "clamp-EL", "a1-4.5", "a1-6", "a1-9"):
        s = setup_for(f"{DEFAULT}+{name}")
        assert setup_hash(s) != setup_hash(DeepSetup()), name
        ex = deep_problems("all", n_runs=1, seed=1, setup=s)
        assert (ex.syn.tau1, ex.syn.tau2, ex.lif.clamp_at_EL) == (s.tau1, s.tau2, s.clamp_at_EL)
        for f, v in LEVERS[name].changes.items():
            assert f in setup_identity(s) and getattr(s, f) == v
    # a larger layer-1 scale keeps the balance: inhibitory weights from -U(0, 4 a_1), mean weight ~0
    W1 = deep_problems("all", n_runs=20, seed=1, setup=setup_for(f"{DEFAULT}+a1-9")).weights[0]
    assert W1.min() < -30_000 and abs(W1.mean()) < 0.02 * 9000
    with pytest.raises(ValueError, match="tau1"):
        DeepSetup(tau1=1.0, tau2=1.25)


def test_the_readable_simulator_clamps_like_the_compiled_one():
    """lif.simulate_layer_reference with clamp_at_EL gives the compiled simulator's spikes and V(t)."""
    rng = np.random.default_rng(7)
    sim, lif = SimParams(T=80.0), LIFParams(clamp_at_EL=True)
    x_t, x_c = stack_padded([poisson_spike_trains(20, 40.0, sim.T, rng) for _ in range(2)])
    W = rng.uniform(-1.0, 0.6, (2, 6, 20)) * 6000.0        # strong inhibition: V is pushed below rest
    ref = simulate_layer_reference(x_t, x_c, W, lif, SynapseParams(), sim, record_v=True)
    fast = simulate_layer(x_t, x_c, W, lif, SynapseParams(), sim, record_v=True)
    np.testing.assert_array_equal(ref.counts, fast.counts)
    assert ref.counts.sum() > 0 and ref.v.min() >= lif.EL - 1e-9 and fast.v.min() >= lif.EL - 1e-9
    K = fast.times.shape[-1]
    np.testing.assert_allclose(ref.times[..., :K], fast.times, rtol=1e-9)
    np.testing.assert_allclose(ref.v, fast.v, rtol=1e-9, atol=1e-7)
    unclamped = simulate_layer(x_t, x_c, W, LIFParams(), SynapseParams(), sim, record_v=True)
    assert unclamped.v.min() < LIFParams().EL - 1.0                # the clamp had work to do
