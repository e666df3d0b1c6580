"""ReSuMe, the baseline NormAD is compared with (Ponulak & Kasinski 2010).

Remote Supervised Method for the output layer, on the same neuron code::

    dW_i = r * sum_{error instants t} e(t) [ a + sum_{f: t_i^f < t} exp(-(t - t_i^f) / tau_R) ]

with e(t) = +1 at a missed desired spike and -1 at an extra output spike:
an STDP-like exponential learning window of time constant ``tau_R`` plus a
non-Hebbian term ``a``. Unlike NormAD there is no normalisation, and the
window does not know the synaptic kernel or the membrane filter. The
learning rate ``r`` is in pA per error instant, as for NormAD.
"""

from __future__ import annotations

import numpy as np

from .validation import check_nonnegative, check_positive
from .network import ForwardRecord
from .normad import NormADParams, check_desired, error_instants_padded
from .params import LIFParams, SimParams

#: Time constant of the ReSuMe learning window (ms).
TAU_R = 5.0
#: Non-Hebbian term of ReSuMe (dimensionless, relative to a window peak of 1).
A_NON_HEBBIAN = 0.05


def resume_update(
    record: ForwardRecord,
    desired: tuple[np.ndarray, np.ndarray],
    rate: float,
    *,
    tau_R: float = TAU_R,
    a: float = A_NON_HEBBIAN,
    lif: LIFParams = LIFParams(),
    sim: SimParams = SimParams(),
    params: NormADParams = NormADParams(),
    instants: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[np.ndarray]:
    """ReSuMe weight update of the output layer (hidden layers get zeros).

    Parameters
    ----------
    record : ForwardRecord
        A batched forward pass.
    desired : (times, counts)
        Desired output spikes, padded ``(B, n_L, K)`` and ``(B, n_L)``.
    rate : float
        Learning rate r (pA per error instant), >= 0.
    tau_R : float
        Learning-window time constant (ms), > 0.
    a : float
        Non-Hebbian term, >= 0.
    lif, sim, params : parameter dataclasses (coincidence tolerance from ``params``).
    instants : (err_t, err_s), optional
        The padded error instants of ``record`` against ``desired`` when the
        caller has them (:func:`normad_edu.training.train` does); then
        ``desired`` is not checked or used again.

    Returns
    -------
    list of ndarray
        ``dW^l`` (pA) for every layer, zeros except the output layer.
    """
    rate = check_nonnegative("rate", rate, unit="pA")
    tau_R = check_positive("tau_R", tau_R, unit="ms")
    a = check_nonnegative("a", a)
    out = record.output
    if instants is None:
        d_times, d_counts = check_desired(desired, out.counts.shape, sim.T)
        instants = error_instants_padded(d_times, d_counts, out.times, out.counts, *params.bins(sim))
    err_t, err_s = instants
    pre = record.spikes(len(record.layers) - 1)
    # lag[b, k, e, i, f] = t_e - t_i^f; the window counts presynaptic spikes before t_e
    t_e = np.where(err_s != 0, err_t, 0.0)[:, :, :, None, None]
    lag = t_e - pre.times[:, None, None, :, :]
    with np.errstate(invalid="ignore", over="ignore"):
        window = np.where(lag > 0, np.exp(-np.where(lag > 0, lag, 0.0) / tau_R), 0.0).sum(axis=-1)
    factor = err_s[..., None].astype(np.float64) * (a + window)  # (B, n_L, E, n_{L-1})
    dW_out = rate * factor.sum(axis=2)
    dWs = [np.zeros_like(W) for W in record.weights]
    dWs[-1] = dW_out
    return dWs
