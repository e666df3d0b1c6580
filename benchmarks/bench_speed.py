"""The speed figures of the engine, against a plain NumPy step loop, Brian2 and a floor estimate, from one run.

Figures (paper's generic network 100 -> 50 -> 25 -> 1, T = 500 ms, dt = 0.1 ms,
100 Poisson inputs at 20 Hz, the default ``DeepSetup`` hidden weights, output
weights U(0, 600) pA so the output fires; a batch of ``--batch`` problems):

* forward pass, ms per problem (:func:`normad_edu.network.forward` on padded
  inputs), on the default number of threads and on one thread;
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
(the least disturbed one); the load average (``/proc/loadavg``) is printed
at the start and the end.

Peers. The same batch (input spikes and weights) is written to a ``.npz``
file and simulated by Brian2 (``benchmarks/peer/brian2_network.py``, run
with the Python of the peer environment that ``benchmarks/peer/setup.sh``
creates, in a subprocess, on one thread): one Brian2 network of the ``B``
independent problems, the same LIF neuron and difference-of-exponentials
synapse integrated with Brian2's exact linear propagator on the grid of dt.
Its time is the minimum over ``--peer-repeats`` runs of Brian2's main loop,
measured inside that process after a first run that generated and compiled
the code. The peer table gives ms per problem, the minimum wall time and
the minimum CPU time (of all threads of the process; CPU time is less
disturbed by other processes on a shared machine), each also as a multiple
of ``normad_edu``'s forward pass on one thread: the engine on 1 and on the
default threads, Brian2, the NumPy step loop and the floor estimate, with
CPU time / wall time of the fastest call (about 1 for one busy thread on a
quiet machine; the NumPy loop's matrix-vector products are too small for
its BLAS to use threads). The spike counts of every layer from
``normad_edu``, Brian2 and the NumPy loop are compared, to show that the
three did the same work: Brian2 and the NumPy loop are clock-driven (a
spike takes effect at the end, or the start, of its step), ``normad_edu``
is exact inside the grid, so counts agree closely but not exactly
(``--brian2-dt 0.01`` runs Brian2 on a 10x finer grid, where its counts come
close to ``normad_edu``'s). Without the peer environment the Brian2 line
says how to create it. The environment variable ``NORMAD_PEER_VENV``
points at another peer venv (default ``benchmarks/peer/.venv-peer``).

Floor estimate. A clock-driven simulation of this network must at least
(a) advance the state ``(V, I1, I2)`` of each of the ``n_1 + n_2 + n_3 = 76``
LIF neurons at each of the ``T / dt = 5000`` steps (a neuron-step: a
handful of multiply-adds and a threshold compare), and (b) deliver every
spike of layer ``l - 1`` to each of the ``n_l`` neurons it projects to (a
synaptic event: one weight loaded and added to two traces). Counted from
the batch (input spikes and the engine's spike counts), per problem:
``76 x 5000 = 380,000`` neuron-steps and ``sum_l (spikes of layer l - 1) x n_l``
synaptic events (~70,000 at the default rates). At ~1 ns each, the cost of
a few dependent floating-point operations and a memory access that stays
in the L1 cache on one core of a ~3 GHz machine, this gives the printed
floor (~0.45 ms per problem on one thread). It is an order of magnitude,
not a bound: vector instructions can advance several neurons per ns, and
it ignores the bookkeeping of spike times and of the exact crossing times.

Targets on a 2-core machine: forward <= 1.0 ms per problem, an iteration
<= 1.5 ms per problem (batch 100); cold start fig8 --quick <= 8 s, demo <= 4 s.

Usage::

    python benchmarks/bench_speed.py [--batch 100] [--repeats 7] [--seed 0] [--no-startup] [--startup-repeats 2]
                                     [--no-peer] [--peer-repeats 5] [--brian2-dt DT]
"""

from __future__ import annotations

import argparse
import json
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

#: The peer environment: its folder (setup.sh, requirements.txt, the Brian2 model) and default venv.
PEER_DIR = Path(__file__).resolve().parent / "peer"
PEER_VENV = PEER_DIR / ".venv-peer"
#: Assumed cost (ns) of one neuron-step and of one synaptic event in the floor estimate (see the module docstring).
FLOOR_NS = 1.0


def benchmark_problems(batch: int, seed: int):
    """The benchmark's ``batch`` generic problems and weights: the default hidden weights of ``deep_problems`` and
    output weights U(0, 600) pA (the default output weights are 0, and a silent output leaves no error to learn)."""
    ex = deep_problems("all", n_runs=batch, seed=seed)
    rng = np.random.default_rng(seed)
    weights = [np.ascontiguousarray(W) for W in ex.weights]
    weights[-1] = rng.uniform(0.0, 600.0, weights[-1].shape)
    return ex, weights


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


def load_average() -> str:
    """The first three fields of ``/proc/loadavg`` (1, 5 and 15 minute load averages)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())


def best_of(fn, repeats: int) -> tuple[float, float, float]:
    """``repeats`` calls of ``fn()``: minimum wall time (s), minimum CPU time (s, all threads of the
    process), and CPU time / wall time of the fastest call (about 1 per busy thread on a quiet machine)."""
    best, best_cpu, cpu_ratio = math.inf, math.inf, math.nan
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        best_cpu = min(best_cpu, cpu)
        if wall < best:
            best, cpu_ratio = wall, cpu / wall
    return best, best_cpu, cpu_ratio


def floor_estimate(in_counts: np.ndarray, layer_counts: list[np.ndarray], n_steps: int,
                   ns_per_op: float = FLOOR_NS) -> tuple[float, float, float]:
    """Neuron-steps, synaptic events and the floor (ms), each per problem (see the module docstring).

    ``in_counts`` ``(B, n_0)`` and ``layer_counts`` ``[(B, n_l)]`` are spike
    counts; layer ``l`` has ``n_l`` neurons, each receiving every spike of
    layer ``l - 1``; ``ns_per_op`` is the assumed cost of each (ns).
    """
    sizes = [c.shape[1] for c in layer_counts]
    neuron_steps = float(sum(sizes) * n_steps)
    pre = [in_counts] + list(layer_counts[:-1])
    events = float(sum(p.sum(axis=1).mean() * n for p, n in zip(pre, sizes)))
    return neuron_steps, events, (neuron_steps + events) * ns_per_op * 1e-6


def export_batch(path: Path, in_times: np.ndarray, in_counts: np.ndarray, weights: list, lif: LIFParams,
                 syn: SynapseParams, sim: SimParams) -> None:
    """Write the batch for the peer simulators: padded inputs (ms), ``W1 .. WL`` (pA) and the parameters."""
    np.savez(path, in_times=in_times, in_counts=in_counts, n_layers=len(weights),
             **{f"W{l}": np.asarray(W, dtype=np.float64) for l, W in enumerate(weights, start=1)},
             C=lif.C, gL=lif.gL, EL=lif.EL, VT=lif.VT, t_ref=lif.t_ref, tau1=syn.tau1, tau2=syn.tau2,
             dt=sim.dt, T=sim.T)


def peer_python() -> Path:
    """The Python of the peer venv: ``$NORMAD_PEER_VENV`` or ``benchmarks/peer/.venv-peer``."""
    venv = Path(os.environ.get("NORMAD_PEER_VENV") or PEER_VENV)
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def peer_howto(python: Path) -> str:
    """What to do when the peer venv is missing."""
    return (f"Brian2: no peer environment ({python} not found), no Brian2 line. Create it with "
            f"`bash benchmarks/peer/setup.sh` (a venv with benchmarks/peer/requirements.txt; "
            f"NORMAD_PEER_VENV=DIR puts it elsewhere) and run this again (see benchmarks/README.md)")


def run_brian2(batch_file: Path, repeats: int, dt: float | None = None) -> tuple[dict | None, str]:
    """Run the Brian2 model of the batch in the peer venv on one thread: (its JSON result, a message).

    ``dt`` (ms) replaces the batch's time step in the Brian2 run only (a convergence check).
    """
    python = peer_python()
    if not python.exists():
        return None, peer_howto(python)
    out = batch_file.with_suffix(".brian2.json")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    res = subprocess.run([str(python), str(PEER_DIR / "brian2_network.py"), str(batch_file), str(out),
                          "--repeats", str(repeats)] + ([] if dt is None else ["--dt", repr(dt)]),
                         env=env, capture_output=True, text=True)
    if res.returncode != 0 or not out.exists():
        tail = "\n".join((res.stderr or res.stdout).strip().splitlines()[-5:])
        return None, f"Brian2: the peer run failed (exit {res.returncode}), no Brian2 line:\n{tail}"
    return json.loads(out.read_text()), ""


def count_agreement(name: str, ours: np.ndarray, other: np.ndarray) -> str:
    """One layer's spike counts ``(B, n)`` of a peer against normad_edu's."""
    d = other.astype(np.int64) - ours
    total = ours.sum()
    rel = 100.0 * d.sum() / total if total else math.nan
    return (f"{name} {other.sum(axis=1).mean():8.1f} ({rel:+5.1f} %, neurons with equal counts "
            f"{100.0 * np.mean(d == 0):5.1f} %, mean |difference| {np.abs(d).mean():.2f})")


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
    ap.add_argument("--no-peer", action="store_true", help="skip the Brian2 run in the peer environment")
    ap.add_argument("--peer-repeats", type=int, default=5, help="timed Brian2 runs, the minimum is shown (default: 5)")
    ap.add_argument("--brian2-dt", type=float, default=None, metavar="DT",
                    help="run Brian2 on a finer grid (ms) to check that its spike counts approach normad_edu's "
                         "(its time is then not comparable; default: the benchmark's dt)")
    args = ap.parse_args(argv)
    if args.batch < 1 or args.repeats < 1 or args.peer_repeats < 1:
        ap.error("--batch, --repeats and --peer-repeats must be >= 1")
    if args.brian2_dt is not None and not args.brian2_dt > 0:
        ap.error(f"--brian2-dt must be > 0 ms, got {args.brian2_dt}")
    B, R = args.batch, args.repeats

    ex, weights = benchmark_problems(B, args.seed)
    x_t, x_c = stack_padded([p[0] for p in ex.inputs])
    desired = stack_padded([p[0] for p in ex.desired])
    lif, syn, sim = ex.lif, ex.syn, ex.sim
    kw = dict(lif=lif, syn=syn, sim=sim, params=ex.params)
    rates, plastic = ex.config.rates, ex.config.plastic
    threads = n_threads()

    print(f"numba {numba.__version__}, numpy {np.__version__}, {threads} threads; load average (/proc/loadavg) at "
          f"start {load_average()}; batch {B}, minimum of {R} calls")

    # --- the NumPy reference -------------------------------------------------------------
    ref_counts = numpy_forward(x_t, x_c, weights, lif, syn, sim)
    t_ref, c_ref, cpu_ref = best_of(lambda: numpy_forward(x_t, x_c, weights, lif, syn, sim), max(2, R // 3))
    ref_ms = t_ref * 1e3 / B

    # --- engine --------------------------------------------------------------------------
    rec = forward((x_t, x_c), weights, lif, syn, sim)  # compile or load from the cache
    normad_update(rec, desired, rates, plastic, **kw)
    t_fwd, c_fwd, cpu_fwd = best_of(lambda: forward((x_t, x_c), weights, lif, syn, sim), R)
    numba.set_num_threads(1)
    try:
        rec_1 = forward((x_t, x_c), weights, lif, syn, sim)
        t_fwd1, c_fwd1, cpu_fwd1 = best_of(lambda: forward((x_t, x_c), weights, lif, syn, sim), R)
    finally:
        numba.set_num_threads(threads)
    assert all(np.array_equal(a.counts, b.counts) for a, b in zip(rec.layers, rec_1.layers)), \
        "1 thread and default threads disagree"

    def iteration():
        r = forward((x_t, x_c), weights, lif, syn, sim)
        normad_update(r, desired, rates, plastic, **kw)

    t_it, _, _ = best_of(iteration, R)

    rows = [("NumPy reference forward (ms per problem)", ref_ms, None),
            (f"forward (ms per problem, {threads} threads)", t_fwd * 1e3 / B, TARGETS["forward"]),
            ("forward (ms per problem, 1 thread)", t_fwd1 * 1e3 / B, None),
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

    # --- Brian2, in the peer environment -------------------------------------------------
    brian, peer_msg = None, "Brian2: skipped (--no-peer)"
    if not args.no_peer:
        with tempfile.TemporaryDirectory() as tmp:
            batch_file = Path(tmp) / "batch.npz"
            export_batch(batch_file, x_t, x_c, weights, lif, syn, sim)
            if peer_python().exists():
                print("running Brian2 in the peer environment (its first run in a new venv compiles for minutes)",
                      flush=True)
            brian, peer_msg = run_brian2(batch_file, args.peer_repeats, args.brian2_dt)

    print(f"\n{'figure':<50} {'value':>9} {'/ NumPy ref':>12} {'target':>8}  ok")
    for k, (name, value, target) in enumerate(rows):
        ratio = value / ref_ms if k < per_problem_rows else value / t_ref
        ok = "-" if target is None else ("yes" if value <= target else "NO")
        tgt = "-" if target is None else f"<= {target:g}"
        print(f"{name:<50} {value:9.3f} {ratio:12.4f} {tgt:>8}  {ok}")
    print(f"(NumPy reference: {t_ref:.2f} s per batch of {B}; start-up ratios are to that batch time)")

    # --- peers: ours / Brian2 / NumPy loop / floor ---------------------------------------
    ours1 = t_fwd1 * 1e3 / B
    steps, events, floor_ms = floor_estimate(x_c, [lay.counts for lay in rec.layers], sim.n_steps)
    # (name, wall ms per problem, CPU ms per problem, note)
    peer_rows = [("normad_edu forward, 1 thread", ours1, c_fwd1 * 1e3 / B, f"cpu/wall {cpu_fwd1:.2f}"),
                 (f"normad_edu forward, {threads} threads (default)", t_fwd * 1e3 / B, c_fwd * 1e3 / B,
                  f"cpu/wall {cpu_fwd:.2f} (CPU: all threads)")]
    finer = ""
    if brian is not None:
        b_ms = min(brian["loop_s"]) * 1e3 / B
        k = int(np.argmin(brian["loop_s"]))
        finer = "" if brian["dt"] == sim.dt else f", dt = {brian['dt']:g} ms: NOT COMPARABLE"
        peer_rows.append((f"Brian2 {brian['brian2']} ({brian['target']}), 1 thread{finer}", b_ms,
                          min(brian["loop_cpu_s"]) * 1e3 / B,
                          f"cpu/wall {brian['loop_cpu_s'][k] / brian['loop_s'][k]:.2f}; whole run() "
                          f"{min(brian['run_s']) * 1e3 / B:.2f} ms; numpy {brian['numpy']}"))
    peer_rows += [("NumPy step loop", ref_ms, c_ref * 1e3 / B, f"cpu/wall {cpu_ref:.2f}"),
                  (f"floor estimate ({FLOOR_NS:g} ns per neuron-step and per synaptic event)", floor_ms, floor_ms,
                   f"{steps:,.0f} neuron-steps + {events:,.0f} synaptic events")]
    ours1_cpu = c_fwd1 * 1e3 / B
    print("\nsame batch, ms per problem, minimum wall and CPU time" +
          (f" (Brian2: {args.peer_repeats} runs of its main loop, compilation excluded)" if brian is not None else ""))
    print(f"{'simulator':<62} {'wall':>8} {'x ours':>7} {'CPU':>8} {'x ours':>7}  note")
    for name, value, cpu, note in peer_rows:
        print(f"{name:<62} {value:8.3f} {value / ours1:7.2f} {cpu:8.3f} {cpu / ours1_cpu:7.2f}  {note}")
    if brian is None:
        print(peer_msg)
    elif not finer:
        print(f"Brian2 / ours (1 thread) = {b_ms / ours1:.2f} (CPU time: "
              f"{min(brian['loop_cpu_s']) * 1e3 / B / ours1_cpu:.2f}); ", end="")
    print(f"NumPy loop / ours (1 thread) = {ref_ms / ours1:.2f}; ours (1 thread) / floor = {ours1 / floor_ms:.2f} "
          f"(CPU time: {ours1_cpu / floor_ms:.2f})")

    print(f"\nspikes per problem, by layer (normad_edu exact inside the grid; "
          f"{'Brian2 and ' if brian is not None else ''}the NumPy loop clock-driven"
          + (f"; Brian2 with dt = {brian['dt']:g} ms)" if brian is not None and brian["dt"] != sim.dt else ")"))
    for l, lay in enumerate(rec.layers, start=1):
        n = lay.counts.shape[1]
        print(f"  layer {l} ({n:2d} neurons): normad_edu {lay.counts.sum(axis=1).mean():8.1f}")
        if brian is not None:
            print("    " + count_agreement("Brian2    ", lay.counts, np.asarray(brian["counts"][l - 1])))
        print("    " + count_agreement("NumPy loop", lay.counts, ref_counts[l - 1]))
    if brian is not None:
        print(f"(Brian2: {brian['synapses']:,} synapses, {brian['generator_neurons']:,} input generator neurons; "
              f"network built in {brian['build_s']:.1f} s, first run with code generation and compilation "
              f"{brian['first_run_s']:.1f} s; target {brian['target']}: {brian['target_reason']})")
    print(f"load average at end {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
