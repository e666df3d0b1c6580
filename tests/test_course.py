"""The course in every install: ``normad_edu.course.shipped`` and ``normad-edu notebooks DIR [--instructor]``.

Here the package is imported from the checkout, so the course is the
checkout's ``notebooks/`` and the pages they link to (``docs/method.md``, the
reference card ``docs/reference/`` and its figures); tests/test_packaging.py
installs the sdist into a fresh venv and runs the command (and a notebook)
from there, where the course comes from the wheel's ``normad_edu/course/``.
Learners get the student version of notebook 08; the instructor version is
copied only when asked (``--instructor``) and only from a checkout.
The Colab cells: every notebook carries the badge and the install cell, and
the tool that puts them there is idempotent.
"""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import nbformat
import pytest

import normad_edu
from normad_edu.course import shipped as course_tools
from normad_edu.cli import main
from normad_edu.course.shipped import (COLAB_TAG, CourseFilesExistError, InstructorVersionMissing, add_colab,
                                       binder_url, colab_url, copy_course, copy_instructor, course_files, course_root,
                                       instructor_root)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


#: The pages the notebooks link to, besides the notebooks: the method, the reference card and its figures.
DOCS = [ROOT / "docs" / "method.md", *sorted((ROOT / "docs" / "reference").glob("*.md")),
        *sorted((ROOT / "docs" / "figures").glob("*.svg")), *sorted((ROOT / "docs" / "figures").glob("*.png"))]


def _expected_files() -> list[Path]:
    return sorted([p.relative_to(ROOT) for p in NOTEBOOKS + DOCS])


def test_course_from_a_checkout_is_the_checkouts_notebooks_and_method():
    assert course_root() == ROOT
    assert course_files() == _expected_files()
    assert len(NOTEBOOKS) >= 9
    assert {"algorithm.md", "equations.md", "glossary.md", "further-reading.md", "backprop_schematic.svg",
            "backprop_schematic.png"} <= {p.name for p in DOCS}
    assert not any(p.suffix == ".py" for p in course_files())        # docs/figures/make_figures.py stays home


def test_copy_course_copies_every_file_byte_for_byte_and_refuses_to_overwrite(tmp_path):
    dest = tmp_path / "a" / "course"  # parents are created
    written = copy_course(dest)
    assert written == [dest / f for f in _expected_files()]
    for f in _expected_files():
        assert (dest / f).read_bytes() == (ROOT / f).read_bytes(), f
    # the notebooks' relative links to ../docs/method.md resolve in the copy
    text = (dest / "notebooks" / "04_normad_single_neuron.ipynb").read_text()
    assert "../docs/method.md" in text and (dest / "notebooks" / "../docs/method.md").is_file()
    # ... and so do those to the reference card, and the card's to its figure
    assert "../docs/reference/glossary.md" in text and (dest / "notebooks" / "../docs/reference/glossary.md").is_file()
    algorithm = (dest / "docs" / "reference" / "algorithm.md").read_text(encoding="utf-8")
    assert "../figures/backprop_schematic.svg" in algorithm
    assert (dest / "docs" / "reference" / "../figures/backprop_schematic.svg").is_file()

    # one existing file blocks the whole copy: nothing is written
    (dest / "notebooks" / "01_synapse.ipynb").write_text("my notes")
    (dest / "notebooks" / "02_lif_neuron.ipynb").unlink()
    with pytest.raises(CourseFilesExistError, match=r"file\(s\) of the course already exist.*force=True") as err:
        copy_course(dest)
    assert isinstance(err.value, FileExistsError)
    assert dest / "notebooks" / "01_synapse.ipynb" in err.value.paths
    assert (dest / "notebooks" / "01_synapse.ipynb").read_text() == "my notes"
    assert not (dest / "notebooks" / "02_lif_neuron.ipynb").exists()
    # force overwrites
    copy_course(dest, force=True)
    assert (dest / "notebooks" / "01_synapse.ipynb").read_bytes() == (ROOT / "notebooks" / "01_synapse.ipynb").read_bytes()
    assert (dest / "notebooks" / "02_lif_neuron.ipynb").is_file()
    # files that are not the course's are left alone
    (dest / "notebooks" / "mine.ipynb").write_text("{}")
    copy_course(dest, force=True)
    assert (dest / "notebooks" / "mine.ipynb").read_text() == "{}"


def test_copy_course_rejects_bad_destinations(tmp_path):
    with pytest.raises(TypeError, match="dest must be a path.*int 3"):
        copy_course(3)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="dest: .*file' exists and is not a folder"):
        copy_course(tmp_path / "file")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "notebooks").write_text("not a folder")
    with pytest.raises(NotADirectoryError, match="notebooks' exists and is not a folder"):
        copy_course(tmp_path / "d")
    # a folder where a course file belongs is not overwritten, even with force
    (tmp_path / "e" / "docs" / "method.md").mkdir(parents=True)
    with pytest.raises(CourseFilesExistError, match=r"method\.md \(a folder\)"):
        copy_course(tmp_path / "e", force=True)


def test_course_root_says_when_the_course_is_missing(tmp_path, monkeypatch):
    fake = tmp_path / "site-packages" / "normad_edu"
    fake.mkdir(parents=True)
    monkeypatch.setattr(course_tools, "__file__", str(fake / "course" / "shipped.py"))
    with pytest.raises(FileNotFoundError, match="course notebooks are not installed.*reinstall"):
        course_root()
    # an installed wheel's layout is found
    (fake / "course" / "notebooks").mkdir(parents=True)
    (fake / "course" / "notebooks" / "00_x.ipynb").write_text("{}")
    (fake / "course" / "docs").mkdir()
    (fake / "course" / "docs" / "method.md").write_text("# m")
    assert course_root() == fake / "course"
    assert course_files() == [Path("docs/method.md"), Path("notebooks/00_x.ipynb")]


def test_cli_notebooks_copies_and_reports(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["notebooks", "x"]) == 0
    out = capsys.readouterr().out
    assert f"copied {len(NOTEBOOKS)} notebooks and {len(DOCS)} other files to {tmp_path / 'x'}" in out
    assert "jupyter lab x/notebooks" in out
    assert sorted(p.name for p in (tmp_path / "x" / "notebooks").iterdir()) == [p.name for p in NOTEBOOKS]

    # again: refused, exit 1, one line naming --force, nothing changed
    (tmp_path / "x" / "notebooks" / "06_xor.ipynb").write_text("edited")
    assert main(["notebooks", "x"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "normad-edu notebooks: error:" in err and "use --force" in err
    assert (tmp_path / "x" / "notebooks" / "06_xor.ipynb").read_text() == "edited"

    assert main(["notebooks", "x", "--force", "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert captured.out.count("\n") == 1
    assert data["command"] == "notebooks" and data["configuration"]["force"] is True
    assert data["configuration"]["dest"] == str(tmp_path / "x")
    assert data["notebooks"] == [p.name for p in NOTEBOOKS]
    assert sorted(data["files"]) == sorted(str(tmp_path / "x" / f) for f in _expected_files())
    assert (tmp_path / "x" / "notebooks" / "06_xor.ipynb").read_bytes() == (ROOT / "notebooks" / "06_xor.ipynb").read_bytes()


def test_cli_notebooks_usage_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["notebooks"]) == 2
    assert "required: DIR" in capsys.readouterr().err
    (tmp_path / "f").write_text("")
    assert main(["notebooks", "f"]) == 2
    assert "argument DIR: 'f' exists and is not a folder (see 'normad-edu notebooks --help')" in capsys.readouterr().err
    (tmp_path / "g" / "docs" / "method.md").mkdir(parents=True)
    assert main(["notebooks", "g", "--force"]) == 1
    assert "(a folder); nothing copied (remove them)" in capsys.readouterr().err


# ---------------------------------------------------------------------------
# The instructor version: only when asked, only from a checkout
# ---------------------------------------------------------------------------

INSTRUCTOR = ROOT / "instructor" / "08_assignments.ipynb"


def test_the_course_copy_is_the_student_version_and_the_instructor_one_comes_only_when_asked(tmp_path, capsys):
    assert main(["notebooks", str(tmp_path / "plain")]) == 0
    copied = (tmp_path / "plain" / "notebooks" / "08_assignments.ipynb").read_text()
    assert "BEGIN SOLUTION" not in copied and "hidden=True" not in copied and "student_version" in copied
    assert not (tmp_path / "plain" / "instructor").exists()
    capsys.readouterr()
    assert main(["notebooks", str(tmp_path / "teach"), "--instructor"]) == 0
    out = capsys.readouterr().out
    target = tmp_path / "teach" / "instructor" / "08_assignments.ipynb"
    assert target.read_bytes() == INSTRUCTOR.read_bytes() and "do not hand it out" in out
    assert (tmp_path / "teach" / "notebooks" / "08_assignments.ipynb").read_text() == copied
    assert instructor_root() == ROOT
    with pytest.raises(CourseFilesExistError):
        copy_instructor(tmp_path / "teach")


def test_from_a_wheel_the_instructor_version_is_refused_with_the_reason(tmp_path, capsys, monkeypatch):
    fake = tmp_path / "site-packages" / "normad_edu"
    (fake / "course" / "notebooks").mkdir(parents=True)
    (fake / "course" / "notebooks" / "08_x.ipynb").write_text("{}")
    (fake / "course" / "docs").mkdir()
    (fake / "course" / "docs" / "method.md").write_text("# m")
    monkeypatch.setattr(course_tools, "__file__", str(fake / "course" / "shipped.py"))
    with pytest.raises(InstructorVersionMissing, match="wheel .* carries only the student version"):
        instructor_root()
    assert isinstance(InstructorVersionMissing("x"), FileNotFoundError)
    assert main(["notebooks", str(tmp_path / "out"), "--instructor"]) == 1
    err = capsys.readouterr().err
    assert "--instructor: the instructor version of the graded notebook is not installed" in err
    assert "repository checkout or an unpacked sdist" in err
    assert not (tmp_path / "out").exists()                     # nothing copied
    assert main(["notebooks", str(tmp_path / "out")]) == 0      # the course itself still copies


# ---------------------------------------------------------------------------
# Colab: the badge and the install cell
# ---------------------------------------------------------------------------

def _first(nb, kind):
    return next(c for c in nb.cells if c.cell_type == kind)


@pytest.mark.parametrize("path", NOTEBOOKS + sorted((ROOT / "instructor").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_has_the_colab_badge_and_install_cell(path):
    nb = nbformat.read(path, as_version=4)
    badge = f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(path.name)})"
    assert badge in _first(nb, "markdown").source, "no Colab badge in the first markdown cell"
    cell = _first(nb, "code")
    assert COLAB_TAG in cell.metadata.get("tags", []), "the first code cell is not the Colab install cell"
    assert cell.source == course_tools.COLAB_INSTALL_SOURCE
    assert sum(COLAB_TAG in c.metadata.get("tags", []) for c in nb.cells) == 1
    # up to date: the tool would change nothing
    assert not add_colab(nb, path.name), "run: python -m normad_edu.course.shipped colab notebooks/"


def test_colab_url_opens_the_repositorys_notebook():
    readme = (ROOT / "README.md").read_text()
    repo = re.search(r"mybinder\.org/v2/gh/([^/]+/[^/]+)/", readme).group(1)
    tag = f"v{normad_edu.__version__}"
    assert course_tools.RELEASE_REF == tag
    assert colab_url("06_xor.ipynb") == f"https://colab.research.google.com/github/{repo}/blob/{tag}/notebooks/06_xor.ipynb"
    assert binder_url("06_xor.ipynb") == f"https://mybinder.org/v2/gh/{repo}/{tag}?urlpath=lab/tree/notebooks/06_xor.ipynb"
    for bad in ("06_xor", "../x.ipynb", 3):
        for url in (colab_url, binder_url):
            with pytest.raises(ValueError, match="notebook must be a notebook file name"):
                url(bad)


def test_install_cell_reports_another_installed_version(capsys, monkeypatch):
    """Off Colab the cell installs nothing and stays silent, unless the package is not the notebook's release."""
    fake_ip = types.SimpleNamespace(run_line_magic=lambda *a: pytest.fail(f"pip ran off Colab: {a}"))
    exec(course_tools.COLAB_INSTALL_SOURCE, {"get_ipython": lambda: fake_ip})
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(normad_edu, "__version__", "0.0.1")
    exec(course_tools.COLAB_INSTALL_SOURCE, {"get_ipython": lambda: fake_ip})
    release = course_tools.RELEASE_REF.removeprefix("v")
    assert f"These notebooks belong to normad_edu {release}; the installed version is 0.0.1." in capsys.readouterr().out


def _toy_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 09 Toy\n\n[Previous](08.ipynb)\n\nText."),
                nbformat.v4.new_code_cell("import numpy as np"),
                nbformat.v4.new_markdown_cell("## 1."),
                nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_add_colab_puts_badge_after_the_title_and_the_cell_first_and_is_idempotent():
    nb = _toy_notebook()
    assert add_colab(nb, "09_toy.ipynb")
    md = nb.cells[0].source.split("\n\n")
    assert md[0] == "# 09 Toy" and colab_url("09_toy.ipynb") in md[1] and md[2:] == ["[Previous](08.ipynb)", "Text."]
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code", "markdown", "code"]
    assert nb.cells[1].metadata["tags"] == [COLAB_TAG] and nb.cells[2].source == "import numpy as np"
    once = nbformat.writes(nb)
    assert not add_colab(nb, "09_toy.ipynb")
    assert nbformat.writes(nb) == once
    nbformat.validate(nb)
    # renamed notebook: the badge follows, still one badge and one cell
    assert add_colab(nb, "10_toy.ipynb")
    assert colab_url("10_toy.ipynb") in nb.cells[0].source and "09_toy" not in nb.cells[0].source
    assert sum(COLAB_TAG in c.metadata.get("tags", []) for c in nb.cells) == 1
    # a stale install cell further down is moved to the front
    nb = _toy_notebook()
    stale = nbformat.v4.new_code_cell("old install", metadata={"tags": [COLAB_TAG]})
    nb.cells.append(stale)
    add_colab(nb, "09_toy.ipynb")
    assert [c.source for c in nb.cells if c.cell_type == "code"][0] == course_tools.COLAB_INSTALL_SOURCE
    assert "old install" not in nbformat.writes(nb)
    # no title: the badge goes first; no markdown cell: refused
    nb = _toy_notebook()
    nb.cells[0].source = "Intro."
    add_colab(nb, "09_toy.ipynb")
    assert nb.cells[0].source.startswith("[![Open In Colab]") and nb.cells[0].source.endswith("\n\nIntro.")
    nb.cells = [c for c in nb.cells if c.cell_type == "code"]
    with pytest.raises(ValueError, match="no markdown cell"):
        add_colab(nb, "09_toy.ipynb")


def test_install_cell_does_nothing_off_colab_and_installs_on_colab(monkeypatch):
    """Run the cell (plain Python) with and without a fake google.colab module."""
    import ast
    import sys
    import types

    code = course_tools.COLAB_INSTALL_SOURCE
    ast.parse(code)  # tools that read the notebooks' cells as Python can read it
    calls = []
    fake_ip = types.SimpleNamespace(run_line_magic=lambda name, line: calls.append((name, line)))
    namespace = {"get_ipython": lambda: fake_ip}
    exec(code, namespace)
    assert calls == []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("widget manager"))
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    sys.modules["google"].colab = colab
    exec(code, namespace)
    # the release of these notebooks, not main: notebook and library stay the same version
    pinned = f'install -q "normad_edu @ git+https://github.com/normad-edu/normad_edu@v{normad_edu.__version__}"'
    assert calls == [("pip", pinned), "widget manager"]


def test_colab_command_writes_notebooks_as_stored_and_check_reports(tmp_path, capsys):
    path = tmp_path / "09_toy.ipynb"
    with open(path, "w") as fh:
        nbformat.write(_toy_notebook(), fh)
    assert course_tools.main(["colab", "--check", str(tmp_path)]) == 1
    assert "would change 1 of 1" in capsys.readouterr().out
    assert course_tools.main(["colab", str(tmp_path)]) == 0
    text = path.read_text()
    assert text == nbformat.writes(nbformat.read(path, as_version=4)) + "\n"  # the repository's format
    assert course_tools.main(["colab", "--check", str(path)]) == 0
    assert "would change 0 of 1" in capsys.readouterr().out
    assert course_tools.main(["colab", str(tmp_path / "empty-does-not-exist")]) == 2
