"""The ``compare`` command: NormAD, ReSuMe, SpikeProp, EventProp and the surrogate gradient on the same problems.

::

    normad-edu compare    [--problems N] [--deep-problems K] [--max-iter M | S,X,D] [--families single,xor,deep]
                          [--rules normad,resume,...] [--out DIR] [--json] [--quiet] [--workers K]

The comparison lives in :mod:`normad_edu.research.compare` (rates screened
on seed 1, reported on seed 2; one results file per family and rule in
DIR, so a rerun resumes); this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict
from pathlib import Path

from ..research.store import ResultsFileError
from ..setups import RULES
from .support import (DEFAULT_OUT, CommandError, NamesAction, UsageError, add_common_options, int_at_least, names,
                      output_folder, print_json, say, use_agg, write_figure)


def budgets(text: str) -> dict:
    """``--max-iter``: one budget for every family (``M``) or one per family (``S,X,D``: single, XOR, generic)."""
    from ..research.compare import FAMILIES

    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, len(FAMILIES)) or min(values, default=0) < 1:
        raise argparse.ArgumentTypeError(f"must be one integer >= 1 for every family or three, comma-separated "
                                         f"(single, XOR, generic), got {text!r}")
    return dict(zip(FAMILIES, values * len(FAMILIES) if len(values) == 1 else values))


def register(commands) -> None:
    """Add ``compare`` to the ``commands`` subparsers."""
    from ..research.compare import DEFAULT_SIZES, FAMILIES, GRID_FACTORS, REPORT_SEED, SCREEN_SEED

    d = DEFAULT_SIZES
    p = commands.add_parser("compare", help="NormAD beside ReSuMe, SpikeProp, EventProp and surrogate gradients",
                            description="Train the same problems (single neuron 100-1, XOR 54-54-1, a subset of the "
                                        "generic 100-50-25-1) with every rule, each at the rate (its default times "
                                        f"{', '.join(map(str, GRID_FACTORS))}) that did best on screening problems "
                                        f"(seed {SCREEN_SEED}), and report converged counts with 95 % intervals, "
                                        f"McNemar tests against NormAD, iterations and wall time per iteration on "
                                        f"other problems (seed {REPORT_SEED}). Results: one file per family and "
                                        "rule in DIR; rerun the same command to resume.")
    p.add_argument("--problems", metavar="N", type=int_at_least(1), default=d["single"].problems,
                   help=f"screening and report problems of single and XOR, each (default: {d['single'].problems})")
    p.add_argument("--deep-problems", metavar="K", type=int_at_least(1), default=None,
                   help=f"screening and report problems of the generic subset (default: the smaller of N and "
                        f"{d['deep'].problems}: an iteration of SpikeProp or EventProp costs about 0.3-0.5 s there)")
    p.add_argument("--max-iter", metavar="M", type=budgets, default=None,
                   help="iteration budget: one for every family or S,X,D (default: "
                        + ",".join(str(d[f].max_iter) for f in FAMILIES) + ")")
    p.add_argument("--families", metavar="NAMES", type=names(tuple(FAMILIES)), action=NamesAction,
                   default=list(FAMILIES), help=f"problem families among {', '.join(FAMILIES)} (default: all)")
    p.add_argument("--rules", metavar="NAMES", type=names(RULES), action=NamesAction, default=list(RULES),
                   help=f"rules among {', '.join(RULES)} (default: all; the McNemar tests pair each with normad)")
    add_common_options(p, out=str(Path(DEFAULT_OUT) / "compare"), seed=False)
    p.add_argument("--workers", metavar="K", type=int_at_least(1), default=None,
                   help="local worker processes, >= 1 (default: number of cores; 1 runs in this process)")
    p.set_defaults(func=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    """``normad-edu compare``: screen, choose, report; print the table and save its figure."""
    from ..research import compare

    sizes = compare.sizes_for(args.problems, args.max_iter, args.deep_problems)
    out = output_folder(args.out)
    say(args, f"normad-edu compare: {', '.join(args.families)} x {', '.join(args.rules)}; "
              + "; ".join(f"{f}: {sizes[f].problems} problems x {sizes[f].max_iter} iterations"
                          for f in args.families)
              + f"; screening seed {compare.SCREEN_SEED}, report seed {compare.REPORT_SEED}; "
                f"results in {out.resolve()}")
    start = time.perf_counter()
    try:
        rows = compare.run_compare(out, args.families, args.rules, sizes, workers=args.workers,
                                   progress=not args.quiet,
                                   report=None if args.quiet else (lambda line: print(line, file=sys.stderr)))
    except ResultsFileError:
        raise  # a damaged results file, not a bad argument: main() reports it (exit 1)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except (OSError, BrokenProcessPool) as exc:
        raise CommandError(f"compare stopped: {exc or type(exc).__name__}; finished runs are saved, "
                           "run the same command again to resume") from None
    use_agg()
    from ..research.figures import fig_compare

    figures = write_figure(fig_compare(rows, title="NormAD and other rules: converged (report problems) and cost"),
                           out, "compare")
    wall_seconds = time.perf_counter() - start
    table = compare.format_table(rows)
    if args.json:
        configuration = {"families": list(args.families), "rules": list(args.rules),
                         "sizes": {f: asdict(sizes[f]) for f in args.families},
                         "screen_seed": compare.SCREEN_SEED, "report_seed": compare.REPORT_SEED,
                         "grid_factors": list(compare.GRID_FACTORS), "workers": args.workers,
                         "out": str(out.resolve()),
                         "results_files": [str(compare.results_path(out, f, r).resolve())
                                           for f in args.families for r in args.rules]}
        print_json(args, {"configuration": configuration, "rows": rows, "table": table, "figures": figures,
                          "wall_seconds": wall_seconds})
        return 0
    print(table)
    print(f"  rates: the rule's default times {', '.join(map(str, compare.GRID_FACTORS))}, chosen on seed "
          f"{compare.SCREEN_SEED}; table: seed {compare.REPORT_SEED}; ms / iter: processor time, one problem at a time")
    print(f"  figures: {', '.join(figures)}")
    print(f"  wall time {wall_seconds:.1f} s")
    return 0
