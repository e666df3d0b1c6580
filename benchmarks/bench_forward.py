"""Benchmark the forward pass of the paper's generic network (100 -> 50 -> 25 -> 1).

Set-up (paper Sec. 6, as in ``normad-edu demo``): T = 500 ms, dt = 0.1 ms,
100 Poisson inputs at 20 Hz, the default ``DeepSetup`` hidden weights
(U(0, a) for the 80 % excitatory synapses, -U(0, 4 a) for the inhibitory
ones, a1 = 3000 pA, a2 = 6000 pA), output weights 0.

Two code paths are timed for each batch size:

* ``forward``: :func:`normad_edu.network.forward` on lists of spike trains,
  i.e. with input validation, packing and weight checks;
* ``simulate_layer``: :func:`normad_edu.lif.simulate_layer` layer by layer
  on inputs packed once beforehand (no validation).

Each time is the median of ``--repeats`` calls, after one warm-up call that
triggers numba's compilation (or its load from numba's on-disk cache); that
first call is reported separately. Targets on a 2-core machine: <= 5 ms per
problem at batch 1 and <= 2 ms per problem at batch 100.

The machine's load average is printed because other processes matter
(compare the "fastest" column). A batch runs on ``NUMBA_NUM_THREADS`` threads
(:mod:`normad_edu._engine.threads`); a single problem runs in the calling
thread. ``benchmarks/bench_speed.py`` prints the figures of issue 15 relative
to a NumPy reference timed in the same run.

Usage::

    python benchmarks/bench_forward.py [--batch 1 100] [--repeats 7] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numba
import numpy as np

from normad_edu._engine.threads import n_threads
from normad_edu.cli.experiments import DEMO_HIDDEN_A, DEMO_SIZES
from normad_edu.cli.support import int_at_least
from normad_edu.experiments import demo_problem
from normad_edu.lif import simulate_layer
from normad_edu.network import forward, pack_inputs
from normad_edu.params import LIFParams, SimParams, SynapseParams

#: Target ms per problem: batch 1 -> 5 ms, batch >= 100 -> 2 ms.
TARGETS_MS = {1: 5.0, 100: 2.0}


def target_ms(batch: int) -> float | None:
    """Target time per problem (ms) for ``batch``, or None between the two targets."""
    if batch == 1:
        return TARGETS_MS[1]
    if batch >= 100:
        return TARGETS_MS[100]
    return None


def time_calls(fn, repeats: int) -> tuple[float, float]:
    """Median and minimum wall time (s) of ``repeats`` calls of ``fn()``."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int_at_least(1), nargs="+", default=[1, 100], metavar="B",
                        help="batch sizes to time (default: 1 100)")
    parser.add_argument("--repeats", type=int_at_least(1), default=7, help="timed calls per measurement (default: 7)")
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="random seed (default: 0)")
    args = parser.parse_args(argv)

    lif, syn, sim = LIFParams(), SynapseParams(), SimParams()
    B_max = max(args.batch)
    # Problem b is the same for every batch size (demo_problem draws them in
    # order), so every batch size times a prefix of the same problems.
    inputs, weights = demo_problem(B_max, args.seed)

    print(f"forward pass of the {'-'.join(map(str, DEMO_SIZES))} LIF network: T = {sim.T:g} ms, dt = {sim.dt:g} ms, "
          f"{DEMO_SIZES[0]} Poisson inputs at 20 Hz, a = {', '.join(f'{a:g}' for a in DEMO_HIDDEN_A)} pA, seed {args.seed}")
    print(f"numba {numba.__version__}, threads: {n_threads()}", end="")

    # First call: numba compiles the simulator, or loads it from its cache.
    t0 = time.perf_counter()
    forward(inputs[:1], [W[:1] for W in weights], lif, syn, sim)
    first = time.perf_counter() - t0
    print()
    print(f"first call (numba compile or cache load, batch 1): {first * 1e3:.0f} ms")
    env = [f"{k}={os.environ[k]}" for k in ("NUMBA_NUM_THREADS",) if k in os.environ]
    if hasattr(os, "getloadavg"):
        env.append("load average %.2f %.2f %.2f" % os.getloadavg())
    print("environment: " + (", ".join(env) if env else "defaults"))

    rows = []
    record = None
    for B in args.batch:
        x = inputs[:B]
        Ws = [np.ascontiguousarray(W[:B]) for W in weights]
        packed = pack_inputs(x, sim.T)

        def run_forward():
            return forward(x, Ws, lif, syn, sim)

        def run_layers():
            prev = packed
            for W in Ws:
                prev = simulate_layer(prev.times, prev.counts, W, lif, syn, sim)
            return prev

        rec = run_forward()  # warm-up at this batch size (thread pool, caches)
        out = run_layers()
        assert np.array_equal(out.counts, rec.output.counts), "the two code paths disagree"
        if B == B_max:
            record = rec
        for name, fn in (("forward (validated)", run_forward), ("simulate_layer (pre-packed)", run_layers)):
            t, t_min = time_calls(fn, args.repeats)
            rows.append((B, name, t * 1e3, t * 1e3 / B, t_min * 1e3 / B, target_ms(B)))

    T_s = sim.T / 1000.0
    print(f"\nfiring rates over {B_max} problem(s) (hidden layers should be 10-60 Hz):")
    for l, out in enumerate([record.inputs, *record.layers]):
        per_problem = out.counts.mean(axis=1) / T_s
        n = out.counts.shape[1]
        print(f"  layer {l} ({n:3d} neuron{'s' if n != 1 else ' '}): mean {per_problem.mean():5.1f} Hz"
              f" (problems range {per_problem.min():5.1f} - {per_problem.max():5.1f} Hz)")

    print(f"\nmedian (and fastest) of {args.repeats} calls; a large gap means the machine was busy")
    header = f"{'batch':>5}  {'path':<28}  {'ms/call':>9}  {'ms/problem':>10}  {'(fastest)':>9}  {'target':>7}  ok"
    print(header)
    print("-" * len(header))
    for B, name, per_call, per_problem, fastest, target in rows:
        tgt = f"<= {target:g}" if target is not None else "-"
        ok = "-" if target is None else ("yes" if per_problem <= target else "NO")
        print(f"{B:5d}  {name:<28}  {per_call:9.2f}  {per_problem:10.3f}  {fastest:9.3f}  {tgt:>7}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
