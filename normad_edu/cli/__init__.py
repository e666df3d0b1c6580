"""The ``normad-edu`` command line (also ``python -m normad_edu``).

::

    normad-edu demo       [--batch B] [--seed S] [--out DIR] [--json]
    normad-edu single     [--problems N] [--inputs N] [--max-iter M] [--rule RULE] [--rate PA]
                          [--tau-l-hat MS] [--set FIELD=VALUE ...] [--seed S] [--out DIR] [--json] [--quiet]
    normad-edu gradcheck  [--layers 20,10,5,1] [--t-ref MS] [--tau-l-hat MS] [--seed S] [--json]
    normad-edu xor        [--problems N] [--hidden plastic,frozen] [--max-iter M] [--set FIELD=VALUE ...] SWEEP
    normad-edu deep       [--problems N] [--train output,outer2,all] [--max-iter M] [--set FIELD=VALUE ...] SWEEP
    normad-edu reproduce  {fig6,fig7,fig8,fig9,fig10,all} [--quick] [--set FIELD=VALUE ... (fig8-fig10)] SWEEP
    normad-edu study      [--stage {screen,final,confirm,predeclared}] [--levers A,B+C] [--train output,all] [--problems N]
                          [--max-iter M] [--seed S] [--out DIR] [--json] [--quiet] [--workers K]
    normad-edu compare    [--problems N] [--deep-problems K] [--max-iter M | S,X,D] [--families NAMES] [--rules NAMES]
                          [--out DIR] [--json] [--quiet] [--workers K]
    normad-edu notebooks  DIR [--force] [--instructor] [--json]

    SWEEP = [--seed S] [--out DIR] [--json] [--quiet] [--workers K | --scheduler ADDRESS]

``deep --train``, ``xor --hidden`` and ``study --train`` take one
configuration or several, comma-separated or by repeating the flag
(``--train all,outer2`` = ``--train all --train outer2``); xor and deep run
a sweep for each and draw them in one figure.

Output: a header first, then the summary on stdout; progress bars on stderr
only on a terminal, at most twice a second (``--quiet`` or ``TQDM_DISABLE=1``:
none). ``--json``: one JSON object on stdout (keys ``command``, ``version``,
``configuration``, ``figures``, ``wall_seconds`` and the results; NaN as
null), everything else on stderr. Sweeps append each finished run to
``DIR/results.jsonl``: rerun a killed command to resume it. Exit status: 0
success, 2 bad arguments (one line naming the command's help), 1 failure,
130 interrupted.

Everything a command runs lives in the library (experiments:
:mod:`normad_edu.experiments`; sweeps: :mod:`normad_edu.research.sweep`;
figures: :mod:`normad_edu.research.reproduce`); the modules here parse
arguments and print, one job each:

* ``main``: the parser and the dispatch (errors to exit statuses);
* ``experiments``: ``demo``, ``single``, ``gradcheck``, ``xor``, ``deep``;
  ``reproduce``, ``study``, ``compare``, ``notebooks``: one command each;
* ``support``: errors, argument types, the common options, output folders,
  figures, JSON and printing; ``settings``: ``--set FIELD=VALUE`` and the
  setup a command runs; ``sweeps``: the options and runner the sweeping
  commands share;
* ``warmup``: compiles every numba kernel (``python -m normad_edu.cli.warmup``).

**Adding a command** (say ``mycommand``): write ``cli/mycommand.py`` with

* ``register(commands)``, which calls ``commands.add_parser("mycommand", ...)``,
  adds the arguments (the shared ones from ``support``, ``settings`` and
  ``sweeps``) and ends with ``p.set_defaults(func=run_mycommand)``;
* ``run_mycommand(args) -> int``, which runs it and returns the exit status,
  raising ``support.UsageError`` for a bad value (exit 2) and
  ``support.CommandError`` for a failure (exit 1);

then add its name to ``main.COMMAND_MODULES`` -- the one registration line.
"""

from .main import build_parser, main

__all__ = ["build_parser", "main"]
