"""The ``reproduce`` command: the paper's Figs. 6-10 (Sec. 6), drawn from resumable sweeps.

::

    normad-edu reproduce  {fig6,fig7,fig8,fig9,fig10,all} [--quick] [--set FIELD=VALUE ... (fig8-fig10)] SWEEP

What each figure runs lives in :mod:`normad_edu.research.reproduce`; this
module parses and prints.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict

from ..research.reproduce import FIGURE_EXPERIMENT, FIGURES, FULL_SIZES, QUICK_SIZES
from .settings import build_setup
from .support import CommandError, UsageError, compile_notice, print_json, use_agg
from .sweeps import add_sweep_options, check_sweep_args, sweep_configuration, sweep_runner, sweeps_together


def register(commands) -> None:
    """Add ``reproduce`` to the ``commands`` subparsers."""
    q, f = QUICK_SIZES, FULL_SIZES
    p = commands.add_parser("reproduce", help="reproduce the paper's Figs. 6-10",
                            description="Reproduce a figure of the paper (Sec. 6) into DIR/figN.png and .svg (see "
                                        f"normad_edu.research.reproduce). Sizes: {f.xor_runs} XOR runs x "
                                        f"{f.xor_max_iter} iterations, {f.deep_runs} generic problems x "
                                        f"{f.deep_max_iter}; with --quick {q.xor_runs} x {q.xor_max_iter} and "
                                        f"{q.deep_runs} x {q.deep_max_iter}.")
    p.add_argument("figure", choices=(*FIGURES, "all"), help="which figure (all: every one)")
    p.add_argument("--quick", action="store_true", help="small sweeps: a rough figure in about a minute")
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", default=[], dest="changes",
                   help="change a field of DeepSetup for the generic figures fig8, fig9 and fig10 (repeatable; "
                        "tuples comma-separated; the iteration budget comes from the sizes), e.g. --set sigma=5")
    add_sweep_options(p)
    p.set_defaults(func=run_reproduce)


def run_reproduce(args: argparse.Namespace) -> int:
    """``normad-edu reproduce``: run what a figure needs (resumable) and draw it."""
    names = list(FIGURES) if args.figure == "all" else [args.figure]
    if args.changes:
        xor = [n for n in names if FIGURE_EXPERIMENT[n] != "deep"]
        if xor:
            raise UsageError(f"argument --set: it changes the generic problems' DeepSetup, so it applies to fig8, "
                             f"fig9 and fig10 only, not to {', '.join(xor)}")
        if any(c.partition("=")[0].strip() == "max_iter" for c in args.changes):
            raise UsageError("argument --set: max_iter is set by the figure sizes (use --quick for small sweeps)")
    # each experiment's setup, built (and --set read) once; the sizes set the iteration budget of each sweep
    setups = {experiment: build_setup(args, experiment) for experiment in dict.fromkeys(FIGURE_EXPERIMENT[n]
                                                                                           for n in names)}
    out = check_sweep_args(args)
    use_agg()
    from ..research.reproduce import FIGURE_BUILDERS

    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    compile_notice(args)
    sweep = sweep_runner(args, out, setups)
    start = time.perf_counter()
    if args.scheduler is None and {"fig9", "fig10"} & set(names):
        # the three generic sweeps share one pool, all three layers (the costliest) first: a worker that
        # finishes early takes the next sweep's chunk instead of waiting for the other worker's last one
        sweeps_together(args, out, setups, [("deep", c, sizes.deep_runs, sizes.deep_max_iter)
                                             for c in ("all", "outer2", "output")])
    figures = {}
    for name in names:
        t0 = time.perf_counter()
        try:
            extra = {"setup": setups["deep"]} if name == "fig8" else {}
            figures[name] = FIGURE_BUILDERS[name](args.seed, sizes, out, sweep, progress=not args.quiet, **extra)
        except OSError as exc:
            raise CommandError(f"{name}: cannot write the figure: {exc.strerror or exc}") from None
        figures[name]["wall_seconds"] = time.perf_counter() - t0
        if not args.json:
            print(f"{name}: {figures[name]['summary']} ({figures[name]['wall_seconds']:.1f} s)")
            print(f"  {', '.join(figures[name]['files'])}")
    wall_seconds = time.perf_counter() - start
    if args.json:
        configuration = sweep_configuration(args, out, figure=args.figure, quick=args.quick, sizes=asdict(sizes),
                                            set=list(args.changes))
        print_json(args, {"configuration": configuration, "figures": figures, "wall_seconds": wall_seconds})
    else:
        print(f"normad-edu reproduce {args.figure}{' --quick' if args.quick else ''}: wall time {wall_seconds:.1f} s")
    return 0
