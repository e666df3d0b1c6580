"""The capstone, notebook 10: its helpers (normad_edu.course.capstone), its nbgrader metadata, its rubric, and the
measurement behind its model answers.

* the helpers: jitter and shift move spikes as documented (reflected at the edges, never lost, reproducible from a
  seed), a shifted pattern gets the same answer shifted (the network is time-invariant), the networks are the
  ones of notebook 06 and train on a few patterns, bad arguments are refused with their name;
* the instructor version (nbgrader source): manually graded answer cells and task cells whose points add up to the
  total the introduction states and the instructor guide's rubric lists; the learner's code cells are editable and
  carry no nbgrader metadata; the student version committed as notebooks/10_capstone.ipynb is what
  ``normad_edu.course.student`` writes and holds no model answer;
* the real nbgrader (slow): a release equal to the student version, an untouched submission scored 0 of 20 with
  the tasks waiting for the teacher, an answered one waiting for the teacher on every item;
* the numbers the model answers quote (fraction right under jitter and shift, training with noise) are measured.
"""

from __future__ import annotations

import os
import re
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

from normad_edu.course.capstone import (few_patterns, jitter_pattern, nearest_target, respond, train_patterns,
                                        train_xor)
from normad_edu.experiments import xor_problems
from normad_edu.research.study import mcnemar_p, wilson_interval

nbformat = pytest.importorskip("nbformat")

from normad_edu.course.student import BEGIN, END, MARKDOWN_STUB, student_notebook  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTOR = ROOT / "instructor" / "10_capstone.ipynb"
STUDENT = ROOT / "notebooks" / "10_capstone.ipynb"
ANSWERS = {"prediction": 3, "conclusion": 3, "extension": 6}
TASKS = {"task2_measure": 5, "reproducibility": 3}
TOTAL = 20


@pytest.fixture(scope="module")
def xor_net():
    return train_xor(0)


# --------------------------------------------------------------------------
# the helpers
# --------------------------------------------------------------------------

def test_jitter_moves_spikes_as_documented():
    rng = np.random.default_rng(0)
    pattern = [np.array([0.5, 10.0, 20.0]), np.array([]), np.array([39.5])]
    copy = [tr.copy() for tr in pattern]
    assert all(np.array_equal(a, b) for a, b in zip(jitter_pattern(pattern), pattern))          # nothing asked
    shifted = jitter_pattern(pattern, shift=0.25, T=40.0)
    assert all(np.allclose(a, b + 0.25) for a, b in zip(shifted, pattern))                       # all stay inside
    wild = jitter_pattern(pattern, 30.0, rng, shift=-5.0, T=40.0)
    assert [tr.size for tr in wild] == [3, 0, 1]                                                 # none lost ...
    assert all(np.all((tr >= 0) & (tr < 40.0)) and np.all(np.diff(tr) > 0) for tr in wild)     # ... inside, distinct
    assert all(np.array_equal(a, b) for a, b in zip(pattern, copy))                              # input untouched
    one, two = jitter_pattern(pattern, 1.0, 7, T=40.0), jitter_pattern(pattern, 1.0, 7, T=40.0)
    assert all(np.array_equal(a, b) for a, b in zip(one, two))                                   # a seed repeats


@pytest.mark.parametrize("kwargs, match", [({"sd": -1.0, "rng": 0}, "sd must be >= 0"),
                                           ({"sd": 1.0}, "rng must be a numpy Generator or a seed"),
                                           ({"shift": float("nan")}, "shift must be finite"),
                                           ({"T": 0.0}, "T must be > 0")])
def test_jitter_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        jitter_pattern([np.array([1.0])], **kwargs)


def test_the_xor_network_is_notebook_06s_and_answers_a_shifted_pattern_shifted(xor_net):
    ref = xor_problems("plastic", seed=0, run_ids=[0]).run(progress=False)
    assert xor_net.converged_at == int(ref.converged_at[0]) and xor_net.converged_at is not None
    assert all(np.array_equal(a, b[0]) for a, b in zip(xor_net.weights, ref.weights))
    assert xor_net.targets.tolist() == [20.0, 25.0]
    first, count = respond(xor_net, xor_net.patterns)
    assert np.all(count == 1) and np.all(np.abs(first - np.concatenate(xor_net.desired)) < 0.1)
    for delta in (0.5, 1.7, 3.0):
        moved, _ = respond(xor_net, [jitter_pattern(p, shift=delta, T=xor_net.sim.T) for p in xor_net.patterns])
        assert np.allclose(moved, first + delta, atol=1e-6)


def test_nearest_target_reads_answers_and_silence():
    idx = nearest_target([19.0, 23.0, np.inf, 26.0], [20.0, 25.0])
    assert idx.tolist() == [0, 1, -1, 1]
    with pytest.raises(ValueError, match="targets must hold at least one time"):
        nearest_target([1.0], [])


def test_few_patterns_train_and_are_answered():
    patterns, desired = few_patterns(4, seed=0)
    assert len(patterns) == 4 and all(len(p) == 40 for p in patterns)
    assert [d.tolist() for d in desired] == [[20.0], [30.0], [20.0], [30.0]]
    assert few_patterns(4, seed=0)[0][1][3].tolist() == patterns[1][3].tolist()                 # reproducible
    net = train_patterns(patterns, desired, seed=0, max_iter=300)
    assert net.converged_at is not None and net.sim.T == 50.0
    first, _ = respond(net, patterns)
    assert np.all(np.abs(first - np.concatenate(desired)) < 0.41)   # correlation >= 0.98 with one spike each
    with pytest.raises(ValueError, match="equal length"):
        train_patterns(patterns, desired[:3])
    with pytest.raises(ValueError, match="targets must be a non-empty list of times inside"):
        few_patterns(2, targets=(20.0, 45.0))
    with pytest.raises(TypeError, match="n_hidden must be an integer"):
        train_patterns(patterns, desired, n_hidden=2.5)


# --------------------------------------------------------------------------
# the measurement the model answers quote
# --------------------------------------------------------------------------

def _xor_right(net, sd, rng, copies=100, shift=0.0):
    patterns = [jitter_pattern(net.patterns[m], sd, rng, shift=shift, T=net.sim.T) for m in range(4)
                for _ in range(copies)]
    truth = np.repeat([0, 1, 1, 0], copies)
    first, count = respond(net, patterns)
    k = nearest_target(first, net.targets)
    said = np.where(k < 0, -1, (k == 0).astype(int))               # targets [20, 25]: 20 ms means XOR = 1
    return said == truth, count == 0


def test_the_model_answers_numbers_are_measured(xor_net):
    rng = np.random.default_rng(1)
    right = {sd: _xor_right(xor_net, sd, rng) for sd in (0.25, 1.0, 4.0)}
    frac = {sd: r.mean() for sd, (r, _) in right.items()}
    assert frac[0.25] >= 0.97                                        # "close to 100 % for s <= 0.25 ms"
    assert 0.8 <= frac[1.0] <= 0.95 and right[1.0][1].any()          # "about 90 % near 1 ms, a few silent outputs"
    assert frac[4.0] <= 0.65                                         # "close to chance by 4 ms"
    lo, hi = wilson_interval(int(right[1.0][0].sum()), 400)
    assert hi - lo < 0.09                                            # "about +-4 %" with 400 copies
    for delta, expect in ((2.0, 1.0), (3.0, 0.5)):                   # past 2.5 ms the XOR = 1 answers turn wrong
        r, _ = _xor_right(xor_net, 0.0, rng, copies=1, shift=delta)
        assert r.mean() == expect and (delta < 2.5 or not r[[1, 2]].any())
    # Task 4 (a): training on noisy copies against the clean templates, on the same held-out copies
    templates, targets = few_patterns(4, seed=0)
    clean = train_patterns(templates, targets, seed=0, max_iter=300)
    noisy_set = [(jitter_pattern(p, 1.0, rng, T=40.0), d) for p, d in zip(templates, targets) for _ in range(3)]
    noisy = train_patterns([p for p, _ in noisy_set], [d for _, d in noisy_set], seed=0, max_iter=300)
    test = [jitter_pattern(p, 1.0, rng, T=40.0) for p in templates for _ in range(50)]
    label = np.repeat([0, 1, 0, 1], 50)
    ok = {name: nearest_target(respond(net, test)[0], net.targets) == label for name, net in
          (("clean", clean), ("noisy", noisy))}
    assert 0.85 <= ok["clean"].mean() <= 0.97 and ok["noisy"].mean() >= 0.97   # "about nine in ten", "almost all"
    assert np.isinf(respond(clean, test)[0]).any()                              # "silent on a few copies"
    assert mcnemar_p(ok["noisy"], ok["clean"]) < 0.01                           # "clearly significant"


# --------------------------------------------------------------------------
# the notebook: metadata, student version, rubric
# --------------------------------------------------------------------------

def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.fixture(scope="module")
def instructor():
    return nbformat.read(INSTRUCTOR, as_version=4)


def test_graded_cells_points_and_the_stated_total(instructor):
    graded = {_nbgrader(c)["grade_id"]: c for c in instructor.cells if _nbgrader(c).get("points")}
    assert {gid: _nbgrader(c)["points"] for gid, c in graded.items()} == {**ANSWERS, **TASKS}
    assert sum(ANSWERS.values()) + sum(TASKS.values()) == TOTAL
    for gid in ANSWERS:
        cell = graded[gid]
        meta = _nbgrader(cell)
        assert cell.cell_type == "markdown" and meta["solution"] and meta["grade"] and not meta["locked"]
        assert cell.source.startswith(BEGIN) and cell.source.endswith(END)
        question = instructor.cells[instructor.cells.index(cell) - 1]
        assert _nbgrader(question)["locked"] and re.search(r"\(\d points?\)", question.source)
    for gid in TASKS:
        meta = _nbgrader(graded[gid])
        assert graded[gid].cell_type == "markdown" and meta["task"] and meta["locked"] and not meta["grade"]
    intro = instructor.cells[0].source
    assert f"{TOTAL} points in all" in intro and "docs/instructor-guide.md" in intro
    ids = [_nbgrader(c)["grade_id"] for c in instructor.cells if _nbgrader(c)]
    assert len(ids) == len(set(ids))


def test_the_learners_code_cells_are_editable_and_start_from_the_library(instructor):
    code = [c for c in instructor.cells if c.cell_type == "code" and "colab-install" not in c.metadata.get("tags", [])]
    setup, *work = code
    assert _nbgrader(setup)["locked"] and "from normad_edu.course.capstone import" in setup.source
    assert len(work) >= 4 and not any(_nbgrader(c) for c in work)       # the learner's: no nbgrader metadata
    assert not any(BEGIN in c.source for c in code)                       # nothing hidden in code: it all runs


def test_the_student_version_is_the_generators_and_holds_no_model_answer(instructor):
    committed = nbformat.read(STUDENT, as_version=4)
    generated = student_notebook(instructor)
    assert [(c.cell_type, c.source) for c in committed.cells] == [(c.cell_type, c.source) for c in generated.cells]
    assert committed.metadata["normad_edu"]["student_version"] is True
    answers = [c.source for c in committed.cells if _nbgrader(c).get("solution")]
    assert answers == [MARKDOWN_STUB] * len(ANSWERS)
    text = "\n".join(c.source for c in committed.cells)
    assert BEGIN not in text and "time-invariant: it answers" in text


def test_the_instructor_guide_rubric_matches_the_notebook():
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    section = guide.split("## The capstone", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| [^|]*\(`(\w+)`\)[^|]* \| (\d+) \|", section, re.M)
    assert dict((gid, int(p)) for gid, p in rows) == {**ANSWERS, **TASKS}
    assert f"{TOTAL} points" in section and "Learning outcomes" in section


# --------------------------------------------------------------------------
# the real nbgrader
# --------------------------------------------------------------------------

@pytest.mark.slow
def test_nbgrader_releases_the_student_version_and_leaves_the_grading_to_the_teacher(tmp_path, instructor):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    (tmp_path / "source" / "ps10").mkdir(parents=True)
    shutil.copy(INSTRUCTOR, tmp_path / "source" / "ps10" / INSTRUCTOR.name)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.course_id = "normad_edu"
    config.CourseDirectory.db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    config.Execute.timeout = 300
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mp.chdir(tmp_path)
        mp.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / ".jupyter"))
        mp.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        mp.setenv("NORMAD_EDU_QUICK", "1")
        mp.delenv("MPLBACKEND", raising=False)
        api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
        assert api.generate_assignment("ps10")["success"]
        release = nbformat.read(tmp_path / "release" / "ps10" / INSTRUCTOR.name, as_version=4)
        ours = student_notebook(instructor)
        assert [(c.cell_type, c.source) for c in release.cells] == [(c.cell_type, c.source) for c in ours.cells]
        answered = nbformat.from_dict(release)
        for cell in answered.cells:
            if _nbgrader(cell).get("solution"):
                cell.source = "My answer: the output moves with the shift."
        for student, nb in (("untouched", release), ("answered", answered)):
            (tmp_path / "submitted" / student / "ps10").mkdir(parents=True)
            nbformat.write(nb, tmp_path / "submitted" / student / "ps10" / INSTRUCTOR.name)
            result = api.autograde("ps10", student)
            assert result["success"], result["log"]
        with Gradebook(config.CourseDirectory.db_url) as gb:
            for student in ("untouched", "answered"):
                sub = gb.find_submission("ps10", student)
                assert sub.max_score == TOTAL
                notebook = gb.find_submission_notebook(INSTRUCTOR.stem, "ps10", student)
                grades = {g.name: (g.auto_score, g.max_score, g.needs_manual_grade) for g in notebook.grades}
                for gid, points in ANSWERS.items():
                    assert grades[gid] == ((0, points, False) if student == "untouched" else (None, points, True))
                for gid, points in TASKS.items():
                    assert grades[gid] == (None, points, True)
                assert sub.score == 0
