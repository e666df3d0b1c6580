"""Widget for notebook 01 (the synapse, paper Eqs. 1-3).

Sliders: ``tau1``, ``tau2`` as a *fraction* of ``tau1`` (so ``tau1 > tau2``
holds by construction), the spike times of two input synapses (typed as
text, e.g. ``"5, 12, 14"``) and their weights. The figure shows

* the kernel ``alpha(t) = [exp(-t/tau1) - exp(-t/tau2)] u(t)``  (Eq. 1),
  with its analytic peak marked;
* the filtered trains ``c_i(t) = sum_f alpha(t - t_i^f)``       (Eq. 2);
* the synaptic current ``I(t) = sum_i W_i c_i(t) = w^T c(t)``   (Eq. 3).

Pure functions (tested over a grid of slider values):
:func:`parse_spike_times`, :func:`alpha_peak`, :func:`synapse_traces`,
:func:`synapse_figure`. The builder is :func:`build_synapse_widget`.
Units: ms, pA (``c`` and ``alpha`` are dimensionless).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np

from ...validation import check_finite_array, check_positive
from ...kernels import alpha_kernel
from ...params import TAU1, TAU2
from ...spikes import as_spike_train
from ._output import render_into

__all__ = [
    "parse_spike_times",
    "alpha_peak",
    "synapse_traces",
    "synapse_figure",
    "build_synapse_widget",
]

#: Length of the time window the widget draws (ms).
WINDOW = 60.0
#: Grid step of the drawn traces (ms).
PLOT_DT = 0.05
#: Slider ranges (min, max).
TAU1_RANGE = (1.0, 20.0)
TAU2_FRACTION_RANGE = (0.05, 0.95)
WEIGHT_RANGE = (-2000.0, 2000.0)


def parse_spike_times(text: str, T: float = WINDOW) -> np.ndarray:
    """Spike times typed by a learner (``"5, 12 14.5"``) -> sorted array (ms).

    Separators are commas, semicolons and white space; an empty string is
    an empty train.

    Raises
    ------
    ValueError
        Something that is not a number, a time outside ``[0, T)`` or a
        repeated time (the message says which).
    """
    tokens = [tok for tok in re.split(r"[,;\s]+", str(text).strip()) if tok]
    try:
        values = [float(tok) for tok in tokens]
    except ValueError as exc:
        raise ValueError(f"spike times must be numbers in ms separated by commas, got {text!r}") from exc
    return as_spike_train(values, T, name="spike times")


def alpha_peak(tau1: float = TAU1, tau2: float = TAU2) -> tuple[float, float]:
    """Analytic peak of ``alpha``: time ``t*`` (ms) and value ``alpha(t*)``.

    Setting ``alpha'(t) = -exp(-t/tau1)/tau1 + exp(-t/tau2)/tau2 = 0`` gives

        t* = tau1 tau2 ln(tau1 / tau2) / (tau1 - tau2),
        alpha(t*) = (tau2/tau1)^(tau2/(tau1-tau2)) - (tau2/tau1)^(tau1/(tau1-tau2)).
    """
    tau1 = check_positive("tau1", tau1, unit="ms")
    tau2 = check_positive("tau2", tau2, unit="ms")
    if tau1 <= tau2:
        raise ValueError(f"tau1 must be > tau2, got tau1={tau1} ms and tau2={tau2} ms")
    t_star = tau1 * tau2 * np.log(tau1 / tau2) / (tau1 - tau2)
    ratio = tau2 / tau1
    a_star = ratio ** (tau2 / (tau1 - tau2)) - ratio ** (tau1 / (tau1 - tau2))
    return float(t_star), float(a_star)


def synapse_traces(
    trains: Sequence,
    weights: Sequence[float],
    tau1: float = TAU1,
    tau2: float = TAU2,
    T: float = WINDOW,
    dt: float = PLOT_DT,
) -> dict:
    """Kernel, filtered trains and current on a grid (Eqs. 1-3).

    Parameters
    ----------
    trains : list of array_like
        Spike times (ms) of each input synapse, in ``[0, T)``.
    weights : sequence of float
        One weight per synapse (pA).
    tau1, tau2 : float
        Synaptic time constants (ms), ``tau1 > tau2 > 0``.
    T, dt : float
        Window length and grid step (ms).

    Returns
    -------
    dict
        ``t`` (ms, shape (n_t,)), ``alpha`` (kernel on ``t``), ``c`` (shape
        (n_inputs, n_t)), ``I`` (pA, shape (n_t,)), ``t_peak`` and
        ``alpha_peak`` (analytic peak), ``charge`` (``sum_i W_i n_i
        (tau1 - tau2)``: the integral of ``I`` over all time, pA ms = fC).
    """
    T = check_positive("T", T, unit="ms")
    dt = check_positive("dt", dt, unit="ms")
    w = check_finite_array("weights", weights, ndim=1)
    pops = [as_spike_train(tr, T, name=f"trains[{i}]") for i, tr in enumerate(trains)]
    if len(pops) != w.size:
        raise ValueError(f"need one weight per spike train, got {w.size} weights for {len(pops)} trains")
    t = np.arange(int(round(T / dt)) + 1) * dt
    alpha = alpha_kernel(t, tau1, tau2)
    c = np.zeros((len(pops), t.size))
    for i, tr in enumerate(pops):
        if tr.size:
            c[i] = alpha_kernel(t[:, None] - tr[None, :], tau1, tau2).sum(axis=1)  # (1.2)
    current = w @ c  # (1.3): I(t) = w^T c(t)
    t_peak, a_peak = alpha_peak(tau1, tau2)
    charge = float(sum(wi * tr.size for wi, tr in zip(w, pops)) * (tau1 - tau2))
    return dict(t=t, alpha=alpha, c=c, I=current, t_peak=t_peak, alpha_peak=a_peak, charge=charge,
                trains=pops, weights=w)


def synapse_figure(data: dict, tau1: float, tau2: float):
    """Three panels from :func:`synapse_traces`: alpha, c_i(t), I(t). Returns the Figure."""
    t = data["t"]
    fig, axes = plt.subplots(3, 1, figsize=(8, 6.4), sharex=True)
    ax = axes[0]
    ax.plot(t, data["alpha"], color="k", label=r"$\alpha(t)$")
    ax.plot([data["t_peak"]], [data["alpha_peak"]], "o", color="C3",
            label=rf"analytic peak $t^*$ = {data['t_peak']:.2f} ms, $\alpha(t^*)$ = {data['alpha_peak']:.3f}")
    ax.set_ylabel(r"$\alpha(t)$")
    ax.set_title(rf"(1.1): $\tau_1$ = {tau1:.2f} ms, $\tau_2$ = {tau2:.2f} ms", fontsize=10, loc="left")
    ax.legend(fontsize=8, loc="upper right")
    ax = axes[1]
    for i, (ci, tr) in enumerate(zip(data["c"], data["trains"])):
        line, = ax.plot(t, ci, color=f"C{i}", label=f"$c_{i + 1}(t)$")
        ax.plot(tr, np.zeros(tr.size), "|", color=line.get_color(), markersize=14, mew=2)
    ax.set_ylabel(r"$c_i(t)$")
    ax.set_title("(1.2): each spike (tick) adds one kernel", fontsize=10, loc="left")
    ax.legend(fontsize=8, loc="upper right")
    ax = axes[2]
    ax.plot(t, data["I"], color="k")
    ax.axhline(0.0, color="0.7", lw=0.8)
    ax.set_ylabel("I(t) (pA)")
    ax.set_xlabel("time (ms)")
    weights = ", ".join(f"{w:.0f}" for w in data["weights"])
    ax.set_title(f"(1.3): I(t) = w$^T$c(t), w = [{weights}] pA; charge {data['charge']:.0f} pA ms",
                 fontsize=10, loc="left")
    ax.set_xlim(0.0, t[-1])
    fig.tight_layout()
    return fig


def build_synapse_widget(
    tau1: float = TAU1,
    tau2_fraction: float = TAU2 / TAU1,
    spikes_1: str = "5, 20, 23",
    spikes_2: str = "12, 35",
    w1: float = 1000.0,
    w2: float = -600.0,
):
    """Interactive view of Eqs. (1)-(3); returns an ``ipywidgets.VBox``.

    The container has extra attributes for tests: ``controls`` (dict of the
    widgets), ``output`` (the ``Output``), ``update`` (the callback) and
    ``state`` (``data`` of the last drawing, or ``error`` for bad text).
    """
    import ipywidgets as widgets

    style = {"description_width": "110px"}
    layout = widgets.Layout(width="420px")
    controls = dict(
        tau1=widgets.FloatSlider(value=tau1, min=TAU1_RANGE[0], max=TAU1_RANGE[1], step=0.25,
                                 description="tau1 (ms)", style=style, layout=layout),
        tau2_fraction=widgets.FloatSlider(value=tau2_fraction, min=TAU2_FRACTION_RANGE[0],
                                          max=TAU2_FRACTION_RANGE[1], step=0.05,
                                          description="tau2 / tau1", style=style, layout=layout),
        spikes_1=widgets.Text(value=spikes_1, description="spikes 1 (ms)", continuous_update=False,
                              style=style, layout=layout),
        w1=widgets.FloatSlider(value=w1, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=50.0,
                               description="W1 (pA)", style=style, layout=layout),
        spikes_2=widgets.Text(value=spikes_2, description="spikes 2 (ms)", continuous_update=False,
                              style=style, layout=layout),
        w2=widgets.FloatSlider(value=w2, min=WEIGHT_RANGE[0], max=WEIGHT_RANGE[1], step=50.0,
                               description="W2 (pA)", style=style, layout=layout),
    )
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        v = {k: c.value for k, c in controls.items()}
        t1 = v["tau1"]
        t2 = v["tau2_fraction"] * t1
        with render_into(out):
            try:
                trains = [parse_spike_times(v["spikes_1"]), parse_spike_times(v["spikes_2"])]
            except ValueError as exc:
                state.clear()
                state["error"] = str(exc)
                print(f"Please fix the spike times: {exc}")
                return
            data = synapse_traces(trains, [v["w1"], v["w2"]], t1, t2)
            state.clear()
            state["data"] = data
            synapse_figure(data, t1, t2)
            plt.show()

    for c in controls.values():
        c.observe(update, names="value")
    box = widgets.VBox([widgets.HBox([widgets.VBox(list(controls.values())[:2]),
                                      widgets.VBox(list(controls.values())[2:])]), out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box
