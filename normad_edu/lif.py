"""Exact, event-driven simulation of a layer of LIF neurons.

Model (units ms, mV, pF, nS, pA)::

    C dV/dt = -gL (V - EL) + I(t),     I(t) = sum_i W_ji c_i(t)      (paper Eq. 3)
    c_i(t) = sum_f alpha(t - t_i^f),   alpha(t) = exp(-t/tau1) - exp(-t/tau2)   (Eqs. 1-2)

When ``V`` reaches ``VT`` the neuron spikes, ``V`` is reset to ``EL`` and held
there for ``t_ref``. Nothing in this model is approximated:

* The current is carried by two exponential traces, ``I = I1 - I2`` with
  ``I1`` decaying with ``tau1`` and ``I2`` with ``tau2``; an input spike of
  neuron ``i`` at time ``s`` adds ``W_ji`` to both at exactly ``s`` (so ``I``
  itself is continuous, as ``alpha(0) = 0``).
* Between two events the state ``(u = V - EL, I1, I2)`` is advanced with its
  exact exponential propagator (no Euler step; :func:`propagators`,
  :func:`free_step`)::

      u(t+D) = u e^{-D/tau_L} + [I1 E(D; tau1) - I2 E(D; tau2)] / C
      E(D; tau) = (e^{-D/tau} - e^{-D/tau_L}) / (1/tau_L - 1/tau)

  for a piece of length ``D`` (``span`` in the code; ``h`` is the membrane kernel).

* Time is cut at every grid point ``n dt`` and at every input spike; if
  ``u`` ends a piece at or above ``theta = VT - EL``, the crossing time inside
  the piece is found by safeguarded Newton iteration on the exact solution (to
  ~1e-12 ms; :func:`threshold_crossing`), and ``dV/dt`` there is
  ``(I - gL theta) / C`` (:func:`vdot_at_threshold`); then ``u`` is reset to 0
  and held for ``t_ref`` (:func:`neuron_piece`).
* A crossing whose potential rises above threshold and falls back within one
  piece (< dt) is not detected; with dt = 0.1 ms this needs a current pulse
  far sharper than ``alpha``.

Option (off by default): ``LIFParams.clamp_at_EL`` clamps ``V`` at ``EL`` from
below at every grid point, the convention of time-stepped codes that clamp
after each step. It is applied on the grid only, so it is a documented
approximation, not part of the exact model above.

Two implementations of this one method:

* :func:`simulate_layer_reference` -- plain NumPy, one function per equation
  above, vectorised over the neurons of a layer; loops over problems and over
  time pieces in Python. Read it to see how the exact simulation works.
* :func:`simulate_layer` -- the same numbers from the compiled engine
  (``normad_edu._engine.simulate``, numba), a batch of problems in parallel;
  :func:`normad_edu.network.forward` uses it. ``tests/test_lif_reference.py``
  checks that both give the same spike times (to 1e-9 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._engine.simulate import run_layer
from .kernels import exp_filter
from .limits import check_layer_budget
from .params import LIFParams, SimParams, SynapseParams


@dataclass(frozen=True)
class LayerOutput:
    """Spikes of one simulated layer, in padded form (see :mod:`normad_edu.spikes`).

    Attributes
    ----------
    times : ndarray, shape (B, n, K)
        Spike times (ms), +inf after the last spike of each neuron.
    counts : ndarray of int64, shape (B, n)
        Spikes per neuron.
    vdot : ndarray, shape (B, n, K)
        ``dV/dt`` at each threshold crossing (mV/ms), NaN in the padding.
    v : ndarray, shape (B, n, n_steps + 1) or None
        Membrane potential (mV) on the grid ``0, dt, ..., T`` if requested.
    """

    times: np.ndarray
    counts: np.ndarray
    vdot: np.ndarray
    v: np.ndarray | None = None

    def first_spike(self) -> np.ndarray:
        """``(B,)``: the earliest spike (ms) of any neuron of the layer, ``inf`` where the layer is silent."""
        return np.where(self.counts > 0, self.times[..., 0], np.inf).min(axis=1)


# ---------------------------------------------------------------------------
# The exact LIF step, one function per equation (readable NumPy)
# ---------------------------------------------------------------------------

def propagators(span, lif: LIFParams, syn: SynapseParams) -> tuple:
    """Exact propagators of a piece of length ``span`` (ms): ``(e1, e2, eL, E1 / C, E2 / C)``.

    ``e1 = exp(-span/tau1)``, ``e2 = exp(-span/tau2)``, ``eL = exp(-span/tau_L)`` (1)
    and ``E(span; tau) / C`` (ms/pF) with ``E`` of the module docstring
    (:func:`normad_edu.kernels.exp_filter`, exact also at ``tau == tau_L``).
    ``span`` may be a number or an array.
    """
    span = np.asarray(span, dtype=np.float64)
    return (np.exp(-span / syn.tau1), np.exp(-span / syn.tau2), np.exp(-span / lif.tau_L),
            exp_filter(span, syn.tau1, lif.tau_L) / lif.C, exp_filter(span, syn.tau2, lif.tau_L) / lif.C)


def free_step(u, I1, I2, span, lif: LIFParams, syn: SynapseParams) -> tuple:
    """The state ``(u, I1, I2)`` after ``span`` ms with no spike in, none out (mV, pA, pA).

    ``u(t+span) = u eL + I1 E1/C - I2 E2/C``, ``I1 e1``, ``I2 e2`` (module docstring).
    """
    e1, e2, eL, E1, E2 = propagators(span, lif, syn)
    return u * eL + I1 * E1 - I2 * E2, I1 * e1, I2 * e2


def vdot_at_threshold(I, lif: LIFParams):
    """dV/dt (mV/ms) of a neuron at threshold with current ``I`` (pA): ``(I - gL (VT - EL)) / C``."""
    return (I - lif.gL * lif.theta) / lif.C


def threshold_crossing(u0: float, I1: float, I2: float, span: float, lif: LIFParams, syn: SynapseParams) -> float:
    """The time ``x`` in (0, span] (ms) at which ``u`` first reaches ``theta``, given ``u(0) = u0 < theta <= u(span)``.

    Newton's method on the exact solution ``f(x) = u(x) - theta`` inside the
    bracket ``[lo, hi]`` (which always holds the crossing): a Newton step that
    leaves the bracket, or a non-rising ``u``, is replaced by bisection.
    Converges to ~1e-12 ms.
    """
    theta = lif.theta
    lo, hi = 0.0, span
    f_lo = u0 - theta
    f_hi = float(free_step(u0, I1, I2, span, lif, syn)[0]) - theta
    x = span * -f_lo / (f_hi - f_lo) if f_hi > f_lo else 0.5 * span  # first guess: linear interpolation
    for _ in range(100):
        u, I1x, I2x = (float(v) for v in free_step(u0, I1, I2, x, lif, syn))
        f = u - theta
        lo, hi = (x, hi) if f < 0.0 else (lo, x)
        du = -u / lif.tau_L + (I1x - I2x) / lif.C  # du/dx at x
        if du > 0.0:
            step = f / du
            if abs(step) < 1e-12:  # Newton has converged (quadratically)
                return min(max(x - step, lo), hi)
            x_new = x - step
        else:
            x_new = 0.5 * (lo + hi)
        if not lo < x_new < hi:  # Newton left the bracket: bisect instead
            x_new = 0.5 * (lo + hi)
        if hi - lo < 1e-12:
            return x_new
        x = x_new
    return 0.5 * (lo + hi)


def neuron_piece(u: float, I1: float, I2: float, ref_end: float, cur: float, end: float, lif: LIFParams,
                 syn: SynapseParams) -> tuple:
    """One neuron from ``cur`` to ``end`` (ms), through refractoriness and any spikes on the way.

    Returns ``(u, I1, I2, ref_end, spikes)``: the state at ``end`` and a list of
    ``(spike time (ms), dV/dt there (mV/ms))``. While refractory (until
    ``ref_end``) ``u`` is held at 0 (V = EL) and only the currents decay; at a
    crossing the neuron spikes, ``u`` is reset to 0 and ``ref_end`` becomes
    the spike time plus ``t_ref``.
    """
    spikes = []
    while True:
        if ref_end > cur:  # held at EL while refractory; the currents decay
            stop = min(ref_end, end)
            u, I1, I2 = 0.0, I1 * math.exp(-(stop - cur) / syn.tau1), I2 * math.exp(-(stop - cur) / syn.tau2)
            cur = stop
            if cur >= end:
                return u, I1, I2, ref_end, spikes
        u_end = float(free_step(u, I1, I2, end - cur, lif, syn)[0])
        if u_end < lif.theta:  # no crossing before end
            _, I1, I2 = (float(v) for v in free_step(u, I1, I2, end - cur, lif, syn))
            return u_end, I1, I2, ref_end, spikes
        x = threshold_crossing(u, I1, I2, end - cur, lif, syn)
        _, I1, I2 = (float(v) for v in free_step(u, I1, I2, x, lif, syn))
        cur += x
        spikes.append((cur, float(vdot_at_threshold(I1 - I2, lif))))
        u, ref_end = 0.0, cur + lif.t_ref  # reset, then refractory


def input_events(in_times: np.ndarray, in_counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every input spike of one problem as ``(times (ms), input neuron)``, in time order (ties: neuron order)."""
    neuron, slot = np.nonzero(np.arange(in_times.shape[1]) < in_counts[:, None])
    order = np.argsort(in_times[neuron, slot], kind="stable")
    return in_times[neuron, slot][order], neuron[order]


def simulate_layer_reference(in_times: np.ndarray, in_counts: np.ndarray, W: np.ndarray,
                             lif: LIFParams = LIFParams(), syn: SynapseParams = SynapseParams(),
                             sim: SimParams = SimParams(), *, record_v: bool = False) -> LayerOutput:
    """Readable twin of :func:`simulate_layer`: the same arguments, the same spikes (to ~1e-12 ms).

    For every problem ``b`` of the batch, time is cut at every grid point and
    input spike (the *pieces*); in each piece every neuron of the layer
    advances at once by :func:`free_step`, except the few that cross threshold
    or leave refractoriness inside it, which :func:`neuron_piece` handles one
    by one. At an input spike of neuron ``i`` both current traces of every
    neuron ``j`` jump by ``W[b, j, i]`` (pA). Slow (a Python loop over pieces):
    use it to read and check, :func:`simulate_layer` to compute.

    Parameters and returns as :func:`simulate_layer`; ``in_times`` (ms) must be
    sorted within each train and lie in ``[0, T)``.
    """
    in_times, in_counts, W = np.asarray(in_times, dtype=np.float64), np.asarray(in_counts), np.asarray(W, dtype=float)
    B, n_out, _ = W.shape
    check_layer_budget(in_counts, W, lif, syn, sim, record_v)
    step = propagators(sim.dt, lif, syn)  # a whole step without events: the same for every step
    spikes = [[[] for _ in range(n_out)] for _ in range(B)]
    v = np.zeros((B, n_out, sim.n_steps + 1))
    for b in range(B):
        ev_t, ev_i = input_events(in_times[b], in_counts[b])
        u, I1, I2, ref_end = np.zeros(n_out), np.zeros(n_out), np.zeros(n_out), np.full(n_out, -1.0)
        p = 0  # next input event
        for n in range(sim.n_steps):
            cur, t_b = n * sim.dt, (n + 1) * sim.dt
            while True:
                is_event = p < ev_t.size and ev_t[p] < t_b
                end = ev_t[p] if is_event else t_b  # this piece ends at the next event or grid point
                if end > cur:
                    e1, e2, eL, E1, E2 = step if (cur == n * sim.dt and not is_event) else propagators(end - cur, lif, syn)
                    u_end = u * eL + I1 * E1 - I2 * E2
                    free = ref_end <= cur
                    rare = (free & (u_end >= lif.theta)) | (~free & (ref_end < end))
                    u = np.where(free & ~rare, u_end, u)  # a refractory neuron stays at u = 0
                    I1, I2 = np.where(rare, I1, I1 * e1), np.where(rare, I2, I2 * e2)
                    for j in np.flatnonzero(rare):  # crossings and ends of refractoriness: one by one
                        u[j], I1[j], I2[j], ref_end[j], fired = neuron_piece(u[j], I1[j], I2[j], ref_end[j], cur, end,
                                                                             lif, syn)
                        spikes[b][j] += fired
                    cur = end
                if not is_event:
                    break
                I1, I2 = I1 + W[b, :, ev_i[p]], I2 + W[b, :, ev_i[p]]  # an input spike: both traces jump by W_ji
                p += 1
            if lif.clamp_at_EL:  # V clamped at EL from below, at the grid point (LIFParams.clamp_at_EL)
                u = np.maximum(u, 0.0)
            v[b, :, n + 1] = u
    K = max([len(s) for row in spikes for s in row] + [1])
    times, vdot = np.full((B, n_out, K), np.inf), np.full((B, n_out, K), np.nan)
    counts = np.zeros((B, n_out), dtype=np.int64)
    for b in range(B):
        for j in range(n_out):
            counts[b, j] = len(spikes[b][j])
            for f, (t, vd) in enumerate(spikes[b][j]):
                times[b, j, f], vdot[b, j, f] = t, vd
    return LayerOutput(times=times, counts=counts, vdot=vdot, v=v + lif.EL if record_v else None)


# ---------------------------------------------------------------------------
# The compiled simulator
# ---------------------------------------------------------------------------

def simulate_layer(
    in_times: np.ndarray,
    in_counts: np.ndarray,
    W: np.ndarray,
    lif: LIFParams = LIFParams(),
    syn: SynapseParams = SynapseParams(),
    sim: SimParams = SimParams(),
    *,
    record_v: bool = False,
) -> LayerOutput:
    """Simulate a batch of independent LIF layers driven by input spikes.

    Parameters
    ----------
    in_times : ndarray, shape (B, n_in, K)
        Input spike times (ms) in padded form (+inf padding), each in [0, T).
    in_counts : ndarray of int, shape (B, n_in)
        Spikes per input neuron.
    W : ndarray, shape (B, n_out, n_in)
        Synaptic weights (pA).
    lif, syn, sim : parameter dataclasses
        Neuron, synapse and grid parameters.
    record_v : bool
        Also return the membrane potential on the grid (costs memory
        ``B * n_out * (n_steps + 1)`` floats).

    Returns
    -------
    LayerOutput
        Spike times, counts, dV/dt at each spike and optionally V(t).

    Notes
    -----
    Arguments are assumed validated (use :func:`normad_edu.network.forward`
    for checked input). See the module docstring for the method.

    Raises
    ------
    ValueError
        Before simulating, if a neuron could fire more than
        ``params.MAX_SPIKES_PER_NEURON`` spikes (strong weights with a tiny
        or zero ``t_ref``: the simulation would not finish), or if the
        output buffers or the ``record_v`` traces would exceed
        ``params.MAX_ARRAY_BYTES`` (see
        :func:`normad_edu.limits.check_layer_budget`).
    """
    check_layer_budget(in_counts, W, lif, syn, sim, record_v)
    times, counts, vdot, u = run_layer(in_times, in_counts, W, n_steps=sim.n_steps, dt=sim.dt, theta=lif.theta,
                                       tau1=syn.tau1, tau2=syn.tau2, tau_L=lif.tau_L, C=lif.C, gL=lif.gL,
                                       t_ref=lif.t_ref, T=sim.T, record_v=record_v, clamp=lif.clamp_at_EL)
    return LayerOutput(times=times, counts=counts, vdot=vdot, v=u + lif.EL if record_v else None)
