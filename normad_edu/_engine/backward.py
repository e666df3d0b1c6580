"""The compiled NormAD backward pass (private).

Computes exactly what :func:`normad_edu.normad.normad_update_reference`
computes (same equations, same symbols; ``tests/test_normad_core.py`` checks
the two agree), but fast:

* ``dhat_i(t) = sum_f psihat(t - t_i^f)`` at many query times is one sweep
  through time (:func:`.sweeps.d_hat_sweep`) with exact exponential propagators,
  instead of one kernel evaluation per (query, spike) pair;
* the backward recursion ``a_i^g = sum delta_j^f W_ji psihat'(t_j^f - t_i^g)``
  is the same sweep run backwards in time (:func:`.sweeps.adjoint_sweep`);
* the problems of a batch run in parallel (:mod:`.threads`).

Memory layout
-------------
A :class:`~normad_edu.network.ForwardRecord` holds one padded array per
layer. :func:`pack_record` concatenates, for every problem b, the layers'
arrays into one flat row (``spike_t[b]``, ``weights[b]``, ...); layer l
occupies ``[offset[l], offset[l + 1])`` of that row and the kernel views it
with its own shape ``(n_l, K_l)`` or ``(n_l, n_{l-1})``. So the engine holds
what each layer needs and no more (padding every layer to the largest one
asked for (n_max)^2 weights per layer: 60 GiB for 20 problems of a
20,000-input neuron). The input spike times, often the largest array, are
not copied: the kernel reads them from the record's own ``(B, n_0, K_0)``
array (``PackedRecord.input_t``).

Units: ms, mV, pF, pA (see :mod:`normad_edu.normad`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numba
import numpy as np

from .threads import INTERRUPTIBLE_WORK, over_batch
from .kernels import flatten_spikes, insertion_argsort, psi_hat_dot
from .sweeps import adjoint_sweep_tabled, d_hat_sweep_ordered, zeros


class Layout(NamedTuple):
    """Where each layer lives in the flat buffers of :class:`PackedRecord` (all int64).

    ``sizes[l]``: neurons n_l of layer l = 0 (inputs) .. L (output);
    ``width[l]``: spike slots K_l of layer l < L; ``*_offset``: start of each
    layer's block (one more entry than blocks). Spikes (times, counts, Vdot)
    are stored for layers 0 .. L-1 (the output layer's spikes enter only
    through the error instants), times and Vdot only for hidden layers
    1 .. L-1 (a zero-length block for layer 0, whose times are
    ``PackedRecord.input_t``), weights W^l for l = 1 .. L at block l - 1.
    """

    sizes: np.ndarray
    width: np.ndarray
    spike_offset: np.ndarray
    count_offset: np.ndarray
    vdot_offset: np.ndarray
    weight_offset: np.ndarray


class PackedRecord(NamedTuple):
    """A forward record as flat per-problem rows (see :class:`Layout`)."""

    layout: Layout
    input_t: np.ndarray      # (B, n_0, K_0) input spike times (ms), +inf padding: the record's array, not a copy
    spike_t: np.ndarray      # (B, sum_{hidden l} n_l K_l) spike times (ms), +inf padding
    spike_count: np.ndarray  # (B, sum_l n_l) int64
    vdot: np.ndarray         # (B, sum_{hidden l} n_l K_l) dV/dt at each spike (mV/ms)
    weights: np.ndarray      # (B, sum_l n_l n_{l-1}) W^l (pA)


def _offsets(block_sizes) -> np.ndarray:
    """[0, s0, s0 + s1, ...]: where each block starts, and the total at the end."""
    out = [0]
    for n in block_sizes:
        out.append(out[-1] + int(n))
    return np.array(out, dtype=np.int64)


def _rows(arrays, B: int, dtype) -> np.ndarray:
    """(B, ...) arrays -> one (B, total) array, block after block."""
    widths = [math.prod(a.shape[1:]) for a in arrays]
    out = np.empty((B, sum(widths)), dtype=dtype)
    start = 0
    for a, w in zip(arrays, widths):
        out[:, start:start + w] = a.reshape(B, w)
        start += w
    return out


def pack_record(record) -> PackedRecord:
    """Concatenate each layer's padded arrays of a ForwardRecord into flat rows (one per problem)."""
    L = len(record.layers)
    spikes = [record.inputs] + list(record.layers[:-1])  # layers 0 .. L-1
    B = record.inputs.counts.shape[0]
    sizes = [s.counts.shape[1] for s in spikes] + [record.layers[-1].counts.shape[1]]
    width = [s.times.shape[2] for s in spikes]
    layout = Layout(
        sizes=np.array(sizes, dtype=np.int64),
        width=np.array(width, dtype=np.int64),
        spike_offset=_offsets(sizes[l] * width[l] if 0 < l else 0 for l in range(L)),
        count_offset=_offsets(sizes[:L]),
        vdot_offset=_offsets(sizes[l] * width[l] if 0 < l else 0 for l in range(L)),
        weight_offset=_offsets(sizes[l + 1] * sizes[l] for l in range(L)),
    )
    return PackedRecord(
        layout=layout,
        input_t=np.ascontiguousarray(record.inputs.times, dtype=np.float64),
        spike_t=_rows([s.times for s in spikes[1:]], B, np.float64),
        spike_count=_rows([s.counts for s in spikes], B, np.int64),
        vdot=_rows([s.vdot for s in spikes[1:]], B, np.float64),
        weights=_rows(record.weights, B, np.float64),
    )


def unpack_weights(layout: Layout, flat: np.ndarray) -> list[np.ndarray]:
    """Split flat ``(B, sum n_l n_{l-1})`` rows back into ``[(B, n_l, n_{l-1}) for l = 1 .. L]``."""
    s, o = layout.sizes, layout.weight_offset
    return [flat[:, o[l]:o[l + 1]].reshape(flat.shape[0], s[l + 1], s[l]).copy() for l in range(len(s) - 1)]


# ---------------------------------------------------------------------------
# Normalised accumulation
# ---------------------------------------------------------------------------

@numba.njit(cache=True)
def add_normalized(dW_l, G, scale, normalize):
    """dW_l += scale * G / ||G||_F (skipped when ||G|| = 0); normalize False: no division.

    ``dW_l``, ``G``: 1-D arrays of one length (a layer's matrix flattened,
    or one row). Loops in the order of ``np.sum(G * G)`` and
    ``dW_l += (scale / norm) * G`` (the same bits), without temporaries."""
    norm = 1.0
    if normalize:
        sq = 0.0
        for i in range(G.shape[0]):
            sq += G[i] * G[i]
        norm = math.sqrt(sq)
    add_scaled(dW_l, G, scale, norm)


@numba.njit(cache=True)
def add_scaled(dW_l, G, scale, norm):
    """dW_l += (scale / norm) * G, skipped when norm = 0 (the last step of :func:`add_normalized`)."""
    if norm > 0.0:
        f = scale / norm
        for i in range(G.shape[0]):
            dW_l[i] += f * G[i]


@numba.njit(cache=True)
def sums_of_squares(G, rows, n, sq):
    """sq[r] = sum_{x < n} G[rows[r], x]^2 for the 8 rows ``rows`` (a row may repeat).

    Each sum runs in the order of :func:`add_normalized` (x = 0, 1, ..., one
    addition at a time: the same bits). One such sum is a chain of dependent
    additions, each waiting for the one before; eight independent chains
    advance together, so the processor overlaps them (~3x faster per sum).
    """
    g0, g1, g2, g3 = G[rows[0]], G[rows[1]], G[rows[2]], G[rows[3]]
    g4, g5, g6, g7 = G[rows[4]], G[rows[5]], G[rows[6]], G[rows[7]]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    for x in range(n):
        s0 += g0[x] * g0[x]
        s1 += g1[x] * g1[x]
        s2 += g2[x] * g2[x]
        s3 += g3[x] * g3[x]
        s4 += g4[x] * g4[x]
        s5 += g5[x] * g5[x]
        s6 += g6[x] * g6[x]
        s7 += g7[x] * g7[x]
    sq[0] = s0
    sq[1] = s1
    sq[2] = s2
    sq[3] = s3
    sq[4] = s4
    sq[5] = s5
    sq[6] = s6
    sq[7] = s7


#: Error instants whose hidden-layer gradients G^l are formed before they are normalised together
#: (:func:`sums_of_squares` runs eight sums at once).
E_BLOCK = 8


@numba.njit(cache=True)
def count_before(t_sorted, t):
    """Number of entries of the sorted ``t_sorted`` strictly below ``t`` (binary search)."""
    lo = 0
    hi = t_sorted.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if t_sorted[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


#: ``normalize`` codes of the kernel.
NO_NORMALIZATION, PER_LAYER, PER_NEURON = 0, 1, 2


# ---------------------------------------------------------------------------
# The backward pass: one problem, and a batch in parallel
# ---------------------------------------------------------------------------

@numba.njit(cache=True, error_model="numpy")
def backward_one(layout, in_t, times_buf, counts_buf, vdot_buf, weights_buf, err_t, err_s, rates, plastic,
                 normalize, tau1, tau2, tau_L_hat, C, vdot_min, dW_buf, stop):
    """Accumulate the NormAD updates of every plastic layer of one problem into ``dW_buf``.

    ``in_t`` (n_0, K_0): this problem's input spike times; ``times_buf``,
    ``counts_buf``, ``vdot_buf``, ``weights_buf``, ``dW_buf``: its flat rows
    (see :class:`Layout`). ``err_t``/``err_s`` (n_L, E):
    error instants of each output neuron and their signs (+-1, 0 = padding,
    nonzero first). ``rates[l-1]``/``plastic[l-1]``: r_l and whether W^l
    learns. ``normalize``: NO_NORMALIZATION (gradient check), PER_LAYER
    (NormAD) or PER_NEURON. Returns early (``dW_buf`` then incomplete) once
    ``stop[0] != 0`` (see :mod:`.threads`).
    """
    sizes = layout.sizes
    L = sizes.shape[0] - 1
    hidden_plastic = False
    for l in range(L - 1):
        hidden_plastic = hidden_plastic or plastic[l]

    # Spikes of layers 0 .. L-1 as one flat, per-layer time-sorted list:
    # layer l is [start[l], start[l + 1]). vdot_clipped = max(Vdot, vdot_min).
    start = np.empty(L + 1, dtype=np.int64)
    start[0] = 0
    for l in range(L):
        c = layout.count_offset
        n_spikes = 0
        for m in range(c[l], c[l + 1]):
            n_spikes += counts_buf[m]
        start[l + 1] = start[l] + n_spikes
    spike_t = np.empty(start[L])
    spike_neuron = np.empty(start[L], dtype=np.int64)
    vdot_clipped = np.empty(start[L])
    for l in range(L):
        n, K = sizes[l], layout.width[l]
        times_l = in_t if l == 0 else times_buf[layout.spike_offset[l]:layout.spike_offset[l + 1]].reshape((n, K))
        counts_l = counts_buf[layout.count_offset[l]:layout.count_offset[l + 1]]
        t_l, j_l, f_l = flatten_spikes(times_l, counts_l, n)
        for p in range(t_l.shape[0]):  # (loops, not slice assignments: those compile for seconds)
            spike_t[start[l] + p] = t_l[p]
            spike_neuron[start[l] + p] = j_l[p]
        if 0 < l:
            vdot_l = vdot_buf[layout.vdot_offset[l]:layout.vdot_offset[l + 1]].reshape((n, K))
            for p in range(t_l.shape[0]):
                vdot_clipped[start[l] + p] = max(vdot_l[j_l[p], f_l[p]], vdot_min)

    # The last error instant of any output neuron: a spike at or after it gets delta = 0 for every
    # instant (a spike moves only the potential after it), so dhat is not needed there.
    t_last = -np.inf
    for k in range(err_s.shape[0]):
        for e in range(err_s.shape[1]):
            if err_s[k, e] != 0:
                t_last = max(t_last, err_t[k, e])

    # dhat^{l-1} at the spikes of each hidden layer l with plastic W^l (those before t_last):
    # block l of dhat_buf, rows = spikes of layer l, columns = neurons of l-1.
    dhat_offset = np.empty(L + 1, dtype=np.int64)
    dhat_offset[0] = 0
    dhat_offset[1] = 0
    for l in range(1, L):
        dhat_offset[l + 1] = dhat_offset[l] + (start[l + 1] - start[l]) * sizes[l - 1] * (1 if plastic[l - 1] else 0)
    dhat_buf = np.empty(dhat_offset[L])
    # Propagator tables: the sweep for dhat^{l-1} at the spikes of layer l stops where the adjoint
    # sweep from layer l to l-1 stops (the spikes of both layers); when both run (l > 1, W^l and a
    # lower layer plastic), the first records its propagators in block l and the second reads them.
    below_plastic = np.empty(L + 1, dtype=np.bool_)  # below_plastic[l]: a W^m with m < l is plastic
    below_plastic[0] = False
    for l in range(1, L + 1):
        below_plastic[l] = below_plastic[l - 1] or plastic[l - 1]
    tab_offset = np.empty(L + 1, dtype=np.int64)
    tab_offset[0] = 0
    tab_offset[1] = 0
    for l in range(1, L):
        tabled = plastic[l - 1] and below_plastic[l - 1]
        tab_offset[l + 1] = tab_offset[l] + ((start[l + 1] - start[l - 1] + 1) if tabled else 0)
    tab_t_buf = np.empty(tab_offset[L])
    tab_p_buf = np.empty(5 * tab_offset[L]).reshape((tab_offset[L], 5))
    n_tab = np.empty(L + 1, dtype=np.int64)
    for l in range(1, L):
        n_tab[l] = 0
        if plastic[l - 1]:
            n_spk = start[l + 1] - start[l]
            t_q = spike_t[start[l]:start[l] + count_before(spike_t[start[l]:start[l + 1]], t_last)]
            n_tab[l] = d_hat_sweep_ordered(t_q, insertion_argsort(t_q), spike_t[start[l - 1]:start[l]],
                                           spike_neuron[start[l - 1]:start[l]], sizes[l - 1], tau1, tau2, tau_L_hat,
                                           C, dhat_buf[dhat_offset[l]:dhat_offset[l + 1]].reshape((n_spk, sizes[l - 1])),
                                           stop, tab_t_buf[tab_offset[l]:tab_offset[l + 1]],
                                           tab_p_buf[tab_offset[l]:tab_offset[l + 1]])

    wo = layout.weight_offset
    n_L, n_prev = sizes[L], sizes[L - 1]
    W_out = weights_buf[wo[L - 1]:wo[L]].reshape((n_L, n_prev))
    dW_out = dW_buf[wo[L - 1]:wo[L]].reshape((n_L, n_prev))
    rows = np.empty(E_BLOCK, dtype=np.int64)
    sq = np.empty(E_BLOCK)
    for k in range(n_L):
        if stop[0] != 0:
            return
        n_e = 0
        while n_e < err_s.shape[1] and err_s[k, n_e] != 0:
            n_e += 1
        if n_e == 0:
            continue
        t_err = err_t[k, :n_e]
        # --- output layer: G^L[k, :] = dhat^{L-1}(t) ---------------------------
        if plastic[L - 1]:
            dhat_err = np.empty(n_e * n_prev).reshape((n_e, n_prev))
            d_hat_sweep_ordered(t_err, insertion_argsort(t_err), spike_t[start[L - 1]:start[L]],
                                spike_neuron[start[L - 1]:start[L]], n_prev, tau1, tau2, tau_L_hat, C, dhat_err, stop,
                                tab_t_buf[:0], tab_p_buf[:0])
            for e in range(n_e):
                add_normalized(dW_out[k], dhat_err[e], rates[L - 1] * err_s[k, e], normalize != NO_NORMALIZATION)
        if not hidden_plastic:
            continue
        # --- layer L-1: a_j^f = -W^L_kj psihat'(t - t_j^f) ---------------------
        # (psihat'(lag) = 0 for lag <= 0: only the spikes before t, the first ones of the sorted layer)
        lo, hi = start[L - 1], start[L]
        a = zeros(n_e * (hi - lo)).reshape((n_e, hi - lo))
        for e in range(n_e):
            for p in range(count_before(spike_t[lo:hi], t_err[e])):
                lag = t_err[e] - spike_t[lo + p]
                a[e, p] = -W_out[k, spike_neuron[lo + p]] * psi_hat_dot(lag, tau1, tau2, tau_L_hat, C)
        # --- hidden layers l = L-1 .. 1 -----------------------------------------
        for l in range(L - 1, 0, -1):
            lo, hi = start[l], start[l + 1]
            # delta_j^f = a_j^f / max(Vdot_j^f, vdot_min), for every e
            delta = np.empty(n_e * (hi - lo)).reshape((n_e, hi - lo))
            for e in range(n_e):
                for p in range(hi - lo):
                    delta[e, p] = a[e, p] / vdot_clipped[lo + p]
            n_l, n_in = sizes[l], sizes[l - 1]
            W_l = weights_buf[wo[l - 1]:wo[l]].reshape((n_l, n_in))
            if plastic[l - 1]:
                dW_l = dW_buf[wo[l - 1]:wo[l]]  # flat (n_l, n_in): [j * n_in + i]
                dhat_l = dhat_buf[dhat_offset[l]:dhat_offset[l + 1]].reshape((hi - lo, n_in))
                # G^l of E_BLOCK error instants at a time (each flat as dW_l, zeroed before use), then their
                # normalised steps in the order of the instants
                G = np.empty(E_BLOCK * n_l * n_in).reshape((E_BLOCK, n_l * n_in))
                for e0 in range(0, n_e, E_BLOCK):
                    n_b = min(E_BLOCK, n_e - e0)
                    for b in range(n_b):
                        if stop[0] != 0:
                            return
                        e = e0 + b
                        G_e = G[b]
                        G_rows = G_e.reshape((n_l, n_in))  # the same memory, row j = neuron j
                        G_e[:] = 0.0
                        # G^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f); delta = 0 from t on
                        for p in range(count_before(spike_t[lo:hi], t_err[e])):
                            d = delta[e, p]
                            if d != 0.0:
                                # (a row of a 2-D array, not G[j * n_in + i]: the compiler cannot tell that
                                # j * n_in + i >= 0 and then does not vectorise the loop)
                                j = spike_neuron[lo + p]
                                for i in range(n_in):
                                    G_rows[j, i] -= d * dhat_l[p, i]
                    if normalize == PER_LAYER:  # ||G||^2 of the block's instants (unused rows repeat row 0)
                        for b in range(E_BLOCK):
                            rows[b] = b if b < n_b else 0
                        sums_of_squares(G, rows, n_l * n_in, sq)
                    for b in range(n_b):
                        scale = rates[l - 1] * err_s[k, e0 + b]
                        if normalize == PER_NEURON:  # every row j on its own: dW_l[j] += r e G[j] / ||G[j]||
                            per_row = normalize == PER_NEURON  # (a plain bool: one compiled add_normalized)
                            for j in range(n_l):
                                add_normalized(dW_l[j * n_in:(j + 1) * n_in], G[b, j * n_in:(j + 1) * n_in],
                                               scale, per_row)
                        elif normalize == PER_LAYER:  # dW_l += r e G / ||G||
                            add_scaled(dW_l, G[b], scale, math.sqrt(sq[b]))
                        else:
                            add_scaled(dW_l, G[b], scale, 1.0)
            if not below_plastic[l - 1]:
                break
            # a_i^g = sum_{j,f: t_j^f > t_i^g} delta_j^f W^l_ji psihat'(t_j^f - t_i^g)
            a = adjoint_sweep_tabled(delta, spike_t[lo:hi], spike_neuron[lo:hi], W_l, spike_t[start[l - 1]:start[l]],
                                     spike_neuron[start[l - 1]:start[l]], n_in, tau1, tau2, tau_L_hat, C, stop,
                                     tab_t_buf[tab_offset[l]:tab_offset[l + 1]],
                                     tab_p_buf[tab_offset[l]:tab_offset[l + 1]], n_tab[l])


@numba.njit(cache=True, nogil=True)
def backward_range(lo, hi, stop, layout, in_t, times_buf, counts_buf, vdot_buf, weights_buf, err_t, err_s, rates,
                   plastic, normalize, tau1, tau2, tau_L_hat, C, vdot_min, dW_buf):
    """:func:`backward_one` for problems lo .. hi-1 of the batch (run in parallel by
    :func:`normad_edu._engine.threads.over_batch`; returns early once ``stop[0] != 0``)."""
    for b in range(lo, hi):
        if stop[0] != 0:
            return
        backward_one(layout, in_t[b], times_buf[b], counts_buf[b], vdot_buf[b], weights_buf[b], err_t[b], err_s[b],
                     rates, plastic, normalize, tau1, tau2, tau_L_hat, C, vdot_min, dW_buf[b], stop)


def backward_batch(layout, in_t, times_buf, counts_buf, vdot_buf, weights_buf, err_t, err_s, rates, plastic,
                   normalize, tau1, tau2, tau_L_hat, C, vdot_min, dW_buf, *, work: float = 0.0) -> None:
    """:func:`backward_one` for every problem b of the batch, in parallel (``work``: see
    :func:`~.threads.over_batch`)."""
    over_batch(backward_range, times_buf.shape[0], layout, in_t, times_buf, counts_buf, vdot_buf, weights_buf, err_t,
               err_s, rates, plastic, normalize, tau1, tau2, tau_L_hat, C, vdot_min, dW_buf, work=work)


def backward_work(packed: PackedRecord, n_errors: int) -> float:
    """Work estimate of the backward pass of a batch (trace updates; see :func:`~.threads.over_batch`):
    every spike of layers 0 .. L-1 updates the traces of its layer's neurons once per error instant."""
    lay = packed.layout
    n_spikes = packed.spike_count.sum(axis=0)  # per neuron, over the batch
    per_layer = [float(n_spikes[lay.count_offset[l]:lay.count_offset[l + 1]].sum()) * float(lay.sizes[l])
                 for l in range(len(lay.sizes) - 1)]
    return sum(per_layer) * (n_errors + 1)


def run_backward(record, err_t, err_s, rates, plastic, *, normalize: int, tau1: float, tau2: float,
                 tau_L_hat: float, C: float, vdot_min: float) -> list[np.ndarray]:
    """Pack ``record``, run the compiled pass, return ``[dW^l (B, n_l, n_{l-1}) for l = 1 .. L]`` (pA).

    ``normalize``: NO_NORMALIZATION, PER_LAYER or PER_NEURON. No validation."""
    packed = pack_record(record)
    dW = np.zeros(packed.weights.shape)
    if np.any(plastic):
        args = (packed.layout, packed.input_t, packed.spike_t, packed.spike_count, packed.vdot, packed.weights,
                np.ascontiguousarray(err_t, dtype=np.float64), np.ascontiguousarray(err_s, dtype=np.int8),
                np.asarray(rates, dtype=np.float64), np.asarray(plastic, dtype=np.bool_), int(normalize),
                float(tau1), float(tau2), float(tau_L_hat), float(C), float(vdot_min))
        work = backward_work(packed, err_t.shape[-1])
        if dW.shape[0] == 1 and work < INTERRUPTIBLE_WORK:  # one short problem: row 0 of every array, here
            layout, in_t, spike_t, spike_count, vdot, weights, e_t, e_s, *rest = args
            backward_one(layout, in_t[0], spike_t[0], spike_count[0], vdot[0], weights[0], e_t[0], e_s[0], *rest, dW[0],
                         np.zeros(1, dtype=np.int64))
        else:  # in parallel; long work in the pool, so that Ctrl-C stops it
            backward_batch(*args, dW, work=work)
    return unpack_weights(packed.layout, dW)
