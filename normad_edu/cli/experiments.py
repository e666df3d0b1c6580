"""The experiment commands: ``demo``, ``single``, ``gradcheck``, ``xor`` and ``deep``.

::

    normad-edu demo       [--batch B] [--seed S] [--out DIR] [--json]
    normad-edu single     [--problems N] [--inputs N] [--max-iter M] [--rule RULE] [--rate PA]
                          [--tau-l-hat MS] [--set FIELD=VALUE ...] [--seed S] [--out DIR] [--json] [--quiet]
    normad-edu gradcheck  [--layers 20,10,5,1] [--t-ref MS] [--tau-l-hat MS] [--seed S] [--json]
    normad-edu xor        [--problems N] [--hidden plastic,frozen] [--max-iter M] [--set FIELD=VALUE ...] SWEEP
    normad-edu deep       [--problems N] [--train output,outer2,all] [--max-iter M] [--set FIELD=VALUE ...] SWEEP

The problems come from :mod:`normad_edu.experiments`, the sweeps from
:mod:`normad_edu.research.sweep`; this module parses and prints.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import asdict

import numpy as np

from ..experiments import demo_problem, get_experiment, make_experiment
from ..limits import check_array_bytes, first_spike_capacity
from ..params import TAU_L_HAT, LIFParams, SimParams
from ..setups import DeepSetup
from .settings import add_set_option, build_setup
from .support import (RESULTS_FILE, UsageError, add_common_options, compile_notice, float_above, fmt, int_at_least,
                      layer_sizes, names, NamesAction, output_folder, print_json, say, use_agg, write_figure)
from .sweeps import add_sweep_options, check_sweep_args, sweep_configuration, sweep_runner

#: The demo's setup: the generic problems' defaults.
DEMO_SETUP = DeepSetup()
#: Layer sizes ``(n_0, n_1, n_2, n_3)`` of the demo (the generic problems').
DEMO_SIZES = tuple(DEMO_SETUP.sizes)
#: Hidden weight scales ``a_1, a_2`` of the demo (pA).
DEMO_HIDDEN_A = tuple(DEMO_SETUP.a_hidden)


def register(commands) -> None:
    """Add ``demo``, ``single``, ``gradcheck``, ``xor`` and ``deep`` to the ``commands`` subparsers."""
    add_demo_parser(commands)
    add_single_parser(commands)
    add_gradcheck_parser(commands)
    add_sweep_parser(commands, "xor", "hidden", "Train XOR 54-54-1 from N random initialisations")
    add_sweep_parser(commands, "deep", "train", "Train N generic problems on the 100-50-25-1 network")


# ----------------------------------------------------------------------------------------------------------------
# demo
# ----------------------------------------------------------------------------------------------------------------


def add_demo_parser(commands) -> None:
    p = commands.add_parser("demo", help="simulate the 100-50-25-1 network on Poisson inputs and save a raster plot",
                            description="Simulate the generic 100-50-25-1 LIF network of the paper (default DeepSetup: "
                                        "T = 500 ms, 100 Poisson inputs at 20 Hz, balanced hidden weights, output "
                                        "weights 0), print each layer's firing rate and save DIR/demo_raster.png.")
    p.add_argument("--batch", metavar="B", type=int_at_least(1), default=1,
                   help="independent problems simulated together, >= 1 (default: 1); the plot shows the first")
    add_common_options(p, quiet=False)
    p.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    """``normad-edu demo``: simulate, summarise, save the raster plot."""
    sim = SimParams(T=DEMO_SETUP.T)
    capacity, n = first_spike_capacity(LIFParams().t_ref, sim.T, sim.dt), max(DEMO_SIZES[1:])
    try:  # what the simulator will allocate, checked before the problems are drawn
        check_array_bytes(16.0 * args.batch * n * capacity, f"the spike buffers of the largest layer, {args.batch} x "
                                                            f"{n} neurons with room for {capacity} spikes each,",
                          "use a smaller --batch")
    except ValueError as exc:
        raise UsageError(f"argument --batch: {exc}") from None
    out = output_folder(args.out)
    use_agg()
    from ..network import forward
    from ..plotting import plot_network_activity

    compile_notice(args)
    t_start = time.perf_counter()
    inputs, weights = demo_problem(args.batch, args.seed, DEMO_SETUP)
    t_sim = time.perf_counter()
    record = forward(inputs, weights, sim=sim)
    simulate_seconds = time.perf_counter() - t_sim
    rates = [float(lay.counts.mean() / (sim.T / 1000.0)) for lay in [record.inputs, *record.layers]]
    fig = plot_network_activity(record, batch_index=0, T=sim.T)
    fig.suptitle(f"normad-edu demo: {'-'.join(map(str, DEMO_SIZES))} LIF network, seed {args.seed}, "
                 f"problem 0 of {args.batch}", fontsize=10)
    fig.tight_layout()
    figures = write_figure(fig, out, "demo_raster", formats=("png",))
    wall_seconds = time.perf_counter() - t_start
    if args.json:
        print_json(args, {"configuration": {"experiment": "deep", "sizes": list(DEMO_SIZES), "T": sim.T,
                                            "dt": sim.dt, "seed": args.seed, "batch": args.batch,
                                            "setup": asdict(DEMO_SETUP)},
                          "rates_hz": rates, "figures": figures, "wall_seconds": wall_seconds,
                          "simulate_seconds": simulate_seconds})
        return 0
    print(f"normad-edu demo: {'-'.join(map(str, DEMO_SIZES))} LIF network, T = {sim.T:g} ms, dt = {sim.dt:g} ms, "
          f"seed {args.seed}, batch {args.batch}")
    L = len(rates) - 1
    for l, (n, rate) in enumerate(zip(DEMO_SIZES, rates)):
        kind = "input" if l == 0 else ("output" if l == L else "hidden")
        note = "  (output weights start at 0)" if l == L else ""
        print(f"  layer {l} ({kind:>6}, {n:3d} neuron{'s' if n != 1 else ' '}): {rate:6.1f} Hz{note}")
    print(f"mean rates over {args.batch} problem{'s' if args.batch != 1 else ''}; "
          f"wall time {wall_seconds:.2f} s (simulation {simulate_seconds * 1e3:.1f} ms)")
    print(f"raster plot: {figures[0]}")
    return 0


# ----------------------------------------------------------------------------------------------------------------
# single
# ----------------------------------------------------------------------------------------------------------------


def add_single_parser(commands) -> None:
    kind = get_experiment("single")
    p = commands.add_parser("single", help="train single LIF neurons (n -> 1) with NormAD, ReSuMe or a gradient rule",
                            description="Train N independent single-neuron problems in one batch (SingleSetup: "
                                        "Poisson inputs at 20 Hz, a desired Poisson train at 10 Hz, T = 500 ms, "
                                        "weights from 0, converged at correlation 0.98). Problem i is drawn from "
                                        "default_rng([seed, i]).")
    p.add_argument("--problems", metavar="N", type=int_at_least(1), default=20, help="number of problems (default: 20)")
    p.add_argument("--inputs", metavar="N", type=int_at_least(1), default=None,
                   help=f"input trains per problem (default: {kind.setup_class().n_inputs})")
    p.add_argument("--max-iter", metavar="M", type=int_at_least(1), default=None,
                   help=f"iteration budget (default: {kind.setup_class().max_iter})")
    p.add_argument("--rule", choices=kind.configs, default="normad", help="learning rule (default: normad)")
    p.add_argument("--rate", metavar="PA", type=float_above(0.0), default=None,
                   help="learning rate in pA per error instant (default: the rule's SingleSetup.r_<rule>)")
    p.add_argument("--tau-l-hat", metavar="MS", type=float_above(0.0), default=None,
                   help=f"tau_L' of the NormAD rule in ms (default: {TAU_L_HAT:g}; normad only)")
    add_set_option(p, kind.setup_class)
    add_common_options(p, out=None)
    p.set_defaults(func=run_single)


def run_single(args: argparse.Namespace) -> int:
    """``normad-edu single``: train single-neuron problems in one batch."""
    if args.tau_l_hat is not None and args.rule != "normad":
        raise UsageError("argument --tau-l-hat: only the normad rule uses tau_L' (drop it or use --rule normad)")
    out = output_folder(args.out) if args.out is not None else None
    kind = get_experiment("single")
    setup = build_setup(args, "single", n_inputs=args.inputs, max_iter=args.max_iter, tau_L_hat=args.tau_l_hat,
                        **{f"r_{args.rule}": args.rate})
    mean = setup.input_rate * setup.T / 1000.0
    slots = math.ceil(mean + 6.0 * math.sqrt(mean)) + 1  # about the longest of the Poisson input trains
    try:  # the padded input spikes of all problems, one array: checked before the problems are drawn
        check_array_bytes(8.0 * args.problems * setup.n_inputs * slots,
                          f"the input spikes of {args.problems} problem{'s' if args.problems != 1 else ''} x "
                          f"{setup.n_inputs} trains (about {slots} spikes each)", "use fewer --problems or --inputs")
    except ValueError as exc:
        raise UsageError(f"arguments --problems and --inputs: {exc}") from None
    rate = setup.rate(args.rule)
    rule = f"NormAD, tau_L' = {setup.tau_L_hat:g} ms" if args.rule == "normad" else kind.labels[args.rule]
    say(args, f"normad-edu single: {args.problems} problem{'s' if args.problems != 1 else ''}, {setup.n_inputs} -> 1 "
              f"LIF neuron (inputs {setup.input_rate:g} Hz, desired {setup.desired_rate:g} Hz, T = {setup.T:g} ms, "
              f"weights start at 0), seed {args.seed}\n  rule {rule}, r = {rate:g} pA; converged when the "
              f"correlation reaches {setup.threshold:g}")
    compile_notice(args)
    start = time.perf_counter()
    try:
        ex = make_experiment("single", args.rule, n_runs=args.problems, seed=args.seed, setup=setup)
    except ValueError as exc:  # a setup the problems cannot be drawn for (e.g. a size limit), before any training
        raise UsageError(str(exc)) from None
    result = ex.run(progress=not args.quiet)
    wall_seconds = time.perf_counter() - start
    saved = str(result.save(out / f"single_{args.rule}.npz").resolve()) if out is not None else None
    iterations = result.iterations()
    conv = [n for n in iterations if n is not None]
    median = float(np.median(conv)) if conv else None
    if args.json:
        print_json(args, {"configuration": {"experiment": "single", "config": args.rule, "n_runs": args.problems,
                                            "seed": args.seed, "setup": asdict(setup)},
                          "converged": len(conv), "iterations": iterations, "iterations_median": median,
                          "iterations_max": max(conv) if conv else None, "result_file": saved,
                          "wall_seconds": wall_seconds})
        return 0
    line = f"  converged {len(conv)}/{args.problems} within {setup.max_iter} iterations"
    print(line + (f" (median {median:g}, max {max(conv)})" if conv else ""))
    not_conv = [i for i, n in enumerate(iterations) if n is None]
    if not_conv:
        print(f"  not converged: problem{'s' if len(not_conv) > 1 else ''} {', '.join(map(str, not_conv))}")
    if saved:
        print(f"  result: {saved}")
    print(f"  wall time {wall_seconds:.1f} s")
    return 0


# ----------------------------------------------------------------------------------------------------------------
# gradcheck
# ----------------------------------------------------------------------------------------------------------------


def add_gradcheck_parser(commands) -> None:
    p = commands.add_parser("gradcheck", help="compare the backpropagated gradient with finite differences",
                            description="Compare G^l = dVhat/dW^l of the backward pass with central finite "
                                        "differences on a random network: cosine and norm ratio per layer. Both are 1 "
                                        "when tau_L' = tau_L and no hidden neuron resets before the error instant "
                                        "(e.g. --t-ref 1000).")
    p.add_argument("--layers", metavar="SIZES", type=layer_sizes, default=(20, 10, 5, 1),
                   help="comma-separated layer sizes n_0,...,n_L (default: 20,10,5,1)")
    p.add_argument("--t-ref", metavar="MS", type=float_above(0.0, inclusive=True), default=2.0,
                   help="refractory period in ms, >= 0 (default: 2)")
    p.add_argument("--tau-l-hat", metavar="MS", type=float_above(0.0), default=None,
                   help="tau_L' of the rule in ms (default: tau_L = 10, where the gradient is exact; training "
                        f"uses {TAU_L_HAT:g})")
    add_common_options(p, out="none", quiet=False)
    p.set_defaults(func=run_gradcheck)


def run_gradcheck(args: argparse.Namespace) -> int:
    """``normad-edu gradcheck``: G^l of the backward pass vs finite differences."""
    from ..gradcheck import check_gradient_check_size, gradient_check

    try:  # the finite differences grow as the square of the number of weights: refuse before starting
        check_gradient_check_size(args.layers, t_ref=args.t_ref)
    except ValueError as exc:
        raise UsageError(f"argument --layers: {exc}") from None
    start = time.perf_counter()
    result = gradient_check(args.layers, t_ref=args.t_ref, tau_L_hat=args.tau_l_hat, seed=args.seed)
    wall_seconds = time.perf_counter() - start
    configuration = {k: v for k, v in result.items() if k not in ("layers", "spike_counts")}
    if args.json:
        print_json(args, {"configuration": configuration, "spike_counts": result["spike_counts"],
                          "layers": result["layers"], "wall_seconds": wall_seconds})
        return 0
    sizes = result["sizes"]
    print(f"normad-edu gradcheck: {'-'.join(map(str, sizes))} network, t_ref = {result['t_ref']:g} ms, "
          f"tau_L' = {result['tau_L_hat']:g} ms (tau_L = {result['tau_L']:g} ms), error instant t = {result['t']:g} ms, "
          f"seed {args.seed}")
    print(f"  spikes per LIF layer: {', '.join(map(str, result['spike_counts']))}")
    for row in result["layers"]:
        l = row["layer"]
        print(f"  layer {l} ({sizes[l - 1]} -> {sizes[l]}): cosine {fmt(row['cosine'])}, "
              f"norm ratio {fmt(row['norm_ratio'])}  ({row['n_weights']} weights, "
              f"{row['discontinuous']} with a spike-count change)")
    print(f"  wall time {wall_seconds:.2f} s")
    return 0


# ----------------------------------------------------------------------------------------------------------------
# xor and deep
# ----------------------------------------------------------------------------------------------------------------


def add_sweep_parser(commands, name: str, flag: str, help_: str) -> None:
    kind = get_experiment(name)
    p = commands.add_parser(name, help=help_,
                            description=f"{help_} (paper Sec. 6), appending each finished run to DIR/{RESULTS_FILE} "
                                        "(rerun to resume); print how many converged and save the figures to DIR.")
    p.add_argument("--problems", "--inits", metavar="N", type=int_at_least(1), default=100, dest="problems",
                   help="number of problems / initialisations (default: 100)")
    p.add_argument(f"--{flag}", metavar="CONFIGS", type=names(kind.configs), action=NamesAction,
                   default=[kind.configs[0]], dest="configs",
                   help=f"configuration(s) among {', '.join(kind.configs)}: one, several comma-separated, or the flag "
                        f"repeated (--{flag} {kind.configs[-1]},{kind.configs[0]}); each is a sweep, all in one "
                        f"figure (default: {kind.configs[0]})")
    p.add_argument("--max-iter", metavar="M", type=int_at_least(1), default=None,
                   help=f"iteration budget (default: {kind.setup_class().max_iter})")
    add_set_option(p, kind.setup_class)
    add_sweep_options(p)
    p.set_defaults(func=run_sweeps, experiment=name)


def run_sweeps(args: argparse.Namespace) -> int:
    """``normad-edu xor`` / ``deep``: a resumable sweep of each configuration asked for, and their figures."""
    from ..research.reproduce import sweep_counts, sweep_line, sweep_report

    out = check_sweep_args(args)
    use_agg()
    from ..plotting import fig_correlation_mean_std, fig_cumulative_converged

    kind = get_experiment(args.experiment)
    start = time.perf_counter()
    setup = build_setup(args, args.experiment, max_iter=args.max_iter)
    max_iter = setup.max_iter
    compile_notice(args)
    sweep = sweep_runner(args, out, {args.experiment: setup})
    summaries = {c: sweep(args.experiment, c, args.problems, max_iter) for c in args.configs}
    labels = {c: kind.labels[c] for c in args.configs}
    stem = f"{args.experiment}_{'_'.join(args.configs)}"
    title = f"{args.experiment} " + "; ".join(f"{labels[c]}: {sweep_line(s, max_iter)}" for c, s in summaries.items())
    figures = []
    if args.experiment == "deep":
        figures += write_figure(fig_cumulative_converged({labels[c]: s["iterations"] for c, s in summaries.items()},
                                                         max_iter, title=title), out, f"{stem}_converged")
    figures += write_figure(fig_correlation_mean_std({labels[c]: (s["correlation_mean"], s["correlation_std"])
                                                      for c, s in summaries.items()},
                                                     every=max(s["correlation_every"] for s in summaries.values()),
                                                     title=title), out, f"{stem}_correlation")
    wall_seconds = time.perf_counter() - start
    one = summaries[args.configs[0]] if len(args.configs) == 1 else None
    if args.json:
        # "config": the name, or the list of names when several were asked for; "sweeps": each one's
        # results; with one configuration its results are also at the top level
        configuration = sweep_configuration(args, out, experiment=args.experiment,
                                            config=args.configs[0] if one else list(args.configs),
                                            n_runs=args.problems, max_iter=max_iter,
                                            setup=summaries[args.configs[0]]["configuration"]["setup"])
        sweeps = {c: {**sweep_counts(s), "correlation_mean": s["correlation_mean"],
                      "correlation_std": s["correlation_std"]} for c, s in summaries.items()}
        print_json(args, {"configuration": configuration, **(sweeps[args.configs[0]] if one else {}),
                          "sweeps": sweeps, "figures": figures, "wall_seconds": wall_seconds})
        return 0
    indent = "  " if one else "    "
    for c, s in summaries.items():
        if not one:
            print(f"  {labels[c]}:")
        for line in sweep_report(s, max_iter):
            print(f"{indent}{line}")
        print(f"{indent}{s['resumed']} of {s['n_runs']} runs were already in {out / RESULTS_FILE}"
              + (f"; wall time {wall_seconds:.1f} s" if one else ""))
    if not one:
        print(f"  wall time {wall_seconds:.1f} s")
    print(f"  figures: {', '.join(figures)}")
    return 0
