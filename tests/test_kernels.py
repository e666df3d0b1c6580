"""Tests for normad_edu.kernels: closed forms vs numerical convolution and
finite differences, limit cases, shapes, causality and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from normad_edu import kernels as K

TAU1, TAU2, C = 5.0, 1.25, 300.0
T_POINTS = [0.05, 0.7, 1.25, 3.0, 5.0, 8.44, 17.3, 42.0, 120.0]


def alpha_ref(s, tau1=TAU1, tau2=TAU2):
    """Eq. (1) written out independently of the package."""
    return math.exp(-s / tau1) - math.exp(-s / tau2) if s >= 0 else 0.0


def psi_quad(t, tau_L, tau1=TAU1, tau2=TAU2, C=C):
    """psi(t) = int_0^t alpha(s) h(t - s) ds by adaptive quadrature."""
    if t <= 0:
        return 0.0
    val, _ = quad(
        lambda s: alpha_ref(s, tau1, tau2) * math.exp(-(t - s) / tau_L) / C,
        0.0,
        t,
        epsabs=0.0,
        epsrel=1e-13,
        limit=500,
    )
    return val


# --------------------------------------------------------------------------
# closed forms vs numerical convolution
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tau_L",
    [10.0, TAU1, TAU2, 2.5],
    ids=["tau_L=10", "tau_L=tau1", "tau_L=tau2", "tau_L=2.5(psi_hat)"],
)
def test_psi_matches_numerical_convolution(tau_L):
    got = K.psi_kernel(np.array(T_POINTS), TAU1, TAU2, C, tau_L)
    ref = np.array([psi_quad(t, tau_L) for t in T_POINTS])
    assert np.all(ref > 0)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=0)


def test_psi_hat_is_psi_with_tau_L_hat_and_matches_convolution():
    t = np.array(T_POINTS)
    got = K.psi_hat_kernel(t, TAU1, TAU2, C, tau_L_hat=2.5)
    ref = np.array([psi_quad(x, 2.5) for x in T_POINTS])
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=0)
    # default tau_L' is the module constant (2.5 ms), distinct from tau_L = 10 ms
    np.testing.assert_allclose(K.psi_hat_kernel(t), K.psi_kernel(t, tau_L=K.TAU_L_HAT), rtol=0, atol=0)
    assert not np.allclose(K.psi_hat_kernel(t), K.psi_kernel(t))


def test_psi_other_capacitance_scales_inversely():
    t = np.array(T_POINTS)
    np.testing.assert_allclose(K.psi_kernel(t, C=150.0), 2.0 * K.psi_kernel(t, C=300.0), rtol=1e-14)
    ref = np.array([psi_quad(x, 7.0, C=150.0) for x in T_POINTS])
    np.testing.assert_allclose(K.psi_kernel(t, C=150.0, tau_L=7.0), ref, rtol=1e-6)


def test_alpha_and_h_values():
    t = np.array(T_POINTS)
    np.testing.assert_allclose(K.alpha_kernel(t), np.exp(-t / 5.0) - np.exp(-t / 1.25), rtol=1e-14)
    np.testing.assert_allclose(K.h_kernel(t), np.exp(-t / 10.0) / 300.0, rtol=1e-14)
    np.testing.assert_allclose(K.h_hat_kernel(t), np.exp(-t / 2.5) / 300.0, rtol=1e-14)
    assert K.alpha_kernel(0.0) == 0.0
    assert K.h_kernel(0.0) == pytest.approx(1.0 / 300.0, rel=1e-15)
    # peak of alpha at t* = ln(tau1/tau2) / (1/tau2 - 1/tau1)
    t_star = math.log(TAU1 / TAU2) / (1 / TAU2 - 1 / TAU1)
    assert K.alpha_kernel_dot(t_star) == pytest.approx(0.0, abs=1e-15)


# --------------------------------------------------------------------------
# derivatives vs central finite differences
# --------------------------------------------------------------------------


def central_diff(f, t, h=1e-5):
    return (f(t + h) - f(t - h)) / (2 * h)


def test_alpha_dot_matches_finite_difference():
    t = np.array(T_POINTS)
    fd = central_diff(K.alpha_kernel, t)
    np.testing.assert_allclose(K.alpha_kernel_dot(t), fd, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("tau_L", [10.0, TAU1, TAU2, 2.5])
def test_psi_dot_matches_finite_difference(tau_L):
    t = np.array(T_POINTS)
    fd = central_diff(lambda x: K.psi_kernel(x, tau_L=tau_L), t)
    got = K.psi_kernel_dot(t, tau_L=tau_L)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-14)


def test_psi_hat_dot_matches_finite_difference():
    t = np.array(T_POINTS)
    fd = central_diff(lambda x: K.psi_hat_kernel(x, tau_L_hat=2.5), t)
    np.testing.assert_allclose(K.psi_hat_kernel_dot(t, tau_L_hat=2.5), fd, rtol=1e-6, atol=1e-14)


# --------------------------------------------------------------------------
# shapes, types, causality, limits, large t
# --------------------------------------------------------------------------

ALL_KERNELS = [
    K.alpha_kernel,
    K.alpha_kernel_dot,
    K.h_kernel,
    K.h_hat_kernel,
    K.psi_kernel,
    K.psi_kernel_dot,
    K.psi_hat_kernel,
    K.psi_hat_kernel_dot,
]


@pytest.mark.parametrize("kernel", ALL_KERNELS, ids=lambda k: k.__name__)
def test_scalar_in_float_out_array_in_same_shape(kernel):
    out = kernel(3.0)
    assert type(out) is float
    out_int = kernel(3)
    assert type(out_int) is float and out_int == out
    arr = np.linspace(-2.0, 30.0, 24).reshape(2, 3, 4)
    res = kernel(arr)
    assert isinstance(res, np.ndarray) and res.shape == (2, 3, 4)
    assert res[1, 2, 3] == kernel(float(arr[1, 2, 3]))
    assert kernel([1.0, 2.0]).shape == (2,)
    assert kernel(np.empty(0)).shape == (0,)


@pytest.mark.parametrize("kernel", ALL_KERNELS, ids=lambda k: k.__name__)
def test_zero_for_negative_time(kernel):
    t = np.array([-1e6, -50.0, -1.0, -1e-9, -np.inf])
    assert np.all(kernel(t) == 0.0)
    assert kernel(-0.3) == 0.0
    # and not identically zero just after the spike
    assert kernel(0.5) != 0.0


@pytest.mark.parametrize("kernel", ALL_KERNELS, ids=lambda k: k.__name__)
def test_nan_time_rejected(kernel):
    with pytest.raises(ValueError, match="t must not contain NaN"):
        kernel(np.array([1.0, np.nan]))


@pytest.mark.parametrize("tau", [TAU1, TAU2], ids=["tau1", "tau2"])
@pytest.mark.parametrize("sign", [+1, -1])
def test_limit_cases_are_continuous(tau, sign):
    """tau_L -> tau1 (or tau2): the closed form has a 0/0 there; the
    evaluation must be continuous to ~1e-9 relative (a naive formula loses
    about 7 digits at a 1e-9 offset)."""
    t = np.array(T_POINTS)
    at = K.psi_kernel(t, tau_L=tau)
    near = K.psi_kernel(t, tau_L=tau * (1 + sign * 1e-9))
    assert np.all(np.isfinite(at)) and np.all(at > 0)
    np.testing.assert_allclose(near, at, rtol=2e-8, atol=0)
    at_dot = K.psi_kernel_dot(t, tau_L=tau)
    near_dot = K.psi_kernel_dot(t, tau_L=tau * (1 + sign * 1e-9))
    np.testing.assert_allclose(near_dot, at_dot, rtol=1e-7, atol=1e-15)


def test_limit_case_closed_form():
    """tau_L = tau1: E(t; tau1) = t exp(-t/tau1)."""
    t = np.array(T_POINTS)
    tau_L = TAU1
    E1 = t * np.exp(-t / TAU1)
    E2 = (np.exp(-t / TAU2) - np.exp(-t / tau_L)) / (1 / tau_L - 1 / TAU2)
    np.testing.assert_allclose(K.psi_kernel(t, tau_L=tau_L), (E1 - E2) / C, rtol=1e-12)


def test_large_times_are_finite_and_vanish():
    """Regression: with tau1 > tau_L (psi_hat, tau_L' = 2.5 ms) the old
    evaluation overflowed in expm1 and returned NaN for t >~ 3.6 s."""
    t = np.array([500.0, 4000.0, 1e5, 1e300, np.inf])
    for kern in (K.psi_kernel, K.psi_kernel_dot, K.psi_hat_kernel, K.psi_hat_kernel_dot):
        val = kern(t)
        assert np.all(np.isfinite(val)), kern.__name__
        assert np.all(np.abs(val[1:]) < 1e-100), kern.__name__
    assert K.psi_kernel(np.inf, tau_L=1.0) == 0.0


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0.0, -5.0])
@pytest.mark.parametrize("name", ["tau1", "tau2"])
def test_nonpositive_synaptic_time_constants_rejected(name, bad):
    kw = {"tau1": TAU1, "tau2": TAU2, name: bad}
    for kern in (K.alpha_kernel, K.alpha_kernel_dot, K.psi_kernel, K.psi_kernel_dot, K.psi_hat_kernel):
        with pytest.raises(ValueError, match=rf"{name} must be > 0"):
            kern(1.0, **kw)


@pytest.mark.parametrize("bad", [0.0, -10.0])
def test_nonpositive_tau_L_rejected(bad):
    with pytest.raises(ValueError, match="tau_L must be > 0"):
        K.psi_kernel(1.0, tau_L=bad)
    with pytest.raises(ValueError, match="tau_L must be > 0"):
        K.psi_kernel_dot(1.0, tau_L=bad)
    with pytest.raises(ValueError, match="tau_L must be > 0"):
        K.h_kernel(1.0, tau_L=bad)
    with pytest.raises(ValueError, match="tau_L must be > 0"):
        K.h_hat_kernel(1.0, tau_L_hat=bad)


@pytest.mark.parametrize("bad", [0.0, -300.0])
def test_nonpositive_capacitance_rejected(bad):
    for kern in (K.h_kernel, K.psi_kernel, K.psi_kernel_dot, K.psi_hat_kernel):
        with pytest.raises(ValueError, match="C must be > 0"):
            kern(1.0, C=bad)


@pytest.mark.parametrize("tau1, tau2", [(1.25, 5.0), (2.0, 2.0)])
def test_tau1_not_greater_than_tau2_rejected(tau1, tau2):
    for kern in (K.alpha_kernel, K.alpha_kernel_dot, K.psi_kernel):
        with pytest.raises(ValueError, match="tau1 must be > tau2"):
            kern(1.0, tau1, tau2)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nonfinite_time_constant_rejected(bad):
    with pytest.raises(ValueError, match="tau_L must be finite"):
        K.psi_kernel(1.0, tau_L=bad)
    with pytest.raises(ValueError, match="tau1 must be finite"):
        K.alpha_kernel(1.0, tau1=bad)


def test_non_numeric_time_constant_rejected():
    with pytest.raises(TypeError, match="tau2 must be a real number"):
        K.alpha_kernel(1.0, tau2="1.25")
    with pytest.raises(TypeError, match="C must be a real number"):
        K.psi_kernel(1.0, C=True)


def test_free_potential_is_EL_plus_weighted_psi_sum():
    from normad_edu.kernels import free_potential
    from normad_edu.params import LIFParams

    lif = LIFParams()
    t = np.linspace(0.0, 40.0, 81)
    trains = [np.array([1.0, 7.5]), np.array([3.25])]
    w = np.array([800.0, -300.0])
    psi = K.psi_kernel
    expected = lif.EL + w[0] * (psi(t - 1.0) + psi(t - 7.5)) + w[1] * psi(t - 3.25)
    np.testing.assert_allclose(free_potential(t, trains, w), expected, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="one weight per spike train"):
        free_potential(t, trains, [1.0])


# --------------------------------------------------------------------------
# the compiled twins (normad_edu._engine.kernels) compute the same closed forms
# --------------------------------------------------------------------------

#: tau_L values: generic, the tau1 / tau2 limits, just off them (where the
#: phi = expm1(x)/x switch matters) and tau_L' = 2.5 ms of the rule.
ENGINE_TAU_L = [10.0, TAU1, TAU2, TAU1 * (1 + 1e-9), TAU2 * (1 - 1e-10), 2.5, 0.3]
ENGINE_T = np.array([0.0, 1e-9, 1e-3, 0.05, 0.1, 0.7, 1.25, 3.0, 5.0, 8.44, 17.3, 42.0, 120.0, 500.0, 4000.0])


def _engine_kernels():
    from normad_edu._engine import kernels as E

    return E


@pytest.mark.parametrize("tau_L", ENGINE_TAU_L)
@pytest.mark.parametrize("tau", [TAU1, TAU2, 7.0])
def test_engine_exp_filter_equals_kernels(tau, tau_L):
    E = _engine_kernels()
    got = np.array([E.exp_filter(h, tau, tau_L) for h in ENGINE_T])
    np.testing.assert_allclose(got, K.exp_filter(ENGINE_T, tau, tau_L), rtol=1e-13, atol=1e-300)
    # symmetric in tau and tau_L
    np.testing.assert_allclose(got, [E.exp_filter(h, tau_L, tau) for h in ENGINE_T], rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("tau_L", ENGINE_TAU_L)
def test_engine_propagators_equal_kernels(tau_L):
    """(e^{-h/tau1}, e^{-h/tau2}, e^{-h/tau_L}, E1/C, E2/C) and, combined, psi."""
    E = _engine_kernels()
    for h in ENGINE_T:
        e1, e2, eL, E1, E2 = E.propagators(h, TAU1, TAU2, tau_L, C)
        assert e1 == pytest.approx(K.h_kernel(h, C=1.0, tau_L=TAU1), rel=1e-14)
        assert e2 == pytest.approx(K.h_kernel(h, C=1.0, tau_L=TAU2), rel=1e-14)
        assert eL == pytest.approx(K.h_kernel(h, C=1.0, tau_L=tau_L), rel=1e-14)
        assert e1 - e2 == pytest.approx(K.alpha_kernel(h, TAU1, TAU2), rel=1e-12, abs=1e-15)  # cancels near 0
        assert E1 == pytest.approx(float(K.exp_filter(np.array(h), TAU1, tau_L)) / C, rel=1e-13, abs=1e-300)
        assert E2 == pytest.approx(float(K.exp_filter(np.array(h), TAU2, tau_L)) / C, rel=1e-13, abs=1e-300)
        # the response to one input spike of weight 1 pA: u(h) = psi(h)
        assert E1 - E2 == pytest.approx(K.psi_kernel(h, TAU1, TAU2, C, tau_L), rel=1e-11, abs=1e-17)


@pytest.mark.parametrize("tau_L_hat", ENGINE_TAU_L)
def test_engine_psi_hat_dot_equals_kernels(tau_L_hat):
    E = _engine_kernels()
    lags = np.concatenate([-ENGINE_T[::-1], ENGINE_T])
    got = np.array([E.psi_hat_dot(s, TAU1, TAU2, tau_L_hat, C) for s in lags])
    want = K.psi_hat_kernel_dot(lags, TAU1, TAU2, C, tau_L_hat)
    assert np.all(got[lags <= 0] == 0.0) and np.all(want[lags <= 0] == 0.0)  # causal, psihat'(0) = 0
    # psihat' changes sign: compare relative to its peak
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13 * np.abs(want).max())
