"""Tests for the paper's figure layouts in normad_edu.plotting (Figs. 6-10), on small synthetic data."""

from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from normad_edu.plotting import (  # noqa: E402
    DESIRED_COLOR,
    fig_correlation_mean_std,
    fig_cumulative_converged,
    fig_output_raster,
    fig_xor_inputs_and_training,
)
from normad_edu.plotting import _cumulative_counts  # noqa: E402

INF = np.inf


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def spike_points(ax):
    """(x, y) of the black spike markers of a training raster."""
    (line,) = [ln for ln in ax.get_lines() if ln.get_linestyle() == "None"]
    return np.asarray(line.get_xdata()), np.asarray(line.get_ydata())


def desired_lines(ax):
    return sorted(ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_color() == DESIRED_COLOR)


def xor_like_data(R=12, M=4, K=2):
    """Iterations 0..R-1; pattern m fires at 10 + m + r/10 ms at iteration r (and at 30 ms on even r)."""
    inputs = [[np.array([1.0 + m]), np.array([]), np.array([2.0, 5.0])] for m in range(M)]
    times = np.full((R, M, 1, K), INF)
    for r in range(R):
        for m in range(M):
            times[r, m, 0, 0] = 10 + m + r / 10
            if r % 2 == 0:
                times[r, m, 0, 1] = 30.0
    desired = [np.array([20.0 + m]) for m in range(M)]
    return inputs, np.arange(R), times, desired


def test_fig6_layout_and_every_5th_iteration_plus_last():
    inputs, its, times, desired = xor_like_data(R=12)
    fig = fig_xor_inputs_and_training(inputs, its, times, desired, every=5, labels=list("abcd"), T=40.0)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 8  # 4 input rasters, 4 output rasters
    tops, bottoms = fig.axes[:4], fig.axes[4:]  # subplots(2, M) orders the axes row by row
    assert [ax.get_title() for ax in tops] == list("abcd")
    for m, ax in enumerate(bottoms):
        x, y = spike_points(ax)
        # iterations 0, 5, 10 (multiples of 5) and 11 (the last stored); 30 ms only on even ones
        assert sorted(set(y)) == [0, 5, 10, 11]
        assert np.sum(y == 10) == 2 and np.sum(y == 11) == 1 and np.sum(y == 5) == 1
        assert np.allclose(x[y == 11], 10 + m + 1.1)
        assert desired_lines(ax) == [20.0 + m]
        assert ax.get_xlim() == (0.0, 40.0)
    x_in, y_in = tops[0].get_lines()[0].get_data()
    assert sorted(zip(x_in, y_in)) == [(1.0, 0.0), (2.0, 2.0), (5.0, 2.0)]


def test_fig6_accepts_raster_without_neuron_axis_and_default_labels():
    inputs, its, times, desired = xor_like_data(R=3, M=2)
    fig = fig_xor_inputs_and_training(inputs, its, times[:, :, 0, :], desired)
    assert len(fig.axes) == 4
    assert fig.axes[0].get_title() == "pattern 1"


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(every=0), "every"),
        (dict(raster_iterations=np.arange(5)), "raster_times"),
        (dict(raster_iterations=np.array([0, 2, 1] + list(range(3, 12)))), "increasing"),
        (dict(raster_iterations=np.arange(12) * 1.0), "ints"),
        (dict(desired_times=[[20.0]] * 3), "desired"),
        (dict(desired_times=[[np.nan]] * 4), "finite"),
        (dict(labels=["a"]), "labels"),
    ],
)
def test_fig6_rejects_inconsistent_data(change, match):
    inputs, its, times, desired = xor_like_data()
    kwargs = dict(inputs=inputs, raster_iterations=its, raster_times=times, desired_times=desired, every=5)
    kwargs.update(change)
    with pytest.raises(ValueError, match=match):
        fig_xor_inputs_and_training(**kwargs)


def test_fig8_one_axes_every_20th_and_red_desired_lines():
    R = 45
    times = np.full((R, 3), INF)
    times[:, 0] = 100.0 + np.arange(R)
    fig = fig_output_raster(np.arange(R), times, [50.0, 250.0], every=20, T=500.0)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    x, y = spike_points(ax)
    assert list(y) == [0, 20, 40, 44]
    assert list(x) == [100.0, 120.0, 140.0, 144.0]
    assert desired_lines(ax) == [50.0, 250.0]
    assert ax.get_xlim() == (0.0, 500.0)
    # the TrainingResult layout (R, M=1, n_L=1, K) gives the same figure
    fig2 = fig_output_raster(np.arange(R), times[:, None, None, :], np.array([50.0, 250.0]), every=20)
    assert list(spike_points(fig2.axes[0])[1]) == [0, 20, 40, 44]


def test_fig8_empty_raster_and_no_desired_spikes():
    fig = fig_output_raster(np.arange(3), np.full((3, 1), INF), [], every=1)
    x, y = spike_points(fig.axes[0])
    assert x.size == 0 and desired_lines(fig.axes[0]) == []


def test_fig7_and_fig10_two_panels_one_line_per_configuration():
    curves = {
        "plastic": (np.linspace(0.2, 1.0, 11), np.linspace(0.3, 0.0, 11)),
        "frozen": (np.linspace(0.2, 0.8, 11), np.full(11, 0.2)),
        "third": ([0.1, np.nan, 0.3], [0.0, 0.0, 0.1]),  # lengths may differ; NaN is a gap
    }
    fig = fig_correlation_mean_std(curves, title="XOR")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    ax_mean, ax_std = fig.axes
    assert ax_mean.get_title(loc="left").startswith("(a)") and ax_std.get_title(loc="left").startswith("(b)")
    assert [ln.get_label() for ln in ax_mean.get_lines()] == list(curves)
    assert np.allclose(ax_std.get_lines()[1].get_ydata(), 0.2)
    assert np.array_equal(ax_mean.get_lines()[0].get_xdata(), np.arange(11))
    assert fig._suptitle.get_text() == "XOR"


@pytest.mark.parametrize("curves", [{}, {"a": ([1.0, 2.0], [1.0])}, {"a": ([[1.0]], [[1.0]])}, []])
def test_fig7_rejects_bad_curves(curves):
    with pytest.raises(ValueError):
        fig_correlation_mean_std(curves)


def test_cumulative_counts_step_curve():
    x, y = _cumulative_counts([30, None, 5, 5, None], 100)
    assert list(x) == [0, 5, 5, 30, 100]
    assert list(y) == [0, 1, 2, 3, 3]
    x, y = _cumulative_counts([None, None], 10)
    assert list(x) == [0, 10] and list(y) == [0, 0]
    with pytest.raises(ValueError, match="exceeds"):
        _cumulative_counts([11], 10)
    with pytest.raises(ValueError):
        _cumulative_counts([-1], 10)
    with pytest.raises(TypeError):
        _cumulative_counts([2.5], 10)


def test_fig9_one_axes_and_legend_counts():
    its = {"output": [None, 40, None], "outer2": [10, 40, None], "all": [0, 5, 90]}
    fig = fig_cumulative_converged(its, 100, title="generic")
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["output (1/3)", "outer2 (2/3)", "all (3/3)"]
    finals = [ln.get_ydata()[-1] for ln in ax.get_lines()]
    assert finals == [1, 2, 3]
    assert ax.get_xlim() == (0.0, 100.0)
    assert ax.get_title() == "generic"
    with pytest.raises(ValueError):
        fig_cumulative_converged({}, 10)
    with pytest.raises(ValueError, match="max_iter"):
        fig_cumulative_converged({"a": [1]}, -1)


def test_fig_study_one_panel_per_configuration_and_hatched_deviations():
    from normad_edu.research.figures import fig_study

    rows = [dict(combo="baseline", config="output", converged=8, n=40, ci_low=10.0, ci_high=35.0, faithful=True),
            dict(combo="balanced", config="output", converged=21, n=40, ci_low=38.0, ci_high=67.0, faithful=True),
            dict(combo="late", config="output", converged=10, n=40, ci_low=14.0, ci_high=40.0, faithful=False),
            dict(combo="baseline", config="all", converged=12, n=40, ci_low=18.0, ci_high=46.0, faithful=True)]
    fig = fig_study(rows, title="screen", paper={"output": 71, "all": 100})
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["output", "all"]
    bars = axes[0].patches
    assert [round(b.get_width(), 1) for b in bars] == [20.0, 52.5, 25.0]
    assert [b.get_hatch() for b in bars] == [None, None, "//"] or [b.get_hatch() for b in bars] == ["", "", "//"]
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["baseline", "balanced", "late"]
    with pytest.raises(ValueError, match="rows"):
        fig_study([])
