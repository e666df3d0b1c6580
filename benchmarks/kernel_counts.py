"""Instructions per problem of the engine's kernels, counted by callgrind (repeatable on a loaded machine).

Wall times on a shared machine vary by a factor of several from run to run;
the number of instructions a kernel executes does not. This script runs the
set-up of ``benchmarks/bench_speed.py`` (generic 100 -> 50 -> 25 -> 1 network,
T = 500 ms, dt = 0.1 ms, default ``DeepSetup`` hidden weights, output weights
U(0, 600) pA; one thread) under ``valgrind --tool=callgrind`` and counts the
instructions of each section (after a warm-up call, so compilation and cache
loading are not counted):

* ``simulate_layer`` of each layer on that layer's input spikes;
* ``split``: each layer without input spikes (time stepping only) and with its
  input spikes but weights scaled by 1e-3 (stepping and input events, no
  output spike); the full layer minus these is the cost of the spikes;
* ``network.forward`` (all layers, with argument checks);
* the error instants, ``normad.backward`` (pack, compiled pass, unpack) and
  ``normad_update`` (checks, error instants, backward);
* a forward pass plus ``normad_update``: one training iteration.

The share of the instructions spent in libm's ``exp``/``expm1`` is printed per
section (the exact propagators need them; they are counted by callgrind like
any other code). Instruction counts are not times (a division or a cache miss
costs more than an add; vectorised loops do more per instruction), but for
two versions of one kernel they are a repeatable comparison.

It needs ``valgrind`` and a C compiler (a ten-line helper that turns
callgrind's instrumentation on and off around each section is compiled
into a temporary folder). Usage::

    python benchmarks/kernel_counts.py [--batch 20] [--seed 0] [--sections forward,iteration]

Run without valgrind it starts itself under valgrind (``--instr-atstart=no``:
the imports run uninstrumented, ~1-2 minutes in all).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_HELPER = r"""
#include <valgrind/callgrind.h>
int on_valgrind(void) { return RUNNING_ON_VALGRIND; }
void section_start(void) { CALLGRIND_START_INSTRUMENTATION; CALLGRIND_ZERO_STATS; }
void section_stop(const char *name) { CALLGRIND_DUMP_STATS_AT(name); CALLGRIND_STOP_INSTRUMENTATION; }
"""

SECTIONS = ("layers", "split", "forward", "scoring", "backward", "iteration")


def _helper_lib(folder: Path) -> ctypes.CDLL:
    src = folder / "cg_helper.c"
    src.write_text(_HELPER)
    lib = folder / "cg_helper.so"
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    return ctypes.CDLL(str(lib))


def _measure(args, lib) -> None:
    """Inside valgrind: run the sections, each between section_start and section_stop."""
    import numba
    import numpy as np

    from normad_edu.experiments import deep_problems
    from normad_edu.lif import simulate_layer
    from normad_edu.network import forward
    from normad_edu.normad import backward, error_instants_padded, normad_update
    from normad_edu.spikes import stack_padded

    numba.set_num_threads(1)
    B = args.batch
    ex = deep_problems("all", n_runs=B, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    weights = [np.ascontiguousarray(W) for W in ex.weights]
    weights[-1] = rng.uniform(0.0, 600.0, weights[-1].shape)
    x = stack_padded([p[0] for p in ex.inputs])
    desired = stack_padded([p[0] for p in ex.desired])
    lif, syn, sim, params = ex.lif, ex.syn, ex.sim, ex.params
    kw = dict(lif=lif, syn=syn, sim=sim, params=params)
    rates, plastic = np.asarray(ex.config.rates, dtype=float), np.asarray(ex.config.plastic)
    rec = forward(x, weights, lif, syn, sim)
    width, offset = params.bins(sim)
    out = rec.output
    err_t, err_s = error_instants_padded(desired[0], desired[1], out.times, out.counts, width, offset)
    srcs = [rec.inputs] + rec.layers[:-1]

    def layers():
        for src, W in zip(srcs, weights):
            simulate_layer(src.times, src.counts, W, lif, syn, sim)

    def iteration():
        r = forward(x, weights, lif, syn, sim)
        normad_update(r, desired, rates, plastic, **kw)

    work = {
        "layers": [(f"layer {l} simulate_layer ({W.shape[2]} -> {W.shape[1]})",
                    lambda s=s, W=W: simulate_layer(s.times, s.counts, W, lif, syn, sim))
                   for l, (s, W) in enumerate(zip(srcs, weights), start=1)],
        "split": [row for l, (s, W) in enumerate(zip(srcs, weights), start=1) for row in (
            (f"layer {l}: stepping only (no input spikes)",
             lambda s=s, W=W: simulate_layer(np.full(s.times[:, :, :1].shape, np.inf), np.zeros_like(s.counts), W,
                                             lif, syn, sim)),
            (f"layer {l}: + input spikes, weights x 1e-3 (no output spikes)",
             lambda s=s, W=W: simulate_layer(s.times, s.counts, W * 1e-3, lif, syn, sim)))],
        "forward": [("network.forward", lambda: forward(x, weights, lif, syn, sim))],
        "scoring": [("error instants", lambda: error_instants_padded(desired[0], desired[1], out.times, out.counts,
                                                                     width, offset))],
        "backward": [("normad.backward", lambda: backward(rec, err_t, err_s, rates, plastic, lif=lif, syn=syn,
                                                          params=params)),
                     ("normad_update", lambda: normad_update(rec, desired, rates, plastic, **kw))],
        "iteration": [("iteration (forward + normad_update)", iteration)],
    }
    layers()
    iteration()  # warm-up: compile or load every kernel before counting
    for section in args.sections:
        for name, fn in work[section]:
            fn()  # warm (first-call allocations of this path)
            lib.section_start()
            fn()
            lib.section_stop(name.encode())


def _read_dump(path: Path) -> tuple[str, int, int]:
    """(section name, total instructions, instructions in libm exp/expm1) of one callgrind dump.

    The total is the dump's ``totals:`` line, which covers every thread (the ``summary:`` line
    misses the work of the engine's pool thread, where long batches run even with one thread)."""
    text = path.read_text(errors="replace")
    name = re.search(r"^desc: Trigger: Client Request: (.*)$", text, re.M)
    total = int(re.search(r"^totals:\s+(\d+)", text, re.M).group(1))
    ann = subprocess.run(["callgrind_annotate", "--threshold=100", str(path)], capture_output=True, text=True).stdout
    libm = 0
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(\S+):(\S+)", line)
        if m and "exp" in m.group(3) and ("ieee754" in m.group(2) or "math" in m.group(2) or "libm" in line):
            libm += int(m.group(1).replace(",", ""))
    return (name.group(1).strip() if name else path.name), total, libm


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sections", default=",".join(SECTIONS),
                    help=f"comma-separated, from {', '.join(SECTIONS)} (default: all)")
    ap.add_argument("--keep", default=None, metavar="DIR", help="copy the callgrind dumps to DIR")
    ap.add_argument("--inside", default=None, help=argparse.SUPPRESS)  # the valgrind child: its helper folder
    args = ap.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    bad = [s for s in args.sections if s not in SECTIONS]
    if bad or args.batch < 1:
        ap.error(f"--sections must be among {SECTIONS} and --batch >= 1, got {bad or args.batch}")
    if args.inside:
        _measure(args, ctypes.CDLL(str(Path(args.inside) / "cg_helper.so")))
        return 0
    if not shutil.which("valgrind") or not shutil.which("cc"):
        print("needs valgrind and a C compiler (cc)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _helper_lib(folder)
        env = dict(os.environ, NUMBA_NUM_THREADS="1", TQDM_DISABLE="1")
        cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={folder}/cg.%p",
               sys.executable, str(Path(__file__).resolve()), "--batch", str(args.batch), "--seed", str(args.seed),
               "--sections", ",".join(args.sections), "--inside", str(folder)]
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dumps = sorted(folder.glob("cg.*.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
        rows = [_read_dump(p) for p in dumps]
        if args.keep:
            Path(args.keep).mkdir(parents=True, exist_ok=True)
            for p in dumps:
                shutil.copy(p, Path(args.keep) / p.name)
    B = args.batch
    print(f"callgrind instructions per problem (batch {B}, seed {args.seed}, one thread)")
    print(f"{'section':<48} {'instructions':>14} {'of it libm exp/expm1':>22}")
    for name, total, libm in rows:
        print(f"{name:<48} {total / B:14,.0f} {libm / B:16,.0f} ({100 * libm / max(total, 1):.0f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
