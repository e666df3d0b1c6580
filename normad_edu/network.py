"""Feed-forward spiking network of any depth: weights and the forward pass.

Layers are numbered as in the paper: ``l = 0`` is the input layer (given
spike trains), ``l = 1 .. L`` are LIF layers, ``L`` the output layer. The
weight matrix ``W^l`` feeding layer ``l`` has shape ``(n_l, n_{l-1})`` and is
in pA; a batch of ``B`` independent networks stacks them as
``(B, n_l, n_{l-1})``. Because the network is feed-forward, the forward pass
simulates one layer at a time, each exactly (:mod:`normad_edu.lif`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_int
from .lif import LayerOutput, simulate_layer
from .params import LIFParams, SimParams, SynapseParams
from .spikes import stack_padded


@dataclass(frozen=True)
class ForwardRecord:
    """Everything the forward pass produced, per layer.

    Attributes
    ----------
    inputs : LayerOutput
        The input spikes (layer 0) in padded form; ``vdot`` is NaN there.
    layers : list of LayerOutput
        Layers 1..L: spike times, counts, dV/dt at spikes, optional V(t).
    weights : list of ndarray
        The weights used, each ``(B, n_l, n_{l-1})`` (pA).
    """

    inputs: LayerOutput
    layers: list[LayerOutput] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)

    @property
    def output(self) -> LayerOutput:
        """The output layer L."""
        return self.layers[-1]

    def spikes(self, layer: int) -> LayerOutput:
        """Spikes of layer ``layer`` (0 = inputs, L = outputs)."""
        return self.inputs if layer == 0 else self.layers[layer - 1]


def check_layer_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    """Validate ``(n_0, n_1, ..., n_L)``: at least two positive integers."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise TypeError(f"layer sizes must be a sequence of positive integers, got {sizes!r}")
    if len(sizes) < 2:
        raise ValueError(f"layer sizes need an input and at least one LIF layer, got {list(sizes)}")
    return tuple(check_int(f"layer size [{l}]", n) for l, n in enumerate(sizes))


def check_weights(weights: Sequence, sizes: Sequence[int] | None = None, batch: int | None = None) -> list[np.ndarray]:
    """Validate a list of weight matrices and return them as ``(B, n_l, n_{l-1})`` float arrays.

    Unbatched matrices ``(n_l, n_{l-1})`` get a batch axis of 1. Shapes must
    chain (``n_{l-1}`` of ``W^l`` equals ``n_{l-1}`` of ``W^{l-1}``), agree
    with ``sizes`` and ``batch`` when given, and be free of NaN/inf.
    """
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or len(weights) == 0:
        raise TypeError("weights must be a non-empty list of arrays, one per LIF layer (W^1 .. W^L)")
    out = []
    for l, W in enumerate(weights, start=1):
        arr = np.asarray(W, dtype=np.float64)
        if arr.ndim == 2:
            arr = arr[None]
        if arr.ndim != 3:
            raise ValueError(f"W^{l} must have shape (n_{l}, n_{l-1}) or (B, n_{l}, n_{l-1}), got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"W^{l} contains NaN or inf; weights must be finite (pA)")
        if out and arr.shape[2] != out[-1].shape[1]:
            raise ValueError(f"W^{l} has shape {arr.shape[1:]} but layer {l - 1} has {out[-1].shape[1]} neurons: shapes must chain")
        if out and arr.shape[0] != out[-1].shape[0]:
            raise ValueError(f"W^{l} has batch size {arr.shape[0]} but W^{l - 1} has {out[-1].shape[0]}")
        out.append(arr)
    if sizes is not None:
        got = (out[0].shape[2],) + tuple(W.shape[1] for W in out)
        if got != tuple(sizes):
            raise ValueError(f"weights give layer sizes {list(got)} but sizes are {list(sizes)}")
    if batch is not None and out[0].shape[0] != batch:
        raise ValueError(f"weights have batch size {out[0].shape[0]} but the inputs have batch size {batch}")
    return out


def pack_inputs(inputs, T: float) -> LayerOutput:
    """Validate inputs and return them in padded form ``(B, n_0, K)``.

    ``inputs`` is one population (list of spike trains), a list of
    populations (a batch), or an already padded ``(times, counts)`` pair.
    As everywhere (see :mod:`normad_edu.spikes`), unsorted times are sorted
    and NaN/inf, times outside [0, T) and duplicated times are rejected; the
    checks run on the whole padded array at once.
    """
    if isinstance(inputs, tuple) and len(inputs) == 2 and isinstance(inputs[0], np.ndarray) and inputs[0].ndim >= 2:
        times = np.array(inputs[0], dtype=np.float64)
        counts = np.asarray(inputs[1], dtype=np.int64)
        if times.ndim == 2:
            times, counts = times[None], counts[None]
        if times.ndim != 3 or times.shape[:-1] != counts.shape:
            raise ValueError(f"padded input times {times.shape} and counts {counts.shape} do not match")
        if counts.size and (counts.min() < 0 or counts.max() > times.shape[-1]):
            raise ValueError(f"input counts must lie in [0, {times.shape[-1]}], got [{counts.min()}, {counts.max()}]")
    elif isinstance(inputs, (list, tuple)) and len(inputs) > 0:
        first = inputs[0]
        batched = isinstance(first, (list, tuple)) and len(first) > 0 and np.ndim(first[0]) == 1
        pops = list(inputs) if batched else [inputs]
        for b, p in enumerate(pops):
            if not isinstance(p, (list, tuple)) or any(np.ndim(tr) != 1 for tr in p):
                where = f"inputs[{b}]" if batched else "inputs"
                raise ValueError(f"{where} must be a list of 1-D spike-time arrays (ms), one per input neuron")
        times, counts = stack_padded(pops)
    else:
        raise TypeError("inputs must be a list of spike trains, a list of such lists, or a padded (times, counts) pair")
    valid = np.arange(times.shape[-1]) < counts[..., None]
    times = np.sort(np.where(valid, times, np.inf), axis=-1)
    vals = times[valid]
    if vals.size:
        if not np.all(np.isfinite(vals)):
            raise ValueError(f"input spike times must be finite, found {vals[~np.isfinite(vals)][0]}")
        if vals.min() < 0 or vals.max() >= T:
            bad = vals.min() if vals.min() < 0 else vals.max()
            raise ValueError(f"input spike time {float(bad)} ms is outside [0, T) with T={T} ms")
        with np.errstate(invalid="ignore"):  # inf - inf in the padding
            dup = (np.diff(times, axis=-1) <= 0) & valid[..., 1:]
        if dup.any():
            raise ValueError(f"input spike time {float(times[..., 1:][dup][0]):g} ms is duplicated within one neuron's train")
    return LayerOutput(times=times, counts=counts, vdot=np.full(times.shape, np.nan))


def forward(
    inputs,
    weights: Sequence,
    lif: LIFParams = LIFParams(),
    syn: SynapseParams = SynapseParams(),
    sim: SimParams = SimParams(),
    *,
    record_v: bool = False,
) -> ForwardRecord:
    """Run a batch of feed-forward LIF networks on their input spikes.

    Parameters
    ----------
    inputs : population, list of populations, or padded ``(times, counts)``
        Input spike times (ms) in [0, T); a batch gives each network its own.
    weights : list of arrays
        ``[W^1, ..., W^L]``, each ``(n_l, n_{l-1})`` or ``(B, n_l, n_{l-1})`` (pA).
        An unbatched weight list is shared by every input pattern of a
        batch, and one input population is shared by a batch of weights.
    lif, syn, sim : parameter dataclasses
    record_v : bool
        Record V(t) on the grid for every layer (for plots).

    Returns
    -------
    ForwardRecord

    Raises
    ------
    ValueError, TypeError
        Bad spike times, weights that do not chain, NaN/inf weights, or a
        batch size that differs between inputs and weights.

    Examples
    --------
    >>> from normad_edu import forward, poisson_spike_trains
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = poisson_spike_trains(10, 20.0, 500.0, rng)
    >>> rec = forward(x, [np.full((1, 10), 2000.0)])
    >>> rec.output.counts.shape
    (1, 1)
    """
    if not isinstance(lif, LIFParams) or not isinstance(syn, SynapseParams) or not isinstance(sim, SimParams):
        raise TypeError("lif, syn and sim must be LIFParams, SynapseParams and SimParams instances")
    x = pack_inputs(inputs, sim.T)
    Ws = check_weights(weights)
    B = x.counts.shape[0]
    if Ws[0].shape[2] != x.counts.shape[1]:
        raise ValueError(f"W^1 expects {Ws[0].shape[2]} inputs but {x.counts.shape[1]} input spike trains were given")
    if Ws[0].shape[0] == 1 and B > 1:
        Ws = [np.broadcast_to(W, (B,) + W.shape[1:]) for W in Ws]
    elif B == 1 and Ws[0].shape[0] > 1:
        B = Ws[0].shape[0]
        x = LayerOutput(times=np.repeat(x.times, B, axis=0), counts=np.repeat(x.counts, B, axis=0),
                        vdot=np.repeat(x.vdot, B, axis=0))
    elif Ws[0].shape[0] != B:
        raise ValueError(f"weights have batch size {Ws[0].shape[0]} but the inputs have batch size {B}")
    layers = []
    prev = x
    for W in Ws:
        prev = simulate_layer(prev.times, prev.counts, W, lif, syn, sim, record_v=record_v)
        layers.append(prev)
    return ForwardRecord(inputs=x, layers=layers, weights=list(Ws))
