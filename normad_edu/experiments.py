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

Values the paper does not give are *reconstructed* (``docs/method.md``) and are
fields of the set-ups (:mod:`normad_edu.setups`) with documented defaults.

One way to run an experiment: the registry :data:`EXPERIMENTS` maps a name
(``"single"``, ``"xor"``, ``"deep"``) to its setup class, its factory and its
configurations; :func:`make_experiment` builds an :class:`Experiment` and
:meth:`Experiment.run` trains it. The CLI, the sweeps, the study and the
notebooks all go through these two calls::

    ex = make_experiment("deep", "all", n_runs=10, seed=0,
                         setup=with_changes(DeepSetup(), {"r_hidden_all": 10.0}))
    result = ex.run()

The learning rule is part of the setup (``rule``, with its own rates; for
``single`` the configuration names the rule)::

    make_experiment("xor", "plastic", setup=with_changes(XORSetup(), {"rule": "spikeprop"}))
    make_experiment("single", "eventprop", setup=SingleSetup(r_eventprop=300.0))

:func:`normad_edu.setups.with_changes` (behind the CLI's ``--set FIELD=VALUE``)
is also how the lever study changes a setup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .validation import check_int
from .normad import NormADParams
from .params import DESIRED_RATE, DT, INPUT_RATE, T_EPOCH, T_REF, THRESHOLD, LIFParams, SimParams, SynapseParams
from .spikes import poisson_spike_train, poisson_spike_trains, xor_input_pattern
from .training import TrainConfig, TrainingResult, train

from .setups import DEEP_TRAIN, SINGLE_RULES, XOR_HIDDEN, DeepSetup, SingleSetup, XORSetup


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
        """Train every run of this experiment (one batch) and return the :class:`~normad_edu.result.TrainingResult`.

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


def _rule_suffix(rule: str) -> str:
    """The experiment name's suffix for a rule other than NormAD (``xor-plastic-spikeprop``)."""
    return "" if rule == "normad" else f"-{rule}"


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
    if setup.rule == "resume" and hidden == "plastic":
        raise ValueError("rule 'resume' trains the output layer only: use the configuration 'frozen'")
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
    config = TrainConfig(rates=setup.rule_rates(), plastic=(hidden == "plastic", True), max_iter=setup.max_iter,
                         threshold=setup.threshold, mode=setup.mode, rule=setup.rule, raster_every=1)
    return Experiment(name=f"xor-{hidden}" + _rule_suffix(setup.rule), inputs=[inputs] * P, desired=[desired] * P,
                      weights=weights,
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
    if setup.rule == "resume" and train != "output":
        raise ValueError("rule 'resume' trains the output layer only: use the configuration 'output'")
    ids = _check_runs(n_runs, run_ids)
    lif = LIFParams(t_ref=setup.t_ref, clamp_at_EL=setup.clamp_at_EL)
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
    rates, plastic = setup.layer_rates(train)
    config = TrainConfig(rates=rates, plastic=plastic, max_iter=setup.max_iter, threshold=setup.threshold,
                         sigma=setup.sigma, mode=setup.mode, rule=setup.rule,
                         raster_every=max(1, setup.max_iter // 500),
                         rate_decay=setup.rate_decay, homeostasis=setup.homeostasis,
                         adaptive_step=setup.adaptive_step, adaptive_layers=setup.adaptive_layers)
    return Experiment(name=f"deep-{train}" + _rule_suffix(setup.rule), inputs=inputs, desired=desired,
                      weights=[np.stack(w) for w in weights],
                      config=config, lif=lif, syn=SynapseParams(tau1=setup.tau1, tau2=setup.tau2),
                      sim=SimParams(dt=DT, T=setup.T),
                      params=NormADParams(tau_L_hat=setup.tau_L_hat, vdot_min=setup.vdot_min,
                                          coincidence_offset=setup.coincidence_offset,
                                          normalization=setup.normalization, zero_gradient=setup.zero_gradient),
                      run_ids=ids, seed=seed)


def single_problems(rule: str = "normad", n_runs: int = 20, seed: int = 0, setup: SingleSetup = SingleSetup(),
                    run_ids=None) -> Experiment:
    """Single-neuron experiment: ``n_runs`` independent ``n_inputs -> 1`` problems.

    Parameters
    ----------
    rule : {"normad", "resume", "spikeprop", "eventprop", "surrogate"}
        The NormAD rule, the ReSuMe baseline (:mod:`normad_edu.baselines`) or
        a gradient rule (:data:`normad_edu.training.UPDATE_RULES`), at its
        rate :meth:`~normad_edu.setups.SingleSetup.rate`.
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
    config = TrainConfig(rates=(setup.rate(rule),), max_iter=setup.max_iter,
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


#: Display names of the rules (:data:`normad_edu.setups.RULES`).
RULE_LABELS = {"normad": "NormAD", "resume": "ReSuMe", "spikeprop": "SpikeProp", "eventprop": "EventProp",
               "surrogate": "surrogate gradient"}


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
                             RULE_LABELS),
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
