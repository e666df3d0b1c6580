"""Feed-forward spiking network of any depth: weights and the forward pass.

Layers are numbered as in the paper: ``l = 0`` is the input layer (given
spike trains), ``l = 1 .. L`` are LIF layers, ``L`` the output layer. The
weight matrix ``W^l`` feeding layer ``l`` has shape ``(n_l, n_{l-1})`` and is
in pA; a batch of ``B`` independent networks stacks them as
``(B, n_l, n_{l-1})``. Because the network is feed-forward, the forward pass
simulates one layer at a time, each exactly (:mod:`normad_edu.lif`).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .limits import check_array_bytes
from .validation import check_int
from .lif import LayerOutput, simulate_layer
from .params import LIFParams, SimParams, SynapseParams
from .spikes import _check_counts, _in_ms, stack_padded


@dataclass(frozen=True)
class ForwardRecord:
    """Everything the forward pass produced, per layer.

    Attributes
    ----------
    inputs : LayerOutput
        The input spikes (layer 0) in padded form; ``vdot`` is NaN there (a read-only
        broadcast view that takes no memory).
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
    with ``sizes`` and ``batch`` when given, and be real (complex weights are
    rejected, not truncated) and free of NaN/inf.
    """
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or len(weights) == 0:
        raise TypeError("weights must be a non-empty list of arrays, one per LIF layer (W^1 .. W^L)")
    out = []
    for l, W in enumerate(weights, start=1):
        try:
            raw = np.asarray(W)
            if raw.dtype.kind == "c":
                raise TypeError(f"W^{l} has complex dtype {raw.dtype}; weights must be real numbers (pA)")
            arr = raw.astype(np.float64, copy=False)
        except ValueError as exc:  # ragged nested lists, strings
            raise TypeError(f"W^{l} must be an array of real numbers (pA), got {type(W).__name__}: {exc}") from exc
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


_FORWARD_NESTING = "[n trains] (one 1-D array of spike times in ms per input neuron) or a batch [B][n trains]"


def _depth(x) -> int:
    """Nesting depth of spike data: 0 a number, 1 a train, 2 a population, ...

    A sequence's depth is one more than that of its first non-empty element
    (so ``[[], [1.0]]`` is a population of two trains); arrays count their
    dimensions; units (neo, quantities) are converted first.
    """
    x = _in_ms(x, "spike data")
    if isinstance(x, np.ndarray) and x.dtype != object:
        return x.ndim
    if isinstance(x, (numbers.Number, np.generic)):
        return 0
    if isinstance(x, (Sequence, np.ndarray)) and not isinstance(x, (str, bytes)):
        first = None
        for e in x:
            if first is None:
                first = e
            if not (hasattr(e, "__len__") and len(e) == 0):
                return 1 + _depth(e)
        return 1 if first is None else 1 + _depth(first)
    raise TypeError(f"spike data must be numbers, arrays or lists of them, got {type(x).__name__}")


def _population(pop, label: str, expected: str) -> list[np.ndarray]:
    """One population (list of trains or a 2-D ``(n, K)`` array) -> list of 1-D float arrays."""
    pop = _in_ms(pop, label)
    if isinstance(pop, np.ndarray) and pop.dtype != object and pop.ndim == 2:
        pop = list(pop)
    if not isinstance(pop, (Sequence, np.ndarray)) or isinstance(pop, (str, bytes)) or \
            (isinstance(pop, np.ndarray) and pop.ndim != 1):
        raise ValueError(f"{label} must be a list of 1-D spike-time arrays (ms), one per neuron, got "
                         f"{type(pop).__name__}; expected nesting {expected}")
    out = []
    for i, tr in enumerate(pop):
        tr = _in_ms(tr, f"{label}[{i}]")
        try:
            arr = np.asarray(tr)
        except ValueError:  # ragged nested list
            arr = None
        if arr is None or arr.ndim != 1:
            what = "a number" if arr is not None and arr.ndim == 0 else \
                f"shape {arr.shape}" if arr is not None else "a nested ragged list"
            raise ValueError(f"{label} must be a list of 1-D spike-time arrays (ms), one per neuron, but "
                             f"{label}[{i}] is {what}; expected nesting {expected}")
        if arr.dtype.kind == "c":
            raise TypeError(f"{label}[{i}] holds complex values; spike times must be real (ms)")
        try:
            out.append(arr.astype(np.float64, copy=False))
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{label}[{i}] must hold spike times in ms, got dtype {arr.dtype}") from exc
    return out


def _spike_word(name: str) -> str:
    """``"input"`` for the name ``"inputs"``, else the name itself (``"desired"``)."""
    return "input" if name == "inputs" else name


#: Slots (trains x K) validated at a time by ``_check_padded``: bounds the
#: temporaries of the checks to a few MiB whatever the size of the input.
CHECK_CHUNK_SLOTS = 1 << 19


def _check_padded(name: str, times: np.ndarray, counts: np.ndarray, T: float, label) -> np.ndarray:
    """Validate padded spikes ``(..., n, K)`` / ``(..., n)`` in place: sort each train, +inf padding.

    ``times`` must be a C-contiguous array the caller owns: its padding is
    set to +inf and each train is sorted in place (no copy of the whole
    array; the checks run on blocks of :data:`CHECK_CHUNK_SLOTS` slots).
    ``label(idx)`` turns the index ``(..., i)`` of a train into its name in
    the user's nesting (``inputs[2][5]``, ``desired[0][1][0]``). As
    everywhere (:mod:`normad_edu.spikes`), NaN/inf, times outside ``[0, T)``
    and duplicated times are rejected, in that order of precedence over the
    whole array; each message names the first offending train.
    """
    word = _spike_word(name)
    K = times.shape[-1]
    lead = times.shape[:-1]
    if not times.flags.c_contiguous or not times.flags.writeable:
        raise ValueError("_check_padded sorts in place: times must be a writeable C-contiguous array")
    rows, row_counts = times.reshape(-1, K), counts.reshape(-1)  # views
    step = max(1, CHECK_CHUNK_SLOTS // max(K, 1))
    slots = np.arange(K)
    chunks = [(lo, min(lo + step, rows.shape[0])) for lo in range(0, rows.shape[0], step)]

    def train(r: int) -> str:  # flat row index -> the train's name
        return label(tuple(int(j) for j in np.unravel_index(r, lead)))

    for lo, hi in chunks:  # before sorting: NaN would sort behind the +inf padding
        t = rows[lo:hi]
        bad = (slots < row_counts[lo:hi, None]) & ~np.isfinite(t)
        if bad.any():
            r, f = np.argwhere(bad)[0]
            raise ValueError(f"{word} spike times must be finite, found {t[r, f]} in {train(lo + r)} (ms, in [0, T) "
                             f"with T={T} ms)")
    first_dup = None
    for lo, hi in chunks:
        t = rows[lo:hi]
        valid = slots < row_counts[lo:hi, None]
        t[~valid] = np.inf
        t.sort(axis=-1)
        outside = valid & ((t < 0) | (t >= T))
        if outside.any():
            r, f = np.argwhere(outside)[0]
            raise ValueError(f"{word} spike time {float(t[r, f])} ms is outside [0, T) with T={T} ms "
                             f"(in {train(lo + r)})")
        if first_dup is None and K > 1:
            with np.errstate(invalid="ignore"):  # inf - inf in the padding
                dup = (np.diff(t, axis=-1) <= 0) & valid[:, 1:]
            if dup.any():
                r, f = np.argwhere(dup)[0]
                first_dup = (lo + r, float(t[r, f + 1]))
    if first_dup is not None:
        raise ValueError(f"{word} spike time {first_dup[1]:g} ms is duplicated within one neuron's train "
                         f"({train(first_dup[0])}); each time may appear once")
    return times


def no_vdot(shape) -> np.ndarray:
    """``vdot`` of input spikes (layer 0 has no membrane): NaN, a read-only broadcast view that takes no memory."""
    return np.broadcast_to(np.float64(np.nan), shape)


def _padded_counts(name: str, counts, K: int) -> np.ndarray:
    """Counts of a padded pair as int64 in ``[0, K]`` (whole numbers only)."""
    word = _spike_word(name)
    try:
        return _check_counts(f"{word} counts", np.asarray(counts), K)
    except TypeError as exc:
        raise TypeError(f"{exc} ({name} as padded (times, counts))") from None


def pack_inputs(inputs, T: float, *, name: str = "inputs", levels: int | None = None) -> LayerOutput:
    """Validate spike data and return it in padded form ``(B, n, K)``.

    Parameters
    ----------
    inputs : population, list of populations, or padded ``(times, counts)``
        A population is a list of 1-D spike-time arrays (ms), one per
        neuron, or a 2-D array ``(n, K)`` (each row one neuron's ``K``
        spikes, as :func:`normad_edu.spikes.as_population` accepts). Times
        with units (``neo.SpikeTrain``, ``quantities``) are converted to ms.
    T : float
        Epoch length (ms); every time must lie in ``[0, T)``.
    name : str
        Argument name used in error messages (``"inputs"``, ``"desired"``).
    levels : int, optional
        Number of list levels above the populations: ``None`` (default)
        accepts one population ``[n]`` or a batch ``[B][n]`` (as
        :func:`forward`); ``2`` requires ``[P][M][n]`` (as
        :func:`normad_edu.training.train`) and flattens it to ``B = P * M``
        (every ``[p]`` must hold the same number of patterns).

    Returns
    -------
    LayerOutput
        ``times`` ``(B, n, K)`` (sorted, +inf padded; a new array, the
        only full-size one made), ``counts`` ``(B, n)``, ``vdot`` NaN (a
        read-only broadcast view).

    Raises
    ------
    ValueError, TypeError
        As everywhere (see :mod:`normad_edu.spikes`), unsorted times are
        sorted and NaN/inf, times outside [0, T), duplicated times, complex
        times and the wrong nesting are rejected; the message names the
        train (``inputs[3][7]``) and the expected nesting.
    """
    if levels not in (None, 2):
        raise ValueError(f"levels must be None ([n] or [B][n]) or 2 ([P][M][n]), got {levels!r}")
    expected = _FORWARD_NESTING if levels is None else "[P problems][M patterns][n trains]"
    if isinstance(inputs, tuple) and len(inputs) == 2 and isinstance(inputs[0], np.ndarray) and inputs[0].ndim >= 2:
        word = _spike_word(name)
        t_raw, c_raw = inputs[0], np.asarray(inputs[1])
        if t_raw.dtype.kind == "c":
            raise TypeError(f"padded {word} times have complex dtype {t_raw.dtype}; spike times must be real (ms)")
        ndims = (2, 3) if levels is None else (levels + 2,)
        if t_raw.ndim not in ndims or c_raw.shape != t_raw.shape[:-1]:
            shapes = "(n, K) and (n,), or (B, n, K) and (B, n)" if levels is None else "(P, M, n, K) and (P, M, n)"
            raise ValueError(f"padded {word} times {t_raw.shape} and counts {c_raw.shape} do not match: expected "
                             f"shapes {shapes}")
        lead = t_raw.shape[:-2]
        times = np.array(t_raw, dtype=np.float64, order="C").reshape((-1,) + t_raw.shape[-2:])  # ours to sort
        counts = _padded_counts(name, c_raw, t_raw.shape[-1]).reshape(times.shape[:-1])

        def label(idx):
            full = np.unravel_index(idx[0], lead) if lead else ()
            return name + "".join(f"[{int(j)}]" for j in tuple(full) + tuple(idx[1:]))
    else:
        if isinstance(inputs, (str, bytes)) or not isinstance(inputs, (list, tuple, np.ndarray)) or len(inputs) == 0:
            raise TypeError(f"{name} must be a list of spike trains, a list of such lists, or a padded (times, counts) "
                            f"pair; expected nesting {expected}, got {type(inputs).__name__}"
                            + (" of length 0" if hasattr(inputs, "__len__") and not isinstance(inputs, str) else ""))
        d = _depth(inputs)
        want = (2, 3) if levels is None else (levels + 2,)
        if d not in want:
            raise ValueError(_nesting_message(name, d, expected, levels))
        if d == 2:
            pops, labels = [_population(inputs, name, expected)], [name]
        elif d == 3:
            pops = [_population(p, f"{name}[{b}]", expected) for b, p in enumerate(inputs)]
            labels = [f"{name}[{b}]" for b in range(len(pops))]
        else:  # [P][M][n]
            M = len(inputs[0])
            if any(len(prob) != M for prob in inputs):
                raise ValueError(f"every problem in {name} must have the same number of patterns, "
                                 f"got {[len(prob) for prob in inputs]}")
            pops, labels = [], []
            for p, prob in enumerate(inputs):
                for m, pat in enumerate(prob):
                    pops.append(_population(pat, f"{name}[{p}][{m}]", expected))
                    labels.append(f"{name}[{p}][{m}]")
        sizes = {len(pop) for pop in pops}
        if len(sizes) > 1:
            raise ValueError(f"every population of {name} must have the same number of trains (neurons), got "
                             f"{sorted(sizes)}; expected nesting {expected}")
        times, counts = stack_padded(pops)

        def label(idx):
            return labels[idx[0]] + "".join(f"[{j}]" for j in idx[1:])
    times = _check_padded(name, times, counts, T, label)
    return LayerOutput(times=times, counts=counts, vdot=no_vdot(times.shape))


def _nesting_message(name: str, depth: int, expected: str, levels: int | None) -> str:
    """Say which nesting ``name`` has and which one is expected."""
    got = {0: "a single number", 1: "a single spike train (a flat list of times)",
           2: "2 levels, one population [n trains]"}.get(depth, f"{depth} levels of nesting")
    if levels is not None and 0 < depth < levels + 2:
        got += f" ({levels + 2 - depth} level{'s' if levels + 2 - depth > 1 else ''} missing)"
    where = "forward()" if levels is None else "train()"
    msg = f"{name} has the wrong nesting: got {got}, but {where} expects {expected}"
    if levels is None and depth == 1:
        msg += "; for one input neuron pass [train]"
    elif levels is None and depth == 4:
        msg += " ([P][M][n trains] is the nesting of train())"
    elif levels is not None and depth < levels + 2:
        msg += (f"; for one problem with one pattern pass {name}=[[population]], where population is a list with "
                "one spike train per neuron")
    return msg


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
        Input spike times (ms) in [0, T): ``[n trains]`` (a list of 1-D
        arrays or a 2-D array ``(n, K)``) or a batch ``[B][n trains]``
        that gives each network its own.
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
        Bad spike times or nesting (see :func:`pack_inputs`), weights that
        do not chain, complex or NaN/inf weights, a batch size that differs
        between inputs and weights, or a run above the size limits of
        :mod:`normad_edu.params` (``MAX_SPIKES_PER_NEURON``,
        ``MAX_ARRAY_BYTES`` for the spike buffers and ``record_v``), checked
        before anything is simulated.

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
                        vdot=no_vdot((B,) + x.times.shape[1:]))
    elif Ws[0].shape[0] != B:
        raise ValueError(f"weights have batch size {Ws[0].shape[0]} but the inputs have batch size {B}")
    if record_v:  # all layers' traces, before simulating any (simulate_layer checks each layer's buffers)
        n_total = sum(W.shape[1] for W in Ws)
        check_array_bytes(16.0 * B * n_total * (sim.n_steps + 1),
                          f"record_v=True: V(t) of B x (n_1 + ... + n_L) = {B} x {n_total} neurons at "
                          f"{sim.n_steps + 1} grid times (T / dt + 1)",
                          "use record_v=False, fewer neurons, a shorter T or a larger dt")
    return simulate_network(x, Ws, lif, syn, sim, record_v=record_v)


def simulate_network(x: LayerOutput, weights: list, lif: LIFParams, syn: SynapseParams, sim: SimParams, *,
                     record_v: bool = False) -> ForwardRecord:
    """The forward pass on validated, packed input spikes (no checks, no copy of the inputs).

    ``x``: padded input spikes ``(B, n_0, K)`` as :func:`pack_inputs` returns
    them (sorted, +inf padded, in [0, T) ms); ``weights``: ``[(B, n_l,
    n_{l-1})]`` (pA) as :func:`check_weights` returns them. The training loop
    calls this with views of its packed patterns; :func:`forward` validates
    and calls it. Each layer still checks its simulation budget
    (:func:`normad_edu.limits.check_layer_budget`).
    """
    layers = []
    prev = x
    for W in weights:
        prev = simulate_layer(prev.times, prev.counts, W, lif, syn, sim, record_v=record_v)
        layers.append(prev)
    return ForwardRecord(inputs=x, layers=layers, weights=list(weights))
