"""Tests for normad_edu.course.widgets.lif (notebooks 00 and 02): the simulation
behind the sliders, the closed-form no-reset curve, the figures and the
callbacks at both ends of every slider."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from widget_helpers import assert_fast_callback, slider_ends  # noqa: E402
from normad_edu.params import LIFParams  # noqa: E402
from normad_edu.course.widgets import lif as wl  # noqa: E402

def test_free_potential_single_spike_closed_form():
    lif = LIFParams()
    t = np.array([-1.0, 0.0, 3.0, 10.0, 50.0])
    v = wl.free_potential(t + 2.0, [np.array([2.0])], [500.0], lif)
    # psi(t) = [E(t; tau1) - E(t; tau2)] / C with E(t; tau) = (e^{-t/tau} - e^{-t/tau_L}) / (1/tau_L - 1/tau)
    tl = lif.tau_L

    def E(x, tau):
        return (np.exp(-x / tau) - np.exp(-x / tl)) / (1 / tl - 1 / tau)

    x = np.maximum(t, 0.0)
    expected = lif.EL + 500.0 * np.where(t >= 0, E(x, 5.0) - E(x, 1.25), 0.0) / lif.C
    np.testing.assert_allclose(v, expected, atol=1e-12)


def test_free_potential_validates():
    with pytest.raises(ValueError):
        wl.free_potential([0.0], [[1.0]], [1.0, 2.0])


def test_simulation_equals_analytic_before_first_spike():
    run = wl.single_neuron_run(rate=30.0, w_mean=1000.0, T=300.0)
    assert run["spikes"].size > 0
    t, v = run["t"], run["v"]
    before = t < run["spikes"][0]
    vf = wl.free_potential(t, run["inputs"], run["weights"])
    np.testing.assert_allclose(run["v_free"], vf, atol=1e-9)
    assert np.max(np.abs(v[before] - vf[before])) < 1e-9
    assert np.all(run["vdot"] > 0)


def test_same_seed_same_run_and_weight_pattern_fixed():
    a = wl.single_neuron_run(20.0, 800.0, seed=3)
    b = wl.single_neuron_run(20.0, 800.0, seed=3)
    np.testing.assert_array_equal(a["spikes"], b["spikes"])
    c = wl.single_neuron_run(20.0, 1600.0, seed=3)
    np.testing.assert_allclose(c["weights"], 2.0 * a["weights"])


GRID = list(itertools.product([wl.RATE_RANGE[0], 20.0, wl.RATE_RANGE[1]],
                              [wl.WEIGHT_RANGE[0], 1000.0, wl.WEIGHT_RANGE[1]]))


@pytest.mark.parametrize("rate,w", GRID)
def test_pure_functions_over_slider_grid(rate, w):
    run = wl.single_neuron_run(rate, w)
    for key in ("v", "v_free", "vdot"):
        assert np.all(np.isfinite(run[key]))
    if rate == 0 or w == 0:
        assert run["spikes"].size == 0
        np.testing.assert_allclose(run["v"], LIFParams().EL)
    spikes = run["spikes"]
    assert np.all(np.diff(spikes) >= LIFParams().t_ref - 1e-9)  # refractory period respected
    assert len(wl.overview_figure(run).axes) == 3
    assert len(wl.membrane_figure(run).axes) == 2


@pytest.mark.parametrize("builder", [wl.build_overview_widget, wl.build_lif_widget])
def test_builders_callback_at_every_slider_end(builder):
    box = builder()
    assert "run" in box.state  # drawn at build time
    assert all(c.continuous_update is False for c in box.controls.values())
    for name, value in slider_ends(box):
        run = box.state["run"]
        assert run[name if name == "rate" else "w_mean"] == pytest.approx(value)
        assert np.all(np.isfinite(run["v"])) and np.all(np.isfinite(run["v_free"]))
        assert len(plt.get_fignums()) == 1
    # both sliders at their maxima at once (the most spikes)
    box.controls["rate"].value = box.controls["rate"].max
    box.controls["w_mean"].value = box.controls["w_mean"].max
    assert box.state["run"]["spikes"].size > 50


@pytest.mark.parametrize("builder", [wl.build_overview_widget, wl.build_lif_widget])
def test_callback_is_fast(builder):
    box = builder(rate=wl.RATE_RANGE[1], w_mean=wl.WEIGHT_RANGE[1])
    assert_fast_callback(box)
