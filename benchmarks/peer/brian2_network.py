"""The benchmark's network in Brian2: B independent 100-50-25-1 LIF networks run as one Brian2 network.

Run by ``benchmarks/bench_speed.py`` with the Python of the peer environment
(``benchmarks/peer/setup.sh``); it does not import ``normad_edu``. The batch
(input spikes and weights of every problem) comes from a ``.npz`` file the
benchmark writes; this script writes its timings and spike counts to a JSON
file.

Model (units ms, mV, pF, nS, pA; the same LIF neuron and synapse as
:mod:`normad_edu.lif`)::

    C dV/dt = gL (EL - V) + I1 - I2        (V held at EL for t_ref after a spike)
    dI1/dt = -I1 / tau1,   dI2/dt = -I2 / tau2
    a spike of presynaptic neuron i:  I1 += W_ji,  I2 += W_ji
    V >= VT:  spike, V = EL

integrated by Brian2 with the ``exact`` (linear) method on the grid of dt.
Brian2 is clock-driven: an input spike at time s takes effect at the end
of the step ``floor(s / dt)`` it falls in, a neuron's spike at the end of
the step in which V passed VT (in the next layer after that step's update),
and refractoriness lasts ``t_ref / dt`` steps. :mod:`normad_edu.lif` is
event-driven inside the same grid (every spike at its exact time), so the
spike counts agree closely but not exactly.

Problem ``b`` owns neurons ``b * n_l .. (b + 1) * n_l - 1`` of layer ``l``;
synapses connect only neurons of the same problem (all-to-all between
consecutive layers, ``W^l[b]`` as weights). Brian2's ``SpikeGeneratorGroup``
allows one spike per neuron and time step; a second spike of an input in
the same step (Poisson inputs at 20 Hz with dt = 0.1 ms: about one per problem)
goes to an extra generator neuron with the same outgoing synapses, so every
input spike is delivered.

Timing: the network is built and run once (code generation and, for the
cython target, compilation, or its load from Brian2's cache), its state
stored, then restored and run ``--repeats`` times. ``loop_s`` is Brian2's
own measure of each run's main loop (``device._last_run_time``: the time
steps, without code generation or compilation) and ``loop_cpu_s`` its CPU
time (from the end of ``Network.before_run`` to the end of the call),
``run_s`` and ``run_cpu_s`` the wall and CPU time of the whole
``Network.run`` call (CPU / wall below 1 means the machine was busy).
Brian2's runtime targets run on one thread.

Usage::

    python brian2_network.py BATCH.npz OUT.json [--repeats 5] [--target auto|cython|numpy] [--dt DT]
    python brian2_network.py --check      # versions and the code generation target that works
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one thread, before NumPy loads
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def working_target(requested: str = "auto") -> tuple[str, str]:
    """The code generation target to use and why: ``cython`` if a tiny model compiles with it, else ``numpy``."""
    import brian2 as b2

    if requested == "numpy":
        return "numpy", "requested"
    b2.prefs.codegen.target = "cython"
    try:
        G = b2.NeuronGroup(2, "dv/dt = -v / (10*ms) : 1", method="exact", name="target_probe")
        b2.Network(G).run(0.1 * b2.ms)
        return "cython", "a test model compiled"
    except Exception as exc:  # no compiler, no Cython, broken toolchain
        if requested == "cython":
            raise
        return "numpy", f"cython failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def input_generator(in_times: np.ndarray, in_counts: np.ndarray, dt: float):
    """Flat generator spikes for all problems: ``(origin, idx, t)``.

    ``origin[g] = (b, i)`` is the input neuron that generator neuron ``g``
    stands for: ``g = b * n0 + i`` for the first spike of input ``i`` in a
    time step, extra neurons after ``B * n0`` for the second, third, ... in
    the same step (Brian2 allows one per neuron and step). ``idx`` and ``t``
    (ms) list every spike once.
    """
    from brian2.core.functions import timestep

    B, n0, K = in_times.shape
    valid = np.arange(K) < in_counts[..., None]
    b, i, f = np.nonzero(valid)  # sorted by (b, i, f): each train in time order
    t = in_times[b, i, f]
    step = np.asarray(timestep(t, dt), dtype=np.int64)
    src = b * n0 + i
    # rank of each spike among the spikes of the same input in the same step (trains are sorted)
    same = np.r_[False, (src[1:] == src[:-1]) & (step[1:] == step[:-1])]
    k = np.arange(src.size)
    rank = k - np.maximum.accumulate(np.where(same, 0, k))
    extra = np.flatnonzero(rank > 0)
    idx = src.copy()
    idx[extra] = B * n0 + np.arange(extra.size)
    origin = np.concatenate([np.arange(B * n0), src[extra]])  # generator neuron -> input b*n0+i
    return origin, idx, t


def build(data: dict, target: str):
    """The Brian2 network of the batch: (network, spike monitors of layers 1..L, number of synapses)."""
    import brian2 as b2
    from brian2 import ms, mV, nS, pA, pF

    b2.prefs.codegen.target = target
    b2.start_scope()
    in_times, in_counts = data["in_times"], data["in_counts"]
    weights = [data[f"W{l}"] for l in range(1, int(data["n_layers"]) + 1)]
    B, n0 = in_counts.shape
    dt = float(data["dt"])
    b2.defaultclock.dt = dt * ms
    ns = dict(C=float(data["C"]) * pF, gL=float(data["gL"]) * nS, EL=float(data["EL"]) * mV,
              VT=float(data["VT"]) * mV, tau1=float(data["tau1"]) * ms, tau2=float(data["tau2"]) * ms)
    eqs = """
    dv/dt = (gL * (EL - v) + I1 - I2) / C : volt (unless refractory)
    dI1/dt = -I1 / tau1 : amp
    dI2/dt = -I2 / tau2 : amp
    """
    origin, idx, t = input_generator(in_times, in_counts, dt)
    gen = b2.SpikeGeneratorGroup(origin.size, idx, t * ms, name="inputs")
    objects, monitors = [gen], []
    n_syn = 0
    pre, pre_origin, n_prev = gen, origin, n0  # pre_origin[g]: flat index b * n_prev + i of presynaptic neuron g
    for l, W in enumerate(weights, start=1):
        n = W.shape[1]
        G = b2.NeuronGroup(B * n, eqs, threshold="v >= VT", reset="v = EL", refractory=float(data["t_ref"]) * ms,
                           method="exact", namespace=ns, name=f"layer{l}")
        G.v = ns["EL"]
        S = b2.Synapses(pre, G, "w : amp", on_pre="I1_post += w\nI2_post += w", name=f"syn{l}")
        g = np.repeat(np.arange(pre_origin.size), n)  # every presynaptic neuron onto ...
        bb = np.repeat(pre_origin // n_prev, n)
        ii = np.repeat(pre_origin % n_prev, n)
        jj = np.tile(np.arange(n), pre_origin.size)  # ... every neuron of its problem's next layer
        S.connect(i=g, j=bb * n + jj)
        S.w = W[bb, jj, ii] * pA
        n_syn += g.size
        mon = b2.SpikeMonitor(G, name=f"spikes{l}")
        objects += [G, S, mon]
        monitors.append(mon)
        pre, pre_origin, n_prev = G, np.arange(B * n), n
    return b2.Network(*objects), monitors, n_syn


def run(path_in: str, path_out: str, repeats: int, target: str, dt: float | None = None) -> dict:
    """Build, run once, then time ``repeats`` runs of the batch in ``path_in``; write and return the results.

    ``dt`` (ms), if given, replaces the batch's time step (a check: with a
    finer grid Brian2's clock-driven counts approach the exact ones).
    """
    import brian2 as b2
    from brian2 import ms

    with np.load(path_in) as f:
        data = {k: f[k] for k in f.files}
    if dt is not None:
        data["dt"] = np.float64(dt)
    B, n0 = data["in_counts"].shape
    target, why = working_target(target)
    t0 = time.perf_counter()
    net, monitors, n_syn = build(data, target)
    t_build = time.perf_counter() - t0
    net.store("start")
    T = float(data["T"]) * ms
    t0 = time.perf_counter()
    net.run(T, namespace={})  # code generation, compilation (or its cache), first run
    t_first = time.perf_counter() - t0
    marks = {}
    before_run = net.before_run

    def before_run_then_mark(namespace):  # Network.run: before_run (code objects), then the main loop
        before_run(namespace)
        marks["cpu"] = time.process_time()

    net.before_run = before_run_then_mark
    loop, loop_cpu, whole, cpu = [], [], [], []
    for _ in range(repeats):
        net.restore("start")
        c0, t0 = time.process_time(), time.perf_counter()
        net.run(T, namespace={})
        whole.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        loop_cpu.append(time.process_time() - marks["cpu"])
        loop.append(float(b2.get_device()._last_run_time))
    counts = []
    for mon, W in zip(monitors, [data[f"W{l}"] for l in range(1, int(data["n_layers"]) + 1)]):
        counts.append(np.asarray(mon.count[:], dtype=np.int64).reshape(B, W.shape[1]).tolist())
    out = dict(brian2=b2.__version__, numpy=np.__version__, python=platform.python_version(), target=target,
               target_reason=why, dt=float(data["dt"]), batch=int(B), synapses=int(n_syn), generator_neurons=int(net["inputs"].N),
               build_s=t_build, first_run_s=t_first, loop_s=loop, loop_cpu_s=loop_cpu, run_s=whole, run_cpu_s=cpu, counts=counts)
    with open(path_out, "w") as fh:
        json.dump(out, fh)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("batch", nargs="?", help="the .npz file written by bench_speed.py")
    ap.add_argument("out", nargs="?", help="JSON file to write")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--target", choices=("auto", "cython", "numpy"), default="auto",
                    help="Brian2 code generation target (auto: cython if it compiles, else numpy)")
    ap.add_argument("--dt", type=float, default=None,
                    help="time step (ms) instead of the batch's, to check convergence (default: the batch's)")
    ap.add_argument("--check", action="store_true", help="print versions and the working target, then exit")
    args = ap.parse_args(argv)
    if args.check:
        import brian2 as b2

        target, why = working_target(args.target)
        print(f"brian2 {b2.__version__}, numpy {np.__version__}, python {platform.python_version()}: "
              f"code generation target {target} ({why})")
        return 0
    if not args.batch or not args.out or args.repeats < 1 or (args.dt is not None and not args.dt > 0):
        ap.error("give BATCH.npz and OUT.json (and --repeats >= 1, --dt > 0), or --check")
    out = run(args.batch, args.out, args.repeats, args.target, args.dt)
    print(f"brian2 {out['brian2']} ({out['target']}), batch {out['batch']}: main loop min "
          f"{min(out['loop_s']) * 1e3:.1f} ms, whole run() min {min(out['run_s']) * 1e3:.1f} ms", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
