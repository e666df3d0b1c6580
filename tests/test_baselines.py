"""Tests for normad_edu.baselines: the ReSuMe update and its use in training."""

from __future__ import annotations

import numpy as np
import pytest

from normad_edu.baselines import A_NON_HEBBIAN, TAU_R, resume_update
from normad_edu.network import forward
from normad_edu.normad import NormADParams, error_instants
from normad_edu.params import LIFParams, SimParams, SynapseParams
from normad_edu.spikes import poisson_spike_train, poisson_spike_trains, stack_padded
from normad_edu.training import TrainConfig, train

SIM = SimParams(T=200.0)


def two_layer_batch(seed=0, B=2):
    rng = np.random.default_rng(seed)
    xs = [poisson_spike_trains(20, 25.0, SIM.T, rng) for _ in range(B)]
    Ws = [rng.uniform(0, 3000.0, (B, 6, 20)), rng.uniform(0, 12000.0, (B, 2, 6))]
    rec = forward(xs, Ws, LIFParams(), SynapseParams(), SIM)
    desired = [[poisson_spike_train(15.0, SIM.T, rng, t_dead=2.0) for _ in range(2)] for _ in range(B)]
    return rec, desired


def direct_resume(rec, desired, rate, tau_R, a, width):
    """r * sum_e e (a + sum_{f: t_f < t_e} exp(-(t_e - t_f)/tau_R)), one instant at a time."""
    pre = rec.layers[-2]
    out = rec.output
    B, n_out, n_pre = rec.weights[-1].shape
    dW = np.zeros((B, n_out, n_pre))
    signs = []
    for b in range(B):
        for k in range(n_out):
            obs = out.times[b, k, : out.counts[b, k]]
            t_e, s_e = error_instants(desired[b][k], obs, width)
            signs += list(s_e)
            for t, s in zip(t_e, s_e):
                for i in range(n_pre):
                    tf = pre.times[b, i, : pre.counts[b, i]]
                    tf = tf[tf < t]
                    dW[b, k, i] += rate * s * (a + np.exp(-(t - tf) / tau_R).sum())
    return dW, np.array(signs)


@pytest.mark.parametrize("tau_R, a", [(TAU_R, A_NON_HEBBIAN), (2.0, 0.0), (20.0, 0.3)])
def test_resume_equals_direct_per_instant_computation(tau_R, a):
    rec, desired = two_layer_batch()
    dWs = resume_update(rec, stack_padded(desired), 700.0, tau_R=tau_R, a=a, sim=SIM)
    ref, signs = direct_resume(rec, desired, 700.0, tau_R, a, SIM.dt)
    assert (signs == 1).sum() > 2 and (signs == -1).sum() > 2  # errors of both signs
    assert len(dWs) == 2
    assert dWs[-1].shape == ref.shape
    assert np.allclose(dWs[-1], ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())
    # hidden layers get zeros of the right shape
    assert dWs[0].shape == rec.weights[0].shape and np.all(dWs[0] == 0.0)


def test_resume_no_error_gives_zero_and_rate_is_linear():
    rec, _ = two_layer_batch(1)
    out = rec.output
    same = [[out.times[b, k, : out.counts[b, k]] for k in range(2)] for b in range(2)]
    assert out.counts.sum() > 0
    zero = resume_update(rec, stack_padded(same), 700.0, sim=SIM)
    assert all(np.all(d == 0.0) for d in zero)
    _, desired = two_layer_batch(1)
    a = resume_update(rec, stack_padded(desired), 700.0, sim=SIM)[-1]
    b = resume_update(rec, stack_padded(desired), 350.0, sim=SIM)[-1]
    assert np.any(a != 0) and np.allclose(b, a / 2, rtol=1e-14, atol=0)


def test_resume_uses_the_coincidence_tolerance():
    rec, _ = two_layer_batch(1)
    out = rec.output
    # every output spike moved inside its 0.1 ms bin (and kept there)
    moved = [[np.floor(out.times[b, k, : out.counts[b, k]] / 0.1) * 0.1 + 0.0001 for k in range(2)] for b in range(2)]
    assert all(np.all(resume_update(rec, stack_padded(moved), 700.0, sim=SIM)[l] == 0) for l in range(2))
    strict = resume_update(rec, stack_padded(moved), 700.0, sim=SIM, params=NormADParams(coincidence_dt=0.0))
    assert np.any(strict[-1] != 0)


def test_resume_single_layer_pure_non_hebbian_before_any_input():
    # an error before any presynaptic spike: only the non-Hebbian term a acts
    x = [np.array([100.0, 150.0]) for _ in range(5)]
    rec = forward(x, [np.zeros((1, 5))], LIFParams(), SynapseParams(), SIM)
    dW = resume_update(rec, stack_padded([[np.array([10.0])]]), 100.0, a=0.05, sim=SIM)
    assert len(dW) == 1 and np.allclose(dW[0], 100.0 * 0.05, rtol=1e-15)


def test_resume_rejects_bad_arguments():
    rec, desired = two_layer_batch()
    d = stack_padded(desired)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError, match="tau_R"):
            resume_update(rec, d, 1.0, tau_R=bad)
    with pytest.raises(ValueError, match="rate"):
        resume_update(rec, d, -1.0)
    with pytest.raises(ValueError, match="a"):
        resume_update(rec, d, 1.0, a=-0.1)
    with pytest.raises(TypeError, match="tau_R"):
        resume_update(rec, d, 1.0, tau_R="5")


def _small_problem(P=2, n_hidden=None, seed=0):
    rng = np.random.default_rng(seed)
    inputs = [[poisson_spike_trains(20, 20.0, SIM.T, rng)] for _ in range(P)]
    desired = [[[poisson_spike_train(10.0, SIM.T, rng, t_dead=2.0)]] for _ in range(P)]
    if n_hidden is None:
        return inputs, desired, [np.zeros((P, 1, 20))]
    return inputs, desired, [rng.uniform(0, 3000.0, (P, n_hidden, 20)), np.zeros((P, 1, n_hidden))]


def test_training_with_resume_and_plastic_hidden_layer_raises():
    inputs, desired, Ws = _small_problem(n_hidden=5)
    with pytest.raises(ValueError, match="resume"):
        train(inputs, desired, Ws, TrainConfig(rates=(10.0, 10.0), rule="resume", max_iter=2), sim=SIM, progress=False)
    with pytest.raises(ValueError, match="resume"):  # default plastic = every layer
        train(inputs, desired, Ws, TrainConfig(rates=10.0, rule="resume", max_iter=2), sim=SIM, progress=False)


def test_training_with_resume_updates_only_the_output_layer():
    inputs, desired, Ws = _small_problem(n_hidden=5)
    res = train(inputs, desired, Ws, TrainConfig(rates=(10.0, 200.0), plastic=(False, True), rule="resume",
                                                 max_iter=5), sim=SIM, rng=0, progress=False)
    assert np.array_equal(res.weights[0], Ws[0])
    assert not np.array_equal(res.weights[1], Ws[1])
    assert res.meta["config"]["rule"] == "resume"


def test_training_with_resume_follows_resume_update():
    # one iteration of training equals one resume_update step on the initial forward pass
    inputs, desired, Ws = _small_problem(P=2)
    rate = 200.0
    res = train(inputs, desired, Ws, TrainConfig(rates=(rate,), rule="resume", max_iter=1, mode="batch"),
                sim=SIM, rng=0, progress=False)
    rec = forward([p[0] for p in inputs], Ws, LIFParams(), SynapseParams(), SIM)
    dW = resume_update(rec, stack_padded([p[0] for p in desired]), rate, sim=SIM)
    assert np.allclose(res.weights[0], Ws[0] + dW[0], rtol=1e-12, atol=1e-9)


def test_resume_update_checks_desired_counts_against_the_padded_width():
    """A count above the padded width used to read uninitialised memory (segfault) in the error-instant kernel."""
    import numpy as np
    import pytest

    from normad_edu.baselines import resume_update
    from normad_edu.network import forward

    rec = forward([[np.array([1.0, 5.0])]], [np.full((1, 1, 1), 100.0)])
    with pytest.raises(ValueError, match="desired counts"):
        resume_update(rec, (np.array([[[10.0]]]), np.array([[10**8]])), 100.0)
    with pytest.raises(ValueError, match="desired"):
        resume_update(rec, (np.array([[[np.nan]]]), np.array([[1]])), 100.0)


def test_resume_update_in_blocks_of_problems_is_bit_identical(monkeypatch):
    """The (error instant, presynaptic spike) pairs are formed a block of problems at a time: same bits."""
    import normad_edu.baselines as baselines

    rec, desired = two_layer_batch(seed=3, B=5)
    whole = resume_update(rec, stack_padded(desired), 700.0, sim=SIM)[-1]
    monkeypatch.setattr(baselines, "WINDOW_BLOCK_PAIRS", 1)  # one problem per block
    np.testing.assert_array_equal(resume_update(rec, stack_padded(desired), 700.0, sim=SIM)[-1], whole)
