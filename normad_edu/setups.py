"""The set-ups of the paper's experiments: every value of an experiment that can be changed, with its default.

* :class:`SingleSetup` -- single-neuron problems ``n_inputs -> 1``;
* :class:`XORSetup` -- XOR with a 54 -> 54 -> 1 network (paper Sec. 6.1, Figs. 6-7);
* :class:`DeepSetup` -- generic problems for 100 -> 50 -> 25 -> 1 (paper Sec. 6.2, Figs. 8-10).

Values the paper does not give are *reconstructed* (``docs/method.md``) and
are fields with documented defaults. A setup is frozen: :func:`with_changes`
returns a copy with some fields changed (the CLI's ``--set FIELD=VALUE`` and
the lever study both use it). Units: ms, pA, Hz.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from .normad import NormADParams
from .params import (DESIRED_RATE, INPUT_RATE, SIGMA, T_EPOCH, T_REF, TAU1, TAU2, TAU_L_HAT, THRESHOLD, VDOT_MIN,
                     XOR_THRESHOLD, LIFParams, SynapseParams)
from .training import TrainConfig
from .validation import check_int, check_nonnegative, check_positive

#: Configurations of the XOR experiment (the hidden layer learns or stays frozen).
XOR_HIDDEN = ("plastic", "frozen")
#: Configurations of the generic experiment (which layers learn).
DEEP_TRAIN = ("output", "outer2", "all")
#: The learning rules a setup can train with (:data:`normad_edu.training.UPDATE_RULES`): NormAD, the ReSuMe
#: baseline (output layer only) and the gradient rules of :mod:`normad_edu.spikeprop`,
#: :mod:`normad_edu.eventprop` and :mod:`normad_edu.surrogate`.
RULES = ("normad", "resume", "spikeprop", "eventprop", "surrogate")
#: Rules of the single-neuron experiment (its configurations).
SINGLE_RULES = RULES
#: Rules that train hidden layers (ReSuMe trains the output layer only).
HIDDEN_RULES = ("normad", "spikeprop", "eventprop", "surrogate")
#: The per-rule rate fields of XORSetup and DeepSetup (NormAD's are r_out and r_hidden / r_hidden_all / ...).
_RULE_RATE_FIELDS = ("r_out_resume", *(f"r_{layer}_{rule}" for rule in HIDDEN_RULES[1:] for layer in ("hidden", "out")))


def _neutral(default):
    """A field added after results were shipped: out of the setup identity at its default (research.identity)."""
    return field(default=default, metadata={"neutral": True})


@dataclass(frozen=True)
class SingleSetup:
    """Single-neuron problems ``n_inputs -> 1`` (paper Sec. 4; the group's earlier NormAD work).

    Problem ``i`` draws ``n_inputs`` Poisson input trains at ``input_rate``
    (Hz), then one desired Poisson train at ``desired_rate`` with a dead time
    of ``t_ref`` (ms), from ``default_rng([seed, i])``; the weights (pA) start
    at 0 and are trained in batch mode until the correlation reaches
    ``threshold``. The learning rate (pA per error instant) is ``r_normad``
    for the NormAD rule, ``r_resume`` for the ReSuMe baseline and
    ``r_spikeprop``, ``r_eventprop``, ``r_surrogate`` for the gradient rules
    (NormAD's step length along their own direction; defaults chosen by
    ``normad-edu compare`` on screening problems, see ``docs/comparison.md``).
    The experiment's configuration names the rule.
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
    #: Rates of the gradient rules (pA per error instant), added after results were shipped (neutral).
    r_spikeprop: float = _neutral(100.0)
    r_eventprop: float = _neutral(100.0)
    r_surrogate: float = _neutral(100.0)

    def rate(self, rule: str) -> float:
        """The learning rate (pA per error instant) of ``rule`` (one of :data:`SINGLE_RULES`)."""
        if rule not in SINGLE_RULES:
            raise ValueError(f"rule must be one of {SINGLE_RULES}, got {rule!r}")
        return getattr(self, f"r_{rule}")

    def __post_init__(self) -> None:
        check_int("n_inputs", self.n_inputs)
        for name in ("input_rate", "desired_rate", "t_ref", "r_normad", "r_resume", "r_spikeprop", "r_eventprop",
                     "r_surrogate"):
            check_nonnegative(name, getattr(self, name))
        check_positive("T", self.T, unit="ms")
        _check_rule_fields(self)


@dataclass(frozen=True)
class XORSetup:
    """XOR 54 -> 54 -> 1 (paper Sec. 6.1; ``docs/method.md``). Times in ms, weights and rates in pA.

    Three sets of 18 input neurons fire one spike each, 1 ms apart
    (``stagger``): the sets of bit 0 and bit 1 start at ``start_0`` or
    ``start_1`` depending on the bit, the reference set always at
    ``reference_start``. The output must fire one spike, at ``desired_true``
    when the bits differ and at ``desired_false`` when they are equal.
    Hidden weights are Gaussian with mean ``+w_mean`` (a fraction
    ``frac_excitatory`` of the synapses) or ``-w_mean``, s.d. ``w_sd``;
    output weights start at 0; updates are applied pattern by pattern
    (``mode = "online"``) with ``r_out`` and ``r_hidden``. The paper gives the
    architecture and the encoding idea; every number here is reconstructed.

    ``coincidence_offset = 0.5`` centres the coincidence bins on the grid
    points (:class:`~normad_edu.params.NormADParams`), where the targets sit:
    with left-edge bins (0.0) an output spike a few microseconds early counts
    as a miss and runs can stall at a correlation of 0.9998.

    ``rule`` (default "normad") trains with another rule of :data:`RULES`
    at its own rates ``r_hidden_<rule>``, ``r_out_<rule>`` (pA per error
    instant; :meth:`rule_rates`); "resume" trains the output layer only
    (configuration "frozen"). These fields came after the shipped results
    and are neutral (:mod:`normad_edu.research.identity`).
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
    rule: str = _neutral("normad")
    r_out_resume: float = _neutral(100.0)
    r_hidden_spikeprop: float = _neutral(10.0)
    r_out_spikeprop: float = _neutral(300.0)
    r_hidden_eventprop: float = _neutral(10.0)
    r_out_eventprop: float = _neutral(300.0)
    r_hidden_surrogate: float = _neutral(10.0)
    r_out_surrogate: float = _neutral(300.0)

    def rule_rates(self) -> tuple[float, float]:
        """``(r_hidden, r_out)`` of the setup's rule (pA per error instant; ReSuMe's hidden rate is 0)."""
        if self.rule == "normad":
            return self.r_hidden, self.r_out
        return (0.0 if self.rule == "resume" else getattr(self, f"r_hidden_{self.rule}"),
                getattr(self, f"r_out_{self.rule}"))

    def __post_init__(self) -> None:
        check_int("n_per_set", self.n_per_set)
        check_int("n_hidden", self.n_hidden)
        check_int("max_iter", self.max_iter, minimum=0)
        for name in ("T", "stagger", "w_sd", "tau_L_hat", "vdot_min"):
            check_positive(name, getattr(self, name))
        for name in ("start_0", "start_1", "reference_start", "w_mean", "r_out", "r_hidden", *_RULE_RATE_FIELDS):
            check_nonnegative(name, getattr(self, name))
        for name in ("desired_true", "desired_false"):
            if not 0 <= getattr(self, name) < self.T:
                raise ValueError(f"{name} must lie in [0, T) = [0, {self.T}) ms, got {getattr(self, name)}")
        if not 0 <= self.frac_excitatory <= 1:
            raise ValueError(f"frac_excitatory must be in [0, 1], got {self.frac_excitatory}")
        _check_rule_fields(self)


def _check_rule_fields(setup) -> None:
    """Validate the fields a setup passes on to NormADParams and TrainConfig now, not at training time."""
    rule = getattr(setup, "rule", "normad")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    NormADParams(tau_L_hat=setup.tau_L_hat, vdot_min=setup.vdot_min, coincidence_offset=setup.coincidence_offset,
                 normalization=getattr(setup, "normalization", "layer"))
    TrainConfig(rates=(0.0,), max_iter=setup.max_iter, threshold=setup.threshold, mode=setup.mode,
                sigma=getattr(setup, "sigma", SIGMA), rate_decay=getattr(setup, "rate_decay", 0.0))


@dataclass(frozen=True)
class DeepSetup:
    """Generic problems for 100 -> 50 -> 25 -> 1 (paper Sec. 6.2; ``docs/method.md``). Units: ms, Hz, pA.

    100 Poisson inputs at 20 Hz, one desired Poisson train at 10 Hz with a
    dead time of ``t_ref`` (so it respects the refractory period), T = 500 ms.
    Hidden weights: with probability ``frac_excitatory`` (0.8) excitatory,
    ``U(0, a_l)``, else inhibitory, ``-U(0, g a_l)`` with
    ``g = inhibitory_scale``; output weights start at 0. The paper says only
    "uniform random, 80 % excitatory and 20 % inhibitory"; the defaults
    a = 3 / 6 nA and g = 4 make the mean weight 0 (a *balanced* network:
    hidden rates ~30 / ~60 Hz, first spikes at ~8 / ~13 ms).

    Learning rates (pA per error instant): ``r_out`` for the output layer;
    every plastic hidden layer learns with ``r_hidden_all`` (all three
    layers trained) or ``r_hidden_outer2`` (outer two), times its factor in
    ``r_hidden_scale`` (layer 1 first; default: layer 1 at 0.1 x).
    :meth:`layer_rates` turns these into the rate of every layer. The paper
    gives no rates: all are reconstructed, chosen by the lever study
    (``docs/research.md``).

    ``t_ref`` (refractory period of every LIF neuron and dead time of the
    desired train), ``sigma`` (width of the correlation metric's Gaussian)
    and ``desired_t_min`` (desired spikes earlier than this are dropped after
    drawing, so problems stay paired with the default ones; 0 = the paper's
    plain Poisson train, anything else a labelled deviation) are fields so a
    study can vary them. ``normalization`` goes to
    :class:`~normad_edu.params.NormADParams` and ``rate_decay``,
    ``homeostasis``, ``adaptive_step`` to
    :class:`~normad_edu.training.TrainConfig` (labelled deviations unless at
    their defaults).
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
    #: A value the paper leaves open. Results made before this field existed used (), its legacy value, which
    #: stays out of the setup identity (normad_edu.research.identity).
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
    #: Synaptic time constants of every layer (ms; SynapseParams.tau1 / tau2): the decay and the rise of alpha.
    #: The defaults 5 / 1.25 ms are those of the authors' group's code; the paper gives none.
    tau1: float = field(default=TAU1, metadata={"neutral": True})
    tau2: float = field(default=TAU2, metadata={"neutral": True})
    #: V clamped at EL from below at every grid point in every layer (LIFParams.clamp_at_EL), the convention of
    #: the group's time-stepped code; False = the exact LIF model.
    clamp_at_EL: bool = field(default=False, metadata={"neutral": True})
    #: The learning rule (one of RULES; "resume": configuration "output" only) and the rates of the other rules
    #: (pA per error instant): ``r_out_<rule>`` for the output layer, ``r_hidden_<rule>`` for every plastic hidden
    #: layer (times r_hidden_scale), whichever layers train. Used by ``normad-edu compare``.
    rule: str = _neutral("normad")
    r_out_resume: float = _neutral(100.0)
    r_hidden_spikeprop: float = _neutral(30.0)
    r_out_spikeprop: float = _neutral(300.0)
    r_hidden_eventprop: float = _neutral(30.0)
    r_out_eventprop: float = _neutral(300.0)
    r_hidden_surrogate: float = _neutral(30.0)
    r_out_surrogate: float = _neutral(300.0)

    def layer_rates(self, train: str) -> tuple[tuple[float, ...], tuple[bool, ...]]:
        """The learning rate (pA) and plastic flag of every layer (layer 1 first) when ``train`` layers learn.

        ``train``: "output" (the output layer only), "outer2" (the output
        layer and the last hidden layer) or "all". The one place where the
        setup's rate fields become per-layer rates; frozen layers get 0.
        With another ``rule`` than NormAD, its ``r_out_<rule>`` and
        ``r_hidden_<rule>`` take the place of ``r_out`` and ``r_hidden_all``
        / ``r_hidden_outer2``.
        """
        if train not in DEEP_TRAIN:
            raise ValueError(f"train must be one of {DEEP_TRAIN}, got {train!r}")
        L = len(self.sizes) - 1
        plastic = tuple(l == L - 1 or train == "all" or (train == "outer2" and l == L - 2) for l in range(L))
        if self.rule == "normad":
            r_hidden = {"output": 0.0, "outer2": self.r_hidden_outer2, "all": self.r_hidden_all}[train]
            r_out = self.r_out
        else:
            r_out = getattr(self, f"r_out_{self.rule}")
            r_hidden = 0.0 if train == "output" else getattr(self, f"r_hidden_{self.rule}", 0.0)
        scale = self.r_hidden_scale or (1.0,) * (L - 1)
        rates = tuple(r_out if l == L - 1 else (r_hidden * scale[l] if plastic[l] else 0.0) for l in range(L))
        return rates, plastic

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
                     "desired_t_min", *_RULE_RATE_FIELDS):
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
        SynapseParams(tau1=self.tau1, tau2=self.tau2)  # validates the synaptic time constants
        LIFParams(t_ref=self.t_ref, clamp_at_EL=self.clamp_at_EL)  # validates clamp_at_EL
        TrainConfig(rates=(1.0,), adaptive_step=self.adaptive_step, adaptive_layers=self.adaptive_layers)
        _check_rule_fields(self)


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
