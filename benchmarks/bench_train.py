"""Benchmark one NormAD training iteration of the generic 100 -> 50 -> 25 -> 1 network.

One iteration = forward pass (all layers simulated) + error instants +
NormAD spatio-temporal backpropagation into all three layers (the "all
layers plastic" configuration of paper Fig. 9), for a batch of independent
problems built by :func:`normad_edu.experiments.deep_problems` (T = 500 ms,
dt = 0.1 ms, 100 Poisson inputs at 20 Hz, desired 10 Hz, the default
``DeepSetup`` hidden weights: U(0, a) excitatory, -U(0, 4 a) inhibitory,
a1 = 3 nA, a2 = 6 nA). Output weights are set to
small random values so the output fires and error instants of both signs
exist.

Reports the median over ``--repeats`` of ms per problem for the forward
pass, the update (:func:`normad_edu.normad.normad_update`) and their sum.
Target: <= 5 ms per problem per iteration in a batch.

Usage::

    python benchmarks/bench_train.py [--batch 1 100] [--repeats 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numba

from normad_edu._engine.threads import n_threads
import numpy as np

from normad_edu.experiments import deep_problems
from normad_edu.network import forward
from normad_edu.normad import normad_update
from normad_edu.spikes import stack_padded


def bench(batch: int, repeats: int, seed: int) -> dict:
    ex = deep_problems("all", n_runs=batch, seed=seed)
    rng = np.random.default_rng(seed)
    weights = [W.copy() for W in ex.weights]
    weights[-1] = rng.uniform(0.0, 600.0, weights[-1].shape)
    inputs = [p[0] for p in ex.inputs]
    desired = stack_padded([p[0] for p in ex.desired])
    kw = dict(lif=ex.lif, syn=ex.syn, sim=ex.sim, params=ex.params)
    rates, plastic = ex.config.rates, ex.config.plastic
    rec = forward(inputs, weights, ex.lif, ex.syn, ex.sim)  # warm-up (numba compile or cache load)
    normad_update(rec, desired, rates, plastic, **kw)
    t_fwd, t_upd = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        rec = forward(inputs, weights, ex.lif, ex.syn, ex.sim)
        t1 = time.perf_counter()
        normad_update(rec, desired, rates, plastic, **kw)
        t2 = time.perf_counter()
        t_fwd.append((t1 - t0) / batch * 1e3)
        t_upd.append((t2 - t1) / batch * 1e3)
    n_err = int(np.abs(rec.output.counts - desired[1]).sum())
    return {"batch": batch, "forward_ms": statistics.median(t_fwd), "update_ms": statistics.median(t_upd),
            "total_ms": statistics.median(np.add(t_fwd, t_upd)), "output_spikes": int(rec.output.counts.sum()),
            "count_mismatch": n_err}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 100])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if min(args.batch) < 1 or args.repeats < 1:
        ap.error("--batch and --repeats must be >= 1")
    print(f"numba {numba.__version__}, {n_threads()} threads; load average {os.getloadavg()[0]:.2f}")
    print(f"{'batch':>6} {'forward ms':>11} {'update ms':>10} {'total ms':>9}   (per problem, median of {args.repeats})")
    for b in args.batch:
        r = bench(b, args.repeats, args.seed)
        print(f"{r['batch']:>6} {r['forward_ms']:>11.2f} {r['update_ms']:>10.2f} {r['total_ms']:>9.2f}")
    print("target: <= 5 ms per problem per iteration in a batch")


if __name__ == "__main__":
    main()
