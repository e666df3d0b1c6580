"""Right and wrong answers to exercises 4.2, 5.2 and 6.2, written here independently of the checkers' own lists.

Imported by tests/test_practice.py (which runs its course-wide tests on every exercise: the right answer passes,
each wrong one is caught, near-correct answers get the precision hint, hints never state the answer) and by
tests/test_exercises_nb04_06.py.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from normad_edu.kernels import alpha_kernel, psi_kernel, psi_kernel_dot


# ---------------------------------------------------------------------------
# 4.2 one_update_rate(t_g, trains, times, tau_L_hat=2.5, tau_L=10.0, theta=90.0)
# ---------------------------------------------------------------------------

def _d(times, trains, tau):
    """d_i(t) (ms/pF) with membrane time constant tau, from psi_kernel directly (not the library's d_hat)."""
    times = np.atleast_1d(np.asarray(times, dtype=float))
    return np.stack([psi_kernel(times[:, None] - np.asarray(tr, dtype=float)[None, :], 5.0, 1.25, 300.0, tau).sum(axis=1)
                     if len(tr) else np.zeros(times.size) for tr in trains], axis=1)


def _rate_right(t_g, trains, times, tau_L_hat=2.5, tau_L=10.0, theta=90.0, *, where="all", norm=True, pot=None,
                scale=1.0):
    u = _d(t_g, trains, tau_L_hat)[0]
    if norm:
        u = u / np.linalg.norm(u)
    times = np.asarray(times, dtype=float)
    tq = {"all": times, "t_g": np.array([t_g]), "after": times[times >= t_g]}[where]
    return scale * theta / np.max(_d(tq, trains, tau_L if pot is None else pot) @ u)


def _rate_simulated(t_g, trains, times, tau_L_hat=2.5, tau_L=10.0, theta=90.0):
    from normad_edu import LIFParams, SimParams, forward
    u = _d(t_g, trains, tau_L_hat)[0]
    u /= np.linalg.norm(u)
    lif = LIFParams(gL=300.0 / tau_L, VT=-70.0 + theta)
    rs = np.linspace(500.0, 10000.0, 200)
    rec = forward(trains, [rs[:, None, None] * u], lif=lif, sim=SimParams(T=float(times[-1])))
    return float(rs[np.argmax(rec.output.counts[:, 0] > 0)])


RATE_WRONG = {
    "the simulator searched on a coarse grid of rates": _rate_simulated,
    "threshold reached at t_g": lambda *a: _rate_right(*a, where="t_g"),
    "only spikes after t_g count": lambda *a: _rate_right(*a, where="after"),
    "the step not normalised": lambda *a: _rate_right(*a, norm=False),
    "potential with tau_L'": lambda t, tr, ts, th=2.5, tl=10.0, v=90.0: _rate_right(t, tr, ts, th, tl, v, pot=th),
    "direction with tau_L": lambda t, tr, ts, th=2.5, tl=10.0, v=90.0: _rate_right(t, tr, ts, tl, tl, v),
    "theta = V_T = 20 mV": lambda t, tr, ts, th=2.5, tl=10.0, v=90.0: _rate_right(t, tr, ts, th, tl, 20.0),
    "in nA": lambda *a: _rate_right(*a, scale=1e-3),
    "ignores theta": lambda t, tr, ts, th=2.5, tl=10.0, v=90.0: _rate_right(t, tr, ts, th, tl, 90.0),
    "ignores tau_L_hat": lambda t, tr, ts, th=2.5, tl=10.0, v=90.0: _rate_right(t, tr, ts, 2.5, tl, v),
    "returns the weight vector": lambda t, tr, ts, th=2.5, tl=10.0, v=90.0: _rate_right(t, tr, ts, th, tl, v)
        * _d(t, tr, th)[0] / np.linalg.norm(_d(t, tr, th)[0]),
    "the simulation grid of the notebook instead of times": lambda t, tr, ts, th=2.5, tl=10.0, v=90.0: _rate_right(
        t, tr, np.arange(0.0, 500.0, 0.1), th, tl, v),
}


# ---------------------------------------------------------------------------
# 5.2 blame_flip_lag(tau1=5.0, tau2=1.25, tau_L_hat=2.5)
# ---------------------------------------------------------------------------

def _flip_right(tau1=5.0, tau2=1.25, tau_L_hat=2.5):
    # psihat'(s) = alpha(s)/C - psihat(s)/tau_L': zero where the membrane's gain equals its leak
    return brentq(lambda s: alpha_kernel(s, tau1, tau2) / 300.0 - psi_kernel(s, tau1, tau2, 300.0, tau_L_hat) / tau_L_hat,
                  1e-6, 100.0, xtol=1e-14, rtol=1e-15)


def _flip_grid(tau1=5.0, tau2=1.25, tau_L_hat=2.5, step=0.01):
    s = np.arange(step, 60.0, step)
    return float(s[np.argmax(psi_kernel(s, tau1, tau2, 300.0, tau_L_hat))])


FLIP_WRONG = {
    "peak of alpha": lambda a=5.0, b=1.25, c=2.5: math.log(a / b) * a * b / (a - b),
    "argmax on a 0.01 ms grid": _flip_grid,
    "argmax on a 1 ms grid": lambda a=5.0, b=1.25, c=2.5: _flip_grid(a, b, c, 1.0),
    "tau_L = 10 ms": lambda a=5.0, b=1.25, c=2.5: _flip_right(a, b, 10.0),
    "value of psihat instead of the lag": lambda a=5.0, b=1.25, c=2.5: float(psi_kernel(_flip_right(a, b, c), a, b,
                                                                                         300.0, c)),
    "first zero of psi' (tau_L) with tau_L'": lambda a=5.0, b=1.25, c=2.5: brentq(
        lambda s: psi_kernel_dot(s, a, b, 300.0, 10.0), 1e-6, 100.0),
    "tau1 + tau_L'": lambda a=5.0, b=1.25, c=2.5: a + c,
    "ignores tau2": lambda a=5.0, b=1.25, c=2.5: _flip_right(a, 1.25, c),
    "returns a negative lag": lambda a=5.0, b=1.25, c=2.5: -_flip_right(a, b, c),
}


# ---------------------------------------------------------------------------
# 6.2 hit_window(t_d, width=0.1, offset=0.5)
# ---------------------------------------------------------------------------

def _window_right(t_d, width=0.1, offset=0.5):
    k = math.floor(t_d / width + offset)
    lo = (k - offset) * width
    return lo, lo + width


def _window_by_error_instants(t_d, width=0.1, offset=0.5):
    from normad_edu.normad import error_instants
    ts = t_d + np.linspace(-width, width, 2001)
    hit = [error_instants([t_d], [t], width, offset)[0].size == 0 for t in ts]
    return float(ts[hit][0]), float(ts[hit][-1])


WINDOW_WRONG = {
    "scans error_instants": _window_by_error_instants,
    "centred on t_d": lambda t, w=0.1, o=0.5: (t - w / 2, t + w / 2),
    "round instead of floor": lambda t, w=0.1, o=0.5: ((round(t / w + o) - o) * w, (round(t / w + o) + 1 - o) * w),
    "offset in ms": lambda t, w=0.1, o=0.5: (math.floor((t + o) / w) * w - o, (math.floor((t + o) / w) + 1) * w - o),
    "bin number": lambda t, w=0.1, o=0.5: (math.floor(t / w + o), math.floor(t / w + o) + 1),
    "hi and lo swapped": lambda t, w=0.1, o=0.5: _window_right(t, w, o)[::-1],
    "one bin late": lambda t, w=0.1, o=0.5: tuple(x + w for x in _window_right(t, w, o)),
    "ignores width": lambda t, w=0.1, o=0.5: _window_right(t, 0.1, o),
    "ignores offset": lambda t, w=0.1, o=0.5: _window_right(t, w, 0.5),
    "offset with the wrong sign": lambda t, w=0.1, o=0.5: _window_right(t, w, (1.0 - o) % 1.0),
    "only lo": lambda t, w=0.1, o=0.5: _window_right(t, w, o)[0],
}


RIGHT = {"one_update_rate": _rate_right, "blame_flip_lag": _flip_right, "hit_window": _window_right}
WRONG = {"one_update_rate": RATE_WRONG, "blame_flip_lag": FLIP_WRONG, "hit_window": WINDOW_WRONG}
REFUSED = {("one_update_rate", "the simulator searched on a coarse grid of rates"),
           ("hit_window", "scans error_instants")}
#: Pieces of each answer's formula (regular expressions) that no hint may state.
ANSWER_FORMULAS = {
    "one_update_rate": [r"theta ?/ ?max", r"theta \* \|\|dhat", r"max.*dhat\(t_g\) ?\.", r"/ ?\|\|dhat\(t_g\)\|\| ?\)"],
    "blame_flip_lag": [r"brentq\(", r"= ?psi_hat_kernel_dot\(", r"alpha\(s\) ?/ ?C ?= ?psihat"],
    "hit_window": [r"\(n - offset\) ?\*? ?width", r"floor\(t_d ?/ ?width ?\+ ?offset\) ?-", r"n - offset"],
}
