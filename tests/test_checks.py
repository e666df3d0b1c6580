"""Tests for normad_edu.course.exercises.nb08: the checkers of the graded notebook 08 (instructor/08_assignments.ipynb).

* right answers pass, on the visible and on the hidden cases: the instructor
  notebook's own solutions and independent "learner" solutions written here
  (with the tools each exercise allows);
* a catalogue of wrong answers, one small function each, is caught by every
  checker, with the specific hint where there is one; ignoring any argument
  (using its default) is caught; a hint is never given for a mistake that
  equals the right answer on the case shown;
* borrowed answers (the library's own implementation or ``reference_*``,
  called directly, through an alias, a closure, a default argument, a
  partial, a helper, an import, a string lookup...) are refused, and the
  library works normally afterwards;
* a check prints one message and nothing else, never raises;
* the hidden cases cannot be read from the package: they are drawn at
  grading time from a fresh seed, so answers looked up from cases drawn
  beforehand fail; the graded tests reload the checkers, so a solution cell
  that rebinds or patches a checker still fails;
* the checkers' references agree with independent computations: numerical
  integration, the simulator's propagator, the library's compiled NormAD
  update and adjoint sweep.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from normad_edu import forward, kernels, poisson_spike_trains
from normad_edu import normad as core
from normad_edu._engine.sweeps import adjoint_sweep as _adjoint_sweep
from normad_edu._engine.kernels import exp_filter as _engine_exp_filter
from normad_edu.course.exercises import borrowing, framework, nb08
from normad_edu.course.exercises.nb08 import (
    check_alpha_kernel,
    check_backprop_adjoints,
    check_lif_step,
    check_normad_single_update,
    reference_alpha_kernel,
    reference_backprop_adjoints,
    reference_lif_step,
    reference_normad_single_update,
)
from normad_edu.kernels import psi_hat_kernel, psi_hat_kernel_dot
from normad_edu._engine.kernels import exp_filter as _exp_filter
from normad_edu.normad import d_hat, error_instants, normad_update
from normad_edu.params import LIFParams, SimParams, SynapseParams

NOTEBOOK = Path(__file__).resolve().parents[1] / "instructor" / "08_assignments.ipynb"
NUMBER = {name: ex.number for name, ex in nb08.EXERCISES.items()}

CHECKS = {
    "alpha_kernel": check_alpha_kernel,
    "lif_step": check_lif_step,
    "normad_single_update": check_normad_single_update,
    "backprop_adjoints": check_backprop_adjoints,
}


@pytest.fixture(autouse=True)
def _fresh_scoreboard():
    framework.reset_scoreboard()
    yield
    framework.reset_scoreboard()


def _run(check, fn, capsys, **kwargs):
    result = check(fn, **kwargs)
    captured = capsys.readouterr()
    assert isinstance(result, framework.Verdict) and result.printed
    assert captured.err == "", captured.err  # nothing on stderr (nbgrader scores a test with stderr 0)
    return bool(result), captured.out


# --------------------------------------------------------------------------
# independent learner solutions (only the tools each exercise allows)
# --------------------------------------------------------------------------


def learner_alpha_kernel(t, tau1=5.0, tau2=1.25):
    t = np.asarray(t, dtype=float)
    p = np.maximum(t, 0.0)
    v = np.where(t >= 0, np.exp(-p / tau1) - np.exp(-p / tau2), 0.0)
    return v if v.ndim else float(v)


def _E(h, tau, tau_L):
    if tau == tau_L:
        return h * math.exp(-h / tau_L)
    return (math.exp(-h / tau) - math.exp(-h / tau_L)) / (1 / tau_L - 1 / tau)


def learner_lif_step(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    u_new = u * math.exp(-h / tau_L) + (I1 * _E(h, tau1, tau_L) - I2 * _E(h, tau2, tau_L)) / C
    return u_new, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def _own_instants(desired, observed, dt, *, cancel):
    """Error instants by merging the two sorted trains; ``cancel(t_d, t_o)`` says whether a pair cancels."""
    d, o = sorted(desired), sorted(observed)
    out, i, j = [], 0, 0
    while i < len(d) or j < len(o):
        if i < len(d) and j < len(o) and cancel(d[i], o[j]):
            i, j = i + 1, j + 1
        elif j == len(o) or (i < len(d) and d[i] < o[j]):
            out.append((d[i], 1))
            i += 1
        else:
            out.append((o[j], -1))
            j += 1
    return out


def _bin_instants(desired, observed, dt):
    """A learner's own same-bin error instants ``(times, signs)``: what the library's error_instants computes."""
    same_bin = lambda td, to: math.floor(td / dt) == math.floor(to / dt)  # noqa: E731
    pairs = _own_instants(desired, observed, dt, cancel=same_bin)
    return np.array([t for t, _ in pairs], dtype=float), np.array([e for _, e in pairs], dtype=int)


def _dhat(t_e, trains, tau1, tau2, C, tau_L_hat):
    return np.array([psi_hat_kernel(t_e - np.asarray(tr, dtype=float), tau1, tau2, C, tau_L_hat).sum()
                     for tr in trains])


def learner_normad(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0, tau2=1.25,
                   C=300.0):
    """Own same-bin cancellation (no error_instants), psi_hat_kernel for dhat."""
    same_bin = lambda td, to: math.floor(td / coincidence_dt) == math.floor(to / coincidence_dt)  # noqa: E731
    dW = np.zeros(len(input_trains))
    for t_e, e in _own_instants(desired, observed, coincidence_dt, cancel=same_bin):
        dhat = _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat)
        norm = np.linalg.norm(dhat)
        if norm > 0:
            dW += r * e * dhat / norm
    return dW


def add_normalized(dW, g, step):
    """A learner's own helper that happens to share a library function's name (must not be refused)."""
    norm = np.linalg.norm(g)
    if norm > 0:
        dW += step * g / norm


def learner_normad_with_tools(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                              tau2=1.25, C=300.0):
    """The tools the exercise allows: d_hat for dhat (and its own error instants, by bins)."""
    times, signs = _bin_instants(desired, observed, coincidence_dt)
    dW = np.zeros(len(input_trains))
    if times.size:
        D = d_hat(times, input_trains, tau_L_hat=tau_L_hat, syn=SynapseParams(tau1=tau1, tau2=tau2),
                  lif=LIFParams(C=C))
        for e, row in zip(signs, D):
            add_normalized(dW, row, r * e)
    return dW


def _bp_pairs(a, up, vd, W, low, vdot_min, kernel, later):
    """a_i^g = sum_j sum_f a_j^f / max(Vdot_j^f, vdot_min) W[j, i] kernel(t_j^f, t_i^g) over later(t_j^f, t_i^g)."""
    out = []
    for i, t_i in enumerate(low):
        t_i = np.asarray(t_i, dtype=float)
        a_i = np.zeros(t_i.size)
        for j, t_j in enumerate(up):
            for t_jf, a_jf, v_jf in zip(t_j, a[j], vd[j]):
                mask = later(t_jf, t_i)
                a_i[mask] += a_jf / max(v_jf, vdot_min) * W[j, i] * kernel(t_jf, t_i[mask])
        out.append(a_i)
    return out


def learner_backprop(a_upper, upper_times, upper_vdot, W, lower_times, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0,
                     tau2=1.25, C=300.0):
    """Loops over lower neurons, upper neurons and their spikes; only later upper spikes count."""
    return _bp_pairs(a_upper, upper_times, upper_vdot, np.asarray(W, dtype=float), lower_times, vdot_min,
                     lambda tj, ti: psi_hat_kernel_dot(tj - ti, tau1, tau2, C, tau_L_hat), lambda tj, ti: tj > ti)


LEARNERS = {
    "alpha_kernel": learner_alpha_kernel,
    "lif_step": learner_lif_step,
    "normad_single_update": learner_normad,
    "backprop_adjoints": learner_backprop,
}


# --------------------------------------------------------------------------
# right answers pass
# --------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("name", list(CHECKS))
def test_learner_solution_passes(name, hidden, capsys):
    ok, out = _run(CHECKS[name], LEARNERS[name], capsys, hidden=hidden)
    assert ok, out
    assert out.startswith("[PASS]") and f"Exercise {NUMBER[name]}" in out
    assert out.count("\n") == 1  # one line, nothing else
    assert ("hidden from the notebook's check" in out) is hidden
    assert framework.passed(name)


def test_solution_with_the_allowed_tools_passes(capsys):
    ok, out = _run(check_normad_single_update, learner_normad_with_tools, capsys, hidden=True)
    assert ok, out


def _notebook_solutions() -> dict:
    """Execute the instructor notebook's setup cell and every cell holding a solution block."""
    nbformat = pytest.importorskip("nbformat")

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    setup = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    namespace: dict = {}
    exec(compile(setup, "setup", "exec"), namespace)  # imports
    for src in code:
        if "### BEGIN SOLUTION" in src:
            exec(compile(src, "solution", "exec"), namespace)
    return namespace


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
def test_notebook_solutions_pass_every_check(hidden, capsys):
    ns = _notebook_solutions()
    for name, check in CHECKS.items():
        ok, out = _run(check, ns[name], capsys, hidden=hidden)
        assert ok, out


def test_notebook_solutions_agree_with_references_off_the_check_grid():
    """The notebook's solutions are written independently of the references: compare on fresh inputs."""
    ns = _notebook_solutions()
    rng = np.random.default_rng(11)
    t = rng.uniform(-10, 50, 200)
    np.testing.assert_allclose(ns["alpha_kernel"](t, 7.0, 3.0), kernels.alpha_kernel(t, 7.0, 3.0), rtol=1e-14)
    for _ in range(20):
        args = (rng.uniform(-10, 60), rng.uniform(-3e3, 3e3), rng.uniform(-3e3, 3e3), rng.uniform(0, 20),
                rng.uniform(4, 9), rng.uniform(0.5, 3), rng.uniform(10, 20), rng.uniform(100, 400))
        np.testing.assert_allclose(ns["lif_step"](*args), reference_lif_step(*args), rtol=1e-10, atol=1e-12)
    trains = poisson_spike_trains(15, 40.0, 100.0, rng)
    desired, observed = np.sort(rng.uniform(0, 100, 4)), np.sort(rng.uniform(0, 100, 6))
    args = (trains, desired, observed, 700.0, 4.0, 0.3, 7.0, 2.0, 250.0)
    np.testing.assert_allclose(ns["normad_single_update"](*args), reference_normad_single_update(*args), rtol=1e-10)
    up = poisson_spike_trains(6, 60.0, 80.0, rng)
    low = poisson_spike_trains(8, 60.0, 80.0, rng)
    a = [rng.normal(size=t.size) for t in up]
    vd = [rng.uniform(0.2, 3.0, t.size) for t in up]
    W = rng.normal(0, 500, (6, 8))
    args = (a, up, vd, W, low, 0.7, 4.0, 6.0, 1.5, 200.0)
    for g, e in zip(ns["backprop_adjoints"](*args), reference_backprop_adjoints(*args)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-15)


# --------------------------------------------------------------------------
# the catalogue of wrong answers: each one is caught
# --------------------------------------------------------------------------


def alpha_swapped(t, tau1=5.0, tau2=1.25):
    return learner_alpha_kernel(t, tau2, tau1)


def alpha_no_step(t, tau1=5.0, tau2=1.25):
    t = np.asarray(t, dtype=float)
    v = np.exp(-t / tau1) - np.exp(-t / tau2)
    return v if v.ndim else float(v)


def alpha_defaults_only(t, tau1=5.0, tau2=1.25):
    return learner_alpha_kernel(t)


def alpha_single_exponential(t, tau1=5.0, tau2=1.25):
    t = np.asarray(t, dtype=float)
    v = np.where(t >= 0, np.exp(-np.maximum(t, 0) / tau1), 0.0)
    return v if v.ndim else float(v)


def alpha_array_for_scalar(t, tau1=5.0, tau2=1.25):
    return np.atleast_1d(learner_alpha_kernel(t, tau1, tau2))


def alpha_step_at_positive_t(t, tau1=5.0, tau2=1.25):
    t = np.asarray(t, dtype=float)
    v = np.where(t > 0.1, np.exp(-t / tau1) - np.exp(-t / tau2), 0.0)  # drops 0 <= t <= 0.1
    return v if v.ndim else float(v)


def alpha_flattened(t, tau1=5.0, tau2=1.25):
    return np.ravel(learner_alpha_kernel(t, tau1, tau2)) if np.ndim(t) else learner_alpha_kernel(t, tau1, tau2)


def lif_euler(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return u + h * (-u / tau_L + (I1 - I2) / C), I1 * (1 - h / tau1), I2 * (1 - h / tau2)


def lif_no_limit(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    def E(tau):
        return (math.exp(-h / tau) - math.exp(-h / tau_L)) / (1 / tau_L - 1 / tau)  # ZeroDivisionError at the limit

    u_new = u * math.exp(-h / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C
    return u_new, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def lif_no_limit_numpy(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    def E(tau):
        return (np.exp(-h / tau) - np.exp(-h / tau_L)) / (np.float64(1 / tau_L) - np.float64(1 / tau))  # NaN

    return u * np.exp(-h / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C, I1 * np.exp(-h / tau1), I2 * np.exp(-h / tau2)


def lif_frozen_traces(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return learner_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)[0], I1, I2


def lif_plus_I2(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    _, I1_new, I2_new = learner_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)
    return learner_lif_step(u, I1, -I2, h, tau1, tau2, tau_L, C)[0], I1_new, I2_new


def lif_u_does_not_decay(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    u_new, I1_new, I2_new = learner_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)
    return u_new - u * math.exp(-h / tau_L) + u, I1_new, I2_new


def lif_no_division_by_C(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return (u * math.exp(-h / tau_L) + (I1 * _E(h, tau1, tau_L) - I2 * _E(h, tau2, tau_L)),
            I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2))


def lif_swapped_traces(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return learner_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)[0], I1 * math.exp(-h / tau2), I2 * math.exp(-h / tau1)


def lif_returns_u_only(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return learner_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)[0]


def lif_float32(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    f = np.float32
    def E(tau):  # noqa: E306
        if tau == tau_L:
            return f(h) * np.exp(f(-h / tau_L))
        return (np.exp(f(-h / tau)) - np.exp(f(-h / tau_L))) / f(1 / tau_L - 1 / tau)

    u_new = f(u) * np.exp(f(-h / tau_L)) + (f(I1) * E(tau1) - f(I2) * E(tau2)) / f(C)
    return float(u_new), I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def lif_loose_limit(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    """Uses the tau == tau_L limit whenever tau is within 30 % of tau_L (an approximation)."""
    def E(tau):
        return h * math.exp(-h / tau_L) if abs(tau - tau_L) < 0.3 * tau_L else _E(h, tau, tau_L)

    u_new = u * math.exp(-h / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C
    return u_new, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def normad_unnormalized(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0, tau2=1.25,
                        C=300.0):
    times, signs = _bin_instants(desired, observed, coincidence_dt)
    dW = np.zeros(len(input_trains))
    for t_e, e in zip(times, signs):
        dW += r * e * _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat)
    return dW


def normad_nan_at_zero_norm(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                            tau2=1.25, C=300.0):
    times, signs = _bin_instants(desired, observed, coincidence_dt)
    dW = np.zeros(len(input_trains))
    for t_e, e in zip(times, signs):
        dhat = _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat)
        dW += r * e * dhat / np.linalg.norm(dhat)
    return dW


def normad_sign_flipped(*args):
    return -learner_normad(*args)


def normad_normalized_total(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                            tau2=1.25, C=300.0):
    total = normad_unnormalized(input_trains, desired, observed, 1.0, tau_L_hat, coincidence_dt, tau1, tau2, C)
    norm = np.linalg.norm(total)
    return r * total / norm if norm > 0 else total


def normad_cancels_by_distance(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                               tau2=1.25, C=300.0):
    """|t_d - t_o| < coincidence_dt instead of "same bin"."""
    close = lambda td, to: abs(td - to) < coincidence_dt  # noqa: E731
    dW = np.zeros(len(input_trains))
    for t_e, e in _own_instants(desired, observed, coincidence_dt, cancel=close):
        dhat = _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat)
        if np.linalg.norm(dhat) > 0:
            dW += r * e * dhat / np.linalg.norm(dhat)
    return dW


def normad_default_bins(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0, tau2=1.25,
                        C=300.0):
    return learner_normad(input_trains, desired, observed, r, tau_L_hat, 0.1, tau1, tau2, C)


def normad_membrane_tau(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0, tau2=1.25,
                        C=300.0):
    return learner_normad(input_trains, desired, observed, r, 10.0, coincidence_dt, tau1, tau2, C)


def normad_no_rate(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0, tau2=1.25,
                   C=300.0):
    return learner_normad(input_trains, desired, observed, 1.0, tau_L_hat, coincidence_dt, tau1, tau2, C)


def normad_forgets_to_add(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0, tau2=1.25,
                          C=300.0):
    dW = np.zeros(len(input_trains))
    for t_e, e in zip(*_bin_instants(desired, observed, coincidence_dt)):
        dhat = _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat)
        dW + r * e * dhat / max(np.linalg.norm(dhat), 1e-300)  # computed, never stored (`+` instead of `+=`)
    return dW


def normad_only_first_instant(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                              tau2=1.25, C=300.0):
    times, signs = _bin_instants(desired, observed, coincidence_dt)
    return learner_normad(input_trains, desired[:1], observed[:0], r, tau_L_hat, coincidence_dt, tau1, tau2, C) \
        if times.size else np.zeros(len(input_trains))


def normad_cancels_whole_bins(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                              tau2=1.25, C=300.0):
    """A spike is an error only if the other train has no spike in its bin (not pairwise)."""
    bins_d = {math.floor(t / coincidence_dt) for t in desired}
    bins_o = {math.floor(t / coincidence_dt) for t in observed}
    instants = sorted([(t, 1) for t in desired if math.floor(t / coincidence_dt) not in bins_o]
                      + [(t, -1) for t in observed if math.floor(t / coincidence_dt) not in bins_d])
    dW = np.zeros(len(input_trains))
    for t_e, e in instants:
        add_normalized(dW, _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat), r * e)
    return dW


def normad_keeps_the_earlier_spike(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                                   tau2=1.25, C=300.0):
    """Pairs within a bin from the latest spikes backwards, so the earlier spikes are left over."""
    rev = _own_instants([-t for t in desired], [-t for t in observed], coincidence_dt,
                        cancel=lambda td, to: math.floor(-td / coincidence_dt) == math.floor(-to / coincidence_dt))
    dW = np.zeros(len(input_trains))
    for t_e, e in rev:
        add_normalized(dW, _dhat(-t_e, input_trains, tau1, tau2, C, tau_L_hat), r * e)
    return dW


def bp_no_clip(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    return learner_backprop(a, up, vd, W, low, 1e-300, tau_L_hat, tau1, tau2, C)


def bp_multiplies(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    inv = [1.0 / np.maximum(np.asarray(v, dtype=float), vdot_min) for v in vd]
    return learner_backprop(a, up, inv, W, low, 0.0, tau_L_hat, tau1, tau2, C)


def bp_psi_not_derivative(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    return _bp_pairs(a, up, vd, W, low, vdot_min, lambda tj, ti: psi_hat_kernel(tj - ti, tau1, tau2, C, tau_L_hat),
                     lambda tj, ti: tj > ti)


def bp_reversed_lag(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    return _bp_pairs(a, up, vd, W, low, vdot_min,
                     lambda tj, ti: psi_hat_kernel_dot(ti - tj, tau1, tau2, C, tau_L_hat), lambda tj, ti: ti > tj)


def bp_reversed_lag_masked(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    """Reversed kernel argument with the right mask: every term is psihat'(negative) = 0."""
    return _bp_pairs(a, up, vd, W, low, vdot_min,
                     lambda tj, ti: psi_hat_kernel_dot(ti - tj, tau1, tau2, C, tau_L_hat), lambda tj, ti: tj > ti)


def bp_transposed(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    return learner_backprop(a, up, vd, np.asarray(W).T, low, vdot_min, tau_L_hat, tau1, tau2, C)


def bp_sign(*args):
    return [-x for x in learner_backprop(*args)]


def bp_one_array(*args):
    return np.concatenate(learner_backprop(*args))


def bp_all_zero(a, up, vd, W, low, *rest):
    return [np.zeros(len(t)) for t in low]


def bp_only_first_upper_neuron(a, up, vd, W, low, *rest):
    return learner_backprop(a[:1], up[:1], vd[:1], np.asarray(W)[:1], low, *rest)


#: (exercise, wrong answer, text the message must contain, texts it must not contain)
WRONG = [
    ("alpha_kernel", alpha_swapped, "swapped", ()),
    ("alpha_kernel", alpha_no_step, "t < 0", ()),
    ("alpha_kernel", alpha_defaults_only, "ignore the tau1 and tau2", ()),
    ("alpha_kernel", alpha_single_exponential, "single exponential", ()),
    ("alpha_kernel", alpha_array_for_scalar, "single number", ()),
    ("alpha_kernel", alpha_step_at_positive_t, "[FAIL]", ()),
    ("alpha_kernel", alpha_flattened, "wrong shape", ()),
    ("lif_step", lif_euler, "forward Euler", ()),
    ("lif_step", lif_no_limit, "use its limit", ()),
    ("lif_step", lif_no_limit_numpy, "use its limit", ()),
    ("lif_step", lif_frozen_traces, "must decay", ()),
    ("lif_step", lif_plus_I2, "minus sign", ()),
    ("lif_step", lif_u_does_not_decay, "u itself decays", ()),
    ("lif_step", lif_no_division_by_C, "divided by C", ()),
    ("lif_step", lif_swapped_traces, "traces are swapped", ()),
    ("lif_step", lif_returns_u_only, "tuple (u_new, I1_new, I2_new)", ()),
    ("lif_step", lif_float32, "close to the reference", ("u itself decays",)),
    ("lif_step", lif_loose_limit, "[FAIL]", ()),
    ("normad_single_update", normad_unnormalized, "no normalisation", ()),
    ("normad_single_update", normad_nan_at_zero_norm, "skip those instants", ()),
    ("normad_single_update", normad_sign_flipped, "sign is flipped", ()),
    ("normad_single_update", normad_normalized_total, "not the sum", ()),
    ("normad_single_update", normad_cancels_by_distance, "same bin", ()),
    ("normad_single_update", normad_default_bins, "ignore the `coincidence_dt` argument", ()),
    ("normad_single_update", normad_membrane_tau, "not the membrane's tau_L", ()),
    ("normad_single_update", normad_no_rate, "learning rate r", ()),
    ("normad_single_update", normad_forgets_to_add, "all zeros", ()),
    ("normad_single_update", normad_only_first_instant, "[FAIL]", ()),
    ("normad_single_update", normad_cancels_whole_bins, "cancel *pairwise*", ()),
    ("normad_single_update", normad_keeps_the_earlier_spike, "earliest with earliest", ()),
    ("backprop_adjoints", bp_no_clip, "clip Vdot from below", ()),
    ("backprop_adjoints", bp_multiplies, "do not multiply", ()),
    ("backprop_adjoints", bp_psi_not_derivative, "psi_hat_kernel_dot", ()),
    ("backprop_adjoints", bp_reversed_lag, "time difference is reversed", ()),
    ("backprop_adjoints", bp_reversed_lag_masked, "all your adjoints are 0", ("reversed",)),
    ("backprop_adjoints", bp_all_zero, "all your adjoints are 0", ("reversed",)),
    ("backprop_adjoints", bp_transposed, "W[j, i]", ()),
    ("backprop_adjoints", bp_sign, "sign is flipped", ()),
    ("backprop_adjoints", bp_one_array, "one array per lower neuron", ()),
    ("backprop_adjoints", bp_only_first_upper_neuron, "[FAIL]", ()),
]


@pytest.mark.parametrize("name, fn, hint, not_hints", WRONG, ids=[f"{n}-{f.__name__}" for n, f, _, _ in WRONG])
def test_wrong_answer_is_caught(name, fn, hint, not_hints, capsys):
    for hidden in (False, True):
        ok, out = _run(CHECKS[name], fn, capsys, hidden=hidden)
        assert ok is False
        assert out.startswith("[FAIL]") and f"Exercise {NUMBER[name]} ({name})" in out
        assert "hint:" in out and "input:" in out
        assert hint in out, out
        for text in not_hints:
            assert text not in out, out
        assert not framework.passed(name)


def _parameters_with_defaults(name):
    """(index, name, default) of every argument of the stub that has a default (notebook signatures)."""
    params = list(inspect.signature(LEARNERS[name]).parameters.values())
    return [(i, p.name, p.default) for i, p in enumerate(params) if p.default is not inspect.Parameter.empty]


IGNORED = [(name, i, arg, default) for name in CHECKS for i, arg, default in _parameters_with_defaults(name)]


@pytest.mark.parametrize("name, index, arg, default", IGNORED, ids=[f"{n}-{a}" for n, _, a, _ in IGNORED])
def test_ignoring_any_argument_is_caught(name, index, arg, default, capsys):
    """An answer that uses an argument's default instead of the value passed fails (C in exercise 3 cancels)."""
    learner = LEARNERS[name]

    def ignores(*args):
        args = list(args)
        args[index] = default
        return learner(*args)

    ok, out = _run(CHECKS[name], ignores, capsys)
    if (name, arg) == ("normad_single_update", "C"):
        # dhat is proportional to 1/C, and dW uses dhat / ||dhat||: C cannot change the update
        assert ok, out
        return
    assert not ok, out
    assert f"ignore the `{arg}` argument" in out or "ignore the tau1 and tau2" in out, out


def test_ignoring_the_learning_rate_is_caught(capsys):
    def fixed_rate(input_trains, desired, observed, r, *rest):
        return learner_normad(input_trains, desired, observed, 1000.0, *rest)

    ok, out = _run(check_normad_single_update, fixed_rate, capsys)
    assert not ok and "r = 500" in out


def test_bin_edge_pairs_are_in_the_visible_cases(capsys):
    """The distance rule fails on a visible case, at one of the straddling pairs, with the bin hint."""
    ok, out = _run(check_normad_single_update, normad_cancels_by_distance, capsys)
    assert not ok
    assert "straddle" in out.splitlines()[0]  # the failing case is one built around a bin edge
    assert "floor(t / coincidence_dt)" in out


@pytest.mark.parametrize("name", list(CHECKS))
def test_a_near_miss_gets_the_close_hint_not_a_mistake_that_equals_the_answer(name, capsys):
    """A result off by 5e-7 (relative) fails but must not be told about a mistake it did not make."""
    learner = LEARNERS[name]

    def near(*args):
        out = learner(*args)
        if name == "lif_step":
            return (out[0] * (1 + 5e-7) + 1e-9,) + tuple(out[1:])
        if name == "backprop_adjoints":
            return [x * (1 + 5e-7) for x in out]
        return np.asarray(out) * (1 + 5e-7)

    ok, out = _run(CHECKS[name], near, capsys)
    assert not ok, out
    assert "close to the reference" in out, out


def test_hint_is_skipped_for_a_mistake_that_equals_the_right_answer():
    """A toy exercise: one mistake gives the right answer on every case, another does not."""
    cases = (framework.Case("x", (0.0,), (1.0, 2.0)), framework.Case("y", (1.0,), (1.0, 4.0)))
    ex = framework.Exercise("08", "9", "toy", lambda u: None, lambda: cases, "numbers", "default",
                            mistakes=(framework.Mistake("u itself decays", lambda u: (1.0, 2.0 + 2 * u)),
                                      framework.Mistake("traces swapped", lambda u: (1.0, 3.0))),
                            names=("a", "b"))
    assert "u itself decays" not in framework.judge(ex, cases, [(1.0000005, 2.0), (1.0, 4.0)]).message
    assert "hint:       traces swapped" in framework.judge(ex, cases, [(1.0, 3.0), (1.0, 3.0)]).message
    assert "hint:       default" in framework.judge(ex, cases, [(7.0, 3.5), (1.0, 4.0)]).message


def test_failure_reports_expected_value_and_location(capsys):
    for check, wrong, where in ((check_alpha_kernel, alpha_swapped, "at t = "),
                                (check_normad_single_update, normad_sign_flipped, "at input neuron i = "),
                                (check_backprop_adjoints, bp_no_clip, "at lower neuron i = ")):
        ok, out = _run(check, wrong, capsys)
        assert not ok
        assert "expected:" in out and "you return:" in out and "problem:" in out and where in out


def test_alpha_swapped_message_shows_both_values(capsys):
    ok, out = _run(check_alpha_kernel, alpha_swapped, capsys)
    problem = next(line for line in out.splitlines() if "problem:" in line)
    # the largest difference of the swapped kernel is at its peak, t = 2.3 ms of the grid
    assert "expected 0.4724662194, got -0.4724662194" in problem and "at t = 2.3 ms" in problem


# --------------------------------------------------------------------------
# borrowed answers are refused
# --------------------------------------------------------------------------

_lib_alpha = kernels.alpha_kernel  # an alias at module level


def borrowed_alpha_wrapper(t, tau1=5.0, tau2=1.25):
    return kernels.alpha_kernel(t, tau1, tau2)


def borrowed_alpha_alias(t, tau1=5.0, tau2=1.25):
    return _lib_alpha(t, tau1, tau2)


def borrowed_alpha_import(t, tau1=5.0, tau2=1.25):
    from normad_edu.kernels import alpha_kernel as a

    return a(t, tau1, tau2)


def borrowed_alpha_module_import(t, tau1=5.0, tau2=1.25):
    import normad_edu.kernels as K

    return K.alpha_kernel(t, tau1, tau2)


def borrowed_alpha_default_argument(t, tau1=5.0, tau2=1.25, _f=kernels.alpha_kernel):
    return _f(t, tau1, tau2)


def _make_closure():
    f = getattr(kernels, "alpha_kernel")

    def alpha_kernel(t, tau1=5.0, tau2=1.25):
        return f(t, tau1, tau2)

    return alpha_kernel


def _helper(t, tau1, tau2):
    return _lib_alpha(t, tau1, tau2)


def borrowed_alpha_through_a_helper(t, tau1=5.0, tau2=1.25):
    return _helper(t, tau1, tau2)


def borrowed_alpha_by_name(t, tau1=5.0, tau2=1.25):
    module = importlib.import_module("normad_edu." + "kernels")
    return getattr(module, "alpha_" + "kernel")(t, tau1, tau2)


def borrowed_alpha_swallowed(t, tau1=5.0, tau2=1.25):
    """Tries the library first and falls back to its own code if that fails."""
    try:
        module = importlib.import_module("normad_edu." + "kernels")
        return getattr(module, "alpha_" + "kernel")(t, tau1, tau2)
    except Exception:  # noqa: BLE001
        return learner_alpha_kernel(t, tau1, tau2)


def borrowed_alpha_in_a_thread(t, tau1=5.0, tau2=1.25):
    """Calls the library by name in a worker thread the answer starts."""
    from concurrent.futures import ThreadPoolExecutor

    module = importlib.import_module("normad_edu." + "kernels")
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(getattr(module, "alpha_" + "kernel"), t, tau1, tau2).result()


class _CallableAlpha:
    def __call__(self, t, tau1=5.0, tau2=1.25):
        return kernels.alpha_kernel(t, tau1, tau2)


def borrowed_lif_reference(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return nb08.reference_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)


def borrowed_lif_exp_filter(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    E1, E2 = (float(_exp_filter(np.asarray(h), tau, tau_L)) for tau in (tau1, tau2))
    return u * math.exp(-h / tau_L) + (I1 * E1 - I2 * E2) / C, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def borrowed_lif_engine(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    E1, E2 = _engine_exp_filter(h, tau1, tau_L), _engine_exp_filter(h, tau2, tau_L)
    return u * math.exp(-h / tau_L) + (I1 * E1 - I2 * E2) / C, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def borrowed_lif_free_step(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    """The library's readable forward pass does this step: refused."""
    from normad_edu.lif import free_step

    return tuple(float(x) for x in free_step(u, I1, I2, h, LIFParams(C=C, gL=C / tau_L),
                                             SynapseParams(tau1=tau1, tau2=tau2)))


def borrowed_normad_add_normalized(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                                   tau2=1.25, C=300.0):
    times, signs = _bin_instants(desired, observed, coincidence_dt)
    dW = np.zeros(len(input_trains))
    for t_e, e in zip(times, signs):
        core.add_normalized(dW, _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat), r * e, "layer")
    return dW


def borrowed_normad_reference(*args):
    from normad_edu.course.exercises.nb08 import reference_normad_single_update as ref

    return ref(*args)


def borrowed_normad_error_instants(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1, tau1=5.0,
                                   tau2=1.25, C=300.0):
    """Takes the error instants from the library, as notebook 04's update by hand does: refused in exercise 3."""
    times, signs = error_instants(desired, observed, coincidence_dt)
    dW = np.zeros(len(input_trains))
    for t_e, e in zip(times, signs):
        add_normalized(dW, _dhat(t_e, input_trains, tau1, tau2, C, tau_L_hat), r * e)
    return dW


def borrowed_backprop_core(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    upper = core.LayerSpikes.from_trains(up, vdot=vd)
    lower = core.LayerSpikes.from_trains(low)
    delta = np.concatenate([np.empty(0)] + [np.asarray(x, float) for x in a]) / np.maximum(upper.vdot, vdot_min)
    flat = core.adjoints_below(delta, upper, np.asarray(W, float), lower, core.Kernels(tau1, tau2, C, tau_L_hat))
    return np.split(flat, np.cumsum([len(t) for t in low])[:-1])


def borrowed_backprop_engine(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5, tau1=5.0, tau2=1.25, C=300.0):
    return _adjoint_sweep  # referenced, never reached in a meaningful way


BORROWED = [
    ("alpha_kernel", kernels.alpha_kernel, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_wrapper, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", lambda t, tau1=5.0, tau2=1.25: kernels.alpha_kernel(t, tau1, tau2), "alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_alias, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_import, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_module_import, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_default_argument, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", _make_closure(), "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", functools.partial(kernels.alpha_kernel), "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_through_a_helper, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_by_name, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_swallowed, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", borrowed_alpha_in_a_thread, "normad_edu.kernels.alpha_kernel"),
    ("alpha_kernel", _CallableAlpha(), "normad_edu.kernels.alpha_kernel"),
    ("lif_step", reference_lif_step, "reference_lif_step"),
    ("lif_step", borrowed_lif_reference, "reference_lif_step"),
    ("lif_step", borrowed_lif_exp_filter, "exp_filter"),
    ("lif_step", borrowed_lif_engine, "exp_filter"),
    ("lif_step", borrowed_lif_free_step, "normad_edu.lif.free_step"),
    ("normad_single_update", reference_normad_single_update, "reference_normad_single_update"),
    ("normad_single_update", borrowed_normad_reference, "reference_normad_single_update"),
    ("normad_single_update", borrowed_normad_add_normalized, "normad_edu.normad.add_normalized"),
    ("normad_single_update", borrowed_normad_error_instants, "normad_edu.normad.error_instants"),
    ("alpha_kernel", reference_alpha_kernel, "reference_alpha_kernel"),
    ("backprop_adjoints", reference_backprop_adjoints, "reference_backprop_adjoints"),
    ("backprop_adjoints", borrowed_backprop_core, "normad_edu.normad.adjoints_below"),
    ("backprop_adjoints", borrowed_backprop_engine, "adjoint_sweep"),
]


@pytest.mark.parametrize("name, fn, label", BORROWED,
                         ids=[f"{n}-{getattr(f, '__name__', type(f).__name__)}-{k}" for k, (n, f, _) in
                              enumerate(BORROWED)])
def test_borrowed_answer_is_refused(name, fn, label, capsys):
    for hidden in (False, True):
        ok, out = _run(CHECKS[name], fn, capsys, hidden=hidden)
        assert ok is False
        assert out.startswith(f"[REFUSED] Exercise {NUMBER[name]} ({name}): your function uses"), out
        assert label in out and "Write it yourself" in out
        assert framework._RESULTS[name].startswith("refused (uses ") and label in framework._RESULTS[name]
    # the library is unchanged afterwards
    assert kernels.alpha_kernel(2.0) == pytest.approx(learner_alpha_kernel(2.0), rel=1e-15)
    assert core.add_normalized.__code__.co_name == "add_normalized"


def test_a_learners_own_helper_with_a_library_name_is_not_refused(capsys):
    """learner_normad_with_tools calls its own global add_normalized (not the library's)."""
    ok, out = _run(check_normad_single_update, learner_normad_with_tools, capsys)
    assert ok, out


def test_library_is_restored_when_the_answer_is_interrupted():
    def interrupted(t, tau1=5.0, tau2=1.25):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_alpha_kernel(interrupted)
    assert sys.getprofile() is None and threading.getprofile() is None      # the call watch is off again
    assert kernels.alpha_kernel.__code__.co_name == "alpha_kernel"
    assert kernels.alpha_kernel(2.0) == pytest.approx(learner_alpha_kernel(2.0), rel=1e-15)


def test_refusal_covers_every_listed_library_function():
    """Every function an exercise of the course forbids exists (a rename in the library must update the list)."""
    from normad_edu.course.exercises import EXERCISES

    for name, ex in EXERCISES.items():
        forbidden = borrowing.resolve(ex.forbidden)
        assert len(forbidden) == len(ex.forbidden), name
        assert all(callable(obj) for _, obj in forbidden.values()), name
    refs = borrowing.reference_names()
    assert {f"reference_{name}" for name in EXERCISES} <= set(refs)


# --------------------------------------------------------------------------
# a check prints one message, never raises
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CHECKS))
def test_stub_reports_not_implemented(name, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError()

    ok, out = _run(CHECKS[name], stub, capsys)
    assert ok is False
    assert out.startswith("[TODO]") and "not implemented yet" in out
    assert framework._RESULTS[name] == "not implemented yet"


def _raise_value_error(*args, **kwargs):
    raise ValueError("boom")


@pytest.mark.parametrize("name", list(CHECKS))
@pytest.mark.parametrize("fn", [
    _raise_value_error,
    lambda *a, **k: None,
    lambda *a, **k: "text",
    lambda *a, **k: float("nan"),
    lambda *a, **k: [np.zeros(3)] * 50,
    lambda *a, **k: {"a": 1},
    lambda *a, **k: (np.zeros(2), object()),
    lambda *a, **k: object(),
], ids=["raises", "None", "str", "nan", "long-list", "dict", "tuple-object", "object"])
def test_checker_never_raises(name, fn, capsys):
    ok, out = _run(CHECKS[name], fn, capsys)
    assert ok is False
    assert out.startswith("[FAIL]")


@pytest.mark.parametrize("name", list(CHECKS))
def test_warnings_in_the_answer_are_silenced(name, capsys):
    """Division by zero inside the learner's code: the check prints its message only, no warning, no stderr."""
    learner = LEARNERS[name]

    def noisy(*args):
        np.log(np.zeros(3))  # RuntimeWarning: divide by zero
        warnings.warn("a learner's own warning", UserWarning, stacklevel=1)
        return learner(*args)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ok, out = _run(CHECKS[name], noisy, capsys)
    assert ok, out
    assert not caught
    assert out.count("\n") == 1


def test_exception_is_reported_with_input(capsys):
    ok, out = _run(check_lif_step, _raise_value_error, capsys)
    assert not ok and "raised ValueError: boom" in out and "input:" in out and "u = " in out


@pytest.mark.parametrize("name", list(CHECKS))
def test_not_a_function(name, capsys):
    ok, out = _run(CHECKS[name], 42, capsys)
    assert not ok and "expected a function" in out and f"check_{name}({name})" in out


def test_wrong_signature_is_reported(capsys):
    ok, out = _run(check_alpha_kernel, lambda t: learner_alpha_kernel(t), capsys)
    assert not ok and "TypeError" in out


def test_learner_mutating_inputs_cannot_corrupt_the_check(capsys):
    def mutating(a, up, vd, W, low, *rest):
        out = learner_backprop(a, up, vd, W, low, *rest)
        for x in a + up + vd + low:
            x[:] = 0.0
        W[:] = 0.0
        return out

    ok, out = _run(check_backprop_adjoints, mutating, capsys)
    assert ok, out
    ok, out = _run(check_backprop_adjoints, learner_backprop, capsys)
    assert ok, out


def test_scoreboard_and_passed(capsys):
    assert not framework.passed("alpha_kernel")
    check_alpha_kernel(learner_alpha_kernel)
    check_lif_step(lif_euler)
    check_normad_single_update(reference_normad_single_update)
    capsys.readouterr()
    board = nb08.scoreboard()
    out = capsys.readouterr().out
    assert board == {"alpha_kernel": True, "lif_step": False, "normad_single_update": False,
                     "backprop_adjoints": False}
    assert "passed" in out and "failed" in out and "not checked yet" in out and "1 of 4 passed" in out
    assert "refused (uses normad_edu.course.exercises.nb08.reference_normad_single_update)" in out


# --------------------------------------------------------------------------
# the references agree with independent computations
# --------------------------------------------------------------------------


def _lif_step_quad(u, I1, I2, h, tau1, tau2, tau_L, C):
    """u(h) by numerical integration of the convolution with kernels.h_kernel (variation of constants)."""
    def part(I0, tau):
        val, _ = quad(lambda s: I0 * math.exp(-s / tau) * kernels.h_kernel(h - s, C, tau_L), 0.0, h,
                      epsabs=0.0, epsrel=1e-13, limit=200)
        return val

    return u * math.exp(-h / tau_L) + part(I1, tau1) - part(I2, tau2)


@pytest.mark.parametrize("tau1, tau2, tau_L, C", [(5.0, 1.25, 10.0, 300.0), (10.0, 1.25, 10.0, 300.0),
                                                   (8.0, 4.0, 4.0, 200.0), (3.0, 0.5, 20.0, 100.0)])
def test_reference_lif_step_matches_numerical_integration(tau1, tau2, tau_L, C):
    rng = np.random.default_rng(5)
    for _ in range(5):
        u, I1, I2, h = rng.uniform(-20, 80), rng.uniform(-2e3, 2e3), rng.uniform(-2e3, 2e3), rng.uniform(0.01, 12)
        got = reference_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)
        assert got[0] == pytest.approx(_lif_step_quad(u, I1, I2, h, tau1, tau2, tau_L, C), rel=1e-9, abs=1e-10)
        assert got[1:] == pytest.approx((I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)), rel=1e-14)


def test_reference_lif_step_matches_the_simulator_propagator_and_is_continuous_at_the_limit():
    # with I1 = C = 300 and I2 = 0, u(h) is E(h; tau1), which lif.py evaluates with expm1
    # (exact to rounding); near tau == tau_L the plain closed form loses digits (rel 1e-6 there)
    for tau, h, rel in [(5.0, 0.1, 1e-12), (1.25, 3.0, 1e-12), (10.0, 2.0, 1e-14), (10.0 * (1 + 1e-7), 2.0, 1e-6)]:
        u = reference_lif_step(0.0, 300.0, 0.0, h, tau, 1.25, 10.0, 300.0)[0]
        assert u == pytest.approx(_exp_filter(h, tau, 10.0), rel=rel)
    # one input spike: u(h) = W psi(h)
    assert reference_lif_step(0.0, 800.0, 800.0, 2.0)[0] == pytest.approx(800.0 * kernels.psi_kernel(2.0), rel=1e-12)


def test_reference_normad_update_matches_library_single_layer_rule():
    rng = np.random.default_rng(21)
    T = 200.0
    sim = SimParams(T=T)
    x = poisson_spike_trains(30, 20.0, T, rng)
    W = rng.uniform(0, 1500.0, (1, 30))
    rec = forward(x, [W], sim=sim)
    observed = rec.output.times[0, 0, : rec.output.counts[0, 0]]
    assert observed.size > 0
    desired = np.array([3.0, 50.0, 120.0, 170.0])
    d_times, d_counts = desired[None, None, :], np.array([[desired.size]])
    dW_lib = normad_update(rec, (d_times, d_counts), rates=800.0, sim=sim)[0][0, 0]
    dW_ref = reference_normad_single_update(x, desired, observed, 800.0, coincidence_dt=sim.dt)
    assert np.abs(dW_ref).max() > 0
    np.testing.assert_allclose(dW_ref, dW_lib, rtol=1e-9, atol=1e-9)


def test_reference_backprop_matches_library_adjoint_sweep():
    rng = np.random.default_rng(9)
    up = poisson_spike_trains(5, 50.0, 80.0, rng)
    low = poisson_spike_trains(7, 50.0, 80.0, rng)
    a_up = [rng.normal(size=t.size) for t in up]
    vd = [rng.uniform(0.2, 3.0, t.size) for t in up]
    W = rng.normal(0, 400, (5, 7))
    vdot_min, tau_hat = 0.8, 3.0
    ref = reference_backprop_adjoints(a_up, up, vd, W, low, vdot_min, tau_hat)

    def flat(trains):
        t = np.concatenate(trains)
        j = np.concatenate([np.full(len(tr), n) for n, tr in enumerate(trains)]).astype(np.int64)
        order = np.argsort(t, kind="mergesort")
        return t[order], j[order], order

    src_t, src_j, src_o = flat(up)
    qry_t, qry_j, qry_o = flat(low)
    delta = (np.concatenate(a_up) / np.maximum(np.concatenate(vd), vdot_min))[src_o][None, :]
    a_lib = _adjoint_sweep(delta, src_t, src_j, W, qry_t, qry_j, 7, 5.0, 1.25, tau_hat, 300.0,
                           np.zeros(1, dtype=np.int64))[0]
    a_ref = np.concatenate(ref)[qry_o]  # same (time-sorted) order as the library's queries
    assert np.abs(a_ref).max() > 0
    np.testing.assert_allclose(a_ref, a_lib, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------
# the hidden cases cannot be read from the package; the graded test cannot be rebound
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CHECKS))
def test_hidden_cases_are_drawn_afresh_each_time_and_a_seed_replays_them(name):
    ex = nb08.EXERCISES[name]
    first = framework.evaluate(ex, LEARNERS[name], hidden=True)
    second = framework.evaluate(ex, LEARNERS[name], hidden=True)
    assert first and second and first.n_hidden == second.n_hidden >= 5
    assert first.seed != second.seed                          # a fresh seed from the OS, not a fixed one
    draws = [ex.hidden_cases(np.random.default_rng(v.seed)) for v in (first, second)]
    assert len(draws[0]) == len(draws[1]) == first.n_hidden            # the same kinds of case ...
    assert any(repr(a.args) != repr(b.args) for a, b in zip(*draws))  # ... with other values
    replay = framework.evaluate(ex, LEARNERS[name], hidden=first.seed)
    assert replay.seed == first.seed and replay.message == first.message


@pytest.mark.parametrize("name", list(CHECKS))
def test_answers_looked_up_from_cases_drawn_beforehand_fail_the_hidden_test(name, capsys):
    """A learner who reads the installed package can draw hidden cases (with any seed) and the visible ones,
    compute their answers with the reference outside the function, and look them up: the visible check
    passes, the graded one fails, because grading draws other cases."""
    import pickle

    ex = nb08.EXERCISES[name]
    table = {}
    drawn = list(ex.cases())
    for seed in range(30):
        drawn += ex.hidden_cases(np.random.default_rng(seed))
    for case in drawn:
        table[pickle.dumps(case.args)] = case.expected

    def looked_up(*args):
        return table[pickle.dumps(args)]

    ok, out = _run(CHECKS[name], looked_up, capsys)
    assert ok, out
    ok, out = _run(CHECKS[name], looked_up, capsys, hidden=True)
    assert not ok and "a hidden case, seed" in out and "KeyError" in out, out


def _graded_cell(name: str) -> str:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    (cell,) = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == f"check_{name}"]
    return cell.source


#: A solution cell that answers exercise 2 with forward Euler and then tries to make its check pass anyway.
CHEATING_SOLUTION = '''
def lif_step(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return u + h * (-u / tau_L + (I1 - I2) / C), I1 * (1 - h / tau1), I2 * (1 - h / tau2)

import normad_edu.course.exercises.framework as fw
import normad_edu.course.exercises.nb08 as m
import normad_edu.course.exercises.borrowing as bw

always = lambda *args, **kwargs: fw.Verdict("x", "passed", "[PASS] trust me")
check_lif_step = always                              # rebinds the name the check cell calls
m.check_lif_step = always                            # patches the checker module ...
fw.evaluate = lambda *args, **kwargs: fw.Verdict("x", "passed", "[PASS] trust me")
fw.Verdict.__bool__ = lambda self: True              # ... and the framework: every verdict is true
bw.find_reference = lambda *args: None
'''


def test_a_solution_cell_that_rebinds_or_patches_the_checker_still_fails_its_graded_test(capsys):
    """The graded test of the instructor notebook reloads the checker modules before it calls them."""
    import importlib

    graded = _graded_cell("lif_step")
    assert "importlib.reload" in graded and "hidden=True" in graded
    old_verdict = framework.Verdict
    try:
        ns = {"np": np}
        exec(compile(CHEATING_SOLUTION, "solution", "exec"), ns)
        # without the reload, the patches would have won: the proof that this test can fail
        unguarded = graded.replace("importlib.reload(", "(")
        exec(compile(unguarded, "graded", "exec"), dict(ns))
        # the graded test as the notebook has it: the patches are gone, forward Euler fails
        with pytest.raises(AssertionError, match="Exercise 2"):
            exec(compile(graded, "graded", "exec"), ns)
        assert "forward Euler" in capsys.readouterr().out
    finally:
        del old_verdict.__bool__                         # the patch on the class the learner saw
        for module in (borrowing, framework, nb08):
            importlib.reload(module)
    assert not framework.evaluate(nb08.LIF_STEP, lif_euler) and framework.evaluate(nb08.LIF_STEP, learner_lif_step)
