"""Widget for notebook 09: the update each learning rule assigns to the same error, on the same network.

One small network (30 Poisson inputs -> 8 hidden -> 1 output, T = 80 ms,
drawn once from ``SCENE_SEED``) and one error, chosen with the controls:

* **a missed spike**: the desired train is the output's own train plus one
  desired spike at ``t`` (slider): an error instant at ``t``;
* **a moved spike**: the desired train is the output's own train with its
  first spike moved by ``shift`` ms (slider): a spike that comes too late
  (shift < 0) or too early (shift > 0).

For that error every rule of the package computes its weight update from
the same forward pass: NormAD (with ``tau_L'``, slider), ReSuMe (output layer
only), SpikeProp, EventProp and the surrogate gradient (fast-sigmoid
``slope``, slider). The updates are compared as *directions*, each layer's
update scaled to unit length, since that is what the per-error step of
:mod:`normad_edu._rules` keeps from a gradient. The figure shows (a) the output
potential with the observed and desired spikes, (b) each rule's direction in
the output layer, one bar per hidden neuron, and (c) the cosine between each
rule's direction and NormAD's in both layers.

Pure functions (tested headless):

============================  ==================================================
:func:`rules_scene`           the network and its forward pass (with V(t))
:func:`scene_desired`         the desired train of an error (mode, t, shift)
:func:`rule_directions`       every rule's unit update per layer
:func:`direction_cosines`     cosines between two rules, per layer
:func:`rules_figure`          panels (a)-(c)
:func:`rules_widget_update`   control values -> (Figure, result dict)
============================  ==================================================

:func:`build_rules_widget` wires them to ipywidgets. Units: ms, mV, pA.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ...baselines import resume_update
from ...eventprop import eventprop_gradient
from ...network import ForwardRecord, forward
from ...normad import NormADParams, normad_update
from ...params import TAU_L_HAT, LIFParams, SimParams, SynapseParams
from ...plotting import DESIRED_COLOR
from ...spikeprop import spikeprop_gradient
from ...spikes import poisson_spike_trains, stack_padded
from ...surrogate import SurrogateParams, surrogate_gradient
from ...validation import check_positive
from ._output import render_into

#: The network of the widget: sizes, epoch (ms), input rate (Hz), weight scales (pA) and its seed.
SIZES = (30, 8, 1)
T = 80.0
INPUT_RATE = 40.0
W_HIDDEN, W_OUT = 2500.0, 5000.0
SCENE_SEED = 10
#: The rules, in the order they are drawn, and their colours.
RULES = ("normad", "resume", "spikeprop", "eventprop", "surrogate")
LABELS = {"normad": "NormAD", "resume": "ReSuMe", "spikeprop": "SpikeProp", "eventprop": "EventProp",
          "surrogate": "surrogate"}
COLORS = {"normad": "C0", "resume": "C7", "spikeprop": "C1", "eventprop": "C2", "surrogate": "C4"}
#: The two kinds of error and the control ranges (both ends are tested).
MODES = ("missed", "moved")
T_MIN, T_MAX = 1.0, 79.0
SHIFT_MIN, SHIFT_MAX = -5.0, 5.0
TAU_HAT_MIN, TAU_HAT_MAX = 0.5, 20.0
SLOPE_MIN, SLOPE_MAX = 0.1, 100.0


class Scene(NamedTuple):
    """The widget's network: ``inputs`` (30 trains, ms), ``weights`` ``[W1 (8, 30), W2 (1, 8)]`` (pA), its
    forward pass ``record`` (batch of one, with V(t)) and the parameters it ran with."""

    inputs: list
    weights: list
    record: ForwardRecord
    lif: LIFParams
    syn: SynapseParams
    sim: SimParams

    @property
    def observed(self) -> np.ndarray:
        """The output's spike times (ms)."""
        out = self.record.output
        return out.times[0, 0, : out.counts[0, 0]].copy()


@lru_cache(maxsize=4)
def rules_scene(seed: int = SCENE_SEED) -> Scene:
    """The network drawn from ``default_rng([9, seed])`` and its forward pass (hidden weights 80 % excitatory,
    ``U(0, 2.5 nA)``, output weights ``U(0, 5 nA)``). Cached: the widget draws it once."""
    rng = np.random.default_rng([9, int(seed)])
    sim, lif, syn = SimParams(T=T), LIFParams(), SynapseParams()
    x = poisson_spike_trains(SIZES[0], INPUT_RATE, T, rng)
    hidden, output = (SIZES[1], SIZES[0]), (SIZES[2], SIZES[1])
    W1 = rng.uniform(0.0, W_HIDDEN, hidden) * np.where(rng.random(hidden) < 0.8, 1.0, -1.0)
    W2 = rng.uniform(0.0, W_OUT, output)
    record = forward([x], [W1[None], W2[None]], lif, syn, sim, record_v=True)
    return Scene(x, [W1, W2], record, lif, syn, sim)


def scene_desired(scene: Scene, mode: str = "missed", t: float = 35.0, shift: float = -3.0) -> np.ndarray:
    """The desired output train (ms) of an error: the observed train plus a spike at ``t`` ("missed"), or with
    its first spike moved by ``shift`` ("moved"; ``shift = 0`` is no error)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    obs = scene.observed
    if mode == "missed":
        if not T_MIN <= t <= T_MAX:
            raise ValueError(f"t must be in [{T_MIN:g}, {T_MAX:g}] ms, got {t}")
        return np.sort(np.append(obs, float(t)))
    if not SHIFT_MIN <= shift <= SHIFT_MAX:
        raise ValueError(f"shift must be in [{SHIFT_MIN:g}, {SHIFT_MAX:g}] ms, got {shift}")
    if obs.size == 0:
        raise ValueError("the output is silent: there is no spike to move")
    out = obs.copy()
    out[0] += float(shift)
    return out


def _unit(g: np.ndarray) -> np.ndarray:
    n = float(np.sqrt(np.sum(g * g)))
    return g / n if n > 0 else np.zeros_like(g)


def rule_directions(scene: Scene, desired, *, tau_L_hat: float = TAU_L_HAT, slope: float = 1.0) -> dict:
    """Every rule's update of every layer for ``desired``, scaled to unit length per layer.

    NormAD: :func:`normad_edu.normad.normad_update` with ``tau_L_hat``;
    ReSuMe: :func:`normad_edu.baselines.resume_update` (hidden layer 0);
    SpikeProp, EventProp: minus the gradient of their spike-time loss;
    surrogate: minus the gradient of its van Rossum loss with a fast sigmoid
    of steepness ``slope``. A layer a rule leaves alone is all zeros.

    Returns
    -------
    dict
        ``{rule: [dW1 (8, 30), dW2 (1, 8)]}`` (dimensionless, unit Frobenius norm or 0).
    """
    tau_L_hat = check_positive("tau_L_hat", tau_L_hat, unit="ms")
    slope = check_positive("slope", slope)
    rec, lif, syn, sim = scene.record, scene.lif, scene.syn, scene.sim
    d = stack_padded([[np.asarray(desired, dtype=np.float64)]])
    raw = {
        "normad": normad_update(rec, d, (1.0, 1.0), lif=lif, syn=syn, sim=sim,
                                params=NormADParams(tau_L_hat=tau_L_hat)),
        "resume": resume_update(rec, d, 1.0, lif=lif, sim=sim),
        "spikeprop": [-g for g in spikeprop_gradient(rec, d, lif=lif, syn=syn, sim=sim)],
        "eventprop": [-g for g in eventprop_gradient(rec, d, lif=lif, syn=syn, sim=sim)],
        "surrogate": [-g for g in surrogate_gradient((rec.inputs.times, rec.inputs.counts), rec.weights, d, lif=lif,
                                                     syn=syn, sim=sim, options=SurrogateParams(slope=slope))[0]],
    }
    return {rule: [_unit(w[0]) for w in raw[rule]] for rule in RULES}


def direction_cosines(directions: dict, a: str, b: str = "normad") -> list:
    """The cosine between rule ``a``'s and rule ``b``'s directions in each layer (None where one is zero)."""
    out = []
    for x, y in zip(directions[a], directions[b]):
        nx, ny = np.sum(x * x), np.sum(y * y)
        out.append(None if nx == 0 or ny == 0 else float(np.sum(x * y) / np.sqrt(nx * ny)))
    return out


def rules_figure(scene: Scene, desired, directions: dict, *, title: str | None = None) -> Figure:
    """(a) output potential, observed (blue) and desired (red) spikes; (b) each rule's output-layer direction;
    (c) the cosine of each rule's direction with NormAD's, per layer."""
    fig = plt.figure(figsize=(11.0, 6.6))
    grid = fig.add_gridspec(2, 2, height_ratios=(1.0, 1.25), width_ratios=(1.7, 1.0))
    ax_v, ax_w, ax_c = fig.add_subplot(grid[0, :]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    out = scene.record.output
    v = out.v[0, 0]
    tgrid = np.arange(v.size) * scene.sim.dt
    ax_v.plot(tgrid, v, color="k", lw=0.8)
    ax_v.axhline(scene.lif.VT, color="0.5", ls="--", lw=0.8)
    for t_o in scene.observed:
        ax_v.axvline(t_o, color="C0", lw=1.2, alpha=0.8)
    for t_d in np.asarray(desired, dtype=np.float64):
        ax_v.axvline(t_d, color=DESIRED_COLOR, lw=1.2, ls=":", alpha=0.9)
    ax_v.set_xlim(0.0, scene.sim.T)
    ax_v.set_xlabel("time (ms)")
    ax_v.set_ylabel("V (mV)")
    ax_v.set_title("(a) output potential; observed spikes (blue), desired (red, dotted), threshold (dashed)",
                   loc="left", fontsize=9)
    n_hidden = directions["normad"][1].shape[1]
    width = 0.8 / len(RULES)
    for q, rule in enumerate(RULES):
        ax_w.bar(np.arange(n_hidden) + (q - (len(RULES) - 1) / 2) * width, directions[rule][1][0], width=width,
                 color=COLORS[rule], label=LABELS[rule])
    ax_w.axhline(0.0, color="k", lw=0.6)
    ax_w.set_xticks(range(n_hidden))
    ax_w.set_xticklabels([f"h{j + 1}" for j in range(n_hidden)])
    ax_w.set_xlabel("hidden neuron (its weight onto the output)")
    ax_w.set_ylabel("update (unit length)")
    ax_w.legend(fontsize=7, ncol=3, loc="best")
    ax_w.set_title("(b) output-layer update of each rule", loc="left", fontsize=9)
    others = [r for r in RULES if r != "normad"]
    for layer, (offset, hatch) in enumerate(((-0.18, "//"), (0.18, ""))):
        for q, rule in enumerate(others):
            c = direction_cosines(directions, rule)[layer]
            if c is not None:
                ax_c.bar(q + offset, c, width=0.34, color=COLORS[rule], hatch=hatch, edgecolor="k", lw=0.4)
    ax_c.legend(handles=[Patch(facecolor="w", edgecolor="k", hatch="//", label="hidden layer"),
                         Patch(facecolor="w", edgecolor="k", label="output layer")], fontsize=7, loc="lower left")
    ax_c.axhline(0.0, color="k", lw=0.6)
    ax_c.set_ylim(-1.05, 1.05)
    ax_c.set_xticks(range(len(others)))
    ax_c.set_xticklabels([LABELS[r] for r in others], fontsize=8, rotation=20)
    ax_c.set_ylabel("cosine with NormAD")
    ax_c.set_title("(c) same direction as NormAD?", loc="left", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def rules_widget_update(mode: str = "missed", t: float = 35.0, shift: float = -3.0, tau_L_hat: float = TAU_L_HAT,
                        slope: float = 1.0) -> tuple[Figure, dict]:
    """Control values -> (figure, ``{"desired", "directions", "cosines": {rule: [hidden, output]}}``)."""
    scene = rules_scene()
    desired = scene_desired(scene, mode, t, shift)
    dirs = rule_directions(scene, desired, tau_L_hat=tau_L_hat, slope=slope)
    cos = {rule: direction_cosines(dirs, rule) for rule in RULES}
    what = f"a missed spike at {t:g} ms" if mode == "missed" else f"the first spike moved by {shift:+g} ms"
    fig = rules_figure(scene, desired, dirs, title=f"One error, five rules: {what}; NormAD tau_L' = {tau_L_hat:g} ms, "
                                                   f"surrogate slope {slope:g}")
    return fig, {"desired": desired, "directions": dirs, "cosines": cos}


def build_rules_widget(mode: str = "missed", t: float = 35.0, shift: float = -3.0, tau_L_hat: float = TAU_L_HAT,
                       slope: float = 1.0) -> widgets.VBox:
    """A drop-down for the kind of error, sliders for ``t``, ``shift``, ``tau_L'`` and the surrogate's slope,
    and the figure below them (redrawn when a control is released).

    The box has ``controls``, ``output``, ``update`` and ``state`` (the latest ``figure`` and result).
    """
    style = {"description_width": "170px"}
    layout = widgets.Layout(width="460px")
    controls = {
        "mode": widgets.Dropdown(options=[("a missed spike", "missed"), ("a moved spike", "moved")], value=mode,
                                 description="error", style=style, layout=layout),
        "t": widgets.FloatSlider(value=t, min=T_MIN, max=T_MAX, step=0.5, description="missed spike at (ms)",
                                 continuous_update=False, style=style, layout=layout),
        "shift": widgets.FloatSlider(value=shift, min=SHIFT_MIN, max=SHIFT_MAX, step=0.5,
                                     description="first spike moved by (ms)", continuous_update=False, style=style,
                                     layout=layout),
        "tau_L_hat": widgets.FloatSlider(value=tau_L_hat, min=TAU_HAT_MIN, max=TAU_HAT_MAX, step=0.5,
                                         description="NormAD tau_L' (ms)", continuous_update=False, style=style,
                                         layout=layout),
        "slope": widgets.FloatLogSlider(value=slope, base=10, min=np.log10(SLOPE_MIN), max=np.log10(SLOPE_MAX),
                                        step=0.1, description="surrogate slope", continuous_update=False,
                                        style=style, layout=layout),
    }
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        v = {k: c.value for k, c in controls.items()}
        with render_into(out):
            fig, result = rules_widget_update(**v)
            state.update(figure=fig, result=result)
            plt.show()

    for c in controls.values():
        c.observe(update, names="value")
    box = widgets.VBox([*controls.values(), out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box
