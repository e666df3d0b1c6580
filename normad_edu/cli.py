"""The ``normad-edu`` command line.

::

    normad-edu demo [--out DIR] [--seed S] [--batch B] [--json]

Each subcommand is two small functions: ``_add_<name>_parser`` declares its
arguments (and sets ``func=_cmd_<name>``), ``_cmd_<name>(args)`` runs it and
returns the exit status. To add a subcommand, write both and append the first
to :data:`_SUBCOMMANDS`. A value argparse cannot check by its ``type`` is
rejected by raising :class:`UsageError` from ``_cmd_<name>``.

Exit status: 0 on success, 2 for bad arguments (one line on stderr, as
argparse does, also for values argparse cannot check by type, e.g.
``--batch 0``), 1 when the command itself fails (e.g. the figure cannot be
written).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import __version__
from ._validation import as_rng, check_int, check_nonnegative, check_positive
from .params import SimParams
from .spikes import poisson_spike_trains

# --------------------------------------------------------------------------
# The demo problem (paper Sec. 6, generic problems)
# --------------------------------------------------------------------------

#: Layer sizes ``(n_0, n_1, n_2, n_3)`` of the paper's generic problems.
DEMO_SIZES = (100, 50, 25, 1)
#: Rate of the Poisson input trains (Hz).
DEMO_INPUT_RATE = 20.0
#: Hidden weights are ``U(0, a_l)`` with a random sign; ``a_1, a_2`` (pA).
#: With these, layer 1 fires at ~15 Hz and layer 2 at ~50 Hz (spec Sec. 8).
DEMO_HIDDEN_A = (1000.0, 4000.0)
#: Probability that a hidden synapse is excitatory (positive).
DEMO_EXCITATORY = 0.8

DEFAULT_OUT = "normad_edu_out"


def demo_problem(
    batch: int = 1,
    rng=None,
    *,
    sizes: Sequence[int] = DEMO_SIZES,
    input_rate: float = DEMO_INPUT_RATE,
    hidden_a: Sequence[float] = DEMO_HIDDEN_A,
    excitatory: float = DEMO_EXCITATORY,
    T: float = SimParams().T,
) -> tuple[list[list[np.ndarray]], list[np.ndarray]]:
    """Inputs and initial weights of ``batch`` generic problems (paper Sec. 6).

    For each problem: ``sizes[0]`` Poisson input trains at ``input_rate``;
    hidden weights ``W^l_ji = s_ji |w_ji|`` with ``|w_ji| ~ U(0, a_l)`` and
    ``s_ji = +1`` with probability ``excitatory`` (else -1); output weights 0.

    Parameters
    ----------
    batch : int
        Number of independent problems, >= 1.
    rng : numpy.random.Generator, int seed or None
        Source of randomness. Problems are drawn one after the other, so
        problem ``b`` is the same for every ``batch > b`` and the same seed.
    sizes : sequence of int
        Layer sizes ``(n_0, ..., n_L)``; ``len(hidden_a) == L - 1``.
    input_rate : float
        Input rate (Hz).
    hidden_a : sequence of float
        Largest weight magnitude ``a_l`` (pA) of each hidden layer.
    excitatory : float
        Fraction of excitatory hidden synapses, in [0, 1].
    T : float
        Epoch length (ms).

    Returns
    -------
    inputs : list of populations
        ``inputs[b]`` is a list of ``n_0`` spike trains (ms).
    weights : list of ndarray
        ``[W^1, ..., W^L]``, each ``(batch, n_l, n_{l-1})`` (pA).
    """
    batch = check_int("batch", batch)
    sizes = tuple(check_int(f"sizes[{l}]", n) for l, n in enumerate(sizes))
    a = [check_positive(f"hidden_a[{l}]", x, unit="pA") for l, x in enumerate(hidden_a)]
    if len(sizes) < 2 or len(a) != len(sizes) - 2:
        raise ValueError(f"need one hidden_a per hidden layer: sizes {list(sizes)} have {max(len(sizes) - 2, 0)}, got {len(a)}")
    excitatory = check_nonnegative("excitatory", excitatory)
    if excitatory > 1:
        raise ValueError(f"excitatory must be a fraction in [0, 1], got {excitatory}")
    rng = as_rng(rng)
    inputs = []
    weights = [np.zeros((batch, n, m)) for m, n in zip(sizes[:-1], sizes[1:])]
    for b in range(batch):
        inputs.append(poisson_spike_trains(sizes[0], input_rate, T, rng))
        for l, a_l in enumerate(a):
            shape = weights[l].shape[1:]
            sign = np.where(rng.random(shape) < excitatory, 1.0, -1.0)
            weights[l][b] = sign * rng.uniform(0.0, a_l, size=shape)
    return inputs, weights


# --------------------------------------------------------------------------
# Argument parsing
# --------------------------------------------------------------------------


class UsageError(Exception):
    """Raised by a subcommand for an argument value argparse cannot check (exit status 2)."""


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


def _add_demo_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "demo",
        help="simulate the 100-50-25-1 network on Poisson inputs and save a raster plot",
        description=(
            "Simulate the paper's generic 100-50-25-1 LIF network (T = 500 ms, dt = 0.1 ms, "
            "100 Poisson inputs at 20 Hz, hidden weights U(0, a) with random sign, 80 % excitatory, "
            "a1 = 1000 pA, a2 = 4000 pA, output weights 0), print the firing rate of each layer "
            "and save a raster plot of all layers to DIR/demo_raster.png."
        ),
    )
    p.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output folder (default: ./{DEFAULT_OUT})")
    p.add_argument("--seed", metavar="S", type=_int_at_least(0), default=0, help="random seed, >= 0 (default: 0)")
    p.add_argument("--batch", metavar="B", type=_int_at_least(1), default=1,
                   help="number of independent problems simulated together, >= 1 (default: 1); the plot shows the first")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the text summary")
    p.set_defaults(func=_cmd_demo)


#: Functions that add one subcommand each to the ``normad-edu`` parser.
_SUBCOMMANDS: list[Callable] = [_add_demo_parser]


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
# Subcommands
# --------------------------------------------------------------------------


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


def _cmd_demo(args: argparse.Namespace) -> int:
    """``normad-edu demo``: simulate, summarise, save the raster plot."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"argument --out: {str(out)!r} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"argument --out: cannot create folder {str(out)!r}: {exc.strerror or exc}") from None

    _use_agg()
    import matplotlib.pyplot as plt

    from .network import forward
    from .plotting import plot_network_activity

    t_start = time.perf_counter()
    sim = SimParams()
    inputs, weights = demo_problem(args.batch, args.seed, T=sim.T)
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
        print(json.dumps(result))
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
        (``--help`` and ``--version`` return 0).
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help, --version and errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    try:
        return args.func(args)
    except UsageError as exc:
        prog = f"{parser.prog} {args.command}"
        print(f"{prog}: error: {exc} (see '{prog} --help')", file=sys.stderr)
        return 2


if __name__ == "__main__":  # python -m normad_edu.cli
    sys.exit(main())
