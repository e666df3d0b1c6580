"""The speed figures of the engine, each also relative to a plain-NumPy reference timed in the same run.

Figures (paper's generic network 100 -> 50 -> 25 -> 1, T = 500 ms, dt = 0.1 ms,
100 Poisson inputs at 20 Hz, the default ``DeepSetup`` hidden weights, output
weights U(0, 600) pA so the output fires; a batch of ``--batch`` problems):

* forward pass, ms per problem (:func:`normad_edu.network.forward` on padded inputs);
* one training iteration with all layers plastic, ms per problem (forward +
  :func:`normad_edu.normad.normad_update`: error instants, backward pass);
* cold and warm start of ``normad-edu demo`` and ``normad-edu reproduce fig8
  --quick`` (wall time of the command in a subprocess; cold: an empty
  ``NUMBA_CACHE_DIR``, so every kernel is compiled; warm: the same directory
  again); the minimum of ``--startup-repeats`` of each. ``--no-startup``
  skips these (they take ~30 s per repeat).

Machines differ and the benchmark machine is often shared, so every figure is
also printed as a ratio to the *NumPy reference*: a plain vectorised NumPy
time-stepped forward pass of the same batch (inputs binned to the grid, exact
per-step propagators, the spikes of a step reach the next layer in the same
step; a Python loop over the 5000 steps, NumPy over problems and neurons).
It is timed in the same run; ``ratio = figure / reference``, where the
reference is taken per problem for the per-problem figures and for the whole
batch for the start-up times. Timings are the minimum over ``--repeats`` calls
(the least disturbed one). A Brian2 line is printed only if ``brian2`` imports.

Targets on a 2-core machine: forward <= 1.0 ms per problem, an iteration
<= 1.5 ms per problem (batch 100); cold start fig8 --quick <= 8 s, demo <= 4 s.

Usage::

    python benchmarks/bench_speed.py [--batch 100] [--repeats 7] [--seed 0] [--no-startup] [--startup-repeats 2]
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba

from normad_edu._engine.threads import n_threads
import numpy as np

import normad_edu
from normad_edu.experiments import deep_problems
from normad_edu.network import forward
from normad_edu.normad import normad_update
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import stack_padded

TARGETS = {"forward": 1.0, "iteration": 1.5, "demo cold": 4.0, "fig8 --quick cold": 8.0}


def numpy_forward(in_times: np.ndarray, in_counts: np.ndarray, weights: list, lif: LIFParams = LIFParams(),
                  syn: SynapseParams = SynapseParams(), sim: SimParams = SimParams()) -> list[np.ndarray]:
    """Plain NumPy, time-stepped forward pass (the reference); returns the spike counts ``(B, n_l)`` per layer.

    Inputs (padded ``(B, n_0, K)`` times in ms) are binned to the step they
    fall in; each step applies the exact propagators of dt (ms) to
    ``(u, I1, I2)`` of every neuron, resets neurons at or above threshold
    and holds them for ``round(t_ref / dt)`` steps. Weights in pA.
    """
    B, n0, K = in_times.shape
    dt, n_steps = sim.dt, sim.n_steps
    valid = np.arange(K) < in_counts[..., None]
    b, i, f = np.nonzero(valid)
    step = np.minimum((in_times[b, i, f] / dt).astype(np.int64), n_steps - 1)
    x = np.zeros((n_steps, B, n0))
    np.add.at(x, (step, b, i), 1.0)
    e1, e2, eL = math.exp(-dt / syn.tau1), math.exp(-dt / syn.tau2), math.exp(-dt / lif.tau_L)

    def E(tau):  # E(dt; tau) / C (1/pF * ms), tau != tau_L
        return (math.exp(-dt / tau) - eL) / (1.0 / lif.tau_L - 1.0 / tau) / lif.C

    E1, E2 = E(syn.tau1), E(syn.tau2)
    n_ref = int(round(lif.t_ref / dt))
    state = [dict(u=np.zeros((B, W.shape[1])), I1=np.zeros((B, W.shape[1])), I2=np.zeros((B, W.shape[1])),
                  ref=np.zeros((B, W.shape[1]), dtype=np.int64), n=np.zeros((B, W.shape[1]), dtype=np.int64))
             for W in weights]
    for n in range(n_steps):
        s = x[n]
        for W, st in zip(weights, state):
            inc = np.matmul(W, s[:, :, None])[:, :, 0]
            st["I1"] += inc
            st["I2"] += inc
            u = st["u"] * eL + st["I1"] * E1 - st["I2"] * E2
            refractory = st["ref"] > 0
            u[refractory] = 0.0
            st["ref"][refractory] -= 1
            st["I1"] *= e1
            st["I2"] *= e2
            spk = u >= lif.theta
            u[spk] = 0.0
            st["ref"][spk] = n_ref
            st["n"] += spk
            st["u"] = u
            s = spk.astype(np.float64)
    return [st["n"] for st in state]


def best_of(fn, repeats: int) -> float:
    """Minimum wall time (s) of ``repeats`` calls of ``fn()``."""
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def command_seconds(args: list[str], cache_dir: str, out: str) -> float:
    """Wall time (s) of ``python -m normad_edu ARGS --out OUT`` with ``NUMBA_CACHE_DIR=cache_dir``."""
    root = str(Path(normad_edu.__file__).resolve().parent.parent)
    path = [root] + ([os.environ["PYTHONPATH"]] if "PYTHONPATH" in os.environ else [])
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, TQDM_DISABLE="1", PYTHONPATH=os.pathsep.join(path))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "normad_edu", *args, "--out", out], env=env, cwd=out, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-startup", action="store_true", help="skip the cold/warm start-up measurements")
    ap.add_argument("--startup-repeats", type=int, default=2,
                    help="cold and warm starts per command, the minimum is shown (default: 2)")
    args = ap.parse_args(argv)
    if args.batch < 1 or args.repeats < 1:
        ap.error("--batch and --repeats must be >= 1")
    B, R = args.batch, args.repeats

    ex = deep_problems("all", n_runs=B, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    weights = [np.ascontiguousarray(W) for W in ex.weights]
    weights[-1] = rng.uniform(0.0, 600.0, weights[-1].shape)
    x_t, x_c = stack_padded([p[0] for p in ex.inputs])
    desired = stack_padded([p[0] for p in ex.desired])
    lif, syn, sim = ex.lif, ex.syn, ex.sim
    kw = dict(lif=lif, syn=syn, sim=sim, params=ex.params)
    rates, plastic = ex.config.rates, ex.config.plastic

    print(f"numba {numba.__version__}, {n_threads()} threads; load average "
          + " ".join(f"{v:.2f}" for v in os.getloadavg()) + f"; batch {B}, minimum of {R} calls")

    # --- the NumPy reference -------------------------------------------------------------
    ref_counts = numpy_forward(x_t, x_c, weights, lif, syn, sim)
    t_ref = best_of(lambda: numpy_forward(x_t, x_c, weights, lif, syn, sim), max(2, R // 3))
    ref_ms = t_ref * 1e3 / B

    # --- engine --------------------------------------------------------------------------
    rec = forward((x_t, x_c), weights, lif, syn, sim)  # compile or load from the cache
    normad_update(rec, desired, rates, plastic, **kw)
    t_fwd = best_of(lambda: forward((x_t, x_c), weights, lif, syn, sim), R)

    def iteration():
        r = forward((x_t, x_c), weights, lif, syn, sim)
        normad_update(r, desired, rates, plastic, **kw)

    t_it = best_of(iteration, R)
    T_s = sim.T / 1000.0
    print("mean rates (Hz) per layer, engine vs NumPy reference: "
          + ", ".join(f"{lay.counts.mean() / T_s:.1f} vs {c.mean() / T_s:.1f}"
                      for lay, c in zip(rec.layers, ref_counts)))

    rows = [("NumPy reference forward (ms per problem)", ref_ms, None),
            ("forward (ms per problem)", t_fwd * 1e3 / B, TARGETS["forward"]),
            ("iteration, all layers plastic (ms per problem)", t_it * 1e3 / B, TARGETS["iteration"])]
    per_problem_rows = len(rows)
    if not args.no_startup:
        with tempfile.TemporaryDirectory() as tmp:
            for name, cmd in (("demo", ["demo"]), ("fig8 --quick", ["reproduce", "fig8", "--quick"])):
                cold = warm = math.inf
                for _ in range(max(1, args.startup_repeats)):
                    cache = tempfile.mkdtemp(dir=tmp)  # empty: every kernel is compiled
                    out = tempfile.mkdtemp(dir=tmp)
                    cold = min(cold, command_seconds(cmd, cache, out))
                    warm = min(warm, command_seconds(cmd, cache, out))
                rows.append((f"{name} cold (s)", cold, TARGETS.get(f"{name} cold")))
                rows.append((f"{name} warm (s)", warm, None))
    try:
        import brian2  # noqa: F401
        print("brian2 imports, but no Brian2 model of this network is part of this benchmark yet")
    except Exception as exc:  # not installed, or broken with this NumPy
        print(f"brian2: not importable ({type(exc).__name__}), no Brian2 line")

    print(f"\n{'figure':<50} {'value':>9} {'/ NumPy ref':>12} {'target':>8}  ok")
    for k, (name, value, target) in enumerate(rows):
        ratio = value / ref_ms if k < per_problem_rows else value / t_ref
        ok = "-" if target is None else ("yes" if value <= target else "NO")
        tgt = "-" if target is None else f"<= {target:g}"
        print(f"{name:<50} {value:9.3f} {ratio:12.4f} {tgt:>8}  {ok}")
    print(f"(NumPy reference: {t_ref:.2f} s per batch of {B}; start-up ratios are to that batch time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
