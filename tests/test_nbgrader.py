"""Grading notebook 08 with nbgrader: its instructor version instructor/08_assignments.ipynb is the source.

* the notebook's nbgrader metadata: one solution cell per exercise, one
  graded check cell per exercise (2 + 3 + 3 + 4 points, as the notebook's
  introduction says) whose graded part is a hidden test, one manually graded
  answer per "Think about it" question (1 point each), read-only set-up;
* the real nbgrader, in a temporary course directory: ``generate_assignment``
  writes a student version without solutions or hidden tests that is, cell
  by cell, the one ``normad_edu.course.student`` writes; ``autograde`` gives a
  correct submission every autograded point (and, once its written answers
  are graded, the full score) and a wrong one exactly the points of its one
  right exercise, even though it edited a read-only check cell, rebound a
  checker in a solution cell and patched the checker modules.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

from normad_edu.course.exercises import nb08  # noqa: E402
from normad_edu.course.student import BEGIN, BEGIN_HIDDEN, END, END_HIDDEN, solution_blocks, student_notebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "instructor" / "08_assignments.ipynb"
ASSIGNMENT = "ps08"
POINTS = {"alpha_kernel": 2, "lif_step": 3, "normad_single_update": 3, "backprop_adjoints": 4}
ANSWERS = ("answer_alpha_at_zero", "answer_why_exact", "answer_why_normalise", "answer_why_clip")


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _by_id(nb) -> dict:
    return {_nbgrader(c)["grade_id"]: c for c in nb.cells if _nbgrader(c).get("grade_id")}


@pytest.fixture(scope="module")
def instructor():
    return nbformat.read(NOTEBOOK, as_version=4)


# --------------------------------------------------------------------------
# the metadata of the instructor (nbgrader source) notebook
# --------------------------------------------------------------------------


def test_grade_cells_points_and_hidden_tests(instructor):
    cells = _by_id(instructor)
    graded = {gid: _nbgrader(c)["points"] for gid, c in cells.items() if _nbgrader(c)["grade"]}
    assert graded == {**{f"check_{name}": p for name, p in POINTS.items()}, **{a: 1 for a in ANSWERS}}
    for name in nb08.EXERCISES:
        solution, check = cells[name], cells[f"check_{name}"]
        assert solution.cell_type == "code" and _nbgrader(solution)["solution"] and not _nbgrader(solution)["grade"]
        assert BEGIN in solution.source and END in solution.source
        assert check.cell_type == "code" and _nbgrader(check)["locked"] and not _nbgrader(check)["solution"]
        visible, hidden = check.source.split(BEGIN_HIDDEN)
        assert visible == f"check_{name}({name})\n"
        assert re.search(rf"^assert \w+\.check_{name}\({name}, hidden=True\)", hidden, re.M)
        assert "importlib.reload(" in hidden and hidden.rstrip().endswith(END_HIDDEN)
    for answer in ANSWERS:
        cell = cells[answer]
        assert cell.cell_type == "markdown" and _nbgrader(cell)["solution"] and _nbgrader(cell)["grade"]
        assert cell.source.startswith(BEGIN) and cell.source.endswith(END)  # the whole cell is the answer
        question = instructor.cells[instructor.cells.index(cell) - 1]
        assert question.source.startswith("**Think about it.**") and _nbgrader(question)["locked"]


def test_setup_and_scoreboard_are_read_only_and_grade_ids_unique(instructor):
    ids = [_nbgrader(c)["grade_id"] for c in instructor.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids))
    cells = _by_id(instructor)
    for gid in ("setup", "scoreboard", "intro"):
        assert _nbgrader(cells[gid])["locked"] and not _nbgrader(cells[gid])["grade"]
    assert "from normad_edu.course.exercises.nb08 import" in cells["setup"].source


def test_introduction_states_the_points(instructor):
    intro = _by_id(instructor)["intro"].source
    assert " + ".join(str(p) for p in POINTS.values()) + " points" in intro
    assert "each written answer 1 point" in intro and "docs/instructor-guide.md" in intro


def test_marker_phrases_appear_only_as_markers(instructor):
    """nbgrader treats any line containing a marker phrase as a marker: the text must not mention one."""
    phrases = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    for cell in instructor.cells:
        for line in cell.source.splitlines():
            if any(p in line for p in phrases):
                assert re.fullmatch(r"\s*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)", line), line


# --------------------------------------------------------------------------
# the real nbgrader: generate_assignment, autograde
# --------------------------------------------------------------------------


def _answer(source: str) -> str:
    """A submitted answer: the instructor's solution without the marker lines."""
    return "\n".join(line for line in source.splitlines() if line.strip() not in (BEGIN, END))


def _submission(release, replace: dict):
    nb = nbformat.from_dict(release)
    cells = _by_id(nb)
    for gid, source in replace.items():
        cells[gid].source = source
    return nb


WRONG = {
    # exercise 1 borrows the library's kernel: refused, 0 of 2
    "alpha_kernel": "from normad_edu import kernels\n\n"
                    "def alpha_kernel(t, tau1=5.0, tau2=1.25):\n"
                    "    return kernels.alpha_kernel(t, tau1, tau2)",
    # exercise 2 is forward Euler: 0 of 3, although the read-only check cell was edited to look passed and the
    # solution cell rebinds the checker's name and patches its module
    "lif_step": "def lif_step(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):\n"
                "    return u + h * (-u / tau_L + (I1 - I2) / C), I1 * (1 - h / tau1), I2 * (1 - h / tau2)\n\n"
                "import normad_edu.course.exercises.nb08 as m\n\n"
                "check_lif_step = m.check_lif_step = lambda *args, **kwargs: True",
    "check_lif_step": 'print("[PASS] Exercise 2 (lif_step): trust me")',
    # exercise 3 right (3 of 3); exercise 4 left as the stub (0 of 4), its cell patching the framework so that
    # every verdict is true
    "backprop_adjoints": "def backprop_adjoints(*args):\n"
                         "    raise NotImplementedError()\n\n"
                         "import normad_edu.course.exercises.framework as fw\n\n"
                         "fw.Verdict.__bool__ = lambda self: True\n"
                         "fw.evaluate = lambda *args, **kwargs: fw.Verdict('x', 'passed', '[PASS] trust me too')",
}


@pytest.fixture(scope="module")
def course(tmp_path_factory, instructor):
    """A course directory graded by nbgrader's Python API: ``{release, grades, scores, autograded, db_url}``."""
    pytest.importorskip("nbgrader")
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    root = tmp_path_factory.mktemp("course")
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    shutil.copy(NOTEBOOK, root / "source" / ASSIGNMENT / NOTEBOOK.name)
    config = Config()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.course_id = "normad_edu"
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    config.Execute.timeout = 300  # per cell; a cold numba cache compiles in the first Explore cell
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy session warnings inside nbgrader
        mp.chdir(root)
        mp.setenv("JUPYTER_CONFIG_DIR", str(root / ".jupyter"))  # no user nbgrader_config.py
        mp.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))  # the kernels
        mp.setenv("NORMAD_EDU_QUICK", "1")
        mp.delenv("MPLBACKEND", raising=False)
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        result = api.generate_assignment(ASSIGNMENT)
        assert result["success"], result["log"]
        release = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK.name, as_version=4)

        solutions = {gid: _answer(c.source) for gid, c in _by_id(instructor).items() if _nbgrader(c)["solution"]}
        wrong = {**WRONG, "answer_alpha_at_zero": solutions["answer_alpha_at_zero"],
                 "normad_single_update": solutions["normad_single_update"]}
        for student, replace in (("correct", solutions), ("wrong", wrong)):
            folder = root / "submitted" / student / ASSIGNMENT
            folder.mkdir(parents=True)
            nbformat.write(_submission(release, replace), folder / NOTEBOOK.name)
            result = api.autograde(ASSIGNMENT, student)
            assert result["success"], result["log"]

        from nbgrader.api import Gradebook

        grades, scores = {}, {}
        with Gradebook(config.CourseDirectory.db_url) as gb:
            for student in ("correct", "wrong"):
                scores[student] = (gb.find_submission(ASSIGNMENT, student).score,
                                   gb.find_submission(ASSIGNMENT, student).max_score)
                notebook = gb.find_submission_notebook(NOTEBOOK.stem, ASSIGNMENT, student)
                grades[student] = {g.name: (g.auto_score, g.max_score, g.needs_manual_grade) for g in notebook.grades}
        autograded = {s: nbformat.read(root / "autograded" / s / ASSIGNMENT / NOTEBOOK.name, as_version=4)
                      for s in ("correct", "wrong")}
        yield {"release": release, "grades": grades, "scores": scores, "autograded": autograded,
               "db_url": config.CourseDirectory.db_url}


def _outputs(cell) -> str:
    return "".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)


@pytest.mark.slow
def test_release_has_no_solution_and_no_hidden_test(course, instructor):
    text = "\n".join(c.source for c in course["release"].cells)
    for marker in (BEGIN, END, BEGIN_HIDDEN, END_HIDDEN, "hidden=True", "assert check_"):
        assert marker not in text
    solution_lines = set()
    for cell in instructor.cells:
        lines = cell.source.splitlines()
        for begin, end in solution_blocks(cell.source):
            solution_lines |= {line.strip() for line in lines[begin + 1:end]
                               if line.strip() and not line.strip().startswith("#")}
    assert len(solution_lines) > 20
    assert not solution_lines & {line.strip() for line in text.splitlines()}


@pytest.mark.slow
def test_release_equals_the_student_version_of_normad_edu_student(course, instructor):
    ours = student_notebook(instructor)
    theirs = course["release"]
    assert [(c.cell_type, c.source) for c in ours.cells] == [(c.cell_type, c.source) for c in theirs.cells]
    for a, b in zip(ours.cells, theirs.cells):  # nbgrader adds a checksum and the cell type
        extra = {"checksum", "cell_type"}
        assert {k: v for k, v in _nbgrader(a).items() if k not in extra} == \
               {k: v for k, v in _nbgrader(b).items() if k not in extra}


@pytest.mark.slow
def test_correct_submission_gets_every_point(course):
    grades = course["grades"]["correct"]
    for name, points in POINTS.items():
        assert grades[f"check_{name}"] == (points, points, False), name
    for answer in ANSWERS:  # written answers wait for the teacher
        assert grades[answer] == (None, 1, True), answer
    assert course["scores"]["correct"] == (12, 16)
    notebook = course["autograded"]["correct"]
    assert not [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    for name in POINTS:
        out = _outputs(_by_id(notebook)[f"check_{name}"])
        assert out.count("[PASS]") == 2 and "hidden from the notebook's check" in out

    from nbgrader.api import Gradebook

    with Gradebook(course["db_url"]) as gb:  # the teacher grades the written answers
        for answer in ANSWERS:
            grade = gb.find_grade(answer, NOTEBOOK.stem, ASSIGNMENT, "correct")
            grade.manual_score = grade.max_score
        gb.db.commit()
        submission = gb.find_submission(ASSIGNMENT, "correct")
        assert (submission.score, submission.max_score) == (16, 16)


@pytest.mark.slow
def test_wrong_submission_gets_exactly_the_points_of_its_right_exercise(course):
    grades = course["grades"]["wrong"]
    assert {name: grades[f"check_{name}"][0] for name in POINTS} == {
        "alpha_kernel": 0, "lif_step": 0, "normad_single_update": 3, "backprop_adjoints": 0}
    assert grades["answer_alpha_at_zero"] == (None, 1, True)  # answered: the teacher grades it
    for answer in ANSWERS[1:]:
        assert grades[answer] == (0, 1, False)  # left as "YOUR ANSWER HERE": 0 without manual grading
    assert course["scores"]["wrong"] == (3, 16)
    cells = _by_id(course["autograded"]["wrong"])
    assert "your function uses normad_edu.kernels.alpha_kernel" in _outputs(cells["check_alpha_kernel"])
    lif = _outputs(cells["check_lif_step"])
    assert "forward Euler" in lif and "trust me" not in lif  # nbgrader restored the read-only check cell
    backprop = _outputs(cells["check_backprop_adjoints"])
    assert "trust me too" in backprop and "[TODO] Exercise 4" in backprop  # the graded test reloaded the checkers
