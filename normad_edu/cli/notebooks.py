"""The ``notebooks`` command: copy the course that ships with the package into a folder.

::

    normad-edu notebooks  DIR [--force] [--instructor] [--json]

The copying lives in :mod:`normad_edu.course.shipped`; this module parses and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .support import CommandError, UsageError, add_common_options, print_json


def register(commands) -> None:
    """Add ``notebooks`` to the ``commands`` subparsers."""
    p = commands.add_parser("notebooks", help="copy the course notebooks (and the docs they link to) into a folder",
                            description="Copy the course that ships with the package into DIR: DIR/notebooks/*.ipynb "
                                        "and the pages they link to, DIR/docs/method.md, the reference card "
                                        "DIR/docs/reference/*.md and its figures DIR/docs/figures/ (see "
                                        "normad_edu.course.shipped). Nothing is copied if any of these files exists, "
                                        "unless --force. Then: jupyter lab DIR/notebooks (NORMAD_EDU_QUICK=1 for "
                                        "reduced sizes).")
    p.add_argument("dest", metavar="DIR", help="folder to copy into (created if missing)")
    p.add_argument("--force", action="store_true", help="overwrite course files that already exist in DIR")
    p.add_argument("--instructor", action="store_true",
                   help="also copy the instructor versions of the graded notebooks 08 and 10 (model answers, hidden "
                        "tests; the nbgrader sources) into DIR/instructor/; only from a repository checkout or an "
                        "unpacked sdist: the wheel carries only the student versions")
    add_common_options(p, out="none", seed=False, quiet=False)
    p.set_defaults(func=run_notebooks)


def run_notebooks(args: argparse.Namespace) -> int:
    """``normad-edu notebooks``: copy the shipped course into DIR (and, asked to, the instructor notebooks)."""
    from ..course.shipped import (CourseFilesExistError, InstructorVersionMissing, copy_course, copy_instructor,
                                  course_root, instructor_root)

    instructor = []
    try:
        if args.instructor:
            instructor_root()  # a wheel has no instructor version: say so before copying anything
        files = copy_course(args.dest, force=args.force)
        if args.instructor:
            instructor = copy_instructor(args.dest, force=args.force)
    except InstructorVersionMissing as exc:
        raise CommandError(f"--instructor: {exc}") from None
    except NotADirectoryError as exc:
        raise UsageError(f"argument DIR: {str(exc).removeprefix('dest: ')}") from None
    except CourseFilesExistError as exc:
        advice = "remove them" if any(p.is_dir() for p in exc.paths) else "use --force to overwrite them"
        raise CommandError(f"{exc.summary()}; nothing copied ({advice})") from None
    except OSError as exc:  # not found (a wheel without the course), permissions, disk full
        raise CommandError(f"cannot copy the course to {args.dest!r}: {exc.strerror or exc}") from None
    dest = Path(args.dest).resolve()
    notebooks = [f.name for f in files if f.suffix == ".ipynb"]
    if args.json:
        print_json(args, {"configuration": {"dest": str(dest), "force": args.force, "instructor": args.instructor,
                                            "source": str(course_root())},
                          "notebooks": notebooks, "files": [str(f.resolve()) for f in files],
                          "instructor": [str(f.resolve()) for f in instructor]})
        return 0
    print(f"normad-edu notebooks: copied {len(notebooks)} notebooks and {len(files) - len(notebooks)} other "
          f"file{'s' if len(files) - len(notebooks) != 1 else ''} to {dest}")
    for f in files:
        print(f"  {f}")
    for f in instructor:
        print(f"  {f}   (instructor version, with the model answers: do not hand it out)")
    print(f"open them with: jupyter lab {Path(args.dest) / 'notebooks'}   (NORMAD_EDU_QUICK=1 for reduced sizes)")
    return 0
