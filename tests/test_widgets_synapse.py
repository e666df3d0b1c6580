"""Tests for normad_edu.course.widgets.synapse (notebook 01): pure functions over a
grid of slider values including both ends of every slider, and the callback."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from widget_helpers import assert_fast_callback, slider_ends  # noqa: E402
from normad_edu.kernels import alpha_kernel, alpha_kernel_dot  # noqa: E402
from normad_edu.course.widgets import synapse as ws  # noqa: E402

def test_parse_spike_times_accepts_separators_and_sorts():
    np.testing.assert_array_equal(ws.parse_spike_times("12, 5;7.5  3"), [3.0, 5.0, 7.5, 12.0])
    assert ws.parse_spike_times("").size == 0
    assert ws.parse_spike_times("  , ").size == 0


@pytest.mark.parametrize("text", ["abc", "5, x", "-1", "60", "5, 5", "1e400"])
def test_parse_spike_times_rejects_bad_text(text):
    with pytest.raises(ValueError):
        ws.parse_spike_times(text, T=60.0)


@pytest.mark.parametrize("tau1", [ws.TAU1_RANGE[0], 5.0, ws.TAU1_RANGE[1]])
@pytest.mark.parametrize("frac", [ws.TAU2_FRACTION_RANGE[0], 0.25, ws.TAU2_FRACTION_RANGE[1]])
def test_alpha_peak_is_the_maximum_of_alpha_kernel(tau1, frac):
    tau2 = frac * tau1
    t_star, a_star = ws.alpha_peak(tau1, tau2)
    assert abs(alpha_kernel_dot(t_star, tau1, tau2)) < 1e-12
    assert a_star == pytest.approx(alpha_kernel(t_star, tau1, tau2), rel=1e-12)
    t = np.linspace(0.0, 10.0 * tau1, 200001)
    a = alpha_kernel(t, tau1, tau2)
    assert a.max() <= a_star + 1e-15
    assert t[np.argmax(a)] == pytest.approx(t_star, abs=2 * t[1])


def test_alpha_peak_rejects_tau2_not_below_tau1():
    with pytest.raises(ValueError):
        ws.alpha_peak(2.0, 2.0)


def test_traces_match_equations_and_charge():
    trains = [np.array([1.0, 4.0]), np.array([2.5])]
    w = [300.0, -120.0]
    d = ws.synapse_traces(trains, w, 5.0, 1.25, T=400.0, dt=0.01)
    t = d["t"]
    c0 = alpha_kernel(t - 1.0) + alpha_kernel(t - 4.0)
    np.testing.assert_allclose(d["c"][0], c0, atol=1e-15)
    np.testing.assert_allclose(d["I"], 300.0 * c0 - 120.0 * alpha_kernel(t - 2.5), atol=1e-12)
    # the integral of I is sum_i W_i n_i (tau1 - tau2) (the tail after 400 ms is < 1e-30)
    assert np.trapezoid(d["I"], t) == pytest.approx(d["charge"], rel=1e-5)
    assert d["charge"] == pytest.approx((2 * 300.0 - 120.0) * 3.75)


def test_traces_validate_inputs():
    with pytest.raises(ValueError):
        ws.synapse_traces([[1.0]], [1.0, 2.0])
    with pytest.raises(ValueError):
        ws.synapse_traces([[70.0]], [1.0])  # outside the 60 ms window
    with pytest.raises(ValueError):
        ws.synapse_traces([[1.0]], [1.0], tau1=2.0, tau2=3.0)


GRID = list(itertools.product(
    [ws.TAU1_RANGE[0], ws.TAU1_RANGE[1]],
    [ws.TAU2_FRACTION_RANGE[0], ws.TAU2_FRACTION_RANGE[1]],
    [ws.WEIGHT_RANGE[0], 0.0, ws.WEIGHT_RANGE[1]],
    [("", ""), ("0", "59.9"), ("5, 20, 23", "12, 35")],
))


@pytest.mark.parametrize("tau1,frac,w,spikes", GRID)
def test_pure_functions_over_slider_grid(tau1, frac, w, spikes):
    trains = [ws.parse_spike_times(s) for s in spikes]
    d = ws.synapse_traces(trains, [w, -w], tau1, frac * tau1)
    for key in ("alpha", "c", "I"):
        assert np.all(np.isfinite(d[key]))
    fig = ws.synapse_figure(d, tau1, frac * tau1)
    assert len(fig.axes) == 3


def test_builder_callback_at_every_slider_end():
    box = ws.build_synapse_widget()
    assert "data" in box.state  # drawn at build time
    for name, value in slider_ends(box):
        data = box.state["data"]
        assert all(np.all(np.isfinite(data[k])) for k in ("alpha", "c", "I"))
        assert len(plt.get_fignums()) == 1, name
    tau1 = box.controls["tau1"].value
    tau2 = box.controls["tau2_fraction"].value * tau1
    assert tau1 > tau2


def test_builder_reports_bad_text_and_recovers():
    box = ws.build_synapse_widget()
    box.controls["spikes_1"].value = "5, oops"
    assert "error" in box.state and "data" not in box.state
    box.controls["spikes_1"].value = "5, 6"
    assert "data" in box.state
    np.testing.assert_array_equal(box.state["data"]["trains"][0], [5.0, 6.0])


def test_callback_is_fast():
    box = ws.build_synapse_widget()
    assert_fast_callback(box)
