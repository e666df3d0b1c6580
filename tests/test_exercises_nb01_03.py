"""Tests for the second exercises of notebooks 01-03 (1.2 steady_peak, 2.2 firing_rate, 3.2 exp_correlation), the
practice and quiz sections of notebooks 00-03, and their provenance text.

* the checkers' references are right: against a brute-force sum of kernels, the exact step of
  ``normad_edu.lif`` and the simulator, and a numerical integral of the exponential traces (never against
  themselves);
* a catalogue of wrong answers per exercise, written here independently of the checker's own list of
  mistakes, is caught; right answers written here pass (``RIGHT``, ``WRONG``, ``REFUSED`` and
  ``ANSWER_FORMULAS`` are also read by tests/test_practice.py, which runs its course-wide tests on them);
* every exercise cell of notebooks 01-03 has its check and folded solution, the stub says "not implemented
  yet" and the solution passes; each notebook 01-03 has at least two exercises; notebooks 00-03 end with
  their self-check quiz;
* the provenance statement lives in notebook 00 only, and notebooks 00-03 hold no development history.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from normad_edu import LIFParams, SynapseParams
from normad_edu.course import exercises
from normad_edu.course.exercises import framework as F
from normad_edu.course.exercises import nb01, nb02, nb03
from normad_edu.kernels import alpha_kernel
from normad_edu.lif import neuron_piece
from normad_edu.metrics import exponential_trace, van_rossum_distance

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NEW = ("steady_peak", "firing_rate", "exp_correlation")


def evaluate(name, fn) -> F.Verdict:
    return F.evaluate(exercises.EXERCISES[name], fn)


# ---------------------------------------------------------------------------
# The references are right
# ---------------------------------------------------------------------------

def test_reference_steady_peak_is_the_maximum_of_a_brute_force_sum_of_kernels():
    for period, tau1, tau2 in ((10.0, 5.0, 1.25), (1.5, 5.0, 1.25), (30.0, 9.0, 0.7), (4.0, 3.0, 2.5)):
        t_peak, c_peak = nb01.reference_steady_peak(period, tau1, tau2)
        t = np.linspace(0.0, period, 400_001)
        past = np.arange(0, int(80 * tau1 / period) + 20) * period          # the latest spike and the earlier ones
        c = alpha_kernel(t[:, None] + past[None, :], tau1, tau2).sum(axis=1)
        assert 0.0 < t_peak < period
        assert abs(t[np.argmax(c)] - t_peak) <= 2 * (t[1] - t[0])
        assert c.max() <= c_peak + 1e-12 and abs(c.max() - c_peak) < 1e-9 * c_peak


def test_steady_peak_limits():
    """A long period gives one kernel's peak (Section 2 of notebook 01); a short one peaks mid-period."""
    t_star = 5.0 * 1.25 / 3.75 * math.log(4.0)
    t_long, c_long = nb01.reference_steady_peak(400.0)
    assert abs(t_long - t_star) < 1e-12 and abs(c_long - (4 ** (-1 / 3) - 4 ** (-4 / 3))) < 1e-12
    t_short, c_short = nb01.reference_steady_peak(1e-3)
    assert abs(t_short / 1e-3 - 0.5) < 1e-3 and abs(c_short * 1e-3 - 3.75) < 1e-2   # mean c = (tau1 - tau2) / P


def test_reference_firing_rate_matches_the_exact_step_with_a_constant_current():
    """A current trace with tau1 = 1e9 ms is constant over a second: neuron_piece then fires at the predicted rate."""
    for t_ref, C, gL, VT in ((2.0, 300.0, 30.0, 20.0), (4.0, 200.0, 20.0, -50.0), (0.5, 300.0, 30.0, 20.0)):
        lif, syn = LIFParams(C=C, gL=gL, VT=VT, t_ref=t_ref), SynapseParams(tau1=1e9, tau2=1.0)
        for I in (1.05 * lif.gL * lif.theta, 3.0 * lif.gL * lif.theta, 40.0 * lif.gL * lif.theta):
            *_, spikes = neuron_piece(0.0, I, 0.0, -1.0, 0.0, 1000.0, lif, syn)
            times = np.array([s for s, _ in spikes])
            rate = nb02.reference_firing_rate(I, t_ref, C, gL, lif.theta)
            assert times.size >= 3
            assert np.allclose(np.diff(times), 1000.0 / rate, rtol=1e-4)
        *_, none = neuron_piece(0.0, 0.99 * lif.gL * lif.theta, 0.0, -1.0, 0.0, 1000.0, lif, syn)
        assert none == [] and nb02.reference_firing_rate(0.99 * lif.gL * lif.theta, t_ref, C, gL, lif.theta) == 0.0


def test_reference_exp_correlation_is_the_cosine_of_the_exponential_traces():
    rng = np.random.default_rng(33)
    for _ in range(6):
        a, b = (np.sort(rng.uniform(0.0, 60.0, rng.integers(1, 5))) for _ in range(2))
        tau = rng.uniform(1.0, 8.0)
        t = np.arange(0.0, 60.0 + 40 * tau, 0.0005)
        f, g = exponential_trace(t, a, tau), exponential_trace(t, b, tau)
        numerical = np.trapezoid(f * g, t) / np.sqrt(np.trapezoid(f * f, t) * np.trapezoid(g * g, t))
        assert abs(nb03.reference_exp_correlation(a, b, tau) - numerical) < 2e-4


def test_exp_correlation_is_stricter_than_the_gaussian_metric_for_small_shifts_only():
    """Notebook 03's conclusion after exercise 3.2: the verdicts on one shifted spike cross at 4 sigma^2 / tau."""
    from normad_edu.metrics import correlation
    sigma, tau = 2.0, 5.0
    cross = 4 * sigma**2 / tau
    for delta in (0.1, 0.5, 1.0, cross - 0.1):
        assert nb03.reference_exp_correlation([50.0], [50.0 + delta], tau) < correlation([50.0], [50.0 + delta], sigma)
    for delta in (cross + 0.1, 5.0, 10.0):
        assert nb03.reference_exp_correlation([50.0], [50.0 + delta], tau) > correlation([50.0], [50.0 + delta], sigma)


# ---------------------------------------------------------------------------
# Right answers and catalogues of wrong ones (written here, independently of the checkers' mistakes)
# ---------------------------------------------------------------------------

def _peak_right(period, tau1=5.0, tau2=1.25):
    a1, a2 = 1.0 / (1.0 - np.exp(-period / tau1)), 1.0 / (1.0 - np.exp(-period / tau2))   # geometric sums
    t = np.log((tau1 / a1) / (tau2 / a2)) / (1.0 / tau2 - 1.0 / tau1)
    return float(t), float(a1 * np.exp(-t / tau1) - a2 * np.exp(-t / tau2))


def _peak_numerical(period, tau1=5.0, tau2=1.25):     # a brute-force sum on a grid: close, not exact
    t = np.linspace(0.0, period, 20_001)
    past = np.arange(0, int(60 * tau1 / period) + 20) * period
    c = alpha_kernel(t[:, None] + past[None, :], tau1, tau2).sum(axis=1)
    return float(t[np.argmax(c)]), float(c.max())


def _peak_scipy(period, tau1=5.0, tau2=1.25):          # a bounded optimiser on the closed-form c(t): right
    from scipy.optimize import brentq
    a1, a2 = 1.0 / (1.0 - math.exp(-period / tau1)), 1.0 / (1.0 - math.exp(-period / tau2))
    t = brentq(lambda x: -a1 * math.exp(-x / tau1) / tau1 + a2 * math.exp(-x / tau2) / tau2, 0.0, period,
               xtol=1e-15, rtol=1e-15)
    return t, a1 * math.exp(-t / tau1) - a2 * math.exp(-t / tau2)


PEAK_WRONG = {
    "one kernel's peak": lambda p, a=5.0, b=1.25: (a * b / (a - b) * math.log(a / b),
                                                    math.exp(-math.log(a / b) * b / (a - b)) - math.exp(
                                                        -math.log(a / b) * a / (a - b))),
    "ignores tau1": lambda p, a=5.0, b=1.25: _peak_right(p, 5.0, b),
    "ignores tau2": lambda p, a=5.0, b=1.25: _peak_right(p, a, 1.25),
    "time and value swapped": lambda p, a=5.0, b=1.25: _peak_right(p, a, b)[::-1],
    "a brute-force grid": _peak_numerical,
    "the period instead of the time in it": lambda p, a=5.0, b=1.25: (p, _peak_right(p, a, b)[1]),
    "only the value": lambda p, a=5.0, b=1.25: _peak_right(p, a, b)[1],
    "the mean of c": lambda p, a=5.0, b=1.25: (_peak_right(p, a, b)[0], (a - b) / p),
    "a list of three": lambda p, a=5.0, b=1.25: [*_peak_right(p, a, b), 0.0],
}


def _rate_right(I, t_ref=2.0, C=300.0, gL=30.0, theta=90.0):
    I = np.asarray(I, dtype=float)
    out = np.zeros(I.shape)
    fires = I > gL * theta
    out[fires] = 1000.0 / (t_ref + C / gL * np.log(I[fires] / (I[fires] - gL * theta)))
    return out


def _rate_by_simulation(I, t_ref=2.0, C=300.0, gL=30.0, theta=90.0):
    lif, syn = LIFParams(C=C, gL=gL, VT=-70.0 + theta, t_ref=t_ref), SynapseParams(tau1=1e9, tau2=1.0)
    return np.array([len(neuron_piece(0.0, i, 0.0, -1.0, 0.0, 1000.0, lif, syn)[4]) for i in np.atleast_1d(I)])


RATE_WRONG = {
    "uses the exact step (neuron_piece)": _rate_by_simulation,
    "no refractory period": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: _rate_right(I, 0.0, C, g, th),
    "ignores t_ref": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: _rate_right(I, 2.0, C, g, th),
    "ignores C": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: _rate_right(I, r, 300.0, g, th),
    "ignores gL": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: _rate_right(I, r, C, 30.0, th),
    "ignores theta": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: _rate_right(I, r, C, g, 90.0),
    "theta = VT (20 mV), not VT - EL": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: _rate_right(I, r, C, g, th - 70.0),
    "fires at the rheobase itself": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: np.where(
        np.asarray(I, float) == g * th, 1000.0 / r, _rate_right(I, r, C, g, th)),
    "kHz": lambda *a: _rate_right(*a) / 1000.0,
    "interspike interval": lambda *a: np.where(_rate_right(*a) > 0, 1000.0 / np.maximum(_rate_right(*a), 1e-300), 0.0),
    "perfect integrator": lambda I, r=2.0, C=300.0, g=30.0, th=90.0: np.where(
        np.asarray(I, float) > 0, 1000.0 / (r + C * th / np.maximum(np.asarray(I, float), 1e-300)), 0.0),
    "a list": lambda *a: list(np.atleast_1d(_rate_right(*a))) + [0.0],
    "rounded to whole Hz": lambda *a: np.round(_rate_right(*a)),
}


def _exp_right(a, b, tau=5.0):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 or b.size == 0:
        return float(a.size == b.size)
    k = lambda x, y: np.exp(-np.abs(x[:, None] - y[None, :]) / tau).sum()  # noqa: E731
    return k(a, b) / math.sqrt(k(a, a) * k(b, b))


def _exp_via_van_rossum(a, b, tau=5.0):     # the polarisation identity on (3.5): a derivation, and right
    from normad_edu.metrics import van_rossum_distance as d
    if len(a) == 0 or len(b) == 0:
        return float(len(a) == len(b))
    na, nb = d(a, [], tau) ** 2, d(b, [], tau) ** 2
    return (na + nb - d(a, b, tau) ** 2) / (2 * math.sqrt(na * nb))


def _exp_library_gaussian(a, b, tau=5.0):
    from normad_edu.metrics import correlation
    return correlation(a, b, tau)


def _exp_no_abs(a, b, tau=5.0):
    if len(a) == len(b) == 0:
        return 1.0
    if 0 in (len(a), len(b)):
        return 0.0
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    within = np.exp(-np.abs(np.subtract.outer(a, a)) / tau).sum() * np.exp(-np.abs(np.subtract.outer(b, b)) / tau).sum()
    return np.exp(-np.subtract.outer(a, b) / tau).sum() / math.sqrt(within)


EXP_WRONG = {
    "the Gaussian metric of the library": _exp_library_gaussian,
    "(a - b) without the absolute value": _exp_no_abs,
    "tau / 2": lambda a, b, tau=5.0: _exp_right(a, b, tau / 2),
    "ignores tau": lambda a, b, tau=5.0: _exp_right(a, b, 5.0),
    "both empty gives 0": lambda a, b, tau=5.0: 0.0 if len(a) == len(b) == 0 else _exp_right(a, b, tau),
    "a single pair only (first spikes)": lambda a, b, tau=5.0: _exp_right(a[:1], b[:1], tau),
    "the van Rossum distance itself": lambda a, b, tau=5.0: van_rossum_distance(a, b, tau),
    "1 - distance": lambda a, b, tau=5.0: 1.0 - van_rossum_distance(a, b, tau),
    "squared cosine": lambda a, b, tau=5.0: _exp_right(a, b, tau) ** 2,
    "returns a string": lambda a, b, tau=5.0: f"{_exp_right(a, b, tau):.12f}",
}

RIGHT = {"steady_peak": _peak_right, "firing_rate": _rate_right, "exp_correlation": _exp_right}
WRONG = {"steady_peak": PEAK_WRONG, "firing_rate": RATE_WRONG, "exp_correlation": EXP_WRONG}
REFUSED = {("firing_rate", "uses the exact step (neuron_piece)"),
           ("exp_correlation", "the Gaussian metric of the library")}

#: Pieces of each exercise's answer (regular expressions) that no hint may state.
ANSWER_FORMULAS = {
    "steady_peak": [r"1 - e\^\{?-P", r"1 - exp\(-period", r"/ \(1 - ", r"ln\(tau1", r"log\(tau1"],
    "firing_rate": [r"ln\(I", r"log\(I", r"1 - gL ?theta ?/ ?I", r"I - gL ?theta", r"1000 / \(t_ref"],
    "exp_correlation": [r"\|a_i - b_j\| ?/ ?tau", r"abs\(", r"e\^\{-\|", r"exp\(-\|"],
}


def test_catalogue_covers_the_new_exercises():
    assert set(RIGHT) == set(WRONG) == set(ANSWER_FORMULAS) == set(NEW)
    assert all(exercises.EXERCISES[name].notebook in ("01", "02", "03") for name in NEW)


@pytest.mark.parametrize("name,fn", [("steady_peak", _peak_scipy), ("exp_correlation", _exp_via_van_rossum)])
def test_other_right_answers_pass(name, fn):
    verdict = evaluate(name, fn)
    assert verdict.passed, verdict.message


def test_a_brute_force_steady_peak_gets_the_general_hint_not_a_mistakes():
    verdict = evaluate("steady_peak", _peak_numerical)
    assert verdict.status == "failed"
    assert not any(m.hint in verdict.message for m in exercises.EXERCISES["steady_peak"].mistakes)


@pytest.mark.parametrize("name", NEW)
def test_hidden_cases_are_drawn_fresh_and_the_right_answer_passes_them(name):
    ex = exercises.EXERCISES[name]
    a, b = ex.hidden_cases(np.random.default_rng(1)), ex.hidden_cases(np.random.default_rng(2))
    assert a and repr(a[0].args) != repr(b[0].args)
    verdict = F.evaluate(ex, RIGHT[name], hidden=True)
    assert verdict.passed and verdict.n_hidden == len(a), verdict.message


def test_every_hidden_case_varies_the_arguments():
    for name in NEW:
        cases = exercises.EXERCISES[name].hidden_cases(np.random.default_rng(5))
        for k in range(len(cases[0].args)):
            assert len({repr(c.args[k]) for c in cases}) > 1, f"{name}: hidden argument {k} never varies"


# ---------------------------------------------------------------------------
# The notebooks: exercises, quizzes, provenance, no history
# ---------------------------------------------------------------------------

def _cells(prefix: str) -> list[dict]:
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for c in cells:
        c["text"] = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        c["tags"] = c.get("metadata", {}).get("tags", [])
    return cells


@pytest.mark.parametrize("prefix", ["01", "02", "03"])
def test_every_exercise_has_stub_check_and_a_solution_that_passes(prefix):
    cells = _cells(prefix)
    stubs = [i for i, c in enumerate(cells) if "exercise" in c["tags"] and c["cell_type"] == "code"]
    names = []
    for i in stubs:
        stub, check, solution = cells[i], cells[i + 1], cells[i + 2]
        (name,) = re.findall(r"^def (\w+)\(", stub["text"], re.M)
        names.append(name)
        assert exercises.EXERCISES[name].notebook == prefix
        assert "raise NotImplementedError" in stub["text"]
        assert check["cell_type"] == "code" and f"check_{name}({name})" in check["text"] and "check" in check["tags"]
        assert solution["cell_type"] == "markdown" and "solution" in solution["tags"]
        assert solution["text"].lstrip().startswith("<details>") and solution["text"].rstrip().endswith("</details>")
        task = cells[i - 1]
        assert task["cell_type"] == "markdown" and "exercise-task" in task["tags"]
        number = exercises.EXERCISES[name].number
        assert task["text"].startswith(f"### Exercise {number}:"), task["text"][:60]
        ns = {"np": np}
        exec(stub["text"], ns)
        assert evaluate(name, ns[name]).status == "not implemented"
        (code,) = re.findall(r"```python\n(.*?)```", solution["text"], re.S)
        ns = {"np": np}
        exec(code, ns)
        verdict = evaluate(name, ns[name])
        assert verdict.passed, verdict.message
    assert len(names) >= 2 and set(names) == {n for n, ex in exercises.EXERCISES.items() if ex.notebook == prefix}


@pytest.mark.parametrize("prefix", ["00", "01", "02", "03"])
def test_the_notebook_ends_with_its_quiz(prefix):
    from normad_edu.course.quizzes import quiz
    cells = _cells(prefix)
    heads = [i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and c["text"].startswith("## Self-check quiz")]
    assert len(heads) == 1
    i = heads[0]
    assert "q.answer(" in cells[i]["text"]
    assert cells[i + 1]["cell_type"] == "code" and f'q = quiz("{prefix}")' in cells[i + 1]["text"]
    assert all(c["cell_type"] == "markdown" for c in cells[i + 2:])         # only the links after it
    assert 3 <= len(quiz(prefix).questions) <= 6


def test_provenance_is_stated_once_in_notebook_00():
    text = "\n".join(c["text"] for c in _cells("00"))
    assert "## 5. Where the values come from" in text
    for fact in ("k18shruti/SNN-for-Pattern-Recognition", "k18shruti/SNN-Liquid-State-Machine", "IJCNN 2015",
                 "Sections 3.2-6.1", "(1.1)-(1.3)", "(4.5)"):
        assert fact in text, fact
    for prefix in ("01", "02", "03"):
        other = "\n".join(c["text"] for c in _cells(prefix))
        assert "k18shruti" not in other and "Sections 3.2" not in other
        assert "see notebook 00" in other


@pytest.mark.parametrize("prefix", ["00", "01", "02", "03"])
def test_no_development_history_and_one_notation(prefix):
    text = "\n".join(c["text"] for c in _cells(prefix))
    assert not re.search(r"[Ii]ssue \d+|prototype|[Oo]ur copy|from the README", text)
    assert not re.search(r"\]\s*u\(t\)|\bu\(t - a_i\)|u\(s\) in", text)       # the Heaviside step is Theta
    assert "h(t) = \\frac{1}{C}" not in text or "\\Theta(t)" in text
