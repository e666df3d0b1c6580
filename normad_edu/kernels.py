"""Synaptic and membrane kernels in closed form (paper Eqs. 1-3).

All kernels take time ``t`` in ms (a scalar or an array; the result has the
same shape) and are zero for ``t < 0``.

=============  ===========================================  =========
kernel         definition                                   unit
=============  ===========================================  =========
``alpha``      ``exp(-t/tau1) - exp(-t/tau2)``              1
``h``          ``exp(-t/tau_L) / C``                        1/pF
``h_hat``      ``h`` with ``tau_L_hat`` in place of tau_L    1/pF
``psi``        ``alpha * h`` (convolution)                  ms/pF
``psi_hat``    ``alpha * h_hat``                            ms/pF
=============  ===========================================  =========

:func:`free_potential` sums them into the no-reset membrane potential
``EL + sum_i W_i d_i(t)`` of a neuron (mV).

A weight ``W`` (pA) times ``psi`` gives mV: ``W psi(t - t_f)`` is the
membrane response to one input spike at ``t_f`` when the neuron does not
reset. ``psi`` is a sum of exponentials::

    psi(t) = [E(t; tau1) - E(t; tau2)] / C,
    E(t; tau) = int_0^t exp(-s/tau) exp(-(t-s)/tau_L) ds
              = (exp(-t/tau) - exp(-t/tau_L)) / (1/tau_L - 1/tau),

which we evaluate as ``t exp(-t/tau_L) phi(-t (1/tau - 1/tau_L))`` with
``phi(x) = expm1(x)/x``: this is accurate to rounding for every pair of time
constants and gives the limit ``E = t exp(-t/tau_L)`` when ``tau == tau_L``
without a special case. The derivative follows from the ODE ``C dV/dt =
-gL V + I``:  ``psi'(t) = alpha(t)/C - psi(t)/tau_L``.

The compiled simulator and backward pass use scalar numba twins of these
formulas (:mod:`normad_edu._engine.kernels`); ``tests/test_kernels.py``
pins them to the functions here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validation import check_finite_array, check_positive
from .params import C as C_DEFAULT
from .params import GL, TAU1, TAU2, TAU_L_HAT

TAU_L = C_DEFAULT / GL


def _check_synapse(tau1, tau2):
    tau1 = check_positive("tau1", tau1, unit="ms")
    tau2 = check_positive("tau2", tau2, unit="ms")
    if tau1 <= tau2:
        raise ValueError(f"tau1 must be > tau2, got tau1={tau1} ms and tau2={tau2} ms")
    return tau1, tau2


def _as_time(t) -> np.ndarray:
    arr = np.asarray(t, dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError("t must not contain NaN")
    return arr


def _out(arr: np.ndarray, t):
    return arr if np.ndim(t) else float(arr)


def exp_filter(t: np.ndarray, tau: float, tau_L: float) -> np.ndarray:
    """``E(t; tau) = int_0^t e^{-s/tau} e^{-(t-s)/tau_L} ds`` (ms) for ``t >= 0`` (no step function).

    The response of the leaky membrane (time constant ``tau_L``) to a
    current trace that decays with ``tau``: ``psi = (E(t; tau1) - E(t; tau2)) / C``,
    and the exact simulator's propagator (:func:`normad_edu.lif.propagators`).

    ``E`` is symmetric in ``tau`` and ``tau_L``; factoring out the slower of
    the two exponentials keeps ``x <= 0``, so ``expm1(x)`` cannot overflow
    for large ``t`` (it did for ``tau > tau_L``, e.g. ``psi_hat(4000 ms)``
    was NaN). ``E(inf) = 0``.
    """
    x = -t * abs(1.0 / tau - 1.0 / tau_L)
    small = np.abs(x) < 1e-8
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(small, 1.0 + 0.5 * x, np.expm1(x) / np.where(small, 1.0, x))
        val = t * np.exp(-t / max(tau, tau_L)) * phi
    return np.where(np.isinf(t), 0.0, val)


def alpha_kernel(t, tau1: float = TAU1, tau2: float = TAU2):
    """Synaptic kernel of paper Eq. (1).

    Parameters
    ----------
    t : float or array_like
        Time since the presynaptic spike (ms).
    tau1, tau2 : float
        Decay and rise time constants (ms), ``tau1 > tau2 > 0``.

    Returns
    -------
    float or ndarray
        ``alpha(t) = [exp(-t/tau1) - exp(-t/tau2)] u(t)`` (dimensionless),
        same shape as ``t``.
    """
    tau1, tau2 = _check_synapse(tau1, tau2)
    tt = _as_time(t)
    pos = np.maximum(tt, 0.0)
    val = np.where(tt >= 0, np.exp(-pos / tau1) - np.exp(-pos / tau2), 0.0)
    return _out(val, t)


def alpha_kernel_dot(t, tau1: float = TAU1, tau2: float = TAU2):
    """Time derivative of :func:`alpha_kernel` (1/ms); 0 for ``t < 0``."""
    tau1, tau2 = _check_synapse(tau1, tau2)
    tt = _as_time(t)
    pos = np.maximum(tt, 0.0)
    val = np.where(tt >= 0, -np.exp(-pos / tau1) / tau1 + np.exp(-pos / tau2) / tau2, 0.0)
    return _out(val, t)


def h_kernel(t, C: float = C_DEFAULT, tau_L: float = TAU_L):
    """Impulse response of the leaky membrane, ``h(t) = exp(-t/tau_L) u(t) / C``.

    Parameters
    ----------
    t : float or array_like
        Time (ms).
    C : float
        Capacitance (pF).
    tau_L : float
        Membrane time constant (ms). Pass ``tau_L_hat`` to get ``h_hat``.

    Returns
    -------
    float or ndarray
        ``h(t)`` in 1/pF, same shape as ``t``.
    """
    C = check_positive("C", C, unit="pF")
    tau_L = check_positive("tau_L", tau_L, unit="ms")
    tt = _as_time(t)
    val = np.where(tt >= 0, np.exp(-np.maximum(tt, 0.0) / tau_L) / C, 0.0)
    return _out(val, t)


def h_hat_kernel(t, C: float = C_DEFAULT, tau_L_hat: float = TAU_L_HAT):
    """``h_hat(t) = exp(-t/tau_L_hat) u(t) / C`` (1/pF): ``h`` with the
    effective time constant tau_L' used by NormAD (reconstructed)."""
    return h_kernel(t, C=C, tau_L=tau_L_hat)


def psi_kernel(t, tau1: float = TAU1, tau2: float = TAU2, C: float = C_DEFAULT, tau_L: float = TAU_L):
    """Membrane response to one input spike, ``psi = alpha * h`` (ms/pF).

    Parameters
    ----------
    t : float or array_like
        Time since the presynaptic spike (ms).
    tau1, tau2 : float
        Synaptic time constants (ms), ``tau1 > tau2 > 0``.
    C : float
        Capacitance (pF).
    tau_L : float
        Membrane time constant (ms); any positive value, including ``tau1``
        or ``tau2`` (handled as the analytic limit).

    Returns
    -------
    float or ndarray
        ``psi(t)``, same shape as ``t``; ``W * psi`` is in mV for W in pA.

    Notes
    -----
    ``psi(t) = [E(t; tau1) - E(t; tau2)] / C`` with
    ``E(t; tau) = (exp(-t/tau) - exp(-t/tau_L)) / (1/tau_L - 1/tau)``.
    """
    tau1, tau2 = _check_synapse(tau1, tau2)
    C = check_positive("C", C, unit="pF")
    tau_L = check_positive("tau_L", tau_L, unit="ms")
    tt = _as_time(t)
    pos = np.maximum(tt, 0.0)
    val = (exp_filter(pos, tau1, tau_L) - exp_filter(pos, tau2, tau_L)) / C
    return _out(np.where(tt >= 0, val, 0.0), t)


def psi_kernel_dot(t, tau1: float = TAU1, tau2: float = TAU2, C: float = C_DEFAULT, tau_L: float = TAU_L):
    """Time derivative ``psi'(t) = alpha(t)/C - psi(t)/tau_L`` (1/pF)."""
    a = np.asarray(alpha_kernel(t, tau1, tau2))
    p = np.asarray(psi_kernel(t, tau1, tau2, C, tau_L))
    return _out(a / C - p / tau_L, t)


def psi_hat_kernel(t, tau1: float = TAU1, tau2: float = TAU2, C: float = C_DEFAULT, tau_L_hat: float = TAU_L_HAT):
    """``psi_hat = alpha * h_hat`` (ms/pF): :func:`psi_kernel` with tau_L'."""
    return psi_kernel(t, tau1, tau2, C, tau_L_hat)


def psi_hat_kernel_dot(t, tau1: float = TAU1, tau2: float = TAU2, C: float = C_DEFAULT, tau_L_hat: float = TAU_L_HAT):
    """Time derivative of :func:`psi_hat_kernel` (1/pF)."""
    return psi_kernel_dot(t, tau1, tau2, C, tau_L_hat)


def free_potential(t, trains: Sequence, weights, lif=None, syn=None) -> np.ndarray:
    """No-reset potential ``V(t) = EL + sum_i W_i d_i(t)`` (mV), in closed form.

    ``d_i(t) = (c_i * h)(t) = sum_f psi(t - t_i^f)`` with
    :func:`normad_edu.kernels.psi_kernel`; this is the exact solution of
    ``C dV/dt = -gL (V - EL) + I(t)`` from ``V(0) = EL`` when the neuron
    never resets.

    Parameters
    ----------
    t : array_like
        Times (ms).
    trains : list of array_like
        Input spike times (ms), one train per synapse.
    weights : array_like, shape (n_inputs,)
        Weights (pA).
    lif, syn : LIFParams, SynapseParams, optional
        Neuron and synapse parameters (defaults: the paper's).

    Returns
    -------
    ndarray
        Same shape as ``t`` (mV).
    """
    from .params import LIFParams, SynapseParams
    from .spikes import as_population

    lif = LIFParams() if lif is None else lif
    syn = SynapseParams() if syn is None else syn
    tt = check_finite_array("t", t)
    w = check_finite_array("weights", weights, ndim=1)
    pops = as_population(trains)
    if len(pops) != w.size:
        raise ValueError(f"need one weight per spike train, got {w.size} weights for {len(pops)} trains")
    spikes = np.concatenate([np.empty(0), *pops])
    w_spike = np.concatenate([np.empty(0), *(np.full(tr.size, wi) for wi, tr in zip(w, pops))])
    flat = tt.reshape(-1)
    u = np.zeros(flat.size)
    for a in range(0, spikes.size, 256):  # chunks keep the (n_t, n_spikes) matrix small
        s = spikes[a:a + 256]
        u += psi_kernel(flat[:, None] - s[None, :], syn.tau1, syn.tau2, lif.C, lif.tau_L) @ w_spike[a:a + 256]
    return (lif.EL + u).reshape(tt.shape)
