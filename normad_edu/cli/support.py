"""What every ``normad-edu`` command shares: errors, argument types, common options, output folders, figures, JSON, printing."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .. import __version__
from ..progress import first_run

#: Default ``--out`` folder of the commands that save files.
DEFAULT_OUT = "normad_edu_out"
#: Results file of every sweep, inside ``--out``.
RESULTS_FILE = "results.jsonl"


# ----------------------------------------------------------------------------------------------------------------
# errors and the parser
# ----------------------------------------------------------------------------------------------------------------


class UsageError(Exception):
    """Raised by a command for an argument value argparse cannot check (exit status 2)."""


class CommandError(Exception):
    """Raised by a command that cannot finish (exit status 1, one line on stderr)."""


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr (exit status 2) naming its own help."""

    def error(self, message: str):  # noqa: D102 (argparse API)
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


# ----------------------------------------------------------------------------------------------------------------
# argument types
# ----------------------------------------------------------------------------------------------------------------


def int_at_least(minimum: int) -> Callable[[str], int]:
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


def float_above(minimum: float, *, inclusive: bool = False) -> Callable[[str], float]:
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


def names(choices: Sequence[str]) -> Callable[[str], list[str]]:
    """An argparse ``type``: one or more comma-separated names among ``choices`` (use with :class:`NamesAction`)."""

    def parse(text: str) -> list[str]:
        found = [part.strip() for part in text.split(",") if part.strip()]
        bad = [n for n in found if n not in choices]
        if not found or bad:
            raise argparse.ArgumentTypeError(f"must be one or more of {', '.join(choices)}, comma-separated, "
                                             f"got {text!r}")
        return found

    parse.__name__ = f"names among {', '.join(choices)}"
    return parse


class NamesAction(argparse.Action):
    """``--train all,outer2`` or ``--train all --train outer2``: the flag's values, in order, each once.

    The default list is replaced by the first use of the flag, not extended."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: D102 (argparse API)
        current = getattr(namespace, self.dest, None)
        found = [] if current is None or current is self.default else list(current)
        for v in values:
            if v not in found:
                found.append(v)
        setattr(namespace, self.dest, found)


def layer_sizes(text: str) -> tuple[int, ...]:
    """An argparse ``type``: comma-separated layer sizes, at least an input and an output layer."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = ()
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"must be at least two comma-separated integers >= 1 (inputs, ..., outputs), e.g. 20,10,5,1; got {text!r}")
    return sizes


def scheduler_address(text: str) -> str:
    """An argparse ``type``: a Dask scheduler address, ``tcp://host:port`` or ``host:port``."""
    import re

    if not re.fullmatch(r"(?:tcp|tls|inproc|ucx|ws|wss)://\S+|[\w.\-]+:\d+", text):
        raise argparse.ArgumentTypeError(f"must be a Dask scheduler address such as tcp://127.0.0.1:8786, got {text!r}")
    return text


def add_common_options(p: argparse.ArgumentParser, *, out: str | None = DEFAULT_OUT, seed: bool = True,
                       quiet: bool = True) -> None:
    """``--seed``, ``--out``, ``--json`` and ``--quiet``: one name and meaning for every command.

    ``out``: the default folder, None for "nothing is saved unless --out is given", "none" for no ``--out``."""
    if seed:
        p.add_argument("--seed", metavar="S", type=int_at_least(0), default=0, help="random seed, >= 0 (default: 0)")
    if out != "none":
        p.add_argument("--out", metavar="DIR", default=out,
                       help=f"output folder (default: {'./' + out if out else 'none: nothing is saved'})")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object on stdout instead of the text summary (NaN as null)")
    if quiet:
        p.add_argument("--quiet", action="store_true", help="no progress bars and no notices on stderr")


# ----------------------------------------------------------------------------------------------------------------
# files
# ----------------------------------------------------------------------------------------------------------------


def output_folder(text: str) -> Path:
    """``--out``: an existing folder or one that can be created (created here)."""
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise UsageError(f"argument --out: {str(out)!r} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"argument --out: cannot create folder {str(out)!r}: {exc.strerror or exc}") from None
    return out


def use_agg() -> None:
    """Select the non-interactive Agg backend unless pyplot is already in use (a test or notebook keeps its own)."""
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")


def write_figure(fig, out: Path, stem: str, formats=("png", "svg")) -> list[str]:
    """Save ``fig`` as ``out/stem.<format>`` for each format; a failure is a :class:`CommandError`."""
    from ..plotting import save_figure

    try:
        return save_figure(fig, out, stem, formats)
    except OSError as exc:
        raise CommandError(f"cannot write {out / stem}: {exc.strerror or exc}") from None


# ----------------------------------------------------------------------------------------------------------------
# JSON and printing
# ----------------------------------------------------------------------------------------------------------------


def jsonable(obj):
    """``obj`` with numpy scalars/arrays and paths made plain, NaN and inf as None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def print_json(args: argparse.Namespace, obj: dict) -> None:
    """Print ``obj`` (after ``command`` and ``version``) as one line of strict JSON on the command's stdout."""
    obj = {"command": args.command, "version": __version__, **obj}
    print(json.dumps(jsonable(obj), allow_nan=False), file=getattr(args, "stdout", None) or sys.stdout)


def fmt(x, format_spec: str = ".3f") -> str:
    """``x`` formatted with ``format_spec``, or ``n/a`` for None and NaN."""
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, format_spec)


def say(args: argparse.Namespace, text: str) -> None:
    """A header or notice: on stdout for the text output, on stderr (unless --quiet) with --json."""
    if not args.json:
        print(text, flush=True)
    elif not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)


def compile_notice(args: argparse.Namespace) -> None:
    """On stderr, unless --quiet: the first run compiles the simulator (numba's cache is empty)."""
    if not getattr(args, "quiet", False) and first_run():
        print("normad-edu: compiling the simulator (first run only, up to a minute)...", file=sys.stderr, flush=True)
