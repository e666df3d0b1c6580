"""The ``study`` command: the lever study of why the generic problems converge less often than in the paper.

::

    normad-edu study      [--stage {screen,final,confirm,predeclared}] [--levers A,B+C] [--train output,all] [--problems N]
                          [--max-iter M] [--seed S] [--out DIR] [--json] [--quiet] [--workers K]

The study lives in :mod:`normad_edu.research.study`; this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, replace
from pathlib import Path

from ..experiments import get_experiment
from ..research.store import ResultsFileError
from .support import (DEFAULT_OUT, CommandError, UsageError, NamesAction, add_common_options, int_at_least, names,
                      output_folder, print_json, say, use_agg, write_figure)


def register(commands) -> None:
    """Add ``study`` to the ``commands`` subparsers."""
    from ..research.study import LEVERS, STAGES

    p = commands.add_parser("study", help="lever study: why the generic problems converge less often than in the paper",
                            description="Train the generic problems with reconstructed values changed (levers, "
                                        "combined with '+') on the same problems; print converged counts with 95 % "
                                        "intervals and paired tests against the baseline (see "
                                        "normad_edu.research.study). Stages: "
                                        + "; ".join(f"{k}: seed {v.seed}, {v.n_problems} x {v.max_iter}"
                                                    for k, v in STAGES.items())
                                        + ". Levers: " + ", ".join(f"{k}{'' if v.faithful else ' (deviation)'}"
                                                                   for k, v in LEVERS.items()) + ".")
    p.add_argument("--stage", choices=tuple(STAGES), default="screen", help="problem set and budget (default: screen)")
    p.add_argument("--levers", metavar="A,B+C", default=None,
                   help="comma-separated lever combinations (default: every single lever)")
    configs = get_experiment("deep").configs
    p.add_argument("--train", metavar="CONFIGS", type=names(configs), action=NamesAction, default=["output", "all"],
                   help=f"configuration(s) among {', '.join(configs)}: comma-separated, or the flag repeated, as "
                        "in 'deep --train' (default: output,all)")
    p.add_argument("--problems", metavar="N", type=int_at_least(1), default=None,
                   help="override the stage's number of problems (first N of its problem set)")
    p.add_argument("--max-iter", metavar="M", type=int_at_least(1), default=None,
                   help="override the stage's iteration budget")
    p.add_argument("--seed", metavar="S", type=int_at_least(0), default=None,
                   help="override the stage's problem set (seed)")
    p.add_argument("--baseline", metavar="COMBO", default="baseline",
                   help="the combination the tests compare against (default: baseline)")
    add_common_options(p, out=None, seed=False)
    p.add_argument("--workers", metavar="K", type=int_at_least(1), default=None,
                   help="local worker processes, >= 1 (default: number of cores)")
    p.set_defaults(func=run_study)


def run_study(args: argparse.Namespace) -> int:
    """``normad-edu study``: train lever combinations, print the comparison table."""
    from ..research import study

    stage = study.STAGES[args.stage]
    stage = replace(stage, n_problems=args.problems or stage.n_problems, max_iter=args.max_iter or stage.max_iter,
                    seed=stage.seed if args.seed is None else args.seed)
    combos = list(study.LEVERS) if args.levers is None else [c for c in args.levers.split(",") if c]
    combos = combos if args.baseline in combos else [args.baseline, *combos]  # the tests need it trained
    configs = list(args.train)
    out = output_folder(args.out if args.out is not None else str(Path(DEFAULT_OUT) / "study" / args.stage))
    say(args, f"normad-edu study: stage {args.stage} (seed {stage.seed}, {stage.n_problems} problems x "
              f"{stage.max_iter} iterations), results in {out.resolve()}")
    start = time.perf_counter()
    try:
        study.run_study(combos, configs, stage, out, workers=args.workers, progress=not args.quiet,
                        report=lambda line: print(line, file=sys.stderr))
    except ResultsFileError:
        raise  # a damaged results file, not a bad argument: main() reports it (exit 1)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except (OSError, BrokenProcessPool) as exc:
        raise CommandError(f"study stopped: {exc or type(exc).__name__}; finished runs are saved, "
                           "run the same command again to resume") from None
    rows = study.study_table(out, stage, combos=combos, configs=configs, baseline=args.baseline)
    figures = []
    if rows:
        use_agg()
        from ..research.figures import fig_study

        title = f"{args.stage}: seed {stage.seed}, {stage.n_problems} problems, {stage.max_iter} iterations"
        figures = write_figure(fig_study(rows, title=title, paper=study.PAPER_CONVERGED), out, f"study_{args.stage}")
    wall_seconds = time.perf_counter() - start
    if args.json:
        print_json(args, {"configuration": {"stage": args.stage, **asdict(stage), "out": str(out.resolve())},
                          "rows": rows, "figures": figures, "wall_seconds": wall_seconds})
    else:
        print(study.format_table(rows))
        print(f"  figures: {', '.join(figures)}")
        print(f"  wall time {wall_seconds:.1f} s")
    return 0
