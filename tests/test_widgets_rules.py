"""Tests for normad_edu.course.widgets.rules (notebook 09): the scene, every rule's direction for one error (with
the identities that must hold between them), the figure over the control ranges, and the callbacks."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from widget_helpers import assert_fast_callback, slider_ends  # noqa: E402
from normad_edu.course.widgets import rules as wr  # noqa: E402
from normad_edu.normad import NormADParams, normad_update  # noqa: E402
from normad_edu.spikes import stack_padded  # noqa: E402


@pytest.fixture(scope="module")
def scene():
    return wr.rules_scene()


def test_the_scene_is_reproducible_and_its_output_fires(scene):
    again = wr.rules_scene.__wrapped__(wr.SCENE_SEED)
    assert all(np.array_equal(a, b) for a, b in zip(scene.weights, again.weights))
    assert scene.record.output.v.shape[-1] == round(wr.T / scene.sim.dt) + 1
    obs = scene.observed
    assert 2 <= obs.size <= 4 and np.all(np.diff(obs) > 10.0)
    assert (scene.record.layers[0].counts > 1).sum() >= 4  # hidden neurons that fire more than once: resets matter


def test_desired_trains_of_the_two_errors(scene):
    obs = scene.observed
    d = wr.scene_desired(scene, "missed", 35.0)
    assert d.size == obs.size + 1 and 35.0 in d and np.all(np.diff(d) > 0)
    m = wr.scene_desired(scene, "moved", shift=-2.5)
    assert m[0] == obs[0] - 2.5 and np.array_equal(m[1:], obs[1:])
    for kwargs, needle in (({"mode": "late"}, "mode"), ({"t": 90.0}, "t must be"), ({"mode": "moved", "shift": 9.0},
                                                                                     "shift must be")):
        with pytest.raises(ValueError, match=needle):
            wr.scene_desired(scene, **kwargs)


def test_every_direction_is_a_unit_vector_per_layer_or_zero(scene):
    dirs = wr.rule_directions(scene, wr.scene_desired(scene, "missed", 60.0))
    assert set(dirs) == set(wr.RULES)
    for rule, layers in dirs.items():
        norms = [float(np.sqrt((w * w).sum())) for w in layers]
        assert [w.shape for w in layers] == [(8, 30), (1, 8)]
        expected = [0.0, 1.0] if rule == "resume" else [1.0, 1.0]
        assert norms == pytest.approx(expected), rule
    # NormAD's direction is its update scaled
    d = stack_padded([[wr.scene_desired(scene, "missed", 60.0)]])
    upd = normad_update(scene.record, d, (1.0, 1.0), sim=scene.sim, params=NormADParams())
    for got, raw in zip(dirs["normad"], upd):
        np.testing.assert_allclose(got, raw[0] / np.linalg.norm(raw[0]), atol=1e-12)


def test_with_the_true_membrane_constant_normad_is_spikeprop_for_a_missed_spike(scene):
    """One error instant, tau_L' = tau_L: both raise the no-reset potential at t and carry it down through
    -1/Vdot at the hidden spikes, so the directions coincide in both layers (the notebook's claim)."""
    desired = wr.scene_desired(scene, "missed", 35.0)
    dirs = wr.rule_directions(scene, desired, tau_L_hat=scene.lif.tau_L)
    assert wr.direction_cosines(dirs, "spikeprop") == pytest.approx([1.0, 1.0], abs=1e-9)
    ev = wr.direction_cosines(dirs, "eventprop", "spikeprop")
    assert ev[0] < 0.9 and ev[1] < 1.0 - 1e-6  # the resets EventProp differentiates
    short = wr.rule_directions(scene, desired, tau_L_hat=2.5)
    assert wr.direction_cosines(short, "spikeprop")[1] < 0.999  # the shortened kernel is another direction


def test_cosines_are_symmetric_bounded_and_none_for_a_rule_that_leaves_a_layer_alone(scene):
    dirs = wr.rule_directions(scene, wr.scene_desired(scene, "moved", shift=3.0), slope=25.0)
    for a, b in itertools.combinations(wr.RULES, 2):
        ab, ba = wr.direction_cosines(dirs, a, b), wr.direction_cosines(dirs, b, a)
        assert ab == ba
        assert all(c is None or -1 - 1e-12 <= c <= 1 + 1e-12 for c in ab)
    assert wr.direction_cosines(dirs, "resume")[0] is None


@pytest.mark.parametrize("mode, t, shift, tau, slope", [
    ("missed", wr.T_MIN, 0.0, wr.TAU_HAT_MIN, wr.SLOPE_MIN), ("missed", wr.T_MAX, 0.0, wr.TAU_HAT_MAX, wr.SLOPE_MAX),
    ("moved", 35.0, wr.SHIFT_MIN, 2.5, 1.0), ("moved", 35.0, wr.SHIFT_MAX, 10.0, 25.0),
    ("moved", 35.0, 0.0, 2.5, 1.0)])
def test_update_over_the_control_ranges(mode, t, shift, tau, slope):
    fig, res = wr.rules_widget_update(mode, t, shift, tau, slope)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    for ax in fig.axes:
        for line in ax.get_lines():
            assert np.all(np.isfinite(np.asarray(line.get_ydata(), dtype=float)))
    for layers in res["directions"].values():
        assert all(np.all(np.isfinite(w)) for w in layers)
    if mode == "moved" and shift == 0.0:  # no error: no rule of the exact model moves anything ...
        assert all(not np.any(w) for rule in ("normad", "resume", "spikeprop", "eventprop")
                   for w in res["directions"][rule])
        # ... but the surrogate trains its grid model, whose spikes are up to dt off the exact ones
        assert all(np.any(w) for w in res["directions"]["surrogate"])
    plt.close("all")


def test_builder_draws_and_every_control_redraws():
    box = wr.build_rules_widget()
    assert set(box.controls) == {"mode", "t", "shift", "tau_L_hat", "slope"} and "figure" in box.state
    seen = []  # the figures themselves (kept alive, so no two share an id)
    for name, value in slider_ends(box):
        if all(f is not box.state["figure"] for f in seen):
            seen.append(box.state["figure"])
        # NormAD agrees with itself, or has nothing to do (a missed spike at 1 ms: no input has arrived yet)
        assert box.state["result"]["cosines"]["normad"] in ([1.0, 1.0], [None, None]), (name, value)
    assert len(seen) == 3 * 4  # min, max and back for each slider: a new figure every time
    before = box.state["figure"]
    box.controls["mode"].value = "moved"
    assert box.state["figure"] is not before and box.state["result"]["desired"][0] != wr.rules_scene().observed[0]
    assert_fast_callback(box, limit=1.0)
