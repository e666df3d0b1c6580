"""Peak memory of one NormAD training iteration against the number of inputs.

Each size runs in its own process (so peaks do not mix): ``B`` single-neuron
problems ``n_inputs -> 1`` (Poisson inputs at 20 Hz, a desired train at
10 Hz, T = 500 ms, weights 0), one iteration of ``make_experiment("single")``,
the workload of ``normad-edu single --inputs n --problems B --max-iter 1``.
Prints the peak resident memory of the process (MiB, ``VmHWM`` of
``/proc/self/status``; Linux), the memory before training (Python, NumPy,
the problems as lists of spike trains), the padded input spike times the
training holds (``B x n x K x 8`` bytes, K the largest spike count), the
weights, and the wall time; then the
line "memory vs number of inputs": how much the peak grows per 1,000 inputs
(a least-squares slope over the sizes), next to the growth of the packed
inputs alone.

The training holds the packed input spikes once: it packs them in place
(no sorted or masked copies, no NaN ``vdot`` array), the forward pass reads
consecutive problems as views, and the backward pass reads the input times
from the record instead of copying them into its flat rows. The backward
pass allocates per layer what that layer needs (no padding to the largest
layer), so the peak grows with ``B * n_inputs * spikes``, not with
``n_inputs ** 2``.

Usage::

    python benchmarks/bench_memory.py [--inputs 1000 5000 10000 20000] [--batch 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np

CHILD = """
import json, sys, time
from normad_edu.experiments import make_experiment
from normad_edu.setups import SingleSetup
def status_mib(key):  # (not ru_maxrss: Linux carries the parent's peak across fork and exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":")) / 1024
n, B = int(sys.argv[1]), int(sys.argv[2])
ex = make_experiment("single", n_runs=B, setup=SingleSetup(n_inputs=n, max_iter=1))
K = max(len(tr) for prob in ex.inputs for pat in prob for tr in pat)
base = status_mib("VmRSS")
t0 = time.perf_counter()
ex.run(progress=False)
wall = time.perf_counter() - t0
print(json.dumps({"before_mib": base, "peak_mib": status_mib("VmHWM"), "wall_s": wall,
                  "packed_mib": B * n * K * 8 / 2**20, "weights_mib": B * n * 8 / 2**20}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, nargs="+", default=[1000, 5000, 10000, 20000])
    parser.add_argument("--batch", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"one training iteration of {args.batch} single-neuron problems (T = 500 ms, inputs at 20 Hz); "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'inputs':>8} {'packed inputs MiB':>18} {'weights MiB':>12} {'RSS before MiB':>15} {'peak RSS MiB':>13} "
          f"{'wall s':>8}")
    rows = []
    for n in args.inputs:
        out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.batch)], capture_output=True, text=True,
                             check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((n, r))
        print(f"{n:>8} {r['packed_mib']:>18.1f} {r['weights_mib']:>12.1f} {r['before_mib']:>15.0f} "
              f"{r['peak_mib']:>13.0f} {r['wall_s']:>8.1f}")
    if len(rows) > 1:
        n = np.array([k for k, _ in rows], dtype=float) / 1000
        slope = lambda key: float(np.polyfit(n, [r[key] for _, r in rows], 1)[0])  # noqa: E731
        print(f"memory vs number of inputs: the peak grows by {slope('peak_mib'):.1f} MiB per 1,000 inputs "
              f"(packed input times {slope('packed_mib'):.1f}, the problems as lists before training "
              f"{slope('before_mib'):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
