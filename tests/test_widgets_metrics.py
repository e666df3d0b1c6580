"""Tests for normad_edu.course.widgets.metrics (notebook 03): perturbing a desired
train, the traces behind both metrics, the figure and the callback at both
ends of every slider."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from widget_helpers import assert_fast_callback, slider_ends  # noqa: E402
from normad_edu.metrics import correlation, van_rossum_distance  # noqa: E402
from normad_edu.course.widgets import metrics as wm  # noqa: E402

def test_no_perturbation_gives_the_desired_train():
    d = wm.desired_train(seed=4)
    o = wm.perturb_train(d, 0.0, 0.0, 0)
    np.testing.assert_array_equal(o, d)
    r = wm.metrics_report(d, o)
    assert r["correlation"] == 1.0 and r["van_rossum"] == 0.0 and r["err_t"].size == 0


def test_drop_all_and_add_only():
    d = wm.desired_train(seed=1)
    assert wm.perturb_train(d, 0.0, 1.0, 0).size == 0
    o = wm.perturb_train(d, 0.0, 0.0, 3)
    assert o.size == d.size + 3 and set(d) <= set(o)
    r = wm.metrics_report(d, o)
    assert r["n_extra"] == 3 and r["n_missed"] == 0


def test_jitter_stays_inside_epoch_and_valid():
    d = np.array([0.0, 0.05, 100.0, 199.99])
    for seed in range(20):
        o = wm.perturb_train(d, 10.0, 0.0, wm.N_ADD_MAX, T=200.0, seed=seed)
        assert np.all((o >= 0) & (o < 200.0)) and np.all(np.diff(o) > 0)


def test_sliders_change_only_their_own_part():
    d = wm.desired_train(seed=2)
    a = wm.perturb_train(d, 2.0, 0.0, 0, seed=7)
    b = wm.perturb_train(d, 2.0, 0.0, 4, seed=7)
    assert set(a) <= set(b)  # adding spikes keeps the jittered ones


def test_perturb_validates():
    with pytest.raises(ValueError):
        wm.perturb_train([1.0], p_drop=1.5)
    with pytest.raises(ValueError):
        wm.perturb_train([1.0], n_add=wm.N_ADD_MAX + 1)
    with pytest.raises(ValueError):
        wm.perturb_train([1.0], jitter=-1.0)


def test_gaussian_traces_give_the_closed_form_correlation():
    a, b = np.array([20.0, 50.0, 51.0]), np.array([21.5, 70.0])
    sigma = 2.0
    t = np.linspace(-50.0, 150.0, 400001)
    f, g = wm.gaussian_trace(t, a, sigma), wm.gaussian_trace(t, b, sigma)
    assert np.trapezoid(f, t) == pytest.approx(a.size, rel=1e-9)
    num = np.trapezoid(f * g, t) / np.sqrt(np.trapezoid(f * f, t) * np.trapezoid(g * g, t))
    assert num == pytest.approx(correlation(a, b, sigma), abs=1e-9)


def test_exponential_traces_give_the_closed_form_van_rossum():
    a, b = np.array([20.0, 50.0]), np.array([22.0])
    tau = 10.0
    t = np.linspace(0.0, 500.0, 500001)
    diff = wm.exponential_trace(t, a, tau) - wm.exponential_trace(t, b, tau)
    num = np.sqrt(np.trapezoid(diff**2, t) / tau)
    assert num == pytest.approx(van_rossum_distance(a, b, tau), rel=1e-3)


GRID = list(itertools.product([wm.JITTER_RANGE[0], wm.JITTER_RANGE[1]], [wm.DROP_RANGE[0], wm.DROP_RANGE[1]],
                              [0, wm.N_ADD_MAX], [wm.SIGMA_RANGE[0], wm.SIGMA_RANGE[1]],
                              [wm.TAU_VR_RANGE[0], wm.TAU_VR_RANGE[1]]))


@pytest.mark.parametrize("jitter,p_drop,n_add,sigma,tau", GRID)
def test_pure_functions_over_slider_grid(jitter, p_drop, n_add, sigma, tau):
    d = wm.desired_train()
    o = wm.perturb_train(d, jitter, p_drop, n_add)
    r = wm.metrics_report(d, o, sigma, tau)
    assert 0.0 <= r["correlation"] <= 1.0 and np.isfinite(r["van_rossum"]) and r["van_rossum"] >= 0
    assert r["n_missed"] - r["n_extra"] == d.size - o.size
    fig = wm.metrics_figure(d, o, r, sigma, tau)
    assert len(fig.axes) == 3


def test_builder_callback_at_every_slider_end():
    box = wm.build_metrics_widget()
    assert "report" in box.state  # drawn at build time
    for name, value in slider_ends(box):
        r = box.state["report"]
        assert np.isfinite(r["correlation"]) and np.isfinite(r["van_rossum"])
        assert len(plt.get_fignums()) == 1, name


def test_callback_is_fast():
    box = wm.build_metrics_widget(jitter=10.0, n_add=wm.N_ADD_MAX)
    assert_fast_callback(box)
