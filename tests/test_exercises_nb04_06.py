"""Exercises 4.2, 5.2 and 6.2 and the course text of notebooks 04-06.

* the checkers' references are right: against the simulator (4.2), the kernel's peak and an independent root
  finder (5.2), the library's error instants (6.2);
* each new exercise sits in its notebook as stub, check and folded solution; the stub says "not implemented yet"
  and the solution passes;
* notebooks 04-06 end with their self-check quiz, read the backward recursion from the library, and keep the
  course's notation and no development history.

The course-wide tests of every exercise (wrong answers caught, honest hints, no formula in a hint) run in
tests/test_practice.py, with this notebook range's catalogue (tests/catalogue_nb04_06.py, re-exported here).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from normad_edu import LIFParams, SimParams, forward
from normad_edu.course.exercises import EXERCISES, evaluate
from normad_edu.course.exercises import nb04, nb05, nb06
from normad_edu.kernels import psi_hat_kernel, psi_hat_kernel_dot
from normad_edu.normad import d_hat, error_instants

from catalogue_nb04_06 import ANSWER_FORMULAS, REFUSED, RIGHT, WRONG, _flip_right  # noqa: F401 (read by test_practice)

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NEW = {"04": "one_update_rate", "05": "blame_flip_lag", "06": "hit_window"}


def _cells(prefix: str) -> list[dict]:
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for c in cells:
        c["text"] = "".join(c["source"])
        c["tags"] = c.get("metadata", {}).get("tags", [])
    return cells


# ---------------------------------------------------------------------------
# The references are right
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("k", range(len(nb04._rate_cases())))
def test_one_update_rate_is_where_the_simulated_neuron_starts_to_fire(k):
    case = nb04._rate_cases()[k]
    t_g, trains, times, tau_L_hat, tau_L, theta = case.args
    r_star = case.expected
    lif = LIFParams(gL=LIFParams().C / tau_L, VT=LIFParams().EL + theta)
    sim = SimParams(dt=round(float(times[1] - times[0]), 10), T=float(times[-1]))
    u = d_hat(t_g, trains, tau_L_hat=tau_L_hat)
    u = u / np.linalg.norm(u)
    rates = np.array([r_star * (1 - 1e-4), r_star * (1 + 1e-7)])
    inside = [tr[tr < sim.T] for tr in trains]                  # spikes after the epoch cannot matter before it
    counts = forward(inside, [rates[:, None, None] * u], lif=lif, sim=sim).output.counts[:, 0]
    assert counts[0] == 0 and counts[1] > 0, (case.label, counts)


def test_one_update_rate_first_spike_is_not_at_the_desired_time_in_general():
    """The point of exercise 4.2: the potential after the update peaks elsewhere (before t_g in one case)."""
    peaks = []
    for case in nb04._rate_cases():
        t_g, trains, times, tau_L_hat, tau_L, _ = case.args
        u = d_hat(t_g, trains, tau_L_hat=tau_L_hat)
        peaks.append(times[np.argmax(d_hat(times, trains, tau_L_hat=tau_L) @ u)] - t_g)
    assert min(peaks) < -1.0 and max(peaks) > 1.0


@pytest.mark.parametrize("args", [(), (5.0, 1.25, 10.0), (5.0, 1.25, 1.0), (8.0, 2.0, 2.5), (4.0, 0.5, 4.0),
                                  (12.0, 3.0, 0.7)])
def test_blame_flip_lag_is_the_peak_of_psi_hat(args):
    s = nb05.reference_blame_flip_lag(*args)
    tau1, tau2, tau_L_hat = (args or (5.0, 1.25, 2.5))
    assert s == pytest.approx(_flip_right(tau1, tau2, tau_L_hat), abs=1e-10)
    peak = psi_hat_kernel(s, tau1, tau2, tau_L_hat=tau_L_hat)
    for eps in (1e-3, 1e-1, 1.0):
        assert psi_hat_kernel(s - eps, tau1, tau2, tau_L_hat=tau_L_hat) < peak
        assert psi_hat_kernel(s + eps, tau1, tau2, tau_L_hat=tau_L_hat) < peak
    assert psi_hat_kernel_dot(s * 0.99, tau1, tau2, tau_L_hat=tau_L_hat) > 0
    assert psi_hat_kernel_dot(s * 1.01, tau1, tau2, tau_L_hat=tau_L_hat) < 0


def test_blame_flip_lag_matches_the_text():
    assert nb05.reference_blame_flip_lag() == pytest.approx(5.03, abs=0.005)        # "s* = 5.03 ms" in notebook 05
    assert nb05.reference_blame_flip_lag(tau_L_hat=10.0) == pytest.approx(8.4367, abs=1e-4)   # psi's peak


def test_hit_window_is_what_error_instants_cancel():
    rng = np.random.default_rng(7)
    rows = [c.args for c in nb06._window_cases()] + [
        (float(rng.uniform(0, 100)), float(rng.choice([0.05, 0.1, 0.25, 1.0])), float(rng.uniform(0, 0.99)))
        for _ in range(40)]
    for t_d, width, offset in rows:
        lo, hi = nb06.reference_hit_window(t_d, width, offset)
        assert hi - lo == pytest.approx(width) and lo <= t_d < hi + 1e-12
        for t, inside in ((lo + 1e-6 * width, True), (hi - 1e-6 * width, True), (lo - 1e-6 * width, False),
                          (hi + 1e-6 * width, False), (0.5 * (lo + hi), True)):
            cancelled = error_instants([t_d], [t], width, offset)[0].size == 0
            assert cancelled is inside, (t_d, width, offset, t, inside)


# ---------------------------------------------------------------------------
# The notebooks: the new exercises, the quiz, the text
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("prefix,name", sorted(NEW.items()))
def test_new_exercise_has_stub_check_and_folded_solution_that_passes(prefix, name):
    cells = _cells(prefix)
    (i,) = [i for i, c in enumerate(cells) if "exercise" in c["tags"] and f"def {name}(" in c["text"]]
    task, stub, check, solution = cells[i - 1], cells[i], cells[i + 1], cells[i + 2]
    number = EXERCISES[name].number
    assert "exercise-task" in task["tags"] and task["text"].startswith(f"### Exercise {number}:")
    assert "raise NotImplementedError" in stub["text"]
    assert check["cell_type"] == "code" and f"check_{name}({name})" in check["text"] and "check" in check["tags"]
    assert solution["cell_type"] == "markdown" and "solution" in solution["tags"]
    assert solution["text"].lstrip().startswith("<details>") and solution["text"].rstrip().endswith("</details>")
    ns = {"np": np}
    exec(stub["text"], ns)
    assert evaluate(EXERCISES[name], ns[name]).status == "not implemented"
    (code,) = re.findall(r"```python\n(.*?)```", solution["text"], re.S)
    ns = {"np": np}
    exec(code, ns)
    verdict = evaluate(EXERCISES[name], ns[name])
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("prefix", sorted(NEW))
def test_each_notebook_has_two_checked_exercises_one_of_them_new(prefix):
    checks = [c for c in _cells(prefix) if "check" in c["tags"]]
    names = {m for c in checks for m in re.findall(r"check_(\w+)\(\1\)", c["text"])}
    assert len(names) >= 2 and NEW[prefix] in names
    assert all(EXERCISES[n].notebook == prefix for n in names)


@pytest.mark.parametrize("prefix", sorted(NEW))
def test_notebook_ends_with_its_self_check_quiz(prefix):
    cells = _cells(prefix)
    heading, run = cells[-2], cells[-1]
    assert heading["cell_type"] == "markdown" and heading["text"].startswith("## Self-check quiz")
    assert "q.answer(" in heading["text"]
    assert run["cell_type"] == "code" and f'quiz("{prefix}")' in run["text"]
    recap = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and "## Recap" in c["text"]]
    assert recap and recap[-1] < len(cells) - 2


@pytest.mark.parametrize("prefix", sorted(NEW))
def test_no_development_history_in_the_text(prefix):
    text = "\n".join(c["text"] for c in _cells(prefix))
    for pattern in (r"[Ii]ssue \d+", r"prototype", r"our copy", r"from the README", r"Sections 3\.2-6\.1"):
        assert not re.search(pattern, text), pattern
    assert "reconstructed, see notebook 00" in text


@pytest.mark.parametrize("prefix", sorted(NEW))
def test_notation_h_is_the_membrane_kernel_and_the_step_is_theta(prefix):
    md = "\n".join(c["text"] for c in _cells(prefix) if c["cell_type"] == "markdown")
    assert not re.search(r"\}u\(t\)|\)u\(t\)", md)                 # the unit step is Theta(t), never u(t)
    assert not re.search(r"\\mathbf h\b|\bh_j\b", md)               # h is never a hidden-layer vector


def test_05_reads_the_recursion_from_the_library():
    code = "\n".join(c["text"] for c in _cells("05") if c["cell_type"] == "code")
    assert "backward_steps(" in code and "inspect.getsource(backward_steps)" in code
    assert "spike_adjoints(" not in code and "gradients_from_adjoints(" not in code


def test_estimated_times_are_stated():
    for prefix, minutes in (("04", 65), ("05", 75), ("06", 60)):
        first = _cells(prefix)[0]["text"]
        assert f"**Estimated time:** {minutes} minutes" in first
        assert "self-check quiz" in first
