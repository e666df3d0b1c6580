"""Size limits checked before long loops and large allocations (units: bytes, spikes per neuron).

The limits themselves are in :mod:`normad_edu.params` (``MAX_STEPS``,
``MAX_SPIKES_PER_NEURON``, ``MAX_ARRAY_BYTES``) and are read at call time, so
a user with a big machine may raise them, e.g.
``normad_edu.params.MAX_ARRAY_BYTES = 8 * 2**30``. A check turns a hang or a
bare ``MemoryError`` into a ``ValueError`` that names the argument, the size
and the limit, before anything is allocated or simulated.
"""

from __future__ import annotations

import math

import numpy as np

from . import params


def check_array_bytes(n_bytes: float, what: str, hint: str, *, limit: float | None = None) -> None:
    """Raise ``ValueError`` if an allocation of about ``n_bytes`` exceeds ``limit``.

    ``limit`` defaults to :data:`normad_edu.params.MAX_ARRAY_BYTES`, read at
    call time. ``what`` names the argument(s) and the array ("record_v=True:
    V(t) of 3 x 100 neurons x 5001 samples"), ``hint`` says what to change.
    """
    limit = params.MAX_ARRAY_BYTES if limit is None else limit
    if n_bytes > limit:
        raise ValueError(f"{what} would need about {n_bytes / 2**30:.3g} GiB, above the limit of "
                         f"{limit / 2**30:.3g} GiB (MAX_ARRAY_BYTES in normad_edu.params); {hint}")


def first_spike_capacity(t_ref: float, T: float, dt: float) -> int:
    """Spike slots per neuron the simulator allocates first, ``min(256, ceil(T / max(t_ref, dt)) + 1)`` (ms in).

    The compiled simulator (``normad_edu._engine.simulate``) grows them when a
    neuron fires more; the buffers of a layer of ``B x n`` neurons start at
    ``16 B n`` times this many bytes (spike times and dV/dt).
    """
    return min(256, math.ceil(T / max(t_ref, dt)) + 1)


def check_layer_budget(in_counts: np.ndarray, W: np.ndarray, lif, syn, sim, record_v: bool) -> None:
    """Refuse a layer simulation that could hang or exhaust memory, before it starts.

    ``in_counts`` ``(B, n_in)`` input spike counts, ``W`` ``(B, n_out, n_in)``
    weights (pA). Checks (limits from :mod:`normad_edu.params`, read at call
    time):

    * the spikes one neuron can fire in the epoch: at most
      ``ceil(T / t_ref) + 1`` and at most the charge bound
      ``sum_i max(W_ji, 0) n_i (tau1 - tau2) / (C (VT - EL))`` (between a
      reset and the next threshold crossing V rises by ``VT - EL`` with
      ``dV/dt <= I / C`` while V is above rest, and input spike ``i`` of
      ``n_i`` brings at most the charge ``W_ji (tau1 - tau2)``), against
      ``MAX_SPIKES_PER_NEURON``;
    * the output spike buffers ``2 x B x n_out x K x 8`` bytes and, with
      ``record_v``, the traces ``2 x B x n_out x (n_steps + 1) x 8`` bytes,
      against ``MAX_ARRAY_BYTES``.

    The charge bound costs one pass over ``W`` and is only computed when the
    refractory bound alone would fail a check.
    """
    B, n_out, _ = W.shape
    k_ref = math.ceil(sim.T / lif.t_ref) + 1 if lif.t_ref > 0 else math.inf
    capacity = first_spike_capacity(lif.t_ref, sim.T, sim.dt)  # what simulate_layer allocates first
    neurons = float(B) * float(n_out)
    k = k_ref
    if k > params.MAX_SPIKES_PER_NEURON or 16.0 * neurons * max(capacity, k) > params.MAX_ARRAY_BYTES:
        with np.errstate(over="ignore", invalid="ignore"):
            charge = np.einsum("bji,bi->bj", np.maximum(W, 0.0), np.asarray(in_counts, dtype=np.float64))
            k_charge = float(charge.max(initial=0.0)) * (syn.tau1 - syn.tau2) / (lif.C * lif.theta)
        k = min(k, math.floor(k_charge) + 1)
    if k > params.MAX_SPIKES_PER_NEURON:
        w_max = float(np.max(W, initial=0.0))
        raise ValueError(
            f"with weights up to {w_max:.3g} pA, t_ref = {lif.t_ref:g} ms and T = {sim.T:g} ms a neuron could fire "
            f"up to {k:.3g} spikes per epoch, above MAX_SPIKES_PER_NEURON = {params.MAX_SPIKES_PER_NEURON:.3g} "
            "(normad_edu.params); the simulation would not finish in reasonable time. Use smaller weights or a refractory "
            "period t_ref > 0")
    check_array_bytes(16.0 * neurons * max(capacity, k),
                      f"the output spike buffers of B x n_out = {B} x {n_out} neurons (W of shape {W.shape}) with room "
                      f"for up to {max(capacity, k):.3g} spikes per neuron",
                      "simulate fewer neurons or problems per call")
    if record_v:
        check_array_bytes(16.0 * neurons * (sim.n_steps + 1),
                          f"record_v=True: V(t) of B x n_out = {B} x {n_out} neurons at {sim.n_steps + 1} grid times",
                          "use record_v=False, fewer neurons, a shorter T or a larger dt")
