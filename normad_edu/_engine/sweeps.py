"""Sweeps through time of the compiled backward pass (private; used by :mod:`.backward`).

* :func:`d_hat_sweep` / :func:`d_hat_sweep_ordered`: ``dhat_i(t) = sum_f psihat(t - t_i^f)``
  at many query times in one pass forward in time, with exact exponential
  propagators between consecutive events instead of one kernel evaluation
  per (query, spike) pair;
* :func:`adjoint_sweep` / :func:`adjoint_sweep_tabled`: the backward
  recursion ``a_i^g = sum delta_j^f W_ji psihat'(t_j^f - t_i^g)``, the same
  sweep run backwards in time; the tabled variant reuses the propagators
  that the dhat sweep recorded between the same two layers.

Units: ms, mV, pF, pA (see :mod:`normad_edu.normad`).
"""

from __future__ import annotations

import numba
import numpy as np

from .kernels import propagators, stable_argsort

# The sweeps and backward_one are compiled with error_model="numpy": a float division then has
# no check for a zero divisor (which raises in Python), so loops of divisions vectorise. Every
# divisor in them is a positive constant (C, tau) or max(Vdot, vdot_min) > 0, and a division
# gives the same bits with or without the check.

@numba.njit(cache=True)
def zeros(n):
    """``np.zeros(n)`` (float64) made with ``np.empty``: the kernels allocate with
    ``np.empty(n)`` and ``np.empty(n, dtype=np.int64)`` only, because numba compiles
    every other allocation overload separately (~0.1 s each on a cold start)."""
    out = np.empty(n)
    for i in range(n):
        out[i] = 0.0
    return out


@numba.njit(cache=True)
def d_hat_sweep(query_t, pre_t, pre_neuron, n_pre, tau1, tau2, tau_L_hat, C, out):
    """out[q, i] = dhat_i(query_t[q]) = sum_f psihat(query_t[q] - t_i^f) (ms/pF).

    ``pre_t``/``pre_neuron``: presynaptic spikes sorted by time. dhat is
    c * hhat: every presynaptic neuron drives two exponential traces (x1:
    tau1, x2: tau2) feeding leaky integrators (y1, y2: tau_L'), and the
    psihat sum is (y1 - y2) / C. One sweep through time with exact
    propagators, no grid. Query times in any order (see
    :func:`d_hat_sweep_ordered`).
    """
    tab_t, tab_p = no_table()
    d_hat_sweep_ordered(query_t, stable_argsort(query_t), pre_t, pre_neuron, n_pre, tau1, tau2, tau_L_hat, C, out,
                        not_stopped(), tab_t, tab_p)


@numba.njit(cache=True)
def not_stopped():
    """A stop flag that is never set (``stop[0] == 0``; see :mod:`.threads`)."""
    stop = np.empty(1, dtype=np.int64)
    stop[0] = 0
    return stop


@numba.njit(cache=True)
def no_table():
    """An empty propagator table (see :func:`d_hat_sweep_ordered`): nothing recorded or looked up."""
    return np.empty(0), np.empty(0).reshape((0, 5))


@numba.njit(cache=True, error_model="numpy")
def d_hat_sweep_ordered(query_t, order, pre_t, pre_neuron, n_pre, tau1, tau2, tau_L_hat, C, out, stop, tab_t, tab_p):
    """:func:`d_hat_sweep` with the queries visited in ``order`` (the stable sort of ``query_t``).

    The backward pass passes :func:`~.kernels.insertion_argsort` of its
    queries, which are sorted already (spike times, error instants): linear
    time, and the general sort is not compiled on that path. Returns early
    (``out`` then incomplete) once ``stop[0] != 0`` (read at every stop of
    the sweep; see :mod:`.threads`).

    Propagator table: unless ``tab_t`` is empty (:func:`no_table`), the sweep
    records where it stopped and the propagators it used, for
    :func:`adjoint_sweep` on the same two layers, which stops at the same
    times backwards: ``tab_t[0]`` the start, ``tab_t[m]`` the end of the m-th
    piece of positive length and ``tab_p[m]`` its ``(e1, e2, eL, E1, E2)``
    (room for ``len(query_t) + len(pre_t) + 1`` entries). Returns the number
    of entries recorded (0 without a table).
    """
    n_ev = pre_t.shape[0]
    x1 = zeros(n_pre)
    x2 = zeros(n_pre)
    y1 = zeros(n_pre)
    y2 = zeros(n_pre)
    now = 0.0 if n_ev == 0 else min(0.0, pre_t[0])
    p = 0
    record = tab_t.shape[0] > 0
    m = 0
    if record:
        tab_t[0] = now
        m = 1
    for qq in range(query_t.shape[0]):
        q = order[qq]
        tq = query_t[q]
        while True:
            if stop[0] != 0:
                return m
            # next stop: the next presynaptic spike strictly before tq, else tq
            is_spike = p < n_ev and pre_t[p] < tq
            nxt = pre_t[p] if is_spike else tq
            h = nxt - now
            if h > 0.0:
                e1, e2, eL, E1, E2 = propagators(h, tau1, tau2, tau_L_hat, 1.0)
                if record:
                    tab_t[m] = nxt
                    tab_p[m, 0] = e1
                    tab_p[m, 1] = e2
                    tab_p[m, 2] = eL
                    tab_p[m, 3] = E1
                    tab_p[m, 4] = E2
                    m += 1
                for i in range(n_pre):
                    y1[i] = y1[i] * eL + x1[i] * E1
                    y2[i] = y2[i] * eL + x2[i] * E2
                    x1[i] *= e1
                    x2[i] *= e2
                now = nxt
            if not is_spike:
                break
            x1[pre_neuron[p]] += 1.0
            x2[pre_neuron[p]] += 1.0
            p += 1
        for i in range(n_pre):
            out[q, i] = (y1[i] - y2[i]) / C
    return m


# Not called by the backward pass (it uses the tabled sweep), only by the tests, the course's checkers and
# benchmarks/profile_iteration.py: compiled on first use and not cached, so the warm-up need not compile it.
@numba.njit
def adjoint_sweep(delta, src_t, src_neuron, W_l, qry_t, qry_neuron, n_pre, tau1, tau2, tau_L_hat, C, stop):
    """:func:`adjoint_sweep_tabled` without a propagator table (every propagator computed)."""
    tab_t, tab_p = no_table()
    return adjoint_sweep_tabled(delta, src_t, src_neuron, W_l, qry_t, qry_neuron, n_pre, tau1, tau2, tau_L_hat, C,
                                stop, tab_t, tab_p, 0)


@numba.njit(cache=True, error_model="numpy")
def adjoint_sweep_tabled(delta, src_t, src_neuron, W_l, qry_t, qry_neuron, n_pre, tau1, tau2, tau_L_hat, C, stop,
                         tab_t, tab_p, n_tab):
    """a[e, q] = sum_{p: t_p > t_q} delta[e, p] W_l[j_p, i_q] psihat'(t_p - t_q) (mV/ms).

    Sources p: the spikes of layer l (times ``src_t``, neurons j_p), with
    delta_j^f per error instant e; queries q: the spikes of layer l-1. The
    anti-causal twin of :func:`d_hat_sweep`: sweep backwards in time; every
    source spike adds delta[e, p] W_l[j_p, :] to traces (one per error
    instant e and presynaptic neuron i) that are propagated with the same
    exact propagators and read at each query spike.
    psihat' = alpha / C - psihat / tau_L'. Returns early (``a`` then
    incomplete) once ``stop[0] != 0`` (see :mod:`.threads`).

    ``tab_t[:n_tab]``, ``tab_p``: the propagator table that
    :func:`d_hat_sweep_ordered` recorded on the same two layers (dhat of
    layer l-1 at the spikes of layer l). Its pieces run between consecutive
    distinct spike times of both layers, as this sweep's do, and ``h`` is the
    same difference of the same two times: a piece found there takes its
    propagators from the table (the same bits), any other is computed.
    """
    n_e = delta.shape[0]
    a = zeros(n_e * qry_t.shape[0]).reshape((n_e, qry_t.shape[0]))
    # Traces of (e, i) at (n_e - 1 - e) * n_pre + i, the last error instant first: one flat loop
    # per propagation (vectorised). The traces of error instant e stay exactly 0.0 until a source
    # with delta[e, p] != 0 adds to them (0 times a propagator is 0), and a query then reads
    # a[e, q] = 0.0, the value ``a`` starts with. So only the error instants from e_lo on (the
    # lowest e with a nonzero delta so far; their traces are the first (n_e - e_lo) * n_pre) are
    # propagated and read: the same numbers, less work (an error instant at t gets nonzero
    # deltas only from sources before t, and the sweep runs backwards from T).
    x1 = zeros(n_e * n_pre)
    x2 = zeros(n_e * n_pre)
    y1 = zeros(n_e * n_pre)
    y2 = zeros(n_e * n_pre)
    e_lo = n_e
    p = src_t.shape[0] - 1
    q = qry_t.shape[0] - 1
    now = np.inf
    u = n_tab - 1  # table entry at or below now
    while q >= 0:
        if stop[0] != 0:
            return a
        # a source strictly later than the query comes first (psihat'(0) = 0)
        is_src = p >= 0 and src_t[p] > qry_t[q]
        nxt = src_t[p] if is_src else qry_t[q]
        if e_lo < n_e and now > nxt:
            while u > 0 and tab_t[u] > now:  # (now only decreases)
                u -= 1
            if u > 0 and tab_t[u] == now and tab_t[u - 1] == nxt:  # the piece [nxt, now] is in the table
                e1, e2, eL, E1, E2 = tab_p[u, 0], tab_p[u, 1], tab_p[u, 2], tab_p[u, 3], tab_p[u, 4]
            else:
                e1, e2, eL, E1, E2 = propagators(now - nxt, tau1, tau2, tau_L_hat, 1.0)
            for ei in range((n_e - e_lo) * n_pre):
                y1[ei] = y1[ei] * eL + x1[ei] * E1
                y2[ei] = y2[ei] * eL + x2[ei] * E2
                x1[ei] *= e1
                x2[ei] *= e2
        now = nxt
        if is_src:
            j = src_neuron[p]
            for e in range(n_e):
                d = delta[e, p]
                if d != 0.0:
                    e_lo = min(e_lo, e)
                    x1_e = x1[(n_e - 1 - e) * n_pre:(n_e - e) * n_pre]  # the traces of error instant e
                    x2_e = x2[(n_e - 1 - e) * n_pre:(n_e - e) * n_pre]
                    for i in range(n_pre):
                        x1_e[i] += d * W_l[j, i]
                        x2_e[i] += d * W_l[j, i]
            p -= 1
        else:
            i = qry_neuron[q]
            for e in range(e_lo, n_e):
                ei = (n_e - 1 - e) * n_pre + i
                a[e, q] = ((x1[ei] - x2[ei]) - (y1[ei] - y2[ei]) / tau_L_hat) / C
            q -= 1
    return a
