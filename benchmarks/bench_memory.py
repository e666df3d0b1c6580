"""Peak memory of one NormAD training iteration against the number of inputs.

Each size runs in its own process (so peaks do not mix): ``B`` single-neuron
problems ``n_inputs -> 1`` (Poisson inputs at 20 Hz, a desired train at
10 Hz, T = 500 ms, weights 0), one iteration of ``make_experiment("single")``.
Prints the peak resident memory of the process (MiB, ``ru_maxrss``), the
memory of the weights alone, and the wall time.

The backward pass allocates per layer what that layer needs (no padding to
the largest layer), so the peak grows with ``B * n_inputs * spikes``, not
with ``n_inputs ** 2``.

Usage::

    python benchmarks/bench_memory.py [--inputs 1000 5000 20000] [--batch 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = """
import json, resource, sys, time
from normad_edu.experiments import SingleSetup, make_experiment
n, B = int(sys.argv[1]), int(sys.argv[2])
ex = make_experiment("single", n_runs=B, setup=SingleSetup(n_inputs=n, max_iter=1))
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
ex.run(progress=False)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_mib": base / 1024, "peak_mib": peak / 1024, "wall_s": wall,
                  "weights_mib": B * n * 8 / 2**20}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"one training iteration of {args.batch} single-neuron problems (T = 500 ms, inputs at 20 Hz)")
    print(f"{'inputs':>8} {'weights MiB':>12} {'RSS before MiB':>15} {'peak RSS MiB':>13} {'wall s':>8}")
    for n in args.inputs:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.batch)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{n:>8} {r['weights_mib']:>12.1f} {r['before_mib']:>15.0f} {r['peak_mib']:>13.0f} {r['wall_s']:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
