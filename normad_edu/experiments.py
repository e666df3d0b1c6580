"""The paper's experiments (Sec. 6) as problem factories.

* :func:`xor_problems` -- XOR with a 54 -> 54 -> 1 network (paper Figs. 6-7).
* :func:`deep_problems` -- generic problems for 100 -> 50 -> 25 -> 1
  (Figs. 8-10).

Each factory returns an :class:`Experiment`: inputs, desired outputs,
initial weights, the training configuration and the model parameters,
ready for :func:`normad_edu.training.train`. Every run ``i`` draws its
random numbers from ``numpy.random.default_rng([seed, i])``, so run ``i`` is
the same whatever the number of runs, and the configurations of one
experiment (plastic/frozen, output/outer2/all) see identical problems.

Values the paper does not give are *reconstructed* (docs/method.md Sec. 7-8) and are
fields of :class:`XORSetup` / :class:`DeepSetup` / :class:`SingleSetup` with
documented defaults.

One way to run an experiment: the registry :data:`EXPERIMENTS` maps a name
(``"single"``, ``"xor"``, ``"deep"``) to its setup class, its factory and its
configurations; :func:`make_experiment` builds an :class:`Experiment` and
:meth:`Experiment.run` trains it. The CLI, the sweeps, the study and the
notebooks all go through these two calls::

    ex = make_experiment("deep", "all", n_runs=10, seed=0,
                         setup=with_changes(DeepSetup(), {"r_hidden_all": 10.0}))
    result = ex.run()

:func:`with_changes` (and :func:`parse_changes` for ``FIELD=VALUE`` strings,
the CLI's ``--set``) is also how the lever study changes a setup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np

from .validation import check_int, check_nonnegative, check_positive
from .normad import NormADParams
from .params import (DESIRED_RATE, DT, INPUT_RATE, SIGMA, T_EPOCH, T_REF, TAU_L_HAT, THRESHOLD, VDOT_MIN,
                     XOR_THRESHOLD, LIFParams, SimParams, SynapseParams)
from .spikes import poisson_spike_train, poisson_spike_trains, xor_input_pattern
from .training import TrainConfig, TrainingResult, train

XOR_HIDDEN = ("plastic", "frozen")
DEEP_TRAIN = ("output", "outer2", "all")


@dataclass(frozen=True)
class Experiment:
    """Everything :func:`normad_edu.training.train` needs for one configuration."""

    name: str
    inputs: list
    desired: list
    weights: list
    config: TrainConfig
    lif: LIFParams
    syn: SynapseParams
    sim: SimParams
    params: NormADParams
    run_ids: list
    seed: int = 0

    def train_kwargs(self) -> dict:
        """Keyword arguments for :func:`normad_edu.training.train` (besides the data)."""
        return dict(lif=self.lif, syn=self.syn, sim=self.sim, params=self.params)

    def run(self, *, progress: bool = True, on_done=None, meta: dict | None = None, monitor=None,
            **config_changes) -> TrainingResult:
        """Train every run of this experiment (one batch) and return the :class:`~normad_edu.training.TrainingResult`.

        Run ``i`` draws its online pattern order from
        :func:`pattern_order_rngs` ``(seed, [i])``, so its result does not
        depend on the other runs in the batch. ``config_changes`` (e.g.
        ``max_iter=50, raster_every=1``) replace fields of ``self.config``
        for this call; ``progress``, ``on_done``, ``meta`` and ``monitor``
        (e.g. :class:`normad_edu.research.diagnostics.TrainingMonitor`) are passed to
        :func:`~normad_edu.training.train`.
        """
        config = replace(self.config, **config_changes) if config_changes else self.config
        return train(self.inputs, self.desired, self.weights, config, rng=pattern_order_rngs(self.seed, self.run_ids),
                     progress=progress, on_done=on_done, meta=meta, monitor=monitor, **self.train_kwargs())


@dataclass(frozen=True)
class XORSetup:
    """XOR 54 -> 54 -> 1 (paper Sec. 6.1; docs/method.md Sec. 7). Times in ms, weights and rates in pA.

    Defaults are the reconstruction a prototype found well posed: bit 0 starts
    at 0 ms, bit 1 at 6 ms, reference set at 0 ms; desired output spike at
    20 ms for XOR = 1 and 25 ms for XOR = 0; T = 40 ms; hidden weights
    Gaussian with mean +1 nA (80 % of synapses) or -1 nA (20 %), s.d. 0.5 nA;
    output weights 0; online updates with r_out = 2 nA, r_hidden = 0.3 nA.
    ``coincidence_offset = 0.5`` centres the coincidence bins on the grid
    points (see :class:`~normad_edu.normad.NormADParams`), where the targets
    20 and 25 ms sit. With the left-edge bins (0.0) an output spike 5 us early
    is a miss and runs stall at correlation 0.9998: over 100
    initialisations, plastic 94/100 converged (median 220) and frozen
    21/100 with 0.0, against plastic 100/100 (median 107, 93 within 400) and
    frozen 57/100 with 0.5 -- the prototype's 29/30 (median 100) and 21/30.
    """

    start_0: float = 0.0
    start_1: float = 6.0
    reference_start: float = 0.0
    n_per_set: int = 18
    stagger: float = 1.0
    n_hidden: int = 54
    desired_true: float = 20.0
    desired_false: float = 25.0
    T: float = 40.0
    w_mean: float = 1000.0
    w_sd: float = 500.0
    frac_excitatory: float = 0.8
    r_out: float = 2000.0
    r_hidden: float = 300.0
    tau_L_hat: float = TAU_L_HAT
    vdot_min: float = VDOT_MIN
    mode: str = "online"
    max_iter: int = 800
    threshold: float = XOR_THRESHOLD
    coincidence_offset: float = 0.5

    def __post_init__(self) -> None:
        check_int("n_per_set", self.n_per_set)
        check_int("n_hidden", self.n_hidden)
        check_int("max_iter", self.max_iter, minimum=0)
        for name in ("T", "stagger", "w_sd", "tau_L_hat", "vdot_min"):
            check_positive(name, getattr(self, name))
        for name in ("start_0", "start_1", "reference_start", "w_mean", "r_out", "r_hidden"):
            check_nonnegative(name, getattr(self, name))
        for name in ("desired_true", "desired_false"):
            if not 0 <= getattr(self, name) < self.T:
                raise ValueError(f"{name} must lie in [0, T) = [0, {self.T}) ms, got {getattr(self, name)}")
        if not 0 <= self.frac_excitatory <= 1:
            raise ValueError(f"frac_excitatory must be in [0, 1], got {self.frac_excitatory}")
        _check_rule_fields(self)


def _check_rule_fields(setup) -> None:
    """Validate the fields a setup passes on to NormADParams and TrainConfig now, not at training time."""
    NormADParams(tau_L_hat=setup.tau_L_hat, vdot_min=setup.vdot_min, coincidence_offset=setup.coincidence_offset,
                 normalization=getattr(setup, "normalization", "layer"))
    TrainConfig(rates=(0.0,), max_iter=setup.max_iter, threshold=setup.threshold, mode=setup.mode,
                sigma=getattr(setup, "sigma", SIGMA), rate_decay=getattr(setup, "rate_decay", 0.0))


@dataclass(frozen=True)
class DeepSetup:
    """Generic problems for 100 -> 50 -> 25 -> 1 (paper Sec. 6.2; docs/method.md Sec. 7).

    100 Poisson inputs at 20 Hz, one desired Poisson train at 10 Hz with a
    dead time of t_ref (so it respects the refractory period), T = 500 ms.
    Hidden weights: with probability 0.8 excitatory, ``U(0, a_l)``, else
    inhibitory, ``-U(0, g a_l)`` with ``g = inhibitory_scale``. The paper says
    only "uniform random, 80 % excitatory and 20 % inhibitory"; the defaults
    a = 3 / 6 nA and g = 4 (mean weight 0: hidden rates ~30 / ~60 Hz, first
    spikes at ~8 / ~13 ms) were chosen by the lever study of
    :mod:`normad_edu.research.study` on a held-out problem set. With g = 1 and
    a = 1 / 4 nA (the values before the study, ``study.PRE_STUDY_SETUP``)
    the 25 layer-2 neurons fire almost in synchrony and converge far less
    often (README "Reproduction status"). Output weights 0. r_out = 0.3 nA;
    the plastic hidden layers learn with r_hidden = 0.03 nA (both
    experiments; the study measured 0.1 and 0.3 nA worse), hidden layer 1
    at 0.1 x that (``r_hidden_scale = (0.1, 1.0)``): with layer 1 at the
    full rate its updates unsettle layer 2, and training all three layers
    converged less often (issue 11; README "Inside the runs"). The paper
    gives no per-layer rates, so this is a value it leaves open.

    Three more reconstructed values are fields so a study can vary them:
    ``t_ref`` (refractory period of every LIF neuron and dead time of the
    desired train; docs/method.md Sec. 2: 2 ms, the group's single-layer code uses 3 ms),
    ``sigma`` (width of the correlation metric's Gaussian, ms) and
    ``desired_t_min`` (desired spikes earlier than this are dropped after
    drawing, so the problems stay paired with the default ones; 0 = the
    paper's plain Poisson train). ``normalization`` is passed to
    :class:`~normad_edu.normad.NormADParams` and ``rate_decay`` to
    :class:`~normad_edu.training.TrainConfig` (both labelled deviations
    unless left at their defaults "layer" and 0).
    """

    sizes: tuple = (100, 50, 25, 1)
    input_rate: float = INPUT_RATE
    desired_rate: float = DESIRED_RATE
    T: float = T_EPOCH
    a_hidden: tuple = (3000.0, 6000.0)
    frac_excitatory: float = 0.8
    r_out: float = 300.0
    r_hidden_all: float = 30.0
    r_hidden_outer2: float = 30.0
    tau_L_hat: float = TAU_L_HAT
    vdot_min: float = VDOT_MIN
    mode: str = "batch"
    max_iter: int = 10_000
    threshold: float = THRESHOLD
    coincidence_offset: float = 0.0
    t_ref: float = T_REF
    sigma: float = SIGMA
    desired_t_min: float = 0.0
    normalization: str = "layer"
    rate_decay: float = 0.0
    inhibitory_scale: float = 4.0
    #: Per-hidden-layer factors on the hidden learning rate (layer 1 first; one per hidden layer, or () = all 1).
    #: A value the paper leaves open (issue 11's per-layer rate balance): layer 1 at 0.1 x, chosen on the
    #: screening set and confirmed on a set used for nothing else. Added after results were shipped with (),
    #: which stays out of the setup identity (see normad_edu.research.identity).
    r_hidden_scale: tuple = field(default=(0.1, 1.0), metadata={"neutral": True, "legacy": ()})
    #: Activity homeostasis of plastic hidden layers (pA per iteration at full deficit), a labelled deviation:
    #: see TrainConfig.homeostasis. 0 = the paper's rule.
    homeostasis: float = field(default=0.0, metadata={"neutral": True})
    #: The rule at an error instant where every layer's gradient is zero (NormADParams.zero_gradient): "skip"
    #: (the shipped results) or "first-spike", a case the paper leaves open.
    zero_gradient: str = field(default="skip", metadata={"neutral": True})
    #: Adaptive step per problem, a labelled deviation (TrainConfig.adaptive_step); 0 = the paper's constant rates.
    adaptive_step: float = field(default=0.0, metadata={"neutral": True})
    #: Which layers the adaptive step scales (TrainConfig.adaptive_layers).
    adaptive_layers: str = field(default="all", metadata={"neutral": True})

    def __post_init__(self) -> None:
        if not isinstance(self.sizes, (tuple, list)) or len(self.sizes) < 3:
            raise ValueError(f"sizes must give at least 3 layer sizes (inputs, hidden..., output), got {self.sizes!r}")
        for n in self.sizes:
            check_int("sizes", n)
        if self.sizes[-1] != 1:
            raise ValueError(f"sizes must end with 1 output neuron (the generic problems have one desired train), "
                             f"got {self.sizes[-1]} in sizes={tuple(self.sizes)}")
        if not isinstance(self.a_hidden, (tuple, list)):
            raise TypeError(f"a_hidden must be a tuple of one weight scale (pA) per hidden layer, got {self.a_hidden!r}")
        for a in self.a_hidden:
            check_nonnegative("a_hidden", a, unit="pA")
        if len(self.a_hidden) != len(self.sizes) - 2:
            raise ValueError(f"a_hidden needs one value per hidden layer ({len(self.sizes) - 2}), got {self.a_hidden}")
        check_int("max_iter", self.max_iter, minimum=0)
        for name in ("T", "tau_L_hat", "vdot_min", "sigma", "inhibitory_scale"):
            check_positive(name, getattr(self, name))
        for name in ("input_rate", "desired_rate", "r_out", "r_hidden_all", "r_hidden_outer2", "t_ref",
                     "desired_t_min"):
            check_nonnegative(name, getattr(self, name))
        if self.desired_t_min >= self.T:
            raise ValueError(f"desired_t_min must be < T = {self.T} ms, got {self.desired_t_min}")
        if not 0 <= self.frac_excitatory <= 1:
            raise ValueError(f"frac_excitatory must be in [0, 1], got {self.frac_excitatory}")
        if not isinstance(self.r_hidden_scale, (tuple, list)):
            raise TypeError(f"r_hidden_scale must be a tuple of one factor per hidden layer, got {self.r_hidden_scale!r}")
        if self.r_hidden_scale and len(self.r_hidden_scale) != len(self.sizes) - 2:
            raise ValueError(f"r_hidden_scale needs one factor per hidden layer ({len(self.sizes) - 2}) or none (), "
                             f"got {tuple(self.r_hidden_scale)!r} (the default (0.1, 1.0) is for two hidden layers: "
                             f"set it with sizes, e.g. r_hidden_scale=0.1,1,1 for three)")
        for f in self.r_hidden_scale:
            check_nonnegative("r_hidden_scale", f)
        NormADParams(zero_gradient=self.zero_gradient)  # validates zero_gradient
        TrainConfig(rates=(1.0,), adaptive_step=self.adaptive_step, adaptive_layers=self.adaptive_layers)
        _check_rule_fields(self)


SINGLE_RULES = ("normad", "resume")


@dataclass(frozen=True)
class SingleSetup:
    """Single-neuron problems ``n_inputs -> 1`` (paper Sec. 4; the group's earlier NormAD work).

    Problem ``i`` draws ``n_inputs`` Poisson input trains at ``input_rate``
    (Hz), then one desired Poisson train at ``desired_rate`` with a dead time
    of ``t_ref`` (ms), from ``default_rng([seed, i])``; the weights (pA) start
    at 0 and are trained in batch mode until the correlation reaches
    ``threshold``. The learning rate (pA per error instant) is ``r_normad``
    for the NormAD rule and ``r_resume`` for the ReSuMe baseline.
    """

    n_inputs: int = 100
    input_rate: float = INPUT_RATE
    desired_rate: float = DESIRED_RATE
    T: float = T_EPOCH
    t_ref: float = T_REF
    r_normad: float = 1000.0
    r_resume: float = 100.0
    tau_L_hat: float = TAU_L_HAT
    vdot_min: float = VDOT_MIN
    coincidence_offset: float = 0.0
    mode: str = "batch"
    max_iter: int = 600
    threshold: float = THRESHOLD
    sigma: float = SIGMA

    def __post_init__(self) -> None:
        check_int("n_inputs", self.n_inputs)
        for name in ("input_rate", "desired_rate", "t_ref", "r_normad", "r_resume"):
            check_nonnegative(name, getattr(self, name))
        check_positive("T", self.T, unit="ms")
        _check_rule_fields(self)


def _check_runs(n_runs, run_ids):
    if run_ids is None:
        return list(range(check_int("n_runs", n_runs)))
    ids = [check_int("run id", int(i), minimum=0) for i in run_ids]
    if not ids:
        raise ValueError("run_ids must not be empty")
    return ids


def _signed(rng, shape, frac_excitatory):
    return np.where(rng.random(shape) < frac_excitatory, 1.0, -1.0)


def xor_patterns(setup: XORSetup = XORSetup()) -> tuple[list, list]:
    """The 4 XOR input patterns (list of 3 x n_per_set trains each) and desired outputs.

    Pattern order: (0,0), (0,1), (1,0), (1,1); desired single spike at
    ``desired_true`` when the bits differ, else at ``desired_false``.
    """
    kw = dict(start_0=setup.start_0, start_1=setup.start_1, reference_start=setup.reference_start,
              n_per_set=setup.n_per_set, stagger=setup.stagger)
    inputs, desired = [], []
    for a, b in ((0, 0), (0, 1), (1, 0), (1, 1)):
        inputs.append(xor_input_pattern(a, b, **kw))
        desired.append([np.array([setup.desired_true if a != b else setup.desired_false])])
    for pat in inputs:
        if max(tr.max() for tr in pat) >= setup.T:
            raise ValueError(f"the XOR input spikes must end before T={setup.T} ms; increase T or decrease the start times")
    return inputs, desired


def xor_problems(hidden: str = "plastic", n_runs: int = 100, seed: int = 0, setup: XORSetup = XORSetup(),
                 run_ids=None) -> Experiment:
    """XOR experiment: ``n_runs`` random initialisations of the hidden weights.

    Parameters
    ----------
    hidden : {"plastic", "frozen"}
        Train the hidden layer too, or only the output layer (Fig. 7).
    n_runs : int
        Number of initialisations (paper: 100).
    seed : int
        Initialisation ``i`` uses ``default_rng([seed, i])``.
    setup : XORSetup
    run_ids : list of int, optional
        Build only these initialisations (for resuming sweeps).
    """
    if hidden not in XOR_HIDDEN:
        raise ValueError(f"hidden must be one of {XOR_HIDDEN}, got {hidden!r}")
    ids = _check_runs(n_runs, run_ids)
    inputs, desired = xor_patterns(setup)
    n_in = 3 * setup.n_per_set
    W1 = []
    for i in ids:
        rng = np.random.default_rng([seed, i])
        sign = _signed(rng, (setup.n_hidden, n_in), setup.frac_excitatory)
        W1.append(sign * setup.w_mean + rng.normal(0.0, setup.w_sd, (setup.n_hidden, n_in)))
    P = len(ids)
    weights = [np.stack(W1), np.zeros((P, 1, setup.n_hidden))]
    config = TrainConfig(rates=(setup.r_hidden, setup.r_out), plastic=(hidden == "plastic", True),
                         max_iter=setup.max_iter, threshold=setup.threshold, mode=setup.mode, raster_every=1)
    return Experiment(name=f"xor-{hidden}", inputs=[inputs] * P, desired=[desired] * P, weights=weights,
                      config=config, lif=LIFParams(), syn=SynapseParams(), sim=SimParams(dt=DT, T=setup.T),
                      params=NormADParams(tau_L_hat=setup.tau_L_hat, vdot_min=setup.vdot_min,
                                          coincidence_offset=setup.coincidence_offset), run_ids=ids, seed=seed)


def deep_problems(train: str = "all", n_runs: int = 100, seed: int = 0, setup: DeepSetup = DeepSetup(),
                  run_ids=None) -> Experiment:
    """Generic problems for the 3-layer network: ``n_runs`` independent problems.

    Parameters
    ----------
    train : {"output", "outer2", "all"}
        Which layers learn: the output layer only, the outer two, or all three.
    n_runs : int
        Number of problems (paper: 100).
    seed : int
        Problem ``i`` (inputs, desired train and initial weights) uses
        ``default_rng([seed, i])``: identical across the three configurations.
    setup : DeepSetup
    run_ids : list of int, optional
        Build only these problems (for resuming sweeps).
    """
    if train not in DEEP_TRAIN:
        raise ValueError(f"train must be one of {DEEP_TRAIN}, got {train!r}")
    ids = _check_runs(n_runs, run_ids)
    lif = LIFParams(t_ref=setup.t_ref)
    sizes = setup.sizes
    L = len(sizes) - 1
    inputs, desired, weights = [], [], [[] for _ in range(L)]
    for i in ids:
        rng = np.random.default_rng([seed, i])
        inputs.append([poisson_spike_trains(sizes[0], setup.input_rate, setup.T, rng)])
        train_d = poisson_spike_train(setup.desired_rate, setup.T, rng, t_dead=lif.t_ref)
        desired.append([[train_d[train_d >= setup.desired_t_min]]])
        for l in range(L - 1):
            shape = (sizes[l + 1], sizes[l])
            magnitude = rng.uniform(0.0, setup.a_hidden[l], shape)  # drawn before the signs (shipped results)
            sign = _signed(rng, shape, setup.frac_excitatory)
            weights[l].append(magnitude * np.where(sign > 0, 1.0, -setup.inhibitory_scale))
        weights[L - 1].append(np.zeros((sizes[L], sizes[L - 1])))
    r_hidden = {"output": 0.0, "outer2": setup.r_hidden_outer2, "all": setup.r_hidden_all}[train]
    plastic = tuple(l == L - 1 or (train == "all") or (train == "outer2" and l == L - 2) for l in range(L))
    scale = setup.r_hidden_scale or (1.0,) * (L - 1)
    rates = tuple(setup.r_out if l == L - 1 else (r_hidden * scale[l] if plastic[l] else 0.0) for l in range(L))
    config = TrainConfig(rates=rates, plastic=plastic, max_iter=setup.max_iter, threshold=setup.threshold,
                         sigma=setup.sigma, mode=setup.mode, raster_every=max(1, setup.max_iter // 500),
                         rate_decay=setup.rate_decay, homeostasis=setup.homeostasis,
                         adaptive_step=setup.adaptive_step, adaptive_layers=setup.adaptive_layers)
    return Experiment(name=f"deep-{train}", inputs=inputs, desired=desired, weights=[np.stack(w) for w in weights],
                      config=config, lif=lif, syn=SynapseParams(), sim=SimParams(dt=DT, T=setup.T),
                      params=NormADParams(tau_L_hat=setup.tau_L_hat, vdot_min=setup.vdot_min,
                                          coincidence_offset=setup.coincidence_offset,
                                          normalization=setup.normalization, zero_gradient=setup.zero_gradient),
                      run_ids=ids, seed=seed)


def single_problems(rule: str = "normad", n_runs: int = 20, seed: int = 0, setup: SingleSetup = SingleSetup(),
                    run_ids=None) -> Experiment:
    """Single-neuron experiment: ``n_runs`` independent ``n_inputs -> 1`` problems.

    Parameters
    ----------
    rule : {"normad", "resume"}
        The NormAD rule, or the ReSuMe baseline (:mod:`normad_edu.baselines`).
    n_runs : int
        Number of problems.
    seed : int
        Problem ``i`` uses ``default_rng([seed, i])`` (as :func:`single_neuron_problems`).
    setup : SingleSetup
    run_ids : list of int, optional
        Build only these problems.
    """
    if rule not in SINGLE_RULES:
        raise ValueError(f"rule must be one of {SINGLE_RULES}, got {rule!r}")
    ids = _check_runs(n_runs, run_ids)
    inputs, desired = [], []
    for i in ids:
        inp, des = _single_problem(np.random.default_rng([seed, i]), setup.n_inputs, setup.input_rate,
                                   setup.desired_rate, setup.T, setup.t_ref)
        inputs.append(inp)
        desired.append(des)
    config = TrainConfig(rates=(setup.r_normad if rule == "normad" else setup.r_resume,), max_iter=setup.max_iter,
                         threshold=setup.threshold, sigma=setup.sigma, mode=setup.mode, rule=rule, raster_every=0)
    return Experiment(name=f"single-{rule}", inputs=inputs, desired=desired,
                      weights=[np.zeros((len(ids), 1, setup.n_inputs))], config=config,
                      lif=LIFParams(t_ref=setup.t_ref), syn=SynapseParams(), sim=SimParams(dt=DT, T=setup.T),
                      params=NormADParams(tau_L_hat=setup.tau_L_hat, vdot_min=setup.vdot_min,
                                          coincidence_offset=setup.coincidence_offset), run_ids=ids, seed=seed)


def _single_problem(rng, n_inputs, input_rate, desired_rate, T, t_dead) -> tuple[list, list]:
    """One single-neuron problem: ``[inputs]`` and ``[[desired]]`` (one pattern, one output)."""
    return ([poisson_spike_trains(n_inputs, input_rate, T, rng)],
            [[poisson_spike_train(desired_rate, T, rng, t_dead=t_dead)]])


# Single-neuron problems (docs/method.md Sec. 8: 100 -> 1, weights start at 0).

#: Epoch of the single-neuron problems (ms).
SINGLE_T = T_EPOCH
#: Rate of the Poisson input trains (Hz).
SINGLE_INPUT_RATE = INPUT_RATE
#: Rate of the desired Poisson train (Hz); its dead time is t_ref (2 ms).
SINGLE_DESIRED_RATE = DESIRED_RATE
#: Converged when the correlation reaches this (the generic problems' criterion).
SINGLE_THRESHOLD = THRESHOLD


def single_neuron_problems(
    n_problems: int,
    n_inputs: int = 100,
    seed: int = 0,
    *,
    T: float = SINGLE_T,
    input_rate: float = SINGLE_INPUT_RATE,
    desired_rate: float = SINGLE_DESIRED_RATE,
    t_dead: float = T_REF,
) -> tuple[list, list]:
    """Inputs and desired outputs of ``n_problems`` single-neuron problems.

    Problem ``i`` draws ``n_inputs`` Poisson input trains at ``input_rate``,
    then one desired Poisson train at ``desired_rate`` with dead time
    ``t_dead``, from ``numpy.random.default_rng([seed, i])`` (so problem i
    does not depend on how many are drawn).

    Returns
    -------
    inputs, desired : list
        ``inputs[i] = [trains]`` and ``desired[i] = [[train]]``: one pattern
        per problem, in the form :func:`normad_edu.training.train` takes (ms).
    """
    n_problems = check_int("n_problems", n_problems)
    n_inputs = check_int("n_inputs", n_inputs)
    seed = check_int("seed", seed, minimum=0)
    inputs, desired = [], []
    for i in range(n_problems):
        inp, des = _single_problem(np.random.default_rng([seed, i]), n_inputs, input_rate, desired_rate, T, t_dead)
        inputs.append(inp)
        desired.append(des)
    return inputs, desired


def pattern_order_rngs(seed: int, run_ids) -> list:
    """One generator per run for the online pattern order: run i uses ``default_rng([seed, i, 1])``.

    Sweeps and ``normad-edu reproduce`` both use this, so a figure's run 0 is
    run 0 of the matching sweep, whatever the batch it was trained in.
    """
    return [np.random.default_rng([seed, int(i), 1]) for i in run_ids]


def with_max_iter(setup, max_iter: int):
    """A copy of a setup with another iteration budget."""
    return replace(setup, max_iter=check_int("max_iter", max_iter, minimum=0))


def with_changes(setup, changes: dict):
    """A copy of a setup (:class:`XORSetup`, :class:`DeepSetup`, :class:`SingleSetup`) with some fields changed.

    The one mechanism behind ``--set FIELD=VALUE`` of the CLI and the levers
    of :mod:`normad_edu.research.study`. Unknown fields raise ``ValueError`` listing
    the known ones; the new values are validated by the setup itself.
    """
    if not isinstance(changes, dict):
        raise TypeError(f"changes must be a dict {{field: value}}, got {type(changes).__name__}")
    known = [f.name for f in fields(setup)]
    for name in changes:
        if name not in known:
            raise ValueError(f"{type(setup).__name__} has no field {name!r}; fields: {', '.join(known)}")
    return replace(setup, **changes)


def parse_changes(setup, items) -> dict:
    """``["FIELD=VALUE", ...]`` -> ``{field: value}``, each value converted to the type of the field's value in ``setup``.

    Tuples are written comma-separated (``a_hidden=1000,2000``), booleans as
    true/false. Raises ``ValueError`` naming the item for an unknown field or
    a value that does not convert.
    """
    known = {f.name: getattr(setup, f.name) for f in fields(setup)}
    changes: dict = {}
    for item in items:
        name, sep, text = str(item).partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise ValueError(f"expected FIELD=VALUE, got {item!r}")
        if name not in known:
            raise ValueError(f"{type(setup).__name__} has no field {name!r} (in {item!r}); fields: {', '.join(known)}")
        try:
            changes[name] = _convert_like(known[name], text)
        except ValueError as exc:
            raise ValueError(f"cannot read {item!r}: {exc}") from None
    return changes


def _convert_like(example, text: str):
    if isinstance(example, bool):
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise ValueError(f"{text!r} is not a boolean (true/false)")
    if isinstance(example, tuple):
        parts = [p for p in text.split(",") if p.strip()]
        kind = type(example[0]) if example else float
        return tuple(_convert_like(kind(0), p.strip()) for p in parts)
    if isinstance(example, int):
        value = float(text)
        if value != int(value):
            raise ValueError(f"{text!r} is not an integer")
        return int(value)
    if isinstance(example, float):
        return float(text)
    return text


@dataclass(frozen=True)
class ExperimentKind:
    """One entry of :data:`EXPERIMENTS`: a setup class, its problem factory and its configurations."""

    name: str
    setup_class: type
    factory: Callable[..., Experiment]
    configs: tuple
    labels: dict

    def make(self, config: str | None = None, *, n_runs: int = 1, seed: int = 0, setup=None,
             run_ids=None) -> Experiment:
        """Build the :class:`Experiment` of ``config`` (default: the first configuration)."""
        setup = self.setup_class() if setup is None else setup
        if not isinstance(setup, self.setup_class):
            raise TypeError(f"setup of experiment {self.name!r} must be a {self.setup_class.__name__}, "
                            f"got {type(setup).__name__}")
        return self.factory(self.configs[0] if config is None else config, n_runs, seed, setup, run_ids)


#: The experiments by name: ``single`` (n -> 1, rule normad/resume), ``xor``
#: (54-54-1, hidden plastic/frozen) and ``deep`` (100-50-25-1, which layers train).
EXPERIMENTS = {
    "single": ExperimentKind("single", SingleSetup, single_problems, SINGLE_RULES,
                             {"normad": "NormAD", "resume": "ReSuMe"}),
    "xor": ExperimentKind("xor", XORSetup, xor_problems, XOR_HIDDEN,
                          {"plastic": "plastic hidden layer", "frozen": "frozen hidden layer"}),
    "deep": ExperimentKind("deep", DeepSetup, deep_problems, DEEP_TRAIN,
                           {"output": "output layer only", "outer2": "outer two layers", "all": "all three layers"}),
}


def get_experiment(name: str) -> ExperimentKind:
    """The :class:`ExperimentKind` registered under ``name``."""
    if name not in EXPERIMENTS:
        raise ValueError(f"experiment must be one of {tuple(EXPERIMENTS)}, got {name!r}")
    return EXPERIMENTS[name]


def make_experiment(name: str, config: str | None = None, *, n_runs: int = 1, seed: int = 0, setup=None,
                    run_ids=None) -> Experiment:
    """Build experiment ``name`` (``"single"``, ``"xor"``, ``"deep"``) in configuration ``config``.

    ``setup`` defaults to the experiment's setup class with its defaults;
    run ``i`` draws its problem from ``default_rng([seed, i])``.
    """
    return get_experiment(name).make(config, n_runs=n_runs, seed=seed, setup=setup, run_ids=run_ids)


def demo_problem(batch: int = 1, seed: int = 0, setup: DeepSetup = DeepSetup()) -> tuple[list, list]:
    """Inputs and initial weights of ``batch`` generic problems (paper Sec. 6), for ``normad-edu demo``.

    Problems ``0 .. batch-1`` of :func:`deep_problems` (default
    :class:`DeepSetup`, base ``seed``): 100 Poisson inputs at 20 Hz, hidden
    weights ``U(0, a_l)`` (80 %, excitatory) or ``-U(0, g a_l)``
    (inhibitory), output weights 0. Problem ``b`` is the same for every
    batch size.

    Returns
    -------
    inputs : list of populations
        ``inputs[b]`` is a list of ``n_0`` spike trains (ms).
    weights : list of ndarray
        ``[W^1, ..., W^L]``, each ``(batch, n_l, n_{l-1})`` (pA).
    """
    ex = deep_problems("all", n_runs=batch, seed=seed, setup=setup)
    return [p[0] for p in ex.inputs], ex.weights
