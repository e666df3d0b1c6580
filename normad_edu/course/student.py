"""Make the student version of an assignments notebook (solutions and hidden tests removed).

The instructor notebook (``instructor/08_assignments.ipynb`` in the
repository, not in the wheel nor on the course site) is an nbgrader source
notebook: each reference solution sits between nbgrader's markers::

    def alpha_kernel(t, tau1=5.0, tau2=1.25):
        \"\"\"...\"\"\"
        # Exercise 1 -- replace each ... and delete the `raise` line:
        # value = ...
        ### BEGIN SOLUTION
        t = np.asarray(t, dtype=float)
        ...
        ### END SOLUTION

and each check cell is an autograder test whose graded part is hidden (it
reloads the checkers, then asserts their verdict on hidden cases)::

    check_alpha_kernel(alpha_kernel)
    ### BEGIN HIDDEN TESTS
    ...
    assert checker.check_alpha_kernel(alpha_kernel, hidden=True)
    ### END HIDDEN TESTS

:func:`make_student_notebook` writes the same student version as nbgrader's
``generate_assignment`` (``tests/test_nbgrader.py`` runs both and compares
them cell by cell), without needing nbgrader -- for self-study or a course
that does not grade. The course ships that student version as
``notebooks/08_assignments.ipynb`` (``tests/test_student.py`` checks that it
is what this module writes from the instructor notebook):

* every solution block (markers included) becomes nbgrader's stub, at the
  marker's indentation: ``# YOUR CODE HERE`` and ``raise
  NotImplementedError()`` in a code cell, ``YOUR ANSWER HERE`` in a
  markdown cell; a cell marked as an nbgrader solution cell without markers
  is replaced by the stub as a whole;
* every hidden-test block (markers included) is removed;
* outputs, execution counts and execution metadata are stripped, and the
  notebook metadata records ``normad_edu.student_version = true`` (the
  cells' nbgrader metadata is kept).

Two conveniences go beyond nbgrader: cells tagged ``instructor-only`` are
dropped, and a visible ``assert check_x(f)`` becomes ``check_x(f);`` so a
failing check prints its message without stopping the notebook (notebook 08
needs neither). A line that mentions a marker phrase
without being a marker line is refused, because nbgrader would treat it as a
marker.

Command line (exit status 0 success, 1 the conversion failed, e.g. an
unbalanced marker, 2 bad arguments)::

    python -m normad_edu.course.student instructor/08_assignments.ipynb -o notebooks/08_assignments.ipynb

Reading and writing notebooks needs ``nbformat`` (a dependency of the package).
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
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
#: Cells with this tag are removed from the student version.
INSTRUCTOR_TAG = "instructor-only"
#: nbgrader's defaults (``ClearSolutions.code_stub["python"]`` and ``ClearSolutions.text_stub``)
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"

_MARKERS = {
    "solution": (re.compile(r"^\s*###\s*BEGIN SOLUTION\s*$"), re.compile(r"^\s*###\s*END SOLUTION\s*$"),
                 "BEGIN SOLUTION", "END SOLUTION"),
    "hidden": (re.compile(r"^\s*###\s*BEGIN HIDDEN TESTS\s*$"), re.compile(r"^\s*###\s*END HIDDEN TESTS\s*$"),
               "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
}
_ASSERT_CHECK_RE = re.compile(r"^(\s*)assert\s+(check_\w+\s*\(.*\))\s*$")


class SolutionMarkerError(ValueError):
    """A cell has an unbalanced, nested or ambiguous ``### BEGIN/END SOLUTION`` (or ``HIDDEN TESTS``) marker."""


def _blocks(source: str, kind: str, where: str) -> list[tuple[int, int]]:
    begin_re, end_re, begin_text, end_text = _MARKERS[kind]
    begin, end = f"### {begin_text}", f"### {end_text}"
    blocks = []
    start = None
    for n, line in enumerate(source.splitlines()):
        if begin_re.match(line):
            if start is not None:
                raise SolutionMarkerError(f"{where}, line {n + 1}: '{begin}' inside the block opened at line "
                                          f"{start + 1} (close it with '{end}' first)")
            start = n
        elif end_re.match(line):
            if start is None:
                raise SolutionMarkerError(f"{where}, line {n + 1}: '{end}' without a matching '{begin}'")
            blocks.append((start, n))
            start = None
        elif begin_text in line or end_text in line:
            phrase = begin_text if begin_text in line else end_text
            raise SolutionMarkerError(f"{where}, line {n + 1}: mentions '{phrase}' without being a marker line "
                                      f"(nbgrader would treat it as one); rephrase it")
    if start is not None:
        raise SolutionMarkerError(f"{where}, line {start + 1}: '{begin}' is never closed by '{end}'")
    return blocks


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
        A BEGIN without END, an END without BEGIN, a BEGIN inside a block, or
        a line that mentions a marker phrase without being a marker line.
    """
    return _blocks(source, "solution", where)


def hidden_test_blocks(source: str, *, where: str = "cell") -> list[tuple[int, int]]:
    """Like :func:`solution_blocks`, for ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS``."""
    return _blocks(source, "hidden", where)


def strip_solutions(source: str, *, cell_type: str = "code", where: str = "cell") -> str:
    """Replace every solution block of one cell by nbgrader's stub, at the marker's indentation."""
    blocks = solution_blocks(source, where=where)
    if not blocks:
        return source
    lines = source.splitlines()
    stub = CODE_STUB if cell_type == "code" else (MARKDOWN_STUB,)
    out: list[str] = []
    prev = 0
    for begin, end in blocks:
        out.extend(lines[prev:begin])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        out.extend(indent + line for line in stub)
        prev = end + 1
    out.extend(lines[prev:])
    return "\n".join(out)


def strip_hidden_tests(source: str, *, where: str = "cell") -> str:
    """Remove every hidden-test block of one cell (markers included), as nbgrader does."""
    blocks = hidden_test_blocks(source, where=where)
    if not blocks:
        return source
    lines = source.splitlines()
    hidden = {n for begin, end in blocks for n in range(begin, end + 1)}
    return "\n".join(line for n, line in enumerate(lines) if n not in hidden)


def unassert_checks(source: str) -> str:
    """Turn ``assert check_x(...)`` (optionally with a message) into ``check_x(...);``.

    The ``;`` keeps Jupyter from echoing the returned bool when the call is
    the cell's last statement. Other ``assert`` statements are left alone.
    Uses the Python parser when the cell parses (multi-line calls,
    messages), else a one-line pattern.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # e.g. IPython magics: fall back to single lines
        return "\n".join(_ASSERT_CHECK_RE.sub(r"\1\2;", line) for line in source.splitlines())
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
        lines[node.lineno - 1: node.end_lineno] = (indent + call + ";" + tail).splitlines()
    return "\n".join(lines)


def _nbformat():
    try:
        import nbformat
    except ImportError as exc:  # pragma: no cover - nbformat is a dependency
        raise ImportError("making a student notebook needs nbformat: pip install nbformat "
                          "(it comes with Jupyter)") from exc
    return nbformat


def _is_nbgrader_solution(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution", False))


def student_notebook(nb):
    """Return the student version of a notebook object (the input is not modified).

    Raises
    ------
    SolutionMarkerError
        A cell with an unbalanced or ambiguous marker.
    ValueError
        No solution at all, or the notebook is already a student version.
    """
    import copy

    nb = copy.deepcopy(nb)
    if nb.get("metadata", {}).get("normad_edu", {}).get("student_version"):
        raise ValueError("this notebook is already a student version (its metadata says so); "
                         "pass the instructor notebook")
    cells = []
    n_solutions = 0
    for index, cell in enumerate(nb.cells):
        if INSTRUCTOR_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        where = f"cell {index} ({cell.cell_type})"
        blocks = solution_blocks(cell.source, where=where)
        if blocks:
            n_solutions += len(blocks)
            cell.source = strip_solutions(cell.source, cell_type=cell.cell_type, where=where)
        elif _is_nbgrader_solution(cell):  # nbgrader replaces a marker-less solution cell as a whole
            n_solutions += 1
            cell.source = "\n".join(CODE_STUB) if cell.cell_type == "code" else MARKDOWN_STUB
        cell.source = strip_hidden_tests(cell.source, where=where)
        if cell.cell_type == "code":
            cell.source = unassert_checks(cell.source)
            cell.outputs = []
            cell.execution_count = None
            for key in ("execution", "collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        cells.append(cell)
    if n_solutions == 0:
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


def build_parser(prog: str = "python -m normad_edu.course.student") -> argparse.ArgumentParser:
    """Arguments of the command: ``SRC [-o DST]``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Write the student version of an assignments notebook: solution blocks replaced by "
                    "NotImplementedError stubs, check asserts turned into plain calls, outputs stripped.")
    parser.add_argument("src", help="instructor notebook, e.g. instructor/08_assignments.ipynb")
    parser.add_argument("-o", "--output", dest="dst", default=None,
                        help="output notebook or directory (default: student/<name of SRC>)")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m normad_edu.course.student") -> int:
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


if __name__ == "__main__":  # python -m normad_edu.course.student
    sys.exit(main())
