"""Helpers of the capstone (notebook 10): train a small network, move its input spikes, read its answers.

The capstone asks how a trained spiking network answers input patterns it was
never trained on. These helpers are the working start the notebook gives the
learner; the questions, the measurements and the conclusions are the learner's:

* :func:`train_xor` -- the XOR network of notebook 06 (54 -> 54 -> 1), trained
  on its four patterns; :func:`few_patterns` and :func:`train_patterns` -- a
  few random spike patterns, each with its own desired output time, and a
  network trained on them (for held-out patterns: train on some noisy copies,
  test on others);
* :func:`jitter_pattern` -- a copy of a pattern with every input spike moved
  (independent Gaussian jitter) and/or the whole pattern shifted;
* :func:`respond` -- the trained network's first output spike for a batch of
  patterns (one batched forward pass); :func:`nearest_target` -- the answer
  read as the nearest desired time.

Every random number comes from a ``numpy.random.Generator`` or a seed passed
in. Units: ms, pA.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..experiments import pattern_order_rngs, xor_problems
from ..network import forward
from ..normad import NormADParams
from ..params import DT, LIFParams, SimParams, SynapseParams
from ..result import TrainingResult
from ..setups import XOR_HIDDEN, XORSetup, with_max_iter
from ..spikes import poisson_spike_trains
from ..training import TrainConfig, train
from ..validation import as_rng, check_int, check_nonnegative, check_positive, check_real

__all__ = ["TrainedNetwork", "few_patterns", "jitter_pattern", "nearest_target", "respond", "train_patterns",
           "train_xor"]


@dataclass(frozen=True)
class TrainedNetwork:
    """A network trained on a few input patterns, ready to answer new ones.

    Attributes
    ----------
    weights : list of ndarray
        ``W^l`` of each layer, shape ``(n_l, n_{l-1})`` (pA), after training.
    patterns : list
        The training patterns, each a list of input spike trains (ms).
    desired : list of ndarray
        The desired output train of each pattern (ms), one output neuron.
    converged_at : int or None
        Iteration at which every pattern reached the threshold, None if never.
    lif, syn, sim : LIFParams, SynapseParams, SimParams
        The model the network was trained with (``sim.T`` is the epoch, ms).
    result : TrainingResult
        The training history (correlation per iteration and pattern, ...).
    """

    weights: list
    patterns: list
    desired: list
    converged_at: int | None
    lif: LIFParams
    syn: SynapseParams
    sim: SimParams
    result: TrainingResult

    @property
    def targets(self) -> np.ndarray:
        """The distinct desired output times (ms), sorted: the answers the network was trained to give."""
        return np.unique(np.concatenate([np.asarray(d, dtype=float).reshape(-1) for d in self.desired]))


def _one(result: TrainingResult, patterns, desired, lif, syn, sim) -> TrainedNetwork:
    it = int(result.converged_at[0])
    return TrainedNetwork([np.array(W[0]) for W in result.weights], patterns, desired, it if it >= 0 else None,
                          lif, syn, sim, result)


def train_xor(run: int = 0, *, seed: int = 0, hidden: str = "plastic", max_iter: int = 800,
              setup: XORSetup = XORSetup()) -> TrainedNetwork:
    """Train the XOR network of notebook 06 (54 -> 54 -> 1) from initialisation ``run`` of ``seed``.

    The same network as ``xor_problems(hidden, seed=seed, run_ids=[run])`` trained
    for at most ``max_iter`` iterations (its pattern order from
    :func:`~normad_edu.experiments.pattern_order_rngs`). Patterns in the order
    (0, 0), (0, 1), (1, 0), (1, 1); desired output spike at ``setup.desired_true``
    (ms) when the bits differ, at ``setup.desired_false`` when they are equal.
    """
    run = check_int("run", run, minimum=0)
    max_iter = check_int("max_iter", max_iter, minimum=0)
    if hidden not in XOR_HIDDEN:
        raise ValueError(f"hidden must be one of {XOR_HIDDEN}, got {hidden!r}")
    ex = xor_problems(hidden, seed=seed, run_ids=[run], setup=with_max_iter(setup, max_iter))
    result = ex.run(progress=False)
    return _one(result, ex.inputs[0], [d[0] for d in ex.desired[0]], ex.lif, ex.syn, ex.sim)


def few_patterns(n_patterns: int = 4, *, n_inputs: int = 40, rate: float = 40.0, T: float = 40.0,
                 targets=(20.0, 30.0), seed: int = 0) -> tuple[list, list]:
    """``n_patterns`` random input patterns, each with one desired output time, for held-out tests.

    Each pattern is ``n_inputs`` Poisson trains at ``rate`` Hz over ``T`` ms;
    pattern ``k`` asks for one output spike at ``targets[k % len(targets)]`` (ms).
    Returns ``(patterns, desired)`` with ``desired[k]`` a one-spike array.
    Drawn from ``default_rng([seed, 1000])`` (independent of the network's
    initial weights, which :func:`train_patterns` draws from ``seed`` too).
    """
    n_patterns, n_inputs = check_int("n_patterns", n_patterns), check_int("n_inputs", n_inputs)
    rate, T = check_positive("rate", rate, unit="Hz"), check_positive("T", T, unit="ms")
    targets = [check_positive(f"targets[{k}]", t, unit="ms") for k, t in enumerate(targets)]
    if not targets or max(targets) >= T:
        raise ValueError(f"targets must be a non-empty list of times inside (0, T={T}) ms, got {targets}")
    rng = np.random.default_rng([int(seed), 1000])
    patterns = [poisson_spike_trains(n_inputs, rate, T, rng) for _ in range(n_patterns)]
    return patterns, [np.array([targets[k % len(targets)]]) for k in range(n_patterns)]


def train_patterns(patterns, desired, *, n_hidden: int = 40, seed: int = 0, max_iter: int = 500,
                   T: float | None = None, w_mean: float = 1000.0, w_sd: float = 500.0, frac_excitatory: float = 0.8,
                   r_hidden: float = 300.0, r_out: float = 2000.0, hidden: str = "plastic",
                   threshold: float = 0.98) -> TrainedNetwork:
    """Train an ``n_inputs -> n_hidden -> 1`` network on ``patterns`` with NormAD (online, as XOR in notebook 06).

    ``patterns``: list of input patterns (each a list of spike-time arrays, ms);
    ``desired``: one desired output train (ms) per pattern. Hidden weights
    ``+-w_mean + N(0, w_sd)`` (pA; a fraction ``frac_excitatory`` positive),
    output weights 0, learning rates ``r_hidden`` and ``r_out`` (pA per error
    instant), all drawn from ``default_rng([seed, 0])``. Training stops when
    every pattern's correlation reaches ``threshold`` or after ``max_iter``
    iterations. ``T`` (ms, a multiple of the 0.1 ms step) defaults to the whole ms at least 10 ms after the
    last input or desired spike.
    """
    patterns = [[np.asarray(tr, dtype=float).reshape(-1) for tr in p] for p in patterns]
    desired = [np.asarray(d, dtype=float).reshape(-1) for d in desired]
    if not patterns or len(patterns) != len(desired):
        raise ValueError(f"patterns and desired must be non-empty and of equal length, got {len(patterns)} and "
                         f"{len(desired)}")
    n_in = len(patterns[0])
    if n_in == 0 or any(len(p) != n_in for p in patterns):
        raise ValueError("every pattern must have the same, non-zero number of input trains")
    if hidden not in XOR_HIDDEN:
        raise ValueError(f"hidden must be one of {XOR_HIDDEN}, got {hidden!r}")
    n_hidden, max_iter = check_int("n_hidden", n_hidden), check_int("max_iter", max_iter, minimum=0)
    last = max([tr.max() for p in patterns for tr in p if tr.size] + [d.max() for d in desired if d.size] + [0.0])
    T = float(np.ceil(last + 10.0)) if T is None else check_positive("T", T, unit="ms")
    for name, v in (("w_sd", w_sd), ("r_hidden", r_hidden), ("r_out", r_out)):
        check_nonnegative(name, v, unit="pA")
    check_real("w_mean", w_mean, unit="pA")
    if not 0.0 <= frac_excitatory <= 1.0:
        raise ValueError(f"frac_excitatory must be in [0, 1], got {frac_excitatory}")
    rng = np.random.default_rng([int(seed), 0])
    sign = np.where(rng.random((n_hidden, n_in)) < frac_excitatory, 1.0, -1.0)
    W1 = sign * w_mean + rng.normal(0.0, w_sd, (n_hidden, n_in))
    weights = [W1[None], np.zeros((1, 1, n_hidden))]
    config = TrainConfig(rates=(r_hidden, r_out), plastic=(hidden == "plastic", True), max_iter=max_iter,
                         threshold=threshold, mode="online", raster_every=0)
    lif, syn, sim = LIFParams(), SynapseParams(), SimParams(dt=DT, T=T)
    result = train([patterns], [[[d] for d in desired]], weights, config, lif=lif, syn=syn, sim=sim,
                   params=NormADParams(), rng=pattern_order_rngs(int(seed), [0]), progress=False)
    return _one(result, patterns, desired, lif, syn, sim)


def jitter_pattern(pattern, sd: float = 0.0, rng=None, *, shift: float = 0.0, T: float | None = None) -> list:
    """A copy of ``pattern`` with every spike moved by independent N(0, ``sd``) jitter plus a common ``shift`` (ms).

    A spike moved below 0 (or, with ``T`` in ms, to ``T`` or later) is
    reflected back at that edge, so no spike disappears and no two spikes of a
    train land on the same time; each train is sorted again. Near an edge the
    reflection changes the pattern: a pure shift moves every spike by exactly
    ``shift`` only while all of them stay inside. ``rng``: a
    ``numpy.random.Generator`` or a seed (needed when ``sd > 0``). The input is
    not modified.
    """
    sd = check_nonnegative("sd", sd, unit="ms")
    shift = check_real("shift", shift, unit="ms")
    if T is not None:
        T = check_positive("T", T, unit="ms")
    if sd > 0 and rng is None:
        raise ValueError("rng must be a numpy Generator or a seed when sd > 0 (every random number comes from it)")
    gen = as_rng(rng) if sd > 0 else None
    out = []
    for tr in pattern:
        t = np.asarray(tr, dtype=float).reshape(-1) + shift
        if sd > 0:
            t = t + gen.normal(0.0, sd, t.size)
        for _ in range(8):                               # reflect at the edges until every spike is inside
            t = np.abs(t)
            if T is not None:
                t = np.where(t >= T, 2.0 * T - t - 1e-9, t)
            if np.all(t >= 0):
                break
        t = np.clip(t, 0.0, None if T is None else np.nextafter(T, 0.0))
        out.append(np.sort(t))
    return out


def respond(net: TrainedNetwork, patterns) -> tuple[np.ndarray, np.ndarray]:
    """The trained network's answer to each of ``patterns``: ``(first output spike (ms), inf if silent; spike count)``.

    One batched forward pass (exact simulator) with ``net``'s weights and model;
    returns two arrays of shape ``(len(patterns),)``.
    """
    patterns = list(patterns)
    if not patterns:
        raise ValueError("patterns must hold at least one input pattern")
    rec = forward(patterns, net.weights, net.lif, net.syn, net.sim)
    return rec.output.times[:, 0, 0].copy(), rec.output.counts[:, 0].copy()


def nearest_target(first_spikes, targets) -> np.ndarray:
    """Index of the target time (ms) nearest each first output spike; -1 where the output is silent (``inf``)."""
    first = np.asarray(first_spikes, dtype=float).reshape(-1)
    targets = np.asarray(targets, dtype=float).reshape(-1)
    if targets.size == 0:
        raise ValueError("targets must hold at least one time (ms)")
    idx = np.argmin(np.abs(first[:, None] - targets[None, :]), axis=1)
    return np.where(np.isfinite(first), idx, -1)
