"""NormAD: error instants, the single-layer rule and spatio-temporal error
backpropagation through any number of hidden layers (spec Secs. 3-5).

Notation (paper / spec -> code)
-------------------------------
==========================  ====================  =========
symbol                      code                  unit
==========================  ====================  =========
e_k(t) = s_d,k - s_o,k      ``error_instants``    +-1 at instants (ms)
tau_L'                      ``tau_L_hat``         ms
hhat, psihat = alpha*hhat   ``kernels.psi_hat_kernel``
dhat_i(t) = (c_i * hhat)(t) ``d_hat``             ms/pF
Vdot_j(t_j^f)               ``vdot``              mV/ms
vdot_min                    ``vdot_min``          mV/ms
a_j^f = dVhat_k(t)/dt_j^f   ``a`` (adjoint)       mV/ms
delta_j^f = a_j^f / Vdot    ``delta``             1
G_k^l(t) = dVhat_k/dW^l     ``G``                 mV/pA
r_l                         ``rates[l-1]``        pA
==========================  ====================  =========

The rule (spec Sec. 5), for output neuron k and an error instant t with
sign e = +1 (missed desired spike) or -1 (extra output spike)::

    output layer L :  G^L[k, :]  = dhat^{L-1}(t)
    layer L-1      :  a_j^f      = -W^L_kj psihat'(t - t_j^f)          (t_j^f < t)
    every hidden l :  delta_j^f  = a_j^f / max(Vdot_j^f, vdot_min)
                      G^l[j, i]  = -sum_f delta_j^f dhat^{l-1}_i(t_j^f)
                      a_i^g      = sum_{j,f: t_j^f > t_i^g} delta_j^f W^l_ji psihat'(t_j^f - t_i^g)
    update         :  dW^l      += r_l e G^l / ||G^l||_F                 (skip if ||G^l|| = 0)

Errors travel backwards in space (through W^l) and in time (through
psihat' of spike-time differences, scaled by 1/Vdot at every spike): the
paper's spatio-temporal error backpropagation. With one LIF layer (L = 1)
only the first line is used: the single-layer NormAD rule (spec Sec. 4).

Every kernel value is exact: ``dhat`` is a linear filter of the presynaptic
spikes, computed by sweeping through time with the same exact exponential
propagators as the simulator (no grid); ``psihat'`` is evaluated in closed
form per spike pair. The backward pass is compiled with numba and runs the
batch of independent problems in parallel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from ._validation import check_nonnegative, check_positive, check_real
from .lif import _exp_filter, _flatten, _propagators
from .network import ForwardRecord
from .params import TAU_L_HAT, VDOT_MIN, LIFParams, SimParams, SynapseParams
from .spikes import as_spike_train


NORMALIZATIONS = ("layer", "neuron")


@dataclass(frozen=True)
class NormADParams:
    """Parameters of the NormAD rule (all reconstructed; see the spec).

    Parameters
    ----------
    tau_L_hat : float
        Effective membrane time constant tau_L' of ``hhat`` (ms), > 0.
        Default 2.5 ms (measured better than tau_L = 10 ms on 100 -> 1 problems).
    vdot_min : float
        Lower clip of dV/dt at hidden spikes in ``1 / Vdot`` (mV/ms), > 0.
        Default 1 mV/ms.
    coincidence_dt : float or None
        A desired and an observed spike of one neuron that fall in the same
        bin ``floor(t / coincidence_dt + coincidence_offset)`` cancel (ms).
        ``None`` uses the simulation step ``dt``; 0 cancels only identical
        times.
    coincidence_offset : float
        Shift of the bin edges, in bins, in [0, 1). 0 (default, used for the
        shipped results): bins ``[n dt, (n+1) dt)``, so a desired time on a
        grid point is the *left edge* of its bin and an output a few us
        early is a miss. 0.5: bins centred on the grid points (a symmetric
        +-dt/2 tolerance for grid-aligned targets such as the XOR ones).
    normalization : {"layer", "neuron"}
        "layer" (default; spec Sec. 5): each hidden layer's update at an
        error instant is ``r_l G / ||G||_F``. "neuron" is a labelled
        deviation studied in :mod:`normad_edu.study`: every row (hidden
        neuron) of G is normalised on its own, ``r_l G_j / ||G_j||``, so
        neurons far from the error get as large a step as near ones. The
        output layer's single row per error is the same either way.
    """

    tau_L_hat: float = TAU_L_HAT
    vdot_min: float = VDOT_MIN
    coincidence_dt: float | None = None
    coincidence_offset: float = 0.0
    normalization: str = "layer"

    def bins(self, sim: SimParams) -> tuple[float, float]:
        """``(width, offset)`` of the coincidence bins for simulation grid ``sim``."""
        return (sim.dt if self.coincidence_dt is None else self.coincidence_dt), self.coincidence_offset

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau_L_hat", check_positive("tau_L_hat", self.tau_L_hat, unit="ms"))
        object.__setattr__(self, "vdot_min", check_positive("vdot_min", self.vdot_min, unit="mV/ms"))
        off = check_nonnegative("coincidence_offset", self.coincidence_offset)
        if off >= 1.0:
            raise ValueError(f"coincidence_offset must be in [0, 1) (a fraction of a bin), got {off}")
        object.__setattr__(self, "coincidence_offset", off)
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {self.normalization!r}")
        if self.coincidence_dt is not None:
            object.__setattr__(self, "coincidence_dt",
                               check_nonnegative("coincidence_dt", self.coincidence_dt, unit="ms"))


# ---------------------------------------------------------------------------
# Error instants (spec Sec. 3)
# ---------------------------------------------------------------------------

def error_instants(desired, observed, coincidence_dt: float = 0.1,
                   coincidence_offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Instants where the output is wrong, with the sign of e(t) = s_d(t) - s_o(t).

    Parameters
    ----------
    desired, observed : array_like
        Desired and observed spike times of one neuron (ms).
    coincidence_dt : float
        Bin width (ms): within a bin ``floor(t / coincidence_dt)``, desired
        and observed spikes cancel pairwise (earliest with earliest); 0
        cancels only identical times. Default 0.1 ms (= dt), so
        "correlation 1.0" is reachable on the simulation grid.
    coincidence_offset : float
        Shift of the bin edges in bins, [0, 1); see :class:`NormADParams`.

    Returns
    -------
    times : ndarray
        Sorted error instants (ms).
    signs : ndarray of int
        +1 at a missed desired spike, -1 at an extra observed spike.
    """
    d = as_spike_train(desired, name="desired")
    o = as_spike_train(observed, name="observed")
    width, offset = NormADParams(coincidence_dt=coincidence_dt, coincidence_offset=coincidence_offset).bins(SimParams())
    t, s = _error_instants_padded(d[None], np.array([d.size]), o[None], np.array([o.size]), width, offset)
    keep = s[0] != 0
    return t[0][keep], s[0][keep].astype(np.int64)


def _error_instants_padded(d_times, d_counts, o_times, o_counts, coincidence_dt, offset=0.0):
    """Batched error instants: ``(..., K)`` padded trains -> ``(..., E)`` times and signs (0 = padding).

    Bins are ``floor(t / coincidence_dt + offset)`` (see :class:`NormADParams`)."""
    shape = d_counts.shape
    n = int(np.prod(shape))  # explicit row count: reshape(-1, 0) fails for an empty train (K = 0)
    d_t = np.asarray(d_times, dtype=np.float64).reshape(n, d_times.shape[-1])
    o_t = np.asarray(o_times, dtype=np.float64).reshape(n, o_times.shape[-1])
    dc = np.asarray(d_counts).reshape(-1)
    oc = np.asarray(o_counts).reshape(-1)
    t, s = _error_instants_kernel(d_t, dc, o_t, oc, float(coincidence_dt), float(offset))
    return t.reshape(shape + (-1,)), s.reshape(shape + (-1,))


@numba.njit(cache=True)
def _error_instants_kernel(d_t, dc, o_t, oc, width, offset):
    n = dc.shape[0]
    E = max(1, int((dc + oc).max()) if n else 1)
    times = np.full((n, E), np.inf)
    signs = np.zeros((n, E), dtype=np.int8)
    for r in range(n):
        i = 0
        j = 0
        e = 0
        # merge the two sorted trains; a desired and an observed spike in the
        # same bin cancel, everything else is an error instant
        while i < dc[r] or j < oc[r]:
            if i < dc[r] and j < oc[r]:
                td, to = d_t[r, i], o_t[r, j]
                same = td == to if width == 0.0 else math.floor(td / width + offset) == math.floor(to / width + offset)
                if same:
                    i += 1
                    j += 1
                    continue
                if td < to:
                    times[r, e] = td
                    signs[r, e] = 1
                    i += 1
                else:
                    times[r, e] = to
                    signs[r, e] = -1
                    j += 1
            elif i < dc[r]:
                times[r, e] = d_t[r, i]
                signs[r, e] = 1
                i += 1
            else:
                times[r, e] = o_t[r, j]
                signs[r, e] = -1
                j += 1
            e += 1
    return times, signs


# ---------------------------------------------------------------------------
# Kernels used by the rule (compiled)
# ---------------------------------------------------------------------------

@numba.njit(cache=True, inline="always")
def _psi_hat_dot(dt_, tau1, tau2, tau_L_hat, C):
    """psihat'(dt_) = alpha(dt_)/C - psihat(dt_)/tau_L' (1/pF); 0 for dt_ <= 0."""
    if dt_ <= 0.0:
        return 0.0
    alpha = math.exp(-dt_ / tau1) - math.exp(-dt_ / tau2)
    psi_hat = (_exp_filter(dt_, tau1, tau_L_hat) - _exp_filter(dt_, tau2, tau_L_hat)) / C
    return alpha / C - psi_hat / tau_L_hat


@numba.njit(cache=True)
def _d_hat_at(query, pre_t, pre_j, n_pre, tau1, tau2, tau_L_hat, C, out):
    """out[q, i] = dhat_i(query[q]) = sum_f psihat(query[q] - t_i^f).

    ``pre_t``/``pre_j``: presynaptic spikes sorted by time. dhat is c * hhat:
    every presynaptic neuron drives two exponential traces (x1: tau1, x2:
    tau2) feeding leaky integrators (y1, y2: tau_L'), and the psihat sum is
    (y1 - y2) / C. One sweep through time with exact propagators, no grid.
    """
    order = np.argsort(query, kind="mergesort")
    n_ev = pre_t.shape[0]
    x1 = np.zeros(n_pre)
    x2 = np.zeros(n_pre)
    y1 = np.zeros(n_pre)
    y2 = np.zeros(n_pre)
    now = 0.0 if n_ev == 0 else min(0.0, pre_t[0])
    p = 0
    for qq in range(query.shape[0]):
        q = order[qq]
        tq = query[q]
        while True:
            # next stop: the next presynaptic spike strictly before tq, else tq
            src = p < n_ev and pre_t[p] < tq
            nxt = pre_t[p] if src else tq
            h = nxt - now
            if h > 0.0:
                e1, e2, eL, E1, E2 = _propagators(h, tau1, tau2, tau_L_hat, 1.0)
                for i in range(n_pre):
                    y1[i] = y1[i] * eL + x1[i] * E1
                    y2[i] = y2[i] * eL + x2[i] * E2
                    x1[i] *= e1
                    x2[i] *= e2
                now = nxt
            if not src:
                break
            x1[pre_j[p]] += 1.0
            x2[pre_j[p]] += 1.0
            p += 1
        for i in range(n_pre):
            out[q, i] = (y1[i] - y2[i]) / C


@numba.njit(cache=True)
def _adjoint_sweep(delta, src_t, src_j, W_l, qry_t, qry_j, n_pre, tau1, tau2, tau_L_hat, C):
    """a[e, q] = sum_{p: t_p > t_q} delta[e, p] W_l[j_p, i_q] psihat'(t_p - t_q).

    The anti-causal twin of :func:`_d_hat_at`: sweep backwards in time;
    every source spike p of layer l adds delta[e, p] W_l[j_p, :] to traces
    (one per error instant e and presynaptic neuron i) that are propagated
    with the same exact propagators, read at each spike q of layer l-1.
    psihat' = alpha / C - psihat / tau_L'.
    """
    n_e = delta.shape[0]
    a = np.zeros((n_e, qry_t.shape[0]))
    x1 = np.zeros((n_e, n_pre))
    x2 = np.zeros((n_e, n_pre))
    y1 = np.zeros((n_e, n_pre))
    y2 = np.zeros((n_e, n_pre))
    p = src_t.shape[0] - 1
    q = qry_t.shape[0] - 1
    now = np.inf
    started = False
    while q >= 0:
        # a source strictly later than the query comes first (psihat'(0) = 0)
        src = p >= 0 and src_t[p] > qry_t[q]
        nxt = src_t[p] if src else qry_t[q]
        if started and now > nxt:
            h = now - nxt
            e1, e2, eL, E1, E2 = _propagators(h, tau1, tau2, tau_L_hat, 1.0)
            for e in range(n_e):
                for i in range(n_pre):
                    y1[e, i] = y1[e, i] * eL + x1[e, i] * E1
                    y2[e, i] = y2[e, i] * eL + x2[e, i] * E2
                    x1[e, i] *= e1
                    x2[e, i] *= e2
        now = nxt
        if src:
            j = src_j[p]
            for e in range(n_e):
                d = delta[e, p]
                if d != 0.0:
                    started = True
                    for i in range(n_pre):
                        x1[e, i] += d * W_l[j, i]
                        x2[e, i] += d * W_l[j, i]
            p -= 1
        else:
            i = qry_j[q]
            if started:
                for e in range(n_e):
                    a[e, q] = ((x1[e, i] - x2[e, i]) - (y1[e, i] - y2[e, i]) / tau_L_hat) / C
            q -= 1
    return a


@numba.njit(cache=True)
def _add_normalized(dW_l, G, scale, normalize):
    """dW_l += scale * G / ||G||_F (skipped when ||G|| = 0); normalize 0: no division."""
    norm = 1.0
    if normalize:
        norm = math.sqrt(np.sum(G * G))
    if norm > 0.0:
        dW_l += (scale / norm) * G


@numba.njit(cache=True)
def _add_row_normalized(dW_l, G, scale):
    """dW_l[j] += scale * G[j] / ||G[j]|| for every nonzero row j (per-neuron deviation)."""
    for j in range(G.shape[0]):
        _add_normalized(dW_l[j], G[j], scale, True)


# ---------------------------------------------------------------------------
# The backward pass (compiled; one problem)
# ---------------------------------------------------------------------------

@numba.njit(cache=True)
def _backward_one(times, counts, vdot, W, sizes, err_t, err_s, rates, plastic, normalize,
                  tau1, tau2, tau_L_hat, C, vdot_min, dW):
    """Accumulate NormAD updates of every plastic layer into dW (one problem).

    times/counts/vdot[l]: spikes of layer l (0 = inputs), padded to a common
    (n_max, K); W[l-1] is W^l padded to (n_max, n_max); err_t/err_s (n_L, E):
    error instants of each output neuron and their signs (0 = padding); normalize:
    0 none (gradient check), 1 per layer (NormAD), 2 per hidden neuron (deviation).
    """
    L = W.shape[0]
    hidden_plastic = False
    for l in range(L - 1):
        hidden_plastic = hidden_plastic or plastic[l]
    # Spikes of layers 0..L-1 as flat, time-sorted lists (with offsets), and
    # dhat^{l-1} at every spike of each hidden layer l (rows: its spikes).
    off = np.zeros(L + 1, dtype=np.int64)
    for l in range(L):
        off[l + 1] = off[l] + counts[l, :sizes[l]].sum()
    st = np.empty(off[L])
    sj = np.empty(off[L], dtype=np.int64)
    sv = np.empty(off[L])
    for l in range(L):
        t_l, j_l, f_l = _flatten(times[l], counts[l], sizes[l])
        st[off[l]:off[l + 1]] = t_l
        sj[off[l]:off[l + 1]] = j_l
        for p in range(t_l.shape[0]):
            sv[off[l] + p] = max(vdot[l, j_l[p], f_l[p]], vdot_min)  # clipped Vdot
    doff = np.zeros(L + 1, dtype=np.int64)
    for l in range(1, L):
        doff[l + 1] = doff[l] + (off[l + 1] - off[l]) * sizes[l - 1] * (1 if plastic[l - 1] else 0)
    D = np.empty(doff[L])
    for l in range(1, L):
        if plastic[l - 1]:
            N_l = off[l + 1] - off[l]
            _d_hat_at(st[off[l]:off[l + 1]], st[off[l - 1]:off[l]], sj[off[l - 1]:off[l]], sizes[l - 1],
                      tau1, tau2, tau_L_hat, C, D[doff[l]:doff[l + 1]].reshape((N_l, sizes[l - 1])))
    n_L, n_prev = sizes[L], sizes[L - 1]
    for k in range(n_L):
        n_e = 0
        while n_e < err_s.shape[1] and err_s[k, n_e] != 0:
            n_e += 1
        if n_e == 0:
            continue
        t_err = err_t[k, :n_e]
        # --- output layer: G^L[k, :] = dhat^{L-1}(t) ---------------------------
        if plastic[L - 1]:
            D_err = np.empty((n_e, n_prev))
            _d_hat_at(t_err, st[off[L - 1]:off[L]], sj[off[L - 1]:off[L]], n_prev,
                      tau1, tau2, tau_L_hat, C, D_err)
            for e in range(n_e):
                _add_normalized(dW[L - 1, k, :n_prev], D_err[e], rates[L - 1] * err_s[k, e], normalize > 0)
        if not hidden_plastic:
            continue
        # --- layer L-1: a_j^f = -W^L_kj psihat'(t - t_j^f) -------------------------
        lo, hi = off[L - 1], off[L]
        a = np.zeros((n_e, hi - lo))
        for e in range(n_e):
            for p in range(hi - lo):
                a[e, p] = -W[L - 1, k, sj[lo + p]] * _psi_hat_dot(t_err[e] - st[lo + p], tau1, tau2, tau_L_hat, C)
        # --- hidden layers l = L-1 .. 1 -----------------------------------------
        for l in range(L - 1, 0, -1):
            lo, hi = off[l], off[l + 1]
            delta = a / sv[lo:hi]  # delta_j^f = a_j^f / Vdot_j^f (broadcast over e)
            if plastic[l - 1]:
                n_l, n_in = sizes[l], sizes[l - 1]
                D_l = D[doff[l]:doff[l + 1]].reshape((hi - lo, n_in))
                G = np.zeros((n_l, n_in))
                for e in range(n_e):
                    G[:, :] = 0.0
                    for p in range(hi - lo):  # G^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f)
                        if delta[e, p] != 0.0:
                            G[sj[lo + p], :] -= delta[e, p] * D_l[p]
                    if normalize == 2:
                        _add_row_normalized(dW[l - 1, :n_l, :n_in], G, rates[l - 1] * err_s[k, e])
                    else:
                        _add_normalized(dW[l - 1, :n_l, :n_in], G, rates[l - 1] * err_s[k, e], normalize)
            below = False
            for m in range(l - 1):
                below = below or plastic[m]
            if not below:
                break
            # a_i^g = sum_{j,f: t_j^f > t_i^g} delta_j^f W^l_ji psihat'(t_j^f - t_i^g)
            a = _adjoint_sweep(delta, st[lo:hi], sj[lo:hi], W[l - 1], st[off[l - 1]:off[l]], sj[off[l - 1]:off[l]],
                               sizes[l - 1], tau1, tau2, tau_L_hat, C)


@numba.njit(cache=True, parallel=True)
def _backward_batch(times, counts, vdot, W, sizes, err_t, err_s, rates, plastic, normalize,
                    tau1, tau2, tau_L_hat, C, vdot_min, dW):
    for b in numba.prange(times.shape[0]):
        _backward_one(times[b], counts[b], vdot[b], W[b], sizes, err_t[b], err_s[b], rates, plastic,
                      normalize, tau1, tau2, tau_L_hat, C, vdot_min, dW[b])


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------

def check_rates_and_plastic(n_layers: int, rates, plastic=None) -> tuple[np.ndarray, np.ndarray]:
    """Validate per-layer learning rates (pA, >= 0) and plastic flags."""
    if np.isscalar(rates):
        rates = [rates] * n_layers
    if not isinstance(rates, (Sequence, np.ndarray)) or len(rates) != n_layers:
        raise ValueError(f"rates must be a number or one learning rate per LIF layer ({n_layers}), got {rates!r}")
    r = np.array([check_nonnegative(f"rates[{l}]", v, unit="pA") for l, v in enumerate(rates)])
    if plastic is None:
        plastic = [True] * n_layers
    if not isinstance(plastic, (Sequence, np.ndarray)) or len(plastic) != n_layers:
        raise ValueError(f"plastic must give one flag per LIF layer ({n_layers}), got {plastic!r}")
    return r, np.array([bool(p) for p in plastic])


def _pack_layers(record: ForwardRecord):
    """Stack every layer's padded spikes and weights into common shapes for the kernel."""
    spikes = [record.inputs] + list(record.layers)
    B = spikes[0].counts.shape[0]
    sizes = np.array([s.counts.shape[1] for s in spikes], dtype=np.int64)
    n_max = int(sizes.max())
    K = max(s.times.shape[2] for s in spikes)
    L = len(record.layers)
    times = np.full((B, L + 1, n_max, K), np.inf)
    counts = np.zeros((B, L + 1, n_max), dtype=np.int64)
    vdot = np.full((B, L + 1, n_max, K), np.nan)
    for l, s in enumerate(spikes):
        n, k = s.counts.shape[1], s.times.shape[2]
        times[:, l, :n, :k] = s.times
        counts[:, l, :n] = s.counts
        vdot[:, l, :n, :k] = s.vdot
    Wp = np.zeros((B, L, n_max, n_max))
    for l, W in enumerate(record.weights):
        Wp[:, l, : W.shape[1], : W.shape[2]] = W
    return times, counts, vdot, Wp, sizes


def normad_update(
    record: ForwardRecord,
    desired: tuple[np.ndarray, np.ndarray],
    rates,
    plastic=None,
    *,
    lif: LIFParams = LIFParams(),
    syn: SynapseParams = SynapseParams(),
    sim: SimParams = SimParams(),
    params: NormADParams = NormADParams(),
    normalize: bool = True,
) -> list[np.ndarray]:
    """NormAD weight updates of every layer for a batch of forward passes.

    Parameters
    ----------
    record : ForwardRecord
        Result of :func:`normad_edu.network.forward` (batch size B).
    desired : (times, counts)
        Desired output spikes, padded, shapes ``(B, n_L, K)`` and ``(B, n_L)``.
    rates : float or sequence of float
        Learning rate r_l of each LIF layer (pA per error instant), >= 0.
    plastic : sequence of bool, optional
        Which layers learn (default all). Frozen layers get a zero update.
    lif, syn, sim, params : parameter dataclasses
    normalize : bool
        True (NormAD): each layer's gradient is normalised per error
        instant. False returns ``sum_t e(t) G^l(t)`` unnormalised (used by
        the gradient check; ``rates`` still multiply).

    Returns
    -------
    list of ndarray
        ``dW^l`` (pA), shapes ``(B, n_l, n_{l-1})``; add them to the weights.
    """
    if not isinstance(record, ForwardRecord):
        raise TypeError(f"record must be a ForwardRecord from network.forward, got {type(record).__name__}")
    L = len(record.layers)
    r, plastic_flags = check_rates_and_plastic(L, rates, plastic)
    d_times, d_counts = (np.asarray(x) for x in desired)
    out = record.output
    if d_counts.shape != out.counts.shape or d_times.shape[:-1] != out.counts.shape:
        raise ValueError(f"desired spikes must have shapes (B, n_L, K) and (B, n_L) = (.., {out.counts.shape}), "
                         f"got {d_times.shape} and {d_counts.shape}")
    err_t, err_s = _error_instants_padded(d_times, d_counts, out.times, out.counts, *params.bins(sim))
    return backward(record, err_t, err_s, r, plastic_flags, lif=lif, syn=syn, params=params, normalize=normalize)


def backward(record: ForwardRecord, err_t: np.ndarray, err_s: np.ndarray, rates: np.ndarray, plastic: np.ndarray, *,
             lif: LIFParams, syn: SynapseParams, params: NormADParams, normalize: bool = True) -> list[np.ndarray]:
    """Run the compiled backward pass for given error instants (no validation).

    ``err_t``, ``err_s``: ``(B, n_L, E)`` instants (ms) and signs (+-1, 0 =
    padding, each row's nonzero signs first). With ``normalize=False`` and
    one instant of sign +1 the result is the gradient ``G^l = dVhat_k(t)/dW^l``
    times ``rates``. Returns ``dW^l`` of shapes ``(B, n_l, n_{l-1})``.
    """
    times, counts, vdot, W, sizes = _pack_layers(record)
    dW = np.zeros(W.shape)
    if np.any(plastic):
        args = (sizes, np.ascontiguousarray(err_t, dtype=np.float64), np.ascontiguousarray(err_s, dtype=np.int8),
                np.asarray(rates, dtype=np.float64), np.asarray(plastic, dtype=np.bool_),
                (2 if params.normalization == "neuron" else 1) if normalize else 0,
                syn.tau1, syn.tau2, params.tau_L_hat, lif.C, params.vdot_min)
        if times.shape[0] == 1:  # no thread pool for a single problem
            _backward_one(times[0], counts[0], vdot[0], W[0], args[0], args[1][0], args[2][0], *args[3:], dW[0])
        else:
            _backward_batch(times, counts, vdot, W, *args, dW)
    L = len(record.layers)
    return [dW[:, l, : sizes[l + 1], : sizes[l]].copy() for l in range(L)]


def d_hat(t, trains, *, tau_L_hat: float = TAU_L_HAT, syn: SynapseParams = SynapseParams(),
          lif: LIFParams = LIFParams()) -> np.ndarray:
    """``dhat_i(t) = sum_f psihat(t - t_i^f)`` for each presynaptic train (ms/pF).

    Parameters
    ----------
    t : float or array_like
        Query times (ms).
    trains : list of array_like
        Presynaptic spike trains (ms).

    Returns
    -------
    ndarray
        Shape ``(len(trains),)`` for a scalar ``t``, else ``(len(t), len(trains))``.
    """
    tau_L_hat = check_positive("tau_L_hat", tau_L_hat, unit="ms")
    tq = np.atleast_1d(np.asarray(t, dtype=np.float64))
    for v in tq:
        check_real("t", v, unit="ms")
    pops = [as_spike_train(tr, name=f"trains[{i}]") for i, tr in enumerate(trains)]
    from .spikes import to_padded

    pt, pc = to_padded(pops)
    pre_t, pre_j, _ = _flatten(pt, pc, len(pops))
    out = np.zeros((tq.size, len(pops)))
    _d_hat_at(tq, pre_t, pre_j, len(pops), syn.tau1, syn.tau2, tau_L_hat, lif.C, out)
    return out[0] if np.ndim(t) == 0 else out
