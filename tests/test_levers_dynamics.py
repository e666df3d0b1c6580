"""Issue 11's rule-level levers: the dead-zone case of the rule
(``NormADParams.zero_gradient``) and the adaptive step per problem
(``TrainConfig.adaptive_step``, a labelled deviation)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from normad_edu.experiments import make_experiment
from normad_edu.setups import DeepSetup
from normad_edu.network import forward
from normad_edu.normad import NormADParams, actionable_instants, normad_update, normad_update_reference
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import stack_padded
from normad_edu.training import TrainConfig, train

SIM = SimParams(T=60.0)


def _dead_zone_problem():
    """2 inputs -> 3 hidden -> 1 output. The hidden layer first fires at ~10-11 ms (inputs at 5 and 6 ms);
    problem 0 wants an output spike at 3 ms (before any hidden spike: a dead zone), problem 1 at 40 ms."""
    x = stack_padded([[np.array([5.0, 20.0]), np.array([6.0, 21.0])]] * 2)
    W1 = np.tile(np.array([[9000.0, 9000.0], [8000.0, 7000.0], [6000.0, 9000.0]]), (2, 1, 1))
    W2 = np.full((2, 1, 3), 300.0)  # too weak to make the output fire, not zero (hidden errors need W^2)
    rec = forward(x, [W1, W2], LIFParams(), SynapseParams(), SIM)
    desired = (np.array([[[3.0]], [[40.0]]]), np.array([[1], [1]]))
    return rec, desired


def test_an_error_before_the_first_hidden_spike_is_a_dead_zone_unless_moved():
    rec, desired = _dead_zone_problem()
    first = rec.layers[0].times[0, :, 0].min()
    assert 5.0 < first < 20.0 and rec.output.counts.sum() == 0  # hidden fires, the output is silent
    skip = normad_update(rec, desired, [30.0, 300.0], sim=SIM)
    moved = normad_update(rec, desired, [30.0, 300.0], sim=SIM, params=NormADParams(zero_gradient="first-spike"))
    # problem 0: nothing can act at 3 ms -> zero update in every layer; moved: a full step in both layers
    assert all(np.all(d[0] == 0) for d in skip)
    for d, r in zip(moved, (30.0, 300.0)):
        assert np.linalg.norm(d[0]) == pytest.approx(r)
    assert moved[1][0].min() >= 0  # a missed spike raises the output's weights
    # problem 1's error (40 ms, after the first hidden spike) is untouched by the case
    for a, b in zip(skip, moved):
        np.testing.assert_array_equal(a[1], b[1])
        assert np.linalg.norm(b[1]) > 0


def test_the_instant_moves_to_one_step_after_the_first_spike_and_the_core_agrees():
    rec, desired = _dead_zone_problem()
    first = rec.layers[0].times[0, :, 0].min()
    err_t = np.array([[[3.0, 40.0]], [[40.0, np.inf]]])
    err_s = np.array([[[1, -1]], [[1, 0]]], dtype=np.int8)
    out = actionable_instants(rec, err_t, err_s, NormADParams(zero_gradient="first-spike"), SIM)
    np.testing.assert_array_equal(out, [[[first + SIM.dt, 40.0]], [[40.0, np.inf]]])
    assert actionable_instants(rec, err_t, err_s, NormADParams(), SIM) is err_t  # "skip": unchanged
    params = NormADParams(zero_gradient="first-spike")
    fast = normad_update(rec, desired, [30.0, 300.0], sim=SIM, params=params)
    slow = normad_update_reference(rec, desired, [30.0, 300.0], sim=SIM, params=params)
    for a, b in zip(fast, slow):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_a_silent_feeding_layer_leaves_the_instant_where_it_is():
    rec, desired = _dead_zone_problem()
    rec.layers[0].counts[0] = 0  # pretend problem 0's hidden layer never fired
    err_t = np.array([[[3.0]], [[40.0]]])
    err_s = np.ones((2, 1, 1), dtype=np.int8)
    out = actionable_instants(rec, err_t, err_s, NormADParams(zero_gradient="first-spike"), SIM)
    np.testing.assert_array_equal(out, err_t)


def test_zero_gradient_is_validated():
    with pytest.raises(ValueError, match="zero_gradient must be one of"):
        NormADParams(zero_gradient="nearest")
    with pytest.raises(ValueError, match="zero_gradient"):
        DeepSetup(zero_gradient="nearest")


def _ones_update(record, desired, rates, plastic, **kw):
    """A stand-in rule whose step does not depend on the state: every weight moves by its layer's rate."""
    return [np.full(W.shape, r if p else 0.0) for W, r, p in zip(record.weights, rates, plastic)]


@pytest.mark.parametrize("layers", ["all", "hidden"])
def test_adaptive_step_follows_the_bold_driver_on_the_correlation(layers):
    ex = make_experiment("deep", "all", n_runs=2, seed=3, setup=replace(DeepSetup(), max_iter=12))
    cfg = replace(ex.config, adaptive_step=0.5, adaptive_layers=layers, threshold=1.0)
    res = train(ex.inputs, ex.desired, ex.weights, cfg, lif=ex.lif, syn=ex.syn, sim=ex.sim, params=ex.params,
                update=_ones_update, progress=False)
    n_it = res.correlation.shape[0] - 1
    c = res.correlation.mean(axis=2)  # (n + 1, P)
    m, prev, expected = np.ones(2), np.full(2, -np.inf), []
    for it in range(n_it):
        fell = c[it] < prev
        m = np.where(fell, m * 0.5, np.minimum(1.0, m / np.sqrt(0.5)))
        prev = c[it]
        expected.append(m.copy())
    total = np.sum(expected, axis=0)  # sum of the multipliers over the updates made
    assert np.any(np.array(expected) < 1)  # the correlation fell at least once: the test can see a shrink
    for l, (W0, W) in enumerate(zip(ex.weights, res.weights)):
        moved = (W - W0)[:, 0, 0]
        scaled = layers == "all" or l < len(ex.weights) - 1
        want = cfg.rates[l] * (total if scaled else n_it)
        np.testing.assert_allclose(moved, want, rtol=1e-9)


def test_adaptive_step_is_off_by_default_and_validated():
    assert TrainConfig(rates=(1.0,)).adaptive_step == 0.0
    with pytest.raises(ValueError, match="adaptive_step must be 0"):
        TrainConfig(rates=(1.0,), adaptive_step=1.5)
    with pytest.raises(ValueError, match="adaptive_layers must be one of"):
        TrainConfig(rates=(1.0,), adaptive_step=0.5, adaptive_layers="output")


def test_first_spikes_are_causal_and_match_the_problems():
    from normad_edu.research.dynamics import first_spikes

    first = first_spikes(range(4), seed=0)
    ex = make_experiment("deep", "all", n_runs=4, seed=0)
    want = [np.asarray(p[0][0])[0] for p in ex.desired]
    np.testing.assert_array_equal(first["desired"], want)
    h = first["hidden"]
    assert h.shape == (4, 2) and np.all(np.isfinite(h))
    assert np.all(h[:, 1] > h[:, 0])  # layer 2 cannot fire before layer 1 has fired


def test_reach_groups_partition_the_problems_by_the_first_desired_spike():
    from normad_edu.research.dynamics import REACH_GROUPS, reach_groups, reach_table

    first = {"desired": np.array([3.0, 9.0, 14.0, 40.0, np.inf]), "hidden": np.tile([7.0, 12.0], (5, 1))}
    groups = reach_groups(first)
    assert tuple(groups) == REACH_GROUPS
    np.testing.assert_array_equal(np.array(list(groups.values())).astype(int), np.eye(4, 5, dtype=int)
                                  + np.eye(4, 5, k=1, dtype=int) * [[0], [0], [0], [1]])
    table = reach_table(first, {"all": np.array([False, True, True, True, False])})
    assert table == {"all": {"before layer 1": [0, 1], "before layer 2": [1, 1], "before 15 ms": [1, 1],
                             "later": [1, 2]}}


def test_levers_that_a_configuration_never_reads_leave_its_runs_unchanged():
    """study.lever_applies: the shipped screen runs of such rows equal the baseline's, run for run."""
    from normad_edu.research import study

    assert not study.lever_applies("r_hidden_all-30", "output")
    assert not study.lever_applies("balanced+vdot_min-2", "output", baseline="balanced")
    assert study.lever_applies("balanced+r_hidden_all-30", "output")  # 'balanced' changes the weights
    assert study.lever_applies("r_hidden_outer2-10", "outer2") and not study.lever_applies("r_hidden_outer2-10", "all")
    with pytest.raises(ValueError, match="config must be one of"):
        study.lever_applies("balanced", "both")
    d, checked = study.STUDY_RESULTS / "screen", 0
    base = study.outcomes(d, "baseline", "output", study.SCREEN)
    for path in sorted(d.glob("*.jsonl")):
        combo = path.stem
        if combo == "baseline" or study.lever_applies(combo, "output"):
            continue
        runs = study.outcomes(d, combo, "output", study.SCREEN)
        if runs is not None:
            np.testing.assert_array_equal(runs, base)
            checked += 1
    assert checked >= 2  # r_hidden_all-30 and r_hidden_all-300 ship output-only runs
