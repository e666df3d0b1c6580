"""The public API, the experiment registry, Experiment.run and the --set / lever mechanism."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import normad_edu as ne
from normad_edu.normad import error_instants_padded
from normad_edu.experiments import EXPERIMENTS, get_experiment, make_experiment, pattern_order_rngs
from normad_edu.cli.settings import parse_changes
from normad_edu.setups import DeepSetup, SingleSetup, XORSetup, with_changes, with_max_iter
from normad_edu.training import train


def test_public_api_is_exported_and_complete():
    assert set(ne.__all__) >= {"forward", "train", "TrainConfig", "normad_update", "NormADParams", "DeepSetup",
                               "XORSetup", "SingleSetup", "make_experiment", "normad_update_reference",
                               "simulate_layer_reference", "print_default_parameters"}
    assert [n for n in ne.__all__ if not hasattr(ne, n)] == []
    assert len(ne.__all__) == len(set(ne.__all__))


def test_python_dash_m_runs_the_cli():
    proc = subprocess.run([sys.executable, "-m", "normad_edu", "--version"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0 and proc.stdout.strip() == f"normad-edu {ne.__version__}"


def test_registry_maps_names_to_setup_classes_factories_and_configs():
    assert set(EXPERIMENTS) == {"single", "xor", "deep"}
    assert get_experiment("xor").setup_class is XORSetup and get_experiment("deep").setup_class is DeepSetup
    assert get_experiment("single").configs == ("normad", "resume", "spikeprop", "eventprop", "surrogate")
    with pytest.raises(ValueError, match="experiment must be one of"):
        get_experiment("mnist")
    with pytest.raises(TypeError, match="must be a XORSetup"):
        make_experiment("xor", setup=DeepSetup())
    ex = make_experiment("deep", "outer2", n_runs=2, seed=3, setup=with_max_iter(DeepSetup(), 5))
    assert ex.name == "deep-outer2" and ex.seed == 3 and ex.run_ids == [0, 1]
    assert ex.config.plastic == (False, True, True)


@pytest.mark.parametrize("name, config, setup", [
    ("xor", "plastic", with_max_iter(XORSetup(), 6)),
    ("deep", "all", with_max_iter(DeepSetup(sizes=(30, 12, 6, 1), a_hidden=(3000.0, 6000.0)), 4)),
    ("single", "resume", SingleSetup(n_inputs=15, max_iter=5)),
])
def test_experiment_run_is_the_one_train_call(name, config, setup):
    """ex.run() == train(...) with run i's pattern order default_rng([seed, i, 1]), whatever the batch."""
    ex = make_experiment(name, config, n_runs=2, seed=4, setup=setup, run_ids=[1, 3])
    a = ex.run(progress=False)
    b = train(ex.inputs, ex.desired, ex.weights, ex.config, rng=pattern_order_rngs(4, [1, 3]), progress=False,
              **ex.train_kwargs())
    assert np.array_equal(a.correlation, b.correlation) and all(np.array_equal(x, y) for x, y in zip(a.weights,
                                                                                                       b.weights))
    alone = make_experiment(name, config, seed=4, setup=setup, run_ids=[3]).run(progress=False)
    assert np.array_equal(alone.weights[-1][0], a.weights[-1][1])  # run 3 does not depend on its batch
    short = ex.run(progress=False, max_iter=1)
    assert short.correlation.shape[0] <= 2 and short.meta["config"]["max_iter"] == 1


def test_single_experiment_draws_the_problems_of_single_neuron_problems():
    from normad_edu.experiments import single_neuron_problems

    ex = make_experiment("single", n_runs=2, seed=5, setup=SingleSetup(n_inputs=10))
    inputs, desired = single_neuron_problems(2, 10, seed=5)
    for p in range(2):
        assert all(np.array_equal(x, y) for x, y in zip(ex.inputs[p][0], inputs[p][0]))
        assert np.array_equal(ex.desired[p][0][0], desired[p][0][0])


def test_with_changes_and_parse_changes():
    d = DeepSetup()
    ch = parse_changes(d, ["r_hidden_all=10", "a_hidden=1000, 2000", "mode=online", "max_iter=7", "sizes=10,5,3,1"])
    assert ch == {"r_hidden_all": 10.0, "a_hidden": (1000.0, 2000.0), "mode": "online", "max_iter": 7,
                  "sizes": (10, 5, 3, 1)}
    s = with_changes(d, ch)
    assert s.r_hidden_all == 10.0 and s.sizes == (10, 5, 3, 1) and d.r_hidden_all == 30.0
    with pytest.raises(ValueError, match="no field 'r_hiden_all'"):
        with_changes(d, {"r_hiden_all": 1.0})
    with pytest.raises(ValueError, match="FIELD=VALUE"):
        parse_changes(d, ["r_hidden_all"])
    with pytest.raises(ValueError, match="not an integer"):
        parse_changes(d, ["max_iter=2.5"])
    with pytest.raises(ValueError, match="mode"):
        with_changes(d, {"mode": "sometimes"})  # the setup validates the new value


def test_the_study_levers_use_the_same_mechanism():
    from normad_edu.research.study import LEVERS, PRE_STUDY_SETUP, setup_for

    assert setup_for("balanced") == with_changes(PRE_STUDY_SETUP, LEVERS["balanced"].changes)


@pytest.mark.parametrize("changes, needle", [
    ({"frac_excitatory": 2.0}, "frac_excitatory"),
    ({"sizes": (100, 50, 25, 3)}, "1 output neuron"),
    ({"sizes": (100, 1)}, "at least 3"),
    ({"normalization": "row"}, "normalization"),
    ({"threshold": 1.5}, "threshold"),
    ({"a_hidden": (1.0,)}, "one value per hidden layer"),
])
def test_deep_setup_rejects_values_that_used_to_fail_inside_train(changes, needle):
    with pytest.raises(ValueError, match=needle):
        with_changes(DeepSetup(), changes)


def test_rate_schedule_is_a_function_of_the_iteration():
    cfg = ne.TrainConfig(rates=(2.0, 4.0), rate_decay=10.0)
    r = np.array([2.0, 4.0])
    assert np.array_equal(cfg.rates_at(0, r), r) and np.allclose(cfg.rates_at(10, r), r / 2)
    assert ne.TrainConfig(rates=(2.0,)).rates_at(10**6, r) is r


def test_train_takes_the_update_rule_as_a_function():
    ex = make_experiment("single", n_runs=1, setup=SingleSetup(n_inputs=10, max_iter=3))
    calls = []

    def zero_rule(record, desired, rates, plastic, *, lif, syn, sim, params, instants):
        # train hands the rule the error instants it computed for this very pass (once per iteration)
        out = record.output
        again = error_instants_padded(*desired, out.times, out.counts, *params.bins(sim))
        for have, want in zip(instants, again):
            np.testing.assert_array_equal(have, want)
        calls.append(record.output.counts.shape)
        return [np.zeros_like(W) for W in record.weights]

    res = train(ex.inputs, ex.desired, ex.weights, ex.config, progress=False, update=zero_rule, **ex.train_kwargs())
    assert len(calls) == 3 and np.all(res.weights[0] == 0)
    xor = make_experiment("xor", n_runs=1, setup=XORSetup(max_iter=2))  # online mode, 4 patterns: a pass per pattern
    calls.clear()
    train(xor.inputs, xor.desired, xor.weights, xor.config, progress=False, update=zero_rule, rng=0,
          **xor.train_kwargs())
    assert len(calls) == 2 * 4


def test_sweeps_run_any_registered_experiment_through_experiment_run(tmp_path):
    from normad_edu.research.store import read_results
    from normad_edu.research.sweep import run_sweep

    setup = SingleSetup(n_inputs=20, max_iter=15)
    s = run_sweep("single", "normad", 3, tmp_path / "r.jsonl", setup=setup, workers=1, progress=False)
    direct = make_experiment("single", "normad", n_runs=3, setup=setup).run(progress=False)
    assert s["iterations"] == direct.iterations()
    assert len(read_results(tmp_path / "r.jsonl", "single", "normad", setup=setup)) == 3


def test_per_layer_hidden_rate_scale_reaches_the_training_rates():
    setup = with_changes(DeepSetup(), parse_changes(DeepSetup(), ["r_hidden_scale=1,0.25"]))
    assert make_experiment("deep", "all", setup=setup).config.rates == (30.0, 7.5, 300.0)
    assert make_experiment("deep", "outer2", setup=setup).config.rates == (0.0, 7.5, 300.0)
    with pytest.raises(ValueError, match="one factor per hidden layer"):
        with_changes(DeepSetup(), {"r_hidden_scale": (1.0,)})
