"""The training loop: forward -> metrics -> NormAD update, for a batch of
independent problems, each stopping at its own convergence.

A *problem* owns one set of weights and ``M`` patterns (input spike trains
plus desired output trains); the generic problems of the paper have M = 1,
the XOR task M = 4. Every iteration

1. evaluates all patterns of every still-active problem with the current
   weights (one batched forward pass) and records the history;
2. marks a problem converged when every pattern's correlation reaches
   ``threshold`` (the paper: 1.0 for XOR, 0.98 for the generic problems);
3. updates the weights of the active problems: ``mode="online"`` applies the
   update of each pattern in turn (random order per iteration),
   ``mode="batch"`` sums the updates of all patterns.

The correlation is computed on spike times moved to their bin of the
coincidence tolerance (``NormADParams.coincidence_dt``, default dt, and
``coincidence_offset``), as
in a time-stepped simulation: an output spike in the same bin as the
desired one counts as exact, so "correlation 1.0" (the XOR criterion)
means no error instant is left.

``converged_at[p]`` is the number of training iterations (weight updates
rounds) after which problem ``p`` first met the criterion (0: already at
the start; -1: not within ``max_iter``).

Results save to a single ``.npz`` (arrays plus a JSON string with the
configuration and seeds) and load back without pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._validation import as_rng, check_int, check_nonnegative, check_positive
from .lif import LayerOutput
from .metrics import correlation_padded
from .network import ForwardRecord, check_weights, forward, pack_inputs
from .normad import NormADParams, _error_instants_padded, check_rates_and_plastic, normad_update
from .params import SIGMA, THRESHOLD, LIFParams, SimParams, SynapseParams


@dataclass(frozen=True)
class TrainConfig:
    """How to train (learning rates in pA per error instant; see :mod:`normad_edu.normad`).

    Parameters
    ----------
    rates : tuple of float
        Learning rate r_l of each LIF layer (pA), >= 0.
    plastic : tuple of bool, optional
        Which layers learn (default: every layer).
    max_iter : int
        Maximum number of training iterations (>= 0).
    threshold : float
        Convergence when the correlation of every pattern is >= threshold
        (0 < threshold <= 1). Paper: 0.98 (generic), 1.0 (XOR).
    sigma : float
        Width of the Gaussian of the correlation metric (ms).
    mode : {"online", "batch"}
        Apply each pattern's update in turn (random order) or their sum.
    rule : {"normad", "resume"}
        Update rule; "resume" (baseline, output layer only) uses
        :func:`normad_edu.baselines.resume_update`.
    raster_every : int
        Store output spike times every ``raster_every`` iterations (for
        raster figures); 0 stores none.
    rate_decay : float
        0 (default; the paper's constant rates) or a number of iterations
        ``tau_r`` > 0: at iteration ``it`` every rate is multiplied by
        ``1 / (1 + it / tau_r)``. A labelled deviation studied in
        :mod:`normad_edu.study` (smaller steps near convergence).
    """

    rates: tuple
    plastic: tuple | None = None
    max_iter: int = 1000
    threshold: float = THRESHOLD
    sigma: float = SIGMA
    mode: str = "online"
    rule: str = "normad"
    raster_every: int = 1
    rate_decay: float = 0.0

    def __post_init__(self) -> None:
        check_int("max_iter", self.max_iter, minimum=0)
        threshold = check_positive("threshold", self.threshold)
        if threshold > 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        check_positive("sigma", self.sigma, unit="ms")
        if self.mode not in ("online", "batch"):
            raise ValueError(f"mode must be 'online' or 'batch', got {self.mode!r}")
        if self.rule not in ("normad", "resume"):
            raise ValueError(f"rule must be 'normad' or 'resume', got {self.rule!r}")
        check_int("raster_every", self.raster_every, minimum=0)
        check_nonnegative("rate_decay", self.rate_decay, unit="iterations")
        rates = (self.rates,) if np.isscalar(self.rates) else tuple(float(r) for r in self.rates)
        for l, r in enumerate(rates):
            check_nonnegative(f"rates[{l}]", r, unit="pA")
        object.__setattr__(self, "rates", rates)
        if self.plastic is not None:
            object.__setattr__(self, "plastic", tuple(bool(p) for p in self.plastic))


@dataclass
class TrainingResult:
    """What :func:`train` returns; ``save``/``load`` round-trip it without pickle.

    Attributes
    ----------
    converged_at : ndarray of int, shape (P,)
        Iterations to convergence per problem, -1 if not converged.
    correlation : ndarray, shape (n_iter + 1, P, M)
        Correlation of every pattern before each iteration (row 0: initial).
        After a problem converges its last values are carried forward.
    error_count : ndarray of int, shape (n_iter + 1, P, M)
        Number of error instants per pattern.
    spike_count : ndarray of int, shape (n_iter + 1, P, L)
        Spikes per LIF layer, summed over the M patterns.
    silent_fraction : ndarray, shape (n_iter + 1, P, L)
        Fraction of neurons of each layer silent on every pattern.
    weight_norm : ndarray, shape (n_iter + 1, P, L)
        Frobenius norm of each W^l (pA).
    raster_iterations : ndarray of int
        Iterations at which output spikes were stored.
    raster_times : ndarray, shape (R, P, M, n_L, K)
        Output spike times (ms, +inf padding) at those iterations.
    weights : list of ndarray
        Final weights ``(P, n_l, n_{l-1})`` (pA).
    meta : dict
        Configuration, parameters and seeds (JSON-serialisable).
    """

    converged_at: np.ndarray
    correlation: np.ndarray
    error_count: np.ndarray
    spike_count: np.ndarray
    silent_fraction: np.ndarray
    weight_norm: np.ndarray
    raster_iterations: np.ndarray
    raster_times: np.ndarray
    weights: list
    meta: dict = field(default_factory=dict)

    @property
    def n_converged(self) -> int:
        """Number of problems that converged."""
        return int(np.sum(self.converged_at >= 0))

    def iterations(self) -> list:
        """Iterations to converge per problem, ``None`` where it did not."""
        return [int(c) if c >= 0 else None for c in self.converged_at]

    def save(self, path) -> Path:
        """Write one ``.npz`` (no pickle); returns the path."""
        path = Path(path)
        arrays = {k: getattr(self, k) for k in ("converged_at", "correlation", "error_count", "spike_count",
                                                 "silent_fraction", "weight_norm", "raster_iterations", "raster_times")}
        for l, W in enumerate(self.weights):
            arrays[f"W{l + 1}"] = W
        arrays["meta_json"] = np.array(json.dumps(self.meta))
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path) -> "TrainingResult":
        """Read a file written by :meth:`save`."""
        with np.load(Path(path), allow_pickle=False) as z:
            meta = json.loads(str(z["meta_json"]))
            n_layers = sum(1 for k in z.files if k.startswith("W") and k[1:].isdigit())
            return cls(
                converged_at=z["converged_at"], correlation=z["correlation"], error_count=z["error_count"],
                spike_count=z["spike_count"], silent_fraction=z["silent_fraction"], weight_norm=z["weight_norm"],
                raster_iterations=z["raster_iterations"], raster_times=z["raster_times"],
                weights=[z[f"W{l + 1}"] for l in range(n_layers)], meta=meta,
            )


def _pack_patterns(name: str, data, T: float) -> tuple[np.ndarray, np.ndarray]:
    """[P][M][n trains] or padded (P, M, n, K) -> padded arrays (P, M, n, K), (P, M, n).

    Validation (finite times in [0, T), no duplicates, the nesting) is
    :func:`normad_edu.network.pack_inputs` with ``levels=2``; its messages
    name ``name`` (``"inputs"`` or ``"desired"``) and the offending train.
    """
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], np.ndarray):
        P, M = np.shape(data[0])[:2] if np.ndim(data[0]) == 4 else (0, 0)
    elif isinstance(data, (list, tuple, np.ndarray)) and len(data) and \
            all(isinstance(p, (list, tuple, np.ndarray)) and len(p) for p in data):
        P, M = len(data), len(data[0])
    else:
        raise TypeError(f"{name} must be a list over problems of lists over patterns of spike-train lists "
                        f"([P problems][M patterns][n trains]) or padded (times, counts) of shapes (P, M, n, K) "
                        f"and (P, M, n), got {type(data).__name__}"
                        + (" of length 0" if isinstance(data, list) and not data else ""))
    flat = pack_inputs(data, T, name=name, levels=2)
    return flat.times.reshape((P, M) + flat.times.shape[1:]), flat.counts.reshape((P, M, -1))


def train(
    inputs,
    desired,
    weights,
    config: TrainConfig,
    *,
    lif: LIFParams = LIFParams(),
    syn: SynapseParams = SynapseParams(),
    sim: SimParams = SimParams(),
    params: NormADParams = NormADParams(),
    rng=None,
    progress: bool = True,
    meta: dict | None = None,
    on_done=None,
) -> TrainingResult:
    """Train a batch of independent problems with NormAD until each converges.

    Parameters
    ----------
    inputs : list [P][M] of populations, or padded ``(times, counts)``
        Input spike trains (ms) of pattern m of problem p.
    desired : list [P][M] of populations, or padded ``(times, counts)``
        Desired output spike trains (one per output neuron).
    weights : list of arrays
        Initial ``W^l`` of each problem, ``(P, n_l, n_{l-1})`` (pA); not modified.
    config : TrainConfig
    lif, syn, sim, params : parameter dataclasses
    rng : Generator, int seed, None, or a list of them (one per problem)
        Used only for the pattern order in online mode. A list gives each
        problem its own stream, so its run does not depend on which other
        problems share the batch (sweeps rely on this).
    progress : bool
        Show a tqdm progress bar (on stderr).
    meta : dict, optional
        Extra JSON-serialisable information stored with the result (seeds...).
    on_done : callable, optional
        ``on_done(p, converged_at, correlation)`` is called as soon as
        problem ``p`` stops (converged, or ``max_iter`` reached with
        ``converged_at = -1``), with its correlation history ``(n + 1, M)``;
        sweeps use it to save every finished run at once.

    Returns
    -------
    TrainingResult
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    # int(): a numpy integer seed must not reach json.dumps in save()
    rng_seed = int(rng) if isinstance(rng, (int, np.integer)) else None
    per_problem = isinstance(rng, (list, tuple))
    if per_problem:
        rng_seed = [int(r) if isinstance(r, (int, np.integer)) else None for r in rng]
        gens = [as_rng(r) for r in rng]
    else:
        rng = as_rng(rng)
    x_t, x_c = _pack_patterns("inputs", inputs, sim.T)
    d_t, d_c = _pack_patterns("desired", desired, sim.T)
    P, M = x_c.shape[:2]
    if per_problem and len(gens) != P:
        raise ValueError(f"rng as a list needs one seed or Generator per problem ({P}), got {len(gens)}")
    if d_c.shape[:2] != (P, M):
        raise ValueError(f"desired has {d_c.shape[:2]} problems x patterns but inputs have {(P, M)}")
    Ws = [W.copy() for W in check_weights(weights, batch=P)]
    L = len(Ws)
    if Ws[0].shape[2] != x_c.shape[2]:
        raise ValueError(f"W^1 expects {Ws[0].shape[2]} inputs but the patterns have {x_c.shape[2]} input trains")
    if Ws[-1].shape[1] != d_c.shape[2]:
        raise ValueError(f"the output layer has {Ws[-1].shape[1]} neurons but desired has {d_c.shape[2]} trains")
    rates, plastic = check_rates_and_plastic(L, config.rates if len(config.rates) != 1 else config.rates * L,
                                             config.plastic)
    if config.rule == "resume" and plastic[:-1].any():
        raise ValueError("rule='resume' trains the output layer only: set plastic to False for hidden layers")
    width, offset = params.bins(sim)

    n_it = config.max_iter
    hist_corr = np.zeros((n_it + 1, P, M))
    hist_err = np.zeros((n_it + 1, P, M), dtype=np.int64)
    hist_spk = np.zeros((n_it + 1, P, L), dtype=np.int64)
    hist_sil = np.zeros((n_it + 1, P, L))
    hist_wn = np.zeros((n_it + 1, P, L))
    raster = []
    last_out = [None] * P  # latest output spike times (M, n_L, K) of each problem
    converged_at = np.full(P, -1, dtype=np.int64)
    active = np.arange(P)
    last_it = 0

    # Layers below the first plastic one never change: simulate them once and
    # start every later forward pass from their (cached) spikes.
    f = min(int(np.argmax(plastic)) if plastic.any() else L, L - 1)
    cache = []
    if f > 0:
        pre = forward((x_t.reshape((P * M,) + x_t.shape[2:]), x_c.reshape(P * M, -1)),
                      [np.repeat(W, M, axis=0) for W in Ws[:f]], lif, syn, sim)
        cache = [(lay.times.reshape((P, M) + lay.times.shape[1:]), lay.counts.reshape(P, M, -1)) for lay in pre.layers]

    def run(idx_p, idx_m):
        """Forward pass of pattern idx_m[q] of problem idx_p[q] for every q, from layer f on."""
        src_t, src_c = cache[f - 1] if f > 0 else (x_t, x_c)
        return forward((src_t[idx_p, idx_m], src_c[idx_p, idx_m]), [W[idx_p] for W in Ws[f:]], lif, syn, sim)

    def layer_counts(rec, idx_p, idx_m, l):
        """Spike counts (len(idx), n_l) of layer l (1-based) in the pass ``rec``."""
        return cache[l - 1][1][idx_p, idx_m] if l <= f else rec.layers[l - 1 - f].counts

    bar = tqdm(total=n_it, disable=not progress, desc="training", unit="it", leave=False)
    for it in range(n_it + 1):
        last_it = it
        # --- evaluate every pattern of the active problems ---------------------
        ip = np.repeat(active, M)
        im = np.tile(np.arange(M), active.size)
        rec = run(ip, im)
        out = rec.output
        corr = correlation_padded(_on_grid(out.times, width, offset), out.counts, _on_grid(d_t[ip, im], width, offset),
                                  d_c[ip, im], config.sigma)
        corr = corr.mean(axis=-1).reshape(active.size, M)  # mean over output neurons
        _, err_s = _error_instants_padded(d_t[ip, im], d_c[ip, im], out.times, out.counts, width, offset)
        hist_corr[it, active] = corr
        hist_err[it, active] = (err_s != 0).sum(axis=(-1, -2)).reshape(active.size, M)
        for l in range(L):
            c = layer_counts(rec, ip, im, l + 1).reshape(active.size, M, -1)
            hist_spk[it, active, l] = c.sum(axis=(1, 2))
            hist_sil[it, active, l] = (c.sum(axis=1) == 0).mean(axis=-1)
            hist_wn[it, active, l] = np.sqrt((Ws[l][active] ** 2).sum(axis=(1, 2)))
        out_t = out.times.reshape((active.size, M) + out.times.shape[1:])
        for q, p in enumerate(active):
            last_out[p] = out_t[q]
        if config.raster_every and it % config.raster_every == 0:
            raster.append((it, list(last_out)))
        done = (corr >= config.threshold).all(axis=1)
        converged_at[active[done]] = it
        if on_done is not None:
            for p in active[done] if it < n_it else active:
                on_done(int(p), int(converged_at[p]), hist_corr[: it + 1, p].copy())
        if it > 0:
            # carry finished problems' last values forward
            gone = np.setdiff1d(np.arange(P), active)
            for h in (hist_corr, hist_err, hist_spk, hist_sil, hist_wn):
                h[it, gone] = h[it - 1, gone]
        active = active[~done]
        if it == n_it or active.size == 0:
            break
        # --- update ------------------------------------------------------------
        rates_it = rates / (1.0 + it / config.rate_decay) if config.rate_decay > 0 else rates
        if config.mode == "batch" or M == 1:  # one pattern: online == batch, reuse the evaluation pass
            keep = np.repeat(~done, M)
            sub = _subset(rec, keep)
            dW = _update(sub, d_t[ip[keep], im[keep]], d_c[ip[keep], im[keep]], rates_it[f:], plastic[f:], config, lif, syn, sim, params)
            for l in range(L - f):
                Ws[f + l][active] += dW[l].reshape((active.size, M) + dW[l].shape[1:]).sum(axis=1)
        else:
            if per_problem:
                order = np.stack([gens[p].permutation(M) for p in active])
            else:
                order = np.argsort(rng.random((active.size, M)), axis=1)
            for s in range(M):
                pm = order[:, s]
                rec_s = run(active, pm)
                dW = _update(rec_s, d_t[active, pm], d_c[active, pm], rates_it[f:], plastic[f:], config, lif, syn, sim, params)
                for l in range(L - f):
                    Ws[f + l][active] += dW[l]
        bar.update(1)
        bar.set_postfix(converged=f"{int((converged_at >= 0).sum())}/{P}")
    bar.close()
    n_done = last_it + 1
    for h in (hist_corr, hist_err, hist_spk, hist_sil, hist_wn):
        h[n_done:] = h[last_it]  # problems all stopped early: flat tail
    hist = dict(correlation=hist_corr[:n_done], error_count=hist_err[:n_done], spike_count=hist_spk[:n_done],
                silent_fraction=hist_sil[:n_done], weight_norm=hist_wn[:n_done])
    K = max([o.shape[-1] for _, outs in raster for o in outs], default=1)
    rt = np.full((len(raster), P, M, Ws[-1].shape[1], K), np.inf)
    for r, (_, outs) in enumerate(raster):
        for p, o in enumerate(outs):
            rt[r, p, ..., : o.shape[-1]] = o
    info = dict(config=asdict(config), lif=asdict(lif), syn=asdict(syn), sim=asdict(sim), normad=asdict(params),
                rng_seed=rng_seed, n_problems=P, n_patterns=M, sizes=[int(Ws[0].shape[2])] + [int(W.shape[1]) for W in Ws])
    info.update(meta or {})
    return TrainingResult(converged_at=converged_at, raster_iterations=np.array([it for it, _ in raster], dtype=np.int64),
                          raster_times=rt, weights=Ws, meta=info, **hist)


def _on_grid(times: np.ndarray, width: float, offset: float = 0.0) -> np.ndarray:
    """Spike times replaced by the index of their coincidence bin times ``width``
    (bins ``floor(t / width + offset)``; +inf padding stays)."""
    if width == 0:
        return times
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(times), np.floor(times / width + offset) * width, times)


def _subset(rec: ForwardRecord, keep: np.ndarray) -> ForwardRecord:
    def cut(lo: LayerOutput) -> LayerOutput:
        return LayerOutput(times=lo.times[keep], counts=lo.counts[keep], vdot=lo.vdot[keep])

    return ForwardRecord(inputs=cut(rec.inputs), layers=[cut(l) for l in rec.layers], weights=[W[keep] for W in rec.weights])


def _update(rec, d_times, d_counts, rates, plastic, config, lif, syn, sim, params):
    if config.rule == "resume":
        from .baselines import resume_update

        return resume_update(rec, (d_times, d_counts), rates[-1], lif=lif, sim=sim, params=params)
    return normad_update(rec, (d_times, d_counts), rates, plastic, lif=lif, syn=syn, sim=sim, params=params)
