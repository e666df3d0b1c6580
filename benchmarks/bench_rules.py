"""Time per training iteration of every learning rule, as a ratio to NormAD timed in the same run.

For each problem family -- single neuron 100 -> 1 (T = 500 ms), XOR
54 -> 54 -> 1 (T = 40 ms, the 4 patterns of a problem in one batch) and the
generic 100 -> 50 -> 25 -> 1 (T = 500 ms, every layer plastic) -- a batch of
``--batch`` problems is simulated once (:func:`normad_edu.network.forward`),
then every rule computes its update from that record:

* ``normad``: :func:`normad_edu.normad.normad_update` (compiled engine);
* ``resume``: the ReSuMe baseline (output layer only);
* ``spikeprop``, ``eventprop``: the rules of :mod:`normad_edu.spikeprop`
  and :mod:`normad_edu.eventprop` (NumPy over spike pairs, a Python loop
  over the problems of the batch);
* ``surrogate``: :mod:`normad_edu.surrogate` with its compiled time loops
  (it re-simulates its discretised network, so its update includes a
  forward pass of its own), and ``surrogate-numpy``, the same rule through
  the readable NumPy loops (the reason the compiled twin exists).

Output weights are drawn so that the outputs fire (U(0, w_out) pA), since
spikes are what the event-based rules cost. Printed per rule: ms per problem
for the update alone and for a whole iteration (forward + update), and the
iteration's ratio to NormAD's. Timings are the minimum over ``--repeats``
calls.

Usage::

    python benchmarks/bench_rules.py [--batch 10] [--repeats 3] [--seed 0] [--problems single,xor,deep]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from normad_edu.eventprop import eventprop_rule
from normad_edu.experiments import deep_problems, single_problems, xor_problems
from normad_edu.network import forward
from normad_edu.spikeprop import spikeprop_rule
from normad_edu.spikes import stack_padded
from normad_edu.surrogate import surrogate_gradient, surrogate_rule
from normad_edu.training import UPDATE_RULES



def surrogate_numpy(record, desired, rates, plastic, *, lif, syn, sim, params):
    """The surrogate gradient through the NumPy loops (the step itself is negligible)."""
    return surrogate_gradient((record.inputs.times, record.inputs.counts), record.weights, desired, lif=lif, syn=syn,
                              sim=sim, compiled=False)[0]


RULES = {"normad": UPDATE_RULES["normad"], "resume": UPDATE_RULES["resume"], "spikeprop": spikeprop_rule,
         "eventprop": eventprop_rule, "surrogate": surrogate_rule, "surrogate-numpy": surrogate_numpy}


def best_of(fn, repeats: int) -> float:
    """Minimum wall time (s) of ``repeats`` calls of ``fn()``."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def problem(name: str, B: int, seed: int):
    """(inputs, desired, weights, experiment) of ``B`` problems, every pattern a row of the batch."""
    rng = np.random.default_rng(seed)
    if name == "single":
        ex = single_problems("normad", n_runs=B, seed=seed)
        w_out = 1000.0
    elif name == "xor":
        ex = xor_problems("plastic", n_runs=B, seed=seed)
        w_out = 3000.0
    else:
        ex = deep_problems("all", n_runs=B, seed=seed)
        w_out = 600.0
    M = len(ex.inputs[0])
    x = stack_padded([pat for prob in ex.inputs for pat in prob])
    d = stack_padded([pat for prob in ex.desired for pat in prob])
    weights = [np.repeat(W, M, axis=0) for W in ex.weights]
    weights[-1] = rng.uniform(0.0, w_out, weights[-1].shape)
    return x, d, weights, ex


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=10, help="problems per batch (default 10)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--problems", default="single,xor,deep")
    args = ap.parse_args(argv)
    if args.batch < 1 or args.repeats < 1:
        ap.error("--batch and --repeats must be >= 1")
    names = args.problems.split(",")
    for name in names:
        if name not in ("single", "xor", "deep"):
            ap.error(f"unknown problem {name!r}: choose from single, xor, deep")
    for name in names:
        x, d, weights, ex = problem(name, args.batch, args.seed)
        L = len(weights)
        kw = dict(lif=ex.lif, syn=ex.syn, sim=ex.sim, params=ex.params)
        rec = forward(x, weights, ex.lif, ex.syn, ex.sim)
        t_fwd = best_of(lambda: forward(x, weights, ex.lif, ex.syn, ex.sim), args.repeats) / args.batch
        counts = [int(lay.counts.sum()) // args.batch for lay in rec.layers]
        print(f"\n{name}: sizes {[x[1].shape[1]] + [W.shape[1] for W in weights]}, T = {ex.sim.T:g} ms, batch "
              f"{args.batch} problems ({x[1].shape[0]} patterns), spikes per problem per layer {counts}")
        print(f"  forward: {1e3 * t_fwd:.2f} ms per problem")
        print(f"  {'rule':<16} {'update ms':>10} {'iteration ms':>13} {'x NormAD':>9}")
        base = None
        for rule_name, rule in RULES.items():
            plastic = np.arange(L) == L - 1 if rule_name == "resume" else np.ones(L, dtype=bool)
            rates = np.ones(L)
            rule(rec, d, rates, plastic, **kw)  # warm-up (compilation)
            t_up = best_of(lambda: rule(rec, d, rates, plastic, **kw), args.repeats) / args.batch
            it = t_fwd + t_up
            base = it if base is None else base
            print(f"  {rule_name:<16} {1e3 * t_up:>10.2f} {1e3 * it:>13.2f} {it / base:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
