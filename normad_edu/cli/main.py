"""The ``normad-edu`` command line (also ``python -m normad_edu``): argument parsing and printing only.

::

    normad-edu demo       [--batch B] [--seed S] [--out DIR] [--json]
    normad-edu single     [--problems N] [--inputs N] [--max-iter M] [--rule {normad,resume}] [--rate PA]
                          [--tau-l-hat MS] [--set FIELD=VALUE ...] [--seed S] [--out DIR] [--json] [--quiet]
    normad-edu gradcheck  [--layers 20,10,5,1] [--t-ref MS] [--tau-l-hat MS] [--seed S] [--json]
    normad-edu xor        [--problems N] [--hidden plastic,frozen] [--max-iter M] [--set FIELD=VALUE ...] SWEEP
    normad-edu deep       [--problems N] [--train output,outer2,all] [--max-iter M] [--set FIELD=VALUE ...] SWEEP
    normad-edu reproduce  {fig6,fig7,fig8,fig9,fig10,all} [--quick] [--set FIELD=VALUE ... (fig8-fig10)] SWEEP
    normad-edu study      [--stage {screen,final,confirm}] [--levers A,B+C] [--train output,all] [--problems N]
                          [--max-iter M] [--seed S] [--out DIR] [--json] [--quiet] [--workers K]
    normad-edu notebooks  DIR [--force] [--json]

    SWEEP = [--seed S] [--out DIR] [--json] [--quiet] [--workers K | --scheduler ADDRESS]

``deep --train``, ``xor --hidden`` and ``study --train`` take one
configuration or several, comma-separated or by repeating the flag
(``--train all,outer2`` = ``--train all --train outer2``); xor and deep run
a sweep for each and draw them in one figure.

Everything a command runs lives in the library (experiments and ``--set``:
:mod:`normad_edu.experiments`; sweeps: :mod:`normad_edu.research.sweep`; figures:
:mod:`normad_edu.research.reproduce`); this module parses arguments and prints. Each
subcommand is ``_add_<name>_parser`` (its arguments) and ``_cmd_<name>(args)``
(runs it, returns the exit status); a bad value raises :class:`UsageError`,
a failure :class:`CommandError`.

Output: a header first, then the summary on stdout; progress bars on stderr
only on a terminal, at most twice a second (``--quiet`` or ``TQDM_DISABLE=1``:
none). ``--json``: one JSON object on stdout (keys ``command``, ``version``,
``configuration``, ``figures``, ``wall_seconds`` and the results; NaN as
null), everything else on stderr. Sweeps append each finished run to
``DIR/results.jsonl``: rerun a killed command to resume it. Exit status: 0
success, 2 bad arguments (one line naming the subcommand's help), 1 failure,
130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from .. import __version__
from .support import (CommandError, UsageError, _float_above, _fmt, _int_at_least, _jsonable,  # noqa: F401
                           _names, _NamesAction, _check_sweep_args, _compile_notice, _sweep_configuration, RESULTS_FILE, _layer_sizes, _output_folder, _Parser, _print_json, _save,
                           _say, _scheduler_address, _use_agg)
from ..experiments import demo_problem, get_experiment, make_experiment
from .support import parse_changes
from ..setups import DeepSetup, with_changes
from ..params import TAU_L_HAT, SimParams
from ..research.reproduce import FIGURE_EXPERIMENT, FIGURES, FULL_SIZES, QUICK_SIZES
from ..research.store import ResultsFileError

_DEMO_SETUP = DeepSetup()
#: Layer sizes ``(n_0, n_1, n_2, n_3)`` of the demo (the generic problems').
DEMO_SIZES = tuple(_DEMO_SETUP.sizes)
#: Hidden weight scales ``a_1, a_2`` of the demo (pA).
DEMO_HIDDEN_A = tuple(_DEMO_SETUP.a_hidden)
DEFAULT_OUT = "normad_edu_out"
__all__ = ["main", "build_parser", "demo_problem", "DEMO_SIZES", "DEMO_HIDDEN_A"]


def _add_common(p, *, out: str | None = DEFAULT_OUT, seed: bool = True, quiet: bool = True) -> None:
    """``--seed``, ``--out``, ``--json`` and ``--quiet``: one name and meaning for every subcommand."""
    if seed:
        p.add_argument("--seed", metavar="S", type=_int_at_least(0), default=0, help="random seed, >= 0 (default: 0)")
    if out != "none":
        p.add_argument("--out", metavar="DIR", default=out,
                       help=f"output folder (default: {'./' + out if out else 'none: nothing is saved'})")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout instead of the text summary (NaN as null)")
    if quiet:
        p.add_argument("--quiet", action="store_true", help="no progress bars and no notices on stderr")


def _add_set_option(p, setup_class: type) -> None:
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", default=[], dest="changes",
                   help=f"change a field of {setup_class.__name__} (repeatable; tuples comma-separated), e.g. "
                        f"--set max_iter=50; fields: {', '.join(f for f in setup_class.__dataclass_fields__)}")


def _add_sweep_options(p) -> None:
    _add_common(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", metavar="K", type=_int_at_least(1), default=None,
                       help="local worker processes, >= 1 (default: number of cores; 1 runs in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler_address, default=None,
                       help="run on the Dask cluster at ADDRESS (e.g. tcp://127.0.0.1:8786); needs the optional "
                            "extra 'distributed' and workers that can write DIR")


def _add_demo_parser(sub) -> None:
    p = sub.add_parser("demo", help="simulate the 100-50-25-1 network on Poisson inputs and save a raster plot",
                       description="Simulate the generic 100-50-25-1 LIF network of the paper (default DeepSetup: "
                                   "T = 500 ms, 100 Poisson inputs at 20 Hz, balanced hidden weights, output weights "
                                   "0), print each layer's firing rate and save DIR/demo_raster.png.")
    p.add_argument("--batch", metavar="B", type=_int_at_least(1), default=1,
                   help="independent problems simulated together, >= 1 (default: 1); the plot shows the first")
    _add_common(p, quiet=False)
    p.set_defaults(func=_cmd_demo)


def _add_single_parser(sub) -> None:
    kind = get_experiment("single")
    p = sub.add_parser("single", help="train single LIF neurons (n -> 1) with NormAD or ReSuMe",
                       description="Train N independent single-neuron problems in one batch (SingleSetup: Poisson "
                                   "inputs at 20 Hz, a desired Poisson train at 10 Hz, T = 500 ms, weights from 0, "
                                   "converged at correlation 0.98). Problem i is drawn from default_rng([seed, i]).")
    p.add_argument("--problems", metavar="N", type=_int_at_least(1), default=20, help="number of problems (default: 20)")
    p.add_argument("--inputs", metavar="N", type=_int_at_least(1), default=None,
                   help=f"input trains per problem (default: {kind.setup_class().n_inputs})")
    p.add_argument("--max-iter", metavar="M", type=_int_at_least(1), default=None,
                   help=f"iteration budget (default: {kind.setup_class().max_iter})")
    p.add_argument("--rule", choices=kind.configs, default="normad", help="learning rule (default: normad)")
    p.add_argument("--rate", metavar="PA", type=_float_above(0.0), default=None,
                   help="learning rate in pA per error instant (default: SingleSetup.r_normad / r_resume)")
    p.add_argument("--tau-l-hat", metavar="MS", type=_float_above(0.0), default=None,
                   help=f"tau_L' of the NormAD rule in ms (default: {TAU_L_HAT:g}; normad only)")
    _add_set_option(p, kind.setup_class)
    _add_common(p, out=None)
    p.set_defaults(func=_cmd_single)


def _add_gradcheck_parser(sub) -> None:
    p = sub.add_parser("gradcheck", help="compare the backpropagated gradient with finite differences",
                       description="Compare G^l = dVhat/dW^l of the backward pass with central finite differences "
                                   "on a random network: cosine and norm ratio per layer. Both are 1 when tau_L' = "
                                   "tau_L and no hidden neuron resets before the error instant (e.g. --t-ref 1000).")
    p.add_argument("--layers", metavar="SIZES", type=_layer_sizes, default=(20, 10, 5, 1),
                   help="comma-separated layer sizes n_0,...,n_L (default: 20,10,5,1)")
    p.add_argument("--t-ref", metavar="MS", type=_float_above(0.0, inclusive=True), default=2.0,
                   help="refractory period in ms, >= 0 (default: 2)")
    p.add_argument("--tau-l-hat", metavar="MS", type=_float_above(0.0), default=None,
                   help="tau_L' of the rule in ms (default: tau_L = 10, where the gradient is exact; training "
                        f"uses {TAU_L_HAT:g})")
    _add_common(p, out="none", quiet=False)
    p.set_defaults(func=_cmd_gradcheck)


def _add_sweep_parser(sub, name: str, flag: str, help_: str) -> None:
    kind = get_experiment(name)
    p = sub.add_parser(name, help=help_,
                       description=f"{help_} (paper Sec. 6), appending each finished run to DIR/{RESULTS_FILE} "
                                   "(rerun to resume); print how many converged and save the figures to DIR.")
    p.add_argument("--problems", "--inits", metavar="N", type=_int_at_least(1), default=100, dest="problems",
                   help="number of problems / initialisations (default: 100)")
    p.add_argument(f"--{flag}", metavar="CONFIGS", type=_names(kind.configs), action=_NamesAction,
                   default=[kind.configs[0]], dest="configs",
                   help=f"configuration(s) among {', '.join(kind.configs)}: one, several comma-separated, or the flag "
                        f"repeated (--{flag} {kind.configs[-1]},{kind.configs[0]}); each is a sweep, all in one "
                        f"figure (default: {kind.configs[0]})")
    p.add_argument("--max-iter", metavar="M", type=_int_at_least(1), default=None,
                   help=f"iteration budget (default: {kind.setup_class().max_iter})")
    _add_set_option(p, kind.setup_class)
    _add_sweep_options(p)
    p.set_defaults(func=_cmd_sweep, experiment=name)


def _add_reproduce_parser(sub) -> None:
    q, f = QUICK_SIZES, FULL_SIZES
    p = sub.add_parser("reproduce", help="reproduce the paper's Figs. 6-10",
                       description="Reproduce a figure of the paper (Sec. 6) into DIR/figN.png and .svg (see "
                                   f"normad_edu.research.reproduce). Sizes: {f.xor_runs} XOR runs x {f.xor_max_iter} "
                                   f"iterations, {f.deep_runs} generic problems x {f.deep_max_iter}; with --quick "
                                   f"{q.xor_runs} x {q.xor_max_iter} and {q.deep_runs} x {q.deep_max_iter}.")
    p.add_argument("figure", choices=(*FIGURES, "all"), help="which figure (all: every one)")
    p.add_argument("--quick", action="store_true", help="small sweeps: a rough figure in about a minute")
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", default=[], dest="changes",
                   help="change a field of DeepSetup for the generic figures fig8, fig9 and fig10 (repeatable; "
                        "tuples comma-separated; the iteration budget comes from the sizes), e.g. --set sigma=5")
    _add_sweep_options(p)
    p.set_defaults(func=_cmd_reproduce)


def _add_study_parser(sub) -> None:
    from ..research.study import LEVERS, STAGES

    p = sub.add_parser("study", help="lever study: why the generic problems converge less often than in the paper",
                       description="Train the generic problems with reconstructed values changed (levers, combined "
                                   "with '+') on the same problems; print converged counts with 95 % intervals and "
                                   "paired tests against the baseline (see normad_edu.research.study). Stages: "
                                   + "; ".join(f"{k}: seed {v.seed}, {v.n_problems} x {v.max_iter}"
                                               for k, v in STAGES.items())
                                   + ". Levers: " + ", ".join(f"{k}{'' if v.faithful else ' (deviation)'}"
                                                              for k, v in LEVERS.items()) + ".")
    p.add_argument("--stage", choices=tuple(STAGES), default="screen", help="problem set and budget (default: screen)")
    p.add_argument("--levers", metavar="A,B+C", default=None,
                   help="comma-separated lever combinations (default: every single lever)")
    configs = get_experiment("deep").configs
    p.add_argument("--train", metavar="CONFIGS", type=_names(configs), action=_NamesAction, default=["output", "all"],
                   help=f"configuration(s) among {', '.join(configs)}: comma-separated, or the flag repeated, as "
                        "in 'deep --train' (default: output,all)")
    p.add_argument("--problems", metavar="N", type=_int_at_least(1), default=None,
                   help="override the stage's number of problems (first N of its problem set)")
    p.add_argument("--max-iter", metavar="M", type=_int_at_least(1), default=None,
                   help="override the stage's iteration budget")
    p.add_argument("--seed", metavar="S", type=_int_at_least(0), default=None,
                   help="override the stage's problem set (seed)")
    p.add_argument("--baseline", metavar="COMBO", default="baseline",
                   help="the combination the tests compare against (default: baseline)")
    _add_common(p, out=None, seed=False)
    p.add_argument("--workers", metavar="K", type=_int_at_least(1), default=None,
                   help="local worker processes, >= 1 (default: number of cores)")
    p.set_defaults(func=_cmd_study)


def _add_notebooks_parser(sub) -> None:
    p = sub.add_parser("notebooks", help="copy the course notebooks (and docs/method.md) into a folder",
                       description="Copy the course that ships with the package into DIR: DIR/notebooks/*.ipynb "
                                   "and DIR/docs/method.md, which the notebooks link to (see "
                                   "normad_edu.course.shipped). Nothing is copied if any of these files exists, "
                                   "unless --force. Then: jupyter lab DIR/notebooks (NORMAD_EDU_QUICK=1 for "
                                   "reduced sizes).")
    p.add_argument("dest", metavar="DIR", help="folder to copy into (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite course files that already exist in DIR")
    _add_common(p, out="none", seed=False, quiet=False)
    p.set_defaults(func=_cmd_notebooks)


def build_parser() -> argparse.ArgumentParser:
    """The ``normad-edu`` parser with every subcommand."""
    parser = _Parser(prog="normad-edu", description="NormAD training of multi-layer spiking neural networks "
                                                    "(Anwani & Rajendran, 2020), for learning.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _add_demo_parser(sub)
    _add_single_parser(sub)
    _add_gradcheck_parser(sub)
    _add_sweep_parser(sub, "xor", "hidden", "Train XOR 54-54-1 from N random initialisations")
    _add_sweep_parser(sub, "deep", "train", "Train N generic problems on the 100-50-25-1 network")
    _add_reproduce_parser(sub)
    _add_study_parser(sub)
    _add_notebooks_parser(sub)
    return parser


def _setup(args: argparse.Namespace, experiment: str, **fields):
    """The experiment's setup: its defaults, then ``fields`` given by flags, then every ``--set``."""
    setup = get_experiment(experiment).setup_class()
    try:
        setup = with_changes(setup, {k: v for k, v in fields.items() if v is not None})
        return with_changes(setup, parse_changes(setup, getattr(args, "changes", [])))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"argument --set: {exc}") from None


def _sweep_function(args: argparse.Namespace, out: Path):
    """``sweep(experiment, config, n_runs, max_iter) -> summary`` for :mod:`normad_edu.research.reproduce`."""
    from ..research.sweep import run_sweep

    def sweep(experiment: str, config: str, n_runs: int, max_iter: int) -> dict:
        setup = _setup(args, experiment, max_iter=max_iter)
        _say(args, f"normad-edu {args.command}: {experiment}, {get_experiment(experiment).labels[config]}, "
                   f"{n_runs} runs x {setup.max_iter} iterations, "
                   f"seed {args.seed}, results in {out / RESULTS_FILE}")
        try:
            return run_sweep(experiment, config, n_runs, out / RESULTS_FILE, seed=args.seed, setup=setup,
                             workers=args.workers, scheduler=args.scheduler, progress=not args.quiet)
        except (OSError, BrokenProcessPool) as exc:
            raise CommandError(f"sweep {experiment}-{config} stopped: {exc or type(exc).__name__}; "
                               "finished runs are saved, run the same command again to resume") from None

    return sweep


def _cmd_demo(args: argparse.Namespace) -> int:
    """``normad-edu demo``: simulate, summarise, save the raster plot."""
    out = _output_folder(args.out)
    _use_agg()
    from ..network import forward
    from ..plotting import plot_network_activity

    _compile_notice(args)
    t_start = time.perf_counter()
    sim = SimParams(T=_DEMO_SETUP.T)
    inputs, weights = demo_problem(args.batch, args.seed, _DEMO_SETUP)
    t_sim = time.perf_counter()
    record = forward(inputs, weights, sim=sim)
    simulate_seconds = time.perf_counter() - t_sim
    rates = [float(lay.counts.mean() / (sim.T / 1000.0)) for lay in [record.inputs, *record.layers]]
    fig = plot_network_activity(record, batch_index=0, T=sim.T)
    fig.suptitle(f"normad-edu demo: {'-'.join(map(str, DEMO_SIZES))} LIF network, seed {args.seed}, "
                 f"problem 0 of {args.batch}", fontsize=10)
    fig.tight_layout()
    figures = _save(fig, out, "demo_raster", formats=("png",))
    wall_seconds = time.perf_counter() - t_start
    if args.json:
        _print_json(args, {"configuration": {"experiment": "deep", "sizes": list(DEMO_SIZES), "T": sim.T,
                                             "dt": sim.dt, "seed": args.seed, "batch": args.batch,
                                             "setup": asdict(_DEMO_SETUP)},
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


def _cmd_single(args: argparse.Namespace) -> int:
    """``normad-edu single``: train single-neuron problems in one batch."""
    if args.tau_l_hat is not None and args.rule != "normad":
        raise UsageError("argument --tau-l-hat: only the normad rule uses tau_L' (drop it or use --rule normad)")
    out = _output_folder(args.out) if args.out is not None else None
    setup = _setup(args, "single", n_inputs=args.inputs, max_iter=args.max_iter, tau_L_hat=args.tau_l_hat,
                   **{f"r_{args.rule}": args.rate})
    rate = setup.r_normad if args.rule == "normad" else setup.r_resume
    rule = f"NormAD, tau_L' = {setup.tau_L_hat:g} ms" if args.rule == "normad" else "ReSuMe"
    _say(args, f"normad-edu single: {args.problems} problem{'s' if args.problems != 1 else ''}, {setup.n_inputs} -> 1 "
               f"LIF neuron (inputs {setup.input_rate:g} Hz, desired {setup.desired_rate:g} Hz, T = {setup.T:g} ms, "
               f"weights start at 0), seed {args.seed}\n  rule {rule}, r = {rate:g} pA; converged when the "
               f"correlation reaches {setup.threshold:g}")
    _compile_notice(args)
    start = time.perf_counter()
    ex = make_experiment("single", args.rule, n_runs=args.problems, seed=args.seed, setup=setup)
    result = ex.run(progress=not args.quiet)
    wall_seconds = time.perf_counter() - start
    saved = str(result.save(out / f"single_{args.rule}.npz").resolve()) if out is not None else None
    iterations = result.iterations()
    conv = [n for n in iterations if n is not None]
    median = float(np.median(conv)) if conv else None
    if args.json:
        _print_json(args, {"configuration": {"experiment": "single", "config": args.rule, "n_runs": args.problems,
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


def _cmd_gradcheck(args: argparse.Namespace) -> int:
    """``normad-edu gradcheck``: G^l of the backward pass vs finite differences."""
    from ..gradcheck import gradient_check

    start = time.perf_counter()
    result = gradient_check(args.layers, t_ref=args.t_ref, tau_L_hat=args.tau_l_hat, seed=args.seed)
    wall_seconds = time.perf_counter() - start
    configuration = {k: v for k, v in result.items() if k not in ("layers", "spike_counts")}
    if args.json:
        _print_json(args, {"configuration": configuration, "spike_counts": result["spike_counts"],
                           "layers": result["layers"], "wall_seconds": wall_seconds})
        return 0
    sizes = result["sizes"]
    print(f"normad-edu gradcheck: {'-'.join(map(str, sizes))} network, t_ref = {result['t_ref']:g} ms, "
          f"tau_L' = {result['tau_L_hat']:g} ms (tau_L = {result['tau_L']:g} ms), error instant t = {result['t']:g} ms, "
          f"seed {args.seed}")
    print(f"  spikes per LIF layer: {', '.join(map(str, result['spike_counts']))}")
    for row in result["layers"]:
        l = row["layer"]
        print(f"  layer {l} ({sizes[l - 1]} -> {sizes[l]}): cosine {_fmt(row['cosine'])}, "
              f"norm ratio {_fmt(row['norm_ratio'])}  ({row['n_weights']} weights, "
              f"{row['discontinuous']} with a spike-count change)")
    print(f"  wall time {wall_seconds:.2f} s")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    """``normad-edu xor`` / ``deep``: a resumable sweep of each configuration asked for, and their figures."""
    from ..research.reproduce import sweep_counts, sweep_line, sweep_report

    out = _check_sweep_args(args)
    _use_agg()
    from ..plotting import fig_correlation_mean_std, fig_cumulative_converged

    kind = get_experiment(args.experiment)
    start = time.perf_counter()
    max_iter = _setup(args, args.experiment, max_iter=args.max_iter).max_iter
    _compile_notice(args)
    sweep = _sweep_function(args, out)
    summaries = {c: sweep(args.experiment, c, args.problems, max_iter) for c in args.configs}
    labels = {c: kind.labels[c] for c in args.configs}
    stem = f"{args.experiment}_{'_'.join(args.configs)}"
    title = f"{args.experiment} " + "; ".join(f"{labels[c]}: {sweep_line(s, max_iter)}" for c, s in summaries.items())
    figures = []
    if args.experiment == "deep":
        figures += _save(fig_cumulative_converged({labels[c]: s["iterations"] for c, s in summaries.items()}, max_iter,
                                                  title=title), out, f"{stem}_converged")
    figures += _save(fig_correlation_mean_std({labels[c]: (s["correlation_mean"], s["correlation_std"])
                                               for c, s in summaries.items()},
                                              every=max(s["correlation_every"] for s in summaries.values()),
                                              title=title), out, f"{stem}_correlation")
    wall_seconds = time.perf_counter() - start
    one = summaries[args.configs[0]] if len(args.configs) == 1 else None
    if args.json:
        # "config": the name, or the list of names when several were asked for; "sweeps": each one's
        # results; with one configuration its results are also at the top level (as before lists were allowed)
        configuration = _sweep_configuration(args, out, experiment=args.experiment,
                                             config=args.configs[0] if one else list(args.configs),
                                             n_runs=args.problems, max_iter=max_iter,
                                             setup=summaries[args.configs[0]]["configuration"]["setup"])
        sweeps = {c: {**sweep_counts(s), "correlation_mean": s["correlation_mean"],
                      "correlation_std": s["correlation_std"]} for c, s in summaries.items()}
        _print_json(args, {"configuration": configuration, **(sweeps[args.configs[0]] if one else {}),
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


def _cmd_reproduce(args: argparse.Namespace) -> int:
    """``normad-edu reproduce``: run what a figure needs (resumable) and draw it."""
    names = list(FIGURES) if args.figure == "all" else [args.figure]
    setup = None
    if args.changes:
        xor = [n for n in names if FIGURE_EXPERIMENT[n] != "deep"]
        if xor:
            raise UsageError(f"argument --set: it changes the generic problems' DeepSetup, so it applies to fig8, "
                             f"fig9 and fig10 only, not to {', '.join(xor)}")
        if any(c.partition("=")[0].strip() == "max_iter" for c in args.changes):
            raise UsageError("argument --set: max_iter is set by the figure sizes (use --quick for small sweeps)")
        setup = _setup(args, "deep")
    out = _check_sweep_args(args)
    _use_agg()
    from ..research.reproduce import FIGURE_BUILDERS

    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    _compile_notice(args)
    sweep = _sweep_function(args, out)
    start = time.perf_counter()
    figures = {}
    for name in names:
        t0 = time.perf_counter()
        try:
            extra = {"setup": setup} if name == "fig8" and setup is not None else {}
            figures[name] = FIGURE_BUILDERS[name](args.seed, sizes, out, sweep, progress=not args.quiet, **extra)
        except OSError as exc:
            raise CommandError(f"{name}: cannot write the figure: {exc.strerror or exc}") from None
        figures[name]["wall_seconds"] = time.perf_counter() - t0
        if not args.json:
            print(f"{name}: {figures[name]['summary']} ({figures[name]['wall_seconds']:.1f} s)")
            print(f"  {', '.join(figures[name]['files'])}")
    wall_seconds = time.perf_counter() - start
    if args.json:
        configuration = _sweep_configuration(args, out, figure=args.figure, quick=args.quick, sizes=asdict(sizes),
                                             set=list(args.changes))
        _print_json(args, {"configuration": configuration, "figures": figures, "wall_seconds": wall_seconds})
    else:
        print(f"normad-edu reproduce {args.figure}{' --quick' if args.quick else ''}: wall time {wall_seconds:.1f} s")
    return 0


def _cmd_study(args: argparse.Namespace) -> int:
    """``normad-edu study``: train lever combinations, print the comparison table."""
    from ..research.study import LEVERS, STAGES, format_table, run_study, study_table

    stage = STAGES[args.stage]
    stage = replace(stage, n_problems=args.problems or stage.n_problems, max_iter=args.max_iter or stage.max_iter,
                    seed=stage.seed if args.seed is None else args.seed)
    combos = list(LEVERS) if args.levers is None else [c for c in args.levers.split(",") if c]
    combos = combos if args.baseline in combos else [args.baseline, *combos]  # the tests need it trained
    configs = list(args.train)
    out = _output_folder(args.out if args.out is not None else str(Path(DEFAULT_OUT) / "study" / args.stage))
    _say(args, f"normad-edu study: stage {args.stage} (seed {stage.seed}, {stage.n_problems} problems x "
               f"{stage.max_iter} iterations), results in {out.resolve()}")
    start = time.perf_counter()
    try:
        run_study(combos, configs, stage, out, workers=args.workers, progress=not args.quiet,
                  report=lambda line: print(line, file=sys.stderr))
    except ResultsFileError:
        raise  # a damaged results file, not a bad argument: main() reports it (exit 1)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except (OSError, BrokenProcessPool) as exc:
        raise CommandError(f"study stopped: {exc or type(exc).__name__}; finished runs are saved, "
                           "run the same command again to resume") from None
    rows = study_table(out, stage, combos=combos, configs=configs, baseline=args.baseline)
    figures = []
    if rows:
        _use_agg()
        from ..research.figures import fig_study
        from ..research.study import PAPER_CONVERGED

        title = f"{args.stage}: seed {stage.seed}, {stage.n_problems} problems, {stage.max_iter} iterations"
        figures = _save(fig_study(rows, title=title, paper=PAPER_CONVERGED), out, f"study_{args.stage}")
    wall_seconds = time.perf_counter() - start
    if args.json:
        _print_json(args, {"configuration": {"stage": args.stage, **asdict(stage), "out": str(out.resolve())},
                           "rows": rows, "figures": figures, "wall_seconds": wall_seconds})
    else:
        print(format_table(rows))
        print(f"  figures: {', '.join(figures)}")
        print(f"  wall time {wall_seconds:.1f} s")
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    """``normad-edu notebooks``: copy the shipped course into DIR."""
    from ..course.shipped import CourseFilesExistError, copy_course, course_root

    try:
        files = copy_course(args.dest, force=args.force)
    except NotADirectoryError as exc:
        raise UsageError(f"argument DIR: {str(exc).removeprefix('dest: ')}") from None
    except CourseFilesExistError as exc:
        advice = "remove them" if any(p.is_dir() for p in exc.paths) else "use --force to overwrite them"
        raise CommandError(f"{exc.summary()}; nothing copied ({advice})") from None
    except OSError as exc:  # not found (a wheel without the course), permissions, disk full
        raise CommandError(f"cannot copy the course to {args.dest!r}: {exc.strerror or exc}") from None
    dest = Path(args.dest).resolve()
    notebooks = [f.name for f in files if f.suffix == ".ipynb"]
    if args.json:
        _print_json(args, {"configuration": {"dest": str(dest), "force": args.force, "source": str(course_root())},
                           "notebooks": notebooks, "files": [str(f.resolve()) for f in files]})
        return 0
    print(f"normad-edu notebooks: copied {len(notebooks)} notebooks and {len(files) - len(notebooks)} other "
          f"file{'s' if len(files) - len(notebooks) != 1 else ''} to {dest}")
    for f in files:
        print(f"  {f}")
    print(f"open them with: jupyter lab {Path(args.dest) / 'notebooks'}   (NORMAD_EDU_QUICK=1 for reduced sizes)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``normad-edu`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status (see the module)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # an unknown flag of a subcommand: that subcommand's parser reports it
            sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            sub.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse exits on --help, --version and errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    prog = f"{parser.prog} {args.command}"
    args.stdout = sys.stdout  # where --json goes; anything else printed meanwhile goes to stderr
    quiet_stdout = contextlib.redirect_stdout(sys.stderr) if getattr(args, "json", False) else contextlib.nullcontext()
    try:
        with quiet_stdout:
            return args.func(args)
    except UsageError as exc:
        print(f"{prog}: error: {exc} (see '{prog} --help')", file=sys.stderr)
        return 2
    except (CommandError, ResultsFileError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; finished runs are saved, run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # python -m normad_edu.cli
    sys.exit(main())
