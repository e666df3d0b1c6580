"""Tests for normad_edu.course.widgets.backprop (notebook 05): the gradient-check
widget over a grid of slider values (both ends of every slider), the
per-spike adjoints against the compiled backward pass, the flow figure and
widget, and the response time of the gradient-check callback."""

from __future__ import annotations

import itertools
import os
import time

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from normad_edu.network import forward  # noqa: E402
from normad_edu.normad import NormADParams, backward  # noqa: E402
from normad_edu.params import LIFParams, SimParams, SynapseParams  # noqa: E402
from normad_edu.spikes import poisson_spike_trains  # noqa: E402
from normad_edu.course.widgets import backprop as wb  # noqa: E402

def _net(sizes=(20, 8, 4, 1), T=100.0, seed=0, drive=(60000.0, 40000.0, 40000.0), t_ref=2.0):
    rng = np.random.default_rng(seed)
    x = poisson_spike_trains(sizes[0], 40.0, T, rng)
    Ws = [rng.uniform(0, a / sizes[l - 1], (sizes[l], sizes[l - 1])) for l, a in zip(range(1, len(sizes)), drive)]
    Ws[-1] *= np.where(rng.random(Ws[-1].shape) < 0.8, 1.0, -1.0)
    lif = LIFParams(t_ref=t_ref)
    return forward(x, Ws, lif=lif, sim=SimParams(T=T)), lif


def _check_summary(s, L=3):
    for key in ("cosine", "norm_ratio"):
        assert s[key].shape == (L,) and np.all(np.isfinite(s[key]))
    assert s["defined"].dtype == bool and s["defined"].shape == (L,)
    assert np.all(np.abs(s["cosine"][s["defined"]]) <= 1 + 1e-9)
    assert np.all(s["norm_ratio"] >= 0)
    assert len(s["spike_counts"]) == L


# --------------------------------------------------------------------------
# gradient-check widget
# --------------------------------------------------------------------------

@pytest.mark.parametrize("t_ref, tau, clip, seed", list(itertools.product(
    (wb.T_REF_MIN, 2.0, wb.T_REF_MAX), (wb.TAU_HAT_MIN, 10.0, wb.TAU_HAT_MAX), (False, True), (0, wb.N_SEEDS - 1))))
def test_gradcheck_over_slider_grid(t_ref, tau, clip, seed):
    s = wb.gradcheck_summary(t_ref, tau, clip, seed)
    _check_summary(s)
    fig = wb.gradcheck_figure(s)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    # the output layer has no spike-time chain: exact whenever it is defined
    if s["defined"][-1]:
        assert s["cosine"][-1] == pytest.approx(1.0, abs=1e-6)
        assert s["norm_ratio"][-1] == pytest.approx(1.0, abs=1e-4)


def test_gradcheck_exact_case():
    # t_ref >= T (one spike per neuron), tau_L' = tau_L, no clip: the rule is the exact derivative
    s = wb.gradcheck_summary(t_ref=wb.T_REF_MAX, tau_L_hat=10.0, clip_vdot=False, seed=0)
    assert s["defined"].all() and all(c > 0 for c in s["spike_counts"][:-1])
    np.testing.assert_allclose(s["cosine"], 1.0, atol=1e-3)
    np.testing.assert_allclose(s["norm_ratio"], 1.0, atol=1e-3)


def test_gradcheck_silent_network_is_finite_and_marked():
    # measured: seed 1 on T = 100 ms with t_ref 50 ms leaves layer 2 silent -> no gradient anywhere
    s = wb.gradcheck_summary(t_ref=50.0, tau_L_hat=10.0, seed=1, T=100.0)
    _check_summary(s)
    assert not s["defined"].any()
    assert np.all(s["cosine"] == 0) and np.all(s["norm_ratio"] == 0)
    assert isinstance(wb.gradcheck_figure(s), Figure)


def test_gradcheck_builder_and_callbacks():
    box = wb.build_gradcheck_widget()
    assert set(box.sliders) == {"t_ref", "tau_L_hat", "seed", "clip_vdot"}
    assert isinstance(box.state["figure"], Figure)
    s = box.sliders
    assert all(s[k].continuous_update is False for k in ("t_ref", "tau_L_hat", "seed"))
    for name, value in (("t_ref", wb.T_REF_MAX), ("t_ref", wb.T_REF_MIN), ("tau_L_hat", wb.TAU_HAT_MAX),
                        ("tau_L_hat", wb.TAU_HAT_MIN), ("seed", wb.N_SEEDS - 1), ("clip_vdot", True)):
        before = box.state["figure"]
        s[name].value = value
        assert box.state["figure"] is not before
        _check_summary(box.state["summary"])
        plt.close("all")


def test_gradcheck_callback_responds_fast():
    box = wb.build_gradcheck_widget()
    times = []
    for t_ref in (0.0, 1.0, 0.0):  # t_ref 0: the most spikes
        t0 = time.perf_counter()
        box.sliders["t_ref"].value = t_ref
        times.append(time.perf_counter() - t0)
        plt.close("all")
    if os.getloadavg()[0] > 1.5:
        pytest.skip(f"machine busy (load {os.getloadavg()[0]:.1f}); measured {min(times):.2f} s")
    assert min(times) <= 0.5, times


# --------------------------------------------------------------------------
# per-spike adjoints
# --------------------------------------------------------------------------

@pytest.mark.parametrize("sizes, seed, tau, vdot_min, t", [
    ((20, 8, 4, 1), 0, 2.5, 1.0, 70.0),
    ((20, 8, 4, 1), 0, 10.0, 1e-9, 55.0),
    ((20, 8, 4, 1), 2, 2.5, 1.0, 90.0),
    ((20, 8, 1), 1, 2.5, 1.0, 60.0),
    ((15, 8, 6, 4, 2), 3, 5.0, 0.5, 80.0),
])
def test_adjoints_reproduce_the_compiled_backward_pass(sizes, seed, tau, vdot_min, t):
    drive = (60000.0,) + (40000.0,) * (len(sizes) - 2)
    rec, lif = _net(sizes, seed=seed, drive=drive)
    assert all(lay.counts.sum() > 0 for lay in rec.layers[:-1])  # the chain is not trivial
    p = NormADParams(tau_L_hat=tau, vdot_min=vdot_min)
    syn = SynapseParams()
    L = len(sizes) - 1
    adj = wb.spike_adjoints(rec, t, params=p, lif=lif, syn=syn)
    assert len(adj) == L - 1
    for l, a in enumerate(adj, start=1):
        assert a["times"].size == rec.layers[l - 1].counts.sum()
        assert np.all(np.diff(a["times"]) >= 0)
        assert np.all(a["a"][a["times"] >= t] == 0) and np.all(a["delta"][a["times"] >= t] == 0)  # causality
        assert np.all(np.isfinite(a["delta"]))
    G = wb.gradients_from_adjoints(rec, t, adj, params=p, lif=lif, syn=syn)
    err_t = np.full((1, sizes[-1], 1), t)
    err_s = np.zeros((1, sizes[-1], 1), dtype=np.int8)
    err_s[0, 0, 0] = 1
    Gb = backward(rec, err_t, err_s, np.ones(L), np.ones(L, dtype=bool), lif=lif, syn=syn, params=p, normalize=False)
    for g, gb in zip(G, Gb):
        assert g.shape == gb[0].shape
        np.testing.assert_allclose(g, gb[0], rtol=1e-9, atol=1e-12 * max(np.abs(gb).max(), 1e-300))


def test_adjoints_of_a_single_layer_net_are_empty():
    rec, lif = _net((10, 1), drive=(20000.0,))
    assert wb.spike_adjoints(rec, 50.0, lif=lif) == []


def test_flow_figure_and_widget_over_slider_ends():
    rec, lif = _net()
    fig = wb.backprop_flow_figure(rec, 70.0, T=100.0, lif=lif)
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    box = wb.build_backprop_flow_widget(rec, T=100.0, lif=lif)
    assert box.sliders["t"].value == pytest.approx(80.0)
    for name, value in (("t", 0.0), ("t", 100.0), ("tau_L_hat", wb.TAU_HAT_MIN), ("tau_L_hat", wb.TAU_HAT_MAX)):
        before = box.state["figure"]
        box.sliders[name].value = value
        f = box.state["figure"]
        assert f is not before
        for ax in f.axes:
            for line in ax.get_lines():
                assert not np.isnan(np.asarray(line.get_ydata(), dtype=float)).any()
        plt.close("all")
