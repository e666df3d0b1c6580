"""The course that ships with the package: find it, copy it out, and keep its Colab cells.

A helper of the command line (``normad-edu notebooks``) and of the
maintainers (the Colab cells), not course material, hence private.

Every install carries the course: the wheel holds ``notebooks/*.ipynb`` and
the pages the notebooks link to, ``docs/method.md``, the reference card
``docs/reference/*.md`` and its figures ``docs/figures/*.svg``/``*.png``, as
``normad_edu/course/``, in the repository's layout (``pyproject.toml``,
``[tool.hatch.build]``), so the notebooks' relative links resolve in a copy.
Imported from a checkout (editable install, ``PYTHONPATH``) the course is the
checkout's own ``notebooks/`` and ``docs/``. Learners get the student versions
of the graded notebooks 08 and 10 everywhere; their instructor versions (model
answers, hidden tests), ``instructor/08_assignments.ipynb`` and
``instructor/10_capstone.ipynb``, are only in the repository and the sdist,
never in the wheel.

* :func:`course_root` -- the folder holding ``notebooks/`` and ``docs/``;
* :func:`course_files` -- the files of the course, relative to it;
* :func:`copy_course` -- what ``normad-edu notebooks DIR`` does: copy them
  into ``DIR`` (same layout), never overwriting a file unless asked to;
* :func:`instructor_root`, :func:`copy_instructor` -- what
  ``normad-edu notebooks DIR --instructor`` adds: the instructor notebooks
  into ``DIR/instructor/``, only from a checkout or an unpacked sdist;
* :func:`add_colab` -- a maintainer's tool: the "Open in Colab" badge in a
  notebook's first markdown cell and, as its first code cell, a cell tagged
  ``colab-install`` that installs this release of the package on Google
  Colab (:data:`RELEASE_REF`) and elsewhere only reports an installed
  package of another version. Idempotent; run it on every notebook with
  ``python -m normad_edu.course.shipped colab notebooks/`` (``--check``: only
  report the notebooks it would change).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import __version__

__all__ = ["COLAB_TAG", "COURSE_FILES", "CourseFilesExistError", "INSTRUCTOR_FILES", "InstructorVersionMissing",
           "RELEASE_REF", "REPOSITORY", "add_colab", "binder_url", "colab_url", "copy_course", "copy_instructor",
           "course_files", "course_root", "instructor_root"]

#: The repository on GitHub (owner/name), as in the project's URLs.
REPOSITORY = "normad-edu/normad_edu"
#: The git tag of this version of the package, e.g. ``v0.1.0``. The Colab badge, the Binder and Colab
#: buttons of the course site and the Colab install cell all point at it, so a notebook always runs on
#: the release it was written for: ``main`` moves on, and a notebook opened or saved from one day
#: would otherwise install whatever the library has become since. The version, not ``main``, because
#: a release is what a course hands out; a release bumps ``__version__`` (the tests then ask for
#: ``python -m normad_edu.course.shipped colab notebooks/``) and tags the commit ``v<version>``.
RELEASE_REF = f"v{__version__}"
#: Globs, relative to the course root, of the files the course consists of: the notebooks and every page they
#: link to (the method, the reference card and the figures the reference card shows), in the repository's layout.
COURSE_FILES = ("notebooks/*.ipynb", "docs/method.md", "docs/reference/*.md", "docs/figures/*.svg",
                "docs/figures/*.png")
#: Globs, relative to a checkout, of the instructor notebooks (the nbgrader sources with the model answers).
INSTRUCTOR_FILES = ("instructor/*.ipynb",)
#: Tag of the first code cell that installs the package on Colab.
COLAB_TAG = "colab-install"
#: Source of that cell: plain Python (``get_ipython()`` instead of ``%pip``, so tools that parse
#: the notebooks' cells as Python read it); ``pip`` runs only on Colab, where the package is not
#: installed, and installs :data:`RELEASE_REF`; the widget manager call: the package needs
#: ipywidgets 8, which Colab draws only with it. Anywhere else the cell only says so when the
#: installed package is another version than the notebook's.
COLAB_INSTALL_SOURCE = (
    f"# normad_edu {__version__}: on Google Colab, install this release (anywhere else, check the version)\n"
    "import sys\n"
    "\n"
    'if "google.colab" in sys.modules:\n'
    f'    get_ipython().run_line_magic("pip", \'install -q "normad_edu @ git+https://github.com/{REPOSITORY}@{RELEASE_REF}"\')\n'
    "    from google.colab import output\n"
    "\n"
    "    output.enable_custom_widget_manager()  # the notebooks' widgets use ipywidgets 8\n"
    "\n"
    "import normad_edu\n"
    "\n"
    f'if normad_edu.__version__ != "{__version__}":\n'
    f'    print(f"These notebooks belong to normad_edu {__version__}; the installed version is {{normad_edu.__version__}}.")'
)
_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_BADGE = re.compile(r"\n*\[!\[Open In Colab\]\([^)]*\)\]\(https://colab\.research\.google\.com/[^)]*\)\n*")


class CourseFilesExistError(FileExistsError):
    """Raised by :func:`copy_course` when files of the course exist in the destination (``paths``)."""

    def __init__(self, paths: Sequence[Path]):
        self.paths = list(paths)
        names = ", ".join(f"{p}{' (a folder)' if p.is_dir() else ''}" for p in self.paths[:3])
        names += f" and {len(self.paths) - 3} more" if len(self.paths) > 3 else ""
        super().__init__(f"dest: {len(self.paths)} file(s) of the course already exist: {names}; copy_course(..., "
                         "force=True) overwrites files (not folders)")

    def summary(self) -> str:
        """The first line of the message, without the advice."""
        return str(self).split("; ")[0].removeprefix("dest: ")


class InstructorVersionMissing(FileNotFoundError):
    """Raised by :func:`instructor_root` when the package is installed from a wheel (no instructor notebooks)."""


def course_root() -> Path:
    """The folder holding the course's ``notebooks/`` and ``docs/``.

    ``normad_edu/course`` of an installed wheel, else the repository checkout
    the package is imported from.

    Raises
    ------
    FileNotFoundError
        If neither has the notebooks (e.g. a wheel built without them).
    """
    here = Path(__file__).resolve().parent  # normad_edu/course
    package = here.parent
    for root in (here, package.parent):
        if any((root / "notebooks").glob("*.ipynb")) and (root / "docs" / "method.md").is_file():
            return root
    raise FileNotFoundError(f"the course notebooks are not installed with normad_edu (looked in {here} "
                            f"and {package.parent}); reinstall the package from its sdist, wheel or repository")


def course_files(root: Path | None = None) -> list[Path]:
    """The files of the course (:data:`COURSE_FILES`), relative to ``root`` (default :func:`course_root`), sorted."""
    root = course_root() if root is None else Path(root)
    return sorted({p.relative_to(root) for pattern in COURSE_FILES for p in root.glob(pattern) if p.is_file()})


def copy_course(dest: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Copy the course into the folder ``dest``, in the repository's layout.

    ``dest/notebooks/*.ipynb``, ``dest/docs/method.md``,
    ``dest/docs/reference/*.md`` and ``dest/docs/figures/``; the notebooks
    find everything else (the shipped results) in the installed package.

    Parameters
    ----------
    dest : str or os.PathLike
        The folder to copy into; created (with its parents) if missing.
    force : bool
        Overwrite files that already exist. Without it nothing is copied when
        any of the course's files exists in ``dest``.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    TypeError
        If ``dest`` is not a path.
    NotADirectoryError
        If ``dest`` (or a folder the course needs inside it) exists and is not a folder.
    CourseFilesExistError
        (a FileExistsError) If a course file exists in ``dest`` and ``force``
        is false, or exists as a folder.
    """
    if not isinstance(dest, (str, os.PathLike)):
        raise TypeError(f"dest must be a path (str or os.PathLike), got {type(dest).__name__} {dest!r}")
    root = course_root()
    return _copy(root, course_files(root), Path(dest), force)


def _copy(root: Path, files: Sequence[Path], dest: Path, force: bool) -> list[Path]:
    """Copy ``root / f`` to ``dest / f`` for every ``f`` of ``files``; all or nothing when a target exists."""
    for folder in [dest, *sorted({dest / f.parent for f in files})]:
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(f"dest: {str(folder)!r} exists and is not a folder")
    targets = [dest / f for f in files]
    blocked = [t for t in targets if t.is_dir() or (t.exists() and not force)]
    if blocked:
        raise CourseFilesExistError(blocked)
    for f, target in zip(files, targets):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / f, target)
    return targets


def instructor_root() -> Path:
    """The checkout (or unpacked sdist) holding ``instructor/``, when the package is imported from one.

    Raises
    ------
    InstructorVersionMissing
        (a FileNotFoundError) When the package comes from a wheel, which
        carries only the student version, so that learners never receive the
        answers.
    """
    root = Path(__file__).resolve().parents[2]            # the folder holding normad_edu/
    if any((root / "instructor").glob("*.ipynb")) and (root / "pyproject.toml").is_file():
        return root
    raise InstructorVersionMissing(
        "the instructor version of the graded notebook is not installed: the wheel (pip install normad_edu) "
        "carries only the student version, so that learners never receive the model answers. Run this from a "
        "repository checkout or an unpacked sdist of normad_edu (pip install -e . there, or PYTHONPATH=it), "
        f"which has instructor/08_assignments.ipynb (looked in {root})")


def copy_instructor(dest: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Copy the instructor notebooks (:data:`INSTRUCTOR_FILES`) into ``dest/instructor/``.

    Same rules as :func:`copy_course` (nothing is copied if a file exists,
    unless ``force``). Raises :class:`InstructorVersionMissing` when the
    package comes from a wheel.
    """
    if not isinstance(dest, (str, os.PathLike)):
        raise TypeError(f"dest must be a path (str or os.PathLike), got {type(dest).__name__} {dest!r}")
    root = instructor_root()
    files = sorted({p.relative_to(root) for pattern in INSTRUCTOR_FILES for p in root.glob(pattern) if p.is_file()})
    return _copy(root, files, Path(dest), force)


def _check_notebook_name(notebook) -> str:
    if not isinstance(notebook, str) or not re.fullmatch(r"[\w.-]+\.ipynb", notebook):
        raise ValueError(f"notebook must be a notebook file name such as '01_synapse.ipynb', got {notebook!r}")
    return notebook


def colab_url(notebook: str) -> str:
    """The Colab address that opens ``notebooks/<notebook>`` of this release (:data:`RELEASE_REF`)."""
    notebook = _check_notebook_name(notebook)
    return f"https://colab.research.google.com/github/{REPOSITORY}/blob/{RELEASE_REF}/notebooks/{notebook}"


def binder_url(notebook: str) -> str:
    """The Binder address that opens ``notebooks/<notebook>`` of this release in JupyterLab.

    Binder builds the repository at :data:`RELEASE_REF` (``binder/``), package included, so the
    notebook and the library are the same release there too.
    """
    notebook = _check_notebook_name(notebook)
    return f"https://mybinder.org/v2/gh/{REPOSITORY}/{RELEASE_REF}?urlpath=lab/tree/notebooks/{notebook}"


def add_colab(nb, name: str) -> bool:
    """Put the Colab badge and install cell into the notebook ``nb`` (an nbformat v4 node), in place.

    The badge becomes the paragraph after the title line of the first
    markdown cell; the cell tagged :data:`COLAB_TAG` becomes the first code
    cell. Older badges and install cells are replaced, so running it again
    changes nothing.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The notebook (``nbformat.read(path, as_version=4)``).
    name : str
        Its file name in ``notebooks/``, e.g. ``'01_synapse.ipynb'``.

    Returns
    -------
    bool
        True if ``nb`` changed.
    """
    import nbformat

    before = nbformat.writes(nb)
    badge = f"[![Open In Colab]({_BADGE_IMAGE})]({colab_url(name)})"
    markdown = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if markdown is None:
        raise ValueError(f"nb: notebook {name!r} has no markdown cell for the Colab badge")
    text = _BADGE.sub("\n\n", markdown.source).strip("\n")
    title, sep, rest = text.partition("\n") if text.startswith("#") else ("", "", text)
    markdown.source = f"{title}\n\n{badge}\n\n{rest.lstrip(chr(10))}" if title else f"{badge}\n\n{rest}"
    markdown.source = markdown.source.rstrip("\n")

    cells = [c for c in nb.cells if COLAB_TAG not in c.get("metadata", {}).get("tags", [])]
    cell = nbformat.v4.new_code_cell(COLAB_INSTALL_SOURCE, metadata={"tags": [COLAB_TAG]})
    cell["id"] = COLAB_TAG
    first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
    nb.cells = [*cells[:first_code], cell, *cells[first_code:]]
    return nbformat.writes(nb) != before


def _colab_main(paths: Sequence[str], check: bool) -> int:
    import nbformat

    notebooks = []
    for p in map(Path, paths):
        if not p.exists():
            print(f"colab: {p} does not exist", file=sys.stderr)
            return 2
        notebooks += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    if not notebooks:
        print(f"colab: no notebooks in {', '.join(paths)}", file=sys.stderr)
        return 2
    changed = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        if add_colab(nb, path.name):
            changed.append(path)
            if not check:
                with open(path, "w", encoding="utf-8", newline="\n") as fh:
                    nbformat.write(nb, fh)  # as the notebooks are stored: indent 1, final newline
    verb = "would change" if check else "changed"
    print(f"colab: {verb} {len(changed)} of {len(notebooks)} notebooks" + "".join(f"\n  {p}" for p in changed))
    return 1 if check and changed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m normad_edu.course.shipped colab [--check] PATH ...``: add the Colab badge and install cell."""
    parser = argparse.ArgumentParser(prog="python -m normad_edu.course.shipped",
                                     description="Maintain the course notebooks.")
    sub = parser.add_subparsers(dest="command", required=True)
    colab = sub.add_parser("colab", help="add the Colab badge and install cell to notebooks (idempotent)")
    colab.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders of notebooks")
    colab.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    return _colab_main(args.paths, args.check)


if __name__ == "__main__":
    sys.exit(main())
