"""What the gradient rules (:mod:`~normad_edu.spikeprop`, :mod:`~normad_edu.surrogate`,
:mod:`~normad_edu.eventprop`) share: argument checks and the descent step.

Every gradient rule computes ``g^l = dE/dW^l`` of its loss ``E`` and turns it
into a weight update with one of two steps (``step``):

* ``"gradient"``: plain gradient descent, ``dW^l = -r_l g^l``. ``r_l`` then
  has the unit pA^2 per unit of ``E`` (a spike-time loss in ms^2: pA^2/ms^2).
* ``"normalized"``: ``dW^l = -r_l g^l / ||g^l||_F`` for every problem of the
  batch (nothing where ``g^l = 0``), so ``r_l`` is in pA, as for NormAD, and
  every update of a layer moves its weights by exactly ``r_l``. NormAD
  normalises per error instant; this normalises the whole pattern's gradient.
* ``"per-error"``: ``dW^l = -r_l n_e g^l / ||g^l||_F`` with ``n_e`` the number
  of NormAD error instants of the pattern (:func:`normad_edu.normad.error_instants`
  with the coincidence bins of ``NormADParams``): NormAD's step length
  (``r_l`` pA per error instant, nothing once the output is right) along
  the rule's own direction.
"""

from __future__ import annotations

import numpy as np

from ._engine.error_instants import error_instants_padded
from .network import ForwardRecord
from .normad import NormADParams, check_desired, check_rates_and_plastic

#: The two ways a gradient becomes a weight update (see the module docstring).
STEPS = ("gradient", "normalized", "per-error")


def check_step(step: str) -> str:
    """``step`` if it is one of :data:`STEPS`, else ValueError."""
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, got {step!r}")
    return step


def check_rule_args(record, desired, rates, plastic, T: float):
    """Validate the arguments every update rule receives.

    Returns ``(rates (L,), plastic (L,), d_times (B, n_L, K), d_counts (B, n_L))``.
    """
    if not isinstance(record, ForwardRecord):
        raise TypeError(f"record must be a ForwardRecord from network.forward, got {type(record).__name__}")
    r, flags = check_rates_and_plastic(len(record.layers), rates, plastic)
    d_times, d_counts = check_desired(desired, record.output.counts.shape, T)
    return r, flags, d_times, d_counts


def error_counts(record: ForwardRecord, d_times: np.ndarray, d_counts: np.ndarray, params, sim) -> np.ndarray:
    """Number of NormAD error instants of every problem, ``(B,)`` (bins of ``params``, default NormADParams())."""
    params = NormADParams() if params is None else params
    out = record.output
    _, err_s = error_instants_padded(d_times, d_counts, out.times, out.counts, *params.bins(sim))
    return (err_s != 0).sum(axis=(1, 2))


def descent(grads: list[np.ndarray], rates: np.ndarray, plastic: np.ndarray, step: str,
            n_errors: np.ndarray | None = None) -> list[np.ndarray]:
    """The weight updates ``dW^l`` (pA) of gradients ``grads[l]`` ``(B, n_l, n_{l-1})``.

    ``step="gradient"``: ``-r_l g^l``; ``"normalized"``: ``-r_l g^l / ||g^l||_F``
    per problem (0 where the gradient is 0); ``"per-error"``: that times
    ``n_errors`` (B,). Frozen layers get zeros.
    """
    out = []
    for g, r, p in zip(grads, rates, plastic):
        if not p:
            out.append(np.zeros_like(g))
        elif step == "gradient":
            out.append(-r * g)
        else:
            norm = np.sqrt(np.sum(g * g, axis=(1, 2)))[:, None, None]
            scale = r if step == "normalized" else r * np.asarray(n_errors, dtype=np.float64)[:, None, None]
            out.append(np.where(norm > 0, -scale * g / np.where(norm > 0, norm, 1.0), 0.0))
    return out


def apply_step(grads, record, desired, rates, plastic, step, params, sim, instants=None) -> list[np.ndarray]:
    """:func:`descent` with the error counts of ``record`` when ``step == "per-error"`` (validated arguments).

    ``instants``: the padded error instants ``(err_t, err_s)`` of ``record`` when the caller has them
    (:func:`normad_edu.training.train` does), so they are not computed again.
    """
    n = None
    if step == "per-error":
        n = (error_counts(record, desired[0], desired[1], params, sim) if instants is None
             else (np.asarray(instants[1]) != 0).sum(axis=(1, 2)))
    return descent(grads, rates, plastic, step, n)
