"""The exercises of notebook 09 (normad_edu.course.exercises.nb09): references checked against the library and
against numerical integrals; an independent catalogue of wrong answers is caught; right answers pass; the
notebook's stub, check and folded solution work. (The convention-wide tests of test_practice.py run on them too.)
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

from normad_edu.course import exercises
from normad_edu.course.exercises import framework as F
from normad_edu.course.exercises import nb09
from normad_edu.metrics import van_rossum_distance
from normad_edu.surrogate import fast_sigmoid_derivative

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "09_normad_in_context.ipynb"


def evaluate(name, fn):
    return F.evaluate(nb09.EXERCISES[name], fn)


# ---------------------------------------------------------------------------
# The references are right
# ---------------------------------------------------------------------------

def test_fast_sigmoid_reference_is_the_surrogate_rules_own_and_a_bump_of_the_right_width():
    u = np.linspace(-30.0, 200.0, 500)
    for theta, slope in ((90.0, 1.0), (15.0, 25.0)):
        np.testing.assert_allclose(nb09.reference_fast_sigmoid(u, theta, slope), fast_sigmoid_derivative(u, theta, slope),
                                   rtol=1e-14)
        assert nb09.reference_fast_sigmoid(theta, theta, slope) == pytest.approx(1.0 / theta)
        # a quarter of the peak at |u - theta| = theta / slope, on both sides
        for side in (-1.0, 1.0):
            assert nb09.reference_fast_sigmoid(theta + side * theta / slope, theta, slope) == pytest.approx(
                0.25 / theta)


def _numerical_loss(t_obs, t_des, T, tau, dt=1e-4):
    t = np.arange(0.0, T, dt) + dt / 2                      # midpoint rule on [0, T)
    y_o = np.where(t >= t_obs, np.exp(-(t - t_obs) / tau), 0.0)
    y_d = np.where(t >= t_des, np.exp(-(t - t_des) / tau), 0.0)
    return float(np.sum((y_o - y_d) ** 2) * dt / (2.0 * tau))


@pytest.mark.parametrize("t_obs, t_des, T, tau", [(123.0, 120.0, 500.0, 10.0), (17.0, 20.0, 40.0, 10.0),
                                                   (33.5, 31.0, 40.0, 10.0), (2.0, 39.0, 40.0, 3.0),
                                                   (42.0, 50.0, 100.0, 50.0)])
def test_one_spike_loss_reference_is_the_integral_of_94(t_obs, t_des, T, tau):
    # the midpoint rule misses the jumps at the two spikes by O(dt^2 / tau) at most
    assert nb09.reference_one_spike_loss(t_obs, t_des, T, tau) == pytest.approx(
        _numerical_loss(t_obs, t_des, T, tau), abs=1e-6)


def test_one_spike_loss_in_a_long_epoch_is_half_the_squared_van_rossum_distance():
    for d in (0.5, 3.0, 30.0):
        D = van_rossum_distance([100.0], [100.0 + d], tau=10.0)
        assert nb09.reference_one_spike_loss(100.0 + d, 100.0, 10_000.0, 10.0) == pytest.approx(D * D / 2, rel=1e-12)


# ---------------------------------------------------------------------------
# Right answers pass, an independent catalogue of wrong ones is caught
# ---------------------------------------------------------------------------

def _sigmoid_right(u, theta=90.0, slope=1.0):
    d = np.abs(np.asarray(u, dtype=float) - theta) / theta
    return 1.0 / (theta * (1.0 + slope * d) ** 2)


def _loss_right(t_obs, t_des, T=500.0, tau=10.0):      # piece by piece, as the hint suggests
    a, b = sorted((t_obs, t_des))
    between = tau / 2 * (1 - np.exp(-2 * (b - a) / tau))
    after = (1 - np.exp(-(b - a) / tau)) ** 2 * tau / 2 * (1 - np.exp(-2 * (T - b) / tau))
    return (between + after) / (2 * tau)


RIGHT = {"fast_sigmoid": _sigmoid_right, "one_spike_loss": _loss_right}
WRONG = {
    "fast_sigmoid": {
        "a Gaussian bump": lambda u, theta=90.0, slope=1.0: np.exp(-((np.asarray(u) - theta) * slope / theta) ** 2) / theta,
        "the sigmoid itself, not its derivative": lambda u, theta=90.0, slope=1.0: 0.5 + 0.5 * (
            (np.asarray(u) - theta) / theta) / (1 + slope * np.abs(np.asarray(u) - theta) / theta),
        "the Heaviside step's true derivative (0 except at threshold)": lambda u, theta=90.0, slope=1.0:
            np.where(np.asarray(u) == theta, np.inf, 0.0),
        "slope divides instead of multiplying": lambda u, theta=90.0, slope=1.0: (1 / theta) / (
            1 + np.abs(np.asarray(u) - theta) / (theta * slope)) ** 2,
        "slope squared": lambda u, theta=90.0, slope=1.0: (1 / theta) / (
            1 + slope ** 2 * np.abs(np.asarray(u) - theta) / theta) ** 2,
        "V instead of V - EL (70 mV off)": lambda u, theta=90.0, slope=1.0: _sigmoid_right(np.asarray(u) - 70.0, theta,
                                                                                          slope),
    },
    "one_spike_loss": {
        "infinite epoch": lambda t_obs, t_des, T=500.0, tau=10.0: (1 - np.exp(-abs(t_obs - t_des) / tau)) / 2,
        "linearised in the distance": lambda t_obs, t_des, T=500.0, tau=10.0: abs(t_obs - t_des) / (2 * tau),
        "the squared time error": lambda t_obs, t_des, T=500.0, tau=10.0: 0.5 * (t_obs - t_des) ** 2,
        "one spike missed and one extra (no overlap)": lambda t_obs, t_des, T=500.0, tau=10.0: 0.5 * (
            1 - np.exp(-2 * (T - t_obs) / tau)) / 2 + 0.5 * (1 - np.exp(-2 * (T - t_des) / tau)) / 2,
        "the between-piece only": lambda t_obs, t_des, T=500.0, tau=10.0: (
            1 - np.exp(-2 * abs(t_obs - t_des) / tau)) / 4,
        "a numerical integral on a 0.1 ms grid": lambda t_obs, t_des, T=500.0, tau=10.0: _numerical_loss(
            t_obs, t_des, T, tau, dt=0.1),
        "borrowed from the library's van Rossum distance": lambda t_obs, t_des, T=500.0, tau=10.0:
            van_rossum_distance([t_obs], [t_des], tau=tau) ** 2 / 2,
    },
}
REFUSED = {("one_spike_loss", "borrowed from the library's van Rossum distance")}
ANSWER_FORMULAS = {"fast_sigmoid": [r"\(1 \+ slope", r"\)\^2", r"1/theta\) ?/"],
                   "one_spike_loss": [r"1/4", r"0\.25", r"\(1 - x\)\^2", r"1 - exp\(-2", r"1 - x\^2"]}


@pytest.mark.parametrize("name", sorted(nb09.EXERCISES))
def test_right_answer_passes(name):
    verdict = evaluate(name, RIGHT[name])
    assert verdict.passed, verdict.message
    assert verdict.message.startswith(f"[PASS] Exercise {nb09.EXERCISES[name].number} ({name}): all ")


@pytest.mark.parametrize("name,label", [(n, lab) for n, cat in sorted(WRONG.items()) for lab in cat])
def test_wrong_answer_is_caught(name, label):
    verdict = evaluate(name, WRONG[name][label])
    expected = "refused" if (name, label) in REFUSED else "failed"
    assert verdict.status == expected, f"{name} / {label}: {verdict.status}\n{verdict.message}"


def test_the_library_surrogate_is_refused_as_the_answer_to_91():
    verdict = evaluate("fast_sigmoid", lambda u, theta=90.0, slope=1.0: fast_sigmoid_derivative(u, theta, slope))
    assert verdict.status == "refused" and "normad_edu.surrogate.fast_sigmoid_derivative" in verdict.message


@pytest.mark.parametrize("name", sorted(nb09.EXERCISES))
def test_a_near_answer_gets_the_precision_hint(name):
    verdict = evaluate(name, lambda *a: np.asarray(RIGHT[name](*a)) * (1 + 1e-5) + 1e-9)
    assert verdict.status == "failed" and "your result is close to the reference" in verdict.message


@pytest.mark.parametrize("name", sorted(nb09.EXERCISES))
def test_stub_check_and_checker_robustness(name):
    def stub(*args):
        raise NotImplementedError(f"Exercise: implement {name}")

    check = getattr(exercises, f"check_{name}")
    for fn, status in ((stub, "not implemented"), (RIGHT[name], "passed")):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            result = check(fn)
        assert bool(result) is (status == "passed") and buf.getvalue() == evaluate(name, fn).message + "\n"
    for fn in (lambda *a: 1 / 0, lambda *a: "text", None):
        assert evaluate(name, fn).status == "failed"
    reference = getattr(nb09, f"reference_{name}")
    assert evaluate(name, lambda *a: reference(*a)).status == "refused"


def test_the_one_spike_loss_saturates_as_the_note_says():
    near, far = nb09.reference_one_spike_loss(120.0, 100.0, 500.0, 10.0), nb09.reference_one_spike_loss(
        130.0, 100.0, 500.0, 10.0)
    assert 0.43 < near < far < 0.5 and far - near < 0.05


# ---------------------------------------------------------------------------
# The notebook: stub, check, folded solution, for both exercises
# ---------------------------------------------------------------------------

def _cells():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    for c in cells:
        c["text"] = "".join(c["source"])
        c["tags"] = c.get("metadata", {}).get("tags", [])
    return cells


def test_the_notebook_has_both_exercises_with_stub_check_and_solution():
    cells = _cells()
    stubs = [i for i, c in enumerate(cells) if "exercise" in c["tags"] and c["cell_type"] == "code"]
    assert len(stubs) == 2
    for i, name in zip(stubs, ("fast_sigmoid", "one_spike_loss")):
        stub, chk, solution = cells[i], cells[i + 1], cells[i + 2]
        assert f"def {name}(" in stub["text"] and "raise NotImplementedError" in stub["text"]
        assert f"check_{name}({name})" in chk["text"]
        assert "solution" in solution["tags"] and solution["text"].lstrip().startswith("<details>")
        ns = {"np": np}
        exec(stub["text"], ns)
        assert evaluate(name, ns[name]).status == "not implemented"
        (code,) = re.findall(r"```python\n(.*?)```", solution["text"], re.S)
        ns = {"np": np}
        exec(code, ns)
        assert evaluate(name, ns[name]).passed
