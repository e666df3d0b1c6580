"""Helpers of the ``normad-edu`` command line: argparse types, errors, output folders, figures and JSON."""

from __future__ import annotations

import argparse
from dataclasses import fields
import importlib.util
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .. import __version__
from ..progress import first_run

#: Results file of every sweep, inside ``--out``.
RESULTS_FILE = "results.jsonl"


class UsageError(Exception):
    """Raised by a subcommand for an argument value argparse cannot check (exit status 2)."""


class CommandError(Exception):
    """Raised by a subcommand that cannot finish (exit status 1, one line on stderr)."""


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr (exit status 2) naming its own help."""

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


def _names(choices: Sequence[str]) -> Callable[[str], list[str]]:
    """An argparse ``type``: one or more comma-separated names among ``choices`` (use with :class:`_NamesAction`)."""

    def parse(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        bad = [n for n in names if n not in choices]
        if not names or bad:
            raise argparse.ArgumentTypeError(f"must be one or more of {', '.join(choices)}, comma-separated, "
                                             f"got {text!r}")
        return names

    parse.__name__ = f"names among {', '.join(choices)}"
    return parse


class _NamesAction(argparse.Action):
    """``--train all,outer2`` or ``--train all --train outer2``: the flag's values, in order, each once.

    The default list is replaced by the first use of the flag, not extended."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: D102 (argparse API)
        current = getattr(namespace, self.dest, None)
        names = [] if current is None or current is self.default else list(current)
        for v in values:
            if v not in names:
                names.append(v)
        setattr(namespace, self.dest, names)


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


def _scheduler_address(text: str) -> str:
    """An argparse ``type``: a Dask scheduler address, ``tcp://host:port`` or ``host:port``."""
    import re

    if not re.fullmatch(r"(?:tcp|tls|inproc|ucx|ws|wss)://\S+|[\w.\-]+:\d+", text):
        raise argparse.ArgumentTypeError(f"must be a Dask scheduler address such as tcp://127.0.0.1:8786, got {text!r}")
    return text


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
    """Select the non-interactive Agg backend unless pyplot is already in use (a test or notebook keeps its own)."""
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")


def _save(fig, out: Path, stem: str, formats=("png", "svg")) -> list[str]:
    from ..plotting import save_figure

    try:
        return save_figure(fig, out, stem, formats)
    except OSError as exc:
        raise CommandError(f"cannot write {out / stem}: {exc.strerror or exc}") from None


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


def _print_json(args: argparse.Namespace, obj: dict) -> None:  # noqa: D103
    """Print ``obj`` as one line of strict JSON on the command's stdout."""
    obj = {"command": args.command, "version": __version__, **obj}
    print(json.dumps(_jsonable(obj), allow_nan=False), file=getattr(args, "stdout", None) or sys.stdout)


def _fmt(x, fmt: str = ".3f") -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


def _say(args: argparse.Namespace, text: str) -> None:
    """A header or notice: on stdout for the text output, on stderr (unless --quiet) with --json."""
    if not args.json:
        print(text, flush=True)
    elif not getattr(args, "quiet", False):
        print(text, file=sys.stderr, flush=True)


def _compile_notice(args: argparse.Namespace) -> None:
    if not getattr(args, "quiet", False) and first_run():
        print("normad-edu: compiling the simulator (first run only, up to a minute)...", file=sys.stderr, flush=True)


def _check_sweep_args(args: argparse.Namespace) -> Path:
    if args.scheduler is not None and importlib.util.find_spec("distributed") is None:
        raise UsageError("argument --scheduler: needs dask.distributed; install it with "
                         "pip install 'normad_edu[distributed]'")
    return _output_folder(args.out)


def _sweep_configuration(args: argparse.Namespace, out: Path, **extra) -> dict:
    return {**extra, "seed": args.seed, "workers": args.workers, "scheduler": args.scheduler,
            "out": str(out.resolve()), "results_file": str((out / RESULTS_FILE).resolve())}


def parse_changes(setup, items) -> dict:
    """``["FIELD=VALUE", ...]`` -> ``{field: value}``, each value converted to the type of the field's value in ``setup``.

    Tuples are written comma-separated (``a_hidden=1000,2000``), booleans as
    true/false. Raises ``ValueError`` naming the item for an unknown field or
    a value that does not convert.
    """
    known = {f.name: getattr(setup, f.name) for f in fields(setup)}
    changes: dict = {}
    for item in items:
        name, sep, text = str(item).partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise ValueError(f"expected FIELD=VALUE, got {item!r}")
        if name not in known:
            raise ValueError(f"{type(setup).__name__} has no field {name!r} (in {item!r}); fields: {', '.join(known)}")
        try:
            changes[name] = _convert_like(known[name], text)
        except ValueError as exc:
            raise ValueError(f"cannot read {item!r}: {exc}") from None
    return changes


def _convert_like(example, text: str):
    if isinstance(example, bool):
        if text.lower() in ("true", "1", "yes"):
            return True
        if text.lower() in ("false", "0", "no"):
            return False
        raise ValueError(f"{text!r} is not a boolean (true/false)")
    if isinstance(example, tuple):
        parts = [p for p in text.split(",") if p.strip()]
        kind = type(example[0]) if example else float
        return tuple(_convert_like(kind(0), p.strip()) for p in parts)
    if isinstance(example, int):
        value = float(text)
        if value != int(value):
            raise ValueError(f"{text!r} is not an integer")
        return int(value)
    if isinstance(example, float):
        return float(text)
    return text
