"""Where one NormAD training iteration of the generic 100 -> 50 -> 25 -> 1 network spends its time.

Set-up as ``benchmarks/bench_train.py``: a batch of generic problems
(:func:`normad_edu.experiments.deep_problems`, ``"all"`` layers plastic;
T = 500 ms, dt = 0.1 ms, 100 Poisson inputs at 20 Hz, the default
``DeepSetup`` hidden weights), output weights U(0, 600) pA so the output
fires and error instants of both signs exist.

Every row is the minimum over ``--repeats`` calls of ms per problem (the
machine is shared: the minimum is the least disturbed call). Rows:

* forward, per layer: :func:`normad_edu.lif.simulate_layer` on the layer's
  (pre-computed) input spikes;
* the forward kernel of each layer split by timing variants of its input:
  no input spikes (time stepping only), the real input spikes with weights
  scaled by 1e-3 (stepping + event handling, no neuron reaches threshold),
  and the real run (+ threshold crossings: Newton search, refractoriness);
* the backward pass: the ``d_hat_sweep`` calls (hidden-layer spikes and
  error instants), the ``adjoint_sweep`` call, timed alone with compiled
  loops over the batch run on the engine's thread pool like its own;
  "G / update and the rest" is the whole compiled pass minus these (the
  sweeps timed alone also flatten their layers' spikes, so this difference
  is a lower bound);
* error instants and correlation as :func:`normad_edu.training.train`
  computes them; packing the record for the engine; argument checks;
* ``training.train``: the wall time of an iteration minus the time inside
  the forward pass (simulate_network), the backward pass (normad.backward), the error instants
  and the correlation (measured by wrapping those functions): the Python overhead of the loop.

``--clock cpu`` measures process CPU time instead of wall time: on a loaded
machine, with one thread (``NUMBA_NUM_THREADS=1``), far steadier than wall
time (the time the process waits for a core is not counted).

Usage::

    python benchmarks/profile_iteration.py [--batch 100] [--repeats 7] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import numba

from normad_edu._engine.threads import n_threads, over_batch
import numpy as np

from normad_edu import training
from normad_edu._engine import backward as engine
from normad_edu._engine import sweeps
from normad_edu._engine.kernels import flatten_spikes
from normad_edu.experiments import deep_problems
from normad_edu.lif import simulate_layer
from normad_edu.metrics import correlation_padded
from normad_edu.network import forward
from normad_edu.normad import error_instants_padded, backward, normad_update
from normad_edu.spikes import stack_padded


CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def best_ms(fn, repeats: int, per: int) -> float:
    """Minimum time (``clock``) of ``repeats`` calls of ``fn()`` in ms, divided by ``per``."""
    best = np.inf
    for _ in range(repeats):
        t0 = clock()
        fn()
        best = min(best, clock() - t0)
    return best * 1e3 / per


@numba.njit(nogil=True, cache=True)
def _dhat_sweeps(lo, hi, stop, times_pre, counts_pre, times_post, counts_post, n_pre, tau1, tau2, tau_L_hat, C):
    """d_hat_sweep of problems lo .. hi-1: dhat of layer ``pre`` at the spikes of layer ``post``."""
    for b in range(lo, hi):
        pre_t, pre_j, _ = flatten_spikes(times_pre[b], counts_pre[b], n_pre)
        post_t, _, _ = flatten_spikes(times_post[b], counts_post[b], times_post.shape[1])
        out = np.empty((post_t.shape[0], n_pre))
        sweeps.d_hat_sweep(post_t, pre_t, pre_j, n_pre, tau1, tau2, tau_L_hat, C, out)


@numba.njit(nogil=True, cache=True)
def _dhat_at_errors(lo, hi, stop, err_t, err_s, times_pre, counts_pre, n_pre, tau1, tau2, tau_L_hat, C):
    """d_hat_sweep at the error instants of every output neuron of problems lo .. hi-1."""
    for b in range(lo, hi):
        pre_t, pre_j, _ = flatten_spikes(times_pre[b], counts_pre[b], n_pre)
        for k in range(err_t.shape[1]):
            n_e = 0
            while n_e < err_s.shape[2] and err_s[b, k, n_e] != 0:
                n_e += 1
            out = np.empty((n_e, n_pre))
            sweeps.d_hat_sweep(err_t[b, k, :n_e], pre_t, pre_j, n_pre, tau1, tau2, tau_L_hat, C, out)


@numba.njit(nogil=True, cache=True)
def _adjoint_sweeps(lo, hi, stop, n_err, times_src, counts_src, W, times_qry, counts_qry, tau1, tau2, tau_L_hat, C):
    """adjoint_sweep of problems lo .. hi-1 with n_err[b] error instants (delta = 1 everywhere)."""
    for b in range(lo, hi):
        src_t, src_j, _ = flatten_spikes(times_src[b], counts_src[b], times_src.shape[1])
        qry_t, qry_j, _ = flatten_spikes(times_qry[b], counts_qry[b], times_qry.shape[1])
        delta = np.ones((n_err[b], src_t.shape[0]))
        sweeps.adjoint_sweep(delta, src_t, src_j, W[b], qry_t, qry_j, times_qry.shape[1], tau1, tau2, tau_L_hat, C,
                             stop)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-iterations", type=int, default=5)
    ap.add_argument("--clock", choices=sorted(CLOCK), default="wall",
                    help="wall time (default) or process CPU time (steadier on a loaded machine, with one thread)")
    args = ap.parse_args(argv)
    global clock
    clock = CLOCK[args.clock]
    B, R = args.batch, args.repeats

    ex = deep_problems("all", n_runs=B, seed=args.seed)
    rng = np.random.default_rng(args.seed)
    weights = [np.ascontiguousarray(W) for W in ex.weights]
    weights[-1] = rng.uniform(0.0, 600.0, weights[-1].shape)
    inputs = [p[0] for p in ex.inputs]
    desired = stack_padded([p[0] for p in ex.desired])
    lif, syn, sim, params = ex.lif, ex.syn, ex.sim, ex.params
    rates, plastic = np.asarray(ex.config.rates, dtype=float), np.asarray(ex.config.plastic)
    kw = dict(lif=lif, syn=syn, sim=sim, params=params)

    rec = forward(inputs, weights, lif, syn, sim)  # warm-up (compile or cache load)
    normad_update(rec, desired, rates, plastic, **kw)
    rows = []  # (group, name, ms per problem)

    # --- forward, per layer, and the split of each layer's kernel ------------------------
    fwd_total = best_ms(lambda: forward(inputs, weights, lif, syn, sim), R, B)
    rows.append(("forward", "network.forward (validated, all layers)", fwd_total))
    srcs = [rec.inputs] + rec.layers[:-1]
    for l, (src, W) in enumerate(zip(srcs, weights), start=1):
        full = best_ms(lambda: simulate_layer(src.times, src.counts, W, lif, syn, sim), R, B)
        rows.append(("forward", f"layer {l} ({W.shape[2]} -> {W.shape[1]}) simulate_layer", full))
    for l, (src, W) in enumerate(zip(srcs, weights), start=1):
        none = (np.full(src.times[:, :, :1].shape, np.inf), np.zeros_like(src.counts))
        t_step = best_ms(lambda: simulate_layer(*none, W, lif, syn, sim), R, B)
        t_events = best_ms(lambda: simulate_layer(src.times, src.counts, W * 1e-3, lif, syn, sim), R, B)
        t_full = best_ms(lambda: simulate_layer(src.times, src.counts, W, lif, syn, sim), R, B)
        n_ev = src.counts.sum() / B
        n_spk = rec.layers[l - 1].counts.sum() / B
        rows.append(("forward split", f"layer {l}: stepping only ({sim.n_steps} steps x {W.shape[1]} neurons)", t_step))
        rows.append(("forward split", f"layer {l}: + input events ({n_ev:.0f} per problem)", t_events - t_step))
        rows.append(("forward split", f"layer {l}: + crossings ({n_spk:.0f} spikes: Newton, refractory)",
                     t_full - t_events))

    # --- error instants, correlation -----------------------------------------------------
    width, offset = params.bins(sim)
    out = rec.output
    d_t, d_c = desired
    err_t, err_s = error_instants_padded(d_t, d_c, out.times, out.counts, width, offset)
    rows.append(("scoring", "error instants (error_instants_padded)",
                 best_ms(lambda: error_instants_padded(d_t, d_c, out.times, out.counts, width, offset), R, B)))
    on_grid = training._on_grid
    rows.append(("scoring", "correlation (correlation_padded on the grid)",
                 best_ms(lambda: correlation_padded(on_grid(out.times, width, offset), out.counts,
                                                    on_grid(d_t, width, offset), d_c, ex.config.sigma), R, B)))

    # --- backward --------------------------------------------------------------------------
    bw = dict(tau1=syn.tau1, tau2=syn.tau2, tau_L_hat=params.tau_L_hat, C=lif.C)
    t_update = best_ms(lambda: normad_update(rec, desired, rates, plastic, **kw), R, B)
    t_backward = best_ms(lambda: backward(rec, err_t, err_s, rates, plastic, lif=lif, syn=syn, params=params), R, B)
    code = engine.PER_LAYER
    packed = engine.pack_record(rec)
    dW = np.zeros(packed.weights.shape)
    kargs = (packed.layout, packed.input_t, packed.spike_t, packed.spike_count, packed.vdot, packed.weights,
             np.ascontiguousarray(err_t), np.ascontiguousarray(err_s, dtype=np.int8), rates, plastic.astype(np.bool_),
             code, syn.tau1, syn.tau2, params.tau_L_hat, lif.C, params.vdot_min)
    t_kernel = best_ms(lambda: engine.backward_batch(*kargs, dW), R, B)
    t_pack = best_ms(lambda: engine.pack_record(rec), R, B)
    L = len(rec.layers)
    sp = [rec.spikes(l) for l in range(L + 1)]
    consts = (bw["tau1"], bw["tau2"], bw["tau_L_hat"], bw["C"])
    t_dhat = []
    for l in range(1, L):
        pre, post = sp[l - 1], sp[l]
        dh = (pre.times, pre.counts, post.times, post.counts, pre.counts.shape[1], *consts)
        over_batch(_dhat_sweeps, B, *dh)
        t = best_ms(lambda: over_batch(_dhat_sweeps, B, *dh), R, B)
        t_dhat.append(t)
        rows.append(("backward", f"d_hat sweep: layer {l - 1} at the spikes of layer {l}", t))
    pre = sp[L - 1]
    es8 = np.ascontiguousarray(err_s, dtype=np.int8)
    de = (err_t, es8, pre.times, pre.counts, pre.counts.shape[1], *consts)
    over_batch(_dhat_at_errors, B, *de)
    t_err = best_ms(lambda: over_batch(_dhat_at_errors, B, *de), R, B)
    rows.append(("backward", f"d_hat sweep: layer {L - 1} at the error instants", t_err))
    n_err = (err_s != 0).sum(axis=(1, 2)).astype(np.int64)
    src, qry = sp[L - 1], sp[L - 2]
    adj = (n_err, src.times, src.counts, np.ascontiguousarray(weights[L - 2]), qry.times, qry.counts, *consts)
    over_batch(_adjoint_sweeps, B, *adj)
    t_adj = best_ms(lambda: over_batch(_adjoint_sweeps, B, *adj), R, B)
    rows.append(("backward", f"adjoint sweep: layer {L - 1} -> {L - 2} ({n_err.mean():.1f} error instants)", t_adj))
    rows.append(("backward", "G / update and the rest of the compiled pass (difference)",
                 t_kernel - sum(t_dhat) - t_err - t_adj))
    rows.append(("backward", "compiled pass backward_batch (total)", t_kernel))
    rows.append(("backward", "pack_record (Python/NumPy)", t_pack))
    rows.append(("backward", "normad.backward (pack + kernel + unpack)", t_backward))
    rows.append(("backward", "normad_update (checks + error instants + backward)", t_update))

    # --- training.train: Python overhead ---------------------------------------------------
    spent = {}

    def timed(name, fn):
        def wrapper(*a, **k):
            t0 = clock()
            try:
                return fn(*a, **k)
            finally:
                spent[name] = spent.get(name, 0.0) + clock() - t0
        return wrapper

    originals = {n: getattr(training, n) for n in ("simulate_network", "backward", "correlation_padded",
                                                    "error_instants_padded")}
    n_it = args.train_iterations
    config = replace(ex.config, max_iter=n_it, threshold=1.0, raster_every=1)
    x_train = [[p[0]] for p in ex.inputs]
    d_train = [[p[0]] for p in ex.desired]
    best = None
    try:
        for name, fn in originals.items():
            setattr(training, name, timed(name, fn))
        for _ in range(max(1, R // 2)):
            spent.clear()
            t0 = clock()
            res = training.train(x_train, d_train, weights, config, progress=False, **kw)
            wall = clock() - t0
            if best is None or wall < best[0]:
                best = (wall, dict(spent), res.correlation.shape[0])
    finally:
        for name, fn in originals.items():
            setattr(training, name, fn)
    wall, parts, n_eval = best
    per = lambda s: s * 1e3 / B / n_it  # noqa: E731  ms per problem per iteration
    rows.append(("train", f"training.train wall time per iteration ({n_it} updates, {n_eval} evaluations)", per(wall)))
    for name in originals:
        rows.append(("train", f"  inside {name}", per(parts.get(name, 0.0))))
    rows.append(("train", "  Python overhead (the rest)", per(wall - sum(parts.values()))))

    print(f"one training iteration of {'-'.join(str(n) for n in [weights[0].shape[2]] + [W.shape[1] for W in weights])}"
          f", batch {B}, all layers plastic; numba {numba.__version__}, {n_threads()} threads; load average "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"ms per problem ({args.clock} clock), minimum of {R} calls")
    group = None
    for g, name, ms in rows:
        if g != group:
            print(f"\n[{g}]")
            group = g
        print(f"  {name:<72} {ms:8.3f}")


if __name__ == "__main__":
    main()
