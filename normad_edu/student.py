"""Make the student version of an assignments notebook (solutions removed).

The instructor notebook (``notebooks/08_assignments.ipynb``) holds each
reference solution between nbgrader-style markers::

    def alpha_kernel(t, tau1=5.0, tau2=1.25):
        \"\"\"...\"\"\"
        # Exercise 1 -- replace each ... and delete the `raise` line:
        # value = ...
        # return ...
        ### BEGIN SOLUTION
        t = np.asarray(t, dtype=float)
        ...
        ### END SOLUTION

and checks it with ``assert check_alpha_kernel(alpha_kernel)``. The student
version, written by :func:`make_student_notebook`, differs in four ways:

* in a code cell, every ``### BEGIN SOLUTION`` ... ``### END SOLUTION``
  block (markers included) becomes, at the marker's indentation::

      # YOUR CODE HERE: fill in the ... above, uncomment, then delete the next line
      raise NotImplementedError("Exercise 1: implement alpha_kernel()")

  (the exercise number is the first ``Exercise N`` in the cell, else the
  block's position; the name is the enclosing ``def``); in a markdown cell
  the block becomes ``*YOUR ANSWER HERE*``;
* ``assert check_x(f)`` statements become ``check_x(f)``, so a check that
  prints "not implemented yet" does not stop the notebook;
* cells tagged ``instructor-only`` are dropped;
* outputs, execution counts and execution metadata are stripped, and the
  notebook metadata records ``normad_edu.student_version = true``.

Command line (exit status 0 success, 1 the conversion failed, e.g. an
unbalanced marker, 2 bad arguments)::

    python -m normad_edu.student notebooks/08_assignments.ipynb -o student/08_assignments.ipynb

Reading and writing notebooks needs ``nbformat`` (installed with Jupyter and
with the ``test`` extra).
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
#: Cells with this tag are removed from the student version.
INSTRUCTOR_TAG = "instructor-only"
STUB_COMMENT = "# YOUR CODE HERE: fill in the ... above, uncomment, then delete the next line"
MARKDOWN_STUB = "*YOUR ANSWER HERE*"

_BEGIN_RE = re.compile(r"^\s*###\s*BEGIN SOLUTION\s*$")
_END_RE = re.compile(r"^\s*###\s*END SOLUTION\s*$")
_EXERCISE_RE = re.compile(r"Exercise\s+(\d+)")
_DEF_RE = re.compile(r"^(\s*)def\s+(\w+)\s*\(")
_ASSERT_CHECK_RE = re.compile(r"^(\s*)assert\s+(check_\w+\s*\(.*\))\s*$")


class SolutionMarkerError(ValueError):
    """A cell has an unbalanced or nested ``### BEGIN/END SOLUTION`` marker."""


def solution_blocks(source: str, *, where: str = "cell") -> list[tuple[int, int]]:
    """Line numbers ``(begin, end)`` (0-based, markers included) of every solution block.

    Parameters
    ----------
    source : str
        Cell source.
    where : str
        Name of the cell for error messages (e.g. ``"cell 7"``).

    Raises
    ------
    SolutionMarkerError
        A BEGIN without END, an END without BEGIN, or a BEGIN inside a block.
    """
    blocks = []
    start = None
    for n, line in enumerate(source.splitlines()):
        if _BEGIN_RE.match(line):
            if start is not None:
                raise SolutionMarkerError(f"{where}, line {n + 1}: '{BEGIN}' inside the block opened at line "
                                          f"{start + 1} (close it with '{END}' first)")
            start = n
        elif _END_RE.match(line):
            if start is None:
                raise SolutionMarkerError(f"{where}, line {n + 1}: '{END}' without a matching '{BEGIN}'")
            blocks.append((start, n))
            start = None
    if start is not None:
        raise SolutionMarkerError(f"{where}, line {start + 1}: '{BEGIN}' is never closed by '{END}'")
    return blocks


def strip_solutions(source: str, *, cell_type: str = "code", exercise: int | None = None,
                    where: str = "cell") -> str:
    """Replace every solution block of one cell by the stub (see the module docstring).

    ``exercise`` numbers the stub's message when the cell does not say
    ``Exercise N`` itself.
    """
    blocks = solution_blocks(source, where=where)
    if not blocks:
        return source
    lines = source.splitlines()
    match = _EXERCISE_RE.search(source)
    number = match.group(1) if match else (str(exercise) if exercise is not None else "")
    out: list[str] = []
    prev = 0
    for begin, end in blocks:
        out.extend(lines[prev:begin])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        if cell_type == "code":
            name = _enclosing_function(lines, begin, indent)
            label = f"Exercise {number}: " if number else ""
            what = f"implement {name}()" if name else "complete this cell"
            out.append(f"{indent}{STUB_COMMENT}")
            out.append(f"{indent}raise NotImplementedError({label + what!r})")
        else:
            out.append(f"{indent}{MARKDOWN_STUB}")
        prev = end + 1
    out.extend(lines[prev:])
    return "\n".join(out)


def _enclosing_function(lines: list[str], begin: int, indent: str) -> str | None:
    """Name of the innermost ``def`` above line ``begin`` that is less indented."""
    for line in reversed(lines[:begin]):
        m = _DEF_RE.match(line)
        if m and len(m.group(1)) < len(indent):
            return m.group(2)
    return None


def unassert_checks(source: str) -> str:
    """Turn ``assert check_x(...)`` (optionally with a message) into ``check_x(...)``.

    Other ``assert`` statements are left alone. Uses the Python parser when
    the cell parses (multi-line calls, messages), else a one-line pattern.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # e.g. IPython magics: fall back to single lines
        return "\n".join(_ASSERT_CHECK_RE.sub(r"\1\2", line) for line in source.splitlines())
    lines = source.splitlines()
    edits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Call):
            func = node.test.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name.startswith("check_"):
                edits.append(node)
    for node in sorted(edits, key=lambda n: n.lineno, reverse=True):
        first = lines[node.lineno - 1]
        indent = first[: node.col_offset]
        call = ast.get_source_segment(source, node.test)
        tail = lines[node.end_lineno - 1][node.end_col_offset:]
        lines[node.lineno - 1: node.end_lineno] = (indent + call + tail).splitlines()
    return "\n".join(lines)


def _nbformat():
    try:
        import nbformat
    except ImportError as exc:  # pragma: no cover - nbformat ships with Jupyter
        raise ImportError("making a student notebook needs nbformat: pip install nbformat "
                          "(it comes with Jupyter)") from exc
    return nbformat


def student_notebook(nb):
    """Return the student version of a notebook object (the input is not modified).

    Raises
    ------
    SolutionMarkerError
        A cell with an unbalanced marker.
    ValueError
        No solution block at all, or the notebook is already a student version.
    """
    import copy

    nb = copy.deepcopy(nb)
    if nb.get("metadata", {}).get("normad_edu", {}).get("student_version"):
        raise ValueError("this notebook is already a student version (its metadata says so); "
                         "pass the instructor notebook")
    cells = []
    n_blocks = 0
    n_code_blocks = 0
    for index, cell in enumerate(nb.cells):
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        where = f"cell {index} ({cell.cell_type})"
        blocks = solution_blocks(cell.source, where=where)
        if blocks:
            n_blocks += len(blocks)
            if cell.cell_type == "code":
                n_code_blocks += 1
            cell.source = strip_solutions(cell.source, cell_type=cell.cell_type,
                                          exercise=n_code_blocks or None, where=where)
        if cell.cell_type == "code":
            cell.source = unassert_checks(cell.source)
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        cells.append(cell)
    if n_blocks == 0:
        raise ValueError(f"no '{BEGIN}' ... '{END}' block found: is this the instructor notebook?")
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    nb.metadata["normad_edu"] = {"student_version": True}
    return nb


def make_student_notebook(src, dst):
    """Write the student version of the instructor notebook ``src`` to ``dst``.

    Parameters
    ----------
    src : str or path
        Instructor notebook (with ``### BEGIN/END SOLUTION`` blocks).
    dst : str or path
        Output notebook; an existing directory receives ``src``'s file name.
        Parent directories are created; an existing file is replaced
        (atomically). Must not be ``src`` itself.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileNotFoundError
        ``src`` does not exist.
    ValueError
        ``dst`` is ``src``, ``src`` is not a notebook, has no solution block or
        is already a student version; :class:`SolutionMarkerError` (a
        ``ValueError``) for an unbalanced marker.
    """
    nbformat = _nbformat()
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise FileNotFoundError(f"instructor notebook not found: {src}")
    if dst.is_dir():
        dst = dst / src.name
    if dst.resolve() == src.resolve():
        raise ValueError(f"the output {dst} is the instructor notebook itself; choose another path")
    try:
        nb = nbformat.read(src, as_version=4)
    except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds
        raise ValueError(f"{src} is not a readable Jupyter notebook: {exc}") from exc
    out = student_notebook(nb)
    nbformat.validate(out)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            nbformat.write(out, fh)
        os.replace(tmp, dst)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dst


def build_parser(prog: str = "python -m normad_edu.student") -> argparse.ArgumentParser:
    """Arguments of the command: ``SRC [-o DST]``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Write the student version of an assignments notebook: solution blocks replaced by "
                    "NotImplementedError stubs, check asserts turned into plain calls, outputs stripped.")
    parser.add_argument("src", help="instructor notebook, e.g. notebooks/08_assignments.ipynb")
    parser.add_argument("-o", "--output", dest="dst", default=None,
                        help="output notebook or directory (default: student/<name of SRC>)")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m normad_edu.student") -> int:
    """Run the command; return 0 on success, 1 if the conversion failed, 2 for bad arguments."""
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    src = Path(args.src)
    dst = Path(args.dst) if args.dst else Path("student") / src.name
    if not src.is_file():
        print(f"{prog}: error: instructor notebook not found: {src}", file=sys.stderr)
        return 2
    if src.suffix != ".ipynb":
        print(f"{prog}: error: {src} is not a .ipynb notebook", file=sys.stderr)
        return 2
    target = dst / src.name if dst.is_dir() else dst
    if target.resolve() == src.resolve():
        print(f"{prog}: error: the output {target} is the instructor notebook itself; choose another path",
              file=sys.stderr)
        return 2
    try:
        written = make_student_notebook(src, dst)
    except (ValueError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {written}")
    return 0


if __name__ == "__main__":  # python -m normad_edu.student
    sys.exit(main())
