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
from .params import (DESIRED_RATE, INPUT_RATE, SIGMA, T_EPOCH, T_REF, TAU_L_HAT, THRESHOLD, VDOT_MIN, XOR_THRESHOLD)
from .training import TrainConfig
from .validation import check_int, check_nonnegative, check_positive

#: Configurations of the XOR experiment (the hidden layer learns or stays frozen).
XOR_HIDDEN = ("plastic", "frozen")
#: Configurations of the generic experiment (which layers learn).
DEEP_TRAIN = ("output", "outer2", "all")
#: Rules of the single-neuron experiment.
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
