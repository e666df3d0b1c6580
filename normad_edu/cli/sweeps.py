"""What the sweeping commands (``xor``, ``deep``, ``reproduce``) share: their options and the function that runs a sweep.

``SWEEP = [--seed S] [--out DIR] [--json] [--quiet] [--workers K | --scheduler ADDRESS]``;
each finished run is appended to ``DIR/results.jsonl``, so rerunning a
killed command resumes it (:func:`normad_edu.research.sweep.run_sweep`).
"""

from __future__ import annotations

import argparse
import importlib.util
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..experiments import get_experiment
from ..setups import with_max_iter
from .support import RESULTS_FILE, CommandError, UsageError, add_common_options, int_at_least, output_folder, say
from .support import scheduler_address


def add_sweep_options(p: argparse.ArgumentParser) -> None:
    """The common options and where the runs go: ``--workers K`` or ``--scheduler ADDRESS``."""
    add_common_options(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", metavar="K", type=int_at_least(1), default=None,
                       help="local worker processes, >= 1 (default: number of cores; 1 runs in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", type=scheduler_address, default=None,
                       help="run on the Dask cluster at ADDRESS (e.g. tcp://127.0.0.1:8786); needs the optional "
                            "extra 'distributed' and workers that can write DIR")


def check_sweep_args(args: argparse.Namespace) -> Path:
    """Check ``--scheduler`` can be used and create ``--out``; returns the output folder."""
    if args.scheduler is not None and importlib.util.find_spec("distributed") is None:
        raise UsageError("argument --scheduler: needs dask.distributed; install it with "
                         "pip install 'normad_edu[distributed]'")
    return output_folder(args.out)


def sweep_configuration(args: argparse.Namespace, out: Path, **extra) -> dict:
    """The ``configuration`` of a sweeping command's JSON: ``extra``, then seed, workers, scheduler and files."""
    return {**extra, "seed": args.seed, "workers": args.workers, "scheduler": args.scheduler,
            "out": str(out.resolve()), "results_file": str((out / RESULTS_FILE).resolve())}


def sweep_runner(args: argparse.Namespace, out: Path, setups: Mapping) -> Callable[[str, str, int, int], dict]:
    """``sweep(experiment, config, n_runs, max_iter) -> summary`` (see :mod:`normad_edu.research.reproduce`).

    ``setups`` maps each experiment the command sweeps to its setup, built
    once by the command (:func:`normad_edu.cli.settings.build_setup`); a sweep
    runs it with the iteration budget it is given. A sweep that stops is a
    :class:`~normad_edu.cli.support.CommandError` saying how to resume.
    """
    from ..research.sweep import run_sweep

    def sweep(experiment: str, config: str, n_runs: int, max_iter: int) -> dict:
        setup = with_max_iter(setups[experiment], max_iter)
        say(args, f"normad-edu {args.command}: {experiment}, {get_experiment(experiment).labels[config]}, "
                  f"{n_runs} runs x {setup.max_iter} iterations, "
                  f"seed {args.seed}, results in {out / RESULTS_FILE}")
        try:
            return run_sweep(experiment, config, n_runs, out / RESULTS_FILE, seed=args.seed, setup=setup,
                             workers=args.workers, scheduler=args.scheduler, progress=not args.quiet)
        except (OSError, BrokenProcessPool) as exc:
            raise CommandError(f"sweep {experiment}-{config} stopped: {exc or type(exc).__name__}; "
                               "finished runs are saved, run the same command again to resume") from None
        except ValueError as exc:  # a setup the runs cannot use (a size limit, ...): one line, not a traceback
            raise CommandError(f"sweep {experiment}-{config}: {exc}") from None

    return sweep


def sweeps_together(args: argparse.Namespace, out: Path, setups: Mapping, specs) -> None:
    """Run (or resume) several sweeps ``(experiment, config, n_runs, max_iter)`` with one pool of workers, in the
    order given (costliest first), before the figures read them through :func:`sweep_runner`."""
    from ..research.sweep import run_sweeps

    specs = [(e, c, n, with_max_iter(setups[e], m)) for e, c, n, m in specs]
    for e, c, n, setup in specs:
        say(args, f"normad-edu {args.command}: {e}, {get_experiment(e).labels[c]}, {n} runs x {setup.max_iter} "
                  f"iterations, seed {args.seed}, results in {out / RESULTS_FILE}")
    try:
        run_sweeps(specs, out / RESULTS_FILE, seed=args.seed, workers=args.workers, progress=not args.quiet)
    except (OSError, BrokenProcessPool) as exc:
        raise CommandError(f"sweeps {', '.join(f'{e}-{c}' for e, c, _, _ in specs)} stopped: "
                           f"{exc or type(exc).__name__}; finished runs are saved, run the same command again to "
                           "resume") from None
    except ValueError as exc:
        raise CommandError(f"sweeps: {exc}") from None
