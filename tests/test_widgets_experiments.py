"""Tests for normad_edu.course.widgets.experiments (notebooks 06 and 07): the forward
passes behind the XOR and generic-problem widgets, the training replay, the
figures and the callbacks at both ends of every control."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from widget_helpers import assert_fast_callback, slider_ends  # noqa: E402
from normad_edu.experiments import deep_problems, xor_problems  # noqa: E402
from normad_edu.setups import DeepSetup, XORSetup, with_max_iter
from normad_edu.network import forward  # noqa: E402
from normad_edu.course.widgets import experiments as we  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


# --------------------------------------------------------------------------
# XOR
# --------------------------------------------------------------------------


def test_xor_response_matches_experiment_weights():
    run = we.xor_hidden_response(seed=3)
    ex = xor_problems("plastic", run_ids=[3])
    np.testing.assert_array_equal(run["W1"], ex.weights[0][0])
    rec = forward(ex.inputs[0], [ex.weights[0][0]], ex.lif, ex.syn, ex.sim)
    np.testing.assert_array_equal(run["counts"], rec.layers[0].counts.sum(axis=1))
    assert [d.tolist() for d in run["desired"]] == [[25.0], [20.0], [20.0], [25.0]]


def test_without_reference_11_is_delayed_00():
    for seed, start_1 in ((0, 6.0), (5, 3.5), (9, 12.0)):
        run = we.xor_hidden_response(start_1=start_1, seed=seed, reference=False)
        assert run["shift"] == start_1
        assert run["shift_mismatch"] < 1e-6
        assert np.all(run["W1"][:, 36:] == 0)
    with_ref = we.xor_hidden_response(seed=0)
    assert with_ref["shift_mismatch"] > 1e-3


def test_shift_mismatch_detects_a_moved_spike():
    a = [np.array([1.0, 5.0]), np.array([])]
    assert we._shift_mismatch(a, [np.array([7.0, 11.0]), np.array([])], 6.0, 40.0) == 0.0
    assert we._shift_mismatch(a, [np.array([7.0, 11.5]), np.array([])], 6.0, 40.0) == pytest.approx(0.5)
    assert np.isinf(we._shift_mismatch(a, [np.array([7.0]), np.array([])], 6.0, 40.0))
    # a delayed spike past T is dropped
    assert we._shift_mismatch([np.array([36.0])], [np.array([])], 6.0, 40.0) == 0.0


XOR_GRID = list(itertools.product([we.XOR_START1_RANGE[0], 6.0, we.XOR_START1_RANGE[1]],
                                  [we.XOR_WEIGHT_RANGE[0], 1000.0, we.XOR_WEIGHT_RANGE[1]],
                                  [0, we.N_XOR_INITS - 1], [True, False]))


@pytest.mark.parametrize("start_1,w_mean,seed,reference", XOR_GRID)
def test_xor_pure_functions_over_grid(start_1, w_mean, seed, reference):
    run = we.xor_hidden_response(start_1, w_mean, seed, reference=reference)
    assert len(run["hidden"]) == 4 and all(len(p) == 54 for p in run["hidden"])
    for pop in run["hidden"]:
        for tr in pop:
            assert np.all(np.isfinite(tr)) and np.all((tr >= 0) & (tr < 40.0))
    assert not np.isnan(run["shift_mismatch"])
    if w_mean == 0:
        assert run["counts"].sum() == 0 and np.all(np.isinf(run["first"]))
    if start_1 == 0:  # a 1 bit looks like a 0 bit: all four patterns are the same
        assert len(set(run["counts"].tolist())) == 1
    fig = we.xor_hidden_figure(run)
    assert len(fig.axes) == 8


@pytest.mark.parametrize("dt,df", [(we.XOR_DESIRED_RANGE[0], we.XOR_DESIRED_RANGE[1]),
                                   (we.XOR_DESIRED_RANGE[1], we.XOR_DESIRED_RANGE[0]), (22.0, 22.0)])
def test_xor_desired_times_at_slider_ends(dt, df):
    run = we.xor_hidden_response(desired_true=dt, desired_false=df)
    assert [float(d[0]) for d in run["desired"]] == [df, dt, dt, df]
    we.xor_hidden_figure(run)


def test_xor_validates():
    with pytest.raises(ValueError):
        we.xor_hidden_response(start_1=-1.0)
    with pytest.raises(ValueError):
        we.xor_hidden_response(desired_true=40.0)
    with pytest.raises(ValueError):
        we.xor_hidden_response(seed=-1)


def test_xor_widget_callbacks_at_every_control_end():
    box = we.build_xor_encoding_widget()
    assert "run" in box.state
    for name, c in box.controls.items():
        if hasattr(c, "continuous_update"):
            assert c.continuous_update is False
        values = (False, True) if name == "reference" else (c.min, c.max, c.value)
        for value in values:
            plt.close("all")
            if value != c.value:
                c.value = value
            else:
                box.update()
            run = box.state["run"]
            if name in ("start_1", "w_mean"):
                assert getattr(run["setup"], name) == pytest.approx(value)
            elif name == "seed":
                assert run["seed"] == value
            elif name == "reference":
                assert run["reference"] is value
            else:
                assert getattr(run["setup"], name) == pytest.approx(value)
            assert len(plt.get_fignums()) == 1


def test_xor_widget_is_fast():
    box = we.build_xor_encoding_widget(w_mean=we.XOR_WEIGHT_RANGE[1])
    assert_fast_callback(box)


# --------------------------------------------------------------------------
# Generic problems
# --------------------------------------------------------------------------


def test_deep_activity_matches_experiment():
    run = we.deep_problem_activity(4)
    ex = deep_problems("all", run_ids=[4])
    rec = forward(ex.inputs[0][0], [W[0] for W in ex.weights[:-1]], ex.lif, ex.syn, ex.sim)
    for l in range(2):
        assert sum(tr.size for tr in run["hidden"][l]) == rec.layers[l].counts.sum()
        assert run["first"][l] == pytest.approx(np.min(rec.layers[l].times))
    np.testing.assert_array_equal(run["desired"], ex.desired[0][0][0])
    assert np.all(run["unreachable"] < run["first"][1])
    assert run["a"] == DeepSetup().a_hidden


def test_deep_weight_scale_keeps_the_problem():
    a = we.deep_problem_activity(2, 1000.0, 4000.0)
    b = we.deep_problem_activity(2, 2000.0, 4000.0)
    np.testing.assert_array_equal(a["desired"], b["desired"])
    assert all(np.array_equal(x, y) for x, y in zip(a["inputs"], b["inputs"]))
    assert b["rates"][0] > a["rates"][0]  # larger a1, faster layer 1


def test_deep_inhibitory_scale_decorrelates_layer_2_of_the_same_problem():
    a = we.deep_problem_activity(2, 1000.0, 4000.0, 1.0)  # the weights before the study
    b = we.deep_problem_activity(2, 3000.0, 6000.0, 4.0)  # the study's "balanced" lever (the default)
    np.testing.assert_array_equal(a["desired"], b["desired"])
    assert a["g"] == 1.0 and b["g"] == 4.0
    assert b["participation"][1] > 2 * a["participation"][1]
    assert b["first"][1] < a["first"][1]
    fig = we.deep_activity_figure(b)
    title = fig.axes[1].get_title(loc="left")
    assert "-U(0, 4 x 6000 pA)" in title and "independent signals" in title
    with pytest.raises(ValueError, match="inhibitory_scale"):
        we.deep_problem_activity(2, inhibitory_scale=0.0)


DEEP_GRID = list(itertools.product([0, we.N_DEEP_PROBLEMS - 1], [we.A1_RANGE[0], 1000.0, we.A1_RANGE[1]],
                                   [we.A2_RANGE[0], we.A2_RANGE[1]]))


@pytest.mark.parametrize("problem,a1,a2", DEEP_GRID)
def test_deep_pure_functions_over_grid(problem, a1, a2):
    run = we.deep_problem_activity(problem, a1, a2)
    assert np.all(np.isfinite(run["rates"])) and np.all(run["rates"] >= 0)
    assert not np.any(np.isnan(run["first"]))
    if a1 == 0 or a2 == 0:  # a silent layer silences everything above it
        assert np.isinf(run["first"][1])
        np.testing.assert_array_equal(run["unreachable"], run["desired"])
    fig = we.deep_activity_figure(run)
    assert len(fig.axes) == 4


def test_deep_widget_callbacks_at_every_control_end():
    box = we.build_deep_problem_widget()
    assert "run" in box.state
    assert all(c.continuous_update is False for c in box.controls.values())
    for name, value in slider_ends(box):
        run = box.state["run"]
        got = {"problem": run["problem"], "a1": run["a"][0], "a2": run["a"][1], "g": run["g"]}[name]
        assert got == pytest.approx(value)
        assert len(plt.get_fignums()) == 1


def test_deep_widget_is_fast():
    box = we.build_deep_problem_widget(a1=we.A1_RANGE[1], a2=we.A2_RANGE[1])
    assert_fast_callback(box)


# --------------------------------------------------------------------------
# Training replay
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xor_result():
    ex = xor_problems("plastic", run_ids=[0], setup=with_max_iter(XORSetup(), 12))
    res = ex.run(progress=False)
    return res, [d[0] for d in ex.desired[0]]


@pytest.fixture(scope="module")
def deep_result():
    ex = deep_problems("all", n_runs=2, setup=with_max_iter(DeepSetup(), 10))  # raster_every = 1
    res = ex.run(progress=False)
    return res, [ex.desired[1][0][0]]


def test_replay_figure_over_iterations(xor_result, deep_result):
    res, desired = xor_result
    n = res.correlation.shape[0] - 1
    for it in (-5, 0, n // 2, n, n + 10):
        fig = we.training_replay_figure(res, desired, it, labels=["a", "b", "c", "d"], T=40.0)
        assert len(fig.axes) == 2
        plt.close(fig)
    res, desired = deep_result
    fig = we.training_replay_figure(res, desired, 5, problem=1, T=500.0)
    assert "iteration 5" in fig.axes[0].get_title(loc="left")


def test_replay_validates(xor_result):
    res, desired = xor_result
    with pytest.raises(ValueError):
        we.training_replay_figure(res, desired[:2], 0)
    empty = type(res)(**{**res.__dict__, "raster_iterations": np.zeros(0, dtype=np.int64),
                         "raster_times": np.zeros((0, 1, 4, 1, 1))})
    with pytest.raises(ValueError):
        we.training_replay_figure(empty, desired, 0)
    with pytest.raises(ValueError):
        we.build_training_replay_widget(empty, desired)


def test_replay_widget_slider_ends(deep_result):
    res, desired = deep_result
    box = we.build_training_replay_widget(res, desired, problem=1, T=500.0, iteration=0)
    slider = box.controls["iteration"]
    assert slider.continuous_update is False and box.state["iteration"] == 0
    for value in (slider.max, slider.min, (slider.min + slider.max) // 2):
        plt.close("all")
        slider.value = value
        assert box.state["iteration"] == value
        assert len(plt.get_fignums()) == 1
    assert_fast_callback(box)   # median of 3 redraws: one slow redraw on a busy CI machine is not a failure
