"""The ``normad-edu`` entry point: the parser with every command, and the dispatch that turns errors into exit statuses.

Each command module (:data:`COMMAND_MODULES`) adds its commands to the
parser (``register``); :func:`main` parses, runs the command's ``func`` and
maps what it raises to an exit status: 0 success, 2 bad arguments
(:class:`~normad_edu.cli.support.UsageError` or argparse: one line naming the
command's help), 1 failure (:class:`~normad_edu.cli.support.CommandError`, a
damaged results file, out of memory), 130 interrupted. With ``--json`` everything a
command prints besides its JSON goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..research.store import ResultsFileError
from .support import CommandError, Parser, UsageError

#: The command modules of this package, in the order ``normad-edu --help`` lists their commands. Each has
#: ``register(commands)``, which adds its commands to the ``commands`` subparsers, each with ``func`` (see
#: :mod:`normad_edu.cli`). A new command is a new module and its name here.
COMMAND_MODULES = ("experiments", "reproduce", "study", "compare", "notebooks")


def build_parser() -> argparse.ArgumentParser:
    """The ``normad-edu`` parser with every command."""
    parser = Parser(prog="normad-edu", description="NormAD training of multi-layer spiking neural networks "
                                                   "(Anwani & Rajendran, 2020), for learning.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``normad-edu`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit status (see the module)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # an unknown flag of a command: that command's parser reports it
            commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
            commands.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
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
    except MemoryError as exc:  # an allocation no size check foresaw: one line, not a traceback
        print(f"{prog}: error: out of memory: {exc or 'MemoryError'}; use smaller sizes", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; finished runs are saved, run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":  # python -m normad_edu.cli.main
    sys.exit(main())
