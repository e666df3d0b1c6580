"""The compiled exact LIF simulator (private): the numba twin of :mod:`normad_edu.lif`.

:func:`normad_edu.lif.simulate_layer_reference` is the same method in plain
NumPy, one function per equation; ``tests/test_lif_reference.py`` checks that
both give the same spikes. Here the inner loops are compiled and the batch of
independent problems runs in parallel over cores (:mod:`._engine.threads`).
Units: ms, mV (``u = V - EL``), pF, nS, pA.

Method (see :mod:`normad_edu.lif` for the equations): time is cut at every grid
point ``n dt`` and at every input spike; between two cuts every neuron's state
``(u, I1, I2)`` moves with its exact exponential propagator; a neuron whose
``u`` ends a piece at or above threshold crossed it inside the piece, and the
crossing time is found by safeguarded Newton iteration on the exact solution
(to ~1e-12 ms); there ``dV/dt = (I - gL (VT - EL)) / C``, ``u`` is reset to 0
and held for ``t_ref``. ``benchmarks/bench_forward.py`` measures it.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from .kernels import exp_filter_given as _exp_filter_given
from .kernels import propagators as _propagators
from .threads import INTERRUPTIBLE_WORK, over_batch


@numba.njit(cache=True)
def _find_crossing(u0, I1, I2, h, u_h, theta, tau1, tau2, tau_L, C):
    """Time in (0, h] where u(tau) = theta, given u(0) = u0 < theta <= u(h) = u_h."""
    lo, hi = 0.0, h
    f_lo = u0 - theta
    f_hi = u_h - theta
    x = h * (-f_lo) / (f_hi - f_lo) if f_hi > f_lo else 0.5 * h  # linear interpolation as first guess
    for _ in range(100):
        # u(x) and u'(x); each exponential once (E(x; tau) factors out the slower one)
        e1 = math.exp(-x / tau1)
        e2 = math.exp(-x / tau2)
        eL = math.exp(-x / tau_L)
        E1 = _exp_filter_given(x, tau1, tau_L, e1 if tau1 > tau_L else eL)
        E2 = _exp_filter_given(x, tau2, tau_L, e2 if tau2 > tau_L else eL)
        u = u0 * eL + (I1 * E1 - I2 * E2) / C
        f = u - theta
        if f < 0.0:
            lo = x
        else:
            hi = x
        du = -u / tau_L + (I1 * e1 - I2 * e2) / C
        if du > 0.0:
            step = f / du
            if abs(step) < 1e-12:  # Newton has converged (quadratically)
                return min(max(x - step, lo), hi)
            x_new = x - step
        else:
            x_new = 0.5 * (lo + hi)
        if not (lo < x_new < hi):  # Newton left the bracket: bisect instead
            x_new = 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            return x_new
        x = x_new
    return 0.5 * (lo + hi)


@numba.njit(cache=True)
def _segment(u, I1, I2, ref_end, cur, b, theta, tau1, tau2, tau_L, C, t_ref):
    """Advance one neuron exactly from ``cur`` towards ``b``: to ``b``, or to its next spike.

    The rare path (refractoriness ends or V crosses threshold inside the
    piece). State in and out as scalars: ``(u, I1, I2, ref_end, cur, spiked)``;
    after a spike ``cur`` is the spike time, ``u = 0`` and the neuron is
    refractory until ``cur + t_ref``, and the caller calls again to go on.
    """
    if ref_end > cur:  # held at EL while refractory; the current evolves
        stop = min(ref_end, b)
        I1 *= math.exp(-(stop - cur) / tau1)
        I2 *= math.exp(-(stop - cur) / tau2)
        u = 0.0
        cur = stop
        if cur >= b:
            return u, I1, I2, ref_end, cur, False
    h = b - cur
    eL = math.exp(-h / tau_L)
    E1 = _exp_filter_given(h, tau1, tau_L, math.exp(-h / tau1) if tau1 > tau_L else eL)
    E2 = _exp_filter_given(h, tau2, tau_L, math.exp(-h / tau2) if tau2 > tau_L else eL)
    u_b = u * eL + (I1 * E1 - I2 * E2) / C
    if u_b < theta:
        return u_b, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2), ref_end, b, False
    x = _find_crossing(u, I1, I2, h, u_b, theta, tau1, tau2, tau_L, C)
    cur = cur + x
    return 0.0, I1 * math.exp(-x / tau1), I2 * math.exp(-x / tau2), cur + t_ref, cur, True


@numba.njit(cache=True)
def _events_in_time_order(in_times, in_counts, n_in, n_steps, dt):
    """Every input spike as flat lists (time, input neuron), sorted by time; ties keep neuron order.

    The same order as a stable sort of the trains laid end to end
    (:func:`normad_edu._engine.kernels.flatten_spikes`), found in linear time
    and with little code to compile: a counting sort into N buckets evenly
    over [0, T) (N = number of spikes; the bucket ``int(t * N / T)`` is
    monotone in t, so buckets come out in time order), then a stable
    insertion sort inside each bucket (about one spike each). Memory O(N).
    Times must lie in [0, T) (validated input).
    """
    N = 0
    for i in range(n_in):
        N += in_counts[i]
    ev_t = np.empty(N)
    ev_i = np.empty(N, dtype=np.int64)
    scale = N / (n_steps * dt)  # buckets per ms
    start = np.empty(N + 1, dtype=np.int64)  # bucket k holds [start[k], start[k + 1])
    for k in range(N + 1):
        start[k] = 0
    for i in range(n_in):
        for f in range(in_counts[i]):
            start[min(max(int(in_times[i, f] * scale), 0), N - 1) + 1] += 1
    for k in range(N):
        start[k + 1] += start[k]
    fill = np.empty(N + 1, dtype=np.int64)
    for k in range(N + 1):
        fill[k] = start[k]
    for i in range(n_in):  # neuron by neuron: ties end up in neuron order
        for f in range(in_counts[i]):
            t = in_times[i, f]
            k = min(max(int(t * scale), 0), N - 1)
            q = fill[k]
            while q > start[k] and ev_t[q - 1] > t:  # stable insertion inside the bucket
                ev_t[q] = ev_t[q - 1]
                ev_i[q] = ev_i[q - 1]
                q -= 1
            ev_t[q] = t
            ev_i[q] = i
            fill[k] += 1
    return ev_t, ev_i


#: Steps between two reads of the stop flag in ``_simulate_one``: the time loop runs in windows
#: of this many steps (a step of one neuron costs ~1-10 ns; a window of 2000 neurons ~1 ms).
STOP_CHECK_STEPS = 256

#: The state arrays of a layer of n neurons are padded to a multiple of ``PAD`` entries with
#: neurons that never fire (see ``_simulate_one``), so that the compiled loops over the neurons
#: run entirely in vector instructions: the compiler turns them into a loop over 8 neurons at a
#: time (one AVX-512 register of float64, two AVX2 ones) and handles the rest one by one, at
#: ~30 instructions per neuron instead of ~3 (a layer of 25 neurons: 3 x 8 + 1; padded, 4 x 8).
#: A layer of one neuron (an output layer) is not padded: one neuron alone is cheaper than 8.
PAD = 8


@numba.njit(cache=True)
def _simulate_one(in_times, in_counts, W, n_steps, dt, theta, tau1, tau2, tau_L, C, gL, t_ref, clamp,
                  counts, out_t, out_vdot, v, record_v, stop):
    """One problem: every neuron of the layer through every piece of [0, T).

    Returns early (its outputs then incomplete) once ``stop[0] != 0``, read
    every :data:`STOP_CHECK_STEPS` steps (see :mod:`normad_edu._engine.threads`).

    A piece ends at the next grid point or input spike. The common case of
    a neuron in a piece (not refractory, stays below threshold) is written
    out here, one pass over the neurons per piece; crossings and the end of
    a refractory period go to :func:`_segment`. (Everything per piece stays
    in this one function: a call per piece that passes the state arrays cost
    ~50 ns, more than a whole step of a small layer.)

    The state arrays have ``n_pad`` entries, ``n_out`` rounded up to a
    multiple of :data:`PAD` (one neuron: 1); the padding neurons have no input weights and
    are refractory for ever (``ref_end = +inf``): they never take the rare
    path, stay at ``u = I1 = I2 = 0`` and are never read out.

    With ``clamp`` (``LIFParams.clamp_at_EL``), ``u`` becomes ``max(u, 0)`` at the
    end of every step (grid point ``(n + 1) dt``).
    """
    n_out, n_in = W.shape
    n_pad = (n_out + PAD - 1) // PAD * PAD if n_out > 1 else n_out
    W_T = np.empty(n_in * n_pad).reshape((n_in, n_pad))  # W_T[i]: input i onto every neuron (contiguous scatter)
    for i in range(n_in):
        for j in range(n_pad):
            W_T[i, j] = W[j, i] if j < n_out else 0.0
    ev_t, ev_i = _events_in_time_order(in_times, in_counts, n_in, n_steps, dt)  # every input spike, in time order
    n_ev = ev_t.shape[0]
    # (np.empty and loops only: every other allocation function costs compile time)
    u = np.empty(n_pad)
    I1 = np.empty(n_pad)
    I2 = np.empty(n_pad)
    ref_end = np.empty(n_pad)
    is_rare = np.empty(n_pad, dtype=np.int64)  # 1: the neuron takes the rare path in this piece
    for j in range(n_pad):
        u[j] = 0.0
        I1[j] = 0.0
        I2[j] = 0.0
        ref_end[j] = -1.0 if j < n_out else np.inf
    # Propagators of a full, event-free step (the common case).
    f1, f2, fL, F1, F2 = _propagators(dt, tau1, tau2, tau_L, C)
    p = 0
    for n0 in range(0, n_steps, STOP_CHECK_STEPS):  # windows of steps; between them, the stop flag
        if stop[0] != 0:
            return
        for n in range(n0, min(n0 + STOP_CHECK_STEPS, n_steps)):
            t_a = n * dt
            t_b = (n + 1) * dt
            cur = t_a
            while True:
                is_event = p < n_ev and ev_t[p] < t_b
                s = ev_t[p] if is_event else t_b  # end of this piece
                if s > cur:  # advance every neuron from cur to s
                    if cur == t_a and not is_event:
                        e1, e2, eL, E1, E2 = f1, f2, fL, F1, F2
                    else:
                        e1, e2, eL, E1, E2 = _propagators(s - cur, tau1, tau2, tau_L, C)
                    # One branch-free pass over the neurons (vectorised): u at s by the exact
                    # propagator (lif.free_step), and which neurons need the rare path: a free
                    # neuron that ends at or above threshold, a refractory one whose refractory
                    # period ends inside the piece. The others move: a free neuron's u goes to
                    # u_b, a refractory one stays at EL (u = 0), both currents decay. The rare
                    # ones keep their state at cur for _segment.
                    any_rare = False
                    for j in range(n_pad):
                        u0, i1, i2, r = u[j], I1[j], I2[j], ref_end[j]
                        u_b = u0 * eL + i1 * E1 - i2 * E2
                        free = r <= cur
                        rare = (free & (u_b >= theta)) | ((r > cur) & (r < s))
                        u[j] = u_b if free & (not rare) else u0
                        I1[j] = i1 if rare else i1 * e1
                        I2[j] = i2 if rare else i2 * e2
                        is_rare[j] = rare
                        any_rare |= rare
                    if any_rare:
                        for j in range(n_out):
                            if is_rare[j] != 0:
                                uj, I1j, I2j, rj, c = u[j], I1[j], I2[j], ref_end[j], cur
                                while True:
                                    uj, I1j, I2j, rj, c, spiked = _segment(uj, I1j, I2j, rj, c, s, theta, tau1, tau2,
                                                                           tau_L, C, t_ref)
                                    if not spiked:
                                        break
                                    k = counts[j]
                                    if k < out_t.shape[1]:
                                        out_t[j, k] = c
                                        out_vdot[j, k] = (I1j - I2j - gL * theta) / C
                                    counts[j] = k + 1
                                u[j], I1[j], I2[j], ref_end[j] = uj, I1j, I2j, rj
                    cur = s
                if not is_event:
                    break
                i = ev_i[p]  # an input spike: both traces of every neuron jump by W_ji (lif.simulate_layer_reference)
                for j in range(n_pad):
                    I1[j] += W_T[i, j]
                    I2[j] += W_T[i, j]
                p += 1
            if clamp:  # V clamped at EL from below, on the grid (LIFParams.clamp_at_EL)
                for j in range(n_pad):
                    if u[j] < 0.0:
                        u[j] = 0.0
            if record_v:
                for j in range(n_out):
                    v[j, n + 1] = u[j]


@numba.njit(cache=True, nogil=True)
def _simulate_range(lo, hi, stop, in_times, in_counts, W, n_steps, dt, theta, tau1, tau2, tau_L, C, gL, t_ref,
                    clamp, counts, out_t, out_vdot, v, record_v):
    """:func:`_simulate_one` for problems lo .. hi-1 of a batch (run in parallel by
    :func:`normad_edu._engine.threads.over_batch`; returns early once ``stop[0] != 0``)."""
    for b in range(lo, hi):
        if stop[0] != 0:
            return
        _simulate_one(in_times[b], in_counts[b], W[b], n_steps, dt, theta, tau1, tau2, tau_L, C, gL, t_ref, clamp,
                      counts[b], out_t[b], out_vdot[b], v[b], record_v, stop)


def run_layer(in_times: np.ndarray, in_counts: np.ndarray, W: np.ndarray, *, n_steps: int, dt: float, theta: float,
              tau1: float, tau2: float, tau_L: float, C: float, gL: float, t_ref: float, T: float, record_v: bool,
              clamp: bool = False):
    """Simulate a batch of layers (validated arrays in, padded spike buffers out).

    ``in_times`` ``(B, n_in, K)`` (ms, +inf padded), ``in_counts`` ``(B, n_in)``,
    ``W`` ``(B, n_out, n_in)`` (pA); ``theta = VT - EL`` (mV). Returns
    ``(times, counts, vdot, u)``: spike times ``(B, n_out, K')`` (ms, +inf
    after each neuron's last spike), counts ``(B, n_out)``, dV/dt at each
    spike (mV/ms, NaN padding) and, if ``record_v``, ``u = V - EL`` on the
    grid ``(B, n_out, n_steps + 1)`` (else None). ``clamp``: ``u`` clamped at 0 from below at every grid
    point (``LIFParams.clamp_at_EL``).
    """
    B, n_out, _ = W.shape
    in_times = np.ascontiguousarray(in_times, dtype=np.float64)
    in_counts = np.ascontiguousarray(in_counts, dtype=np.int64)
    W = np.ascontiguousarray(W, dtype=np.float64)
    v = np.zeros((B, n_out, n_steps + 1) if record_v else (B, 1, 1))
    # Room for the refractory bound (no neuron spikes more than T / t_ref + 1
    # times), capped at 256 spikes per neuron to bound memory; problems that
    # overflow are rerun together with enough room. (A cap of 64 made 98 of
    # 100 generic problems with the balanced default weights overflow in
    # layer 2 and rerun one by one: 2.4 instead of ~1.3 ms per problem.)
    capacity = int(min(256, np.ceil(T / max(t_ref, dt)) + 1))
    args = (n_steps, dt, theta, tau1, tau2, tau_L, C, gL, t_ref, bool(clamp))
    counts = np.zeros((B, n_out), dtype=np.int64)
    # Slots beyond each neuron's count are left unwritten and masked at the end (np.empty:
    # filling B x n x capacity slots with inf/NaN cost more than the masking of B x n x K).
    out_t = np.empty((B, n_out, capacity))
    out_vdot = np.empty((B, n_out, capacity))
    # work estimate per problem (neuron updates): every neuron at every step and input spike
    work = float(n_out) * (n_steps + float(in_counts.sum()) / max(B, 1))
    if B == 1 and work < INTERRUPTIBLE_WORK:  # one short problem: the single-problem kernel, here
        _simulate_one(in_times[0], in_counts[0], W[0], *args, counts[0], out_t[0], out_vdot[0], v[0], record_v,
                      np.zeros(1, dtype=np.int64))
    else:  # in parallel; long work in the pool, so that Ctrl-C stops it
        over_batch(_simulate_range, B, in_times, in_counts, W, *args, counts, out_t, out_vdot, v, record_v,
                   work=B * work)
    max_count = int(counts.max(initial=0))
    if max_count > capacity:
        over = np.flatnonzero(counts.max(axis=1) > capacity)
        wide_t = np.empty((B, n_out, max_count))
        wide_v = np.empty((B, n_out, max_count))
        wide_t[:, :, :capacity] = out_t
        wide_v[:, :, :capacity] = out_vdot
        out_t, out_vdot = wide_t, wide_v
        sub_counts = np.zeros((over.size, n_out), dtype=np.int64)
        sub_t = np.empty((over.size, n_out, max_count))
        sub_v = np.empty((over.size, n_out, max_count))
        sub_trace = np.zeros((over.size,) + v.shape[1:])
        if over.size == 1 and work < INTERRUPTIBLE_WORK:
            _simulate_one(in_times[over[0]], in_counts[over[0]], W[over[0]], *args, sub_counts[0], sub_t[0], sub_v[0],
                          sub_trace[0], record_v, np.zeros(1, dtype=np.int64))
        else:
            over_batch(_simulate_range, over.size, in_times[over], in_counts[over], W[over], *args, sub_counts,
                       sub_t, sub_v, sub_trace, record_v, work=over.size * work)
        counts[over], out_t[over], out_vdot[over], v[over] = sub_counts, sub_t, sub_v, sub_trace
    K = max(max_count, 1)
    valid = np.arange(K) < counts[:, :, None]
    return (np.where(valid, out_t[:, :, :K], np.inf), counts, np.where(valid, out_vdot[:, :, :K], np.nan),
            v if record_v else None)
