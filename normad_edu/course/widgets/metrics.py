"""Widget for notebook 03 (the training problem and the metrics).

A desired spike train ``s_d`` is perturbed into an "observed" train ``s_o``
by three sliders -- jitter every spike (Gaussian, s.d. in ms), drop each
spike with a probability, add extra spikes -- and the widget shows

* both trains and the error instants of ``e(t) = s_d(t) - s_o(t)``
  (:func:`normad_edu.normad.error_instants`: +1 at a missed desired spike,
  -1 at an extra observed spike; a pair in the same ``coincidence_dt`` bin
  cancels);
* the Gaussian-smoothed trains whose cosine similarity is the correlation
  metric (:func:`normad_edu.metrics.correlation`);
* the exponentially filtered trains whose L2 distance is the van Rossum
  distance (:func:`normad_edu.metrics.van_rossum_distance`).

The random numbers are drawn once per seed (one normal and one uniform per
desired spike, ``N_ADD_MAX`` candidate extra spikes), so moving one slider
changes only what that slider controls.

Pure functions (tested over a grid of slider values):
:func:`desired_train`, :func:`perturb_train`, :func:`gaussian_trace`,
:func:`exponential_trace`, :func:`metrics_report`, :func:`metrics_figure`.
The builder is :func:`build_metrics_widget`. Units: ms.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...validation import as_rng, check_int, check_nonnegative, check_positive
from ...metrics import correlation, exponential_trace, gaussian_trace, van_rossum_distance  # noqa: F401 (re-exported)
from ...normad import error_instants
from ...params import DT, SIGMA, T_REF
from ...spikes import as_spike_train, poisson_spike_train
from ._output import render_into

__all__ = [
    "desired_train",
    "perturb_train",
    "gaussian_trace",
    "exponential_trace",
    "metrics_report",
    "metrics_figure",
    "build_metrics_widget",
]

#: Epoch of the widget (ms) and rate of its desired train (Hz).
T_WIDGET = 200.0
DESIRED_RATE = 30.0
#: Largest number of extra spikes the "add" slider offers.
N_ADD_MAX = 10
#: Slider ranges (min, max).
JITTER_RANGE = (0.0, 10.0)
DROP_RANGE = (0.0, 1.0)
SIGMA_RANGE = (0.5, 10.0)
TAU_VR_RANGE = (1.0, 50.0)


def desired_train(rate: float = DESIRED_RATE, T: float = T_WIDGET, seed: int = 0, t_dead: float = T_REF) -> np.ndarray:
    """A Poisson desired train (Hz, ms) that respects a refractory dead time ``t_dead``."""
    return poisson_spike_train(rate, T, as_rng(seed), t_dead=t_dead)


def perturb_train(desired, jitter: float = 0.0, p_drop: float = 0.0, n_add: int = 0,
                  T: float = T_WIDGET, seed: int = 0) -> np.ndarray:
    """An "observed" train made from ``desired`` by jitter, deletion and insertion.

    Parameters
    ----------
    desired : array_like
        Desired spike times (ms) in ``[0, T)``.
    jitter : float
        Standard deviation (ms) of the Gaussian shift of every kept spike, >= 0.
    p_drop : float
        Probability of deleting each desired spike, in [0, 1].
    n_add : int
        Number of extra spikes, uniform on ``[0, T)``, 0 .. ``N_ADD_MAX``.
    T : float
        Epoch (ms). Shifted spikes are clipped into ``[0, T)``.
    seed : int
        Seed of the perturbation (same seed, same noise for every slider value).

    Returns
    -------
    ndarray
        A valid spike train: sorted, in ``[0, T)``, no repeated time.
    """
    T = check_positive("T", T, unit="ms")
    d = as_spike_train(desired, T, name="desired")
    jitter = check_nonnegative("jitter", jitter, unit="ms")
    p_drop = check_nonnegative("p_drop", p_drop)
    if p_drop > 1.0:
        raise ValueError(f"p_drop must be in [0, 1], got {p_drop}")
    n_add = check_int("n_add", n_add, minimum=0)
    if n_add > N_ADD_MAX:
        raise ValueError(f"n_add must be <= {N_ADD_MAX}, got {n_add}")
    rng = as_rng(seed)
    z = rng.standard_normal(d.size)
    u = rng.random(d.size)
    extra = rng.uniform(0.0, T, N_ADD_MAX)
    kept = (d + jitter * z)[u >= p_drop]
    obs = np.concatenate([kept, extra[:n_add]])
    obs = np.clip(obs, 0.0, np.nextafter(T, 0.0))
    return np.unique(obs)  # sorted, repeated times (rare clipping ties) merged


def metrics_report(desired, observed, sigma: float = SIGMA, tau: float = 10.0,
                   coincidence_dt: float = DT, T: float = T_WIDGET) -> dict:
    """Correlation, van Rossum distance and error instants of a desired/observed pair.

    Returns
    -------
    dict
        ``correlation`` (in [0, 1]), ``van_rossum`` (>= 0), ``err_t`` (error
        instants, ms), ``err_s`` (their signs, +1 missed / -1 extra),
        ``n_missed``, ``n_extra``.
    """
    err_t, err_s = error_instants(desired, observed, coincidence_dt)
    return dict(
        correlation=correlation(desired, observed, sigma=sigma, T=T),
        van_rossum=van_rossum_distance(desired, observed, tau=tau, T=T),
        err_t=err_t, err_s=err_s, n_missed=int(np.sum(err_s > 0)), n_extra=int(np.sum(err_s < 0)),
    )


def metrics_figure(desired, observed, report: dict, sigma: float = SIGMA, tau: float = 10.0,
                   T: float = T_WIDGET, dt: float = 0.05):
    """Three panels: trains and error instants; Gaussian traces; van Rossum traces."""
    d = as_spike_train(desired)
    o = as_spike_train(observed)
    t = np.arange(int(round(T / dt)) + 1) * dt
    fig, axes = plt.subplots(3, 1, figsize=(8, 6.4), sharex=True, height_ratios=[1.1, 1.4, 1.4])
    ax = axes[0]
    ax.plot(d, np.ones(d.size), "|", color="C3", markersize=16, mew=2, label=r"desired $s_d$")
    ax.plot(o, np.zeros(o.size), "|", color="k", markersize=16, mew=2, label=r"observed $s_o$")
    plus = report["err_t"][report["err_s"] > 0]
    minus = report["err_t"][report["err_s"] < 0]
    ax.plot(plus, np.full(plus.size, 0.5), "^", color="C2", markersize=8, label="e = +1 (missed: raise V)")
    ax.plot(minus, np.full(minus.size, 0.5), "v", color="C1", markersize=8, label="e = -1 (extra: lower V)")
    ax.set_yticks([0, 1], ["observed", "desired"])
    ax.set_ylim(-0.6, 1.6)
    ax.set_title(f"error instants: {report['n_missed']} missed, {report['n_extra']} extra", fontsize=10, loc="left")
    fig.legend(*ax.get_legend_handles_labels(), fontsize=8, loc="upper center", ncol=4, frameon=False)
    ax = axes[1]
    ax.plot(t, gaussian_trace(t, d, sigma), color="C3", label="desired * Gaussian")
    ax.plot(t, gaussian_trace(t, o, sigma), color="k", lw=1, label="observed * Gaussian")
    ax.set_ylabel("1/ms")
    ax.set_title(rf"correlation (cosine of the two traces, $\sigma$ = {sigma:.1f} ms): "
                 f"{report['correlation']:.3f}", fontsize=10, loc="left")
    ax.legend(fontsize=7, loc="upper right")
    ax = axes[2]
    fd, fo = exponential_trace(t, d, tau), exponential_trace(t, o, tau)
    ax.plot(t, fd, color="C3", label="desired * exp")
    ax.plot(t, fo, color="k", lw=1, label="observed * exp")
    ax.fill_between(t, fd, fo, color="C4", alpha=0.25, lw=0, label="difference")
    ax.set_title(rf"van Rossum distance ($\tau$ = {tau:.0f} ms): {report['van_rossum']:.3f}", fontsize=10, loc="left")
    ax.legend(fontsize=7, loc="upper right")
    ax.set_xlabel("time (ms)")
    ax.set_xlim(0.0, T)
    fig.tight_layout(rect=(0.0, 0.0, 1.0, 0.96))
    return fig


def build_metrics_widget(jitter: float = 1.0, p_drop: float = 0.0, n_add: int = 0, sigma: float = SIGMA,
                         tau: float = 10.0, seed: int = 0, T: float = T_WIDGET, rate: float = DESIRED_RATE):
    """Jitter / drop / add spikes to a desired train -> observed train, metrics, error instants.

    Returns an ``ipywidgets.VBox`` with test hooks ``controls``, ``output``,
    ``update`` and ``state`` (``desired``, ``observed``, ``report``).
    """
    import ipywidgets as widgets

    style = {"description_width": "160px"}
    layout = widgets.Layout(width="400px")
    controls = dict(
        jitter=widgets.FloatSlider(value=jitter, min=JITTER_RANGE[0], max=JITTER_RANGE[1], step=0.1,
                                   description="jitter s.d. (ms)", style=style, layout=layout),
        p_drop=widgets.FloatSlider(value=p_drop, min=DROP_RANGE[0], max=DROP_RANGE[1], step=0.05,
                                   description="drop probability", style=style, layout=layout),
        n_add=widgets.IntSlider(value=n_add, min=0, max=N_ADD_MAX, description="extra spikes",
                                style=style, layout=layout),
        sigma=widgets.FloatSlider(value=sigma, min=SIGMA_RANGE[0], max=SIGMA_RANGE[1], step=0.5,
                                  description="sigma (ms)", style=style, layout=layout),
        tau=widgets.FloatSlider(value=tau, min=TAU_VR_RANGE[0], max=TAU_VR_RANGE[1], step=1.0,
                                description="van Rossum tau (ms)", style=style, layout=layout),
        seed=widgets.IntSlider(value=seed, min=0, max=20, description="seed", style=style, layout=layout),
    )
    for c in controls.values():
        c.continuous_update = False
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        v = {k: c.value for k, c in controls.items()}
        d = desired_train(rate, T, v["seed"])
        o = perturb_train(d, v["jitter"], v["p_drop"], v["n_add"], T, v["seed"] + 1000)
        report = metrics_report(d, o, v["sigma"], v["tau"], DT, T)
        state.update(desired=d, observed=o, report=report)
        with render_into(out):
            metrics_figure(d, o, report, v["sigma"], v["tau"], T)
            plt.show()

    for c in controls.values():
        c.observe(update, names="value")
    items = list(controls.values())
    box = widgets.VBox([widgets.HBox([widgets.VBox(items[:3]), widgets.VBox(items[3:])]), out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box
