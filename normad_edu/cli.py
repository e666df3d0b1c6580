"""The ``normad-edu`` command line.

::

    normad-edu demo       [--out DIR] [--seed S] [--batch B] [--json]
    normad-edu single     [--problems N] [--inputs N] [--max-iter M] [--rule {normad,resume}]
                          [--rate PA] [--tau-l-hat MS] [--seed S] [--json]
    normad-edu gradcheck  [--layers 20,10,5,1] [--t-ref MS] [--tau-l-hat MS] [--seed S] [--json]
    normad-edu xor        [--inits N] [--hidden {plastic,frozen}] [--max-iter M] [--seed S] SWEEP
    normad-edu deep       [--problems N] [--train {output,outer2,all}] [--max-iter M] [--seed S] SWEEP
    normad-edu reproduce  {fig6,fig7,fig8,fig9,fig10,all} [--quick] [--seed S] SWEEP
    normad-edu study      [--stage {screen,final}] [--levers A,B+C] [--train output,all]
                          [--problems N] [--max-iter M] [--out DIR] [--json] [--workers K]

    SWEEP = [--out DIR] [--json] [--workers K | --scheduler ADDRESS]

Each subcommand is two small functions: ``_add_<name>_parser`` declares its
arguments (and sets ``func=_cmd_<name>``), ``_cmd_<name>(args)`` runs it and
returns the exit status. To add a subcommand, write both and append the first
to :data:`_SUBCOMMANDS`. A value argparse cannot check by its ``type`` is
rejected by raising :class:`UsageError` from ``_cmd_<name>``; a command that
cannot finish raises :class:`CommandError`.

Output: a text summary on stdout and progress bars on stderr; with
``--json``, exactly one JSON object on stdout (NaN and inf written as
``null``) and anything else on stderr. The sweeps (``xor``, ``deep``,
``reproduce``) append one line per finished run to ``DIR/results.jsonl``,
shared by every command and configuration (each reads back only its own
runs: experiment, configuration, seed and iteration budget), so running a
killed or interrupted command again resumes it. Figures are written
atomically, as PNG and SVG, into ``DIR``.

Exit status: 0 on success, 2 for bad arguments (one line on stderr, as
argparse does, also for values argparse cannot check by type, e.g.
``--batch 0``), 1 when the command itself fails (e.g. the figure cannot be
written, a sweep worker died), 130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from . import __version__
from .params import TAU_L_HAT, LIFParams, SimParams
from .experiments import (SINGLE_DESIRED_RATE, SINGLE_INPUT_RATE, SINGLE_T, SINGLE_THRESHOLD, DeepSetup, deep_problems,
                          pattern_order_rngs, single_neuron_problems)
from .sweep import ResultsFileError

# --------------------------------------------------------------------------
# The demo problem (paper Sec. 6, generic problems)
# --------------------------------------------------------------------------

_DEMO_SETUP = DeepSetup()
#: Layer sizes ``(n_0, n_1, n_2, n_3)`` of the paper's generic problems.
DEMO_SIZES = tuple(_DEMO_SETUP.sizes)
#: Rate of the Poisson input trains (Hz).
DEMO_INPUT_RATE = _DEMO_SETUP.input_rate
#: Hidden weights are ``U(0, a_l)`` (80 %) or ``-U(0, g a_l)`` (20 %); ``a_1, a_2`` (pA).
#: With these (and g = 4), layer 1 fires at ~30 Hz and layer 2 at ~60 Hz.
DEMO_HIDDEN_A = tuple(_DEMO_SETUP.a_hidden)
#: Probability that a hidden synapse is excitatory (positive).
DEMO_EXCITATORY = _DEMO_SETUP.frac_excitatory

DEFAULT_OUT = "normad_edu_out"


def demo_problem(batch: int = 1, seed: int = 0) -> tuple[list[list[np.ndarray]], list[np.ndarray]]:
    """Inputs and initial weights of ``batch`` generic problems (paper Sec. 6).

    Problems ``0 .. batch-1`` of :func:`normad_edu.experiments.deep_problems`
    (default :class:`~normad_edu.experiments.DeepSetup`, base ``seed``): 100
    Poisson inputs at 20 Hz, hidden weights ``U(0, a_l)`` (80 %, excitatory)
    or ``-U(0, 4 a_l)`` (inhibitory), output weights 0. Problem ``b`` is the same for every
    batch size.

    Returns
    -------
    inputs : list of populations
        ``inputs[b]`` is a list of ``n_0`` spike trains (ms).
    weights : list of ndarray
        ``[W^1, ..., W^L]``, each ``(batch, n_l, n_{l-1})`` (pA).
    """
    ex = deep_problems("all", n_runs=batch, seed=seed, setup=_DEMO_SETUP)
    return [p[0] for p in ex.inputs], ex.weights


# --------------------------------------------------------------------------

#: Default learning rate of each rule (pA per error instant).
SINGLE_DEFAULT_RATE = {"normad": 1000.0, "resume": 100.0}


# --------------------------------------------------------------------------
# What `normad-edu reproduce` runs (paper Sec. 6, Figs. 6-10)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReproduceSizes:
    """Runs and iteration budgets of the figure sweeps."""

    xor_runs: int
    xor_max_iter: int
    deep_runs: int
    deep_max_iter: int


#: The paper's sizes: 100 XOR initialisations x 800 iterations, 100 generic problems x 10,000.
FULL_SIZES = ReproduceSizes(xor_runs=100, xor_max_iter=800, deep_runs=100, deep_max_iter=10_000)
#: ``--quick``: each figure in well under 2 minutes on 2 cores.
QUICK_SIZES = ReproduceSizes(xor_runs=8, xor_max_iter=300, deep_runs=8, deep_max_iter=400)
FIGURES = ("fig6", "fig7", "fig8", "fig9", "fig10")
#: Fig. 6 draws every 5th iteration, Fig. 8 every 20th (as the paper).
FIG6_EVERY, FIG8_EVERY = 5, 20
XOR_LABELS = {"plastic": "plastic hidden layer", "frozen": "frozen hidden layer"}
DEEP_LABELS = {"output": "output layer only", "outer2": "outer two layers", "all": "all three layers"}
#: Results file of every sweep, inside ``--out``.
RESULTS_FILE = "results.jsonl"
FIGURE_FORMATS = ("png", "svg")

# --------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------


class UsageError(Exception):
    """Raised by a subcommand for an argument value argparse cannot check (exit status 2)."""


class CommandError(Exception):
    """Raised by a subcommand that cannot finish (exit status 1, one line on stderr)."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr (exit status 2)."""

    def error(self, message: str):  # noqa: D102 (argparse API)
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` accepting integers >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _float_above(minimum: float, *, inclusive: bool = False) -> Callable[[str], float]:
    """An argparse ``type`` accepting finite numbers > ``minimum`` (>= if ``inclusive``)."""
    relation = ">=" if inclusive else ">"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
            raise argparse.ArgumentTypeError(f"must be a finite number {relation} {minimum:g}, got {text!r}")
        return value

    parse.__name__ = f"number {relation} {minimum:g}"
    return parse


def _layer_sizes(text: str) -> tuple[int, ...]:
    """An argparse ``type``: comma-separated layer sizes, at least an input and an output layer."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"must be at least two comma-separated integers >= 1 (inputs, ..., outputs), e.g. 20,10,5,1; got {text!r}")
    return sizes


_SCHEDULER_ADDRESS = re.compile(r"(?:tcp|tls|inproc|ucx|ws|wss)://\S+|[\w.\-]+:\d+")


def _scheduler_address(text: str) -> str:
    """An argparse ``type``: a Dask scheduler address, ``tcp://host:port`` or ``host:port``."""
    if not _SCHEDULER_ADDRESS.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be a Dask scheduler address such as tcp://127.0.0.1:8786, got {text!r}")
    return text


def _add_out_option(p) -> None:
    p.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")


def _add_seed_option(p) -> None:
    p.add_argument("--seed", metavar="S", type=_int_at_least(0), default=0, help="random seed, >= 0 (default: 0)")


def _add_json_option(p) -> None:
    p.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout instead of the text summary (NaN as null)")


def _add_sweep_options(p) -> None:
    """``--seed``, ``--out``, ``--json`` and where the runs execute (``--workers`` or ``--scheduler``)."""
    _add_seed_option(p)
    p.add_argument("--out", metavar="DIR", default=DEFAULT_OUT,
                   help=f"output folder for {RESULTS_FILE} (appended, resumable) and the figures (default: ./{DEFAULT_OUT})")
    _add_json_option(p)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", metavar="K", type=_int_at_least(1), default=None,
                       help="local worker processes, >= 1 (default: number of cores; 1 runs in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", type=_scheduler_address, default=None,
                       help="run on the Dask cluster at ADDRESS (e.g. tcp://127.0.0.1:8786) instead; needs "
                            "the optional extra 'distributed', and workers that can write DIR")


def _add_demo_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="simulate the 100-50-25-1 network on Poisson inputs and save a raster plot",
        description=(
            "Simulate the paper's generic 100-50-25-1 LIF network (T = 500 ms, dt = 0.1 ms, "
            "100 Poisson inputs at 20 Hz, hidden weights U(0, a) for the 80 % excitatory synapses and "
            f"-U(0, {_DEMO_SETUP.inhibitory_scale:g} a) for the inhibitory ones, a1 = {DEMO_HIDDEN_A[0]:.0f} pA, "
            f"a2 = {DEMO_HIDDEN_A[1]:.0f} pA, output weights 0), print the firing rate of each layer "
            "and save a raster plot of all layers to DIR/demo_raster.png."
        ),
    )
    _add_out_option(p)
    _add_seed_option(p)
    p.add_argument("--batch", metavar="B", type=_int_at_least(1), default=1,
                   help="number of independent problems simulated together, >= 1 (default: 1); the plot shows the first")
    _add_json_option(p)
    p.set_defaults(func=_cmd_demo)


def _add_single_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "single",
        help="train single LIF neurons (100 -> 1) with NormAD or ReSuMe",
        description=(
            "Train N independent single-neuron problems in one batch: Poisson inputs at 20 Hz (100 by default), a desired "
            "Poisson train at 10 Hz (dead time 2 ms), T = 500 ms, weights starting at 0; converged when the "
            "correlation reaches 0.98. Problem i is drawn from numpy.random.default_rng([seed, i]). Prints "
            "how many converged and after how many iterations."
        ),
    )
    p.add_argument("--problems", metavar="N", type=_int_at_least(1), default=20, help="number of problems (default: 20)")
    p.add_argument("--inputs", metavar="N", type=_int_at_least(1), default=100,
                   help="input trains per problem (default: 100)")
    p.add_argument("--max-iter", metavar="M", type=_int_at_least(1), default=600,
                   help="iteration budget (default: 600)")
    p.add_argument("--rule", choices=("normad", "resume"), default="normad", help="learning rule (default: normad)")
    p.add_argument("--rate", metavar="PA", type=_float_above(0.0), default=None,
                   help="learning rate in pA per error instant (default: 1000 for normad, 100 for resume)")
    p.add_argument("--tau-l-hat", metavar="MS", type=_float_above(0.0), default=None,
                   help=f"tau_L' of the NormAD rule in ms (default: {TAU_L_HAT:g}; normad only)")
    _add_seed_option(p)
    _add_json_option(p)
    p.set_defaults(func=_cmd_single)


def _add_gradcheck_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "gradcheck",
        help="compare the backpropagated gradient with finite differences",
        description=(
            "Compare G^l = dVhat/dW^l of the spatio-temporal backward pass with central finite differences "
            "of Vhat (hidden spike times free to move) on a random network, and print the cosine similarity "
            "and the norm ratio per layer. Both are 1 when tau_L' = tau_L and no hidden neuron resets before "
            "the error instant (e.g. --t-ref 1000)."
        ),
    )
    p.add_argument("--layers", metavar="SIZES", type=_layer_sizes, default=(20, 10, 5, 1),
                   help="comma-separated layer sizes n_0,...,n_L (default: 20,10,5,1)")
    p.add_argument("--t-ref", metavar="MS", type=_float_above(0.0, inclusive=True), default=2.0,
                   help="refractory period in ms, >= 0 (default: 2)")
    p.add_argument("--tau-l-hat", metavar="MS", type=_float_above(0.0), default=None,
                   help="tau_L' of the rule in ms (default: tau_L = 10)")
    _add_seed_option(p)
    _add_json_option(p)
    p.set_defaults(func=_cmd_gradcheck)


def _add_xor_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "xor",
        help="sweep XOR (54-54-1) over random initialisations",
        description=(
            "Train the XOR network 54 -> 54 -> 1 from N random initialisations (paper Sec. 6.1, Fig. 7), "
            f"appending each finished run to DIR/{RESULTS_FILE} (rerun to resume), print how many converged "
            "and save the mean and s.d. of the correlation vs iteration to DIR/xor_<hidden>_correlation.png/.svg."
        ),
    )
    p.add_argument("--inits", metavar="N", type=_int_at_least(1), default=100,
                   help="number of random initialisations (default: 100)")
    p.add_argument("--hidden", choices=tuple(XOR_LABELS), default="plastic",
                   help="train the hidden layer too, or keep it frozen (default: plastic)")
    p.add_argument("--max-iter", metavar="M", type=_int_at_least(1), default=800, help="iteration budget (default: 800)")
    _add_sweep_options(p)
    p.set_defaults(func=_cmd_xor)


def _add_deep_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "deep",
        help="sweep generic problems on the 100-50-25-1 network",
        description=(
            "Train N generic problems on the 100 -> 50 -> 25 -> 1 network (paper Sec. 6.2, Figs. 9-10) with "
            f"the chosen layers plastic, appending each finished run to DIR/{RESULTS_FILE} (rerun to resume), "
            "print how many converged and save DIR/deep_<train>_converged.png/.svg (Fig. 9 style) and "
            "DIR/deep_<train>_correlation.png/.svg (Fig. 10 style)."
        ),
    )
    p.add_argument("--problems", metavar="N", type=_int_at_least(1), default=100,
                   help="number of problems (default: 100)")
    p.add_argument("--train", choices=tuple(DEEP_LABELS), default="all",
                   help="which layers learn: the output layer, the outer two, or all three (default: all)")
    p.add_argument("--max-iter", metavar="M", type=_int_at_least(1), default=10_000,
                   help="iteration budget (default: 10000)")
    _add_sweep_options(p)
    p.set_defaults(func=_cmd_deep)


def _add_reproduce_parser(subparsers) -> None:
    q, f = QUICK_SIZES, FULL_SIZES
    p = subparsers.add_parser(
        "reproduce",
        help="reproduce the paper's Figs. 6-10",
        description=(
            "Reproduce a figure of the paper (Sec. 6) into DIR/figN.png and .svg. fig6: XOR inputs and the "
            "output over training (one run); fig7: XOR plastic vs frozen hidden layer, mean and s.d. of the "
            "correlation; fig8: the output of one generic problem over training (all layers plastic); fig9: "
            "generic problems converged vs iteration for output / outer two / all layers trained; fig10: "
            f"their mean and s.d. of correlation. Sweeps append to DIR/{RESULTS_FILE} and resume when rerun. "
            f"Sizes: {f.xor_runs} XOR runs x {f.xor_max_iter} iterations, {f.deep_runs} generic problems x "
            f"{f.deep_max_iter} iterations; with --quick {q.xor_runs} x {q.xor_max_iter} and "
            f"{q.deep_runs} x {q.deep_max_iter}."
        ),
    )
    p.add_argument("figure", choices=(*FIGURES, "all"), help="which figure (all: every one)")
    p.add_argument("--quick", action="store_true", help="small sweeps: a rough figure in about a minute")
    _add_sweep_options(p)
    p.set_defaults(func=_cmd_reproduce)


def _add_study_parser(subparsers) -> None:
    from .study import LEVERS, STAGES

    p = subparsers.add_parser(
        "study",
        help="lever study: why the generic problems converge less often than in the paper",
        description=(
            "Train the generic 100-50-25-1 problems with reconstructed values changed one at a time (levers) or "
            "combined with '+', on the same problems, and print a table of how many converged with 95 % "
            "confidence intervals and tests against the baseline (see normad_edu.study). Results go to "
            "DIR/<levers>.jsonl (rerun to resume, or to print the table again), the figure to "
            "DIR/study_<stage>.png/.svg. Stages: "
            + "; ".join(f"{k}: seed {v.seed}, {v.n_problems} problems x {v.max_iter} iterations"
                        for k, v in STAGES.items())
            + ". Levers: " + ", ".join(f"{k}{'' if v.faithful else ' (deviation)'}" for k, v in LEVERS.items()) + "."
        ),
    )
    p.add_argument("--stage", choices=tuple(STAGES), default="screen", help="problem set and budget (default: screen)")
    p.add_argument("--levers", metavar="A,B+C", default=None,
                   help="comma-separated lever combinations (default: every single lever)")
    p.add_argument("--train", metavar="CONFIGS", default="output,all",
                   help="comma-separated configurations among output, outer2, all (default: output,all)")
    p.add_argument("--problems", metavar="N", type=_int_at_least(1), default=None,
                   help="override the stage's number of problems (first N of its problem set)")
    p.add_argument("--max-iter", metavar="M", type=_int_at_least(1), default=None,
                   help="override the stage's iteration budget")
    p.add_argument("--out", metavar="DIR", default=None,
                   help=f"results folder (default: ./{DEFAULT_OUT}/study/<stage>)")
    _add_json_option(p)
    p.add_argument("--workers", metavar="K", type=_int_at_least(1), default=None,
                   help="local worker processes, >= 1 (default: number of cores)")
    p.set_defaults(func=_cmd_study)


#: Functions that add one subcommand each to the ``normad-edu`` parser.
_SUBCOMMANDS: list[Callable] = [
    _add_demo_parser,
    _add_single_parser,
    _add_gradcheck_parser,
    _add_xor_parser,
    _add_deep_parser,
    _add_reproduce_parser,
    _add_study_parser,
]


def build_parser() -> argparse.ArgumentParser:
    """The ``normad-edu`` parser with every subcommand."""
    parser = _Parser(
        prog="normad-edu",
        description="NormAD training of multi-layer spiking neural networks (Anwani & Rajendran, 2020), for learning.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for add in _SUBCOMMANDS:
        add(subparsers)
    return parser


# --------------------------------------------------------------------------
# Shared by the subcommands
# --------------------------------------------------------------------------


def _output_folder(text: str) -> Path:
    """``--out``: an existing folder or one that can be created (created here)."""
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise UsageError(f"argument --out: {str(out)!r} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"argument --out: cannot create folder {str(out)!r}: {exc.strerror or exc}") from None
    return out


def _use_agg() -> None:
    """Select the non-interactive Agg backend unless pyplot is already in use.

    A command-line run needs no display; an in-process caller (a test, a
    notebook) that has already imported pyplot keeps its backend.
    """
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")


def _save_figure_atomically(fig, path: Path, **savefig_kwargs) -> None:
    """Write ``fig`` to ``path`` via a temporary file in the same folder and
    ``os.replace``, so ``path`` is either the old file or the complete new one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=path.suffix.lstrip(".") or "png", **savefig_kwargs)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _save_figure(fig, out: Path, stem: str) -> list[str]:
    """Save ``fig`` as ``out/stem.png`` and ``out/stem.svg`` (each atomically), close it, return the paths."""
    import matplotlib.pyplot as plt

    paths = [(out / f"{stem}.{ext}").resolve() for ext in FIGURE_FORMATS]
    try:
        for path in paths:
            _save_figure_atomically(fig, path, dpi=120)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(fig)
    return [str(p) for p in paths]


def _jsonable(obj):
    """``obj`` with numpy scalars/arrays and paths made plain, NaN and inf as None."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _print_json(args: argparse.Namespace, obj: dict) -> None:
    """Print ``obj`` as one line of strict JSON on the command's stdout (see :func:`main`)."""
    print(json.dumps(_jsonable(obj), allow_nan=False), file=getattr(args, "stdout", None) or sys.stdout)


def _fmt(x, spec: str = ".3f") -> str:
    """A number for the text summaries; ``n/a`` for None and NaN."""
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _check_sweep_args(args: argparse.Namespace) -> Path:
    """Validate the sweep options argparse cannot check; returns the (created) output folder."""
    if args.scheduler is not None and importlib.util.find_spec("distributed") is None:
        raise UsageError("argument --scheduler: needs dask.distributed; install it with "
                         "pip install 'normad_edu[distributed]'")
    return _output_folder(args.out)


def _run_sweep(args: argparse.Namespace, experiment: str, config: str, n_runs: int, max_iter: int,
               out: Path) -> dict:
    """:func:`normad_edu.sweep.run_sweep` into ``out/results.jsonl``; its summary (see there)."""
    from .experiments import DeepSetup, XORSetup, with_max_iter
    from .sweep import run_sweep

    setup = with_max_iter(XORSetup() if experiment == "xor" else DeepSetup(), max_iter)
    try:
        return run_sweep(experiment, config, n_runs, out / RESULTS_FILE, seed=args.seed, setup=setup,
                         workers=args.workers, scheduler=args.scheduler, progress=True)
    except (OSError, BrokenProcessPool) as exc:
        raise CommandError(f"sweep {experiment}-{config} stopped: {exc or type(exc).__name__}; "
                           "finished runs are saved, run the same command again to resume") from None


def _sweep_configuration(args: argparse.Namespace, out: Path, **extra) -> dict:
    """The options every sweep report shares."""
    return {**extra, "seed": args.seed, "workers": args.workers, "scheduler": args.scheduler,
            "out": str(out.resolve()), "results_file": str((out / RESULTS_FILE).resolve())}


def _sweep_counts(summary: dict) -> dict:
    """The convergence part of a sweep summary."""
    keys = ("n_runs", "finished", "converged", "iterations", "iterations_median", "iterations_max", "resumed")
    return {k: summary[k] for k in keys}


def _sweep_line(summary: dict, max_iter: int) -> str:
    """``converged k/n within M iterations (median, max)`` for the text summaries."""
    n, k = summary["n_runs"], summary["converged"]
    text = f"converged {k}/{n} within {max_iter} iterations"
    if k:
        text += f" (median {summary['iterations_median']:g}, max {summary['iterations_max']})"
    return text


def _sweep_report(command: str, args: argparse.Namespace, out: Path, summary: dict, max_iter: int,
                  figures: list[str], wall_seconds: float) -> dict:
    """The ``--json`` object of ``xor`` and ``deep``."""
    configuration = _sweep_configuration(args, out, experiment=summary["experiment"], config=summary["config"],
                                         n_runs=summary["n_runs"], max_iter=max_iter,
                                         setup=summary["configuration"]["setup"])
    return {"command": command, "version": __version__, "configuration": configuration, **_sweep_counts(summary),
            "correlation_mean": summary["correlation_mean"], "correlation_std": summary["correlation_std"],
            "figures": figures, "wall_seconds": wall_seconds}


def _print_sweep_text(title: str, summary: dict, max_iter: int, out: Path, figures: list[str],
                      wall_seconds: float) -> None:
    print(title)
    print(f"  {_sweep_line(summary, max_iter)}")
    not_conv = [i for i, it in enumerate(summary["iterations"]) if it is None]
    if not_conv:
        shown = ", ".join(map(str, not_conv[:20])) + (", ..." if len(not_conv) > 20 else "")
        print(f"  not converged: run{'s' if len(not_conv) > 1 else ''} {shown}")
    mean, std = summary["correlation_mean"], summary["correlation_std"]
    if mean:
        print(f"  correlation at iteration {len(mean) - 1}: mean {_fmt(mean[-1])}, s.d. {_fmt(std[-1])}")
    print(f"  {summary['resumed']} of {summary['n_runs']} runs were already in {out / RESULTS_FILE}; "
          f"wall time {wall_seconds:.1f} s")
    print(f"  figures: {', '.join(figures)}")


# --------------------------------------------------------------------------
# Subcommands
# --------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    """``normad-edu demo``: simulate, summarise, save the raster plot."""
    out = _output_folder(args.out)

    _use_agg()
    import matplotlib.pyplot as plt

    from .network import forward
    from .plotting import plot_network_activity

    t_start = time.perf_counter()
    sim = SimParams()
    inputs, weights = demo_problem(args.batch, args.seed)
    t_sim = time.perf_counter()
    record = forward(inputs, weights, sim=sim)
    simulate_seconds = time.perf_counter() - t_sim
    T_s = sim.T / 1000.0
    layers = [record.inputs, *record.layers]
    rates = [float(out_l.counts.mean() / T_s) for out_l in layers]

    figure = (out / "demo_raster.png").resolve()
    fig = plot_network_activity(record, batch_index=0, T=sim.T)
    fig.suptitle(f"normad-edu demo: {'-'.join(map(str, DEMO_SIZES))} LIF network, seed {args.seed}, problem 0 of {args.batch}",
                 fontsize=10)
    fig.tight_layout()
    try:
        _save_figure_atomically(fig, figure, dpi=120)
    except OSError as exc:
        print(f"normad-edu demo: error: cannot write {figure}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        plt.close(fig)
    wall_seconds = time.perf_counter() - t_start

    if args.json:
        result = {
            "command": "demo",
            "version": __version__,
            "config": {
                "layer_sizes": list(DEMO_SIZES),
                "T_ms": sim.T,
                "dt_ms": sim.dt,
                "input_rate_hz": DEMO_INPUT_RATE,
                "hidden_a_pA": list(DEMO_HIDDEN_A),
                "excitatory_fraction": DEMO_EXCITATORY,
                "output_weights_pA": 0.0,
                "seed": args.seed,
                "batch": args.batch,
            },
            "rates_hz": rates,
            "wall_seconds": wall_seconds,
            "simulate_seconds": simulate_seconds,
            "figure": str(figure),
        }
        _print_json(args, result)
        return 0

    print(f"normad-edu demo: {'-'.join(map(str, DEMO_SIZES))} LIF network, T = {sim.T:g} ms, dt = {sim.dt:g} ms, "
          f"seed {args.seed}, batch {args.batch}")
    L = len(layers) - 1
    for l, (n, rate) in enumerate(zip(DEMO_SIZES, rates)):
        kind = "input" if l == 0 else ("output" if l == L else "hidden")
        note = "  (output weights start at 0)" if l == L else ""
        print(f"  layer {l} ({kind:>6}, {n:3d} neuron{'s' if n != 1 else ' '}): {rate:6.1f} Hz{note}")
    print(f"mean rates over {args.batch} problem{'s' if args.batch != 1 else ''}; "
          f"wall time {wall_seconds:.2f} s (simulation {simulate_seconds * 1e3:.1f} ms)")
    print(f"raster plot: {figure}")
    return 0


def _cmd_single(args: argparse.Namespace) -> int:
    """``normad-edu single``: train single-neuron problems in one batch."""
    from .baselines import A_NON_HEBBIAN, TAU_R
    from .normad import NormADParams
    from .training import TrainConfig, train

    if args.tau_l_hat is not None and args.rule != "normad":
        raise UsageError("argument --tau-l-hat: only the normad rule uses tau_L' (drop it or use --rule normad)")
    rate = SINGLE_DEFAULT_RATE[args.rule] if args.rate is None else args.rate
    tau_L_hat = TAU_L_HAT if args.tau_l_hat is None else args.tau_l_hat
    start = time.perf_counter()
    sim = SimParams(dt=0.1, T=SINGLE_T)
    inputs, desired = single_neuron_problems(args.problems, args.inputs, args.seed, T=sim.T)
    weights = [np.zeros((args.problems, 1, args.inputs))]
    config = TrainConfig(rates=(rate,), max_iter=args.max_iter, threshold=SINGLE_THRESHOLD, mode="batch",
                         rule=args.rule, raster_every=0)
    result = train(inputs, desired, weights, config, sim=sim, params=NormADParams(tau_L_hat=tau_L_hat), progress=True)
    wall_seconds = time.perf_counter() - start
    iterations = result.iterations()
    conv = [n for n in iterations if n is not None]
    median = float(np.median(conv)) if conv else None

    if args.json:
        rule_params = {"tau_L_hat_ms": tau_L_hat} if args.rule == "normad" else {"tau_R_ms": TAU_R, "a": A_NON_HEBBIAN}
        _print_json(args, {
            "command": "single", "version": __version__,
            "configuration": {
                "n_problems": args.problems, "n_inputs": args.inputs, "input_rate_hz": SINGLE_INPUT_RATE,
                "desired_rate_hz": SINGLE_DESIRED_RATE, "desired_dead_time_ms": LIFParams().t_ref,
                "T_ms": sim.T, "dt_ms": sim.dt, "initial_weights_pA": 0.0, "rule": args.rule, "rate_pA": rate,
                **rule_params, "threshold": SINGLE_THRESHOLD, "max_iter": args.max_iter, "seed": args.seed,
            },
            "converged": len(conv), "iterations": iterations, "iterations_median": median,
            "iterations_max": max(conv) if conv else None, "wall_seconds": wall_seconds,
        })
        return 0

    rule = f"NormAD, tau_L' = {tau_L_hat:g} ms" if args.rule == "normad" else "ReSuMe"
    print(f"normad-edu single: {args.problems} problem{'s' if args.problems != 1 else ''}, {args.inputs} -> 1 LIF "
          f"neuron (inputs {SINGLE_INPUT_RATE:g} Hz, desired {SINGLE_DESIRED_RATE:g} Hz, T = {sim.T:g} ms, "
          f"weights start at 0), seed {args.seed}")
    print(f"  rule {rule}, r = {rate:g} pA; converged when the correlation reaches {SINGLE_THRESHOLD:g}")
    line = f"  converged {len(conv)}/{args.problems} within {args.max_iter} iterations"
    print(line + (f" (median {median:g}, max {max(conv)})" if conv else ""))
    not_conv = [i for i, n in enumerate(iterations) if n is None]
    if not_conv:
        print(f"  not converged: problem{'s' if len(not_conv) > 1 else ''} {', '.join(map(str, not_conv))}")
    print(f"  wall time {wall_seconds:.1f} s")
    return 0


def _cmd_gradcheck(args: argparse.Namespace) -> int:
    """``normad-edu gradcheck``: G^l of the backward pass vs finite differences."""
    from .gradcheck import gradient_check

    start = time.perf_counter()
    result = gradient_check(args.layers, t_ref=args.t_ref, tau_L_hat=args.tau_l_hat, seed=args.seed)
    wall_seconds = time.perf_counter() - start
    configuration = {k: v for k, v in result.items() if k not in ("layers", "spike_counts")}

    if args.json:
        _print_json(args, {"command": "gradcheck", "version": __version__, "configuration": configuration,
                           "spike_counts": result["spike_counts"], "layers": result["layers"],
                           "wall_seconds": wall_seconds})
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


def _cmd_xor(args: argparse.Namespace) -> int:
    """``normad-edu xor``: sweep XOR initialisations, save a Fig. 7-style figure."""
    out = _check_sweep_args(args)
    _use_agg()
    from .plotting import fig_correlation_mean_std

    start = time.perf_counter()
    summary = _run_sweep(args, "xor", args.hidden, args.inits, args.max_iter, out)
    fig = fig_correlation_mean_std({XOR_LABELS[args.hidden]: (summary["correlation_mean"], summary["correlation_std"])},
                                   every=summary["correlation_every"],
                                   title=f"XOR 54-54-1, {XOR_LABELS[args.hidden]}: {_sweep_line(summary, args.max_iter)}")
    figures = _save_figure(fig, out, f"xor_{args.hidden}_correlation")
    wall_seconds = time.perf_counter() - start
    if args.json:
        _print_json(args, _sweep_report("xor", args, out, summary, args.max_iter, figures, wall_seconds))
    else:
        _print_sweep_text(f"normad-edu xor: 54-54-1, {XOR_LABELS[args.hidden]}, {args.inits} initialisations, "
                          f"seed {args.seed}", summary, args.max_iter, out, figures, wall_seconds)
    return 0


def _cmd_deep(args: argparse.Namespace) -> int:
    """``normad-edu deep``: sweep generic problems, save Fig. 9- and Fig. 10-style figures."""
    out = _check_sweep_args(args)
    _use_agg()
    from .plotting import fig_correlation_mean_std, fig_cumulative_converged

    start = time.perf_counter()
    summary = _run_sweep(args, "deep", args.train, args.problems, args.max_iter, out)
    label = DEEP_LABELS[args.train]
    title = f"100-50-25-1, {label} trained, {args.problems} generic problems"
    figures = _save_figure(fig_cumulative_converged({label: summary["iterations"]}, args.max_iter, title=title),
                           out, f"deep_{args.train}_converged")
    curves = {label: (summary["correlation_mean"], summary["correlation_std"])}
    figures += _save_figure(fig_correlation_mean_std(curves, every=summary["correlation_every"], title=title),
                             out, f"deep_{args.train}_correlation")
    wall_seconds = time.perf_counter() - start
    if args.json:
        _print_json(args, _sweep_report("deep", args, out, summary, args.max_iter, figures, wall_seconds))
    else:
        _print_sweep_text(f"normad-edu deep: 100-50-25-1, {label} trained, {args.problems} problems, seed {args.seed}",
                          summary, args.max_iter, out, figures, wall_seconds)
    return 0


def _cmd_study(args: argparse.Namespace) -> int:
    """``normad-edu study``: train lever combinations, print the comparison table."""
    from .study import LEVERS, STAGES, format_table, run_study, study_table

    stage = STAGES[args.stage]
    stage = replace(stage, n_problems=args.problems or stage.n_problems, max_iter=args.max_iter or stage.max_iter)
    combos = list(LEVERS) if args.levers is None else [c for c in args.levers.split(",") if c]
    configs = [c for c in args.train.split(",") if c]
    out = _output_folder(args.out if args.out is not None else str(Path(DEFAULT_OUT) / "study" / args.stage))
    start = time.perf_counter()
    try:
        run_study(combos, configs, stage, out, workers=args.workers, progress=True,
                  report=lambda line: print(line, file=sys.stderr))
    except ResultsFileError:
        raise  # a damaged results file, not a bad argument: main() reports it (exit 1)
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    except (OSError, BrokenProcessPool) as exc:
        raise CommandError(f"study stopped: {exc or type(exc).__name__}; finished runs are saved, "
                           "run the same command again to resume") from None
    rows = study_table(out, stage, combos=combos, configs=configs)
    figures = []
    if rows:
        _use_agg()
        from .plotting import fig_study
        from .study import PAPER_CONVERGED

        title = f"{args.stage}: seed {stage.seed}, {stage.n_problems} problems, {stage.max_iter} iterations"
        figures = _save_figure(fig_study(rows, title=title, paper=PAPER_CONVERGED), out, f"study_{args.stage}")
    wall_seconds = time.perf_counter() - start
    if args.json:
        _print_json(args, {"command": "study", "version": __version__, "stage": args.stage, **asdict(stage),
                           "out": str(out.resolve()), "rows": rows, "figures": figures, "wall_seconds": wall_seconds})
    else:
        print(f"normad-edu study: stage {args.stage} (seed {stage.seed}, {stage.n_problems} problems x "
              f"{stage.max_iter} iterations), results in {out.resolve()}")
        print(format_table(rows))
        print(f"  figures: {', '.join(figures)}")
        print(f"  wall time {wall_seconds:.1f} s")
    return 0


# --- normad-edu reproduce: one function per figure ------------------------
# Each takes (args, sizes, out), saves out/figN.png and .svg and returns a
# dict with "files", "summary" (one line for the text output) and its data.


def _train_run0(experiment, seed: int):
    """Train run 0 of an experiment, storing the output spikes of every iteration.

    The pattern order is run 0's of :func:`normad_edu.sweep.run_chunk`
    (:func:`normad_edu.experiments.pattern_order_rngs`), so this is run 0 of the
    matching sweep.
    Every iteration is stored so that the figure can show the last one.
    """
    from .training import train

    config = replace(experiment.config, raster_every=1)
    return train(experiment.inputs, experiment.desired, experiment.weights, config,
                 rng=pattern_order_rngs(seed, [0]), progress=True, **experiment.train_kwargs())


def _run0_summary(what: str, result, max_iter: int) -> str:
    n = result.iterations()[0]
    return f"{what}: " + (f"converged after {n} iterations" if n is not None else f"not converged in {max_iter} iterations")


def _fig6(args, sizes: ReproduceSizes, out: Path) -> dict:
    from .experiments import XORSetup, with_max_iter, xor_problems
    from .plotting import fig_xor_inputs_and_training

    ex = xor_problems("plastic", 1, seed=args.seed, setup=with_max_iter(XORSetup(), sizes.xor_max_iter))
    result = _train_run0(ex, args.seed)
    pairs = ((0, 0), (0, 1), (1, 0), (1, 1))  # the pattern order of xor_patterns
    desired = [pattern[0] for pattern in ex.desired[0]]
    labels = [f"{a} XOR {b} = {a ^ b} (desired {d[0]:g} ms)" for (a, b), d in zip(pairs, desired)]
    fig = fig_xor_inputs_and_training(ex.inputs[0], result.raster_iterations, result.raster_times[:, 0], desired,
                                      every=FIG6_EVERY, labels=labels, T=ex.sim.T)
    return {"files": _save_figure(fig, out, "fig6"), "summary": _run0_summary("XOR run 0", result, sizes.xor_max_iter),
            "run": 0, "max_iter": sizes.xor_max_iter, "converged_at": result.iterations()[0]}


def _fig8(args, sizes: ReproduceSizes, out: Path) -> dict:
    from .experiments import DeepSetup, deep_problems, with_max_iter
    from .plotting import fig_output_raster

    ex = deep_problems("all", 1, seed=args.seed, setup=with_max_iter(DeepSetup(), sizes.deep_max_iter))
    result = _train_run0(ex, args.seed)
    summary = _run0_summary("generic problem 0, all layers trained", result, sizes.deep_max_iter)
    fig = fig_output_raster(result.raster_iterations, result.raster_times[:, 0], ex.desired[0][0][0],
                            every=FIG8_EVERY, T=ex.sim.T, title=f"100-50-25-1, {summary} (red: desired)")
    return {"files": _save_figure(fig, out, "fig8"), "summary": summary,
            "run": 0, "max_iter": sizes.deep_max_iter, "converged_at": result.iterations()[0]}


def _xor_sweeps(args, sizes: ReproduceSizes, out: Path) -> dict:
    return {h: _run_sweep(args, "xor", h, sizes.xor_runs, sizes.xor_max_iter, out) for h in XOR_LABELS}


def _deep_sweeps(args, sizes: ReproduceSizes, out: Path) -> dict:
    return {t: _run_sweep(args, "deep", t, sizes.deep_runs, sizes.deep_max_iter, out) for t in DEEP_LABELS}


def _sweeps_info(sweeps: dict, labels: dict, max_iter: int) -> dict:
    return {"summary": "; ".join(f"{labels[c]} {_sweep_line(s, max_iter)}" for c, s in sweeps.items()),
            "max_iter": max_iter, "sweeps": {c: _sweep_counts(s) for c, s in sweeps.items()}}


def _curves(sweeps: dict, labels: dict) -> dict:
    return {labels[c]: (s["correlation_mean"], s["correlation_std"]) for c, s in sweeps.items()}


def _every(sweeps: dict) -> int:
    """Iterations between stored correlation points (the same for sweeps of one budget)."""
    return max(s.get("correlation_every", 1) for s in sweeps.values())


def _fig7(args, sizes: ReproduceSizes, out: Path) -> dict:
    from .plotting import fig_correlation_mean_std

    sweeps = _xor_sweeps(args, sizes, out)
    fig = fig_correlation_mean_std(_curves(sweeps, XOR_LABELS), every=_every(sweeps), title=f"XOR 54-54-1, {sizes.xor_runs} initialisations")
    return {"files": _save_figure(fig, out, "fig7"), **_sweeps_info(sweeps, XOR_LABELS, sizes.xor_max_iter)}


def _fig9(args, sizes: ReproduceSizes, out: Path) -> dict:
    from .plotting import fig_cumulative_converged

    sweeps = _deep_sweeps(args, sizes, out)
    fig = fig_cumulative_converged({DEEP_LABELS[t]: s["iterations"] for t, s in sweeps.items()}, sizes.deep_max_iter,
                                   title=f"100-50-25-1, {sizes.deep_runs} generic problems")
    return {"files": _save_figure(fig, out, "fig9"), **_sweeps_info(sweeps, DEEP_LABELS, sizes.deep_max_iter)}


def _fig10(args, sizes: ReproduceSizes, out: Path) -> dict:
    from .plotting import fig_correlation_mean_std

    sweeps = _deep_sweeps(args, sizes, out)  # the runs of fig9: read back from the results file
    fig = fig_correlation_mean_std(_curves(sweeps, DEEP_LABELS), every=_every(sweeps), title=f"100-50-25-1, {sizes.deep_runs} generic problems")
    return {"files": _save_figure(fig, out, "fig10"), **_sweeps_info(sweeps, DEEP_LABELS, sizes.deep_max_iter)}


_FIGURE_BUILDERS: dict[str, Callable] = {"fig6": _fig6, "fig7": _fig7, "fig8": _fig8, "fig9": _fig9, "fig10": _fig10}


def _cmd_reproduce(args: argparse.Namespace) -> int:
    """``normad-edu reproduce``: run what a figure needs (resumable) and draw it."""
    out = _check_sweep_args(args)
    _use_agg()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    names = list(FIGURES) if args.figure == "all" else [args.figure]
    start = time.perf_counter()
    figures = {}
    for name in names:
        t0 = time.perf_counter()
        figures[name] = _FIGURE_BUILDERS[name](args, sizes, out)
        figures[name]["wall_seconds"] = time.perf_counter() - t0
        if not args.json:
            info = figures[name]
            print(f"{name}: {info['summary']} ({info['wall_seconds']:.1f} s)")
            print(f"  {', '.join(info['files'])}")
    wall_seconds = time.perf_counter() - start
    if args.json:
        configuration = _sweep_configuration(args, out, figure=args.figure, quick=args.quick, sizes=asdict(sizes))
        _print_json(args, {"command": "reproduce", "version": __version__, "configuration": configuration,
                           "figures": figures, "wall_seconds": wall_seconds})
    else:
        print(f"normad-edu reproduce {args.figure}{' --quick' if args.quick else ''}: wall time {wall_seconds:.1f} s")
    return 0


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``normad-edu`` with ``argv`` (default: ``sys.argv[1:]``).

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments without the program name.

    Returns
    -------
    int
        Exit status: 0 success, 1 the command failed, 2 bad arguments
        (``--help`` and ``--version`` return 0), 130 interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
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
