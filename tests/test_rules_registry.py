"""The gradient rules by name: TrainConfig.rule, UPDATE_RULES and the setups' ``rule`` field and per-rule rates."""

from __future__ import annotations

import numpy as np
import pytest

from normad_edu.eventprop import eventprop_rule
from normad_edu.experiments import make_experiment
from normad_edu.research.identity import setup_hash
from normad_edu.setups import RULES, DeepSetup, SingleSetup, XORSetup, with_changes
from normad_edu.spikeprop import spikeprop_rule
from normad_edu.surrogate import surrogate_rule
from normad_edu.training import UPDATE_RULES, TrainConfig, train


def test_every_rule_is_registered_and_a_config_names_it():
    assert tuple(UPDATE_RULES) == RULES
    assert UPDATE_RULES["spikeprop"] is spikeprop_rule and UPDATE_RULES["eventprop"] is eventprop_rule
    assert UPDATE_RULES["surrogate"] is surrogate_rule
    assert TrainConfig(rates=(1.0,), rule="eventprop").rule == "eventprop"
    with pytest.raises(ValueError, match="rule must be one of .*surrogate.*got 'tempotron'"):
        TrainConfig(rates=(1.0,), rule="tempotron")


@pytest.mark.parametrize("rule", ["spikeprop", "eventprop", "surrogate"])
def test_config_rule_trains_like_passing_the_rule_function(rule):
    ex = make_experiment("single", rule, n_runs=2, seed=3, setup=SingleSetup(n_inputs=20, max_iter=4))
    assert ex.config.rule == rule and ex.config.rates == (100.0,)
    by_name = ex.run(progress=False)
    by_function = train(ex.inputs, ex.desired, ex.weights, with_changes(ex.config, {"rule": "normad"}),
                        update=UPDATE_RULES[rule], progress=False, **ex.train_kwargs())
    assert np.array_equal(by_name.weights[0], by_function.weights[0])
    assert np.any(by_name.weights[0] != 0)  # it learned something
    assert by_name.meta["config"]["rule"] == rule


def test_the_rule_field_of_xor_and_deep_picks_the_rule_and_its_rates():
    xor = with_changes(XORSetup(), {"rule": "eventprop", "r_hidden_eventprop": 7.0, "r_out_eventprop": 70.0})
    ex = make_experiment("xor", "plastic", setup=xor)
    assert ex.config.rule == "eventprop" and ex.config.rates == (7.0, 70.0) and ex.name == "xor-plastic-eventprop"
    assert make_experiment("xor", "frozen", setup=with_changes(XORSetup(), {"rule": "resume"})).config.rates == (0.0,
                                                                                                                100.0)
    deep = with_changes(DeepSetup(), {"rule": "surrogate", "r_hidden_surrogate": 20.0, "r_out_surrogate": 200.0})
    ex = make_experiment("deep", "all", setup=deep)
    assert ex.config.rule == "surrogate" and ex.config.rates == (2.0, 20.0, 200.0)  # r_hidden_scale (0.1, 1)
    assert make_experiment("deep", "outer2", setup=deep).config.rates == (0.0, 20.0, 200.0)
    assert make_experiment("deep", "output", setup=deep).config.rates == (0.0, 0.0, 200.0)
    # NormAD keeps its own fields
    assert make_experiment("deep", "all", setup=DeepSetup(r_out_surrogate=1.0)).config.rates == (3.0, 30.0, 300.0)


def test_rule_choices_that_cannot_work_are_refused_early():
    with pytest.raises(ValueError, match="rule must be one of"):
        with_changes(XORSetup(), {"rule": "superspike"})
    with pytest.raises(ValueError, match="rule must be one of"):
        DeepSetup(rule="normAD")
    with pytest.raises(ValueError, match="r_out_spikeprop"):
        with_changes(DeepSetup(), {"r_out_spikeprop": -1.0})
    with pytest.raises(ValueError, match="r_surrogate"):
        SingleSetup(r_surrogate=-3.0)
    with pytest.raises(ValueError, match="output layer only.*'frozen'"):
        make_experiment("xor", "plastic", setup=with_changes(XORSetup(), {"rule": "resume"}))
    with pytest.raises(ValueError, match="output layer only.*'output'"):
        make_experiment("deep", "all", setup=with_changes(DeepSetup(), {"rule": "resume"}))
    with pytest.raises(ValueError, match="rule must be one of"):
        SingleSetup().rate("tempotron")


def test_the_new_fields_leave_every_default_hash_alone_and_name_the_runs_that_use_them():
    # the hashes of the shipped results (normad_edu/research/data): the new fields are neutral
    assert setup_hash(XORSetup()) == "8b37f84b0d7ac13c" and setup_hash(DeepSetup()) == "a03580da9dbaf2ab"
    hashes = {setup_hash(with_changes(XORSetup(), {"rule": r})) for r in RULES}
    assert len(hashes) == len(RULES)  # each rule its own runs
    a = with_changes(DeepSetup(), {"rule": "spikeprop"})
    assert setup_hash(a) != setup_hash(with_changes(a, {"r_out_spikeprop": 100.0}))
