"""Gradient check: the rule's G^l(t) against finite differences of Vhat.

The backward pass (:mod:`normad_edu.normad`) claims to compute

    G^l = d Vhat_k(t) / d W^l,   Vhat_k(t) = EL + sum_j W^L_kj sum_f psihat(t - t_j^f),

where the hidden spike times t_j^f themselves depend on the weights below.
This module measures that claim: it re-simulates the network with every
weight nudged up and down (all perturbed networks in one batched forward
pass), recomputes Vhat with the *moved* hidden spike times, and compares
the central differences with G^l by cosine similarity and norm ratio.

When is the rule exact? When ``tau_L_hat == tau_L`` (so dhat is the true
no-reset response d), no hidden neuron has reset before the spikes that
matter (e.g. a long ``t_ref`` so each hidden neuron fires at most once) and
no hidden spike has ``Vdot < vdot_min`` (the clip changes 1/Vdot; pass a
tiny ``vdot_min`` to remove it): then cosine = 1 and norm ratio = 1 to
rounding. With resets, the rule
ignores a neuron's reset on its own later spikes and the first layers
degrade (a 20-10-5-1 net with several spikes per neuron: first-layer cosine
well below 1); with ``tau_L_hat < tau_L`` the magnitude changes too. The
output layer is always exact (its gradient has no spike-time chain).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .limits import check_array_bytes, first_spike_capacity
from .validation import as_rng, check_positive
from .kernels import psi_hat_kernel
from .network import check_layer_sizes, forward
from .normad import NormADParams, backward
from .params import VDOT_MIN, LIFParams, SimParams, SynapseParams
from .spikes import poisson_spike_trains


def v_hat(record, k: int, t: float, *, tau_L_hat: float, lif: LIFParams, syn: SynapseParams) -> np.ndarray:
    """``Vhat_k(t) - EL`` for every network of a batched forward record (mV)."""
    pre = record.spikes(len(record.layers) - 1)
    W_out = record.weights[-1][:, k, :]  # (B, n_{L-1})
    psi = psi_hat_kernel(t - pre.times, syn.tau1, syn.tau2, lif.C, tau_L_hat)  # inf padding -> 0
    return np.einsum("bj,bjf->b", W_out, psi)


def check_gradient_check_size(sizes: Sequence[int], *, T: float = 100.0, t_ref: float = 2.0, dt: float = 0.1,
                              input_rate: float = 60.0) -> float:
    """Refuse, before anything is drawn or simulated, a :func:`gradient_check` too big for the memory limit.

    The finite differences simulate ``2 P`` networks at once, ``P`` the
    number of weights (each weight nudged up and down), so the work and the
    memory grow as ``P^2``: the perturbed weights ``2 x P x P x 8`` bytes,
    the spike buffers ``2 x P x (n_1 + ... + n_L) x K x 16`` bytes (``K``
    the first allocation of :func:`normad_edu.lif.simulate_layer`) and the
    repeated inputs ``2 x P x n_0 x K_in x 16`` bytes (``K_in`` about the
    largest Poisson count at ``input_rate`` Hz over ``0.6 T``). The sum is
    checked against :data:`normad_edu.params.MAX_ARRAY_BYTES`.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``(n_0, ..., n_L)``.
    T, t_ref, dt : float
        Epoch, refractory period and time step (ms), as :func:`gradient_check` uses them.
    input_rate : float
        Input rate (Hz).

    Returns
    -------
    float
        The estimate (bytes).

    Raises
    ------
    ValueError
        Naming the sizes, the number of weights, the estimate and the limit.
    """
    sizes = check_layer_sizes(sizes)
    P = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    capacity = first_spike_capacity(t_ref, T, dt)
    mean = input_rate * 0.6 * T / 1000.0
    k_in = math.ceil(mean + 6.0 * math.sqrt(mean)) + 1
    n_bytes = 2.0 * P * (8.0 * P + 16.0 * sum(sizes[1:]) * capacity + 16.0 * sizes[0] * k_in)
    check_array_bytes(n_bytes, f"sizes = {','.join(map(str, sizes))}: the finite differences simulate 2 x {P} "
                               f"networks (every one of the {P} weights nudged up and down), which",
                      "check a smaller network (the default 20,10,5,1 has 255 weights)")
    return n_bytes


def gradient_check(
    sizes: Sequence[int] = (20, 10, 5, 1),
    *,
    t_ref: float = 2.0,
    tau_L_hat: float | None = None,
    T: float = 100.0,
    t: float | None = None,
    input_rate: float = 60.0,
    drive: float = 35_000.0,
    rel_step: float = 1e-4,
    seed: int | None = 0,
    vdot_min: float = VDOT_MIN,
    lif: LIFParams | None = None,
    syn: SynapseParams = SynapseParams(),
    dt: float = 0.1,
) -> dict:
    """Compare G^l of the backward pass with central finite differences of Vhat.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes ``(n_0, ..., n_L)``.
    t_ref : float
        Refractory period (ms); a long one (> T) makes each hidden neuron
        fire at most once, the case where the rule is exact.
    tau_L_hat : float, optional
        tau_L' of the rule (ms); default tau_L (exact case).
    T : float
        Epoch (ms). Inputs are Poisson at ``input_rate`` Hz over the first 60 %.
    t : float, optional
        The error instant (ms); default 0.8 T.
    drive : float
        Weights of layer l are U(0, drive / n_{l-1}) pA (output layer: random
        sign), which makes hidden layers fire for the default sizes.
    rel_step : float
        Finite-difference step relative to the largest weight of the layer.
    seed : int or None
        Seed of inputs and weights.
    vdot_min : float
        Lower clip of Vdot at hidden spikes used by the rule (mV/ms), as in
        :class:`~normad_edu.params.NormADParams`. A hidden spike with a
        slower crossing makes the rule differ from the true derivative; pass
        a tiny value (e.g. 1e-9) to check the recursion itself.
    lif, syn, dt : model parameters (``lif`` overrides ``t_ref``).

    Returns
    -------
    dict
        ``layers``: list of ``{"layer", "cosine", "norm_ratio", "n_weights",
        "discontinuous"}`` (the last counts weights whose nudge changed a
        spike count, where a derivative does not exist), plus ``spike_counts``
        per layer and the configuration.

    Raises
    ------
    ValueError
        For bad arguments, and before anything is simulated for a network
        whose finite differences exceed the memory limit
        (:func:`check_gradient_check_size`; the cost grows as the square of
        the number of weights).
    """
    sizes = check_layer_sizes(sizes)
    lif = lif if lif is not None else LIFParams(t_ref=t_ref)
    tau_L_hat = lif.tau_L if tau_L_hat is None else check_positive("tau_L_hat", tau_L_hat, unit="ms")
    T = check_positive("T", T, unit="ms")
    t = 0.8 * T if t is None else check_positive("t", t, unit="ms")
    sim = SimParams(dt=dt, T=T)
    check_gradient_check_size(sizes, T=T, t_ref=lif.t_ref, dt=sim.dt, input_rate=input_rate)
    rng = as_rng(seed)
    x = poisson_spike_trains(sizes[0], input_rate, 0.6 * T, rng)
    Ws = [rng.uniform(0, drive / sizes[l - 1], (sizes[l], sizes[l - 1])) for l in range(1, len(sizes))]
    Ws[-1] *= np.where(rng.random(Ws[-1].shape) < 0.8, 1.0, -1.0)
    params = NormADParams(tau_L_hat=tau_L_hat, vdot_min=vdot_min)
    L = len(Ws)
    base = forward(x, Ws, lif, syn, sim)
    k = 0
    G = backward(base, np.array([[[t]] * sizes[-1]]), np.array([[[1]] + [[0]] * (sizes[-1] - 1)]), np.ones(L),
                 np.ones(L, dtype=bool), lif=lif, syn=syn, params=params, normalize=False)
    # every perturbed network (+ and - for each weight) in one batched forward pass
    where = [(l, idx, rel_step * max(np.abs(W).max(), 1.0)) for l, W in enumerate(Ws) for idx in np.ndindex(W.shape)]
    rec = []
    for sign in (1.0, -1.0):
        stacked = [np.repeat(W[None], len(where), axis=0) for W in Ws]
        for q, (l, idx, step) in enumerate(where):
            stacked[l][(q,) + idx] += sign * step
        rec.append(forward(x, stacked, lif, syn, sim))
    vp, vm = (v_hat(r, k, t, tau_L_hat=tau_L_hat, lif=lif, syn=syn) for r in rec)
    changed = np.zeros(len(where), dtype=bool)
    for l in range(L - 1):
        base_c = base.layers[l].counts[0]
        changed |= (rec[0].layers[l].counts != base_c).any(axis=1) | (rec[1].layers[l].counts != base_c).any(axis=1)
    fd = [np.zeros_like(W) for W in Ws]
    n_disc = [0] * L
    for q, (l, idx, step) in enumerate(where):
        fd[l][idx] = (vp[q] - vm[q]) / (2 * step)
        n_disc[l] += int(changed[q])
    layers = []
    for l in range(L):
        g, f = G[l][0].ravel(), fd[l].ravel()
        ng, nf = np.linalg.norm(g), np.linalg.norm(f)
        cos = float(g @ f / (ng * nf)) if ng > 0 and nf > 0 else float("nan")
        layers.append({"layer": l + 1, "cosine": cos, "norm_ratio": float(ng / nf) if nf > 0 else float("nan"),
                       "n_weights": int(g.size), "discontinuous": n_disc[l]})
    return {
        "sizes": list(sizes), "t_ref": lif.t_ref, "tau_L": lif.tau_L, "tau_L_hat": tau_L_hat, "t": t, "T": T,
        "seed": seed, "vdot_min": params.vdot_min, "spike_counts": [int(lay.counts.sum()) for lay in base.layers], "layers": layers,
    }
