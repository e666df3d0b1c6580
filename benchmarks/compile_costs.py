"""What each numba kernel costs to compile on a cold start (empty numba cache).

Runs a workload in a subprocess with a fresh ``NUMBA_CACHE_DIR`` (so nothing
is loaded from a cache) and records numba's ``numba:compile`` events: the
wall time of every compilation, *inclusive* of the callees compiled on the
way (so ``_simulate_one`` includes ``_segment``), and the CPU time of the
first call (less disturbed than wall time on a shared machine). Workloads:

* ``forward``: the first :func:`normad_edu.network.forward` of one problem
  (what ``normad-edu demo`` compiles);
* ``update``: then the first :func:`normad_edu.normad.normad_update` (error
  instants and the backward pass: what ``reproduce fig8 --quick`` adds);
* ``batch``: then a forward pass and an update of a batch of 2 (the
  parallel kernels).

Usage::

    python benchmarks/compile_costs.py [--min-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
import json, time
from numba.core import event
rec = event.RecordingListener()
event.register("numba:compile", rec)
import numpy as np
from normad_edu.experiments import deep_problems
from normad_edu.network import forward
from normad_edu.normad import normad_update
from normad_edu.spikes import stack_padded

ex = deep_problems("all", n_runs=2, seed=0)
W = [w.copy() for w in ex.weights]
W[-1] = np.full(W[-1].shape, 300.0)
x = [p[0] for p in ex.inputs]
desired = stack_padded([p[0] for p in ex.desired])
kw = dict(lif=ex.lif, syn=ex.syn, sim=ex.sim, params=ex.params)
cpu = {}
c0 = time.process_time()
r1 = forward(x[:1], [w[:1] for w in W], ex.lif, ex.syn, ex.sim)
cpu["forward"] = time.process_time() - c0
c0 = time.process_time()
normad_update(r1, (desired[0][:1], desired[1][:1]), ex.config.rates, ex.config.plastic, **kw)
cpu["update"] = time.process_time() - c0
c0 = time.process_time()
r2 = forward(x, W, ex.lif, ex.syn, ex.sim)
normad_update(r2, desired, ex.config.rates, ex.config.plastic, **kw)
cpu["batch"] = time.process_time() - c0
starts, rows = {}, []
for ts, e in rec.buffer:
    key = e.data["dispatcher"].py_func.__module__ + "." + e.data["dispatcher"].py_func.__qualname__
    if e.is_start:
        starts[key] = ts
    else:
        rows.append((ts - starts.pop(key), key))
print(json.dumps({"cpu": cpu, "rows": rows}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--min-ms", type=float, default=20.0, help="hide compilations shorter than this (ms)")
    args = ap.parse_args(argv)
    root = str(Path(__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as cache:
        path = [root] + ([os.environ["PYTHONPATH"]] if "PYTHONPATH" in os.environ else [])
        env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=os.pathsep.join(path))
        out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    print("load average " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    print("CPU time of the first call (compilation included), s: "
          + ", ".join(f"{k} {v:.2f}" for k, v in data["cpu"].items()))
    print(f"\n{'compile wall time (s, incl. callees)':>38}  function")
    for seconds, name in sorted(data["rows"], reverse=True):
        if seconds * 1e3 >= args.min_ms:
            short = name.replace("numba.np.", "").replace("numba.cpython.", "")
            print(f"{seconds:38.3f}  {short}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
