"""Tests for the exercises of notebooks 01-07b (normad_edu.course.exercises.nb01 ... nb07b) and the course text
of notebooks 00-07b.

* the checkers' references are right (against the library, the simulator,
  finite differences or numerical integrals, never against themselves);
* a catalogue of wrong answers per exercise, written here independently of
  the checker's own list of mistakes, is caught (each one "failed" or
  "refused"), and the right answer passes;
* hints are honest: a specific hint only for an answer whose results equal
  that mistake's on every case; a near-correct answer gets the precision
  hint, never a mistake's;
* checkers print only their message, return a Verdict that a notebook does not
  echo, never raise, and leave no profiler behind;
* every notebook 01-07b has an exercise (stub, check, folded solution) whose
  stub says "not implemented yet" and whose solution passes, and "Think!"
  questions with folded answers; equation labels are one numbering (N.k) per
  notebook N, (7b.k) in notebook 07b.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import json
import math
import re
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from normad_edu import LIFParams, SimParams, SynapseParams, forward
from normad_edu.course import exercises
from normad_edu.course.exercises import framework as F
from normad_edu.course.exercises import nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb07b, nb09
from normad_edu.kernels import alpha_kernel, psi_kernel, psi_kernel_dot
from normad_edu.lif import LayerOutput

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
COURSE = sorted(NOTEBOOKS.glob("0[0-7]_*.ipynb")) + sorted(NOTEBOOKS.glob("0[0-7]b_*.ipynb"))
EXERCISE_NOTEBOOKS = {"01": "synaptic_charge", "02": "v_after_reset", "03": "spike_correlation", "04": "reset_gradient",
                      "05": "spike_time_gradient", "06": "xor_encode", "07": "first_spike_times",
                      "07b": "mcnemar_exact_p"}


#: The exercises of notebooks 01-07b, by the name of the function the learner writes (08's: test_checks.py,
#: 09's: test_exercises_nb09.py).
EXERCISES = {name: ex for name, ex in exercises.EXERCISES.items() if ex.notebook != "08"}
REFERENCES = {name: getattr(module, f"reference_{name}") for module in (nb01, nb02, nb03, nb04, nb05, nb06, nb07, nb07b, nb09)
              for name in module.EXERCISES}


#: Every exercise of the course (08's too): the tests of the convention itself run on all of them.
ALL = exercises.EXERCISES


def evaluate(name, fn) -> F.Verdict:
    return F.evaluate(ALL[name], fn)


# ---------------------------------------------------------------------------
# The references are right
# ---------------------------------------------------------------------------

def test_reference_charge_is_the_integral_of_the_current():
    rng = np.random.default_rng(0)
    trains = [np.sort(rng.uniform(0, 40, 3)) for _ in range(4)]
    w = rng.normal(500, 800, 4)
    for tau1, tau2 in ((5.0, 1.25), (9.0, 0.5)):
        t = np.linspace(0.0, 30.0, 300_001)
        current = sum(wi * alpha_kernel(t[:, None] - tr[None, :], tau1, tau2).sum(axis=1) for wi, tr in zip(w, trains))
        q = nb01.reference_synaptic_charge(30.0, trains, w, tau1, tau2)
        assert abs(q - np.trapezoid(current, t)) < 1e-6 * np.abs(w).sum()


def test_reference_v_after_reset_matches_the_simulator():
    rng = np.random.default_rng(1)
    lif, syn = LIFParams(t_ref=3.0), SynapseParams(tau1=6.0, tau2=1.5)
    sim = SimParams(T=150.0)
    inputs = [np.sort(rng.uniform(0, 150, 4)) for _ in range(30)]
    W = rng.uniform(0, 3000, (1, 30))
    rec = forward(inputs, [W], lif=lif, syn=syn, sim=sim, record_v=True)
    k = int(rec.output.counts[0, 0])
    assert k >= 2
    t1, t2 = rec.output.times[0, 0, :2]

    def v_free(t):
        t = np.asarray(t, dtype=float)
        return lif.EL + sum(W[0, i] * psi_kernel(t[..., None] - tr, syn.tau1, syn.tau2, lif.C, lif.tau_L).sum(axis=-1)
                            for i, tr in enumerate(inputs))

    tg = sim.times
    sel = (tg < t2) & ~np.isclose(tg, t1)
    v = nb02.reference_v_after_reset(tg[sel], t1, v_free, lif.t_ref, lif.tau_L, lif.EL)
    assert np.max(np.abs(v - rec.output.v[0, 0][sel])) < 1e-8


def test_reference_reset_gradient_is_the_derivative_of_the_reset_potential():
    rng = np.random.default_rng(2)
    trains = [np.sort(rng.uniform(0, 50, 3)) for _ in range(5)]
    d = nb04.d_function(trains, 10.0)
    w = rng.uniform(0, 2000, 5)
    t = np.array([3.0, 12.0, 21.0, 22.5, 30.0, 44.0])
    spikes = np.array([20.0])
    g = nb04.reference_reset_gradient(t, spikes, d, 2.0, 10.0)
    for i in range(5):       # V is linear in w with the spike time held fixed: a difference quotient is exact
        e = np.zeros(5)
        e[i] = 1.0

        def v_free(tt, w=w):
            return -70.0 + (np.asarray(d(np.atleast_1d(tt))) @ w).reshape(np.shape(tt))

        def v_free_e(tt, w=w + e):
            return -70.0 + (np.asarray(d(np.atleast_1d(tt))) @ w).reshape(np.shape(tt))

        dv = (nb02.reference_v_after_reset(t, 20.0, v_free_e) - nb02.reference_v_after_reset(t, 20.0, v_free))
        assert np.allclose(dv, g[:, i], rtol=1e-9, atol=1e-12)


def test_reference_correlation_equals_the_library():
    from normad_edu.metrics import correlation
    rng = np.random.default_rng(3)
    for _ in range(20):
        a, b = (np.sort(rng.uniform(0, 100, rng.integers(0, 6))) for _ in range(2))
        sigma = rng.uniform(0.3, 6.0)
        assert nb03.reference_spike_correlation(a, b, sigma) == pytest.approx(correlation(a, b, sigma), rel=1e-12, abs=1e-15)


def test_reference_spike_time_gradient_matches_finite_differences_of_the_simulator():
    rng = np.random.default_rng(4)
    for tau1, tau2, C, tau_L in ((5.0, 1.25, 300.0, 10.0), (8.0, 2.0, 450.0, 20.0), (4.0, 1.0, 300.0, 4.0)):
        lif, syn = LIFParams(C=C, gL=C / tau_L), SynapseParams(tau1=tau1, tau2=tau2)
        sim = SimParams(T=120.0)
        trains = [np.sort(rng.uniform(0, 60, 2)) for _ in range(8)]
        w = rng.uniform(0, 4000, 8) * C / 300.0
        t_f = np.inf
        while not t_f < 100.0:                       # scale up until the neuron fires
            w *= 1.25
            t_f = forward(trains, [w[None]], lif=lif, syn=syn, sim=sim).output.times[0, 0, 0]
        assert t_f == pytest.approx(nb05.first_crossing(trains, w, tau1, tau2, C, tau_L), abs=1e-9)
        grad = nb05.reference_spike_time_gradient(t_f, trains, w, tau1, tau2, tau_L)
        eps = 1e-3
        fd = np.empty(8)
        for i in range(8):
            wp, wm = w.copy(), w.copy()
            wp[i] += eps
            wm[i] -= eps
            tp = forward(trains, [wp[None]], lif=lif, syn=syn, sim=sim).output.times[0, 0, 0]
            tm = forward(trains, [wm[None]], lif=lif, syn=syn, sim=sim).output.times[0, 0, 0]
            fd[i] = (tp - tm) / (2 * eps)
        assert np.allclose(grad, fd, rtol=1e-4, atol=1e-9 * np.abs(fd).max())


def test_reference_xor_encode_equals_the_library():
    from normad_edu.spikes import xor_input_pattern
    for a in (0, 1):
        for b in (0, 1):
            for kw in ({}, dict(start_0=2.0, start_1=7.5, reference_start=3.0, n_per_set=4, stagger=0.5)):
                ours = nb06.reference_xor_encode(a, b, *kw.values()) if kw else nb06.reference_xor_encode(a, b)
                lib = xor_input_pattern(a, b, **kw)
                assert len(ours) == len(lib) and all(np.array_equal(x, y) for x, y in zip(ours, lib))


def test_reference_first_spike_times_matches_the_simulators_padded_layers():
    from normad_edu.spikes import poisson_spike_trains
    rng = np.random.default_rng(5)
    inputs = [poisson_spike_trains(20, 20.0, 100.0, rng) for _ in range(6)]
    W1 = rng.uniform(-500.0, 3000.0, (6, 8, 20))
    W1[4] = 0.0                                          # problem 4: a silent layer
    rec = forward(inputs, [W1], sim=SimParams(T=100.0))
    lay = rec.layers[0]
    first = nb07.reference_first_spike_times(lay.times, lay.counts)
    assert np.isinf(first[4]) and np.isfinite(first).sum() >= 4
    assert np.array_equal(first, lay.times.min(axis=(1, 2)))    # the simulator pads with +inf
    listed = [min((tr[0] for tr in pop if tr.size), default=np.inf) for pop in
              [[lay.times[p, j, :lay.counts[p, j]] for j in range(8)] for p in range(6)]]
    assert np.array_equal(first, listed)
    garbage = lay.times.copy()                           # whatever the padding holds, the answer is the same
    k = np.arange(garbage.shape[2])
    garbage[k[None, None, :] >= lay.counts[..., None]] = -5.0
    assert np.array_equal(nb07.reference_first_spike_times(garbage, lay.counts), first)


def test_reference_mcnemar_equals_the_library_and_scipy():
    from scipy.stats import binomtest

    from normad_edu.research.study import mcnemar_p
    rng = np.random.default_rng(6)
    for _ in range(40):
        n = int(rng.integers(1, 150))
        a, b = rng.random(n) < rng.random(), rng.random(n) < rng.random()
        n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
        p = nb07b.reference_mcnemar_exact_p(a, b)
        assert p == pytest.approx(mcnemar_p(a, b), rel=1e-12)
        assert p == pytest.approx(binomtest(n_a, n_a + n_b).pvalue if n_a + n_b else 1.0, rel=1e-12)


def test_every_case_varies_every_argument_from_its_default():
    for name, ex in ALL.items():
        ref = ex.reference
        params = list(__import__("inspect").signature(ref).parameters.values())
        cases = ex.cases()
        for k, p in enumerate(params):
            if p.default is p.empty:
                values = {repr(c.args[k]) for c in cases}
                assert len(values) > 1, f"{name}: argument {p.name} is never varied"
            else:
                assert any(k < len(c.args) and not np.array_equal(np.asarray(c.args[k]), np.asarray(p.default))
                           for c in cases), \
                    f"{name}: argument {p.name} always has its default"


# ---------------------------------------------------------------------------
# A catalogue of wrong answers per exercise
# ---------------------------------------------------------------------------

def _charge_right(t, trains, w, tau1=5.0, tau2=1.25):
    q = 0.0
    for wi, tr in zip(w, trains):
        s = t - np.asarray(tr, dtype=float)
        s = s[s > 0]
        q += wi * np.sum(tau1 * (1 - np.exp(-s / tau1)) - tau2 * (1 - np.exp(-s / tau2)))
    return q


def _charge_numerical(t, trains, w, tau1=5.0, tau2=1.25):   # a trapezoid on a 0.01 ms grid: not exact enough
    grid = np.arange(0.0, t + 1e-12, 0.01)
    current = sum(wi * alpha_kernel(grid[:, None] - np.asarray(tr)[None, :], tau1, tau2).sum(axis=1)
                  for wi, tr in zip(w, trains) if len(tr))
    return float(np.trapezoid(current, grid)) if np.ndim(current) else 0.0


_FIRST_CHARGE = EXERCISES["synaptic_charge"].cases()[0].expected
CHARGE_WRONG = {
    "counts spikes after t": lambda t, tr, w, a=5.0, b=1.25: sum(
        wi * np.sum(a * (1 - np.exp(-(t - np.asarray(x)) / a)) - b * (1 - np.exp(-(t - np.asarray(x)) / b)))
        for wi, x in zip(w, tr)),
    "whole area for past spikes": lambda t, tr, w, a=5.0, b=1.25: sum(
        wi * np.sum(np.asarray(x) < t) * (a - b) for wi, x in zip(w, tr)),
    "ignores tau1": lambda t, tr, w, a=5.0, b=1.25: _charge_right(t, tr, w, 5.0, b),
    "ignores tau2": lambda t, tr, w, a=5.0, b=1.25: _charge_right(t, tr, w, a, 1.25),
    "ignores t (total charge)": lambda t, tr, w, a=5.0, b=1.25: _charge_right(1e9, tr, w, a, b),
    "ignores the weights": lambda t, tr, w, a=5.0, b=1.25: _charge_right(t, tr, np.ones(len(tr)), a, b),
    "swapped time constants": lambda t, tr, w, a=5.0, b=1.25: _charge_right(t, tr, w, b, a),
    "<= instead of < at the spike": lambda t, tr, w, a=5.0, b=1.25: _charge_right(t, tr, w, a, b) + sum(
        wi * np.sum(np.asarray(x) == t) * 1.0 for wi, x in zip(w, tr)),
    "numerical trapezoid": _charge_numerical,
    "hard-coded first case": lambda t, tr, w, a=5.0, b=1.25: _FIRST_CHARGE,
    "returns the charge of synapse 0 only": lambda t, tr, w, a=5.0, b=1.25: _charge_right(t, tr[:1], w[:1], a, b),
}


def _reset_right(t, t_spike, v_free, t_ref=2.0, tau_L=10.0, EL=-70.0):
    t = np.asarray(t, dtype=float)
    t0 = t_spike + t_ref
    out = np.array(v_free(t), dtype=float)
    out[(t >= t_spike) & (t < t0)] = EL
    after = t >= t0
    out[after] = v_free(t[after]) - np.exp(-(t[after] - t0) / tau_L) * (v_free(t0) - EL)
    return out


RESET_WRONG = {
    "no refractory hold": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: _reset_right(t, ts, vf, 0.0, tl, el),
    "decay from the spike": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: np.where(
        np.asarray(t) >= ts + tr, vf(t) - np.exp(-(np.asarray(t) - ts) / tl) * (vf(ts + tr) - el),
        _reset_right(t, ts, vf, tr, tl, el)),
    "ignores t_ref": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: _reset_right(t, ts, vf, 2.0, tl, el),
    "ignores tau_L": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: _reset_right(t, ts, vf, tr, 10.0, el),
    "ignores EL": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: _reset_right(t, ts, vf, tr, tl, -70.0),
    "no reset at all": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: np.asarray(vf(t), dtype=float),
    "clamped at EL forever": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: np.where(np.asarray(t) < ts, vf(t), el),
    "tau_L and t_ref swapped": lambda t, ts, vf, tr=2.0, tl=10.0, el=-70.0: _reset_right(t, ts, vf, tl, tr, el),
    "returns a list of floats of the wrong length": lambda t, ts, vf, *a: list(np.asarray(vf(t))[:-1]),
    "uses the simulator": lambda t, ts, vf, *a: (forward([np.array([1.0])], [np.ones((1, 1))]), _reset_right(
        t, ts, vf, *a))[1],
}


def _corr_right(a, b, sigma=2.0):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size == 0 and b.size == 0:
        return 1.0
    if a.size == 0 or b.size == 0:
        return 0.0
    g = lambda x, y: np.exp(-(x[:, None] - y[None, :]) ** 2 / (4 * sigma**2)).sum()  # noqa: E731
    return g(a, b) / np.sqrt(g(a, a) * g(b, b))


def _corr_library(a, b, sigma=2.0):
    from normad_edu.metrics import correlation as c   # an alias inside the function
    return c(a, b, sigma)


def _corr_via_widget(a, b, sigma=2.0):
    from normad_edu.course.widgets.metrics import metrics_report
    return metrics_report(a, b, sigma)["correlation"]


def _corr_library_in_a_thread(a, b, sigma=2.0):
    import threading
    out = []
    module = __import__("normad_edu.metrics", fromlist=["metrics"])
    worker = threading.Thread(target=lambda: out.append(getattr(module, "corre" + "lation")(a, b, sigma)))
    worker.start()
    worker.join()
    return out[0]


CORRELATION_WRONG = {
    "library call": _corr_library,
    "library call by a built name in a thread": _corr_library_in_a_thread,
    "library call through a widget helper": _corr_via_widget,
    "2 sigma^2": lambda a, b, s=2.0: _corr_right(a, b, s / np.sqrt(2)),
    "ignores sigma": lambda a, b, s=2.0: _corr_right(a, b, 2.0),
    "both empty gives 0": lambda a, b, s=2.0: 0.0 if len(a) == len(b) == 0 else _corr_right(a, b, s),
    "one empty gives nan": lambda a, b, s=2.0: float("nan") if (len(a) == 0) != (len(b) == 0) else _corr_right(a, b, s),
    "only i == j in the norms": lambda a, b, s=2.0: 1.0 if len(a) == len(b) == 0 else (0.0 if 0 in (len(a), len(b))
        else np.exp(-np.subtract.outer(a, b) ** 2 / (4 * s**2)).sum() / np.sqrt(len(a) * len(b))),
    "symmetric in the wrong way (a with a)": lambda a, b, s=2.0: _corr_right(a, a, s),
    "rounded to 3 decimals": lambda a, b, s=2.0: round(_corr_right(a, b, s), 3),
    "returns a 1-element list": lambda a, b, s=2.0: [_corr_right(a, b, s), 0.0],
    "returns None": lambda a, b, s=2.0: None,
    "returns a string": lambda a, b, s=2.0: f"{_corr_right(a, b, s):.12f}",
}


def _grad_right(t, spikes, d, t_ref=2.0, tau_L=10.0, *, clamp=True, memory_at="t0"):
    """(4.7); ``clamp=False``: no zero while refractory; ``memory_at="spike"``: d(t_f) instead of d(t0)."""
    t = np.asarray(t, dtype=float)
    g = np.asarray(d(t), dtype=float).copy()
    for q, tq in enumerate(t):
        past = [s for s in spikes if s <= tq]
        if past:
            t0 = past[-1] + t_ref
            t_mem = t0 if memory_at == "t0" else past[-1]
            g[q] = 0.0 if clamp and tq < t0 else g[q] - np.exp(-(tq - t0) / tau_L) * np.asarray(d(np.array([t_mem])))[0]
    return g


GRADIENT_WRONG = {
    "no reset": lambda t, sp, d, tr=2.0, tl=10.0: np.asarray(d(np.asarray(t))),
    "ignores t_ref": lambda t, sp, d, tr=2.0, tl=10.0: _grad_right(t, sp, d, 2.0, tl),
    "ignores tau_L": lambda t, sp, d, tr=2.0, tl=10.0: _grad_right(t, sp, d, tr, 10.0),
    "first reset instead of last": lambda t, sp, d, tr=2.0, tl=10.0: _grad_right(t, list(sp)[:1], d, tr, tl),
    "no zero while refractory": lambda t, sp, d, tr=2.0, tl=10.0: _grad_right(t, sp, d, tr, tl, clamp=False),
    "transposed result": lambda t, sp, d, tr=2.0, tl=10.0: _grad_right(t, sp, d, tr, tl).T,
    "d(t_f) instead of d(t0)": lambda t, sp, d, tr=2.0, tl=10.0: _grad_right(t, sp, d, tr, tl, memory_at="spike"),
    "raises on an empty spike list": lambda t, sp, d, tr=2.0, tl=10.0: _grad_right(t, sp, d, tr, tl) + 0 * sp[0],
}


def _stg_right(t_f, trains, w, tau1=5.0, tau2=1.25, tau_L=10.0):
    d = np.array([psi_kernel(t_f - np.asarray(tr), tau1, tau2, 300.0, tau_L).sum() for tr in trains])
    vdot = sum(wi * psi_kernel_dot(t_f - np.asarray(tr), tau1, tau2, 300.0, tau_L).sum() for wi, tr in zip(w, trains))
    return -d / vdot


def _stg_simulated(t_f, trains, w, tau1=5.0, tau2=1.25, tau_L=10.0):
    lif = LIFParams(gL=300.0 / tau_L)
    rec = forward(trains, [np.asarray(w)[None]], lif=lif, syn=SynapseParams(tau1=tau1, tau2=tau2))
    vdot = rec.output.vdot[0, 0, 0]
    d = np.array([psi_kernel(t_f - np.asarray(tr), tau1, tau2, 300.0, tau_L).sum() for tr in trains])
    return -d / vdot


SPIKE_TIME_WRONG = {
    "Vdot from the simulator": _stg_simulated,
    "plus sign": lambda *a: -_stg_right(*a),
    "ignores tau1": lambda t, tr, w, a=5.0, b=1.25, l=10.0: _stg_right(t, tr, w, 5.0, b, l),
    "ignores tau2": lambda t, tr, w, a=5.0, b=1.25, l=10.0: _stg_right(t, tr, w, a, 1.25, l),
    "ignores tau_L": lambda t, tr, w, a=5.0, b=1.25, l=10.0: _stg_right(t, tr, w, a, b, 10.0),
    "d_hat with tau_L' = 2.5 ms": lambda t, tr, w, a=5.0, b=1.25, l=10.0: _stg_right(t, tr, w, a, b, l) * np.array(
        [psi_kernel(t - np.asarray(x), a, b, 300.0, 2.5).sum() / max(psi_kernel(t - np.asarray(x), a, b, 300.0,
                                                                                  l).sum(), 1e-300) for x in tr]),
    "Vdot = I / C (no leak)": lambda t, tr, w, a=5.0, b=1.25, l=10.0: -np.array(
        [psi_kernel(t - np.asarray(x), a, b, 300.0, l).sum() for x in tr]) / (sum(
            wi * alpha_kernel(t - np.asarray(x), a, b).sum() for wi, x in zip(w, tr)) / 300.0),
    "normalised (unit vector)": lambda *a: _stg_right(*a) / np.linalg.norm(_stg_right(*a)),
    "a scalar (sum over weights)": lambda *a: float(np.sum(_stg_right(*a))),
}


def _xor_right(a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0):
    return [np.array([s + m * dt]) for s in (s1 if a else s0, s1 if b else s0, ref) for m in range(n)]


def _xor_library(a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0):
    import normad_edu
    return normad_edu.xor_input_pattern(a, b, start_0=s0, start_1=s1, reference_start=ref, n_per_set=n, stagger=dt)


XOR_WRONG = {
    "library call": _xor_library,
    "no reference set": lambda *a: _xor_right(*a)[: 2 * (a[5] if len(a) > 5 else 18)],
    "reference at start_0": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(a, b, s0, s1, s0, n, dt),
    "bits swapped": lambda a, b, *r: _xor_right(b, a, *r),
    "ignores start_0": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(a, b, 0.0, s1, ref, n, dt),
    "ignores start_1": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(a, b, s0, 6.0, ref, n, dt),
    "ignores reference_start": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(a, b, s0, s1, 0.0, n,
                                                                                              dt),
    "ignores n_per_set": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(a, b, s0, s1, ref, 18, dt),
    "ignores stagger": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(a, b, s0, s1, ref, n, 1.0),
    "m from 1": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(a, b, s0 + dt, s1 + dt, ref + dt, n,
                                                                               dt),
    "floats instead of arrays": lambda *a: [float(x[0]) for x in _xor_right(*a)],
    "one array of all spikes": lambda *a: np.concatenate(_xor_right(*a)),
    "XOR of the bits as a set": lambda a, b, s0=0.0, s1=6.0, ref=0.0, n=18, dt=1.0: _xor_right(
        a ^ b, b, s0, s1, ref, n, dt),
}

def _first_right(times, counts):
    times = np.asarray(times, dtype=float)
    k = np.arange(times.shape[2])
    spikes = np.where(k[None, None, :] < np.asarray(counts)[..., None], times, np.inf)
    return spikes.min(axis=(1, 2))


def _first_via_library(times, counts):
    from normad_edu.research.dynamics import first_spikes
    return first_spikes(range(len(counts)), seed=0)["hidden"][:, 1]


FIRST_SPIKE_WRONG = {
    "library call (the simulated problems, not the arrays given)": _first_via_library,
    "LayerOutput.first_spike on the arrays given": lambda t, c: LayerOutput(np.asarray(t, float), np.asarray(c),
                                                                              np.zeros(1)).first_spike(),
    "plain min (trusts the +inf padding)": lambda t, c: np.min(t, axis=(1, 2)),
    "nanmin over everything": lambda t, c: np.nanmin(np.where(np.isnan(t), np.inf, t), axis=(1, 2)),
    "only silent neurons masked": lambda t, c: np.where(np.asarray(c) > 0, np.min(t, axis=2), np.inf).min(axis=1),
    "silent layer gives nan": lambda t, c: np.where(np.isinf(_first_right(t, c)), np.nan, _first_right(t, c)),
    "silent layer gives -1": lambda t, c: np.where(np.isinf(_first_right(t, c)), -1.0, _first_right(t, c)),
    "silent layer gives T = 500 ms": lambda t, c: np.where(np.isinf(_first_right(t, c)), 500.0, _first_right(t, c)),
    "neuron 0 only": lambda t, c: np.where(np.asarray(c)[:, 0] > 0, np.asarray(t)[:, 0, 0], np.inf),
    "per neuron (P, n)": lambda t, c: np.where(np.asarray(c) > 0, np.asarray(t)[..., 0], np.inf),
    "one number for the whole batch": lambda t, c: float(np.min(_first_right(t, c))),
    "mean of the neurons' first spikes": lambda t, c: np.array([
        np.mean([t[p, j, 0] for j in range(len(c[p])) if c[p][j] > 0]) if np.any(np.asarray(c[p]) > 0) else np.inf
        for p in range(len(c))]),
    "second spike": lambda t, c: np.array([min((t[p, j, 1] for j in range(len(c[p])) if c[p][j] > 1),
                                               default=np.inf) for p in range(len(c))]),
    "a list of per-problem lists": lambda t, c: [[x] for x in _first_right(t, c)],
}


def _mcnemar_right(a, b):
    n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = n_a + n_b
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(min(n_a, n_b) + 1)) / 2**n)


def _mcnemar_library(a, b):
    import normad_edu.research.study as study
    return study.mcnemar_p(a, b)


def _mcnemar_scipy(a, b):
    from scipy import stats
    n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    return stats.binomtest(n_a, n_a + n_b, 0.5).pvalue if n_a + n_b else 1.0


def _mcnemar_float(a, b):     # math.comb(n, i) * 0.5**n in floats: fine for these sizes, and right
    n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    n = n_a + n_b
    return min(1.0, 2.0 * sum(math.comb(n, i) * 0.5**n for i in range(min(n_a, n_b) + 1)))


MCNEMAR_WRONG = {
    "library call": _mcnemar_library,
    "scipy's binomial test": _mcnemar_scipy,
    "one-sided": lambda a, b: min(1.0, _mcnemar_right(a, b) / 2),
    "not capped at 1": lambda a, b: 2 * sum(math.comb(int(np.sum(a ^ b)), i) for i in range(
        min(int(np.sum(a & ~b)), int(np.sum(~a & b))) + 1)) / 2 ** int(np.sum(a ^ b)),
    "Fisher's test (ignores the pairing)": lambda a, b: __import__("scipy.stats").stats.fisher_exact(
        [[int(a.sum()), int((~a).sum())], [int(b.sum()), int((~b).sum())]])[1],
    "chi-square with continuity correction": lambda a, b: 1.0 if not np.any(a ^ b) else math.erfc(math.sqrt(
        max(abs(int(np.sum(a & ~b)) - int(np.sum(~a & b))) - 1, 0) ** 2 / int(np.sum(a ^ b)) / 2)),
    "binomial over all problems": lambda a, b: min(1.0, 2 * sum(math.comb(a.size, i) for i in range(
        min(int(np.sum(a & ~b)), int(np.sum(~a & b))) + 1)) / 2**a.size),
    "success counts instead of discordant": lambda a, b: _mcnemar_right(np.r_[np.ones(int(a.sum()), bool),
                                                                               np.zeros(int(b.sum()), bool)],
                                                                         np.r_[np.zeros(int(a.sum()), bool),
                                                                               np.ones(int(b.sum()), bool)]),
    "chi-square without correction (scipy)": lambda a, b: 1.0 if not np.any(a ^ b) else float(
        __import__("scipy.stats").stats.chi2.sf((int(np.sum(a & ~b)) - int(np.sum(~a & b))) ** 2 / np.sum(a ^ b), 1)),
    "strict tail": lambda a, b: min(1.0, 2 * sum(math.comb(int(np.sum(a ^ b)), i) for i in range(
        min(int(np.sum(a & ~b)), int(np.sum(~a & b))))) / 2 ** int(np.sum(a ^ b))),
    "no discordant gives 0": lambda a, b: 0.0 if not np.any(a ^ b) else _mcnemar_right(a, b),
    "returns the discordant counts": lambda a, b: (int(np.sum(a & ~b)), int(np.sum(~a & b))),
    "rounded to 2 decimals": lambda a, b: round(_mcnemar_right(a, b), 2),
}

RIGHT = {"synaptic_charge": _charge_right, "v_after_reset": _reset_right, "spike_correlation": _corr_right,
         "reset_gradient": _grad_right, "spike_time_gradient": _stg_right, "xor_encode": _xor_right,
         "first_spike_times": _first_right, "mcnemar_exact_p": _mcnemar_right}
WRONG = {"synaptic_charge": CHARGE_WRONG, "v_after_reset": RESET_WRONG, "spike_correlation": CORRELATION_WRONG,
         "reset_gradient": GRADIENT_WRONG, "spike_time_gradient": SPIKE_TIME_WRONG, "xor_encode": XOR_WRONG,
         "first_spike_times": FIRST_SPIKE_WRONG, "mcnemar_exact_p": MCNEMAR_WRONG}
REFUSED = {("v_after_reset", "uses the simulator"), ("spike_correlation", "library call"),
           ("spike_correlation", "library call through a widget helper"),
           ("spike_correlation", "library call by a built name in a thread"), ("spike_time_gradient", "Vdot from the simulator"),
           ("xor_encode", "library call"),
           ("first_spike_times", "library call (the simulated problems, not the arrays given)"),
           ("first_spike_times", "LayerOutput.first_spike on the arrays given"),
           ("mcnemar_exact_p", "library call"), ("mcnemar_exact_p", "scipy's binomial test")}

#: Catalogues kept beside their exercises' own tests: every tests/test_exercises_*.py defines RIGHT, WRONG, REFUSED
#: and ANSWER_FORMULAS for its exercises, and the course-wide tests of this file run on them too.
_CATALOGUES = [importlib.import_module(p.stem) for p in sorted(Path(__file__).parent.glob("test_exercises_*.py"))]
for _module in _CATALOGUES:
    RIGHT.update(_module.RIGHT)
    WRONG.update(_module.WRONG)
    REFUSED |= _module.REFUSED



def _first_via_from_padded(times, counts):     # the library's unpadding is a tool, not the answer
    from normad_edu.spikes import from_padded
    return np.array([min((tr[0] for tr in pop if tr.size), default=np.inf) for pop in from_padded(times, counts)])


def _mcnemar_binom_cdf(a, b):                   # the tail of (7b.2) from scipy's binomial distribution
    from scipy.stats import binom
    n_a, n_b = int(np.sum(a & ~b)), int(np.sum(~a & b))
    return min(1.0, 2 * binom.cdf(min(n_a, n_b), n_a + n_b, 0.5))


@pytest.mark.parametrize("name,fn", [("first_spike_times", _first_via_from_padded),
                                     ("mcnemar_exact_p", _mcnemar_float), ("mcnemar_exact_p", _mcnemar_binom_cdf)])
def test_other_right_answers_pass(name, fn):
    verdict = evaluate(name, fn)
    assert verdict.passed, verdict.message


def test_catalogue_covers_every_exercise():
    assert set(WRONG) == set(RIGHT) == set(EXERCISES)


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_right_answer_passes(name):
    verdict = evaluate(name, RIGHT[name])
    assert verdict.passed, verdict.message
    assert verdict.message.startswith(f"[PASS] Exercise {EXERCISES[name].number} ({name}): all ")


@pytest.mark.parametrize("name,label", [(n, lab) for n, cat in sorted(WRONG.items()) for lab in cat])
def test_wrong_answer_is_caught(name, label):
    verdict = evaluate(name, WRONG[name][label])
    expected = "refused" if (name, label) in REFUSED else "failed"
    assert verdict.status == expected, f"{name} / {label}: {verdict.status}\n{verdict.message}"


def _results(name, fn):
    with np.errstate(all="ignore"):
        return [fn(*c.args) for c in ALL[name].cases()]


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_known_mistake_is_caught_with_its_own_hint(name):
    ex = ALL[name]
    assert len(ex.mistakes) >= 5
    for mistake in ex.mistakes:
        verdict = F.judge(ex, ex.cases(), _results(name, mistake.fn))
        assert verdict.status == "failed" and f"hint:       {mistake.hint}" in verdict.message, verdict.message
        # passed as the learner's function, a mistake of the checker's own module is refused
        assert evaluate(name, mistake.fn).status == "refused"


#: Pieces of each exercise's answer formula (regular expressions) that no hint may state.
ANSWER_FORMULAS = {
    "synaptic_charge": [r"1 - e\^\{?-s/tau", r"tau1 \(1 -", r"expm1"],
    "v_after_reset": [r"exp\(-\(t - t0\)/tau_L\) \*? ?\(v_free\(t0\)", r"EL \+ \(v_free\(t\) - EL\) -"],
    "spike_correlation": [r"4 sigma\^2\)", r"/ sqrt\(sum", r"exp\(-x\^2"],
    "reset_gradient": [r"d\(t\) - exp", r"exp\(-\(t - t0\)/tau_L\) d\(t0\)"],
    "spike_time_gradient": [r"-d_i\(t_f\) ?/ ?Vdot", r"= -d_i", r"sum_f psi'"],
    "xor_encode": [r"start \+ m \* stagger", r"s \+ m stagger"],
    "first_spike_times": [r"min\(.*times\[p, j, 0\]", r"smallest first spike times\[p, j, 0\]"],
    "mcnemar_exact_p": [r"2 \* sum", r"min\(1, 2", r"C\(n, i\) / 2\^n"],
    "alpha_kernel": [r"exp\(-t/tau1\) - exp\(-t/tau2\)", r"e\^\{-t/tau1\} - e\^\{-t/tau2\}"],
    "lif_step": [r"E = (h|delta) exp", r"(h|delta) e\^\{-(h|delta)/tau_L\}", r"\(1/tau_L - 1/tau\)",
                 r"I1 e\^\{-(h|delta)/tau1\}", r"u e\^\{-(h|delta)/tau_L\} \+"],
    "normad_single_update": [r"r sum_e", r"dhat\(t_e\) ?/ ?\|\|dhat", r"dW = r"],
    "backprop_adjoints": [r"a_i\^g = ", r"/ max\(Vdot_j\^f, vdot_min\)\) ?\*? ?W", r"W\[j, i\] \* psi"],
}
for _module in _CATALOGUES:
    ANSWER_FORMULAS.update(_module.ANSWER_FORMULAS)


def test_hints_never_state_the_answer_formula():
    """The general hint and every mistake's hint point at what to check; none hands over the formula."""
    assert set(ANSWER_FORMULAS) == set(ALL)
    for name, ex in ALL.items():
        for hint in (ex.hint, *(m.hint for m in ex.mistakes)):
            for formula in ANSWER_FORMULAS[name]:
                assert not re.search(formula, hint), f"{name}: a hint states the answer ({formula}): {hint}"
    # the test is not blind: the old general hint of exercise 1.1 handed over the area A(s)
    old = ("integrate (1.1) from the spike to t: int_0^s alpha(x) dx = tau1 (1 - e^{-s/tau1}) - tau2 (1 - e^{-s/tau2})")
    assert any(re.search(f, old) for f in ANSWER_FORMULAS["synaptic_charge"])


@pytest.mark.parametrize("name", sorted(ALL))
def test_known_mistakes_are_distinguishable(name):
    """No two mistakes give the same results on every case, so no hint can be the wrong one of two."""
    ex = ALL[name]
    cases = ex.cases()
    with np.errstate(all="ignore"):
        outs = [[m.fn(*c.args) for c in cases] for m in ex.mistakes]
    for i in range(len(outs)):
        for j in range(i + 1, len(outs)):
            assert any(F.difference(ex, dataclasses.replace(c, expected=a), b) is not None
                       for c, a, b in zip(cases, outs[i], outs[j])), \
                f"{name}: mistakes {i} and {j} cannot be told apart"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_near_correct_answer_gets_the_precision_hint_not_a_mistakes(name):
    def nearly(*args):
        out = RIGHT[name](*args)
        if name == "xor_encode":
            return [x * (1 + 1e-5) + 1e-5 for x in out]
        if isinstance(out, tuple):                 # kind "numbers": a tuple of named numbers
            return tuple(x * (1 + 1e-5) + 1e-9 for x in out)
        return np.asarray(out) * (1 + 1e-5) + 1e-9
    verdict = evaluate(name, nearly)
    assert verdict.status == "failed"
    assert "hint:       your result is close to the reference" in verdict.message, verdict.message
    assert not any(m.hint in verdict.message for m in EXERCISES[name].mistakes)


def test_a_hint_needs_the_mistake_on_every_case():
    """Right on every case but one, where it makes a known mistake: the general hint, not that mistake's."""
    ex = EXERCISES["v_after_reset"]
    cases = ex.cases()
    no_hold = ex.mistakes[0].fn

    def partly(t, t_spike, v_free, t_ref=2.0, tau_L=10.0, EL=-70.0):
        if t_ref == 5.0:
            return no_hold(t, t_spike, v_free, t_ref, tau_L, EL)
        return _reset_right(t, t_spike, v_free, t_ref, tau_L, EL)

    assert sum(c.args[3] == 5.0 for c in cases) == 1
    verdict = F.judge(ex, cases, _results("v_after_reset", partly))
    assert verdict.status == "failed" and ex.mistakes[0].hint not in verdict.message
    assert f"hint:       {ex.hint}" in verdict.message


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_stub_is_not_implemented_and_check_prints_only_the_message(name):
    def stub(*args):
        raise NotImplementedError(f"Exercise: implement {name}")

    check = getattr(exercises, f"check_{name}")
    for fn, status in ((stub, "not implemented"), (RIGHT[name], "passed")):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            result = check(fn)
            result._ipython_display_()                               # nothing more shown by a notebook cell
        assert isinstance(result, F.Verdict) and bool(result) is (status == "passed")
        assert buf.getvalue() == evaluate(name, fn).message + "\n"
        assert evaluate(name, fn).status == status
        assert "True" not in buf.getvalue() and "False" not in buf.getvalue()
    assert "not implemented yet" in evaluate(name, stub).message


def test_a_check_on_the_last_line_of_a_cell_shows_its_message_once(capsys):
    """What a notebook shows for a verdict on a cell's last line: IPython's display formatter, which a Jupyter
    kernel turns into the cell's result, finds nothing to show for the verdict a check returns (it printed its
    message); a verdict nobody printed (evaluate's) prints its message once. tests/test_student.py runs the
    check cells of notebook 08 in a real kernel."""
    from IPython.core.interactiveshell import InteractiveShell

    formatter = InteractiveShell.instance().display_formatter
    ex = ALL["spike_correlation"]
    checked = exercises.check_spike_correlation(RIGHT["spike_correlation"])
    assert capsys.readouterr().out == checked.message + "\n" and checked.message.startswith("[PASS]")
    assert formatter.format(checked) == ({}, {}) and capsys.readouterr().out == ""
    unprinted = F.evaluate(ex, CORRELATION_WRONG["2 sigma^2"])
    assert formatter.format(unprinted) == ({}, {})
    assert capsys.readouterr().out == unprinted.message + "\n" and unprinted.message.startswith("[FAIL]")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_checker_never_raises(name):
    def boom(*args):
        raise ZeroDivisionError("division by zero")

    def exit_(*args):
        raise ValueError("bad")

    for fn in (boom, exit_, lambda *a: object(), lambda *a: "text", lambda *a: [[1, 2], [3]], 42, None):
        verdict = evaluate(name, fn)
        assert verdict.status == "failed", verdict.message
    assert "ZeroDivisionError" in evaluate(name, boom).message
    assert sys.getprofile() is None


def test_checker_does_not_let_the_learner_change_its_cases():
    def mutating(t, trains, w, tau1=5.0, tau2=1.25):
        w[:] = 0.0
        trains.clear()
        return 0.0

    evaluate("synaptic_charge", mutating)
    assert evaluate("synaptic_charge", _charge_right).passed


def test_refusal_names_the_library_function():
    msg = evaluate("spike_correlation", _corr_library).message
    assert "normad_edu.metrics.correlation" in msg and msg.startswith("[REFUSED]")
    assert evaluate("xor_encode", _xor_library).status == "refused"
    assert sys.getprofile() is None and threading.getprofile() is None


def test_a_borrowed_answer_is_refused_before_it_runs():
    """The answer's code is read first: a library function it names is refused without running it."""
    ran = []

    def named(times, counts):
        ran.append(True)
        from normad_edu.research.dynamics import first_spikes
        return first_spikes

    verdict = evaluate("first_spike_times", named)
    assert verdict.status == "refused" and "normad_edu.research.dynamics.first_spikes" in verdict.message and not ran


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_checkers_own_reference_is_refused(name):
    reference = REFERENCES[name]
    for fn in (reference, lambda *a: reference(*a), lambda *a: EXERCISES[name].mistakes[0].fn(*a)):
        verdict = evaluate(name, fn)
        assert verdict.status == "refused" and "the checker's own code" in verdict.message, verdict.message


def test_the_callables_a_case_hands_over_may_be_called():
    """v_after_reset and reset_gradient get functions defined in the checkers' modules: calling them is the exercise."""
    assert evaluate("v_after_reset", _reset_right).passed
    assert evaluate("reset_gradient", _grad_right).passed


# ---------------------------------------------------------------------------
# The notebooks: exercises, Think! questions, one equation numbering
# ---------------------------------------------------------------------------

def _cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for c in cells:
        c["text"] = "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        c["tags"] = c.get("metadata", {}).get("tags", [])
    return cells


def _notebook(prefix: str) -> Path:
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    return path


@pytest.mark.parametrize("prefix,name", sorted(EXERCISE_NOTEBOOKS.items()))
def test_notebook_exercise_stub_check_and_solution(prefix, name):
    cells = _cells(_notebook(prefix))
    stub_i = [i for i, c in enumerate(cells) if "exercise" in c["tags"] and c["cell_type"] == "code"]
    assert stub_i, f"notebook {prefix} has no cell tagged 'exercise'"
    i = stub_i[0]
    stub, check, solution = cells[i], cells[i + 1], cells[i + 2]
    assert f"def {name}(" in stub["text"] and "raise NotImplementedError" in stub["text"]
    assert check["cell_type"] == "code" and f"check_{name}({name})" in check["text"]
    assert solution["cell_type"] == "markdown" and "solution" in solution["tags"]
    assert solution["text"].lstrip().startswith("<details>") and solution["text"].rstrip().endswith("</details>")
    # the stub, as shipped, runs and the check says "not implemented yet"
    ns = {"np": np}
    exec(stub["text"], ns)
    assert evaluate(name, ns[name]).status == "not implemented"
    # the folded solution passes
    (code,) = re.findall(r"```python\n(.*?)```", solution["text"], re.S)
    ns = {"np": np}
    exec(code, ns)
    verdict = evaluate(name, ns[name])
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name.split("_")[0])
def test_think_questions_have_folded_answers_and_no_unanswered_try_it(path):
    cells = _cells(path)
    md = [c["text"] for c in cells if c["cell_type"] == "markdown"]
    think = [c["text"] for c in cells if "think" in c["tags"]]
    assert think, f"{path.name}: no Think! questions"
    assert len(think) == sum(bool(re.search(r"^#+ Think!", t, re.M)) for t in md)     # every Think! cell tagged
    for text in think:
        n_questions = len(re.findall(r"^\*\*\d+\.\*\* ", text, re.M))
        assert n_questions >= 1 and text.count("<summary>Answer</summary>") == n_questions, text[:200]
        assert text.count("<details>") == text.count("</details>")
    assert not any(re.search(r"^#+ .*Try it", t, re.M) and "Answer" not in t and "Think!" not in t for t in md)


def _chapters() -> dict[str, list[Path]]:
    """The course's notebooks by equation numbering, in reading order: notebook N numbers its equations (N.k),
    notebook 07b its own (7b.k)."""
    out: dict[str, list[Path]] = {}
    for path in COURSE:
        prefix = path.name.split("_")[0]
        out.setdefault(f"{int(prefix[:2])}{prefix[2:]}", []).append(path)
    return dict(sorted(out.items(), key=lambda kv: kv[1][0].name))


def test_07b_numbers_its_own_equations():
    chapters = _chapters()
    assert [p.name.split("_")[0] for p in chapters["7"]] == ["07"]
    assert [p.name.split("_")[0] for p in chapters["7b"]] == ["07b"]


def test_one_equation_numbering_across_the_course():
    chapters = _chapters()
    for n, paths in chapters.items():
        text = "\n".join(c["text"] for path in paths for c in _cells(path))
        names = "/".join(p.name for p in paths)
        tags = re.findall(r"\\tag\{([^}]*)\}", text)
        assert all(re.fullmatch(rf"{n}\.\d+", t) for t in tags), f"{names}: labels {tags}"
        assert [int(t.split(".")[1]) for t in tags] == list(range(1, len(tags) + 1)), f"{names}: {tags}"
        assert not re.search(r"\(R\d+\)|\bR\d+\b", text), f"{names} still uses (R n) labels"
        # every label cited in the prose or in a code comment exists somewhere in the course
        prose = "\n".join(c["text"] if c["cell_type"] == "markdown" else
                          "\n".join(line.partition("#")[2] for line in c["text"].splitlines())
                          for path in paths for c in _cells(path))
        for number, b, k in re.findall(r"\((\d)(b?)\.(\d+)\)", prose):
            chapter, label = f"{number}{b}", f"{number}{b}.{k}"
            owner = [c for path in chapters.get(chapter, []) for c in _cells(path)]
            assert any(f"\\tag{{{label}}}" in c["text"] for c in owner), f"{names} cites ({label}), not defined"


def test_evaluate_says_what_an_exercise_is():
    with pytest.raises(TypeError, match="exercise must be an Exercise .*spike_correlation.*got 'correlation'"):
        F.evaluate("correlation", _corr_right)


def test_instructor_guide_schedule_uses_the_notebooks_own_estimates():
    """Every notebook is in the guide's schedule with the minutes its first cell states; a notebook still to be
    written holds its slot as "(planned)" and must not exist yet; the sessions and the totals add up."""
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    section = guide.split("## Schedule", 1)[1].split("\n## ", 1)[0]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in section.splitlines()
            if re.match(r"\| [^-]", line) and not line.startswith("| session")]
    minutes, planned, sessions, current = {}, set(), [], None
    for session, notebook, mins, _ in rows:
        if session:
            h, m = re.fullmatch(r"\d+ \((\d+) h (\d+)\)", session).groups()
            current = [int(h) * 60 + int(m), 0]
            sessions.append(current)
        current[1] += int(mins)
        minutes[notebook.split()[0]] = int(mins)
        if "(planned)" in notebook:
            planned.add(notebook.split()[0])
    notebooks = {p.name.split("_")[0]: p for p in NOTEBOOKS.glob("[0-9]*.ipynb")}
    assert set(minutes) - planned == set(notebooks)
    assert not planned & set(notebooks), f"planned notebooks exist now: {planned & set(notebooks)}"
    for prefix, path in notebooks.items():
        first = _cells(path)[0]["text"]
        stated = int(re.search(r"\*\*Estimated time:\*\* (?:about )?(\d+) minutes", first).group(1))
        assert minutes[prefix] == stated, f"{path.name}: guide {minutes[prefix]} min, notebook {stated} min"
    assert all(length == total for length, total in sessions), sessions
    assert max(length for length, _ in sessions[:-1]) <= 100          # no teaching session over 1 h 40
    total = sum(minutes.values())
    flat = " ".join(section.split())
    assert f"{total} minutes in all" in flat and f"{total // 60} h {total % 60}" in guide
    short = sum(minutes[p] for p in ("00", "01", "02", "03", "04", "05", "08"))
    assert f"keep 00-05 and 08 ({short} minutes" in flat
