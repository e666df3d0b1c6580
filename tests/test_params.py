"""Tests for normad_edu.params and the shared argument checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from normad_edu import params
from normad_edu.validation import as_rng, check_finite_array, check_int
from normad_edu.params import LIFParams, SimParams, SynapseParams


def test_defaults_are_the_documented_values():
    lif = LIFParams()
    assert (lif.C, lif.gL, lif.EL, lif.VT, lif.t_ref) == (300.0, 30.0, -70.0, 20.0, 2.0)
    assert lif.tau_L == pytest.approx(10.0, rel=1e-15)
    assert lif.theta == 90.0
    syn = SynapseParams()
    assert (syn.tau1, syn.tau2) == (5.0, 1.25)
    sim = SimParams()
    assert (sim.dt, sim.T) == (0.1, 500.0)
    assert sim.n_steps == 5000
    assert (params.C, params.GL, params.EL, params.VT, params.T_REF) == (300.0, 30.0, -70.0, 20.0, 2.0)


def test_derived_quantities_follow_the_fields():
    lif = LIFParams(C=200.0, gL=40.0, EL=-65.0, VT=-50.0)
    assert lif.tau_L == pytest.approx(5.0, rel=1e-15)
    assert lif.theta == pytest.approx(15.0, rel=1e-15)


def test_sim_grid():
    sim = SimParams(dt=0.25, T=10.0)
    assert sim.n_steps == 40
    t = sim.times
    assert t.shape == (41,) and t[0] == 0.0 and t[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(np.diff(t), 0.25)
    # a multiple of dt only up to rounding is accepted: 0.3 / 0.1 = 2.9999999999999996
    assert SimParams(dt=0.1, T=0.3).n_steps == 3
    assert SimParams(dt=0.1, T=40.0).n_steps == 400


def test_params_are_frozen_and_coerced_to_float():
    lif = LIFParams(C=300, gL=30, EL=-70, VT=20, t_ref=2)
    assert all(type(getattr(lif, f.name)) is float for f in dataclasses.fields(lif) if f.name != "clamp_at_EL")
    assert lif.clamp_at_EL is False
    syn = SynapseParams(tau1=np.float32(5.0), tau2=1)
    assert type(syn.tau1) is float and type(syn.tau2) is float
    with pytest.raises(dataclasses.FrozenInstanceError):
        lif.C = 1.0  # type: ignore[misc]


def test_t_ref_zero_allowed():
    assert LIFParams(t_ref=0.0).t_ref == 0.0


# --------------------------------------------------------------------------
# invalid values: each message names the argument
# --------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0.0, -300.0])
def test_nonpositive_capacitance(bad):
    with pytest.raises(ValueError, match=r"^C must be > 0 \(pF\)"):
        LIFParams(C=bad)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_nonpositive_leak_conductance(bad):
    with pytest.raises(ValueError, match=r"^gL must be > 0 \(nS\)"):
        LIFParams(gL=bad)


@pytest.mark.parametrize("VT", [-70.0, -80.0])
def test_threshold_not_above_rest(VT):
    with pytest.raises(ValueError, match=r"VT must be > EL"):
        LIFParams(EL=-70.0, VT=VT)


def test_negative_refractory_period():
    with pytest.raises(ValueError, match=r"^t_ref must be >= 0 \(ms\)"):
        LIFParams(t_ref=-0.5)


@pytest.mark.parametrize("field", ["C", "gL", "EL", "VT", "t_ref"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_lif_nonfinite(field, bad):
    with pytest.raises(ValueError, match=rf"^{field} must be finite"):
        LIFParams(**{field: bad})


@pytest.mark.parametrize("bad", ["300", None, True, 1 + 2j])
def test_lif_non_real_type(bad):
    with pytest.raises(TypeError, match=r"^C must be a real number"):
        LIFParams(C=bad)


@pytest.mark.parametrize("name", ["tau1", "tau2"])
@pytest.mark.parametrize("bad", [0.0, -5.0])
def test_nonpositive_synaptic_time_constants(name, bad):
    kw = {"tau1": 5.0, "tau2": 1.25, name: bad}
    with pytest.raises(ValueError, match=rf"^{name} must be > 0 \(ms\)"):
        SynapseParams(**kw)


@pytest.mark.parametrize("tau1, tau2", [(1.25, 5.0), (3.0, 3.0)])
def test_tau1_not_greater_than_tau2(tau1, tau2):
    with pytest.raises(ValueError, match=r"tau1 must be > tau2"):
        SynapseParams(tau1=tau1, tau2=tau2)


@pytest.mark.parametrize("bad", [0.0, -0.1])
def test_nonpositive_dt(bad):
    with pytest.raises(ValueError, match=r"^dt must be > 0 \(ms\)"):
        SimParams(dt=bad, T=10.0)


@pytest.mark.parametrize("bad", [0.0, -500.0])
def test_nonpositive_T(bad):
    with pytest.raises(ValueError, match=r"^T must be > 0 \(ms\)"):
        SimParams(dt=0.1, T=bad)


@pytest.mark.parametrize("T, dt", [(10.05, 0.1), (1.0, 0.3), (500.0 + 1e-6, 0.1)])
def test_T_not_multiple_of_dt(T, dt):
    with pytest.raises(ValueError, match=r"T must be an integer multiple of dt"):
        SimParams(dt=dt, T=T)


# --------------------------------------------------------------------------
# the shared helpers
# --------------------------------------------------------------------------


def test_check_int():
    assert check_int("n", np.int64(3)) == 3
    with pytest.raises(TypeError, match="^n must be an integer"):
        check_int("n", 3.0)
    with pytest.raises(TypeError, match="^n must be an integer"):
        check_int("n", True)
    with pytest.raises(ValueError, match="^n must be an integer >= 1, got 0"):
        check_int("n", 0)


def test_check_finite_array():
    arr = check_finite_array("W", [[1, 2], [3, 4]], ndim=2)
    assert arr.dtype == np.float64 and arr.shape == (2, 2)
    with pytest.raises(ValueError, match="^W must contain only finite values"):
        check_finite_array("W", [1.0, np.nan])
    with pytest.raises(ValueError, match="^W must have 2 dimension"):
        check_finite_array("W", [1.0], ndim=2)
    with pytest.raises(TypeError, match="^W must be an array of real numbers"):
        check_finite_array("W", ["a"])


def test_as_rng():
    g = np.random.default_rng(1)
    assert as_rng(g) is g
    assert as_rng(5).random() == np.random.default_rng(5).random()
    assert as_rng(seed=5).random() == np.random.default_rng(5).random()
    assert isinstance(as_rng(), np.random.Generator)
    with pytest.raises(ValueError, match="either rng or seed"):
        as_rng(1, seed=2)
    with pytest.raises(TypeError, match="^rng must be"):
        as_rng(-1)
    with pytest.raises(TypeError, match="^rng must be"):
        as_rng(1.5)


def test_default_parameters_table_lists_every_default_once_with_units(capsys):
    from normad_edu import params as P
    from normad_edu.setups import DeepSetup, XORSetup
    from normad_edu.normad import NormADParams
    from normad_edu.training import TrainConfig

    P.print_default_parameters()
    out = capsys.readouterr().out
    names = [row[0] for row in P.DEFAULTS]
    assert len(names) == len(set(names))
    for name, symbol, value, unit, source, _ in P.DEFAULTS:
        assert getattr(P, name) == value
        assert source in ("paper", "reconstructed")
        line = next(l for l in out.splitlines() if l.startswith(name + " "))
        assert f"{value:g}" in line and unit in line
    # the dataclasses and setups take their defaults from params, not from literals of their own
    assert NormADParams().tau_L_hat == P.TAU_L_HAT and NormADParams().vdot_min == P.VDOT_MIN
    assert TrainConfig(rates=(1.0,)).sigma == P.SIGMA and TrainConfig(rates=(1.0,)).threshold == P.THRESHOLD
    d, x = DeepSetup(), XORSetup()
    assert (d.tau_L_hat, d.vdot_min, d.sigma, d.t_ref, d.threshold) == (P.TAU_L_HAT, P.VDOT_MIN, P.SIGMA, P.T_REF,
                                                                        P.THRESHOLD)
    assert (x.tau_L_hat, x.vdot_min, x.threshold) == (P.TAU_L_HAT, P.VDOT_MIN, P.XOR_THRESHOLD)
