"""NormAD: error instants, the single-layer rule and spatio-temporal error
backpropagation through any number of hidden layers.

This is the module to read first: the rule in plain NumPy, one small
function per equation, with the paper's symbols. Units: ms, mV, pF, pA.

Notation (paper -> code)
------------------------
============================  ====================  ====================
symbol                        code                  unit
============================  ====================  ====================
e_k(t) = s_d,k - s_o,k        ``error_instants``    +-1 at instants (ms)
tau_L'                        ``tau_L_hat``         ms
hhat, psihat = alpha*hhat     ``Kernels.psi_hat``   ms/pF
dhat_i(t) = (c_i * hhat)(t)   ``dhat_at``           ms/pF
Vdot_j(t_j^f)                 ``vdot``              mV/ms
vdot_min                      ``vdot_min``          mV/ms
a_j^f = dVhat_k(t)/dt_j^f     ``a`` (adjoint)       mV/ms
delta_j^f = a_j^f / Vdot      ``delta``             1
G_k^l(t) = dVhat_k/dW^l       ``G``                 mV/pA
r_l                           ``rates[l-1]``        pA
============================  ====================  ====================

The rule (reconstructed), for output neuron k and an error instant t with
sign e = +1 (missed desired spike) or -1 (extra output spike)::

    output layer L :  G^L[k, :]  = dhat^{L-1}(t)
    layer L-1      :  a_j^f      = -W^L_kj psihat'(t - t_j^f)          (t_j^f < t)
    every hidden l :  delta_j^f  = a_j^f / max(Vdot_j^f, vdot_min)
                      G^l[j, i]  = -sum_f delta_j^f dhat^{l-1}_i(t_j^f)
                      a_i^g      = sum_{j,f: t_j^f > t_i^g} delta_j^f W^l_ji psihat'(t_j^f - t_i^g)
    update         :  dW^l      += r_l e G^l / ||G^l||_F                 (skip if ||G^l|| = 0)

(``NormADParams(normalization="neuron")``: every row G^l[j, :] is normalised
on its own instead.)

Errors travel backwards in space (through W^l) and in time (through
psihat' of spike-time differences, scaled by 1/Vdot at every spike): the
paper's spatio-temporal error backpropagation. With one LIF layer (L = 1)
only the first line is used: the single-layer NormAD rule.

How to read this module
-----------------------
``layer_spikes`` lists the spikes of one layer; ``dhat_at``,
``output_adjoints``, ``deltas``, ``hidden_gradient`` and ``adjoints_below``
are the lines of the rule above, in that order; ``backward_steps`` chains
them for one error instant, yielding one :class:`LayerBlame` (adjoints,
deltas, ``G^l``) per layer from the output down: the one place where the
recursion is written. ``update_for_error_instant`` adds each plastic layer's
normalised step (``add_normalized``) and ``normad_update_reference`` loops
over problems, output neurons and error instants. Every kernel value is exact: ``psihat`` and ``psihat'`` come in
closed form from :mod:`normad_edu.kernels`, no time grid.

:func:`normad_update` and :func:`backward` compute the same numbers with the
compiled engine (:mod:`normad_edu._engine`): it evaluates the same sums by
sweeping through time with exact exponential propagators (so ``dhat`` at
many instants costs one pass over the spikes) and runs the problems of a
batch in parallel. ``tests/test_normad_core.py`` checks that both agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._engine import backward as _engine
from ._engine import sweeps as _sweeps
from ._engine.error_instants import error_instants_padded as _engine_error_instants
from ._engine.kernels import flatten_spikes as _flatten_spikes
from .validation import check_nonnegative, check_positive, check_real
from .kernels import psi_hat_kernel, psi_hat_kernel_dot
from .network import ForwardRecord
from .params import TAU_L_HAT, LIFParams, NormADParams, SimParams, SynapseParams
from .spikes import as_spike_train, to_padded


# ---------------------------------------------------------------------------
# Error instants: e(t) = s_d(t) - s_o(t)
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

    def same_bin(td, to):
        return td == to if width == 0.0 else math.floor(td / width + offset) == math.floor(to / width + offset)

    times, signs = [], []
    i = j = 0  # next desired, next observed spike: merge the two sorted trains
    while i < d.size or j < o.size:
        if i < d.size and j < o.size and same_bin(d[i], o[j]):
            i, j = i + 1, j + 1  # a desired and an observed spike in one bin cancel
        elif j == o.size or (i < d.size and d[i] < o[j]):
            times.append(d[i])  # missed desired spike: e = +1
            signs.append(+1)
            i += 1
        else:
            times.append(o[j])  # extra output spike: e = -1
            signs.append(-1)
            j += 1
    return np.array(times, dtype=np.float64), np.array(signs, dtype=np.int64)


def error_instants_padded(d_times: np.ndarray, d_counts: np.ndarray, o_times: np.ndarray, o_counts: np.ndarray,
                          width: float, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`error_instants` of a whole batch at once, on padded trains (compiled).

    ``d_times``/``o_times`` ``(B, n, K)`` (ms, +inf padding) and their counts
    ``(B, n)``: desired and observed spikes of every output neuron; ``width``
    and ``offset`` the coincidence bins (``NormADParams.bins``). Returns
    ``(err_t, err_s)``, shapes ``(B, n, E)``: the error instants (ms) of each
    train in time order and their signs (+1 missed, -1 extra), padded with
    ``inf`` and sign 0. Inputs are assumed validated.
    """
    return _engine_error_instants(d_times, d_counts, o_times, o_counts, width, offset)


# ---------------------------------------------------------------------------
# The rule, one function per equation (one problem of a batch)
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Kernels:
    """``psihat`` (ms/pF) and ``psihat'`` (1/pF) with the rule's constants (ms, pF)."""

    tau1: float
    tau2: float
    C: float
    tau_L_hat: float

    def psi_hat(self, t):
        return psi_hat_kernel(t, self.tau1, self.tau2, self.C, self.tau_L_hat)

    def psi_hat_dot(self, t):  # 0 for t <= 0: a spike only influences later times
        return psi_hat_kernel_dot(t, self.tau1, self.tau2, self.C, self.tau_L_hat)


@dataclass(frozen=True)
class LayerSpikes:
    """Every spike of one layer of one problem: ``t`` (ms), the ``neuron`` j that
    fired, ``vdot`` = dV_j/dt at the spike (mV/ms); ``n`` neurons in the layer.

    :func:`layer_spikes` sorts them by time; the rule itself does not depend
    on the order (every function below sums over spikes)."""

    t: np.ndarray
    neuron: np.ndarray
    vdot: np.ndarray
    n: int

    @classmethod
    def from_trains(cls, trains, vdot=None) -> LayerSpikes:
        """Spikes of a list of trains (one per neuron, ms), neuron after neuron; ``vdot`` alike (default NaN)."""
        t = [np.asarray(tr, dtype=np.float64).reshape(-1) for tr in trains]
        neuron = [np.full(x.size, j) for j, x in enumerate(t)]
        v = [np.full(x.size, np.nan) for x in t] if vdot is None else [np.asarray(x, dtype=np.float64).reshape(-1)
                                                                       for x in vdot]

        def flat(parts, dtype):
            return np.concatenate([np.empty(0, dtype)] + parts).astype(dtype)

        return cls(flat(t, np.float64), flat(neuron, np.int64), flat(v, np.float64), len(t))


def layer_spikes(record: ForwardRecord, l: int, b: int) -> LayerSpikes:
    """Spikes of layer ``l`` (0 = inputs) of problem ``b`` of a forward record."""
    s = record.spikes(l)
    fired = np.arange(s.times.shape[2]) < s.counts[b][:, None]  # (n, K): slot f of neuron j holds a spike
    neuron = np.nonzero(fired)[0]
    order = np.argsort(s.times[b][fired], kind="stable")
    return LayerSpikes(s.times[b][fired][order], neuron[order], s.vdot[b][fired][order], s.counts.shape[1])


def dhat_at(t, pre: LayerSpikes, kern: Kernels) -> np.ndarray:
    """dhat_i(t) = sum_f psihat(t - t_i^f) for every neuron i of ``pre``: shape (len(t), pre.n) (ms/pF)."""
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    psi = kern.psi_hat(t[:, None] - pre.t[None, :])  # (times, spikes); 0 for spikes at or after t
    out = np.zeros((t.size, pre.n))
    np.add.at(out, (slice(None), pre.neuron), psi)  # out[:, i] += psi[:, s] for every spike s of neuron i
    return out


def output_adjoints(t: float, W_k: np.ndarray, spikes: LayerSpikes, kern: Kernels) -> np.ndarray:
    """Layer L-1: a_j^f = -W^L_kj psihat'(t - t_j^f), one per spike of ``spikes`` (mV/ms)."""
    return -W_k[spikes.neuron] * kern.psi_hat_dot(t - spikes.t)


def deltas(a: np.ndarray, spikes: LayerSpikes, vdot_min: float) -> np.ndarray:
    """delta_j^f = a_j^f / max(Vdot_j^f, vdot_min): a spike moves by -dV/Vdot."""
    return a / np.maximum(spikes.vdot, vdot_min)


def hidden_gradient(delta: np.ndarray, spikes: LayerSpikes, dhat_below: np.ndarray) -> np.ndarray:
    """G^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f) (mV/pA); ``dhat_below`` = dhat_at(spikes.t, layer l-1)."""
    G = np.zeros((spikes.n, dhat_below.shape[1]))
    np.add.at(G, spikes.neuron, -delta[:, None] * dhat_below)  # row j collects the spikes of neuron j
    return G


def adjoints_below(delta: np.ndarray, spikes: LayerSpikes, W_l: np.ndarray, below: LayerSpikes,
                   kern: Kernels) -> np.ndarray:
    """a_i^g = sum_{j,f: t_j^f > t_i^g} delta_j^f W^l_ji psihat'(t_j^f - t_i^g), one per spike of ``below``."""
    lag = spikes.t[:, None] - below.t[None, :]  # (spikes of l, spikes of l-1); psihat'(lag <= 0) = 0
    W_pairs = W_l[spikes.neuron][:, below.neuron]  # W^l_ji for every pair of spikes
    return (delta[:, None] * W_pairs * kern.psi_hat_dot(lag)).sum(axis=0)


def add_normalized(dW: np.ndarray, G: np.ndarray, scale: float, normalization: str | None) -> None:
    """dW += scale G / ||G||, in place; nothing where the norm is 0.

    ``normalization``: "layer" (Frobenius norm of the whole G), "neuron"
    (every row on its own), None (no division: the raw gradient)."""
    if normalization is None:
        dW += scale * G
    elif normalization == "layer":
        norm = np.sqrt(np.sum(G * G))
        if norm > 0:
            dW += scale * G / norm
    else:
        norms = np.sqrt(np.sum(G * G, axis=1))
        rows = norms > 0
        dW[rows] += scale * G[rows] / norms[rows, None]


@dataclass(frozen=True)
class LayerBlame:
    """One step of the backward recursion: what error instants ask of W^l.

    For one error instant ``t`` of output neuron ``k`` (NormAD), or for a
    weighted sum of instants, ``sum_e c_e Vhat_{k_e}(t_e)`` (rules that
    combine them before going back, such as :mod:`normad_edu.spikeprop`).

    Attributes
    ----------
    l : int
        The layer (1 .. L; L is the output layer). ``W^l`` maps layer l-1 to layer l.
    below : LayerSpikes
        The spikes of layer l-1, the inputs of W^l.
    spikes, a, delta : LayerSpikes, ndarray, ndarray, or None
        For a hidden layer: its spikes, their adjoints ``a_j^f = dVhat/dt_j^f``
        (mV/ms) and ``delta_j^f = a_j^f / max(Vdot_j^f, vdot_min)`` (1). None for
        the output layer, whose gradient does not go through spike times.
    t, k, c : ndarray
        The error instants (ms), their output neurons and their coefficients
        (1 for a single NormAD instant).
    n : int
        Rows of W^l (neurons of layer l).
    kern : Kernels

    ``dhat_below`` and ``G`` are computed when first asked for.
    """

    l: int
    below: LayerSpikes
    spikes: LayerSpikes | None
    a: np.ndarray | None
    delta: np.ndarray | None
    t: np.ndarray
    k: np.ndarray
    c: np.ndarray
    n: int
    kern: Kernels

    @cached_property
    def dhat_below(self) -> np.ndarray:
        """dhat^{l-1} (ms/pF) at the spikes of layer l (hidden; one row per spike) or at the instants (output)."""
        return dhat_at(self.t if self.spikes is None else self.spikes.t, self.below, self.kern)

    @cached_property
    def G(self) -> np.ndarray:
        """``G^l = dVhat/dW^l`` (mV/pA), shape ``(n_l, n_{l-1})``.

        Output layer: row k is ``dhat^{L-1}(t)`` (summed over the instants with
        their coefficients), the other rows 0. Hidden layer:
        ``G^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f)``.
        """
        if self.spikes is None:
            G = np.zeros((self.n, self.below.n))
            np.add.at(G, self.k, self.c[:, None] * self.dhat_below)
            return G
        return hidden_gradient(self.delta, self.spikes, self.dhat_below)


def backward_steps(t, k, spikes: list[LayerSpikes], W: list[np.ndarray], kern: Kernels, vdot_min: float, *,
                   c=None) -> Iterator[LayerBlame]:
    """The backward recursion for an error instant, one :class:`LayerBlame` per layer, from the output down.

    ``t``, ``k``: the error instant (ms) and its output neuron, or arrays of
    several, weighted by ``c`` (default 1 each): by linearity the steps are
    then those of ``sum_e c_e Vhat_{k_e}(t_e)``. ``spikes[l]``: layer
    l = 0 .. L-1 of one problem (:func:`problem_spikes`); ``W[l-1]`` = W^l
    ``(n_l, n_{l-1})`` (pA). The lines of the rule, in order::

        output L   :  G^L[k, :] = dhat^{L-1}(t)
        layer L-1  :  a_j^f     = -W^L_kj psihat'(t - t_j^f)                    (output_adjoints)
        hidden l   :  delta_j^f = a_j^f / max(Vdot_j^f, vdot_min)               (deltas)
                      G^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f)          (hidden_gradient)
                      a_i^g     = sum_{j,f} delta_j^f W^l_ji psihat'(t_j^f - t_i^g)  (adjoints_below)

    A generator: a consumer that needs no lower layer stops iterating, and the
    adjoints below are then never computed. The reference update
    (:func:`update_for_error_instant`), the SpikeProp-style rule, the training
    diagnostics and the notebook widgets all read the rule from here.
    """
    t, k = np.atleast_1d(np.asarray(t, dtype=np.float64)), np.atleast_1d(np.asarray(k, dtype=np.int64))
    c = np.ones(t.size) if c is None else np.atleast_1d(np.asarray(c, dtype=np.float64))
    L = len(W)
    yield LayerBlame(L, spikes[L - 1], None, None, None, t, k, c, W[L - 1].shape[0], kern)
    if L == 1:
        return
    a = sum(ce * output_adjoints(te, W[L - 1][ke], spikes[L - 1], kern) for te, ke, ce in zip(t, k, c))
    for l in range(L - 1, 0, -1):  # hidden layers, from the top down; a holds a_j^f of layer l
        delta = deltas(a, spikes[l], vdot_min)
        yield LayerBlame(l, spikes[l - 1], spikes[l], a, delta, t, k, c, W[l - 1].shape[0], kern)
        if l > 1:
            a = adjoints_below(delta, spikes[l], W[l - 1], spikes[l - 1], kern)


def problem_spikes(record: ForwardRecord, b: int) -> list[LayerSpikes]:
    """The spikes of every layer ``0 .. L-1`` (inputs first, the output layer left out) of problem ``b``."""
    return [layer_spikes(record, l, b) for l in range(len(record.layers))]


def update_for_error_instant(t: float, e: int, k: int, spikes: list[LayerSpikes], W: list[np.ndarray],
                             dW: list[np.ndarray], rates, plastic, kern: Kernels, vdot_min: float,
                             normalization: str | None) -> None:
    """Add the updates of every plastic layer for one error instant ``t`` (sign ``e``) of output neuron ``k``.

    ``spikes[l]``: layer l = 0 .. L-1; ``W[l-1]``, ``dW[l-1]``: W^l and its update (n_l, n_{l-1}), of one problem.
    ``dW^l += r_l e G^l / ||G^l||`` for every plastic layer (the output layer's single row is normalised
    on its own whatever ``normalization``).
    """
    L = len(W)
    for step in backward_steps(t, k, spikes, W, kern, vdot_min):
        if plastic[step.l - 1]:
            how = normalization if (step.l < L or normalization is None) else "layer"
            add_normalized(dW[step.l - 1], step.G, rates[step.l - 1] * e, how)
        if not any(plastic[: step.l - 1]):  # no plastic layer below: the recursion can stop
            return


def backward_reference(record: ForwardRecord, err_t: np.ndarray, err_s: np.ndarray, rates, plastic, *,
                       lif: LIFParams, syn: SynapseParams, params: NormADParams,
                       normalize: bool = True) -> list[np.ndarray]:
    """Readable twin of :func:`backward` (same arguments, same result up to rounding).

    A Python loop over the problems b, output neurons k and error instants
    of the batch, each handled by :func:`update_for_error_instant`. Returns
    ``dW^l`` of shapes ``(B, n_l, n_{l-1})`` (pA).
    """
    kern = Kernels(syn.tau1, syn.tau2, lif.C, params.tau_L_hat)
    normalization = params.normalization if normalize else None
    dW = [np.zeros(W.shape) for W in record.weights]
    for b in range(record.inputs.counts.shape[0]):
        spikes = problem_spikes(record, b)
        W_b, dW_b = [W[b] for W in record.weights], [d[b] for d in dW]
        for k in range(err_s.shape[1]):
            for t, e in zip(err_t[b, k], err_s[b, k]):
                if e == 0:  # padding: the error instants of this neuron are done
                    break
                update_for_error_instant(float(t), int(e), k, spikes, W_b, dW_b, rates, plastic, kern,
                                         params.vdot_min, normalization)
    return dW


def normad_update_reference(record: ForwardRecord, desired: tuple[np.ndarray, np.ndarray], rates, plastic=None, *,
                            lif: LIFParams = LIFParams(), syn: SynapseParams = SynapseParams(),
                            sim: SimParams = SimParams(), params: NormADParams = NormADParams(),
                            normalize: bool = True) -> list[np.ndarray]:
    """Readable twin of :func:`normad_update`: same arguments, same result up to rounding.

    Error instants from :func:`error_instants` per problem and output
    neuron, then :func:`backward_reference`. Slow (NumPy over spike pairs,
    Python loops over problems and error instants): use it to read and
    check, :func:`normad_update` to train.
    """
    r, plastic_flags, d_times, d_counts = _check_update_args(record, desired, rates, plastic, sim)
    out = record.output
    B, n_L = d_counts.shape
    instants = [[error_instants(d_times[b, k, :d_counts[b, k]], out.times[b, k, :out.counts[b, k]], *params.bins(sim))
                 for k in range(n_L)] for b in range(B)]
    E = max([1] + [t.size for row in instants for t, _ in row])
    err_t, err_s = np.full((B, n_L, E), np.inf), np.zeros((B, n_L, E), dtype=np.int8)
    for b in range(B):
        for k, (t, s) in enumerate(instants[b]):
            err_t[b, k, :t.size], err_s[b, k, :t.size] = t, s
    err_t = actionable_instants(record, err_t, err_s, params, sim)
    return backward_reference(record, err_t, err_s, r, plastic_flags, lif=lif, syn=syn, params=params,
                              normalize=normalize)


# ---------------------------------------------------------------------------
# Public API: the compiled versions (normad_edu._engine)
# ---------------------------------------------------------------------------

def actionable_instants(record: ForwardRecord, err_t: np.ndarray, err_s: np.ndarray, params: NormADParams,
                        sim: SimParams) -> np.ndarray:
    """The error instants the rule acts at, given ``params.zero_gradient``.

    ``err_t``, ``err_s``: ``(B, n_L, E)`` instants (ms) and signs. With
    "skip" they are returned unchanged. With "first-spike", an instant
    earlier than (or at) the first spike of the layer feeding the output
    -- where every layer's gradient is zero -- moves to that spike plus
    ``sim.dt`` (ms); later instants and rows whose feeding layer is silent
    stay. Returns a new array (``err_t`` is not modified).
    """
    if params.zero_gradient == "skip":
        return err_t
    below = record.spikes(len(record.layers) - 1)  # the layer feeding the output (the inputs if L = 1)
    first = below.first_spike()  # (B,)
    dead = (err_s != 0) & (err_t <= first[:, None, None]) & np.isfinite(first)[:, None, None]
    out = err_t.copy()
    out[dead] = np.broadcast_to(first[:, None, None] + sim.dt, err_t.shape)[dead]
    return out


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


def check_desired(desired, shape: tuple[int, int], T: float) -> tuple[np.ndarray, np.ndarray]:
    """Validate padded desired output spikes ``(times (B, n_L, K), counts (B, n_L))``.

    Counts must be whole numbers in ``[0, K]``; the first ``counts`` times of
    every train must be finite, sorted and in ``[0, T)`` (ms). Returns
    ``(times float64, counts int64)``.
    """
    try:
        d_times, d_counts = (np.asarray(x) for x in desired)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"desired must be a pair (times, counts) of padded spike trains, got {desired!r}") from exc
    if d_counts.shape != tuple(shape) or d_times.shape[:-1] != tuple(shape):
        raise ValueError(f"desired spikes must have shapes (B, n_L, K) and (B, n_L) = (.., {tuple(shape)}), "
                         f"got {d_times.shape} and {d_counts.shape}")
    try:
        d_times = np.asarray(d_times, dtype=np.float64)
        counts = d_counts if d_counts.dtype.kind in "iu" else d_counts.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"desired times and counts must be numbers, got {d_times.dtype} and {d_counts.dtype}") from exc
    K = d_times.shape[-1]
    ok = (counts >= 0) & (counts <= K)
    if counts.dtype.kind == "f":
        ok &= counts == np.floor(counts)
    if not ok.all():
        at = tuple(int(i) for i in np.argwhere(~ok)[0])
        raise ValueError(f"desired counts must be whole numbers in [0, {K}] (the padded width of the desired "
                         f"times), got {d_counts[at]} at {at}")
    d_counts = np.asarray(counts, dtype=np.int64)
    valid = np.arange(K) < d_counts[..., None]
    t = d_times[valid]
    bad_t = ~(np.isfinite(t) & (t >= 0) & (t < T))
    if bad_t.any():
        raise ValueError(f"desired spike times must be finite and in [0, T) = [0, {T:g}) ms, got {t[bad_t][0]}")
    if ((d_times[..., 1:] < d_times[..., :-1]) & valid[..., 1:]).any():
        raise ValueError("desired spike times must be sorted within each train")
    return d_times, d_counts


def _check_update_args(record, desired, rates, plastic, sim):
    if not isinstance(record, ForwardRecord):
        raise TypeError(f"record must be a ForwardRecord from network.forward, got {type(record).__name__}")
    r, plastic_flags = check_rates_and_plastic(len(record.layers), rates, plastic)
    d_times, d_counts = check_desired(desired, record.output.counts.shape, sim.T)
    return r, plastic_flags, d_times, d_counts


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
    """NormAD weight updates of every layer for a batch of forward passes (compiled).

    Computes what :func:`normad_update_reference` computes, fast.

    Parameters
    ----------
    record : ForwardRecord
        Result of :func:`normad_edu.network.forward` (batch size B).
    desired : (times, counts)
        Desired output spikes, padded, shapes ``(B, n_L, K)`` and ``(B, n_L)``;
        counts in ``[0, K]``, times sorted, finite, in ``[0, sim.T)`` (ms).
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
    r, plastic_flags, d_times, d_counts = _check_update_args(record, desired, rates, plastic, sim)
    out = record.output
    err_t, err_s = error_instants_padded(d_times, d_counts, out.times, out.counts, *params.bins(sim))
    err_t = actionable_instants(record, err_t, err_s, params, sim)
    return backward(record, err_t, err_s, r, plastic_flags, lif=lif, syn=syn, params=params, normalize=normalize)


def backward(record: ForwardRecord, err_t: np.ndarray, err_s: np.ndarray, rates: np.ndarray, plastic: np.ndarray, *,
             lif: LIFParams, syn: SynapseParams, params: NormADParams, normalize: bool = True) -> list[np.ndarray]:
    """Run the compiled backward pass for given error instants (no validation).

    ``err_t``, ``err_s``: ``(B, n_L, E)`` instants (ms) and signs (+-1, 0 =
    padding, each row's nonzero signs first). With ``normalize=False`` and
    one instant of sign +1 the result is the gradient ``G^l = dVhat_k(t)/dW^l``
    times ``rates``. Returns ``dW^l`` of shapes ``(B, n_l, n_{l-1})``; equals
    :func:`backward_reference` up to rounding.
    """
    if not normalize:
        code = _engine.NO_NORMALIZATION
    else:
        code = _engine.PER_NEURON if params.normalization == "neuron" else _engine.PER_LAYER
    return _engine.run_backward(record, err_t, err_s, rates, plastic, normalize=code, tau1=syn.tau1,
                                tau2=syn.tau2, tau_L_hat=params.tau_L_hat, C=lif.C, vdot_min=params.vdot_min)


def d_hat(t, trains, *, tau_L_hat: float = TAU_L_HAT, syn: SynapseParams = SynapseParams(),
          lif: LIFParams = LIFParams()) -> np.ndarray:
    """``dhat_i(t) = sum_f psihat(t - t_i^f)`` for each presynaptic train (ms/pF).

    The same sum as :func:`dhat_at`, computed by the engine's sweep through
    time (fast for many query times).

    Parameters
    ----------
    t : float or array_like
        Query times (ms).
    trains : list of array_like
        Presynaptic spike trains (ms).
    tau_L_hat : float
        tau_L' (ms), > 0.
    syn, lif : parameter dataclasses
        tau1, tau2 (ms) and C (pF).

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
    pt, pc = to_padded(pops)
    pre_t, pre_j, _ = _flatten_spikes(pt, pc, len(pops))
    out = np.zeros((tq.size, len(pops)))
    _sweeps.d_hat_sweep(tq, pre_t, pre_j, len(pops), syn.tau1, syn.tau2, tau_L_hat, lif.C, out)
    return out[0] if np.ndim(t) == 0 else out
