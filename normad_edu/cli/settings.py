"""``--set FIELD=VALUE``: changing any field of an experiment's setup from the command line.

:func:`parse_changes` reads the items (each value converted to the field's
type), :func:`build_setup` makes a command's setup from the defaults, its
shortcut flags and then every ``--set``, once per command run; the commands
pass that setup on and never parse the items again.
"""

from __future__ import annotations

import argparse
from dataclasses import fields

from ..experiments import get_experiment
from ..setups import with_changes
from .support import UsageError


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


def add_set_option(p: argparse.ArgumentParser, setup_class: type) -> None:
    """``--set FIELD=VALUE`` (repeatable, into ``args.changes``), its help listing the fields of ``setup_class``."""
    p.add_argument("--set", metavar="FIELD=VALUE", action="append", default=[], dest="changes",
                   help=f"change a field of {setup_class.__name__} (repeatable; tuples comma-separated), e.g. "
                        f"--set max_iter=50; fields: {', '.join(f for f in setup_class.__dataclass_fields__)}")


def build_setup(args: argparse.Namespace, experiment: str, **flags):
    """The experiment's setup: its defaults, then the ``flags`` that are not None, then every ``--set``.

    A bad field or value is a :class:`~normad_edu.cli.support.UsageError` naming ``--set``."""
    setup = get_experiment(experiment).setup_class()
    try:
        setup = with_changes(setup, {k: v for k, v in flags.items() if v is not None})
        return with_changes(setup, parse_changes(setup, getattr(args, "changes", [])))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"argument --set: {exc}") from None
