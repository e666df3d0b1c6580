"""Tests for normad_edu.course.student (the student-version generator), for the
structure of the instructor notebook instructor/08_assignments.ipynb and for
the student version committed as notebooks/08_assignments.ipynb (what
learners get everywhere: the wheel, the site, Colab, Binder).

The generated student notebook is executed in a real Jupyter kernel: it must
run to the end, every check must report "not implemented yet" and print
nothing else (no echoed verdict). tests/test_nbgrader.py checks that it
equals nbgrader's own student version.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

from normad_edu.course.exercises import nb08  # noqa: E402
from normad_edu.course.student import (  # noqa: E402
    BEGIN,
    BEGIN_HIDDEN,
    CODE_STUB,
    END,
    END_HIDDEN,
    INSTRUCTOR_TAG,
    MARKDOWN_STUB,
    SolutionMarkerError,
    hidden_test_blocks,
    main,
    make_student_notebook,
    solution_blocks,
    strip_hidden_tests,
    strip_solutions,
    student_notebook,
    unassert_checks,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "instructor" / "08_assignments.ipynb"
STUDENT = ROOT / "notebooks" / "08_assignments.ipynb"
NUMBERS = {name: ex.number for name, ex in nb08.EXERCISES.items()}
N_EXERCISES = len(NUMBERS)


@pytest.fixture(scope="module")
def instructor():
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def student_path(tmp_path_factory, instructor):
    dst = tmp_path_factory.mktemp("student") / "08_assignments.ipynb"
    make_student_notebook(NOTEBOOK, dst)
    return dst


@pytest.fixture(scope="module")
def student(student_path):
    return nbformat.read(student_path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


# --------------------------------------------------------------------------
# the instructor notebook: one balanced solution per exercise, each checked
# --------------------------------------------------------------------------


def test_instructor_notebook_has_one_balanced_solution_per_exercise(instructor):
    solution_cells = []
    for n, cell in enumerate(instructor.cells):
        blocks = solution_blocks(cell.source, where=f"cell {n}")  # raises if unbalanced
        lines = [line.strip() for line in cell.source.splitlines()]
        assert lines.count(BEGIN) == lines.count(END) == len(blocks)
        if blocks and cell.cell_type == "code":
            assert len(blocks) == 1, f"cell {n}: one solution block per exercise cell"
            solution_cells.append(cell)
    assert len(solution_cells) == N_EXERCISES
    for (name, number), cell in zip(NUMBERS.items(), solution_cells):
        assert re.search(rf"^def {name}\(", cell.source, re.M), f"exercise {number} should define {name}"
        assert f"# Exercise {number} --" in cell.source  # the commented template names the exercise
        template = cell.source.split(BEGIN)[0]
        assert "..." in template, f"exercise {number}: the template needs ... placeholders"
        body = cell.source.split(BEGIN)[1].split(END)[0]
        assert body.strip(), f"exercise {number}: empty solution"


def test_every_exercise_is_checked_then_asserted_in_hidden_tests_after_its_definition(instructor):
    """Visible: ``check_x(x)``; hidden (graded): the checker modules reloaded, then ``assert ...check_x(x, hidden=True)``."""
    code = [c.source for c in _code(instructor)]
    for name in NUMBERS:
        defined = next(i for i, src in enumerate(code) if re.search(rf"^def {name}\(", src, re.M))
        checked = [i for i, src in enumerate(code) if src.startswith(f"check_{name}({name})\n")]
        assert len(checked) == 1 and checked[0] > defined, name
        src = code[checked[0]]
        (begin, end), = hidden_test_blocks(src)
        hidden = "\n".join(src.splitlines()[begin + 1:end])
        reload = hidden.index("importlib.reload(")
        assert all(f'"{m}"' in hidden for m in ("borrowing", "framework", "nb08")), name
        assert hidden.index(f"check_{name}({name}, hidden=True)") > reload, name
        assert re.search(rf"^assert \w+\.check_{name}\({name}, hidden=True\)", hidden, re.M), name


def test_instructor_notebook_is_committed_without_outputs(instructor):
    for cell in _code(instructor):
        assert cell.outputs == [] and cell.execution_count is None
    nbformat.validate(instructor)


def test_instructor_notebook_anatomy(instructor):
    text = "\n".join(c.source for c in instructor.cells if c.cell_type == "markdown")
    assert text.lstrip().startswith("# 08")
    assert "Learning objectives" in text and "Estimated time" in text and "Recap" in text
    assert "07b_lever_study.ipynb" in text and "00_overview.ipynb" in text     # the previous notebook is 07b
    assert "$$" in text  # equations in LaTeX


def test_the_committed_student_version_is_what_the_generator_writes(tmp_path):
    """notebooks/08_assignments.ipynb (what learners get) is the student version of instructor/08_assignments.ipynb,
    byte for byte: regenerate it with
    ``python -m normad_edu.course.student instructor/08_assignments.ipynb -o notebooks/08_assignments.ipynb``."""
    written = make_student_notebook(NOTEBOOK, tmp_path / STUDENT.name)
    assert written.read_bytes() == STUDENT.read_bytes(), "notebooks/08 is stale: regenerate it (see the docstring)"
    assert nbformat.read(STUDENT, as_version=4).metadata["normad_edu"]["student_version"] is True


def test_no_instructor_notebook_in_notebooks():
    """notebooks/ holds only what learners may see: no solution block, no hidden test, no model answer."""
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for n, cell in enumerate(nb.cells):
            assert not solution_blocks(cell.source, where=f"{path.name} cell {n}"), path.name
            assert not hidden_test_blocks(cell.source, where=f"{path.name} cell {n}"), path.name


# --------------------------------------------------------------------------
# marker parsing and cell transformations
# --------------------------------------------------------------------------


@pytest.mark.parametrize("source, message", [
    (f"x = 1\n{BEGIN}\ny = 2\n", "never closed"),
    (f"x = 1\n{END}\n", "without a matching"),
    (f"{BEGIN}\n{BEGIN}\n{END}\n{END}\n", "inside the block"),
    (f"{BEGIN}\na\n{END}\n{END}\n", "without a matching"),
    ("The markers are `### BEGIN SOLUTION` and the end marker.\n", "without being a marker line"),
    (f"{BEGIN}\nx = 1  # END SOLUTION here\n{END}\n", "without being a marker line"),
])
def test_unbalanced_markers_raise_a_clear_error(source, message):
    with pytest.raises(SolutionMarkerError, match=message) as info:
        solution_blocks(source, where="cell 3")
    assert "cell 3, line" in str(info.value)
    with pytest.raises(SolutionMarkerError):
        strip_solutions(source)


def test_marker_lines_tolerate_indentation_and_spacing():
    src = f"def f():\n    {BEGIN}\n    return 1\n      ###   END SOLUTION  \n"
    assert solution_blocks(src) == [(1, 3)]


def test_strip_solutions_code_stub():
    src = (
        "def lif_step(u, h):\n"
        '    """doc"""\n'
        "    # Exercise 2 -- replace each ...\n"
        "    # u_new = ...\n"
        f"    {BEGIN}\n"
        "    u_new = u * 2\n"
        "    return u_new\n"
        f"    {END}\n"
        "\n"
        "print('after')\n"
    )
    out = strip_solutions(src)
    ast.parse(out)
    assert "u * 2" not in out and BEGIN not in out and END not in out
    assert "    # YOUR CODE HERE\n    raise NotImplementedError()\n" in out  # nbgrader's stub, indented
    assert CODE_STUB == ("# YOUR CODE HERE", "raise NotImplementedError()")
    assert "# u_new = ..." in out and out.rstrip().endswith("print('after')")
    ns = {}
    exec(out, ns)
    with pytest.raises(NotImplementedError):
        ns["lif_step"](1.0, 0.1)


def test_strip_solutions_handles_markdown():
    md = strip_solutions(f"Question?\n\n{BEGIN}\nThe answer.\n{END}\n", cell_type="markdown")
    assert "The answer" not in md and MARKDOWN_STUB in md and md.startswith("Question?")
    assert MARKDOWN_STUB == "YOUR ANSWER HERE"  # nbgrader's text stub


def test_strip_hidden_tests():
    src = f"check_a(f);\n{BEGIN_HIDDEN}\nassert check_a(f, hidden=True)\n{END_HIDDEN}\nprint(1)"
    assert strip_hidden_tests(src) == "check_a(f);\nprint(1)"
    assert strip_hidden_tests("x = 1") == "x = 1"
    with pytest.raises(SolutionMarkerError, match="never closed"):
        strip_hidden_tests(f"{BEGIN_HIDDEN}\nassert x\n")
    with pytest.raises(SolutionMarkerError, match="without being a marker line"):
        hidden_test_blocks("# the BEGIN HIDDEN TESTS marker starts the graded part")


@pytest.mark.parametrize("source, expected", [
    ("assert check_alpha_kernel(alpha_kernel)", "check_alpha_kernel(alpha_kernel);"),
    ("assert check_lif_step(lif_step), 'lif_step is wrong'", "check_lif_step(lif_step);"),
    ("x = 1\nassert checks.check_lif_step(\n    lif_step,\n)\ny = 2",
     "x = 1\nchecks.check_lif_step(\n    lif_step,\n);\ny = 2"),
    ("if True:\n    assert check_a(f)  # note", "if True:\n    check_a(f);  # note"),
    ("assert np.allclose(a, b)", "assert np.allclose(a, b)"),
    ("assert ok", "assert ok"),
    ("%time assert check_a(f)", "%time assert check_a(f)"),  # not Python: line pattern, left alone
    ("%matplotlib inline\nassert check_a(f)", "%matplotlib inline\ncheck_a(f);"),
])
def test_unassert_checks(source, expected):
    assert unassert_checks(source) == expected


# --------------------------------------------------------------------------
# the generated student notebook
# --------------------------------------------------------------------------


def test_student_notebook_has_no_solution_left(instructor, student):
    text = "\n".join(c.source for c in student.cells)
    assert BEGIN not in text and END not in text
    assert "assert check_" not in text
    assert BEGIN_HIDDEN not in text and END_HIDDEN not in text and "hidden=True" not in text
    solution_lines = set()
    for cell in instructor.cells:
        for begin, end in solution_blocks(cell.source):
            for line in cell.source.splitlines()[begin + 1:end]:
                line = line.strip()
                if line and not line.startswith("#"):
                    solution_lines.add(line)
    assert len(solution_lines) > 20
    student_lines = {line.strip() for c in student.cells for line in c.source.splitlines()}
    leaked = solution_lines & student_lines
    assert not leaked, f"solution lines left in the student version: {sorted(leaked)}"


def test_student_notebook_stubs_and_checks(student):
    code = [c.source for c in _code(student)]
    stub = "\n".join("    " + line for line in CODE_STUB)  # at the solution's indentation
    stubbed = [re.match(r"def (\w+)\(", src).group(1) for src in code if stub in src]
    assert stubbed == list(NUMBERS)  # one stub per exercise, in order
    for name in NUMBERS:
        assert code.count(f"check_{name}({name})") == 1  # the whole check cell: one call
    for src in code:
        ast.parse(src)  # every cell is valid Python
    answers = [c.source for c in student.cells
               if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("solution")]
    assert answers == [MARKDOWN_STUB] * N_EXERCISES  # each written answer cell is the stub alone


def test_student_notebook_metadata_outputs_and_instructor_cells(instructor, student):
    nbformat.validate(student)
    assert student.metadata["normad_edu"]["student_version"] is True
    for cell in _code(student):
        assert cell.outputs == [] and cell.execution_count is None
    # 08 has no instructor-only cell (nbgrader would not drop it): the guide is docs/instructor-guide.md
    assert not any(INSTRUCTOR_TAG in c.metadata.get("tags", []) for c in instructor.cells)
    assert len(student.cells) == len(instructor.cells)
    assert [c.metadata.get("nbgrader") for c in student.cells] == [c.metadata.get("nbgrader") for c in instructor.cells]


def test_instructor_only_cells_are_dropped():
    nb = _notebook("x = 1", f"def f():\n    {BEGIN}\n    return 1\n    {END}\n")
    teacher = nbformat.v4.new_markdown_cell("For teachers: grade with nbgrader.")
    teacher.metadata["tags"] = [INSTRUCTOR_TAG]
    nb.cells.insert(1, teacher)
    out = student_notebook(nb)
    assert len(out.cells) == 2 and "For teachers" not in "\n".join(c.source for c in out.cells)


def test_solution_cell_without_markers_is_replaced_as_a_whole():
    """As nbgrader does with a cell marked as a solution cell in its metadata."""
    nb = _notebook("x = 1", "def f():\n    return 42\n")
    nb.cells[1].metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "f",
                                        "schema_version": 3}
    answer = nbformat.v4.new_markdown_cell("The answer is 42.")
    answer.metadata["nbgrader"] = {"solution": True, "grade": True, "points": 1, "locked": False,
                                   "grade_id": "why", "schema_version": 3}
    nb.cells.append(answer)
    out = student_notebook(nb)
    assert [c.source for c in out.cells] == ["x = 1", "\n".join(CODE_STUB), MARKDOWN_STUB]


def test_outputs_of_an_executed_instructor_notebook_are_stripped(instructor, tmp_path):
    nb = nbformat.from_dict(instructor)
    for n, cell in enumerate(_code(nb)):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="[PASS] solution output\n")]
        cell.metadata["execution"] = {"iopub.status.idle": "2024-01-01T00:00:00Z"}
    src = tmp_path / "executed.ipynb"
    nbformat.write(nb, src)
    out = nbformat.read(make_student_notebook(src, tmp_path / "out.ipynb"), as_version=4)
    for cell in _code(out):
        assert cell.outputs == [] and cell.execution_count is None and "execution" not in cell.metadata


def test_student_notebook_is_not_modified_in_place(instructor):
    before = nbformat.writes(instructor)
    student_notebook(instructor)
    assert nbformat.writes(instructor) == before


def _notebook(*sources, cell_type="code"):
    nb = nbformat.v4.new_notebook()
    make = nbformat.v4.new_code_cell if cell_type == "code" else nbformat.v4.new_markdown_cell
    nb.cells = [make(s) for s in sources]
    return nb


def test_unbalanced_marker_in_a_notebook_names_the_cell(tmp_path):
    src = tmp_path / "bad.ipynb"
    nbformat.write(_notebook("x = 1", f"def f():\n    {BEGIN}\n    return 1\n"), src)
    with pytest.raises(SolutionMarkerError, match=r"cell 1 \(code\), line 2"):
        make_student_notebook(src, tmp_path / "out.ipynb")
    assert not (tmp_path / "out.ipynb").exists()


def test_refuses_bad_inputs(tmp_path, student_path):
    with pytest.raises(ValueError, match="instructor notebook itself"):
        make_student_notebook(NOTEBOOK, NOTEBOOK)
    with pytest.raises(ValueError, match="already a student version"):
        make_student_notebook(student_path, tmp_path / "again.ipynb")
    plain = tmp_path / "plain.ipynb"
    nbformat.write(_notebook("x = 1"), plain)
    with pytest.raises(ValueError, match="no '### BEGIN SOLUTION'"):
        make_student_notebook(plain, tmp_path / "out.ipynb")
    with pytest.raises(FileNotFoundError):
        make_student_notebook(tmp_path / "missing.ipynb", tmp_path / "out.ipynb")
    junk = tmp_path / "junk.ipynb"
    junk.write_text("not json")
    with pytest.raises(ValueError, match="not a readable Jupyter notebook"):
        make_student_notebook(junk, tmp_path / "out.ipynb")


def test_output_directory_and_overwrite(tmp_path):
    out_dir = tmp_path / "handout"
    out_dir.mkdir()
    written = make_student_notebook(NOTEBOOK, out_dir)
    assert written == out_dir / NOTEBOOK.name and written.is_file()
    written.write_text("stale")
    make_student_notebook(NOTEBOOK, written)  # regenerating replaces the file
    assert nbformat.read(written, as_version=4).metadata["normad_edu"]["student_version"]
    assert [p.name for p in out_dir.iterdir()] == [NOTEBOOK.name]  # no temporary file left


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------


def test_main_writes_the_student_notebook(tmp_path, capsys):
    dst = tmp_path / "sub" / "s.ipynb"
    assert main([str(NOTEBOOK), "-o", str(dst)]) == 0
    assert dst.is_file() and f"wrote {dst}" in capsys.readouterr().out


def test_main_default_output_is_student_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([str(NOTEBOOK)]) == 0
    assert (tmp_path / "student" / NOTEBOOK.name).is_file()


@pytest.mark.parametrize("argv", [
    [],
    ["--bogus"],
    ["missing.ipynb", "-o", "x.ipynb"],
    [str(NOTEBOOK), "-o", str(NOTEBOOK)],
    [__file__, "-o", "x.ipynb"],
])
def test_main_bad_arguments_exit_2(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error" in err
    assert not (tmp_path / "x.ipynb").exists()


def test_main_conversion_failure_exits_1(tmp_path, capsys):
    src = tmp_path / "bad.ipynb"
    nbformat.write(_notebook(f"{END}\n"), src)
    assert main([str(src), "-o", str(tmp_path / "out.ipynb")]) == 1
    assert "without a matching" in capsys.readouterr().err


def test_main_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "student version" in capsys.readouterr().out


def test_module_is_runnable(tmp_path):
    dst = tmp_path / "s.ipynb"
    ok = subprocess.run([sys.executable, "-m", "normad_edu.course.student", str(NOTEBOOK), "-o", str(dst)],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert dst.is_file()
    bad = subprocess.run([sys.executable, "-m", "normad_edu.course.student"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "usage" in bad.stderr


# --------------------------------------------------------------------------
# the student notebook runs to the end in a real kernel
# --------------------------------------------------------------------------


def _execute(path: Path, timeout: float = 120.0) -> list[tuple[str, list[str], list[str]]]:
    """Run every code cell of a notebook in a fresh kernel of this environment.

    Returns ``(source, texts, errors)`` per code cell (stream/result text and
    error names/values); stops at the first error, as Jupyter's "run all" does.
    """
    kernel = pytest.importorskip("nbval.kernel")
    nb = nbformat.read(path, as_version=4)
    km, kc = kernel.start_new_kernel(kernel_name=kernel.CURRENT_ENV_KERNEL_NAME, cwd=str(path.parent))
    results = []
    try:
        for cell in _code(nb):
            texts, errors = [], []

            def hook(msg, texts=texts, errors=errors):
                kind, content = msg["msg_type"], msg["content"]
                if kind == "stream":
                    texts.append(content["text"])
                elif kind in ("execute_result", "display_data"):
                    texts.append(content["data"].get("text/plain", ""))
                elif kind == "error":
                    errors.append(f"{content['ename']}: {content['evalue']}")

            reply = kc.execute_interactive(cell.source, timeout=timeout, output_hook=hook)
            if reply["content"]["status"] == "error" and not errors:
                errors.append(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
            results.append((cell.source, texts, errors))
            if errors:
                break
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return results


@pytest.fixture
def quick_env(monkeypatch):
    monkeypatch.setenv("NORMAD_EDU_QUICK", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks its inline backend


def test_student_notebook_runs_to_the_end_reporting_not_implemented(student_path, quick_env):
    results = _execute(student_path)
    errors = [(src.splitlines()[0], err) for src, _, err in results if err]
    assert not errors, errors
    assert len(results) == len(_code(nbformat.read(student_path, as_version=4)))
    output = {src.strip(): "".join(texts) for src, texts, _ in results}
    for name, number in NUMBERS.items():
        text = output[f"check_{name}({name})"]
        assert text.startswith(f"[TODO] Exercise {number} ({name}): not implemented yet")
        assert text.count("\n") == 1 and "Verdict" not in text  # the message once, the verdict not echoed
    assert "0 of 4 passed" in output["results = scoreboard()"]
    assert sum("to run this cell" in "".join(t) for _, t, _ in results) == N_EXERCISES - 1  # explore cells skip


def test_partly_solved_student_notebook_reports_pass_and_fail(student_path, tmp_path, quick_env):
    """A learner's right answer passes and a wrong one fails with a hint; the notebook still runs through."""
    nb = nbformat.read(student_path, as_version=4)
    for cell in _code(nb):
        if cell.source.startswith("def alpha_kernel("):  # wrong: tau1 and tau2 swapped
            cell.source = re.sub(r"    # YOUR CODE HERE.*\n    raise NotImplementedError\(.*\)",
                                 "    t = np.asarray(t, dtype=float)\n"
                                 "    p = np.maximum(t, 0.0)\n"
                                 "    v = np.where(t >= 0, np.exp(-p / tau2) - np.exp(-p / tau1), 0.0)\n"
                                 "    return v if v.ndim else float(v)", cell.source)
        if cell.source.startswith("def lif_step("):  # right
            cell.source = re.sub(r"    # YOUR CODE HERE.*\n    raise NotImplementedError\(.*\)",
                                 "    E = lambda tau: delta * np.exp(-delta / tau_L) if tau == tau_L else "
                                 "(np.exp(-delta / tau) - np.exp(-delta / tau_L)) / (1 / tau_L - 1 / tau)\n"
                                 "    u_new = u * np.exp(-delta / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C\n"
                                 "    return u_new, I1 * np.exp(-delta / tau1), I2 * np.exp(-delta / tau2)", cell.source)
        if cell.source.startswith("def normad_single_update("):  # borrowed: refused
            cell.source = re.sub(r"    # YOUR CODE HERE.*\n    raise NotImplementedError\(.*\)",
                                 "    from normad_edu.course.exercises.nb08 import reference_normad_single_update as ref\n"
                                 "    return ref(input_trains, desired, observed, r, tau_L_hat, coincidence_dt, "
                                 "tau1, tau2, C)", cell.source)
    path = tmp_path / "partly.ipynb"
    nbformat.write(nb, path)
    results = _execute(path)
    assert not [err for _, _, err in results if err]
    output = {src.strip(): "".join(texts) for src, texts, _ in results}
    assert "[FAIL] Exercise 1 (alpha_kernel)" in output["check_alpha_kernel(alpha_kernel)"]
    assert "swapped" in output["check_alpha_kernel(alpha_kernel)"]
    assert output["check_lif_step(lif_step)"].startswith("[PASS] Exercise 2 (lif_step)")
    assert output["check_lif_step(lif_step)"].count("\n") == 1  # the message, nothing else
    assert "[REFUSED]" in output["check_normad_single_update(normad_single_update)"]
    assert "reference_normad_single_update, the checker's own code" in output[
        "check_normad_single_update(normad_single_update)"]
    explore = next("".join(t) for src, t, _ in results if src.startswith('if passed("lif_step")'))
    assert "forward Euler error" in explore
    board = output["results = scoreboard()"]
    assert "1 of 4 passed" in board and "failed" in board and "not implemented yet" in board
    assert "refused (uses normad_edu.course.exercises.nb08.reference_normad_single_update)" in board


def test_runs_under_nbval(student_path, tmp_path):
    """The handout also passes `pytest --nbval-lax` (how a course CI would run it)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = dict(os.environ, NORMAD_EDU_QUICK="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
                           "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), str(student_path)],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
