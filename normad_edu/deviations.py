"""Labelled deviations from the paper's training procedure (all off by default).

The paper trains with constant learning rates and nothing else. These
changes were studied as levers (``normad_edu.research.study``) and stay
available as opt-in fields of :class:`~normad_edu.training.TrainConfig`;
none of them is used by the shipped results. Units: pA, iterations.

* ``rate_decay`` -- every rate multiplied by ``1 / (1 + it / rate_decay)``
  (:meth:`TrainConfig.rates_at <normad_edu.training.TrainConfig.rates_at>`).
* ``adaptive_step`` -- a "bold driver" step size per problem
  (:class:`AdaptiveStep`).
* ``homeostasis`` -- hidden neurons pulled back towards their initial
  activity (:class:`Homeostasis`).
"""

from __future__ import annotations

import numpy as np


class AdaptiveStep:
    """A step multiplier ``m`` per problem (the "bold driver" heuristic).

    Each problem starts at ``m = 1``. After an iteration whose mean
    correlation fell below the previous iteration's, ``m`` becomes ``m f``;
    otherwise ``min(1, m / sqrt(f))``. The layers selected by ``layers``
    ("all" or "hidden") learn with ``m r_l``.

    Parameters
    ----------
    P, L : int
        Problems and LIF layers.
    f : float
        The shrink factor, in (0, 1).
    layers : {"all", "hidden"}
    """

    def __init__(self, P: int, L: int, f: float, layers: str = "all"):
        self.f = f
        self.m, self.prev_corr = np.ones(P), np.full(P, -np.inf)
        self.layers = np.arange(L) < (L - 1 if layers == "hidden" else L)

    def observe(self, problems: np.ndarray, correlation: np.ndarray) -> None:
        """Update ``m`` of ``problems`` from their mean correlation this iteration."""
        fell = correlation < self.prev_corr[problems]
        m = self.m[problems]
        self.m[problems] = np.where(fell, m * self.f, np.minimum(1.0, m / np.sqrt(self.f)))
        self.prev_corr[problems] = correlation

    def scale(self, dW: np.ndarray, l: int, active: np.ndarray) -> np.ndarray:
        """``dW`` ``(A, n, m)`` of layer index ``l`` for the ``active`` problems, times their ``m`` (if l is scaled)."""
        return dW * self.m[active][:, None, None] if self.layers[l] else dW


class Homeostasis:
    """Activity homeostasis of plastic hidden layers, a step ``h`` (pA) per iteration at full deficit.

    After every update, the incoming weights of each hidden neuron all move
    by ``h * clip((c0 - c) / max(c0, 1), -1, 1)``, with ``c`` its spikes this
    iteration and ``c0`` at iteration 0 (summed over patterns).
    """

    def __init__(self, h: float):
        self.h = h
        self.c0: dict = {}  # hidden layer l -> spikes of every neuron at iteration 0, (P, n_l)

    def apply(self, state, ev, active: np.ndarray, done: np.ndarray) -> None:
        """Move the weights of ``state`` (a :class:`~normad_edu.training.TrainingState`) after evaluation ``ev``."""
        A0, M = done.size, state.M
        for l in range(1, state.L):  # hidden layers 1 .. L-1, W^l feeds layer l
            if not state.plastic[l - 1]:
                continue
            c = state.layer_counts(ev.record, ev.idx_problem, ev.idx_pattern, l).reshape(A0, M, -1).sum(axis=1)
            if l not in self.c0:
                self.c0[l] = np.zeros((state.P, c.shape[1]))
                self.c0[l][ev.idx_problem.reshape(A0, M)[:, 0]] = c
            c0 = self.c0[l][active]
            deficit = np.clip((c0 - c[~done]) / np.maximum(c0, 1.0), -1.0, 1.0)
            state.Ws[l - 1][active] += self.h * deficit[:, :, None]
