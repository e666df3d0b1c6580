"""EventProp-style exact gradients: adjoints carried by the spikes of the exact model.

EventProp (Wunderlich & Pehle, Scientific Reports 11, 2021) computes the
exact gradient of a spike-time loss of a network of LIF neurons: an adjoint
system runs backwards in time and jumps at every spike. For the neuron of
this package the membrane solution between two events is known in closed
form, so the adjoint needs no time grid: it lives on the spikes, one number
``lam = dE/dt`` per spike, and each spike passes it on to the spikes that
caused it. The result is the gradient of the event-driven simulator
(:mod:`normad_edu.lif`) itself, resets and refractoriness included;
``tests/test_rules_eventprop.py`` checks it against central finite
differences of the simulator.

How EventProp relates to NormAD
-------------------------------
The recursion has NormAD's shape -- a spike moves by ``-dV/Vdot`` and the
error reaches earlier spikes through the derivative of the membrane kernel
-- but nothing is approximated. Where NormAD (and
:mod:`~normad_edu.spikeprop`) filter the inputs with the no-reset kernel
``psihat`` and a shortened tau_L', this module uses the true kernel *after
the neuron's last reset* (``K`` below), and adds the term NormAD drops: a
neuron's earlier spike moves its later ones, because it sets when the
membrane restarts from rest (``dt^{f+1}/dt^f``). It descends the same loss
as :mod:`~normad_edu.spikeprop` (:class:`~normad_edu.spikeprop.SpikeTimeLoss`);
NormAD has no loss of this kind (its objective is the potential at the
error instants).
By default the update has NormAD's step length (``r`` pA per error instant,
``step="per-error"``), so in a comparison only the direction differs.

Notation
--------
A neuron whose refractory period ended at ``r`` (``r = t^{f-1} + t_ref``, or
0 before its first spike) has ``u = V - EL``::

    u(t) = sum_i W_i sum_g K(t, r, s_i^g),  K(t, r, s) = psi(t - s) - exp(-(t - r)/tau_L) psi(r - s)

(the no-reset response minus what had built up by ``r``, decayed). At a
spike ``u(t^f) = VT - EL``; implicit differentiation gives, with ``mu^f =
-lam^f / Vdot^f``::

    dE/dW_ji          += mu_j^f sum_g K(t_j^f, r_j^f, s_i^g)
    lam_i^g (below)   += mu_j^f W_ji dK/ds(t_j^f, r_j^f, s_i^g),  dK/ds = -psi'(t - s) + e^{-(t-r)/tau_L} psi'(r - s)
    lam_j^{f-1}       += mu_j^f du/dr,                            du/dr = -e^{-(t-r)/tau_L} I_j(r) / C

(``I_j(r)`` the synaptic current at ``r``: the charge lost by restarting
later). A loss term on the potential at a fixed time (a missed desired spike)
enters the same lines with ``mu = dE/du``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._rules import apply_step, check_rule_args, check_step
from .validation import check_nonnegative
from .kernels import alpha_kernel, psi_kernel
from .network import ForwardRecord
from .params import LIFParams, SimParams, SynapseParams
from .spikeprop import EXTRA, MISSED, PAIRED, SpikeTimeLoss, spike_errors


@dataclass(frozen=True)
class EventPropParams:
    """Parameters of the exact-gradient rule.

    Parameters
    ----------
    loss : SpikeTimeLoss
        The loss (shared with :mod:`~normad_edu.spikeprop`).
    vdot_min : float
        Lower clip of ``Vdot`` (mV/ms) in ``mu = -lam / Vdot``; 0 (default)
        is the exact gradient. A positive value is a labelled deviation that
        bounds the step at spikes that graze threshold.
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
    vdot_min: float = 0.0
    step: str = "per-error"

    def __post_init__(self) -> None:
        if not isinstance(self.loss, SpikeTimeLoss):
            raise TypeError(f"loss must be a SpikeTimeLoss, got {type(self.loss).__name__}")
        object.__setattr__(self, "vdot_min", check_nonnegative("vdot_min", self.vdot_min, unit="mV/ms"))
        check_step(self.step)


@dataclass(frozen=True)
class Chain:
    """The spikes of one layer of one problem, neuron after neuron (each neuron's in time order).

    ``t`` (ms), ``neuron``, ``slot`` f (the spike's index in its train),
    ``vdot`` (mV/ms) and ``r``: the end of the refractory period before the
    spike (ms; 0 for a first spike). The previous spike of the same neuron
    is the row before (where ``slot > 0``).
    """

    t: np.ndarray
    neuron: np.ndarray
    slot: np.ndarray
    vdot: np.ndarray
    r: np.ndarray
    n: int


def chain(record: ForwardRecord, l: int, b: int, t_ref: float) -> Chain:
    """The spikes of layer ``l`` (0 = inputs) of problem ``b`` as a :class:`Chain`."""
    s = record.spikes(l)
    fired = np.arange(s.times.shape[2]) < s.counts[b][:, None]
    neuron, slot = np.nonzero(fired)  # neuron-major: a neuron's spikes are consecutive rows
    t = s.times[b][fired]
    r = np.zeros(t.size)
    r[1:] = np.where(slot[1:] > 0, t[:-1] + t_ref, 0.0)
    return Chain(t, neuron, slot, s.vdot[b][fired], r, s.counts.shape[1])


class Model:
    """The closed-form pieces of the exact solution (``lif``, ``syn``: ms, pF, pA)."""

    def __init__(self, lif: LIFParams, syn: SynapseParams):
        self.lif, self.syn = lif, syn

    def psi(self, x):
        return psi_kernel(x, self.syn.tau1, self.syn.tau2, self.lif.C, self.lif.tau_L)

    def K(self, t, r, s):
        """``psi(t - s) - exp(-(t - r)/tau_L) psi(r - s)`` (ms/pF): input spike s's share of u(t), reset ending at r."""
        return self.psi(t - s) - np.exp(-(t - r) / self.lif.tau_L) * self.psi(r - s)

    def filtered(self, t, r, pre: Chain) -> np.ndarray:
        """``x_i = sum_g K(t, r, s_i^g)`` for every row (t, r) and input neuron i: ``(rows, pre.n)`` (ms/pF)."""
        return self.per_neuron(self.K(t[:, None], r[:, None], pre.t[None, :]), pre)

    @staticmethod
    def per_neuron(values: np.ndarray, pre: Chain) -> np.ndarray:
        """Sum the columns (spikes of ``pre``) of ``values`` by the neuron that fired them: ``(rows, pre.n)``."""
        out = np.zeros((values.shape[0], pre.n))
        np.add.at(out, (slice(None), pre.neuron), values)
        return out

    def pairs(self, t, r, pre: Chain):
        """Each row (t, r) against each spike s of ``pre``: ``K``, ``dK/ds``, ``alpha(r - s)``, each (rows, spikes).

        One evaluation of ``psi`` and ``alpha`` at ``t - s`` and at ``r - s``
        serves all three (``psi' = alpha / C - psi / tau_L``).
        """
        C, tau_L = self.lif.C, self.lif.tau_L
        x, y = t[:, None] - pre.t[None, :], r[:, None] - pre.t[None, :]
        a_t, a_r = (alpha_kernel(z, self.syn.tau1, self.syn.tau2) for z in (x, y))
        p_t, p_r = self.psi(x), self.psi(y)
        decay = np.exp(-(t - r) / tau_L)[:, None]
        K = p_t - decay * p_r
        dK_ds = -(a_t / C - p_t / tau_L) + decay * (a_r / C - p_r / tau_L)
        return K, dK_ds, a_r


def _probe_reset(out: Chain, k: int, tau: float, t_ref: float) -> tuple[float, int]:
    """``(r, q)``: end of neuron ``k``'s last refractory period before time ``tau`` (ms; 0 if none) and the row
    of that spike in ``out`` (-1 if none)."""
    mine = np.flatnonzero((out.neuron == k) & (out.t < tau))
    return (out.t[mine[-1]] + t_ref, int(mine[-1])) if mine.size else (0.0, -1)


def potential(record: ForwardRecord, b: int, k: int, tau: float, *, lif: LIFParams = LIFParams(),
              syn: SynapseParams = SynapseParams()) -> float:
    """``V_k(tau) - EL`` of output neuron ``k`` of problem ``b``, in closed form (mV).

    Just before any spike at ``tau`` (the last reset is that of the last
    spike strictly before ``tau``); 0 during the refractory period.
    """
    L, model = len(record.layers), Model(lif, syn)
    out, pre = chain(record, L, b, lif.t_ref), chain(record, L - 1, b, lif.t_ref)
    r, _ = _probe_reset(out, k, tau, lif.t_ref)
    if tau < r:
        return 0.0
    return float(model.filtered(np.array([tau]), np.array([r]), pre)[0] @ record.weights[L - 1][b, k])


def spike_time_loss(record: ForwardRecord, desired, *, lif: LIFParams = LIFParams(),
                    syn: SynapseParams = SynapseParams(), sim: SimParams = SimParams(),
                    loss: SpikeTimeLoss = SpikeTimeLoss()) -> np.ndarray:
    """The loss E of every problem of a batch (ms^2), :class:`~normad_edu.spikeprop.SpikeTimeLoss`.

    ``E = 1/2 sum_pairs (t_o - t_d)^2 + kappa_m sum_missed (VT - V_k(t_d)) + kappa_e sum_extra (T - t_o)``,
    with the exact potential (:func:`potential`). Returns shape ``(B,)``.
    """
    _, _, d_times, d_counts = check_rule_args(record, desired, 0.0, None, sim.T)
    errs = spike_errors(record, d_times, d_counts, loss.window)
    E = np.zeros(record.output.counts.shape[0])
    for q in range(errs.kind.size):
        b, k, kind = errs.problem[q], errs.neuron[q], errs.kind[q]
        if kind == PAIRED:
            E[b] += 0.5 * (errs.t_obs[q] - errs.t_des[q]) ** 2
        elif kind == EXTRA:
            E[b] += loss.kappa_extra * (sim.T - errs.t_obs[q])
        else:
            E[b] += loss.kappa_missed * (lif.theta - potential(record, b, k, errs.t_des[q], lif=lif, syn=syn))
    return E


def eventprop_gradient(record: ForwardRecord, desired, *, lif: LIFParams = LIFParams(),
                       syn: SynapseParams = SynapseParams(), sim: SimParams = SimParams(),
                       options: EventPropParams = EventPropParams(), plastic=None) -> list[np.ndarray]:
    """The exact ``dE/dW^l`` of :func:`spike_time_loss` (ms^2/pA), shapes ``(B, n_l, n_{l-1})``.

    Exact where the spike counts do not change under a small change of the
    weights (almost everywhere), with ``options.vdot_min = 0``. ``plastic``
    (optional) skips the gradients of frozen layers (returned as zeros).

    Notes
    -----
    Layer by layer from the output down, with ``lam = dE/dt`` per spike:

    1. output spikes: ``lam = t_o - t_d`` (paired) or ``-kappa_e`` (extra);
       a missed desired spike at ``t_d`` is a *probe* with ``mu = -kappa_m``
       (the potential there is raised);
    2. along each neuron's own spikes, last to first (the reset chain)::

           lam^{f-1} += mu^f du/dr(t^f),  mu^f = -lam^f / Vdot^f

    3. every spike (and probe) passes its ``mu`` to the weights and to the
       spikes of the layer below::

           dE/dW_ji += mu_j^f sum_g K(t_j^f, r_j^f, s_i^g)
           lam_i^g  += mu_j^f W_ji dK/ds(t_j^f, r_j^f, s_i^g)

    with ``K`` and ``dK/ds`` of the module docstring (true ``tau_L``, no
    approximation).
    """
    _, flags, d_times, d_counts = check_rule_args(record, desired, 0.0, plastic, sim.T)
    if not isinstance(options, EventPropParams):
        raise TypeError(f"options must be an EventPropParams, got {type(options).__name__}")
    loss, model, t_ref, L = options.loss, Model(lif, syn), lif.t_ref, len(record.layers)
    grads = [np.zeros(W.shape) for W in record.weights]
    errs = spike_errors(record, d_times, d_counts, loss.window)
    for b in np.unique(errs.problem):
        e = errs.of(b)
        layers = [chain(record, l, b, t_ref) for l in range(L + 1)]
        out = layers[L]
        lam = np.zeros(out.t.size)  # dE/dt of every output spike
        row = {(k, f): q for q, (k, f) in enumerate(zip(out.neuron, out.slot))}
        for k, f, kind, t_o, t_d in zip(e.neuron, e.slot, e.kind, e.t_obs, e.t_des):
            if kind != MISSED:
                lam[row[(k, f)]] += (t_o - t_d) if kind == PAIRED else -loss.kappa_extra
        # missed desired spikes: probes of the potential at t_d, with mu = dE/du = -kappa_m
        probes = [(k, t_d, *_probe_reset(out, k, t_d, t_ref)) for k, t_d, kind in zip(e.neuron, e.t_des, e.kind)
                  if kind == MISSED]
        probes = [p for p in probes if p[1] >= p[2]]  # a probe inside the refractory period sees u = 0
        extra = dict(neuron=np.array([p[0] for p in probes], dtype=np.int64), t=np.array([p[1] for p in probes]),
                     r=np.array([p[2] for p in probes]), prev=np.array([p[3] for p in probes], dtype=np.int64),
                     mu=np.full(len(probes), -loss.kappa_missed))
        for l in range(L, 0, -1):  # layer l's spikes (and the probes at the output), from the top down
            spk, pre, W = layers[l], layers[l - 1], record.weights[l - 1][b]
            if l < L:
                extra = dict(neuron=np.zeros(0, np.int64), t=np.zeros(0), r=np.zeros(0), prev=np.zeros(0, np.int64),
                             mu=np.zeros(0))
            n_spk = spk.t.size
            t, r = np.concatenate([spk.t, extra["t"]]), np.concatenate([spk.r, extra["r"]])
            j = np.concatenate([spk.neuron, extra["neuron"]])
            K, dK_ds, alpha_r = model.pairs(t, r, pre)
            W_pairs = W[j][:, pre.neuron]  # W_ji for every (row, spike of the layer below)
            rho = -np.exp(-(t - r) / lif.tau_L) * (W_pairs * alpha_r).sum(axis=1) / lif.C  # du/dr of every row
            has = extra["prev"] >= 0  # a probe after a spike: that spike's reset shapes the probed potential
            np.add.at(lam, extra["prev"][has], extra["mu"][has] * rho[n_spk:][has])
            vdot = np.maximum(spk.vdot, options.vdot_min) if options.vdot_min > 0 else spk.vdot
            for f in range(int(spk.slot.max(initial=0)), 0, -1):  # each neuron's spikes, last to second
                q = np.flatnonzero(spk.slot == f)
                lam[q - 1] += (-lam[q] / vdot[q]) * rho[q]  # an earlier spike sets when the membrane restarts
            mu = np.concatenate([-lam / vdot, extra["mu"]])
            if flags[l - 1]:
                np.add.at(grads[l - 1][b], j, mu[:, None] * model.per_neuron(K, pre))
            if l > 1 and flags[:l - 1].any():
                lam = (mu[:, None] * W_pairs * dK_ds).sum(axis=0)
            elif l > 1:
                break
    return grads


def eventprop_rule(record: ForwardRecord, desired, rates, plastic=None, *, lif: LIFParams = LIFParams(),
                   syn: SynapseParams = SynapseParams(), sim: SimParams = SimParams(), params=None,
                   options: EventPropParams = EventPropParams(), instants=None) -> list[np.ndarray]:
    """The exact-gradient rule as an update rule for :func:`normad_edu.training.train`.

    The gradient ``g^l = dE/dW^l`` of :func:`eventprop_gradient` becomes ``dW^l`` by
    ``options.step`` (default "per-error": ``-r_l n_e g^l / ||g^l||_F``, ``r_l``
    in pA per error instant; see :mod:`normad_edu._rules`). ``params``
    (NormADParams, default ``NormADParams()``) only sets the coincidence bins
    that count the error instants ``n_e``. Other options:
    ``functools.partial(eventprop_rule, options=...)``.

    ``instants``: the padded error instants of ``record`` that
    :func:`normad_edu.training.train` passes to every rule (they count the
    error instants of the "per-error" step without computing them again).

    Returns
    -------
    list of ndarray
        ``dW^l`` (pA), shapes ``(B, n_l, n_{l-1})``; zeros for frozen layers.
    """
    r, flags, d_times, d_counts = check_rule_args(record, desired, rates, plastic, sim.T)
    grads = eventprop_gradient(record, desired, lif=lif, syn=syn, sim=sim, options=options, plastic=flags)
    return apply_step(grads, record, (d_times, d_counts), r, flags, options.step, params, sim, instants)
