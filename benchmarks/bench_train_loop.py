"""Training iterations as ``train`` runs them, against the forward pass, on one thread in process CPU time.

The benchmark network of ``benchmarks/bench_cpu.py`` (generic 100 -> 50 -> 25 -> 1,
T = 500 ms, dt = 0.1 ms, default ``DeepSetup`` hidden weights, output weights
U(0, 600) pA, all layers plastic, a batch of ``--batch`` problems), trained by
:func:`normad_edu.training.train` as ``Experiment.run`` calls it (its rates,
modes and per-problem pattern orders). One iteration of ``train`` is the whole
loop body: the forward pass of the active problems, scoring (correlation on the
coincidence grid, error instants), the history, the convergence test and the
NormAD update of every layer.

Figures, ms per problem, each the minimum over ``--repeats`` calls of process
CPU time (:func:`time.process_time`; one thread, ``numba.set_num_threads(1)``):

* ``forward``: :func:`normad_edu.network.forward` with the weights of
  iteration 0 and with the weights ``train`` reaches after ``--iterations``
  updates (activity changes as the weights learn; the mean of the two is the
  reference of the ratio);
* ``train iteration``: ``(train(max_iter=n) - train(max_iter=0)) / n``, with
  n = ``--iterations``: the cost of one more iteration, without the set-up
  (packing the patterns, the first evaluation) that every run pays once;
* ``forward + normad_update``: the two public calls, as ``bench_cpu.py``
  times them (weights of iteration 0).

Printed with the ratios to the forward pass and the load average. Only
problems still active are trained; with these weights no problem converges
within a few iterations, so every iteration covers the whole batch (checked).

Usage::

    python benchmarks/bench_train_loop.py [--batch 50] [--iterations 5] [--repeats 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

import numba
import numpy as np

from normad_edu.experiments import pattern_order_rngs
from normad_edu.network import forward
from normad_edu.normad import normad_update
from normad_edu.spikes import stack_padded
from normad_edu.training import train

from bench_cpu import best_cpu  # noqa: E402 (the same timer as bench_cpu.py, run from benchmarks/)
from bench_speed import benchmark_problems  # noqa: E402 (the same problems)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if min(args.batch, args.iterations, args.repeats) < 1:
        ap.error("--batch, --iterations and --repeats must be >= 1")
    B, n, R = args.batch, args.iterations, args.repeats
    numba.set_num_threads(1)

    ex, weights = benchmark_problems(B, args.seed)
    lif, syn, sim, params = ex.lif, ex.syn, ex.sim, ex.params
    config = ex.config

    def run(iters: int):
        return train(ex.inputs, ex.desired, weights, replace(config, max_iter=iters), lif=lif, syn=syn, sim=sim, params=params,
                     rng=pattern_order_rngs(ex.seed, ex.run_ids), progress=False)

    res = run(n)  # compile or load from the cache; the weights after n updates
    if (res.converged_at >= 0).any():
        print(f"note: {(res.converged_at >= 0).sum()} problems converged within {n} iterations")
    x_t, x_c = stack_padded([p[0] for p in ex.inputs])
    desired = stack_padded([p[0] for p in ex.desired])
    kw = dict(lif=lif, syn=syn, sim=sim, params=params)
    rates, plastic = config.rates, config.plastic
    w_end = [np.ascontiguousarray(W) for W in res.weights]
    rec = forward((x_t, x_c), weights, lif, syn, sim)
    normad_update(rec, desired, rates, plastic, **kw)

    def iteration():
        r = forward((x_t, x_c), weights, lif, syn, sim)
        normad_update(r, desired, rates, plastic, **kw)

    fwd0 = best_cpu(lambda: forward((x_t, x_c), weights, lif, syn, sim), R) * 1e3 / B
    fwd1 = best_cpu(lambda: forward((x_t, x_c), w_end, lif, syn, sim), R) * 1e3 / B
    t0 = best_cpu(lambda: run(0), R)
    tn = best_cpu(lambda: run(n), R)
    it = (tn - t0) / n * 1e3 / B
    upd = best_cpu(iteration, R) * 1e3 / B
    fwd = 0.5 * (fwd0 + fwd1)

    print(f"numba {numba.__version__}, one thread, process CPU time; load average "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f"; batch {B}, {n} iterations, minimum of {R} calls")
    print(f"output spikes per problem: {res.spike_count[0, :, -1].mean():.1f} at iteration 0, "
          f"{res.spike_count[n, :, -1].mean():.1f} at iteration {n}; "
          f"error instants {res.error_count[0].mean():.1f} -> {res.error_count[n].mean():.1f}")
    print(f"\n{'figure (ms per problem, CPU)':<48} {'value':>8} {'/ forward':>10}")
    for name, v in (("forward, weights of iteration 0", fwd0), (f"forward, weights of iteration {n}", fwd1),
                    ("forward + normad_update (iteration 0)", upd),
                    (f"train iteration ((train({n}) - train(0)) / {n})", it),
                    ("train(0): set-up + first evaluation", t0 * 1e3 / B)):
        print(f"{name:<48} {v:8.3f} {v / fwd:10.2f}")
    print(f"\ntrain iteration / forward = {it / fwd:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
