"""Tests for normad_edu.course.widgets.normad (notebook 04): the pure update
functions over a grid of slider values including both ends of every slider,
the builder's callbacks, and the response time of one callback."""

from __future__ import annotations

import itertools
import os
import time

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from normad_edu.course.widgets import normad as wn  # noqa: E402

def _check_result(res, max_iter):
    assert np.all(np.isfinite(res.correlation))
    assert np.all((res.correlation >= 0) & (res.correlation <= 1 + 1e-12))
    c = int(res.converged_at[0])
    assert c == -1 or 0 <= c <= max_iter
    n = res.correlation.shape[0]
    assert n == (max_iter + 1 if c == -1 else c + 1)
    assert res.raster_times.shape[0] == n  # one raster row per iteration
    assert np.all(np.isfinite(res.weights[0]))


def test_problem_is_reproducible_and_well_formed():
    x1, d1 = wn.single_neuron_problem(3)
    x2, d2 = wn.single_neuron_problem(3)
    assert len(x1) == wn.N_INPUTS
    assert all(np.array_equal(a, b) for a, b in zip(x1, x2)) and np.array_equal(d1, d2)
    assert np.all((d1 >= 0) & (d1 < wn.T_EPOCH)) and np.all(np.diff(d1) > 2.0)  # dead time t_ref
    x3, _ = wn.single_neuron_problem(4)
    assert not all(np.array_equal(a, b) for a, b in zip(x1, x3))


@pytest.mark.parametrize("r, tau, seed", list(itertools.product(
    (wn.R_MIN, 1000.0, wn.R_MAX), (wn.TAU_HAT_MIN, 2.5, wn.TAU_HAT_MAX), (0, wn.N_SEEDS - 1))))
def test_update_over_slider_grid(r, tau, seed):
    fig, res = wn.normad_widget_update(r, tau, seed)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    _check_result(res, wn.WIDGET_MAX_ITER)
    # every plotted line is finite
    for ax in fig.axes:
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            assert not np.isnan(y).any()


def test_default_slider_values_converge():
    # r = 1 nA, tau_L' = 2.5 ms: problem 0 converges well inside the widget budget
    _, res = wn.normad_widget_update(1000.0, 2.5, 0)
    assert 0 < res.converged_at[0] < wn.WIDGET_MAX_ITER


def test_tiny_rate_does_not_converge():
    # 10 pA per error instant cannot bring zero weights to threshold in 150 iterations
    _, res = wn.normad_widget_update(wn.R_MIN, 2.5, 0)
    assert res.converged_at[0] == -1


def test_resume_result_plots():
    x, d = wn.single_neuron_problem(1)
    res = wn.train_single_neuron(x, d, 100.0, max_iter=30, rule="resume")
    _check_result(res, 30)
    fig = wn.training_figure(res, d, title="ReSuMe")
    assert isinstance(fig, Figure)


def test_bad_rate_raises():
    x, d = wn.single_neuron_problem(0)
    with pytest.raises(ValueError):
        wn.train_single_neuron(x, d, 0.0)


def test_builder_draws_at_build_time_and_on_every_slider():
    box = wn.build_normad_widget()
    assert set(box.sliders) == {"r", "tau_L_hat", "seed"}
    assert isinstance(box.state["figure"], Figure)
    s = box.sliders
    assert s["r"].continuous_update is False and s["tau_L_hat"].continuous_update is False
    assert s["r"].min == pytest.approx(np.log10(wn.R_MIN)) and s["r"].max == pytest.approx(np.log10(wn.R_MAX))
    assert (s["tau_L_hat"].min, s["tau_L_hat"].max) == (wn.TAU_HAT_MIN, wn.TAU_HAT_MAX)
    for name, value in (("r", wn.R_MAX), ("r", wn.R_MIN), ("tau_L_hat", wn.TAU_HAT_MAX),
                        ("tau_L_hat", wn.TAU_HAT_MIN), ("seed", s["seed"].max), ("seed", 0)):
        before = box.state["figure"]
        s[name].value = value  # fires the callback
        assert box.state["figure"] is not before
        _check_result(box.state["result"], wn.WIDGET_MAX_ITER)
        plt.close("all")


def test_callback_responds_fast():
    box = wn.build_normad_widget()
    box.sliders["tau_L_hat"].value = 20.0  # slow end: no convergence, the full budget runs
    times = []
    for tau in (19.5, 20.0, 19.5):
        t0 = time.perf_counter()
        box.sliders["tau_L_hat"].value = tau
        times.append(time.perf_counter() - t0)
        plt.close("all")
    if os.getloadavg()[0] > 1.5:
        pytest.skip(f"machine busy (load {os.getloadavg()[0]:.1f}); measured {min(times):.2f} s")
    assert min(times) <= 0.5, times
