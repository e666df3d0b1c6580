"""Tests for normad_edu.lif: the exact event-driven LIF layer.

Every reference here is computed independently of the simulator: the free
potential from ``kernels.psi_kernel`` (docs/method.md Sec. 2), the current from
``kernels.alpha_kernel`` and spike times from a fine-step RK4 integrator.
"""

from __future__ import annotations

import numpy as np
import pytest

from normad_edu.kernels import alpha_kernel, psi_kernel
from normad_edu.lif import LayerOutput, simulate_layer
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import poisson_spike_trains, stack_padded

SYN = SynapseParams()

# --------------------------------------------------------------------------
# independent references
# --------------------------------------------------------------------------


def current(t, pop, w, syn=SYN):
    """I(t) = sum_i w_i sum_f alpha(t - t_i^f) (pA), from alpha_kernel."""
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros_like(t)
    for wi, tr in zip(w, pop):
        for tf in tr:
            out += wi * alpha_kernel(t - tf, syn.tau1, syn.tau2)
    return out


def v_free(t, pop, w, lif, syn=SYN):
    """No-reset potential EL + sum_i w_i sum_f psi(t - t_i^f) (mV)."""
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros_like(t)
    for wi, tr in zip(w, pop):
        for tf in tr:
            out += wi * psi_kernel(t - tf, syn.tau1, syn.tau2, lif.C, lif.tau_L)
    return lif.EL + out


def rk4_spike_times(pop, w, lif, T, syn=SYN, h=1e-3, chunk=2.0):
    """Spike times from classical RK4 with step h (ms), V reset to EL and
    held for t_ref after each spike, crossings located by linear
    interpolation between fine steps. Independent of the simulator: the
    current is the alpha-kernel sum, evaluated chunk by chunk."""
    C, gL, EL, VT = lif.C, lif.gL, lif.EL, lif.VT
    tf = np.concatenate([np.asarray(tr, dtype=np.float64) for tr in pop])
    wf = np.concatenate([np.full(len(tr), wi) for wi, tr in zip(w, pop)])
    m = int(round(chunk / h))
    spikes = []
    t0, V = 0.0, EL
    while t0 < T:
        tg = t0 + 0.5 * h * np.arange(2 * m + 1)  # step ends and midpoints
        past = tf < tg[-1]  # alpha is 0 before the spike
        I = (alpha_kernel(tg[:, None] - tf[None, past], syn.tau1, syn.tau2) @ wf[past]).tolist()
        for k in range(m):
            Ia, Im, Ib = I[2 * k], I[2 * k + 1], I[2 * k + 2]
            k1 = (-gL * (V - EL) + Ia) / C
            k2 = (-gL * (V + 0.5 * h * k1 - EL) + Im) / C
            k3 = (-gL * (V + 0.5 * h * k2 - EL) + Im) / C
            k4 = (-gL * (V + h * k3 - EL) + Ib) / C
            Vn = V + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            if Vn >= VT:
                ts = tg[2 * k] + h * (VT - V) / (Vn - V)
                if ts < T:
                    spikes.append(ts)
                t0, V = ts + lif.t_ref, EL  # restart the fine grid at the end of the hold
                break
            V = Vn
        else:
            t0 = tg[-1]
    return np.array(spikes)


def run(pop, W, lif=LIFParams(), syn=SYN, sim=SimParams(), record_v=False):
    """simulate_layer on one population; W of shape (n_out, n_in)."""
    times, counts = stack_padded([pop])
    return simulate_layer(times, counts, np.asarray(W, dtype=np.float64)[None], lif, syn, sim, record_v=record_v)


def spikes_of(out: LayerOutput, j=0, b=0):
    n = out.counts[b, j]
    return out.times[b, j, :n], out.vdot[b, j, :n]


def driven_problem(seed=4):
    """10 Poisson inputs at 60 Hz over 100 ms; one neuron firing ~10 times."""
    rng = np.random.default_rng(seed)
    pop = poisson_spike_trains(10, 60.0, 100.0, rng)
    w = rng.uniform(1500.0, 4000.0, size=10)
    return pop, w


# --------------------------------------------------------------------------
# 2. subthreshold potential vs the analytic solution
# --------------------------------------------------------------------------


def test_subthreshold_potential_matches_analytic():
    pop = [
        np.array([3.14159, 17.2718, 40.0]),  # off grid, and one on grid
        np.array([0.0, 3.14159, 25.05]),  # at t = 0, simultaneous with neuron 0
        np.array([9.87654321, 9.87654322, 33.3333]),  # two spikes 1e-8 ms apart
        np.empty(0),
        np.array([49.99]),
    ]
    W = np.array(
        [
            [300.0, 250.0, 400.0, 1e6, 500.0],  # the silent input's huge weight must not matter
            [-200.0, 600.0, 100.0, 0.0, -50.0],  # inhibition is linear too
        ]
    )
    lif = LIFParams()
    sim = SimParams(dt=0.1, T=50.0)
    out = run(pop, W, lif, sim=sim, record_v=True)
    assert np.all(out.counts == 0)
    assert out.v.shape == (1, 2, sim.n_steps + 1)
    t = sim.times
    for j in range(2):
        ref = v_free(t, pop, W[j], lif)
        assert np.max(ref) - lif.EL > 5.0  # the inputs do move V
        assert np.max(ref) < lif.VT
        np.testing.assert_allclose(out.v[0, j], ref, rtol=0, atol=1e-9)
    assert np.all(out.v[0, :, 0] == lif.EL)
    # no spikes: padded form with one column of +inf / NaN
    assert out.times.shape == (1, 2, 1) and np.all(np.isinf(out.times))
    assert np.all(np.isnan(out.vdot))


def test_subthreshold_other_parameters():
    """Non-default C, gL (tau_L == tau1, the limit case), EL, tau1, tau2, dt."""
    lif = LIFParams(C=200.0, gL=50.0, EL=-65.0, VT=-50.0, t_ref=1.0)  # tau_L = 4 ms
    syn = SynapseParams(tau1=4.0, tau2=0.5)
    sim = SimParams(dt=0.25, T=30.0)
    pop = [np.array([1.2345, 7.777]), np.array([2.5, 13.1313])]
    W = np.array([[600.0, 500.0]])
    out = run(pop, W, lif, syn, sim, record_v=True)
    assert out.counts[0, 0] == 0
    ref = v_free(sim.times, pop, W[0], lif, syn)
    assert np.max(ref) - lif.EL > 1.0
    np.testing.assert_allclose(out.v[0, 0], ref, rtol=0, atol=1e-9)


def test_record_v_off_returns_none():
    pop, w = driven_problem()
    out = run(pop, w[None], sim=SimParams(dt=0.1, T=100.0))
    assert out.v is None
    assert isinstance(out, LayerOutput)


def test_long_pieces_do_not_overflow():
    """Regression: with tau_L < tau1 and a piece longer than ~900 ms the
    propagator overflowed in expm1, V became NaN and a spurious spike was
    reported. One 1000 ms step, tau_L = 1 ms."""
    lif = LIFParams(gL=300.0)  # tau_L = 1 ms < tau1 = 5 ms
    sim = SimParams(dt=1000.0, T=1000.0)
    out = run([np.array([0.0])], [[1000.0]], lif, sim=sim, record_v=True)
    assert out.counts[0, 0] == 0
    assert np.all(np.isfinite(out.v))
    np.testing.assert_allclose(out.v[0, 0], v_free(sim.times, [np.array([0.0])], [1000.0], lif), atol=1e-9)


# --------------------------------------------------------------------------
# 3. spike times vs an independent fine-step integrator
# --------------------------------------------------------------------------


@pytest.mark.parametrize("t_ref", [2.0, 0.0])
def test_spike_times_match_fine_step_reference(t_ref):
    pop, w = driven_problem()
    lif = LIFParams(t_ref=t_ref)
    T = 100.0
    out = run(pop, w[None], lif, sim=SimParams(dt=0.1, T=T))
    times, _ = spikes_of(out)
    ref = rk4_spike_times(pop, w, lif, T)
    assert len(ref) >= 8
    assert len(times) == len(ref), (times, ref)
    np.testing.assert_allclose(times, ref, rtol=0, atol=1e-3)


def test_many_spikes_beyond_initial_capacity():
    """More than 256 spikes per neuron (the buffer cap) forces the rerun with a
    larger buffer; every spike must still be right (checked against RK4), and
    a problem that does not overflow, batched with one that does, is unchanged."""
    lif = LIFParams(t_ref=0.1)
    T = 150.0
    pop = [np.arange(0.0, T, 0.25) + 0.0123]  # a dense regular drive
    w = np.array([6000.0])
    out = run(pop, w[None], lif, sim=SimParams(dt=0.1, T=T))
    times, vdot = spikes_of(out)
    assert out.counts[0, 0] > 256
    assert out.times.shape[-1] == out.counts[0, 0]
    assert np.all(np.isfinite(times)) and np.all(vdot > 0)
    ref = rk4_spike_times(pop, w, lif, T, h=2e-3)
    assert len(times) == len(ref)
    np.testing.assert_allclose(times, ref, rtol=0, atol=1e-3)
    # batched with a quiet problem: the overflowing one is rerun, the other kept
    quiet = simulate_layer(*stack_padded([pop, pop]), np.stack([w[None], 0.2 * w[None]]), lif, SynapseParams(),
                           SimParams(dt=0.1, T=T))
    alone = run(pop, 0.2 * w[None], lif, sim=SimParams(dt=0.1, T=T))
    assert quiet.counts[0, 0] == out.counts[0, 0] and 0 < quiet.counts[1, 0] < 256
    np.testing.assert_array_equal(quiet.times[0], out.times[0])
    np.testing.assert_array_equal(quiet.times[1, :, : alone.counts[0, 0]], alone.times[0])


# --------------------------------------------------------------------------
# 4. dV/dt at spikes
# --------------------------------------------------------------------------


@pytest.mark.parametrize("t_ref", [2.0, 0.0])
def test_vdot_equals_current_balance_at_spikes(t_ref):
    pop, w = driven_problem()
    lif = LIFParams(t_ref=t_ref)
    out = run(pop, w[None], lif, sim=SimParams(dt=0.1, T=100.0))
    times, vdot = spikes_of(out)
    assert len(times) >= 8
    expected = (current(times, pop, w) - lif.gL * (lif.VT - lif.EL)) / lif.C
    assert np.all(expected > 1.0)
    np.testing.assert_allclose(vdot, expected, rtol=1e-9, atol=0)
    # padding of vdot is NaN
    assert np.all(np.isnan(out.vdot[0, 0, len(times):]))


def test_vdot_matches_finite_difference_of_free_solution_at_first_spike():
    pop, w = driven_problem()
    lif = LIFParams()
    out = run(pop, w[None], lif, sim=SimParams(dt=0.1, T=100.0))
    times, vdot = spikes_of(out)
    t1 = times[0]
    # before the first spike the potential is the free one: V(t1) = VT
    assert v_free(t1, pop, w, lif) == pytest.approx(lif.VT, abs=1e-9)
    h = 1e-5
    fd = (v_free(t1 + h, pop, w, lif) - v_free(t1 - h, pop, w, lif)) / (2 * h)
    assert vdot[0] == pytest.approx(fd, rel=1e-6)


# --------------------------------------------------------------------------
# 5. reset and refractoriness
# --------------------------------------------------------------------------


def test_refractory_hold_on_the_grid():
    pop, w = driven_problem()
    lif = LIFParams(t_ref=2.0)
    sim = SimParams(dt=0.1, T=100.0)
    out = run(pop, w[None], lif, sim=sim, record_v=True)
    no_ref = run(pop, w[None], LIFParams(t_ref=0.0), sim=sim, record_v=True)
    times, _ = spikes_of(out)
    v = out.v[0, 0]
    t = sim.times
    n_checked = 0
    for ts in times:
        inside = (t > ts) & (t <= ts + lif.t_ref)
        assert inside.sum() >= 19
        assert np.all(v[inside] == lif.EL)
        n_checked += inside.sum()
    assert n_checked >= 19 * len(times)
    # without a refractory period V leaves EL at once after the first spike
    t1 = times[0]
    after = (t > t1) & (t <= t1 + 2.0)
    assert np.all(no_ref.v[0, 0][after] > lif.EL)
    # the trace stays below threshold on the grid
    assert np.all(v < lif.VT)


def test_no_spike_within_t_ref_of_the_previous():
    """A drive strong enough that the neuron fires as soon as it may."""
    pop = [np.arange(0.0, 60.0, 0.25) + 0.01]
    w = np.array([9000.0])
    sim = SimParams(dt=0.1, T=60.0)
    isi = {}
    for t_ref in (0.0, 2.0, 3.7):
        times, _ = spikes_of(run(pop, w[None], LIFParams(t_ref=t_ref), sim=sim))
        assert len(times) > 5
        assert np.all(np.diff(times) > 0)
        isi[t_ref] = np.diff(times)
    assert isi[0.0].min() < 2.0  # the constraint binds
    assert isi[2.0].min() >= 2.0 and isi[2.0].min() < 2.0 + 1.0
    assert isi[3.7].min() >= 3.7


@pytest.mark.parametrize("t_ref", [2.0, 0.0])
def test_potential_after_reset_follows_spec_formula(t_ref):
    """V(t) - EL = (Vfree(t) - EL) - exp(-(t - t0)/tau_L)(Vfree(t0) - EL)
    for t0 = t_spike + t_ref <= t < next spike (docs/method.md Sec. 2)."""
    pop, w = driven_problem()
    lif = LIFParams(t_ref=t_ref)
    sim = SimParams(dt=0.1, T=100.0)
    out = run(pop, w[None], lif, sim=sim, record_v=True)
    times, _ = spikes_of(out)
    t0 = times[0] + lif.t_ref
    t = sim.times
    window = (t >= t0) & (t < times[1])
    assert window.sum() > 30
    tw = t[window]
    vf = v_free(tw, pop, w, lif)
    vf0 = v_free(t0, pop, w, lif)
    expected = lif.EL + (vf - lif.EL) - np.exp(-(tw - t0) / lif.tau_L) * (vf0 - lif.EL)
    np.testing.assert_allclose(out.v[0, 0][window], expected, rtol=0, atol=1e-9)
    # the second spike is where that expression reaches VT
    t2 = times[1]
    v2 = lif.EL + (v_free(t2, pop, w, lif) - lif.EL) - np.exp(-(t2 - t0) / lif.tau_L) * (vf0 - lif.EL)
    assert v2 == pytest.approx(lif.VT, abs=1e-9)


# --------------------------------------------------------------------------
# 6. batching
# --------------------------------------------------------------------------


def test_batched_equals_unbatched_exactly():
    rng = np.random.default_rng(123)
    pops, Ws = [], []
    for b in range(5):
        pops.append(poisson_spike_trains(12, 40.0 + 10 * b, 200.0, rng))
        Ws.append(rng.uniform(-500.0, 3500.0, size=(3, 12)))
    sim = SimParams(dt=0.1, T=200.0)
    lif = LIFParams()
    times, counts = stack_padded(pops)
    batch = simulate_layer(times, counts, np.stack(Ws), lif, SYN, sim, record_v=True)
    assert batch.counts.shape == (5, 3)
    assert batch.counts.sum() > 20 and len({tuple(c) for c in batch.counts}) > 1
    for b in range(5):
        one = run(pops[b], Ws[b], lif, sim=sim, record_v=True)
        K = one.times.shape[-1]
        assert np.array_equal(batch.counts[b], one.counts[0])
        assert np.array_equal(batch.times[b, :, :K], one.times[0])
        assert np.array_equal(batch.vdot[b, :, :K], one.vdot[0], equal_nan=True)
        assert np.all(np.isinf(batch.times[b, :, K:])) and np.all(np.isnan(batch.vdot[b, :, K:]))
        assert np.array_equal(batch.v[b], one.v[0])


def test_input_padding_width_does_not_matter():
    pop, w = driven_problem()
    times, counts = stack_padded([pop])
    wide_t, wide_c = stack_padded([pop], max_count=times.shape[-1] + 7)
    sim = SimParams(dt=0.1, T=100.0)
    a = simulate_layer(times, counts, w[None, None], LIFParams(), SYN, sim)
    b = simulate_layer(wide_t, wide_c, w[None, None], LIFParams(), SYN, sim)
    assert np.array_equal(a.times, b.times) and np.array_equal(a.counts, b.counts)
