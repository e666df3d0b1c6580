"""Surrogate-gradient learning: backpropagation through time on the LIF discretised at dt.

This is how most spiking networks are trained today (SuperSpike, Zenke &
Ganguli, Neural Computation 30, 2018; snnTorch; Norse): simulate the network
on a time grid, write the simulation as a chain of differentiable steps and
run ordinary backpropagation through time (BPTT). The one step that has no
derivative, the threshold ``s = H(v - theta)``, gets a *surrogate*: the
forward pass still spikes, but the backward pass uses the derivative of a
fast sigmoid, ``sigma'(x) = 1 / (1 + slope |x|)^2`` (``x = (v - theta) / theta``,
the membrane in units of the threshold).
Forward and backward are written out below, step by step, in NumPy.

How surrogate gradients relate to NormAD
----------------------------------------
Both rules need the sensitivity of a spike to the weights, and both go
around the threshold's missing derivative -- in different places. NormAD
stays on the exact, event-driven model and linearises *at the spike times*:
a spike moves by ``-dV/Vdot``, an exact statement for an infinitesimal
change. The surrogate gradient works on a grid and replaces the derivative
*of the threshold itself* by a bump around ``theta``: every step at which
the potential comes near threshold passes some gradient on, whether or not
a spike occurs there (so silent neurons still learn), and the size of that
bump (``slope``), not ``1/Vdot``, sets how much. At the *reset* the usual
choice (and the default here, as in SuperSpike and snnTorch) is to treat the
reset as a constant (``detach_reset``), which is NormAD's choice too: NormAD
never differentiates a neuron's reset either. The loss is not at error
instants but a van Rossum distance between the output and desired trains.
By default the update has NormAD's step length (``r`` pA per error instant,
``step="per-error"``), so in a comparison only the direction differs.

The discretised model (same C, gL, EL, VT, t_ref, tau1, tau2)
-------------------------------------------------------------
State ``u = V - EL``, currents ``I1, I2`` (pA); input spikes are moved to
the start of the step they fall in; for step n and layer l::

    I1 += W s_{l-1}[n];  I2 += W s_{l-1}[n]            (s_0: input spikes in step n)
    v[n] = free[n] (u eL + I1 E1 - I2 E2)                exact propagators of dt
    I1 *= e1;  I2 *= e2
    s_l[n] = H(v[n] - theta);  u = v[n] (1 - s_l[n])    spike and reset
    free = 0 for the round(t_ref/dt) steps after a spike

with ``e = exp(-dt/tau)`` and ``E = E(dt; tau)/C`` as in :mod:`normad_edu.lif`;
the spikes of a step reach the next layer in the same step. Loss (van Rossum,
filter ``y[n] = a y[n-1] + s[n]``, ``a = exp(-dt/tau_vr)``)::

    E = dt / (2 tau_vr) sum_n sum_k (y_out,k[n] - y_des,k[n])^2

(half the squared van Rossum distance of :func:`normad_edu.metrics.van_rossum_distance`,
on the grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._engine import bptt as _bptt
from ._engine.kernels import propagators
from ._rules import apply_step, check_rule_args, check_step
from .validation import check_positive
from .network import ForwardRecord
from .params import LIFParams, SimParams, SynapseParams


@dataclass(frozen=True)
class SurrogateParams:
    """Parameters of the surrogate-gradient rule.

    Parameters
    ----------
    slope : float
        Steepness k of the fast sigmoid (dimensionless), > 0. The membrane is
        measured in units of ``theta = VT - EL`` (as snnTorch measures it in
        units of its threshold): the surrogate of ``dH/dv`` is
        ``(1/theta) / (1 + k |v - theta| / theta)^2`` (1/mV), which falls to a
        quarter of its peak at ``|v - theta| = theta / k``. Default 1 (chosen:
        on 8 single-neuron 100 -> 1 problems, 200 iterations, slopes 1 and 3
        converged 6 of 8 and snnTorch's default 25 (3.6 mV here) 2-4 of 8:
        starting from silence, a narrow bump passes almost no gradient).
    tau_vr : float
        Time constant of the van Rossum filter of the loss (ms), > 0.
        Default 10 ms (the package's van Rossum default).
    detach_reset : bool
        True (default, as SuperSpike and snnTorch): the reset is a constant
        in the backward pass. False: also differentiate ``u = v (1 - s)``
        through ``s``.
    step : {"per-error", "normalized", "gradient"}
        How the gradient becomes an update (see :mod:`normad_edu._rules`).
        "per-error" (default): NormAD's step length along this rule's
        direction, ``r_l n_e`` pA for a pattern with ``n_e`` NormAD error
        instants (none once the output is right), so rates are in pA per
        error instant as for NormAD; "normalized": ``r_l`` pA per pattern;
        "gradient": textbook gradient descent ``-r_l dE/dW^l`` (rates in
        pA^2; E is dimensionless).
    """

    slope: float = 1.0
    tau_vr: float = 10.0
    detach_reset: bool = True
    step: str = "per-error"

    def __post_init__(self) -> None:
        object.__setattr__(self, "slope", check_positive("slope", self.slope))
        object.__setattr__(self, "tau_vr", check_positive("tau_vr", self.tau_vr, unit="ms"))
        if not isinstance(self.detach_reset, (bool, np.bool_)):
            raise TypeError(f"detach_reset must be True or False, got {self.detach_reset!r}")
        check_step(self.step)


class Grid(NamedTuple):
    """Constants of the discretised neuron: propagators of one step and the threshold."""

    e1: float  # exp(-dt/tau1)
    e2: float  # exp(-dt/tau2)
    eL: float  # exp(-dt/tau_L)
    E1: float  # E(dt; tau1) / C  (mV/pA)
    E2: float  # E(dt; tau2) / C  (mV/pA)
    theta: float  # VT - EL (mV)
    n_ref: int  # refractory steps, round(t_ref / dt)

    @classmethod
    def of(cls, lif: LIFParams, syn: SynapseParams, sim: SimParams) -> "Grid":
        e1, e2, eL, E1, E2 = propagators(sim.dt, syn.tau1, syn.tau2, lif.tau_L, lif.C)
        return cls(e1, e2, eL, E1, E2, lif.theta, int(round(lif.t_ref / sim.dt)))


class Trace(NamedTuple):
    """What the backward pass needs from the forward pass, per layer l = 1..L: arrays ``(N, B, n_l)``."""

    v: list  # potential before the reset, v[n] (mV above EL)
    s: list  # spikes s_l[n] (0 or 1)
    free: list  # 1 where the neuron is not refractory in step n


def bin_spikes(times: np.ndarray, counts: np.ndarray, sim: SimParams) -> np.ndarray:
    """Padded spikes ``(B, n, K)`` (ms) -> spike counts per step ``(N, B, n)``, step ``floor(t / dt)``."""
    B, n, K = times.shape
    b, i, f = np.nonzero(np.arange(K) < counts[..., None])
    step = np.minimum((times[b, i, f] / sim.dt).astype(np.int64), sim.n_steps - 1)
    flat = np.bincount((step * B + b) * n + i, minlength=sim.n_steps * B * n)  # several spikes in a step add up
    return flat.reshape(sim.n_steps, B, n).astype(np.float64)


def simulate(x: np.ndarray, weights: list, grid: Grid) -> Trace:
    """Forward pass of the discretised network: ``x`` (N, B, n_0) input counts, ``weights`` [(B, n_l, n_{l-1})] (pA)."""
    N, B = x.shape[:2]
    state = [dict(u=np.zeros((B, W.shape[1])), I1=np.zeros((B, W.shape[1])), I2=np.zeros((B, W.shape[1])),
                  ref=np.zeros((B, W.shape[1]), dtype=np.int64)) for W in weights]
    trace = Trace(*([np.zeros((N, B, W.shape[1])) for W in weights] for _ in range(3)))
    for n in range(N):
        s = x[n]
        for l, (W, st) in enumerate(zip(weights, state)):
            inc = np.matmul(W, s[:, :, None])[:, :, 0]  # W s_{l-1}[n]  (pA)
            st["I1"] += inc
            st["I2"] += inc
            free = (st["ref"] == 0).astype(np.float64)
            v = free * (st["u"] * grid.eL + st["I1"] * grid.E1 - st["I2"] * grid.E2)
            st["ref"] = np.maximum(st["ref"] - 1, 0)
            st["I1"] *= grid.e1
            st["I2"] *= grid.e2
            s = (v >= grid.theta).astype(np.float64)
            st["u"] = v * (1.0 - s)
            st["ref"] = np.where(s > 0, grid.n_ref, st["ref"])
            trace.v[l][n], trace.s[l][n], trace.free[l][n] = v, s, free
    return trace


def van_rossum_filter(s: np.ndarray, a: float) -> np.ndarray:
    """``y[n] = a y[n-1] + s[n]`` along axis 0 (spike counts per step -> filtered trace)."""
    y = np.empty_like(s)
    acc = np.zeros(s.shape[1:])
    for n in range(s.shape[0]):
        acc = a * acc + s[n]
        y[n] = acc
    return y


def fast_sigmoid_derivative(v: np.ndarray, theta: float, slope: float) -> np.ndarray:
    """The surrogate of ``dH(v - theta)/dv``: ``(1/theta) / (1 + slope |v - theta| / theta)^2`` (1/mV)."""
    return 1.0 / (theta * (1.0 + slope * np.abs(v - theta) / theta) ** 2)


def backward(trace: Trace, x: np.ndarray, weights: list, y_err: np.ndarray, grid: Grid, dt: float,
             options: SurrogateParams) -> list[np.ndarray]:
    """BPTT through the discretised network: ``dE/dW^l`` (1/pA), shapes ``(B, n_l, n_{l-1})``.

    ``y_err[n] = y_out[n] - y_des[n]`` (N, B, n_L). Adjoints (dE/d of the
    state *after* step n) ``gu, g1, g2`` per layer; going back one step::

        lam[n]  = dt/tau_vr y_err[n] + a lam[n+1]          dE/ds_L[n]
        gs      = lam[n] (output) or W^{l+1}T ga^{l+1}      dE/ds_l[n]
        gv      = gu du/dv + gs sigma'(v[n] - theta)        du/dv = 1 - s (+ -v sigma' if the reset is differentiated)
        ga1     = g1 e1 + free gv E1;  ga2 = g2 e2 - free gv E2;  gu = free gv eL
        ga      = ga1 + ga2                                 dE/d(W s_{l-1}[n])
        dE/dW^l = sum_n ga[n] s_{l-1}[n]^T
    """
    L, N = len(weights), x.shape[0]
    a = np.exp(-dt / options.tau_vr)
    gu = [np.zeros(W.shape[:2]) for W in weights]
    g1 = [np.zeros(W.shape[:2]) for W in weights]
    g2 = [np.zeros(W.shape[:2]) for W in weights]
    ga_all = [np.zeros(v.shape) for v in trace.v]  # dE/d(input current increment) per step
    lam = np.zeros(weights[-1].shape[:2])
    for n in range(N - 1, -1, -1):
        lam = dt / options.tau_vr * y_err[n] + a * lam
        gs = lam
        for l in range(L - 1, -1, -1):
            v, s, free = trace.v[l][n], trace.s[l][n], trace.free[l][n]
            sg = fast_sigmoid_derivative(v, grid.theta, options.slope)
            du_dv = (1.0 - s) if options.detach_reset else (1.0 - s) - v * sg
            gv = gu[l] * du_dv + gs * sg
            ga1 = g1[l] * grid.e1 + free * gv * grid.E1
            ga2 = g2[l] * grid.e2 - free * gv * grid.E2
            gu[l], g1[l], g2[l] = free * gv * grid.eL, ga1, ga2
            ga_all[l][n] = ga1 + ga2
            if l > 0:
                gs = np.matmul((ga1 + ga2)[:, None, :], weights[l])[:, 0, :]  # W^T ga: dE/ds_{l-1}[n]
    below = [x] + trace.s[:-1]  # s_{l-1}[n] for every layer l
    return [sum_over_steps(ga, s) for ga, s in zip(ga_all, below)]


def sum_over_steps(ga: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``dE/dW[b, j, i] = sum_n ga[n, b, j] s[n, b, i]`` over the steps where ``s`` has spikes.

    ``ga`` (N, B, n_l), ``s`` (N, B, n_{l-1}). Spikes are rare (a few in a
    thousand steps), so only the nonzero entries of ``s`` are visited: 4-5x
    faster than the dense product for the generic problems.
    """
    n, b, i = np.nonzero(s)
    out = np.zeros((s.shape[1], s.shape[2], ga.shape[2]))  # (B, n_{l-1}, n_l)
    np.add.at(out, (b, i), s[n, b, i][:, None] * ga[n, b])
    return out.transpose(0, 2, 1)


def surrogate_gradient(inputs: tuple[np.ndarray, np.ndarray], weights: list, desired, *,
                       lif: LIFParams = LIFParams(), syn: SynapseParams = SynapseParams(),
                       sim: SimParams = SimParams(), options: SurrogateParams = SurrogateParams(),
                       compiled: bool = True) -> tuple[list[np.ndarray], np.ndarray]:
    """Loss and surrogate gradient of the discretised network.

    Parameters
    ----------
    inputs : (times, counts)
        Padded input spikes ``(B, n_0, K)`` and ``(B, n_0)`` (ms), as in ``record.inputs``.
    weights : list of ndarray
        ``[W^1 .. W^L]``, each ``(B, n_l, n_{l-1})`` (pA).
    desired : (times, counts)
        Padded desired output spikes ``(B, n_L, K)`` and ``(B, n_L)`` (ms).
    lif, syn, sim : parameter dataclasses
    options : SurrogateParams
    compiled : bool
        True (default): the compiled twin (:mod:`normad_edu._engine.bptt`),
        which runs the same loops one layer at a time; False: the NumPy
        loops of :func:`simulate` and :func:`backward` (the ones to read).
        Both give the same numbers (tested).

    Returns
    -------
    grads : list of ndarray
        ``dE/dW^l`` (1/pA), shapes ``(B, n_l, n_{l-1})``.
    loss : ndarray
        ``E`` of every problem, shape ``(B,)`` (dimensionless).

    Notes
    -----
    Forward (:func:`simulate`, the model of the module docstring), then
    ``y_err = y_out - y_des`` with the van Rossum filter, then BPTT
    (:func:`backward`). The only departure from the derivative of the
    forward pass is at the threshold: ``dH(v - theta)/dv`` is replaced by
    :func:`fast_sigmoid_derivative` (and, with ``detach_reset``, the reset
    is held constant). ``tests/test_rules_surrogate.py`` checks the result
    against torch autograd of the same model.
    """
    if not isinstance(options, SurrogateParams):
        raise TypeError(f"options must be a SurrogateParams, got {type(options).__name__}")
    grid = Grid.of(lif, syn, sim)
    x = bin_spikes(np.asarray(inputs[0]), np.asarray(inputs[1]), sim)
    weights = [np.ascontiguousarray(W, dtype=np.float64) for W in weights]
    a = np.exp(-sim.dt / options.tau_vr)
    if compiled:
        return _compiled_gradient(x, weights, bin_spikes(*desired, sim), grid, sim.dt, a, options)
    trace = simulate(x, weights, grid)
    y_err = van_rossum_filter(trace.s[-1], a) - van_rossum_filter(bin_spikes(*desired, sim), a)
    loss = sim.dt / (2.0 * options.tau_vr) * (y_err ** 2).sum(axis=(0, 2))
    return backward(trace, x, weights, y_err, grid, sim.dt, options), loss


def _compiled_gradient(x, weights, d, grid: Grid, dt: float, a: float, options: SurrogateParams):
    """:func:`surrogate_gradient` through the compiled kernels, one layer at a time (same loss and gradients)."""
    g = grid
    below, traces = x, []
    for W in weights:  # forward, layer by layer over the whole epoch
        inc = np.empty((below.shape[0], below.shape[1], W.shape[1]))
        _bptt.input_increments(below, W, inc)
        v, s, free = (np.empty(inc.shape) for _ in range(3))
        _bptt.layer_forward(inc, g.e1, g.e2, g.eL, g.E1, g.E2, g.theta, g.n_ref, v, s, free)
        traces.append((v, s, free, below))
        below = s
    y_out, y_des = np.empty(below.shape), np.empty(below.shape)
    _bptt.exp_filter_steps(below, a, False, y_out)
    _bptt.exp_filter_steps(d, a, False, y_des)
    y_err = y_out - y_des
    gs = np.empty(y_err.shape)  # dE/ds_L[n] = lam[n] = dt/tau_vr y_err[n] + a lam[n+1]
    _bptt.exp_filter_steps(dt / options.tau_vr * y_err, a, True, gs)
    grads = [None] * len(weights)
    for l in range(len(weights) - 1, -1, -1):  # backward, from the output layer down
        v, s, free, below = traces[l]
        ga = np.empty(v.shape)
        _bptt.layer_backward(v, s, free, gs, bool(options.detach_reset), g.theta, options.slope, g.e1, g.e2, g.eL,
                             g.E1, g.E2, ga)
        grads[l] = np.empty(weights[l].shape)
        _bptt.sum_over_steps(ga, below, grads[l])
        if l > 0:
            gs = np.einsum("nbj,bji->nbi", ga, weights[l])  # W^T ga at every step: dE/ds_{l-1}
    return grads, dt / (2.0 * options.tau_vr) * (y_err ** 2).sum(axis=(0, 2))


def surrogate_rule(record: ForwardRecord, desired, rates, plastic=None, *, lif: LIFParams = LIFParams(),
                   syn: SynapseParams = SynapseParams(), sim: SimParams = SimParams(), params=None,
                   options: SurrogateParams = SurrogateParams(), instants=None) -> list[np.ndarray]:
    """The surrogate-gradient rule as an update rule for :func:`normad_edu.training.train`.

    Re-simulates the discretised network from ``record.inputs`` and
    ``record.weights`` (the exact spikes of ``record`` are not used; the
    error instants that set the step length are those of ``record``) and
    turns ``g^l = dE/dW^l`` (:func:`surrogate_gradient`) into ``dW^l`` by
    ``options.step`` (default "per-error": ``-r_l n_e g^l / ||g^l||_F``,
    ``r_l`` in pA per error instant; see :mod:`normad_edu._rules`).
    ``params`` (NormADParams, default ``NormADParams()``) only sets the
    coincidence bins that count the error instants ``n_e``. Other options:
    ``functools.partial(surrogate_rule, options=SurrogateParams(...))``.
    Memory: about ``4 x 8 bytes x B x (n_1 + ... + n_L) x T/dt``.

    ``instants``: the padded error instants of ``record`` that
    :func:`normad_edu.training.train` passes to every rule (they count the
    error instants of the "per-error" step without computing them again).

    Returns
    -------
    list of ndarray
        ``dW^l`` (pA), shapes ``(B, n_l, n_{l-1})``; zeros for frozen layers.
    """
    r, flags, d_times, d_counts = check_rule_args(record, desired, rates, plastic, sim.T)
    grads, _ = surrogate_gradient((record.inputs.times, record.inputs.counts), record.weights, (d_times, d_counts),
                                  lif=lif, syn=syn, sim=sim, options=options)
    return apply_step(grads, record, (d_times, d_counts), r, flags, options.step, params, sim, instants)
