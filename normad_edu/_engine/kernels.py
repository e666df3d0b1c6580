"""numba twins of the closed-form kernels of :mod:`normad_edu.kernels` (private).

Units: ms, pF, 1/pF. Every function here computes, for one scalar time, the
same formula as its NumPy counterpart (``tests/test_kernels.py`` pins them
to each other on a grid of times, including the limit tau == tau_L):

=======================  ===========================================================
here                     :mod:`normad_edu.kernels`
=======================  ===========================================================
``exp_filter(h, ...)``   ``_exp_filter`` = E(h; tau) (ms)
``propagators(h, ...)``  ``h_kernel(h, C=1, tau_L=tau)`` = e^{-h/tau}, and E(h; tau)/C
``psi_hat_dot(t, ...)``  ``psi_hat_kernel_dot`` (1/pF)
=======================  ===========================================================
"""

from __future__ import annotations

import math

import numba
import numpy as np


# Not called by the simulator or the backward pass (they use exp_filter_given), only by the tests and the course's
# checkers: compiled on first use and not cached, so the warm-up need not compile it.
@numba.njit
def exp_filter(h, tau, tau_L):
    """E(h; tau) = int_0^h e^{-s/tau} e^{-(h-s)/tau_L} ds for h >= 0 (ms).

    Stable for tau -> tau_L and, by factoring out the slower exponential
    (x <= 0), free of overflow for long pieces (see normad_edu.kernels)."""
    return exp_filter_given(h, tau, tau_L, math.exp(-h / max(tau, tau_L)))


@numba.njit(cache=True)
def exp_filter_given(h, tau, tau_L, e_slow):
    """:func:`exp_filter` given ``e_slow = exp(-h / max(tau, tau_L))``.

    The callers have that exponential at hand (it is e^{-h/tau} or
    e^{-h/tau_L}, computed from the same operands, so the same bits):
    passing it saves one ``exp`` per filter."""
    x = -h * abs(1.0 / tau - 1.0 / tau_L)
    if abs(x) < 1e-8:
        phi = 1.0 + 0.5 * x
    else:
        phi = math.expm1(x) / x
    return h * e_slow * phi


@numba.njit(cache=True)
def slower(e_tau, e_L, tau, tau_L):
    """``exp(-h / max(tau, tau_L))`` from ``e_tau = exp(-h / tau)`` and ``e_L = exp(-h / tau_L)``."""
    return e_tau if tau > tau_L else e_L


@numba.njit(cache=True)
def propagators(h, tau1, tau2, tau_L, C):
    """Exact propagators of a piece of length h: (e^{-h/tau1}, e^{-h/tau2}, e^{-h/tau_L}, E1/C, E2/C)."""
    e1 = math.exp(-h / tau1)
    e2 = math.exp(-h / tau2)
    eL = math.exp(-h / tau_L)
    return (e1, e2, eL, exp_filter_given(h, tau1, tau_L, slower(e1, eL, tau1, tau_L)) / C,
            exp_filter_given(h, tau2, tau_L, slower(e2, eL, tau2, tau_L)) / C)


@numba.njit(cache=True)
def psi_hat_dot(lag, tau1, tau2, tau_L_hat, C):
    """psihat'(lag) = alpha(lag)/C - psihat(lag)/tau_L' (1/pF); 0 for lag <= 0."""
    if lag <= 0.0:
        return 0.0
    e1 = math.exp(-lag / tau1)
    e2 = math.exp(-lag / tau2)
    eL = math.exp(-lag / tau_L_hat)  # the slower exponential of both filters: computed once (the same bits)
    alpha = e1 - e2
    psi_hat = (exp_filter_given(lag, tau1, tau_L_hat, slower(e1, eL, tau1, tau_L_hat))
               - exp_filter_given(lag, tau2, tau_L_hat, slower(e2, eL, tau2, tau_L_hat))) / C
    return alpha / C - psi_hat / tau_L_hat


@numba.njit(cache=True)
def stable_argsort(t):
    """``np.argsort(t, kind="mergesort")`` for values that are not NaN (the same permutation).

    A bucket sort: N buckets evenly over [min, max] of the finite values
    (the bucket index is monotone in t, so buckets come out in order; -inf
    goes to the first, +inf to the last), then a stable insertion sort
    inside each bucket (about one value each). Linear time for spike
    times, and little code to compile (``np.argsort`` compiled for a second
    on every cold start).
    """
    N = t.shape[0]
    order = np.empty(N, dtype=np.int64)
    lo = np.inf
    hi = -np.inf
    for p in range(N):
        if abs(t[p]) < np.inf:
            lo = min(lo, t[p])
            hi = max(hi, t[p])
    scale = 0.0
    if hi > lo:
        scale = N / (hi - lo)
        if not scale < np.inf:  # a range below ~1e-300: one bucket
            scale = 0.0
    start = np.empty(N + 1, dtype=np.int64)  # bucket k holds [start[k], start[k + 1])
    for k in range(N + 1):
        start[k] = 0
    bucket = np.empty(N, dtype=np.int64)
    for p in range(N):
        x = t[p]
        if x >= hi:
            k = N - 1
        elif x <= lo:
            k = 0
        else:
            k = min(int((x - lo) * scale), N - 1)
        bucket[p] = k
        start[k + 1] += 1
    for k in range(N):
        start[k + 1] += start[k]
    fill = np.empty(N + 1, dtype=np.int64)
    for k in range(N + 1):
        fill[k] = start[k]
    for p in range(N):  # in index order: ties keep it
        k = bucket[p]
        q = fill[k]
        while q > start[k] and t[order[q - 1]] > t[p]:  # stable insertion inside the bucket
            order[q] = order[q - 1]
            q -= 1
        order[q] = p
        fill[k] += 1
    return order


@numba.njit(cache=True)
def insertion_argsort(t):
    """``np.argsort(t, kind="mergesort")`` (the same permutation, for values that are not NaN) by
    stable insertion: linear time for sorted input (spike times, error instants), quadratic in
    the number of inversions otherwise, and a few lines to compile."""
    order = np.empty(t.shape[0], dtype=np.int64)
    for p in range(t.shape[0]):
        q = p
        while q > 0 and t[order[q - 1]] > t[p]:
            order[q] = order[q - 1]
            q -= 1
        order[q] = p
    return order


@numba.njit(cache=True)
def flatten_spikes(times, counts, n):
    """Spikes of one layer (padded ``times[j, f]``, ``counts[j]``, j < n) as flat,
    time-sorted lists: spike time, neuron j and slot f (ties keep neuron order).

    The order of a stable sort of the trains laid end to end (as
    ``np.argsort(kind="mergesort")``; times must not be NaN) by the bucket
    sort of :func:`stable_argsort`, written out here: N buckets evenly over
    the range of the finite times, a stable insertion inside each (about one
    spike each). Linear time for spike trains, little code to compile. Used
    by the simulator (input spikes) and the backward pass.
    """
    N = 0
    for j in range(n):
        N += counts[j]
    t_s = np.empty(N)
    nj_s = np.empty(N, dtype=np.int64)
    nf_s = np.empty(N, dtype=np.int64)
    lo = np.inf
    hi = -np.inf
    for j in range(n):
        for f in range(counts[j]):
            if abs(times[j, f]) < np.inf:
                lo = min(lo, times[j, f])
                hi = max(hi, times[j, f])
    scale = 0.0
    if hi > lo:
        scale = N / (hi - lo)
        if not scale < np.inf:  # a range below ~1e-300: one bucket
            scale = 0.0
    bucket = np.empty(N, dtype=np.int64)
    start = np.empty(N + 1, dtype=np.int64)  # bucket k holds [start[k], start[k + 1])
    for k in range(N + 1):
        start[k] = 0
    p = 0
    for j in range(n):
        for f in range(counts[j]):
            x = times[j, f]
            k = N - 1 if x >= hi else (0 if x <= lo else min(int((x - lo) * scale), N - 1))
            bucket[p] = k
            start[k + 1] += 1
            p += 1
    for k in range(N):
        start[k + 1] += start[k]
    fill = np.empty(N + 1, dtype=np.int64)  # next free place of each bucket
    for k in range(N + 1):
        fill[k] = start[k]
    p = 0
    for j in range(n):  # neuron by neuron, slot by slot: ties keep that order
        for f in range(counts[j]):
            x = times[j, f]
            k = bucket[p]
            q = fill[k]
            while q > start[k] and t_s[q - 1] > x:  # stable insertion inside the bucket
                t_s[q] = t_s[q - 1]
                nj_s[q] = nj_s[q - 1]
                nf_s[q] = nf_s[q - 1]
                q -= 1
            t_s[q] = x
            nj_s[q] = j
            nf_s[q] = f
            fill[k] += 1
            p += 1
    return t_s, nj_s, nf_s
