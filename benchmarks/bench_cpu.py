"""Forward pass and training iteration on one thread, in process CPU time: steady on a loaded machine.

The work of ``benchmarks/bench_speed.py`` (generic 100 -> 50 -> 25 -> 1 network,
T = 500 ms, dt = 0.1 ms, default ``DeepSetup`` hidden weights, output weights
U(0, 600) pA, a batch of ``--batch`` problems), on one thread
(``numba.set_num_threads(1)``), timed with :func:`time.process_time`: the
CPU time of this process, which does not count the time it waits for a core.
On a shared machine wall times of one call vary by a factor of several; CPU
times of one thread vary by a few per cent. Each figure is the minimum over
``--repeats`` calls, in ms per problem:

* the plain NumPy time-stepped reference of ``bench_speed.py`` (``numpy_forward``);
* ``network.forward``;
* one training iteration: ``network.forward`` + ``normad.normad_update``.

Printed with the ratios forward / NumPy reference and iteration / forward,
and a floor estimate: one nanosecond per neuron-step (every neuron of every
LIF layer at every one of the ``n_steps`` steps) and per synaptic event
(every input spike of a layer times the layer's neurons), from the spike
counts of this very batch.

Usage::

    python benchmarks/bench_cpu.py [--batch 50] [--repeats 7] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numba

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_speed import benchmark_problems, numpy_forward  # noqa: E402  (the same problems and NumPy reference)

from normad_edu.network import forward  # noqa: E402
from normad_edu.normad import normad_update  # noqa: E402
from normad_edu.spikes import stack_padded  # noqa: E402

#: Nanoseconds per neuron-step and per synaptic event of the floor estimate.
FLOOR_NS = 1.0


def best_cpu(fn, repeats: int) -> float:
    """Minimum process CPU time (s) of ``repeats`` calls of ``fn()``."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.batch < 1 or args.repeats < 1:
        ap.error("--batch and --repeats must be >= 1")
    B, R = args.batch, args.repeats
    numba.set_num_threads(1)

    ex, weights = benchmark_problems(B, args.seed)
    x_t, x_c = stack_padded([p[0] for p in ex.inputs])
    desired = stack_padded([p[0] for p in ex.desired])
    lif, syn, sim = ex.lif, ex.syn, ex.sim
    kw = dict(lif=lif, syn=syn, sim=sim, params=ex.params)
    rates, plastic = ex.config.rates, ex.config.plastic

    rec = forward((x_t, x_c), weights, lif, syn, sim)  # compile or load from the cache
    normad_update(rec, desired, rates, plastic, **kw)
    numpy_forward(x_t, x_c, weights, lif, syn, sim)

    def iteration():
        r = forward((x_t, x_c), weights, lif, syn, sim)
        normad_update(r, desired, rates, plastic, **kw)

    ref = best_cpu(lambda: numpy_forward(x_t, x_c, weights, lif, syn, sim), max(2, R // 3)) * 1e3 / B
    fwd = best_cpu(lambda: forward((x_t, x_c), weights, lif, syn, sim), R) * 1e3 / B
    it = best_cpu(iteration, R) * 1e3 / B

    counts = [rec.inputs.counts] + [lay.counts for lay in rec.layers]
    sizes = [W.shape[1] for W in weights]
    neuron_steps = sum(sizes) * sim.n_steps
    events = sum(float(c.sum()) / B * n for c, n in zip(counts[:-1], sizes))
    floor = (neuron_steps + events) * FLOOR_NS * 1e-6

    print(f"numba {numba.__version__}, one thread, process CPU time; load average "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f"; batch {B}, minimum of {R} calls")
    print(f"floor estimate: {neuron_steps / 1e3:.0f}k neuron-steps + {events / 1e3:.0f}k synaptic events "
          f"at {FLOOR_NS:g} ns = {floor:.3f} ms per problem")
    print(f"\n{'figure (ms per problem, CPU)':<44} {'value':>8} {'/ NumPy ref':>12} {'/ floor':>8}")
    for name, v in (("NumPy reference forward", ref), ("forward", fwd), ("iteration (forward + normad_update)", it)):
        print(f"{name:<44} {v:8.3f} {v / ref:12.4f} {v / floor:8.2f}")
    print(f"\niteration / forward = {it / fwd:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
