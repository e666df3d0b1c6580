"""Widgets for notebooks 00 (overview) and 02 (the LIF neuron).

One LIF neuron driven by ``n_inputs`` Poisson spike trains through
weights ``W_i = w_mean * u_i`` (``u_i`` drawn once from U(0, 2), so
``w_mean`` is the mean weight in pA). Two sliders -- the input rate (Hz)
and ``w_mean`` (pA) -- re-run the exact simulator
(:func:`normad_edu.network.forward`), so they use
``continuous_update=False``.

* :func:`build_overview_widget` (notebook 00): inputs raster -> V(t) ->
  output spikes, the idea of the paper's Fig. 1.
* :func:`build_lif_widget` (notebook 02): V(t) and spikes with the
  analytic no-reset curve ``EL + sum_i W_i d_i(t)`` overlaid
  (``d_i = c_i * h = sum_f psi(t - t_i^f)``).

Pure functions (tested over a grid of slider values):
:func:`single_neuron_run`, :func:`free_potential`, :func:`overview_figure`,
:func:`membrane_figure`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ...validation import as_rng, check_int, check_nonnegative
from ...kernels import free_potential  # noqa: F401 (re-exported for the notebooks)
from ...network import forward
from ...normad import d_hat
from ...params import LIFParams, SimParams, SynapseParams
from ...plotting import plot_membrane, raster
from ...spikes import poisson_spike_trains
from ._output import render_into

__all__ = [
    "free_potential",
    "single_neuron_run",
    "overview_figure",
    "membrane_figure",
    "build_overview_widget",
    "build_lif_widget",
]

#: Slider ranges (min, max): input rate (Hz) and mean weight (pA).
RATE_RANGE = (0.0, 100.0)
WEIGHT_RANGE = (0.0, 3000.0)
#: Defaults of the widgets.
N_INPUTS = 30
T_WIDGET = 300.0


def single_neuron_run(
    rate: float = 20.0,
    w_mean: float = 1000.0,
    n_inputs: int = N_INPUTS,
    T: float = T_WIDGET,
    seed: int = 0,
    lif: LIFParams = LIFParams(),
    syn: SynapseParams = SynapseParams(),
    dt: float = 0.1,
) -> dict:
    """Simulate one LIF neuron on Poisson inputs (exact simulator, V recorded).

    Parameters
    ----------
    rate : float
        Rate of every input train (Hz), >= 0.
    w_mean : float
        Mean weight (pA), >= 0; ``W_i = w_mean * u_i``, ``u_i ~ U(0, 2)``.
    n_inputs : int
        Number of input synapses.
    T, dt : float
        Epoch and grid step (ms).
    seed : int
        Seed of the weight pattern ``u`` (drawn first) and the inputs.
    lif, syn : parameter dataclasses

    Returns
    -------
    dict
        ``inputs`` (list of trains), ``weights`` (pA), ``t`` (grid, ms),
        ``v`` (simulated V on the grid, mV), ``v_free`` (analytic no-reset
        curve ``EL + sum_i W_i d_i(t)``, mV, the same as :func:`free_potential`), ``spikes`` (output times, ms), ``vdot`` (dV/dt at each
        spike, mV/ms), ``lif``, ``T``.
    """
    rate = check_nonnegative("rate", rate, unit="Hz")
    w_mean = check_nonnegative("w_mean", w_mean, unit="pA")
    n_inputs = check_int("n_inputs", n_inputs)
    sim = SimParams(dt=dt, T=T)
    rng = as_rng(seed)
    weights = w_mean * rng.uniform(0.0, 2.0, n_inputs)
    inputs = poisson_spike_trains(n_inputs, rate, sim.T, rng)
    rec = forward(inputs, [weights[None, :]], lif, syn, sim, record_v=True)
    out = rec.output
    k = int(out.counts[0, 0])
    t = sim.times
    # d_i(t) = sum_f psi(t - t_i^f): normad.d_hat with tau_L' = tau_L sums the same closed-form kernel
    # by an exact sweep through time, ~10x faster than free_potential on long grids (equal to 1e-11 mV).
    v_free = lif.EL + d_hat(t, inputs, tau_L_hat=lif.tau_L, syn=syn, lif=lif) @ weights
    return dict(
        inputs=inputs, weights=weights, t=t, v=out.v[0, 0], v_free=v_free,
        spikes=out.times[0, 0, :k].copy(), vdot=out.vdot[0, 0, :k].copy(), lif=lif, T=sim.T, rate=rate,
        w_mean=w_mean,
    )


def overview_figure(run: dict):
    """Paper Fig. 1 from a :func:`single_neuron_run`: input rasters -> V(t) -> output train."""
    lif, T = run["lif"], run["T"]
    fig, axes = plt.subplots(3, 1, figsize=(8, 6), sharex=True, height_ratios=[3, 2, 0.7])
    ax = axes[0]
    raster(ax, run["inputs"], t_max=T, color="C0", markersize=4)
    ax.set_xlabel("")
    ax.set_ylabel("input neuron")
    ax.set_title(f"{len(run['inputs'])} input spike trains at {run['rate']:.0f} Hz "
                 f"(mean weight {run['w_mean']:.0f} pA)", fontsize=10, loc="left")
    ax = axes[1]
    plot_membrane(ax, run["t"], run["v"], VT=lif.VT, spikes=run["spikes"])
    ax.set_xlabel("")
    ax.set_title("membrane potential of the LIF neuron (exact simulation)", fontsize=10, loc="left")
    ax = axes[2]
    raster(ax, [run["spikes"]], t_max=T, color="k", markersize=12)
    ax.set_yticks([])
    ax.set_ylabel("output")
    n = run["spikes"].size
    ax.set_title(f"output spike train: {n} spike{'s' if n != 1 else ''} "
                 f"({n / (T / 1000.0):.1f} Hz)", fontsize=10, loc="left")
    ax.set_xlabel("time (ms)")
    fig.tight_layout()
    return fig


def membrane_figure(run: dict):
    """V(t) with spikes and the analytic no-reset curve overlaid; returns the Figure.

    The no-reset curve grows without bound when the inputs are strong, so
    the y axis stops a little above threshold.
    """
    lif, T = run["lif"], run["T"]
    t, v, vf, spikes = run["t"], run["v"], run["v_free"], run["spikes"]
    fig, axes = plt.subplots(2, 1, figsize=(8, 5.2), sharex=True, height_ratios=[1, 2.5])
    raster(axes[0], run["inputs"], t_max=T, color="C0", markersize=3)
    axes[0].set_xlabel("")
    axes[0].set_ylabel("input")
    axes[0].set_title(f"{len(run['inputs'])} inputs at {run['rate']:.0f} Hz, mean weight "
                      f"{run['w_mean']:.0f} pA", fontsize=10, loc="left")
    ax = axes[1]
    ax.plot(t, vf, color="C0", ls="--", lw=1.2, label=r"analytic no reset $E_L + \sum_i W_i d_i(t)$")
    plot_membrane(ax, t, v, VT=lif.VT, spikes=spikes, label="simulated V(t)")
    first = spikes[0] if spikes.size else T
    before = t <= first
    err = float(np.max(np.abs(v[before] - vf[before]))) if before.any() else 0.0
    top = lif.VT + 0.25 * lif.theta
    ax.set_ylim(min(lif.EL, float(v.min()), float(vf.min())) - 0.05 * lif.theta, top)
    if spikes.size:
        ax.axvspan(0.0, first, color="C2", alpha=0.08, lw=0)
        txt = (f"{spikes.size} spikes; before the first ({first:.2f} ms) simulation = analytic "
               f"to {err:.1e} mV; dV/dt at spikes {np.min(run['vdot']):.1f}-{np.max(run['vdot']):.1f} mV/ms")
    else:
        txt = f"no spike: simulation = analytic over the whole epoch (max diff {err:.1e} mV)"
    ax.set_title(txt, fontsize=9, loc="left")
    ax.set_xlim(0.0, T)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def _build(figure_fn, rate, w_mean, n_inputs, T, seed):
    import ipywidgets as widgets

    style = {"description_width": "110px"}
    layout = widgets.Layout(width="420px")
    controls = dict(
        rate=widgets.FloatSlider(value=rate, min=RATE_RANGE[0], max=RATE_RANGE[1], step=1.0,
                                 description="input rate (Hz)", continuous_update=False,
                                 style=style, layout=layout),
        w_mean=widgets.FloatSlider(value=w_mean, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=50.0,
                                   description="mean W (pA)", continuous_update=False,
                                   style=style, layout=layout),
    )
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        run = single_neuron_run(controls["rate"].value, controls["w_mean"].value, n_inputs, T, seed)
        state["run"] = run
        with render_into(out):
            figure_fn(run)
            plt.show()

    for c in controls.values():
        c.observe(update, names="value")
    box = widgets.VBox([widgets.HBox(list(controls.values())), out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box


def build_overview_widget(rate: float = 20.0, w_mean: float = 1000.0, n_inputs: int = N_INPUTS,
                          T: float = T_WIDGET, seed: int = 0):
    """Notebook 00: input rate and mean weight -> input raster, V(t), output train.

    Returns an ``ipywidgets.VBox`` with test hooks ``controls``, ``output``,
    ``update`` and ``state`` (``state["run"]`` is the last simulation).
    """
    return _build(overview_figure, rate, w_mean, n_inputs, T, seed)


def build_lif_widget(rate: float = 20.0, w_mean: float = 1000.0, n_inputs: int = N_INPUTS,
                     T: float = T_WIDGET, seed: int = 0):
    """Notebook 02: input rate and mean weight -> V(t), spikes and the analytic no-reset curve.

    Returns an ``ipywidgets.VBox`` with test hooks ``controls``, ``output``,
    ``update`` and ``state`` (``state["run"]`` is the last simulation).
    """
    return _build(membrane_figure, rate, w_mean, n_inputs, T, seed)
