"""The optimised engine computes exactly (bit for bit) what the plain event-driven algorithm computes.

The compiled forward kernel (:mod:`normad_edu.lif`) was restructured for
speed: the per-piece neuron update runs as two branch-free passes, the rare
path (crossings, end of refractoriness) is a scalar function, each
exponential is computed once per evaluation, the spikes are merged by a
natural merge sort. None of this may change a single bit. These tests run a
plain-Python transcription of the straightforward algorithm (one neuron at a
time through every piece, the propagators recomputed everywhere; Python's
``math.exp``/``math.expm1`` are the same C library functions the compiled
code calls) and require identical spike times, counts and dV/dt.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from normad_edu._engine.kernels import flatten_spikes, insertion_argsort, stable_argsort
from normad_edu.lif import simulate_layer
from normad_edu.params import LIFParams, SimParams, SynapseParams


def _exp_filter(h, tau, tau_L):
    x = -h * abs(1.0 / tau - 1.0 / tau_L)
    phi = 1.0 + 0.5 * x if abs(x) < 1e-8 else math.expm1(x) / x
    return h * math.exp(-h / (tau_L if tau_L > tau else tau)) * phi


def _find_crossing(u0, I1, I2, h, theta, tau1, tau2, tau_L, C):
    lo, hi = 0.0, h
    f_lo = u0 - theta
    f_hi = u0 * math.exp(-h / tau_L) + (I1 * _exp_filter(h, tau1, tau_L) - I2 * _exp_filter(h, tau2, tau_L)) / C - theta
    x = h * (-f_lo) / (f_hi - f_lo) if f_hi > f_lo else 0.5 * h
    for _ in range(100):
        u = u0 * math.exp(-x / tau_L) + (I1 * _exp_filter(x, tau1, tau_L) - I2 * _exp_filter(x, tau2, tau_L)) / C
        f = u - theta
        if f < 0.0:
            lo = x
        else:
            hi = x
        du = -u / tau_L + (I1 * math.exp(-x / tau1) - I2 * math.exp(-x / tau2)) / C
        if du > 0.0:
            step = f / du
            if abs(step) < 1e-12:
                return min(max(x - step, lo), hi)
            x_new = x - step
        else:
            x_new = 0.5 * (lo + hi)
        if not (lo < x_new < hi):
            x_new = 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            return x_new
        x = x_new
    return 0.5 * (lo + hi)


def reference_layer(in_times, in_counts, W, lif: LIFParams, syn: SynapseParams, sim: SimParams):
    """One problem, plain Python: spike times and dV/dt per neuron (lists), in ms and mV/ms."""
    tau1, tau2, tau_L, C, gL, theta, t_ref = syn.tau1, syn.tau2, lif.tau_L, lif.C, lif.gL, lif.theta, lif.t_ref
    n_out, n_in = W.shape
    ev = [(float(in_times[i, f]), i) for i in range(n_in) for f in range(int(in_counts[i]))]
    ev.sort(key=lambda e: e[0])  # stable: ties keep neuron order
    u, I1, I2, ref_end = [0.0] * n_out, [0.0] * n_out, [0.0] * n_out, [-1.0] * n_out
    out_t, out_v = [[] for _ in range(n_out)], [[] for _ in range(n_out)]

    def props(h):
        return (math.exp(-h / tau1), math.exp(-h / tau2), math.exp(-h / tau_L),
                _exp_filter(h, tau1, tau_L) / C, _exp_filter(h, tau2, tau_L) / C)

    def advance(j, a, b):
        cur = a
        while True:
            if ref_end[j] > cur:
                stop = min(ref_end[j], b)
                I1[j] *= math.exp(-(stop - cur) / tau1)
                I2[j] *= math.exp(-(stop - cur) / tau2)
                u[j] = 0.0
                cur = stop
                if cur >= b:
                    return
            h = b - cur
            u_b = u[j] * math.exp(-h / tau_L) + (I1[j] * _exp_filter(h, tau1, tau_L)
                                                   - I2[j] * _exp_filter(h, tau2, tau_L)) / C
            if u_b < theta:
                u[j] = u_b
                I1[j] *= math.exp(-h / tau1)
                I2[j] *= math.exp(-h / tau2)
                return
            x = _find_crossing(u[j], I1[j], I2[j], h, theta, tau1, tau2, tau_L, C)
            I1[j] *= math.exp(-x / tau1)
            I2[j] *= math.exp(-x / tau2)
            out_t[j].append(cur + x)
            out_v[j].append((I1[j] - I2[j] - gL * theta) / C)
            u[j] = 0.0
            cur = cur + x
            ref_end[j] = cur + t_ref

    def advance_all(a, b, prop):
        e1, e2, eL, E1, E2 = prop
        for j in range(n_out):
            if ref_end[j] <= a:
                u_b = u[j] * eL + I1[j] * E1 - I2[j] * E2
                if u_b < theta:
                    u[j] = u_b
                    I1[j] *= e1
                    I2[j] *= e2
                    continue
            elif ref_end[j] >= b:
                I1[j] *= e1
                I2[j] *= e2
                continue
            advance(j, a, b)

    full = props(sim.dt)
    p = 0
    for n in range(sim.n_steps):
        t_a, t_b = n * sim.dt, (n + 1) * sim.dt
        cur = t_a
        while p < len(ev) and ev[p][0] < t_b:
            s, i = ev[p]
            if s > cur:
                advance_all(cur, s, props(s - cur))
                cur = s
            for j in range(n_out):
                I1[j] += float(W[j, i])
                I2[j] += float(W[j, i])
            p += 1
        if cur == t_a:
            advance_all(t_a, t_b, full)
        elif t_b > cur:
            advance_all(cur, t_b, props(t_b - cur))
    return out_t, out_v


def _inputs(rng, B, n_in, T, rate_hz, grid=None):
    K = max(1, int(3 * rate_hz * T / 1000) + 5)
    times = np.full((B, n_in, K), np.inf)
    counts = np.zeros((B, n_in), dtype=np.int64)
    for b in range(B):
        for i in range(n_in):
            n = min(K, rng.poisson(rate_hz * T / 1000))
            t = rng.uniform(0, T, n) if grid is None else rng.choice(np.arange(0.0, T, grid), n, replace=False)
            times[b, i, :n] = np.sort(t)
            counts[b, i] = n
    return times, counts


@pytest.mark.parametrize("t_ref, dt, grid", [(2.0, 0.1, None), (0.05, 0.1, None), (0.0, 0.1, None),
                                             (1.0, 0.25, 0.05), (2.0, 0.1, 0.1)])
def test_simulate_layer_equals_plain_algorithm_bit_for_bit(t_ref, dt, grid):
    """Spike times, counts and dV/dt of the compiled kernel equal the plain transcription exactly,
    also with t_ref < dt (several spikes per piece), t_ref = 0, input spikes on grid points and
    shared input times (ties)."""
    rng = np.random.default_rng([7, int(t_ref * 100), int(dt * 100)])
    lif, syn, sim = LIFParams(t_ref=t_ref), SynapseParams(), SimParams(T=60.0, dt=dt)
    B, n_in, n_out = 3, 12, 6
    times, counts = _inputs(rng, B, n_in, sim.T, 80.0, grid)
    W = rng.uniform(-1500.0, 6000.0, (B, n_out, n_in))
    out = simulate_layer(times, counts, W, lif, syn, sim)
    n_spikes = 0
    for b in range(B):
        ref_t, ref_v = reference_layer(times[b], counts[b], W[b], lif, syn, sim)
        for j in range(n_out):
            k = out.counts[b, j]
            assert k == len(ref_t[j]), (b, j)
            assert np.array_equal(out.times[b, j, :k], np.array(ref_t[j])), (b, j)
            assert np.array_equal(out.vdot[b, j, :k], np.array(ref_v[j])), (b, j)
            n_spikes += k
    assert n_spikes > 20  # the test exercises crossings and refractoriness


@pytest.mark.parametrize("seed", range(6))
def test_stable_argsort_is_numpys_mergesort(seed):
    rng = np.random.default_rng(seed)
    for n in (0, 1, 2, 7, 64, 301):
        t = rng.choice([0.0, -0.0, 1.0, 2.5, 3.0, np.inf, -1.0], n) if seed % 2 else rng.uniform(-5, 5, n)
        if seed % 3 == 0:
            t = np.sort(t)
        assert np.array_equal(stable_argsort(t), np.argsort(t, kind="mergesort"))


@pytest.mark.parametrize("t", [[np.inf, -np.inf, np.inf, 0.0, -np.inf], [5e-324, 1e-323, 5e-324, 0.0],
                               [1e300, -1e300, 0.0, 1e300], [2.0] * 9, [np.inf] * 4, [3.0, 1.0]])
def test_stable_argsort_edge_cases(t):
    """Infinities, ranges too small for the bucket width, all-equal values."""
    t = np.array(t)
    assert np.array_equal(stable_argsort(t), np.argsort(t, kind="mergesort"))


@pytest.mark.parametrize("seed", range(4))
def test_insertion_argsort_is_numpys_mergesort(seed):
    """The backward pass orders its (already sorted) queries with it; any order must come out right."""
    rng = np.random.default_rng(seed)
    for n in (0, 1, 2, 9, 80):
        t = rng.choice([0.0, -0.0, 1.0, 2.5, np.inf], n) if seed % 2 else rng.uniform(-5, 5, n)
        if seed >= 2:
            t = np.sort(t)
        assert np.array_equal(insertion_argsort(t), np.argsort(t, kind="mergesort"))


def test_stable_argsort_many_ties():
    t = np.random.default_rng(3).integers(0, 10, 2000).astype(np.float64)
    assert np.array_equal(stable_argsort(t), np.argsort(t, kind="mergesort"))


@pytest.mark.parametrize("seed", range(4))
def test_flatten_spikes_is_a_stable_sort_of_the_trains(seed):
    """Time order, ties in neuron order (and slot order within a neuron), as np.argsort(kind='mergesort')
    of the trains laid end to end, also for unsorted trains."""
    rng = np.random.default_rng(seed)
    n, K = 9, 6
    counts = rng.integers(0, K + 1, n).astype(np.int64)
    times = np.full((n, K), np.inf)
    for j in range(n):
        times[j, :counts[j]] = rng.choice([0.0, 0.1, 0.2, 1.5, 2.0, 3.3], counts[j])
        if seed % 2:
            times[j, :counts[j]] = np.sort(times[j, :counts[j]])
    t, nj, nf = flatten_spikes(times, counts, n)
    T = np.concatenate([times[j, :counts[j]] for j in range(n)])
    J = np.concatenate([np.full(counts[j], j) for j in range(n)])
    F = np.concatenate([np.arange(counts[j]) for j in range(n)])
    order = np.argsort(T, kind="mergesort")
    assert np.array_equal(t, T[order]) and np.array_equal(nj, J[order]) and np.array_equal(nf, F[order])


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_batch_on_threads_equals_problems_one_by_one(threads, monkeypatch):
    """The thread pool (normad_edu._engine.threads) only changes who computes a problem: forward
    pass and NormAD updates of a batch equal those of each problem alone, for any thread count."""
    import numba

    from normad_edu.experiments import deep_problems
    from normad_edu.network import forward
    from normad_edu.normad import normad_update
    from normad_edu.spikes import stack_padded

    monkeypatch.setattr(numba, "get_num_threads", lambda: threads)
    ex = deep_problems("all", n_runs=5, seed=11)
    W = [w.copy() for w in ex.weights]
    W[-1] = np.random.default_rng(0).uniform(0.0, 600.0, W[-1].shape)
    x = [p[0] for p in ex.inputs]
    d_t, d_c = stack_padded([p[0] for p in ex.desired])
    kw = dict(lif=ex.lif, syn=ex.syn, sim=ex.sim, params=ex.params)
    rec = forward(x, W, ex.lif, ex.syn, ex.sim)
    dW = normad_update(rec, (d_t, d_c), ex.config.rates, ex.config.plastic, **kw)
    for b in range(5):
        one = forward(x[b:b + 1], [w[b:b + 1] for w in W], ex.lif, ex.syn, ex.sim)
        for lay, lay1 in zip(rec.layers, one.layers):
            k = lay1.times.shape[-1]
            assert np.array_equal(lay.counts[b], lay1.counts[0])
            assert np.array_equal(lay.times[b, :, :k], lay1.times[0])
            assert np.array_equal(lay.vdot[b, :, :k], lay1.vdot[0], equal_nan=True)
        dW1 = normad_update(one, (d_t[b:b + 1], d_c[b:b + 1]), ex.config.rates, ex.config.plastic, **kw)
        for g, g1 in zip(dW, dW1):
            assert np.array_equal(g[b], g1[0])
    assert rec.layers[0].counts.sum() > 0 and any(np.abs(g).sum() > 0 for g in dW)


def test_batch_in_a_forked_child_after_the_parent_ran_one(monkeypatch):
    """A child forked after the parent used the thread pool gets its own pool (the inherited one has
    no threads in the child: submitting to it would hang)."""
    import multiprocessing as mp

    import numba

    from normad_edu.experiments import demo_problem
    from normad_edu.network import forward

    if "fork" not in mp.get_all_start_methods():
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    inputs, weights = demo_problem(3, 0)
    parent = forward(inputs, weights).output.counts
    with mp.get_context("fork").Pool(1) as pool:
        child = pool.apply_async(_forward_counts_in_child).get(timeout=120)
    assert np.array_equal(child, parent)


def _forward_counts_in_child():
    import numba

    from normad_edu.experiments import demo_problem
    from normad_edu.network import forward

    numba.get_num_threads = lambda: 2
    inputs, weights = demo_problem(3, 0)
    return forward(inputs, weights).output.counts


def test_thread_count_follows_numba_set_num_threads():
    """Sweep workers limit their threads with numba.set_num_threads: the pool follows it."""
    import numba

    from normad_edu._engine.threads import n_threads

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert n_threads() == 1
    finally:
        numba.set_num_threads(before)
    assert n_threads() == before
