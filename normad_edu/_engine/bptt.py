"""Compiled twin of :mod:`normad_edu.surrogate`'s time loops (forward pass and BPTT of one layer).

The network is feed-forward, so both passes can run one layer at a time over
the whole epoch: layer l's forward pass needs only the input currents from
layer l-1 at every step, and its backward pass only ``dE/ds_l[n]`` at every
step (from layer l+1, or the loss). Each kernel below is the inner loop of
:func:`normad_edu.surrogate.simulate` / :func:`normad_edu.surrogate.backward`
for one layer, the same arithmetic in the same order, with the time loop
innermost for each neuron. ``tests/test_rules_surrogate.py`` checks that both
give the same numbers; ``benchmarks/bench_rules.py`` measures the gain.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def layer_forward(inc, e1, e2, eL, E1, E2, theta, n_ref, v, s, free):
    """Discretised LIF layer: ``inc`` (N, B, n) input current increments (pA) -> ``v``, ``s``, ``free`` (N, B, n)."""
    N, B, n = inc.shape
    u = np.empty(n)
    I1 = np.empty(n)
    I2 = np.empty(n)
    ref = np.empty(n, dtype=np.int64)
    for b in range(B):
        for j in range(n):
            u[j] = 0.0
            I1[j] = 0.0
            I2[j] = 0.0
            ref[j] = 0
        for t in range(N):
            for j in range(n):
                I1[j] += inc[t, b, j]
                I2[j] += inc[t, b, j]
                fr = 1.0 if ref[j] == 0 else 0.0
                vv = fr * (u[j] * eL + I1[j] * E1 - I2[j] * E2)
                ref[j] = max(ref[j] - 1, 0)
                I1[j] *= e1
                I2[j] *= e2
                sp = 1.0 if vv >= theta else 0.0
                u[j] = vv * (1.0 - sp)
                if sp > 0.0:
                    ref[j] = n_ref
                v[t, b, j] = vv
                s[t, b, j] = sp
                free[t, b, j] = fr


@numba.njit(cache=True)
def layer_backward(v, s, free, gs, detach_reset, theta, slope, e1, e2, eL, E1, E2, ga):
    """BPTT through one layer: ``gs`` (N, B, n) = dE/ds -> ``ga`` (N, B, n) = dE/d(input current increment)."""
    N, B, n = v.shape
    gu = np.empty(n)
    g1 = np.empty(n)
    g2 = np.empty(n)
    for b in range(B):
        for j in range(n):
            gu[j] = 0.0
            g1[j] = 0.0
            g2[j] = 0.0
        for t in range(N - 1, -1, -1):
            for j in range(n):
                vv, sp, fr = v[t, b, j], s[t, b, j], free[t, b, j]
                sg = 1.0 / (theta * (1.0 + slope * abs(vv - theta) / theta) ** 2)
                du_dv = (1.0 - sp) if detach_reset else (1.0 - sp) - vv * sg
                gv = gu[j] * du_dv + gs[t, b, j] * sg
                a1 = g1[j] * e1 + fr * gv * E1
                a2 = g2[j] * e2 - fr * gv * E2
                gu[j] = fr * gv * eL
                g1[j] = a1
                g2[j] = a2
                ga[t, b, j] = a1 + a2


@numba.njit(cache=True)
def exp_filter_steps(x, a, reverse, out):
    """``out[n] = a out[n-1] + x[n]`` along axis 0 (``reverse``: ``out[n] = a out[n+1] + x[n]``); x (N, B, n)."""
    N, B, n = x.shape
    for b in range(B):
        for j in range(n):
            acc = 0.0
            for k in range(N):
                t = N - 1 - k if reverse else k
                acc = a * acc + x[t, b, j]
                out[t, b, j] = acc


@numba.njit(cache=True)
def input_increments(s, W, inc):
    """``inc[n, b, :] = W[b] s[n, b, :]`` (pA) at every step, visiting only the spikes of ``s`` (N, B, n_in)."""
    N, B, n_in = s.shape
    n_out = W.shape[1]
    for t in range(N):
        for b in range(B):
            for j in range(n_out):
                inc[t, b, j] = 0.0
            for i in range(n_in):
                if s[t, b, i] != 0.0:
                    for j in range(n_out):
                        inc[t, b, j] += W[b, j, i] * s[t, b, i]


@numba.njit(cache=True)
def sum_over_steps(ga, s, out):
    """``out[b, j, i] = sum_n ga[n, b, j] s[n, b, i]`` over the spikes of ``s`` (N, B, n_in); ga (N, B, n_out)."""
    N, B, n_in = s.shape
    n_out = ga.shape[2]
    for b in range(B):
        for j in range(n_out):
            for i in range(n_in):
                out[b, j, i] = 0.0
    for t in range(N):
        for b in range(B):
            for i in range(n_in):
                if s[t, b, i] != 0.0:
                    for j in range(n_out):
                        out[b, j, i] += ga[t, b, j] * s[t, b, i]
