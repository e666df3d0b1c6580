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

The history and the final weights come back as a
:class:`~normad_edu.result.TrainingResult` (saved to one ``.npz``, no pickle).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import NamedTuple

import numpy as np

from .progress import progress_bar
from .validation import as_rng, check_int, check_nonnegative, check_positive
from .lif import LayerOutput
from .metrics import correlation_padded
from .deviations import AdaptiveStep, Homeostasis
from .network import ForwardRecord, check_weights, forward, no_vdot, pack_inputs, simulate_network
from .baselines import resume_update
from .eventprop import eventprop_rule
from .spikeprop import spikeprop_rule
from .surrogate import surrogate_rule
from .normad import NormADParams, actionable_instants, backward, check_rates_and_plastic, error_instants_padded
from .params import SIGMA, THRESHOLD, LIFParams, SimParams, SynapseParams
from .result import TrainingResult


#: The layers an adaptive step (TrainConfig.adaptive_step) can scale.
ADAPTIVE_LAYERS = ("all", "hidden")


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
    rule : {"normad", "resume", "spikeprop", "eventprop", "surrogate"}
        Update rule (:data:`UPDATE_RULES`): NormAD; the ReSuMe baseline
        (output layer only, :func:`normad_edu.baselines.resume_update`); or
        one of the gradient rules of :mod:`normad_edu.spikeprop`,
        :mod:`normad_edu.eventprop`, :mod:`normad_edu.surrogate` with their
        default options (rates in pA per error instant, as for NormAD).
    raster_every : int
        Store output spike times every ``raster_every`` iterations (for
        raster figures); 0 stores none.
    rate_decay : float
        0 (default; the paper's constant rates) or a number of iterations
        ``tau_r`` > 0: at iteration ``it`` every rate is multiplied by
        ``1 / (1 + it / tau_r)``, a labelled deviation
        (:mod:`normad_edu.deviations`).
    homeostasis : float
        0 (default; the paper has none) or a step h (pA) of activity
        homeostasis for plastic hidden layers, a labelled deviation
        (:class:`normad_edu.deviations.Homeostasis`).
    adaptive_step : float
        0 (default; the paper's constant rates) or a factor f in (0, 1): an
        adaptive step per problem, a labelled deviation
        (:class:`normad_edu.deviations.AdaptiveStep`).
    adaptive_layers : {"all", "hidden"}
        Which plastic layers the adaptive step scales.
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
    homeostasis: float = 0.0
    adaptive_step: float = 0.0
    adaptive_layers: str = "all"

    def __post_init__(self) -> None:
        check_int("max_iter", self.max_iter, minimum=0)
        threshold = check_positive("threshold", self.threshold)
        if threshold > 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold}")
        check_positive("sigma", self.sigma, unit="ms")
        if self.mode not in ("online", "batch"):
            raise ValueError(f"mode must be 'online' or 'batch', got {self.mode!r}")
        if self.rule not in UPDATE_RULES:
            raise ValueError(f"rule must be one of {tuple(UPDATE_RULES)}, got {self.rule!r}")
        check_int("raster_every", self.raster_every, minimum=0)
        check_nonnegative("rate_decay", self.rate_decay, unit="iterations")
        check_nonnegative("homeostasis", self.homeostasis, unit="pA")
        f = check_nonnegative("adaptive_step", self.adaptive_step)
        if f >= 1.0:
            raise ValueError(f"adaptive_step must be 0 (off) or a factor in (0, 1), got {f}")
        if self.adaptive_layers not in ADAPTIVE_LAYERS:
            raise ValueError(f"adaptive_layers must be one of {ADAPTIVE_LAYERS}, got {self.adaptive_layers!r}")
        rates = (self.rates,) if np.isscalar(self.rates) else tuple(float(r) for r in self.rates)
        for l, r in enumerate(rates):
            check_nonnegative(f"rates[{l}]", r, unit="pA")
        object.__setattr__(self, "rates", rates)
        if self.plastic is not None:
            object.__setattr__(self, "plastic", tuple(bool(p) for p in self.plastic))

    def rates_at(self, it: int, rates: np.ndarray) -> np.ndarray:
        """The learning rates (pA) of iteration ``it``: ``rates`` (constant), or
        ``rates / (1 + it / rate_decay)`` when ``rate_decay`` > 0."""
        return rates / (1.0 + it / self.rate_decay) if self.rate_decay > 0 else rates


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


def resume_rule(record, desired, rates, plastic, *, lif, syn, sim, params, instants) -> list:
    """The ReSuMe baseline as an update rule (output layer only; see :func:`normad_edu.baselines.resume_update`)."""
    return resume_update(record, desired, rates[-1], lif=lif, sim=sim, params=params, instants=instants)


def normad_rule(record, desired, rates, plastic, *, lif, syn, sim, params, instants) -> list:
    """The NormAD rule as an update rule: :func:`normad_edu.normad.normad_update` on the error instants
    :func:`train` already has (no second validation, no second computation of the instants)."""
    err_t, err_s = instants
    err_t = actionable_instants(record, err_t, err_s, params, sim)
    return backward(record, err_t, err_s, rates, plastic, lif=lif, syn=syn, params=params)


#: Update rules by ``TrainConfig.rule``. A rule is a function
#: ``rule(record, (d_times, d_counts), rates, plastic, *, lif, syn, sim, params, instants)``
#: returning ``dW^l`` of every layer it is given (shapes ``(B, n_l, n_{l-1})``, pA). :func:`train`
#: calls it with validated arrays: ``rates`` (pA) and ``plastic`` one per layer of ``record``, and
#: ``instants = (err_t, err_s)``, the padded error instants of ``record`` against ``desired``
#: (:func:`normad_edu.normad.error_instants_padded`: ms, and signs +1 missed / -1 extra / 0 padding).
#: The gradient rules take ``options`` too; here they run with their defaults (NormAD's step length along
#: their own direction, see :mod:`normad_edu._rules`); other options: ``train(..., update=partial(rule, options=...))``.
UPDATE_RULES = {"normad": normad_rule, "resume": resume_rule, "spikeprop": spikeprop_rule,
                "eventprop": eventprop_rule, "surrogate": surrogate_rule}


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
    update=None,
    monitor=None,
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
        Show a progress bar on stderr (only on a terminal, and not when the
        environment variable ``TQDM_DISABLE`` is set).
    meta : dict, optional
        Extra JSON-serialisable information stored with the result (seeds...).
    on_done : callable, optional
        ``on_done(p, converged_at, correlation)`` is called as soon as
        problem ``p`` stops (converged, or ``max_iter`` reached with
        ``converged_at = -1``), with its correlation history ``(n + 1, M)``;
        sweeps use it to save every finished run at once.
    update : callable, optional
        The update rule (see :data:`UPDATE_RULES`); default
        ``UPDATE_RULES[config.rule]``.
    monitor : optional
        An observer of the learning dynamics, e.g.
        :class:`normad_edu.research.diagnostics.TrainingMonitor`: its
        ``on_evaluation(it, active, evaluation, state)`` and
        ``on_update(it, active, applied, state)`` are called every iteration
        (``evaluation`` an :class:`Evaluation`, ``state`` the
        :class:`TrainingState`, read-only) and ``arrays(last_it)`` becomes
        ``result.diagnostics``.

    Returns
    -------
    TrainingResult
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    order, rng_seed = _PatternOrder.build(rng)
    net = TrainingState(inputs, desired, weights, config, lif, syn, sim, params, order)
    update = UPDATE_RULES[config.rule] if update is None else update
    hist = _History(config, net)
    active = np.arange(net.P)
    bar = progress_bar(config.max_iter, "training", "it", enabled=progress, leave=False)
    for it in range(config.max_iter + 1):
        ev = net.evaluate(active)  # every pattern of every active problem
        hist.record(it, active, ev)
        if monitor is not None:
            monitor.on_evaluation(it, active, ev, net)
        done = (ev.correlation >= config.threshold).all(axis=1)
        hist.converged_at[active[done]] = it
        if on_done is not None:
            for p in active[done] if it < config.max_iter else active:
                on_done(int(p), int(hist.converged_at[p]), hist.correlation[: it + 1, p].copy())
        active = active[~done]
        if it == config.max_iter or active.size == 0:
            break
        if net.adaptive is not None:
            net.adaptive.observe(ev.idx_problem.reshape(done.size, net.M)[:, 0], ev.correlation.mean(axis=1))
        applied = net.apply_updates(ev, active, done, config.rates_at(it, net.rates), update)
        if net.homeostasis is not None:
            net.homeostasis.apply(net, ev, active, done)
        if monitor is not None:
            monitor.on_update(it, active, applied, net)
        bar.update(1)
        bar.set_postfix(converged=f"{int((hist.converged_at >= 0).sum())}/{net.P}")
    bar.close()
    info = dict(config=asdict(config), lif=asdict(lif), syn=asdict(syn), sim=asdict(sim), normad=asdict(params),
                rng_seed=rng_seed, n_problems=net.P, n_patterns=net.M, sizes=net.sizes())
    result = hist.result(it, net.Ws, {**info, **(meta or {})})
    if monitor is not None:
        result.diagnostics = monitor.arrays(it)
    return result


class _PatternOrder:
    """The random order of the patterns in online mode: one generator, or one per problem."""

    def __init__(self, rng, gens):
        self.rng, self.gens = rng, gens

    @classmethod
    def build(cls, rng) -> tuple["_PatternOrder", object]:
        """The order source and the JSON-able seed(s) to store with the result."""
        if isinstance(rng, (list, tuple)):
            # int(): a numpy integer seed must not reach json.dumps in save()
            seeds = [int(r) if isinstance(r, (int, np.integer)) else None for r in rng]
            return cls(None, [as_rng(r) for r in rng]), seeds
        seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        return cls(as_rng(rng), None), seed

    def orders(self, active: np.ndarray, M: int) -> np.ndarray:
        """``(len(active), M)``: the pattern order of each active problem this iteration."""
        if self.gens is not None:
            return np.stack([self.gens[p].permutation(M) for p in active])
        return np.argsort(self.rng.random((active.size, M)), axis=1)


class Evaluation(NamedTuple):
    """One scored forward pass: pattern ``idx_pattern[q]`` of problem ``idx_problem[q]`` for every row q.

    ``record`` covers the layers from ``TrainingState.f`` on (the layers
    below never change and are cached); ``A`` is the number of problems
    evaluated, ``M`` their patterns, ``n_L`` the output neurons.
    """

    record: ForwardRecord
    idx_problem: np.ndarray
    idx_pattern: np.ndarray
    correlation: np.ndarray  #: (A, M): mean over output neurons
    error_count: np.ndarray  #: (A, M): error instants
    output_correlation: np.ndarray  #: (A, M, n_L): per output neuron
    error_times: np.ndarray  #: (A * M, n_L, E): error instants (ms), signs below
    error_signs: np.ndarray  #: (A * M, n_L, E): +1 missed, -1 extra, 0 padding


class TrainingState:
    """The problems :func:`train` is training: packed patterns, current weights, cached frozen layers.

    An observer passed to :func:`train` as ``monitor`` (e.g.
    :class:`normad_edu.research.diagnostics.TrainingMonitor`) receives it
    every iteration and may read (never change) these attributes:

    ``P``, ``M``, ``L``
        Problems, patterns per problem, LIF layers.
    ``Ws``
        The current weights ``[W^1 .. W^L]``, each ``(P, n_l, n_{l-1})`` (pA).
    ``rates``, ``plastic``
        Learning rate (pA per error instant) and plastic flag of every layer.
    ``f``
        Index of the first layer that is simulated every iteration: the
        layers ``1 .. f`` never change (no plastic layer below ``f + 1``), so
        their spikes are simulated once and cached; evaluation records and
        updates cover layers ``f + 1 .. L``.
    ``config``, ``lif``, ``syn``, ``sim``, ``params``
        The configuration and parameters of the run.
    """

    def __init__(self, inputs, desired, weights, config, lif, syn, sim, params, order: _PatternOrder):
        self.x_t, self.x_c = _pack_patterns("inputs", inputs, sim.T)
        self.d_t, self.d_c = _pack_patterns("desired", desired, sim.T)
        self.P, self.M = self.x_c.shape[:2]
        if order.gens is not None and len(order.gens) != self.P:
            raise ValueError(f"rng as a list needs one seed or Generator per problem ({self.P}), got {len(order.gens)}")
        if self.d_c.shape[:2] != (self.P, self.M):
            raise ValueError(f"desired has {self.d_c.shape[:2]} problems x patterns but inputs have {(self.P, self.M)}")
        self.Ws = [W.copy() for W in check_weights(weights, batch=self.P)]
        self.L = L = len(self.Ws)
        if self.Ws[0].shape[2] != self.x_c.shape[2]:
            raise ValueError(f"W^1 expects {self.Ws[0].shape[2]} inputs but the patterns have {self.x_c.shape[2]} "
                             f"input trains")
        if self.Ws[-1].shape[1] != self.d_c.shape[2]:
            raise ValueError(f"the output layer has {self.Ws[-1].shape[1]} neurons but desired has "
                             f"{self.d_c.shape[2]} trains")
        self.rates, self.plastic = check_rates_and_plastic(
            L, config.rates if len(config.rates) != 1 else config.rates * L, config.plastic)
        if config.rule == "resume" and self.plastic[:-1].any():
            raise ValueError("rule='resume' trains the output layer only: set plastic to False for hidden layers")
        self.config, self.lif, self.syn, self.sim, self.params, self.order = config, lif, syn, sim, params, order
        self.width, self.offset = params.bins(sim)
        # Layers below the first plastic one never change: simulate them once and
        # start every later forward pass from their (cached) spikes.
        self.f = f = min(int(np.argmax(self.plastic)) if self.plastic.any() else L, L - 1)
        self.cache = []
        if f > 0:
            P, M = self.P, self.M
            pre = forward((self.x_t.reshape((P * M,) + self.x_t.shape[2:]), self.x_c.reshape(P * M, -1)),
                          [np.repeat(W, M, axis=0) for W in self.Ws[:f]], lif, syn, sim)
            self.cache = [(lay.times.reshape((P, M) + lay.times.shape[1:]), lay.counts.reshape(P, M, -1))
                          for lay in pre.layers]
        # labelled deviations from the paper's procedure, off by default (normad_edu.deviations)
        self.adaptive = (AdaptiveStep(self.P, L, config.adaptive_step, config.adaptive_layers)
                         if config.adaptive_step else None)
        self.homeostasis = Homeostasis(config.homeostasis) if config.homeostasis else None

    def sizes(self) -> list:
        return [int(self.Ws[0].shape[2])] + [int(W.shape[1]) for W in self.Ws]

    def run(self, idx_p, idx_m) -> ForwardRecord:
        """Forward pass of pattern idx_m[q] of problem idx_p[q] for every q, from layer f on."""
        src_t, src_c = self.cache[self.f - 1] if self.f > 0 else (self.x_t, self.x_c)
        times, counts = _patterns(src_t, idx_p, idx_m), _patterns(src_c, idx_p, idx_m)
        x = LayerOutput(times=times, counts=counts, vdot=no_vdot(times.shape))
        # (validated when packed; the weights are copies, so a record keeps the weights it was run with)
        return simulate_network(x, [W[idx_p] for W in self.Ws[self.f:]], self.lif, self.syn, self.sim)

    def layer_counts(self, rec, idx_p, idx_m, l) -> np.ndarray:
        """Spike counts (len(idx), n_l) of layer l (1-based) in the pass ``rec``."""
        return self.cache[l - 1][1][idx_p, idx_m] if l <= self.f else rec.layers[l - 1 - self.f].counts

    def error_instants(self, rec: ForwardRecord, idx_p, idx_m) -> tuple[np.ndarray, np.ndarray]:
        """The padded error instants of the output of ``rec`` against the desired trains of those patterns."""
        out = rec.output
        return error_instants_padded(self.d_t[idx_p, idx_m], self.d_c[idx_p, idx_m], out.times, out.counts,
                                     self.width, self.offset)

    def evaluate(self, active) -> Evaluation:
        """One forward pass over every pattern of the active problems, scored."""
        M = self.M
        ip, im = np.repeat(active, M), np.tile(np.arange(M), active.size)
        rec = self.run(ip, im)
        out, w, o = rec.output, self.width, self.offset
        corr = correlation_padded(_on_grid(out.times, w, o), out.counts, _on_grid(self.d_t[ip, im], w, o),
                                  self.d_c[ip, im], self.config.sigma)
        per_output = corr.reshape(active.size, M, -1)
        corr = corr.mean(axis=-1).reshape(active.size, M)
        err_t, err_s = self.error_instants(rec, ip, im)
        return Evaluation(rec, ip, im, corr, (err_s != 0).sum(axis=(-1, -2)).reshape(active.size, M), per_output,
                          err_t, err_s)

    def apply_updates(self, ev: Evaluation, active, done, rates, update) -> list:
        """One round of weight updates of the still-active problems (``done``: which of the evaluated ones stopped).

        ``rates``: this iteration's rate of every layer (pA). Returns the update applied to each problem this
        round, per layer ``f .. L-1`` (pA; the sum over patterns).
        """
        f, M = self.f, self.M
        kw = dict(lif=self.lif, syn=self.syn, sim=self.sim, params=self.params)
        if self.config.mode == "batch" or M == 1:  # one pattern: online == batch, reuse the evaluation pass
            ip, im = ev.idx_problem, ev.idx_pattern
            keep = np.repeat(~done, M)
            dW = update(_subset(ev.record, keep), (self.d_t[ip[keep], im[keep]], self.d_c[ip[keep], im[keep]]),
                        rates[f:], self.plastic[f:], instants=(ev.error_times[keep], ev.error_signs[keep]), **kw)
            applied = [self._scaled(d.reshape((active.size, M) + d.shape[1:]).sum(axis=1), f + l, active)
                       for l, d in enumerate(dW)]
            for l in range(self.L - f):
                if active.size == self.P:  # every problem (active is sorted): in place, no gather and scatter
                    self.Ws[f + l] += applied[l]
                else:
                    self.Ws[f + l][active] += applied[l]
            return applied
        order = self.order.orders(active, M)
        applied = [np.zeros((active.size,) + W.shape[1:]) for W in self.Ws[f:]]
        for s in range(M):
            pm = order[:, s]
            rec = self.run(active, pm)
            dW = update(rec, (self.d_t[active, pm], self.d_c[active, pm]), rates[f:], self.plastic[f:],
                        instants=self.error_instants(rec, active, pm), **kw)
            for l in range(self.L - f):
                d = self._scaled(dW[l], f + l, active)
                self.Ws[f + l][active] += d
                applied[l] += d
        return applied

    def _scaled(self, dW: np.ndarray, l: int, active) -> np.ndarray:
        """``dW`` (A, n, m) of layer index ``l`` times each active problem's adaptive step (if it applies)."""
        return dW if self.adaptive is None else self.adaptive.scale(dW, l, active)


class _History:
    """What :class:`TrainingResult` records per iteration, problem and pattern or layer."""

    KEYS = ("correlation", "error_count", "spike_count", "silent_fraction", "weight_norm", "output_correlation")

    def __init__(self, config: TrainConfig, net: TrainingState):
        n, P, M, L = config.max_iter + 1, net.P, net.M, net.L
        self.net, self.raster_every = net, config.raster_every
        self.correlation = np.zeros((n, P, M))
        self.error_count = np.zeros((n, P, M), dtype=np.int64)
        self.spike_count = np.zeros((n, P, L), dtype=np.int64)
        self.silent_fraction = np.zeros((n, P, L))
        self.weight_norm = np.zeros((n, P, L))
        self.output_correlation = np.zeros((n, P, M, net.Ws[-1].shape[1]))
        self.converged_at = np.full(P, -1, dtype=np.int64)
        self.last_it = np.zeros(P, dtype=np.int64)  # the last iteration recorded for each problem
        self.last_out = [None] * P  # latest output spike times (M, n_L, K) of each problem
        self.raster = []
        self.frozen = None  # spike count, silent fraction and weight norm of the layers below net.f, per problem

    def record(self, it, active, ev: Evaluation) -> None:
        net, rec, ip, im, A = self.net, ev.record, ev.idx_problem, ev.idx_pattern, active.size
        self.last_it[active] = it
        self.correlation[it, active] = ev.correlation
        self.output_correlation[it, active] = ev.output_correlation
        self.error_count[it, active] = ev.error_count
        if self.frozen is None:  # the first call: every problem is active
            self.frozen = [self._layer_stats(rec, ip, im, A, l) for l in range(net.f)]
        for l in range(net.L):
            # (the layers below net.f never change: their figures are those of the first call; each
            # figure is computed per problem, row by row, so the values are the same bits)
            stats = [v[active] for v in self.frozen[l]] if l < net.f else self._layer_stats(rec, ip, im, A, l)
            self.spike_count[it, active, l], self.silent_fraction[it, active, l], self.weight_norm[it, active, l] = stats
        out_t = rec.output.times.reshape((A, net.M) + rec.output.times.shape[1:])
        for q, p in enumerate(active):
            self.last_out[p] = out_t[q]
        if self.raster_every and it % self.raster_every == 0:
            self.raster.append((it, list(self.last_out)))

    def _layer_stats(self, rec, ip, im, A, l) -> tuple:
        """Spike count, fraction of silent neurons and weight norm of layer index ``l`` (0-based) of the rows recorded."""
        net = self.net
        c = net.layer_counts(rec, ip, im, l + 1).reshape(A, net.M, -1)
        active = ip.reshape(A, net.M)[:, 0]
        W = net.Ws[l] if A == net.P else net.Ws[l][active]  # (every problem: the array itself, not a copy)
        return (c.sum(axis=(1, 2)), (c.sum(axis=1) == 0).mean(axis=-1), np.sqrt((W ** 2).sum(axis=(1, 2))))

    def carry_forward(self, last_it) -> None:
        """Problems that stopped before ``last_it`` keep their last values up to it (filled in once, at the end)."""
        for p in np.flatnonzero(self.last_it < last_it):
            s = self.last_it[p]
            for k in self.KEYS:
                h = getattr(self, k)
                h[s + 1:last_it + 1, p] = h[s, p]

    def result(self, last_it, Ws, meta) -> TrainingResult:
        self.carry_forward(last_it)
        n_done = last_it + 1
        hist = {k: getattr(self, k)[:n_done] for k in self.KEYS}
        K = max([o.shape[-1] for _, outs in self.raster for o in outs], default=1)
        rt = np.full((len(self.raster), self.net.P, self.net.M, Ws[-1].shape[1], K), np.inf)
        for r, (_, outs) in enumerate(self.raster):
            for p, o in enumerate(outs):
                rt[r, p, ..., : o.shape[-1]] = o
        net = self.net
        return TrainingResult(converged_at=self.converged_at,
                              raster_iterations=np.array([it for it, _ in self.raster], dtype=np.int64),
                              raster_times=rt, weights=Ws, meta=meta, inputs=(net.x_t, net.x_c),
                              desired=(net.d_t, net.d_c), **hist)


def _on_grid(times: np.ndarray, width: float, offset: float = 0.0) -> np.ndarray:
    """Spike times replaced by the index of their coincidence bin times ``width``
    (bins ``floor(t / width + offset)``; +inf padding stays)."""
    if width == 0:
        return times
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(times), np.floor(times / width + offset) * width, times)


def _patterns(a: np.ndarray, idx_p: np.ndarray, idx_m: np.ndarray) -> np.ndarray:
    """``a[idx_p, idx_m]`` of a ``(P, M, ...)`` array, flattened to rows: a view (no copy of the
    spike trains) when the pairs are consecutive rows of ``a`` (every pattern of a run of problems,
    in order, as in the first iterations), else a copy."""
    P, M = a.shape[:2]
    q = idx_p * M + idx_m
    if q.size and np.array_equal(q, np.arange(q[0], q[0] + q.size)):
        return a.reshape((P * M,) + a.shape[2:])[q[0]:q[0] + q.size]
    return a[idx_p, idx_m]


def _subset(rec: ForwardRecord, keep: np.ndarray) -> ForwardRecord:
    """The rows ``keep`` (bool) of a record; the record itself when every row is kept."""
    if keep.all():
        return rec

    def cut(lo: LayerOutput) -> LayerOutput:
        return LayerOutput(times=lo.times[keep], counts=lo.counts[keep], vdot=lo.vdot[keep])

    x = rec.inputs.times[keep]
    return ForwardRecord(inputs=LayerOutput(times=x, counts=rec.inputs.counts[keep], vdot=no_vdot(x.shape)),
                         layers=[cut(l) for l in rec.layers], weights=[W[keep] for W in rec.weights])
