"""The readable forward pass (``lif.simulate_layer_reference``, NumPy) equals the compiled one (``simulate_layer``).

As ``tests/test_normad_core.py`` pins the compiled backward pass to the
readable rule, these tests pin the compiled simulator to the readable one:
the same spike counts, spike times and dV/dt at every spike (rtol 1e-9), and
the same V(t) on the grid, for one layer and for networks of several layers
(each layer simulated by both from the same input spikes), with silent, busy
and refractory neurons. The step functions are also checked on their own.
"""

from __future__ import annotations

import numpy as np
import pytest

from normad_edu.kernels import psi_kernel
from normad_edu.lif import (free_step, input_events, propagators, simulate_layer, simulate_layer_reference,
                            threshold_crossing, vdot_at_threshold)
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import poisson_spike_trains, stack_padded

LIF, SYN = LIFParams(), SynapseParams()


def _inputs(rng, B, n_in, rate, T):
    return stack_padded([poisson_spike_trains(n_in, rate, T, rng) for _ in range(B)])


def assert_same_layer(ref, fast, *, rtol=1e-9, v=False):
    np.testing.assert_array_equal(ref.counts, fast.counts)
    K = max(ref.times.shape[-1], fast.times.shape[-1])

    def pad(a, fill):
        return np.concatenate([a, np.full(a.shape[:-1] + (K - a.shape[-1],), fill)], axis=-1)

    np.testing.assert_allclose(pad(ref.times, np.inf), pad(fast.times, np.inf), rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(pad(ref.vdot, np.nan), pad(fast.vdot, np.nan), rtol=1e-7, atol=1e-9)
    if v:
        np.testing.assert_allclose(ref.v, fast.v, rtol=1e-9, atol=1e-7)


@pytest.mark.parametrize("scale, t_ref", [(3000.0, 2.0), (8000.0, 2.0), (8000.0, 0.0), (8000.0, 30.0), (300.0, 2.0)])
def test_one_layer_equals_the_compiled_simulator(scale, t_ref):
    """Busy neurons (8 nA weights, many spikes), no and long refractoriness, and nearly silent ones (0.3 nA)."""
    rng = np.random.default_rng(int(scale) + int(t_ref))
    lif, sim = LIFParams(t_ref=t_ref), SimParams(T=120.0)
    x_t, x_c = _inputs(rng, 3, 20, 30.0, sim.T)
    W = rng.uniform(-0.3, 1.0, (3, 7, 20)) * scale
    ref = simulate_layer_reference(x_t, x_c, W, lif, SYN, sim, record_v=True)
    fast = simulate_layer(x_t, x_c, W, lif, SYN, sim, record_v=True)
    assert_same_layer(ref, fast, v=True)
    if scale >= 3000.0:
        assert ref.counts.sum() > 20  # the case is not vacuous: neurons fire
    if t_ref == 30.0:
        with np.errstate(invalid="ignore"):  # inf - inf in the padding
            gaps = np.diff(ref.times, axis=-1)
        assert np.all(gaps[np.isfinite(gaps)] >= 30.0 - 1e-9)  # refractoriness holds


@pytest.mark.parametrize("sizes", [(15, 8, 1), (20, 10, 5, 1), (12, 6, 6, 4, 1)])
def test_networks_of_several_depths_equal_the_compiled_simulator(sizes):
    rng = np.random.default_rng(len(sizes))
    sim = SimParams(T=100.0)
    x_t, x_c = _inputs(rng, 2, sizes[0], 25.0, sim.T)
    ref_in, fast_in = (x_t, x_c), (x_t, x_c)
    for l in range(len(sizes) - 1):
        W = rng.uniform(-0.25, 1.0, (2, sizes[l + 1], sizes[l])) * 5000.0
        ref = simulate_layer_reference(*ref_in, W, LIF, SYN, sim)
        fast = simulate_layer(*fast_in, W, LIF, SYN, sim)
        assert_same_layer(ref, fast)
        ref_in, fast_in = (ref.times, ref.counts), (fast.times, fast.counts)


def test_a_silent_layer_and_no_inputs():
    sim = SimParams(T=30.0)
    x_t, x_c = np.full((1, 3, 1), np.inf), np.zeros((1, 3), dtype=np.int64)
    ref = simulate_layer_reference(x_t, x_c, np.full((1, 2, 3), 5000.0), LIF, SYN, sim, record_v=True)
    assert ref.counts.tolist() == [[0, 0]] and np.all(ref.v == LIF.EL)
    assert_same_layer(ref, simulate_layer(x_t, x_c, np.full((1, 2, 3), 5000.0), LIF, SYN, sim, record_v=True), v=True)


def test_free_step_is_the_psi_kernel():
    """One input spike of weight w at 0: u(t) = w psi(t) (the closed form of kernels), stepped in pieces or at once."""
    w, u, I1, I2 = 2000.0, 0.0, 2000.0, 2000.0
    t, total = 0.0, 0.0
    for h in (0.3, 1.7, 0.05, 4.0):
        u, I1, I2 = free_step(u, I1, I2, h, LIF, SYN)
        total += h
        assert float(u) == pytest.approx(w * float(psi_kernel(total)), rel=1e-12)
    e1, e2, eL, E1, E2 = propagators(7.0, LIF, SYN)
    assert (e1, e2, eL) == pytest.approx((np.exp(-7 / 5.0), np.exp(-7 / 1.25), np.exp(-7 / 10.0)), rel=1e-15)


def test_threshold_crossing_against_bisection_and_vdot():
    """The crossing lies where u = theta (checked by dense evaluation), and vdot is the slope there."""
    u0, I1, I2, h = 88.0, 100000.0, 50000.0, 0.1
    u_end = float(free_step(u0, I1, I2, h, LIF, SYN)[0])
    assert u0 < LIF.theta <= u_end
    x = threshold_crossing(u0, I1, I2, h, LIF, SYN)
    assert 0 < x <= h
    assert float(free_step(u0, I1, I2, x, LIF, SYN)[0]) == pytest.approx(LIF.theta, abs=1e-9)
    _, I1x, I2x = free_step(u0, I1, I2, x, LIF, SYN)
    eps = 1e-7
    slope = (float(free_step(u0, I1, I2, x + eps, LIF, SYN)[0]) - float(free_step(u0, I1, I2, x - eps, LIF, SYN)[0]))
    assert float(vdot_at_threshold(I1x - I2x, LIF)) == pytest.approx(slope / (2 * eps), rel=1e-5)


def test_input_events_are_in_time_order_with_ties_in_neuron_order():
    times = np.array([[1.0, 3.0, np.inf], [1.0, 2.0, np.inf], [0.5, np.inf, np.inf]])
    t, i = input_events(times, np.array([2, 2, 1]))
    assert t.tolist() == [0.5, 1.0, 1.0, 2.0, 3.0] and i.tolist() == [2, 0, 1, 1, 0]
