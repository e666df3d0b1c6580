"""SpikeProp-style learning: the gradient of a spike-time error through -1/Vdot.

SpikeProp (Bohte, Kok & La Poutre, Neurocomputing 48, 2002) trains a network
in which every neuron fires once by gradient descent on the squared error of
the output spike times. A spike time moves with the weights because the
potential crosses threshold there, ``V_k(t_o) = VT``; the implicit function
theorem gives ``dt_o/dW = -(dV_k/dW)(t_o) / Vdot_k(t_o)``. This module applies
that idea to the multi-spike networks of the package: every output spike that
is paired with a desired one contributes its time error, and the chain rule
runs back through every earlier spike of the hidden layers, each time through
``-1/Vdot`` at that spike.

How SpikeProp relates to NormAD
-------------------------------
NormAD's hidden-layer recursion (:mod:`normad_edu.normad`) *is* SpikeProp's
temporal term: a hidden spike moves by ``-dV/Vdot``, and the error reaches
every earlier spike through ``psihat'`` of spike-time differences. The two
rules differ only in what is done at the output. NormAD raises or lowers the
*potential* ``Vhat_k(t)`` at each error instant by a normalised step; this
rule descends a *spike-time* loss, so an output spike that exists is moved by
``(t_o - t_d) / Vdot_k(t_o)`` -- it also divides by the slope at the output
spike, exactly where NormAD does not. Both neglect the same things: a
neuron's reset acting on its own later spikes (the kernel is the no-reset
``psihat``) and slopes below ``vdot_min`` (clipped). With one spike per
neuron and ``tau_L_hat = tau_L`` nothing is neglected and the gradient is
exact (:mod:`normad_edu.eventprop` computes it for any number of spikes).
By default the update has NormAD's step length (``r`` pA per error instant,
``step="per-error"``), so in a comparison only the direction differs.

The loss (see :class:`SpikeTimeLoss`)
-------------------------------------
Desired and observed spikes of each output neuron are paired by
:func:`pair_spikes`; then::

    E = 1/2 sum_pairs (t_o - t_d)^2 + kappa_m sum_missed (VT - V_k(t_d))
                                    + kappa_e sum_extra (T - t_o)

A missed desired spike has no output spike to move, so its term raises the
potential at ``t_d``; an extra output spike is pushed later (towards the end
of the epoch, where it disappears). Units: ms^2 (kappa_m in ms^2/mV,
kappa_e in ms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._rules import apply_step, check_rule_args, check_step
from .validation import check_nonnegative, check_positive
from .network import ForwardRecord
from .normad import Kernels, backward_steps, problem_spikes
from .params import VDOT_MIN, LIFParams, SimParams, SynapseParams

#: ``SpikeErrors.kind`` codes.
PAIRED, MISSED, EXTRA = 0, 1, 2


@dataclass(frozen=True)
class SpikeTimeLoss:
    """The spike-time loss shared by :mod:`~normad_edu.spikeprop` and :mod:`~normad_edu.eventprop`.

    Parameters
    ----------
    window : float
        Largest distance (ms) at which a desired and an observed spike are
        paired (:func:`pair_spikes`), > 0. Default 10 ms (chosen: an output
        at the wrong XOR target, 5 ms away, is paired and moved rather than
        removed and grown anew; on 8 single-neuron problems 5 and 10 ms did
        alike).
    kappa_missed : float
        Weight of ``VT - V_k(t_d)`` for an unpaired desired spike (ms^2/mV),
        >= 0; 0 gives missed spikes no gradient (pure SpikeProp). Default
        1 ms^2/mV: like a pair 5 ms apart that crosses threshold at 5 mV/ms
        (chosen).
    kappa_extra : float
        Weight of ``T - t_o`` for an unpaired output spike (ms), >= 0.
        Default 5 ms: like a pair 5 ms apart (chosen).
    """

    window: float = 10.0
    kappa_missed: float = 1.0
    kappa_extra: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "window", check_positive("window", self.window, unit="ms"))
        object.__setattr__(self, "kappa_missed", check_nonnegative("kappa_missed", self.kappa_missed, unit="ms^2/mV"))
        object.__setattr__(self, "kappa_extra", check_nonnegative("kappa_extra", self.kappa_extra, unit="ms"))


def pair_spikes(desired, observed, window: float) -> tuple[list, list, list]:
    """Pair the desired and observed spikes of one neuron, earliest with earliest.

    The two sorted trains are merged as in :func:`normad_edu.normad.error_instants`:
    if the next desired and the next observed spike are at most ``window`` ms
    apart they form a pair; otherwise the earlier of the two is unpaired
    (a *missed* desired spike or an *extra* observed one). This is greedy,
    not an optimal assignment: with ``d = [10]`` and ``o = [6, 12]`` the
    desired spike pairs with 6 and 12 is extra.

    Parameters
    ----------
    desired, observed : array_like
        Sorted spike times (ms).
    window : float
        Pairing distance (ms), > 0.

    Returns
    -------
    pairs : list of (int, int)
        ``(index into desired, index into observed)``.
    missed : list of int
        Indices of unpaired desired spikes.
    extra : list of int
        Indices of unpaired observed spikes.
    """
    d, o = np.asarray(desired, dtype=np.float64), np.asarray(observed, dtype=np.float64)
    pairs, missed, extra = [], [], []
    i = j = 0
    while i < d.size or j < o.size:
        if i < d.size and j < o.size and abs(o[j] - d[i]) <= window:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif j == o.size or (i < d.size and d[i] < o[j]):
            missed.append(i)
            i += 1
        else:
            extra.append(j)
            j += 1
    return pairs, missed, extra


@dataclass(frozen=True)
class SpikeErrors:
    """Every term of the spike-time loss of a batch, one row each.

    ``problem`` b and output ``neuron`` k of the row; ``kind`` PAIRED (0),
    MISSED (1) or EXTRA (2); ``slot``: index f of the observed spike in its
    train (-1 for MISSED); ``t_obs``, ``t_des``: observed and desired time
    (ms; NaN where there is none); ``t``: the time the term acts at (``t_obs``,
    or ``t_des`` for MISSED).
    """

    problem: np.ndarray
    neuron: np.ndarray
    kind: np.ndarray
    slot: np.ndarray
    t_obs: np.ndarray
    t_des: np.ndarray

    @property
    def t(self) -> np.ndarray:
        return np.where(self.kind == MISSED, self.t_des, self.t_obs)

    def of(self, b: int) -> "SpikeErrors":
        """The rows of problem ``b``."""
        m = self.problem == b
        return SpikeErrors(*(getattr(self, k)[m] for k in ("problem", "neuron", "kind", "slot", "t_obs", "t_des")))


def spike_errors(record: ForwardRecord, d_times: np.ndarray, d_counts: np.ndarray, window: float) -> SpikeErrors:
    """Pair the output of ``record`` with padded desired spikes ``(B, n_L, K)`` / ``(B, n_L)`` (:func:`pair_spikes`)."""
    out = record.output
    rows = []
    for b, k in np.ndindex(*out.counts.shape):
        d, o = d_times[b, k, :d_counts[b, k]], out.times[b, k, :out.counts[b, k]]
        pairs, missed, extra = pair_spikes(d, o, window)
        rows += [(b, k, PAIRED, f, o[f], d[i]) for i, f in pairs]
        rows += [(b, k, MISSED, -1, math.nan, d[i]) for i in missed]
        rows += [(b, k, EXTRA, f, o[f], math.nan) for f in extra]
    cols = list(zip(*rows)) if rows else [()] * 6
    ints = [np.array(c, dtype=np.int64) for c in cols[:4]]
    return SpikeErrors(*ints, *(np.array(c, dtype=np.float64) for c in cols[4:]))


@dataclass(frozen=True)
class SpikePropParams:
    """Parameters of the SpikeProp-style rule.

    Parameters
    ----------
    loss : SpikeTimeLoss
        Pairing and weights of the loss terms.
    tau_L_hat : float or None
        Membrane time constant of the rule's kernel ``psihat`` (ms). None
        (default): the neuron's own ``tau_L = C / gL``, so the rule
        differentiates the model itself (SpikeProp's choice); NormAD uses
        a shorter tau_L' (2.5 ms).
    vdot_min : float
        Lower clip of ``Vdot`` (mV/ms) at every spike the error passes
        through, output spikes included, > 0. Default 1 mV/ms (NormAD's).
        SpikeProp's known weakness is a spike that grazes threshold
        (``Vdot -> 0``, a huge step); the clip bounds it.
    step : {"per-error", "normalized", "gradient"}
        How the gradient becomes an update (see :mod:`normad_edu._rules`).
        "per-error" (default): NormAD's step length along this rule's
        direction, ``r_l n_e`` pA for a pattern with ``n_e`` NormAD error
        instants (none once the output is right), so rates are in pA per
        error instant as for NormAD; "normalized": ``r_l`` pA per pattern;
        "gradient": textbook gradient descent ``-r_l dE/dW^l`` (rates in
        pA^2/ms^2).
    """

    loss: SpikeTimeLoss = field(default_factory=SpikeTimeLoss)
    tau_L_hat: float | None = None
    vdot_min: float = VDOT_MIN
    step: str = "per-error"

    def __post_init__(self) -> None:
        if not isinstance(self.loss, SpikeTimeLoss):
            raise TypeError(f"loss must be a SpikeTimeLoss, got {type(self.loss).__name__}")
        if self.tau_L_hat is not None:
            object.__setattr__(self, "tau_L_hat", check_positive("tau_L_hat", self.tau_L_hat, unit="ms"))
        object.__setattr__(self, "vdot_min", check_positive("vdot_min", self.vdot_min, unit="mV/ms"))
        check_step(self.step)


def output_coefficients(errs: SpikeErrors, vdot_out: np.ndarray, loss: SpikeTimeLoss, vdot_min: float) -> np.ndarray:
    """``c = dE/dVhat_k(t)`` of every loss term (ms^2/mV), one per row of ``errs``.

    A paired spike: ``dE/dt_o = t_o - t_d`` and ``dt_o/dV = -1/Vdot``, so
    ``c = -(t_o - t_d) / Vdot``; an extra spike: ``dE/dt_o = -kappa_e``, so
    ``c = kappa_e / Vdot``; a missed one: ``c = -kappa_m``. ``vdot_out``:
    ``Vdot_k(t_o)`` of each row (NaN for MISSED), clipped below at ``vdot_min``.
    """
    v = np.maximum(np.where(errs.kind == MISSED, 1.0, vdot_out), vdot_min)
    return np.select([errs.kind == PAIRED, errs.kind == EXTRA],
                     [-(errs.t_obs - errs.t_des) / v, loss.kappa_extra / v], -loss.kappa_missed)


def spikeprop_gradient(record: ForwardRecord, desired, *, lif: LIFParams = LIFParams(),
                       syn: SynapseParams = SynapseParams(), sim: SimParams = SimParams(),
                       options: SpikePropParams = SpikePropParams(), plastic=None) -> list[np.ndarray]:
    """``dE/dW^l`` of the spike-time loss as SpikeProp computes it (ms^2/pA).

    Parameters
    ----------
    record : ForwardRecord
        A batched forward pass (B problems).
    desired : (times, counts)
        Desired output spikes, padded ``(B, n_L, K)`` and ``(B, n_L)`` (ms).
    lif, syn, sim : parameter dataclasses
    options : SpikePropParams
    plastic : sequence of bool, optional
        Layers whose gradient is needed (default all); the others are zeros.

    Returns
    -------
    list of ndarray
        ``dE/dW^l``, shapes ``(B, n_l, n_{l-1})``.

    Notes
    -----
    With ``c_e = dE/dVhat_k(t_e)`` from :func:`output_coefficients` and the
    layer-(l-1) trains filtered by ``psihat`` (``dhat``, :func:`normad_edu.normad.dhat_at`)::

        output:      dE/dW^L[k, :] = sum_e c_e dhat^{L-1}(t_e)
        layer L-1:   lam_j^f = dE/dt_j^f = -sum_e c_e W^L_{k_e j} psihat'(t_e - t_j^f)
        hidden l:    delta_j^f = lam_j^f / max(Vdot_j^f, vdot_min)
                     dE/dW^l[j, i] = -sum_f delta_j^f dhat^{l-1}_i(t_j^f)
                     lam_i^g = sum_{j,f} delta_j^f W^l_ji psihat'(t_j^f - t_i^g)

    The hidden lines are NormAD's, word for word; NormAD's output line would
    have ``c_e = e / ||G(t_e)||`` instead.
    """
    _, flags, d_times, d_counts = check_rule_args(record, desired, 1.0, plastic, sim.T)
    if not isinstance(options, SpikePropParams):
        raise TypeError(f"options must be a SpikePropParams, got {type(options).__name__}")
    kern = Kernels(syn.tau1, syn.tau2, lif.C, lif.tau_L if options.tau_L_hat is None else options.tau_L_hat)
    grads = [np.zeros(W.shape) for W in record.weights]
    errs = spike_errors(record, d_times, d_counts, options.loss.window)
    out = record.output
    vdot_out = np.where(errs.kind == MISSED, np.nan, out.vdot[errs.problem, errs.neuron, np.maximum(errs.slot, 0)])
    c_all = output_coefficients(errs, vdot_out, options.loss, options.vdot_min)
    for b in np.unique(errs.problem):
        rows = errs.problem == b
        W_b = [w[b] for w in record.weights]
        # NormAD's backward recursion for sum_e c_e Vhat_{k_e}(t_e): G^l is dE/dW^l
        for step in backward_steps(errs.t[rows], errs.neuron[rows], problem_spikes(record, b), W_b, kern,
                                   options.vdot_min, c=c_all[rows]):
            if flags[step.l - 1]:
                grads[step.l - 1][b] = step.G
            if not flags[: step.l - 1].any():  # no plastic layer below
                break
    return grads


def spikeprop_rule(record: ForwardRecord, desired, rates, plastic=None, *, lif: LIFParams = LIFParams(),
                   syn: SynapseParams = SynapseParams(), sim: SimParams = SimParams(), params=None,
                   options: SpikePropParams = SpikePropParams(), instants=None) -> list[np.ndarray]:
    """The SpikeProp-style rule as an update rule for :func:`normad_edu.training.train`.

    The gradient ``g^l = dE/dW^l`` of :func:`spikeprop_gradient` becomes ``dW^l`` by
    ``options.step`` (default "per-error": ``-r_l n_e g^l / ||g^l||_F``, ``r_l``
    in pA per error instant; see :mod:`normad_edu._rules`). ``params``
    (NormADParams, default ``NormADParams()``) only sets the coincidence bins
    that count the error instants ``n_e``. Other options:
    ``functools.partial(spikeprop_rule, options=...)``.

    ``instants``: the padded error instants of ``record`` that
    :func:`normad_edu.training.train` passes to every rule (they count the
    error instants of the "per-error" step without computing them again).

    Returns
    -------
    list of ndarray
        ``dW^l`` (pA), shapes ``(B, n_l, n_{l-1})``; zeros for frozen layers.
    """
    r, flags, d_times, d_counts = check_rule_args(record, desired, rates, plastic, sim.T)
    grads = spikeprop_gradient(record, desired, lif=lif, syn=syn, sim=sim, options=options, plastic=flags)
    return apply_step(grads, record, (d_times, d_counts), r, flags, options.step, params, sim, instants)
