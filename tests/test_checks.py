"""Tests for normad_edu.checks: the exercise checkers of notebooks/08_assignments.ipynb.

* the references (and the notebook's own solutions) pass every check;
* typical wrong answers fail with the expected value, the learner's value,
  the input and a specific hint; a stub fails with "not implemented yet";
  nothing a learner's function does makes a checker raise;
* the checkers' references agree with independent computations: numerical
  integration, the simulator's propagator, the library's compiled NormAD
  update and adjoint sweep.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad

from normad_edu import checks, forward, kernels, poisson_spike_trains
from normad_edu.checks import (
    check_alpha_kernel,
    check_backprop_adjoints,
    check_lif_step,
    check_normad_single_update,
    reference_backprop_adjoints,
    reference_lif_step,
    reference_normad_single_update,
)
from normad_edu.lif import _exp_filter
from normad_edu._engine.backward import adjoint_sweep as _adjoint_sweep
from normad_edu.normad import normad_update
from normad_edu.params import SimParams

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "08_assignments.ipynb"

CHECKS = {
    "alpha_kernel": check_alpha_kernel,
    "lif_step": check_lif_step,
    "normad_single_update": check_normad_single_update,
    "backprop_adjoints": check_backprop_adjoints,
}
REFERENCES = {
    "alpha_kernel": kernels.alpha_kernel,
    "lif_step": reference_lif_step,
    "normad_single_update": reference_normad_single_update,
    "backprop_adjoints": reference_backprop_adjoints,
}


@pytest.fixture(autouse=True)
def _fresh_scoreboard():
    checks.reset_scoreboard()
    yield
    checks.reset_scoreboard()


def _run(check, fn, capsys):
    result = check(fn)
    out = capsys.readouterr().out
    assert type(result) is bool
    return result, out


# --------------------------------------------------------------------------
# correct implementations pass
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CHECKS))
def test_reference_passes(name, capsys):
    ok, out = _run(CHECKS[name], REFERENCES[name], capsys)
    assert ok, out
    assert out.startswith("[PASS]") and f"Exercise {checks.EXERCISES[name]}" in out
    assert checks.passed(name)


def _notebook_solutions() -> dict:
    """Execute the instructor notebook's setup cell and every cell holding a solution block."""
    nbformat = pytest.importorskip("nbformat")
    import matplotlib

    matplotlib.use("Agg")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    namespace: dict = {}
    exec(compile(code[0], "setup", "exec"), namespace)  # imports
    for src in code:
        if "### BEGIN SOLUTION" in src:
            exec(compile(src, "solution", "exec"), namespace)
    return namespace


def test_notebook_solutions_pass_every_check(capsys):
    ns = _notebook_solutions()
    for name, check in CHECKS.items():
        ok, out = _run(check, ns[name], capsys)
        assert ok, out


def test_notebook_solutions_agree_with_references_off_the_check_grid():
    """The notebook's solutions are written independently of the references: compare on fresh inputs."""
    ns = _notebook_solutions()
    rng = np.random.default_rng(11)
    t = rng.uniform(-10, 50, 200)
    np.testing.assert_allclose(ns["alpha_kernel"](t, 7.0, 3.0), kernels.alpha_kernel(t, 7.0, 3.0), rtol=1e-14)
    for _ in range(20):
        args = (rng.uniform(-10, 60), rng.uniform(-3e3, 3e3), rng.uniform(-3e3, 3e3), rng.uniform(0, 20))
        np.testing.assert_allclose(ns["lif_step"](*args), reference_lif_step(*args), rtol=1e-10, atol=1e-12)
    trains = poisson_spike_trains(15, 40.0, 100.0, rng)
    desired, observed = np.sort(rng.uniform(0, 100, 4)), np.sort(rng.uniform(0, 100, 6))
    np.testing.assert_allclose(ns["normad_single_update"](trains, desired, observed, 700.0, 4.0),
                               reference_normad_single_update(trains, desired, observed, 700.0, 4.0), rtol=1e-10)
    up = poisson_spike_trains(6, 60.0, 80.0, rng)
    low = poisson_spike_trains(8, 60.0, 80.0, rng)
    a = [rng.normal(size=t.size) for t in up]
    vd = [rng.uniform(0.2, 3.0, t.size) for t in up]
    W = rng.normal(0, 500, (6, 8))
    got = ns["backprop_adjoints"](a, up, vd, W, low, 0.7, 4.0)
    for g, e in zip(got, reference_backprop_adjoints(a, up, vd, W, low, 0.7, 4.0)):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-15)


# --------------------------------------------------------------------------
# wrong implementations fail with a helpful message
# --------------------------------------------------------------------------


def alpha_swapped(t, tau1=5.0, tau2=1.25):
    t = np.asarray(t, dtype=float)
    v = np.where(t >= 0, np.exp(-np.maximum(t, 0) / tau2) - np.exp(-np.maximum(t, 0) / tau1), 0.0)
    return v if v.ndim else float(v)


def alpha_no_step(t, tau1=5.0, tau2=1.25):
    t = np.asarray(t, dtype=float)
    v = np.exp(-t / tau1) - np.exp(-t / tau2)
    return v if v.ndim else float(v)


def alpha_defaults_only(t, tau1=5.0, tau2=1.25):
    return kernels.alpha_kernel(t)


def alpha_array_for_scalar(t, tau1=5.0, tau2=1.25):
    return np.atleast_1d(kernels.alpha_kernel(t, tau1, tau2))


def lif_euler(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return u + h * (-u / tau_L + (I1 - I2) / C), I1 * (1 - h / tau1), I2 * (1 - h / tau2)


def lif_no_limit(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    def E(tau):
        return (math.exp(-h / tau) - math.exp(-h / tau_L)) / (1 / tau_L - 1 / tau)  # ZeroDivisionError at the limit

    u_new = u * math.exp(-h / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C
    return u_new, I1 * math.exp(-h / tau1), I2 * math.exp(-h / tau2)


def lif_no_limit_numpy(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    def E(tau):
        with np.errstate(invalid="ignore", divide="ignore"):
            return (np.exp(-h / tau) - np.exp(-h / tau_L)) / (np.float64(1 / tau_L) - np.float64(1 / tau))  # NaN

    return u * np.exp(-h / tau_L) + (I1 * E(tau1) - I2 * E(tau2)) / C, I1 * np.exp(-h / tau1), I2 * np.exp(-h / tau2)


def lif_frozen_traces(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return reference_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)[0], I1, I2


def lif_plus_I2(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    ref = reference_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)
    return reference_lif_step(u, I1, -I2, h, tau1, tau2, tau_L, C)[0], ref[1], ref[2]


def lif_returns_u_only(u, I1, I2, h, tau1=5.0, tau2=1.25, tau_L=10.0, C=300.0):
    return reference_lif_step(u, I1, I2, h, tau1, tau2, tau_L, C)[0]


def normad_unnormalized(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1):
    from normad_edu.normad import d_hat, error_instants

    t, s = error_instants(desired, observed, coincidence_dt)
    return r * (s[:, None] * d_hat(t, input_trains, tau_L_hat=tau_L_hat)).sum(axis=0)


def normad_nan_at_zero_norm(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1):
    from normad_edu.normad import d_hat, error_instants

    t, s = error_instants(desired, observed, coincidence_dt)
    D = d_hat(t, input_trains, tau_L_hat=tau_L_hat)
    with np.errstate(invalid="ignore", divide="ignore"):
        return r * (s[:, None] * D / np.linalg.norm(D, axis=1, keepdims=True)).sum(axis=0)


def normad_sign_flipped(*args):
    return -reference_normad_single_update(*args)


def normad_ignores_tau(input_trains, desired, observed, r, tau_L_hat=2.5, coincidence_dt=0.1):
    return reference_normad_single_update(input_trains, desired, observed, r, 2.5, coincidence_dt)


def bp_no_clip(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5):
    return reference_backprop_adjoints(a, up, vd, W, low, 1e-300, tau_L_hat)


def bp_psi_not_derivative(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5):
    out = []
    for i, t_i in enumerate(low):
        a_i = np.zeros(len(t_i))
        for j, t_j in enumerate(up):
            d = np.asarray(a[j]) / np.maximum(vd[j], vdot_min)
            psi = kernels.psi_hat_kernel(np.subtract.outer(t_j, t_i), tau_L_hat=tau_L_hat)
            a_i += W[j, i] * (d[:, None] * psi).sum(0)
        out.append(a_i)
    return out


def bp_reversed_lag(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5):
    return [np.zeros(len(t)) for t in low]


def bp_transposed(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5):
    return reference_backprop_adjoints(a, up, vd, np.asarray(W).T, low, vdot_min, tau_L_hat)


def bp_sign(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5):
    return [-x for x in reference_backprop_adjoints(a, up, vd, W, low, vdot_min, tau_L_hat)]


def bp_one_array(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5):
    return np.concatenate(reference_backprop_adjoints(a, up, vd, W, low, vdot_min, tau_L_hat))


WRONG = [
    ("alpha_kernel", alpha_swapped, "swapped"),
    ("alpha_kernel", alpha_no_step, "t < 0"),
    ("alpha_kernel", alpha_defaults_only, "ignore the tau1 and tau2"),
    ("alpha_kernel", alpha_array_for_scalar, "single number"),
    ("lif_step", lif_euler, "forward Euler"),
    ("lif_step", lif_no_limit, "h exp(-h/tau_L)"),
    ("lif_step", lif_no_limit_numpy, "h exp(-h/tau_L)"),
    ("lif_step", lif_frozen_traces, "must decay"),
    ("lif_step", lif_plus_I2, "minus sign"),
    ("lif_step", lif_returns_u_only, "tuple (u_new, I1_new, I2_new)"),
    ("normad_single_update", normad_unnormalized, "no normalisation"),
    ("normad_single_update", normad_nan_at_zero_norm, "skip those instants"),
    ("normad_single_update", normad_sign_flipped, "sign is flipped"),
    ("normad_single_update", normad_ignores_tau, "tau_L_hat argument"),
    ("backprop_adjoints", bp_no_clip, "max(Vdot_j^f, vdot_min)"),
    ("backprop_adjoints", bp_psi_not_derivative, "psi_hat_kernel_dot"),
    ("backprop_adjoints", bp_reversed_lag, "t_j^f - t_i^g"),
    ("backprop_adjoints", bp_transposed, "W[j, i]"),
    ("backprop_adjoints", bp_sign, "sign is flipped"),
    ("backprop_adjoints", bp_one_array, "one array per lower neuron"),
]


@pytest.mark.parametrize("name, fn, hint", WRONG, ids=[f"{n}-{f.__name__}" for n, f, _ in WRONG])
def test_wrong_implementation_fails_with_helpful_message(name, fn, hint, capsys):
    ok, out = _run(CHECKS[name], fn, capsys)
    assert ok is False
    assert out.startswith("[FAIL]") and f"Exercise {checks.EXERCISES[name]} ({name})" in out
    assert "hint:" in out and "input:" in out
    assert hint in out, out
    assert not checks.passed(name)


@pytest.mark.parametrize("name", ["alpha_kernel", "normad_single_update", "backprop_adjoints"])
def test_failure_reports_expected_value_and_location(name, capsys):
    wrong = {"alpha_kernel": alpha_swapped, "normad_single_update": normad_sign_flipped,
             "backprop_adjoints": bp_no_clip}[name]
    ok, out = _run(CHECKS[name], wrong, capsys)
    assert not ok
    assert "expected:" in out and "you return:" in out and "problem:" in out
    assert {"alpha_kernel": "at t = ", "normad_single_update": "at input neuron i = ",
            "backprop_adjoints": "at lower neuron i = "}[name] in out


def test_alpha_swapped_message_shows_both_values(capsys):
    ok, out = _run(check_alpha_kernel, alpha_swapped, capsys)
    problem = next(line for line in out.splitlines() if "problem:" in line)
    # the largest difference of the swapped kernel is at its peak, t = 2.3 ms of the grid
    assert "expected 0.4724662194, got -0.4724662194" in problem and "at t = 2.3 ms" in problem


@pytest.mark.parametrize("name", list(CHECKS))
def test_stub_reports_not_implemented(name, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError(f"Exercise {checks.EXERCISES[name]}: implement {name}()")

    ok, out = _run(CHECKS[name], stub, capsys)
    assert ok is False
    assert out.startswith("[TODO]") and "not implemented yet" in out
    assert checks._RESULTS[name] == "not implemented yet"


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


def test_exception_is_reported_with_input(capsys):
    ok, out = _run(check_lif_step, _raise_value_error, capsys)
    assert not ok and "raised ValueError: boom" in out and "input:" in out and "u = " in out


@pytest.mark.parametrize("name", list(CHECKS))
def test_not_a_function(name, capsys):
    ok, out = _run(CHECKS[name], 42, capsys)
    assert not ok and "expected a function" in out and f"check_{name}({name})" in out


def test_wrong_signature_is_reported(capsys):
    ok, out = _run(check_alpha_kernel, lambda t: kernels.alpha_kernel(t), capsys)
    assert not ok and "TypeError" in out


def test_learner_mutating_inputs_cannot_corrupt_the_check(capsys):
    def mutating(a, up, vd, W, low, vdot_min=1.0, tau_L_hat=2.5):
        out = reference_backprop_adjoints(a, up, vd, W, low, vdot_min, tau_L_hat)
        for x in a + up + vd + low:
            x[:] = 0.0
        W[:] = 0.0
        return out

    ok, out = _run(check_backprop_adjoints, mutating, capsys)
    assert ok, out
    ok, out = _run(check_backprop_adjoints, reference_backprop_adjoints, capsys)
    assert ok, out


def test_scoreboard_and_passed(capsys):
    assert not checks.passed("alpha_kernel")
    check_alpha_kernel(kernels.alpha_kernel)
    check_lif_step(lif_euler)
    capsys.readouterr()
    board = checks.scoreboard()
    out = capsys.readouterr().out
    assert board == {"alpha_kernel": True, "lif_step": False, "normad_single_update": False,
                     "backprop_adjoints": False}
    assert "passed" in out and "failed" in out and "not checked yet" in out and "1 of 4 passed" in out


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
