"""Tests for exercises 7.2 (count_error_cap) and 7b.2 (group_participation_ratio), the practice and quiz sections of
notebooks 07, 07b and 08, and their text.

* the checkers' references are right: 7.2 against the library's correlation metric on trains with far-apart spikes,
  and as an upper bound for every placement of far-apart spikes; 7b.2 against the eigenvalues of the covariance of
  traces built group by group, and against the library's participation ratio of spike trains (never against
  themselves);
* a catalogue of wrong answers, written here independently of the checker's own list of mistakes, is caught, and
  right answers written here pass (``RIGHT``, ``WRONG``, ``REFUSED`` and ``ANSWER_FORMULAS`` are also read by
  tests/test_practice.py, which runs its course-wide tests on them);
* notebooks 07 and 07b have two exercises each with stub, check and a folded solution that passes, one of them not a
  transcription (its formula appears in no markdown cell before its solution); 07, 07b and 08 end with their quiz;
* notebook 07b is a lesson of at most 2,500 words of prose and 50 minutes, with its equations numbered (7b.k);
* no development history, no vacuous assert of a count, and one notation (the Heaviside step is Theta, the step
  of exercise 2 is Delta, the clip is dot V_min) in notebooks 07, 07b, 08 (both versions) and 10.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from normad_edu.course import exercises
from normad_edu.course.exercises import framework as F
from normad_edu.course.exercises import nb07, nb07b
from normad_edu.metrics import correlation, participation_ratio

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
INSTRUCTOR = ROOT / "instructor"


def evaluate(name, fn) -> F.Verdict:
    return F.evaluate(exercises.EXERCISES[name], fn)


# ---------------------------------------------------------------------------
# The reference is right
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("sigma", [0.5, 2.0, 5.0])
def test_reference_cap_is_the_metric_of_far_apart_trains_matched_as_well_as_possible(sigma):
    gap = 40.0 * sigma                                   # far apart: the Gaussians' overlap is below 1e-170
    for n_d in range(0, 8):
        for n_o in range(0, 8):
            measured = correlation(5.0 + gap * np.arange(n_d), 5.0 + gap * np.arange(n_o), sigma)
            assert nb07.reference_count_error_cap(n_d, n_o) == pytest.approx(measured, rel=1e-12, abs=1e-15)


def test_reference_cap_bounds_every_placement_of_far_apart_spikes():
    rng = np.random.default_rng(72)
    for _ in range(300):
        n_d, n_o = (int(k) for k in rng.integers(0, 9, 2))
        sigma = float(rng.uniform(0.5, 5.0))
        # each train on distinct slots 30 sigma apart, the output's spikes jittered around theirs
        d = np.sort(30.0 * sigma * (1 + rng.choice(40, n_d, replace=False)))
        o = np.sort(30.0 * sigma * (1 + rng.choice(40, n_o, replace=False)) + rng.normal(0.0, sigma, n_o))
        assert correlation(d, o, sigma) <= nb07.reference_count_error_cap(n_d, n_o) + 1e-9


def test_one_missed_spike_fails_every_train_of_up_to_25_spikes():
    cap = nb07.reference_count_error_cap
    assert all(cap(n, n - 1) < 0.98 for n in range(1, 26)) and cap(26, 25) > 0.98
    assert all(cap(n, n + 1) == pytest.approx(math.sqrt(n / (n + 1))) for n in range(1, 30))


def _grouped_traces(sizes, rms, rng, n_samples=400):
    """Traces of a layer in synchronous groups: group g repeats one centred signal of rms rms[g] in sizes[g]
    traces; the groups' signals are exactly uncorrelated (orthonormal columns, centred)."""
    k = len(sizes)
    basis = np.linalg.qr(rng.normal(size=(n_samples, k + 1)))[0]
    basis = basis - basis.mean(axis=0)
    basis = np.linalg.qr(basis)[0][:, :k]                   # orthonormal and (still) centred
    signals = basis * np.sqrt(n_samples) * np.asarray(rms, dtype=float)
    return np.repeat(signals, np.asarray(sizes), axis=1)    # (samples, neurons)


def test_reference_group_ratio_is_7b3_of_the_covariance_of_grouped_traces():
    rng = np.random.default_rng(73)
    for _ in range(60):
        k = int(rng.integers(1, 7))
        sizes = rng.integers(1, 12, k)
        rms = rng.uniform(0.0, 3.0, k) * (rng.random(k) > 0.15)
        if not np.any(rms > 0):
            continue
        X = _grouped_traces(sizes, rms, rng)
        lam = np.linalg.eigvalsh(np.cov(X, rowvar=False, bias=True))
        measured = lam.sum() ** 2 / np.sum(lam ** 2)
        assert nb07b.reference_group_participation_ratio(sizes, rms) == pytest.approx(measured, rel=1e-9)


def test_reference_group_ratio_predicts_the_library_on_spike_trains():
    """Groups of identical spike trains, the groups' trains far apart in time (so their traces barely overlap)."""
    trains, sizes = [], (6, 3, 1)
    for g, m in enumerate(sizes):
        train = np.array([20.0, 60.0]) + 120.0 * g
        trains += [train] * m
    measured = participation_ratio(trains, 400.0)
    expected = nb07b.reference_group_participation_ratio(sizes, (1.0, 1.0, 1.0))
    assert measured == pytest.approx(expected, rel=0.05) and expected == pytest.approx(100 / 46)


# ---------------------------------------------------------------------------
# A catalogue of wrong answers
# ---------------------------------------------------------------------------

def _cap_right(n_desired, n_observed):
    if n_desired == 0 and n_observed == 0:
        return 1.0
    if n_desired == 0 or n_observed == 0:
        return 0.0
    return min(n_desired, n_observed) / math.sqrt(n_desired * n_observed)


def _cap_numpy(n_desired, n_observed):                # another right answer: numpy, sqrt of the ratio
    lo, hi = np.minimum(n_desired, n_observed), np.maximum(n_desired, n_observed)
    return 1.0 if hi == 0 else float(np.sqrt(lo / hi))


def _cap_measured(n_desired, n_observed):             # measures instead of deriving: refused
    from normad_edu.metrics import correlation as c
    return c(np.arange(n_desired) * 100.0, np.arange(n_observed) * 100.0)


def _cap_checker_metric(n_desired, n_observed):       # the checker of notebook 03: refused
    from normad_edu.course.exercises.nb03 import reference_spike_correlation
    return reference_spike_correlation(np.arange(n_desired) * 100.0, np.arange(n_observed) * 100.0)


CAP_WRONG = {
    "library metric on built trains": _cap_measured,
    "notebook 03's checker on built trains": _cap_checker_metric,
    "ratio of counts": lambda d, o: 1.0 if d == o == 0 else (min(d, o) / max(d, o)),
    "sqrt(observed / desired)": lambda d, o: 1.0 if d == o == 0 else (0.0 if d == 0 else math.sqrt(o / d)),
    "F-score of matches": lambda d, o: 1.0 if d == o == 0 else 2 * min(d, o) / (d + o),
    "only a missed spike": lambda d, o: 1.0 if d == o else (0.0 if 0 in (d, o) else math.sqrt((d - 1) / d)),
    "both empty gives 0": lambda d, o: 0.0 if d == o == 0 else _cap_right(d, o),
    "one empty gives nan": lambda d, o: float("nan") if (d == 0) != (o == 0) else _cap_right(d, o),
    "no square root on the norms": lambda d, o: 1.0 if d == o == 0 else (0.0 if 0 in (d, o) else min(d, o) / (d * o)),
    "one minus the relative count error": lambda d, o: 1.0 if d == o == 0 else 1 - abs(d - o) / max(d, o),
    "rounded to 2 decimals": lambda d, o: round(_cap_right(d, o), 2),
    "returns the two norms": lambda d, o: (math.sqrt(d), math.sqrt(o)),
    "cap of 1 whatever the counts": lambda d, o: 1.0,
}

def _groups_right(sizes, rms):
    var = np.asarray(sizes) * np.asarray(rms, dtype=float) ** 2      # one eigenvalue per group
    return float(var.sum() ** 2 / np.sum(var ** 2))


def _groups_by_eigenvalues(sizes, rms):              # builds the covariance and diagonalises it: right too
    n = int(np.sum(sizes))
    C = np.zeros((n, n))
    start = 0
    for m, r in zip(sizes, rms):
        C[start:start + m, start:start + m] = r ** 2
        start += m
    lam = np.linalg.eigvalsh(C)
    return float(lam.sum() ** 2 / np.sum(lam ** 2))


def _groups_library(sizes, rms):                     # spike trains through the library's measure: refused
    from normad_edu.metrics import participation_ratio as pr
    trains = [np.array([10.0 + 50.0 * g]) for g, m in enumerate(sizes) for _ in range(int(m))]
    return pr(trains, 50.0 * len(sizes) + 20.0)


def _groups_var(sizes, rms):
    return np.asarray(sizes) * np.asarray(rms, dtype=float) ** 2


GROUPS_WRONG = {
    "library participation ratio of built trains": _groups_library,
    "number of groups": lambda sizes, rms: float(len(sizes)),
    "number of active groups": lambda sizes, rms: float(np.sum(np.asarray(rms) > 0)),
    "number of neurons": lambda sizes, rms: float(np.sum(sizes)),
    "rms not squared": lambda sizes, rms: _groups_right(sizes, np.sqrt(np.asarray(rms, dtype=float))),
    "strengths ignored": lambda sizes, rms: _groups_right(sizes, np.ones(len(sizes))),
    "eigenvalue m^2 rms^2": lambda sizes, rms: _groups_right(np.asarray(sizes) ** 2, rms),
    "one eigenvalue per neuron": lambda sizes, rms: _groups_right(np.ones(int(np.sum(sizes)), int),
                                                                  np.repeat(rms, sizes)),
    "upside down": lambda sizes, rms: float(np.sum(_groups_var(sizes, rms) ** 2) / _groups_var(sizes, rms).sum() ** 2),
    "sum over the largest": lambda sizes, rms: float(_groups_var(sizes, rms).sum() / _groups_var(sizes, rms).max()),
    "entropy of the shares": lambda sizes, rms: float(np.exp(-np.sum(
        (q := _groups_var(sizes, rms)[_groups_var(sizes, rms) > 0] / _groups_var(sizes, rms).sum()) * np.log(q)))),
    "rounded to 1 decimal": lambda sizes, rms: round(_groups_right(sizes, rms), 1),
    "returns the eigenvalues": _groups_var,
}

RIGHT = {"count_error_cap": _cap_right, "group_participation_ratio": _groups_right}
WRONG = {"count_error_cap": CAP_WRONG, "group_participation_ratio": GROUPS_WRONG}
REFUSED = {("count_error_cap", "library metric on built trains"),
           ("count_error_cap", "notebook 03's checker on built trains"),
           ("group_participation_ratio", "library participation ratio of built trains")}
#: Pieces of the answer's formula (regular expressions) that no hint of the checker may state.
ANSWER_FORMULAS = {"count_error_cap": [r"sqrt\(min", r"min\(n_d\w*, n_o\w*\) ?/ ?(math\.|np\.)?sqrt",
                                       r"sqrt\(n_d\w* \* n_o\w*\)", r"sqrt\(\(n ?- ?1\) ?/ ?n\)"],
                   "group_participation_ratio": [r"m_?g? ?\*? ?rms", r"sizes ?\* ?rms", r"eigenvalues? (is|are) m",
                                                 r"n\^2 ?/ ?sum", r"\(sum m\)\^2"]}


def test_catalogue_covers_the_new_exercises():
    assert set(RIGHT) == set(WRONG) == set(ANSWER_FORMULAS) == {"count_error_cap", "group_participation_ratio"}
    assert {n for n, ex in exercises.EXERCISES.items() if ex.notebook == "07"} == {"first_spike_times",
                                                                                    "count_error_cap"}
    assert {n: ex.number for n, ex in exercises.EXERCISES.items() if ex.notebook == "07b"} == {
        "mcnemar_exact_p": "7b.1", "group_participation_ratio": "7b.2"}


def test_another_right_answer_passes_7b2():
    verdict = evaluate("group_participation_ratio", _groups_by_eigenvalues)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("label", sorted(GROUPS_WRONG))
def test_wrong_answer_is_caught_7b2(label):
    verdict = evaluate("group_participation_ratio", GROUPS_WRONG[label])
    expected = "refused" if ("group_participation_ratio", label) in REFUSED else "failed"
    assert verdict.status == expected, verdict.message


def test_the_7b2_formula_test_is_not_blind():
    formulas = ANSWER_FORMULAS["group_participation_ratio"]
    for stated in ("each group's eigenvalue is m * rms^2", "PR = n^2 / sum of m_g^2 for equal strengths",
                   "use sizes * rms**2"):
        assert any(re.search(f, stated) for f in formulas), stated


def test_another_right_answer_passes():
    verdict = evaluate("count_error_cap", _cap_numpy)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("label", sorted(CAP_WRONG))
def test_wrong_answer_is_caught(label):
    verdict = evaluate("count_error_cap", CAP_WRONG[label])
    expected = "refused" if ("count_error_cap", label) in REFUSED else "failed"
    assert verdict.status == expected, verdict.message


def test_the_formula_test_is_not_blind():
    formulas = ANSWER_FORMULAS["count_error_cap"]
    for stated in ("the cap is sqrt(min(n_d, n_o) / max(n_d, n_o))", "min(n_desired, n_observed) / sqrt(...)",
                   "one missed spike gives sqrt((n - 1) / n)"):
        assert any(re.search(f, stated) for f in formulas), stated


# ---------------------------------------------------------------------------
# The notebooks
# ---------------------------------------------------------------------------

def _cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for c in cells:
        c["text"] = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        c["tags"] = c.get("metadata", {}).get("tags", [])
    return cells


def _notebook(prefix: str) -> Path:
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    return path


def _two_checked_exercises(prefix: str) -> tuple[list[dict], list[int], list[str]]:
    """The notebook's cells, the indices of its exercise stubs and the names of its exercises, each exercise checked:
    task cell, stub that says "not implemented yet", check cell, and a folded solution that passes."""
    cells = _cells(_notebook(prefix))
    stubs = [i for i, c in enumerate(cells) if "exercise" in c["tags"] and c["cell_type"] == "code"]
    names = []
    for i in stubs:
        task, stub, check, solution = cells[i - 1], cells[i], cells[i + 1], cells[i + 2]
        (name,) = re.findall(r"^def (\w+)\(", stub["text"], re.M)
        names.append(name)
        number = exercises.EXERCISES[name].number
        assert "exercise-task" in task["tags"] and task["text"].startswith(f"### Exercise {number}:")
        assert "raise NotImplementedError" in stub["text"] and f"check_{name}({name})" in check["text"]
        assert "solution" in solution["tags"] and solution["text"].lstrip().startswith("<details>")
        ns = {"np": np}
        exec(stub["text"], ns)
        assert evaluate(name, ns[name]).status == "not implemented"
        (code,) = re.findall(r"```python\n(.*?)```", solution["text"], re.S)
        ns = {"np": np}
        exec(code, ns)
        verdict = evaluate(name, ns[name])
        assert verdict.passed, verdict.message
    return cells, stubs, names


def test_notebook_07_has_two_checked_exercises_and_7_2_is_not_a_transcription():
    cells, stubs, names = _two_checked_exercises("07")
    assert names == ["first_spike_times", "count_error_cap"]
    # 7.2 is a derivation: no markdown cell before its folded solution states the cap
    before = "\n".join(c["text"] for c in cells[:stubs[1] + 2] if c["cell_type"] == "markdown")
    assert not re.search(r"sqrt\{?\\?\(?\s*\(?n\s*-\s*1|\\sqrt\{\\frac\{\\min|sqrt\(\(n-1\)/n\)", before)


def test_notebook_07b_has_two_checked_exercises_and_7b_2_is_not_a_transcription():
    cells, stubs, names = _two_checked_exercises("07b")
    assert names == ["mcnemar_exact_p", "group_participation_ratio"]
    # 7b.2 is a derivation: no markdown cell before its folded solution gives a group's eigenvalue or the result
    before = "\n".join(c["text"] for c in cells[:stubs[1] + 2] if c["cell_type"] == "markdown")
    assert "(7b.3)" in before and "\\tag{7b.3}" in before
    assert not re.search(r"m_g\s*\\?,?\s*(r|\\mathrm\{rms\})_g\^2|m_g\s*\\sigma_g\^2|eigenvalues? (is|are) \$?m|"
                         r"\\sum_g m_g\^2|n\^2\s*/", before)


def _words(path: Path) -> int:
    return sum(len(c["text"].split()) for c in _cells(path) if c["cell_type"] == "markdown")


def test_notebook_07b_is_a_lesson_not_a_log():
    path = _notebook("07b")
    cells = _cells(path)
    assert _words(path) <= 2500, f"{path.name}: {_words(path)} words of prose"
    minutes = int(re.search(r"\*\*Estimated time:\*\* (\d+) minutes", cells[0]["text"]).group(1))
    assert minutes <= 50
    text = "\n".join(c["text"] for c in cells)
    tags = re.findall(r"\\tag\{([^}]*)\}", text)
    assert tags == ["7b.1", "7b.2", "7b.3"]
    assert not re.search(r"\(7\.\d+\)", "\n".join(c["text"] for c in cells if c["cell_type"] == "markdown"))
    nav = "[Previous: 07 Deep SNN](07_deep_snn.ipynb) | [Next: 08 Assignments](08_assignments.ipynb)"
    assert nav in cells[0]["text"] and cells[-1]["text"].strip() == nav
    assert ("Reference card: [algorithm](../docs/reference/algorithm.md) · [equation sheet](../docs/reference/"
            "equations.md) · [glossary](../docs/reference/glossary.md) · [further reading](../docs/reference/"
            "further-reading.md)") in cells[0]["text"]
    # the complete tables live on the research pages (not shipped with the course: linked at this release)
    from normad_edu.course.shipped import RELEASE_REF
    for page in ("docs/research.md", "docs/research/predeclared-confirmation.md"):
        assert f"https://github.com/normad-edu/normad_edu/blob/{RELEASE_REF}/{page}" in text
        assert (NOTEBOOKS.parent / page).is_file()
    assert not re.search(r"\.\./shared|r_1 = r_2 = 0\.03", text)


@pytest.mark.parametrize("path", [NOTEBOOKS / "07_deep_snn.ipynb", NOTEBOOKS / "07b_lever_study.ipynb",
                                  NOTEBOOKS / "08_assignments.ipynb", INSTRUCTOR / "08_assignments.ipynb"],
                         ids=["07", "07b", "08", "08-instructor"])
def test_the_notebook_ends_with_its_quiz_then_the_links(path):
    from normad_edu.course.quizzes import quiz
    prefix = path.name.split("_")[0]
    cells = _cells(path)
    heads = [i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and c["text"].startswith("## Self-check quiz")]
    assert len(heads) == 1
    i = heads[0]
    assert "q.answer(" in cells[i]["text"]
    assert cells[i + 1]["cell_type"] == "code" and f'q = quiz("{prefix}")' in cells[i + 1]["text"]
    assert [c["cell_type"] for c in cells[i + 2:]] == ["markdown"] and "[Previous:" in cells[i + 2]["text"]
    assert 3 <= len(quiz(prefix).questions) <= 6


def test_08_links_follow_the_course_order():
    for path in (NOTEBOOKS / "08_assignments.ipynb", INSTRUCTOR / "08_assignments.ipynb"):
        text = "\n".join(c["text"] for c in _cells(path))
        assert "[Previous: 07b Lever study](07b_lever_study.ipynb)" in text and "07_deep_snn.ipynb" not in text
        assert "[Next: 09 NormAD in context](09_normad_in_context.ipynb)" in text
        assert "01–07b" in text and "the library did the work" not in text


HISTORY = re.compile(r"[Ii]ssue \d+|prototype|[Oo]ur copy|from the README|[Tt]he first reconstruction")
COURSE_FILES = [NOTEBOOKS / "07_deep_snn.ipynb", NOTEBOOKS / "07b_lever_study.ipynb",
                NOTEBOOKS / "08_assignments.ipynb", NOTEBOOKS / "10_capstone.ipynb",
                INSTRUCTOR / "08_assignments.ipynb", INSTRUCTOR / "10_capstone.ipynb"]


@pytest.mark.parametrize("path", COURSE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_development_history_no_vacuous_count_assert_and_one_notation(path):
    cells = _cells(path)
    text = "\n".join(c["text"] for c in cells)
    assert not HISTORY.search(text), HISTORY.search(text)
    code = "\n".join(c["text"] for c in cells if c["cell_type"] == "code")
    assert not re.search(r"assert 0 <= \w+(\.\w+|\[[^]]+\])* <= \w+", code)       # 0 <= count <= total cannot fail
    assert "\\dot v" not in text and "v_{\\min}" not in text                        # the clip is \dot V_\mathrm{min}
    assert not re.search(r"\]\s*\\?,?\s*u\(t\)|\$u\(t\)\$ is the Heaviside|\\,u\(t\),", text)   # the step is Theta


def test_08_exercise_2_calls_its_step_delta():
    for path in (NOTEBOOKS / "08_assignments.ipynb", INSTRUCTOR / "08_assignments.ipynb"):
        cells = {c["id"]: c["text"] for c in _cells(path)}
        assert cells["nb08-09"].startswith("def lif_step(u, I1, I2, delta,")
        for cid in ("nb08-08", "nb08-11", "nb08-13"):
            assert not re.search(r"\$h\$(?! the\s+membrane kernel)|E\(h;|\bh = |after `h`", cells[cid]), cid
        assert "E(\\Delta;\\tau)" in cells["nb08-08"]
    assert list(exercises.EXERCISES["lif_step"].arguments)[3] == "delta"
