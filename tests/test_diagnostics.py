"""The training monitor (normad_edu.research.diagnostics) and its anatomy plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from normad_edu.research.diagnostics import TrainingMonitor, error_instant_anatomy, summarize_run  # noqa: E402
from normad_edu.experiments import make_experiment  # noqa: E402
from normad_edu.setups import DeepSetup, with_max_iter
from normad_edu.normad import Kernels, LayerSpikes  # noqa: E402
from normad_edu.training import TrainingResult  # noqa: E402

SMALL = with_max_iter(DeepSetup(sizes=(40, 20, 10, 1), a_hidden=(3000.0, 6000.0)), 12)


@pytest.fixture(scope="module")
def runs():
    ex = make_experiment("deep", "all", n_runs=3, seed=2, setup=SMALL)
    plain = ex.run(progress=False)
    mon = ex.run(progress=False, monitor=TrainingMonitor(every=4, anatomy_every=6))
    return ex, plain, mon


def test_the_monitor_only_watches(runs):
    _, plain, mon = runs
    assert all(np.array_equal(a, b) for a, b in zip(plain.weights, mon.weights))
    assert np.array_equal(plain.correlation, mon.correlation) and plain.diagnostics is None


def test_error_counts_and_update_norms_agree_with_the_run(runs):
    ex, _, mon = runs
    d = mon.diagnostics
    act = d["active"]
    assert np.array_equal((d["errors_missed"] + d["errors_extra"])[act], mon.error_count[..., 0][act])
    # iteration 0's update is the difference between the initial weights and those after one iteration
    one = ex.run(progress=False, max_iter=1, monitor=TrainingMonitor())
    for l in range(3):
        moved = np.sqrt(((one.weights[l] - ex.weights[l]) ** 2).sum(axis=(1, 2)))
        np.testing.assert_allclose(one.diagnostics["update_norm"][0, :, l], moved, rtol=1e-12)


def test_hidden_layers_are_dead_while_the_output_weights_are_zero(runs):
    """With W^L = 0 the adjoints a = -W^L psihat' vanish: every hidden G has zero norm at iteration 0."""
    _, _, mon = runs
    d = mon.diagnostics
    had_errors = (d["errors_missed"][0] + d["errors_extra"][0]) > 0
    assert had_errors.all()
    assert d["dead_layer"][0, :, :2].all() and not d["dead_layer"][0, :, 2].any()
    assert d["anatomy_iterations"][0] == 0
    np.testing.assert_array_equal(d["zero_norm"][0, :, 0], d["n_instants"][0])  # every instant skipped in layer 1
    assert np.isnan(d["largest_share"][0, :, :2]).all()
    later = d["largest_share"][1:, :, :2]
    assert np.all((later[np.isfinite(later)] > 0) & (later[np.isfinite(later)] <= 1))


def test_hidden_spike_counts_and_vdot_are_recorded_per_neuron(runs):
    _, _, mon = runs
    d = mon.diagnostics
    assert d["hidden_sizes"].tolist() == [20, 10] and d["hidden_spikes"].shape[2] == 30
    assert d["sampled"].tolist()[:2] == [0, 4]
    s0 = d["sampled"][0]
    bounds = [0, 20, 30]
    for l in range(2):
        assert np.array_equal(d["hidden_spikes"][0, :, bounds[l]:bounds[l + 1]].sum(axis=1), mon.spike_count[s0, :, l])
    fin = d["vdot_clipped"][np.isfinite(d["vdot_clipped"])]
    assert fin.size and np.all((fin >= 0) & (fin <= 1))
    inv = d["inv_vdot"][np.isfinite(d["inv_vdot"])].reshape(-1)
    assert np.all(inv <= 1.0 / 1.0 + 1e-12)  # 1 / max(Vdot, vdot_min = 1 mV/ms)
    s = summarize_run(d, 0)
    assert len(s["dead_fraction"]) == 3 and len(s["spikes_change"]) == 2


def test_one_spike_decides_the_whole_hidden_update():
    """A hidden layer with a single spike before the error instant: its G has one term, share 1."""
    kern = Kernels(5.0, 1.25, 300.0, 2.5)
    inputs = LayerSpikes(np.array([1.0, 2.0, 3.0]), np.array([0, 1, 1]), np.full(3, np.nan), 2)
    hidden = LayerSpikes(np.array([6.0]), np.array([0]), np.array([0.5]), 2)
    norms, share = error_instant_anatomy(10.0, 0, [inputs, hidden], [np.ones((2, 2)), np.array([[700.0, 0.0]])],
                                         kern, vdot_min=1.0)
    assert share[0] == 1.0 and norms[0] > 0 and norms[1] > 0 and np.isnan(share[1])


def test_diagnostics_survive_save_and_load_and_draw(runs, tmp_path):
    from normad_edu.research.figures import fig_run_anatomy

    _, plain, mon = runs
    mon.save(tmp_path / "r.npz")
    back = TrainingResult.load(tmp_path / "r.npz")
    assert set(back.diagnostics) == set(mon.diagnostics)
    assert all(np.array_equal(back.diagnostics[k], v, equal_nan=v.dtype.kind == "f")
               for k, v in mon.diagnostics.items())
    fig = fig_run_anatomy(back, 1, title="anatomy")
    assert len(fig.axes) >= 4
    with pytest.raises(ValueError, match="no diagnostics"):
        fig_run_anatomy(plain)
    with pytest.raises(ValueError, match="problem"):
        fig_run_anatomy(back, 7)


def test_classify_flags_mechanisms_and_the_table_counts_them(runs):
    from normad_edu.research.dynamics import MECHANISMS, Criteria, classify, mechanism_table

    _, _, mon = runs
    # with skip = 0 the first iteration (output weights 0: hidden layers dead, output silent) counts
    strict = Criteria(dead=0.01, silent=0.01, skip=0)
    c = classify(mon, 0, strict, output_only_converged=True)
    assert set(c["flags"]) == set(MECHANISMS)
    assert c["dead_fraction"] == 0.0  # the output layer always learns, so never *every* layer is dead
    assert c["silent_output_fraction"] > 0 and c["flags"]["silent_output"]
    assert c["flags"]["interference"] and 0 <= c["final_correlation"] <= c["peak_correlation"] <= 1
    runs_ = {i: classify(mon, i) for i in range(3)}
    table = mechanism_table(runs_)
    assert table["n_failed"] + table["n_converged"] == 3
    assert all(v["failed"] <= table["n_failed"] for v in table["table"].values())


def test_homeostasis_is_off_by_default_and_pulls_hidden_activity_back():
    """The labelled deviation: with h > 0, a hidden neuron that fires less than at the start gets stronger inputs."""
    from dataclasses import replace

    from normad_edu.training import TrainConfig

    assert TrainConfig(rates=(1.0,)).homeostasis == 0.0
    ex = make_experiment("deep", "all", n_runs=2, seed=2, setup=SMALL)
    base = ex.run(progress=False)
    homeo = make_experiment("deep", "all", n_runs=2, seed=2, setup=replace(SMALL, homeostasis=50.0)).run(progress=False)
    moved = [np.abs(a - b).max() for a, b in zip(homeo.weights[:2], base.weights[:2])]
    assert all(m > 0 for m in moved) and np.array_equal(homeo.weights[2][:, :, :0], base.weights[2][:, :, :0])
    with pytest.raises(ValueError, match="homeostasis"):
        TrainConfig(rates=(1.0,), homeostasis=-1.0)


def test_homeostasis_leaves_a_network_at_its_initial_activity_alone():
    from dataclasses import replace

    still = replace(SMALL, r_out=0.0, r_hidden_all=0.0, max_iter=3)  # nothing learns: activity stays at c0
    a = make_experiment("deep", "all", n_runs=2, seed=2, setup=still).run(progress=False)
    b = make_experiment("deep", "all", n_runs=2, seed=2, setup=replace(still, homeostasis=50.0)).run(progress=False)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
