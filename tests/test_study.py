"""Tests for normad_edu.research.study: levers, statistics and a tiny end-to-end study."""

from __future__ import annotations

import json
from pathlib import Path
from dataclasses import replace

import numpy as np
import pytest

from normad_edu.cli import main
from normad_edu.experiments import deep_problems
from normad_edu.setups import DeepSetup
from normad_edu.research.study import (LEVERS, PRE_STUDY_SETUP, Stage, fisher_p, format_table, is_faithful, lever_names, mcnemar_p,
                              results_path, run_study, setup_for, study_table, wilson_interval)


def test_every_lever_builds_a_valid_setup_and_says_why():
    for name, lever in LEVERS.items():
        setup = setup_for(name)
        assert isinstance(setup, DeepSetup) and lever.question
        for field, value in lever.changes.items():
            assert getattr(setup, field) == value
        deep_problems("all", n_runs=1, setup=setup)  # the factory accepts it
    assert setup_for("baseline") == PRE_STUDY_SETUP
    # the defaults are the study's choice (README "Reproduction status"; layer 1 at 0.1 x since issue 11)
    assert DeepSetup() == setup_for("balanced+r_hidden_all-30+hidden1-0.1")


def test_combinations_merge_changes_and_faithfulness():
    s = setup_for("t_ref-3+tau_L_hat-1")
    assert (s.t_ref, s.tau_L_hat) == (3.0, 1.0)
    assert is_faithful("t_ref-3+tau_L_hat-1")
    assert not is_faithful("t_ref-3+desired_t_min-20")
    ex = deep_problems("all", n_runs=1, setup=s)
    assert ex.lif.t_ref == 3.0 and ex.params.tau_L_hat == 1.0
    # every lever field reaches the object that uses it
    ex = deep_problems("all", n_runs=1, setup=setup_for("neuron-norm+rate_decay-1000+sigma-5"))
    assert ex.params.normalization == "neuron" and ex.config.rate_decay == 1000.0 and ex.config.sigma == 5.0
    assert ex.config.rates[:2] == (LEVERS["neuron-norm"].changes["r_hidden_all"],) * 2


def test_unknown_levers_are_rejected_with_the_list():
    with pytest.raises(ValueError, match="unknown lever 'nope'.*known levers: baseline"):
        lever_names("baseline+nope")
    with pytest.raises(TypeError, match="combo"):
        lever_names("")
    with pytest.raises(ValueError, match="configs"):
        run_study("baseline", ["hidden"], Stage(0, 1, 1), "unused")


def test_desired_t_min_only_drops_early_spikes_of_the_same_draw():
    base = deep_problems("output", n_runs=30, setup=setup_for("baseline"))
    late = deep_problems("output", n_runs=30, setup=setup_for("desired_t_min-20"))
    dropped = 0
    for a, b in zip(base.desired, late.desired):
        a, b = a[0][0], b[0][0]
        assert np.array_equal(a[a >= 20.0], b)
        dropped += a.size - b.size
    assert dropped > 0
    for a, b in zip(base.inputs, late.inputs):
        assert all(np.array_equal(x, y) for x, y in zip(a[0], b[0]))


def test_wilson_interval_known_values():
    # k = 71 of 100: 0.6146 .. 0.7898 (standard Wilson score interval)
    lo, hi = wilson_interval(71, 100)
    assert lo == pytest.approx(0.6146, abs=1e-4) and hi == pytest.approx(0.7898, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="k must be <= n"):
        wilson_interval(3, 2)


def test_fisher_and_mcnemar():
    assert fisher_p(10, 10, 0, 10) == pytest.approx(2 / 184756, rel=1e-9)  # 2 / C(20, 10)
    assert fisher_p(5, 10, 5, 10) == pytest.approx(1.0)
    a = np.array([True] * 8 + [False] * 2)
    b = np.array([False] * 8 + [False] * 2)
    assert mcnemar_p(a, b) == pytest.approx(2 * 0.5 ** 8)  # 8 discordant pairs, all one way
    assert mcnemar_p(a, a) == 1.0
    with pytest.raises(ValueError, match="equal shapes"):
        mcnemar_p(a, a[:3])


def test_tiny_study_end_to_end(tmp_path):
    stage = Stage(seed=3, n_problems=3, max_iter=4)
    summaries = run_study(["baseline", "r_out-100"], ["output"], stage, tmp_path, workers=1, progress=False,
                          report=None)
    assert [s["combo"] for s in summaries] == ["baseline", "r_out-100"]
    assert results_path(tmp_path, "r_out-100").exists()
    rows = study_table(tmp_path, stage, configs=["output"])
    assert [r["combo"] for r in rows] == ["baseline", "r_out-100"]
    assert rows[0]["fisher_p"] is None and rows[1]["fisher_p"] is not None
    assert all(r["n"] == 3 and r["within_iter"] == 4 for r in rows)
    assert "| r_out-100 | output | yes |" in format_table(rows)
    # an unfinished stage (more problems than were run) is left out
    assert study_table(tmp_path, Stage(seed=3, n_problems=5, max_iter=4), configs=["output"]) == []


def test_cli_study_prints_json_and_resumes(tmp_path, capsys):
    argv = ["study", "--levers", "baseline", "--train", "output", "--problems", "2", "--max-iter", "3",
            "--out", str(tmp_path), "--workers", "1", "--json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    cfg = first["configuration"]
    assert cfg["n_problems"] == 2 and cfg["max_iter"] == 3 and cfg["seed"] == 1 and len(first["rows"]) == 1
    assert sorted(Path(f).name for f in first["figures"]) == ["study_screen.png", "study_screen.svg"]
    assert main(argv) == 0  # everything is in the file: same table
    assert json.loads(capsys.readouterr().out)["rows"] == first["rows"]
    assert main(["study", "--levers", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown lever" in capsys.readouterr().err


def test_inhibitory_scale_scales_only_the_inhibitory_weights_of_the_same_draw():
    base = deep_problems("all", n_runs=3, setup=PRE_STUDY_SETUP)
    bal = deep_problems("all", n_runs=3, setup=replace(PRE_STUDY_SETUP, inhibitory_scale=4.0))
    for W, Wb in zip(base.weights[:2], bal.weights[:2]):
        assert np.array_equal(np.where(W < 0, 4.0 * W, W), Wb)
        assert 0.15 < (W < 0).mean() < 0.25  # still 20 % inhibitory
    # mean weight about 0 when the inhibitory range is 4x (0.8 * a/2 = 0.2 * 4a/2)
    W1 = deep_problems("all", n_runs=20, setup=setup_for("balanced")).weights[0]
    assert abs(W1.mean()) < 0.03 * setup_for("balanced").a_hidden[0]
    with pytest.raises(ValueError, match="inhibitory_scale"):
        DeepSetup(inhibitory_scale=0.0)


def test_participation_ratio_counts_independent_signals():
    from normad_edu.spikes import poisson_spike_trains
    from normad_edu.research.study import participation_ratio

    rng = np.random.default_rng(0)
    one = poisson_spike_trains(1, 40.0, 2000.0, rng)[0]
    assert participation_ratio([one] * 10, 2000.0) == pytest.approx(1.0)  # synchronous: one signal
    indep = poisson_spike_trains(10, 40.0, 2000.0, rng)
    assert 8.0 < participation_ratio(indep, 2000.0) <= 10.0
    assert np.isnan(participation_ratio([np.empty(0)] * 3, 100.0))
    with pytest.raises(ValueError, match="step"):
        participation_ratio(indep, 100.0, step=0.0)


def test_balanced_hidden_weights_decorrelate_layer_2_and_start_it_earlier():
    from normad_edu.research.study import layer_activity

    base, bal = layer_activity("baseline", 6), layer_activity("balanced", 6)
    assert base["n"] == bal["n"] == [50, 25]
    assert base["participation"][1] < 3.0 < 6.0 < bal["participation"][1]
    assert bal["first"][1] < base["first"][1]


def test_compare_configs_on_a_tiny_study(tmp_path):
    from normad_edu.research.study import compare_configs

    stage = Stage(seed=2, n_problems=3, max_iter=3)
    assert compare_configs(tmp_path, "baseline", stage) is None  # nothing run yet
    run_study("baseline", ["output", "all"], stage, tmp_path, workers=1, progress=False, report=None)
    c = compare_configs(tmp_path, "baseline", stage)
    rows = {r["config"]: r for r in study_table(tmp_path, stage, configs=["output", "all"])}
    assert c["n"] == 3 and c["converged_a"] == rows["all"]["converged"] and c["converged_b"] == rows["output"]["converged"]
    assert c["converged_a"] - c["converged_b"] == c["only_a"] - c["only_b"]
    assert 0 < c["mcnemar_p"] <= 1 and 0 < c["fisher_p"] <= 1


def test_cli_study_compares_against_the_chosen_baseline(tmp_path, capsys):
    argv = ["study", "--levers", "r_out-100", "--baseline", "balanced", "--train", "output", "--problems", "2",
            "--max-iter", "2", "--out", str(tmp_path), "--workers", "1", "--json", "--quiet"]
    assert main(argv) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["combo"] for r in rows] == ["balanced", "r_out-100"]  # the baseline is trained too, and first
    assert rows[0]["mcnemar_p"] is None and rows[1]["mcnemar_p"] is not None
