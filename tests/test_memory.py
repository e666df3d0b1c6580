"""Memory of a training run with many inputs: the packed input spikes are held once.

``normad-edu single --inputs 20000 --problems 20 --max-iter 1`` peaked at
~1 GB when the padded input spike times (~90 MiB) were copied while packing
(sorting and masking copies, a NaN ``vdot`` array), again by the forward pass
of every iteration (fancy indexing and re-validation) and again by the backward
pass (flat per-problem rows). ``benchmarks/bench_memory.py`` prints the peak
against the number of inputs.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from normad_edu.network import pack_inputs
from normad_edu.spikes import poisson_spike_trains

#: Child process: load every kernel with a tiny run, then train B problems n -> 1 for one
#: iteration and report the rise of the peak resident memory over the memory just before.
#: (/proc/self/status, not ru_maxrss: Linux carries the parent's peak across fork and exec,
#: and the test runner may be large.)
CHILD = """
import json, sys
from normad_edu.experiments import make_experiment
from normad_edu.setups import SingleSetup
def status_mib(key):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(key + ":")) / 1024
n, B = int(sys.argv[1]), int(sys.argv[2])
make_experiment("single", n_runs=2, setup=SingleSetup(n_inputs=10, max_iter=1)).run(progress=False)
ex = make_experiment("single", n_runs=B, setup=SingleSetup(n_inputs=n, max_iter=1))
K = max(len(tr) for prob in ex.inputs for pat in prob for tr in pat)
before = status_mib("VmRSS")
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak (VmHWM) to the current resident memory
except OSError:
    pass  # then VmHWM also covers the set-up above (an upper bound)
ex.run(progress=False)
print(json.dumps({"packed_mib": B * n * K * 8 / 2**20, "increase_mib": status_mib("VmHWM") - before}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_training_many_inputs_holds_the_packed_inputs_about_once():
    # 16 problems of an 8000-input neuron: ~25 MiB of padded input times. Before, the
    # peak rose by ~230 MiB (9 copies); now by the packed array and ~20 MiB of working memory.
    out = subprocess.run([sys.executable, "-c", CHILD, "8000", "16"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert r["packed_mib"] > 20
    assert r["increase_mib"] < 2 * r["packed_mib"] + 20, r


def test_pack_inputs_of_nested_lists_allocates_the_padded_array_about_once():
    rng = np.random.default_rng(0)
    batch = [poisson_spike_trains(20000, 20.0, 500.0, rng) for _ in range(4)]  # ~18 MiB padded
    tracemalloc.start()
    try:
        x = pack_inputs(batch, 500.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert x.times.shape[:2] == (4, 20000)
    assert peak < 1.2 * x.times.nbytes + x.counts.nbytes + 8 * 2**20, (peak, x.times.nbytes)  # was 3.6 x
    assert x.vdot.shape == x.times.shape and np.isnan(x.vdot).all() and x.vdot.strides == (0, 0, 0)
